// Each value rule with a failing and a passing example.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  checkAdminUsername,
  checkInteger,
  checkName,
  checkShutdownTime,
  checkSubnet,
  checkSubscriptionId,
  checkVmSize,
  checkVnetAddressSpace,
  checkWindowsPassword,
  checkWindowsTimeZone,
  parseIpv4Cidr,
  DISALLOWED_PASSWORDS,
  type NameKind,
} from "../../src/config/rules.js";

const names: Record<NameKind, { good: string[]; bad: string[] }> = {
  resourceGroup: { good: ["rg", "my_rg-(1).x", "Groupe-é"], bad: ["", "ends.", "has space", "a/b", "x".repeat(91)] },
  virtualNetwork: { good: ["vnet1", "my.vnet_", "a-b"], bad: ["v", "-vnet", "vnet-", "vnet.", "v@net", "x".repeat(65)] },
  storageAccount: { good: ["abc", "secureamlst12345", "a".repeat(24)], bad: ["ab", "Upper1", "with-hyphen", "a".repeat(25)] },
  keyVault: { good: ["kv1", "my-vault-01", "A".repeat(24)], bad: ["k1", "1vault", "vault-", "my--vault", "v_ault", "a".repeat(25)] },
  containerRegistry: { good: ["abcde", "MyRegistry01"], bad: ["abcd", "my-registry", "a".repeat(51)] },
  mlWorkspace: { good: ["ws1", "my_ws-1", "1ws"], bad: ["ws", "-ws", "_ws", "my.ws", "w".repeat(34)] },
  computeCluster: { good: ["cpu-cluster", "abc"], bad: ["ab", "1cluster", "cpu_cluster", "c".repeat(33)] },
  computeInstance: { good: ["my-ci-1", "abc"], bad: ["ab", "-ci", "ci.1", "c".repeat(25)] },
  windowsVm: { good: ["jump1", "team-jump", "a".repeat(15)], bad: ["a".repeat(16), "12345", "jump-", "jump.box", "jump_box", "jump box"] },
  logAnalyticsWorkspace: { good: ["logs", "my-logs-1"], bad: ["log", "-logs", "logs-", "lo_gs", "l".repeat(64)] },
  appInsights: { good: ["a", "my appi (1)"], bad: ["", "a/b", "a?b", "ends.", "ends ", "a".repeat(261)] },
  privateLinkScope: { good: ["my-ampls"], bad: ["a%b", "ends."] },
  databricksWorkspace: { good: ["dbw", "my_dbx-01", "D".repeat(64)], bad: ["db", "my.dbx", "dbx ws", "d".repeat(65)] },
  bastionHost: { good: ["b", "my.bastion_"], bad: ["", "-b", "b-", "b@", "b".repeat(81)] },
  publicIp: { good: ["pip", "bastion-pip"], bad: ["", ".pip", "pip.", "p i p"] },
  prefix: { good: ["ab", "team1", "secureaml"], bad: ["a", "1team", "Team", "team-1", "abcdefghijk"] },
};

describe("name rules (Azure naming rules per kind)", () => {
  for (const [kind, { good, bad }] of Object.entries(names) as [NameKind, { good: string[]; bad: string[] }][]) {
    it(`${kind}: accepts valid names`, () => {
      for (const name of good) assert.deepEqual(checkName(kind, name), [], `${kind} ${JSON.stringify(name)}`);
    });
    it(`${kind}: rejects invalid names with the rule`, () => {
      for (const name of bad) {
        const problems = checkName(kind, name);
        assert.equal(problems.length, 1, `${kind} ${JSON.stringify(name)} should be rejected`);
        assert.match(problems[0]!, /Azure requires \d+-\d+ characters/);
      }
    });
  }
  it("rejects non-text", () => {
    assert.equal(checkName("storageAccount", 42).length, 1);
  });
});

describe("jump box administrator name", () => {
  it("accepts ordinary names", () => {
    for (const name of ["azureuser", "ops.admin1", "a".repeat(20)]) assert.deepEqual(checkAdminUsername(name), []);
  });
  it("rejects reserved names (any case), trailing period, long names, invalid characters", () => {
    for (const name of ["admin", "Administrator", "ROOT", "support_388945a0", "user.", "a".repeat(21), "a/b", "x@y", ""]) {
      assert.equal(checkAdminUsername(name).length, 1, name);
    }
  });
});

describe("Windows password complexity", () => {
  it("accepts 12-123 characters with 3 of 4 kinds", () => {
    for (const pw of ["Abcdefghijk1", "abcdefghij1!", "ABCDEFGHIJ1!", "Abcdefghijk!", "Aa1!" + "x".repeat(119)]) {
      assert.deepEqual(checkWindowsPassword(pw), [], pw);
    }
  });
  it("rejects short, long, too simple and Azure's refused passwords, without echoing them", () => {
    for (const pw of ["Abc1!", "Aa1!" + "x".repeat(120), "abcdefghijkl", "abcdefghijk1", "ABCDEFGHIJK_", ...DISALLOWED_PASSWORDS]) {
      const problems = checkWindowsPassword(pw);
      assert.equal(problems.length, 1, pw);
      assert.ok(!problems[0]!.includes(pw), "the message must not contain the password");
    }
  });
  it("refused list entries are refused even when long enough", () => {
    // The refused list is checked exactly, independently of length and complexity.
    assert.match(checkWindowsPassword("P@ssword123")[0]!, /refused|characters long/);
  });
});

