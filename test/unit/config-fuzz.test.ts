// Property-based fuzzing of the config loader and validators: whatever a config file or a flag holds,
// the answer is a list of problems naming a field, never an exception and never a silent acceptance
// of a value that breaks its rule.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { loadConfigFile } from "../../src/config/file.js";
import { NAME_RULES, checkName, checkWindowsPassword, parseIpv4Cidr, type NameKind } from "../../src/config/rules.js";

import { validateConfig } from "../../src/config/validate.js";
import { FIELDS } from "../../src/config/fields.js";

const dir = mkdtempSync(join(tmpdir(), "secure-aml-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const knownKeys = new Set(FIELDS.map((f) => String(f.key)));

describe("config file loader under fuzzing", () => {
  it("any JSON text yields values or problems naming a key, never a throw", async () => {
    let file = 0;
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const path = join(dir, `c${file++}.json`);
        writeFileSync(path, JSON.stringify(value));
        const { values, problems } = await loadConfigFile(path);
        for (const p of problems) {
          assert.equal(typeof p.field, "string");
          assert.ok(p.rule.length > 0, "every problem states its rule");
        }
        // Only known keys ever come through as values.
        for (const key of Object.keys(values)) assert.ok(knownKeys.has(key), `unexpected key ${key} accepted`);
        // A non-object document is always refused.
        if (value === null || typeof value !== "object" || Array.isArray(value)) assert.ok(problems.length > 0);
      }),
      { numRuns: 150 },
    );
  });

  it("unknown keys are always reported by name", async () => {
    let file = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !knownKeys.has(k) && k !== "$schema"),
        async (key) => {
          const path = join(dir, `u${file++}.json`);
          writeFileSync(path, JSON.stringify({ [key]: "x" }));
          const { problems } = await loadConfigFile(path);
          assert.ok(
            problems.some((p) => p.field === key || p.rule.includes(key)),
            `unknown key ${JSON.stringify(key)} not named`,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("arbitrary bytes that are not JSON are refused", async () => {
    let file = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), async (text) => {
        let isJson = true;
        try {
          JSON.parse(text);
        } catch {
          isJson = false;
        }
        fc.pre(!isJson);
        const path = join(dir, `b${file++}.json`);
        writeFileSync(path, text);
        const { problems } = await loadConfigFile(path);
        assert.ok(problems.length > 0);
      }),
      { numRuns: 100 },
    );
  });
});

describe("validators under fuzzing", () => {
  it("name checks never throw, and accept only names within each kind's length bounds", () => {
    const kinds = Object.keys(NAME_RULES) as NameKind[];
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.string({ maxLength: 120 }), (kind, name) => {
        const problems = checkName(kind, name);
        const rule = NAME_RULES[kind];
        if (problems.length === 0) {
          const chars = [...name];
          assert.ok(chars.length >= rule.min && chars.length <= rule.max, `${kind} accepted ${JSON.stringify(name)} outside ${rule.min}-${rule.max}`);
          assert.ok(
            chars.every((c) => rule.allowed.test(c)),
            `${kind} accepted a character its rule forbids in ${JSON.stringify(name)}`,
          );
        } else {
          assert.ok(problems.every((p) => p.length > 0));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a password accepted for Windows has 12-123 characters and three character classes", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 140 }), (pw) => {
        if (checkWindowsPassword(pw).length > 0) return;
        assert.ok(pw.length >= 12 && pw.length <= 123);
        const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((r) => r.test(pw)).length;
        assert.ok(classes >= 3, `accepted ${classes} classes`);
      }),
      { numRuns: 500 },
    );
  });

  it("CIDR parsing never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const { cidr, problem } = parseIpv4Cidr(text);
        assert.ok((cidr === undefined) !== (problem === undefined), "exactly one of a range or a problem");
      }),
      { numRuns: 500 },
    );
  });

  it("validateConfig on arbitrary partial configs returns problems naming known fields, never throws", () => {
    const arbitraryValue = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...knownKeys), arbitraryValue, { maxKeys: 8 }), (partial) => {
        const problems = validateConfig(partial as never, {}, { reportMissing: true });
        for (const p of problems) assert.ok(knownKeys.has(p.field) || p.field === "jumpboxPassword", `unknown field ${p.field}`);
      }),
      { numRuns: 300 },
    );
  });
});
