// Property-based tests of the CIDR validators against an independent integer model of IPv4 ranges.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { cidrContains, cidrOverlaps, parseIpv4Cidr, checkSubnet } from "../../src/config/rules.js";

/** The model: a range as [first, last] 32-bit integers. */
function model(base: number, prefix: number): [number, number] {
  const size = 2 ** (32 - prefix);
  const first = Math.floor(base / size) * size;
  return [first, first + size - 1];
}

function text(n: number, prefix: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${prefix}`;
}

const range = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 })).map(([ip, prefix]) => {
  const [first] = model(ip, prefix);
  return { first, prefix, text: text(first, prefix), span: model(ip, prefix) };
});

describe("CIDR validators (property-based)", () => {
  it("every network-aligned range parses; a range with host bits never does", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }), (ip, prefix) => {
        const aligned = model(ip, prefix)[0] === ip;
        const parsed = parseIpv4Cidr(text(ip, prefix));
        assert.equal(parsed.cidr !== undefined, aligned);
      }),
    );
  });

  it("overlap agrees with the interval model and is symmetric", () => {
    fc.assert(
      fc.property(range, range, (a, b) => {
        const pa = parseIpv4Cidr(a.text).cidr!;
        const pb = parseIpv4Cidr(b.text).cidr!;
        const expected = a.span[0] <= b.span[1] && b.span[0] <= a.span[1];
        assert.equal(cidrOverlaps(pa, pb), expected);
        assert.equal(cidrOverlaps(pb, pa), expected);
      }),
    );
  });

  it("containment agrees with the interval model", () => {
    fc.assert(
      fc.property(range, range, (outer, inner) => {
        const expected = outer.span[0] <= inner.span[0] && inner.span[1] <= outer.span[1];
        assert.equal(cidrContains(parseIpv4Cidr(outer.text).cidr!, parseIpv4Cidr(inner.text).cidr!), expected);
      }),
    );
  });

  it("a subnet carved from a 172.16.0.0/16 address space is accepted exactly when it does not overlap the earlier one", () => {
    const sub = fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 16, max: 29 })).map(([offset, prefix]) => {
      const [first, last] = model(0xac100000 + offset, prefix);
      return { text: text(first, prefix), first, last };
    });
    fc.assert(
      fc.property(sub, sub, (training, scoring) => {
        const problems = checkSubnet(scoring.text, {
          name: "Scoring",
          maxPrefixLength: 29,
          vnetAddressSpace: "172.16.0.0/16",
          earlier: [{ name: "Training", value: training.text }],
        });
        const overlaps = training.first <= scoring.last && scoring.first <= training.last;
        assert.equal(problems.length > 0, overlaps);
      }),
    );
  });
});