describe("scalar rules", () => {
  it("subscription id is a GUID", () => {
    assert.deepEqual(checkSubscriptionId("6d9c9a1e-1111-4222-8333-123456789abc"), []);
    assert.equal(checkSubscriptionId("my-subscription").length, 1);
    assert.equal(checkSubscriptionId("6d9c9a1e11114222833312345678 9abc").length, 1);
  });
  it("VM size", () => {
    assert.deepEqual(checkVmSize("Standard_D2s_v3"), []);
    assert.equal(checkVmSize("D2s v3").length, 1);
  });
  it("shutdown time is HHmm", () => {
    for (const ok of ["0000", "1900", "2359"]) assert.deepEqual(checkShutdownTime(ok), []);
    for (const bad of ["2400", "19:00", "7pm", "960", "1960"]) assert.equal(checkShutdownTime(bad).length, 1, bad);
  });
  it("time zone id", () => {
    assert.deepEqual(checkWindowsTimeZone("W. Europe Standard Time"), []);
    assert.equal(checkWindowsTimeZone("Europe/Paris").length, 1);
  });
  it("integers with a minimum", () => {
    assert.deepEqual(checkInteger(0, 0), []);
    assert.equal(checkInteger(-1, 0).length, 1);
    assert.equal(checkInteger(1.5, 0).length, 1);
  });
});

describe("address ranges", () => {
  it("parses strict IPv4 CIDR and refuses host bits", () => {
    assert.ok(parseIpv4Cidr("172.16.0.0/16").cidr);
    for (const bad of ["172.16.0.0", "172.16.0.0/33", "172.16/16", "banana", " 172.16.0.0/16", "::1/128"]) {
      assert.ok(parseIpv4Cidr(bad).problem, bad);
    }
    assert.match(parseIpv4Cidr("172.16.0.5/24").problem ?? "", /172\.16\.0\.0\/24/);
  });
  it("VNet address space: Docker bridge and Azure-forbidden ranges", () => {
    assert.deepEqual(checkVnetAddressSpace("172.16.0.0/16"), []);
    assert.deepEqual(checkVnetAddressSpace("10.0.0.0/8"), []);
    assert.match(checkVnetAddressSpace("172.17.0.0/16")[0]!, /Docker bridge/);
    assert.match(checkVnetAddressSpace("172.16.0.0/12")[0]!, /Docker bridge/, "a range containing 172.17/16 overlaps it");
    assert.match(checkVnetAddressSpace("169.254.0.0/16")[0]!, /link-local/);
    assert.match(checkVnetAddressSpace("10.0.0.0/30")[0]!, /\/29/);
  });
  const vnet = "172.16.0.0/16";
  it("subnet inside the address space", () => {
    assert.deepEqual(checkSubnet("172.16.0.0/24", { name: "Training", maxPrefixLength: 29, vnetAddressSpace: vnet, earlier: [] }), []);
    assert.match(checkSubnet("10.1.0.0/24", { name: "Training", maxPrefixLength: 29, vnetAddressSpace: vnet, earlier: [] })[0]!, /not inside the address space/);
  });
  it("overlapping subnets", () => {
    const earlier = [{ name: "Training", value: "172.16.0.0/24" }];
    assert.deepEqual(checkSubnet("172.16.1.0/24", { name: "Scoring", maxPrefixLength: 29, vnetAddressSpace: vnet, earlier }), []);
    assert.match(checkSubnet("172.16.0.128/25", { name: "Scoring", maxPrefixLength: 29, vnetAddressSpace: vnet, earlier })[0]!, /overlaps the Training subnet/);
    assert.match(checkSubnet("172.16.0.0/23", { name: "Scoring", maxPrefixLength: 29, vnetAddressSpace: vnet, earlier })[0]!, /overlaps the Training subnet/);
  });
  it("AzureBastionSubnet must be /26 or larger", () => {
    const ctx = { name: "AzureBastionSubnet", maxPrefixLength: 26, vnetAddressSpace: vnet, earlier: [] };
    assert.deepEqual(checkSubnet("172.16.2.0/26", ctx), []);
    assert.deepEqual(checkSubnet("172.16.4.0/24", ctx), []);
    assert.match(checkSubnet("172.16.2.0/27", ctx)[0]!, /\/26 or larger/);
  });
  it("ordinary subnets must be /29 or larger", () => {
    const ctx = { name: "Scoring", maxPrefixLength: 29, vnetAddressSpace: vnet, earlier: [] };
    assert.deepEqual(checkSubnet("172.16.3.0/29", ctx), []);
    assert.match(checkSubnet("172.16.3.0/30", ctx)[0]!, /\/29 or larger/);
  });
  it("subnet overlapping the Docker bridge range", () => {
    const ctx = { name: "Scoring", maxPrefixLength: 29, vnetAddressSpace: "172.16.0.0/12", earlier: [] };
    assert.deepEqual(checkSubnet("172.18.0.0/24", ctx), []);
    assert.ok(checkSubnet("172.17.5.0/24", ctx).some((p) => /Docker bridge/.test(p)));
  });
});
