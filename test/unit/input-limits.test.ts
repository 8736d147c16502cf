// Bad input that used to be accepted or to end in a stack trace (issue 12): each exits 2 naming the
// problem, with no connection to the ARM endpoint (a counting TCP server on 127.0.0.1) and no stack
// trace. Also the VM-size grammar and the password rules as functions.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { checkPasswordAgainstDeployment, checkVmSize } from "../../src/config/rules.js";
import { isKnownVmSizeName } from "../../src/config/vm-sizes.js";
import { jsonNestingDepth } from "../../src/config/json-limits.js";
import { spawnCli, type CliRun as Run } from "../helpers/cli.js";

const PASSWORD = "Limits-Horse-Battery-5";

let server: Server;
let port = 0;
let connections = 0;
let dir: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-limits-"));
  server = createServer((socket: Socket) => {
    connections++;
    socket.destroy();
  });
  port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
});
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fs.rm(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return spawnCli(args, { cwd: dir, env: { PATH: process.env.PATH ?? "", SECURE_AML_JUMPBOX_PASSWORD: PASSWORD, ...env } });
}

const base = (prefix = "limits") => [
  "--yes",
  "--endpoint",
  `https://127.0.0.1:${port}`,
  "--subscription",
  "00000000-0000-4000-8000-000000000001",
  "--resource-group",
  "rg-limits",
  "--location",
  "eastus",
  "--prefix",
  prefix,
  "--state",
  path.join(dir, "state.json"),
];

/** Exit 2, the rule named, no connection, no stack trace. */
async function refused(args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<void> {
  const before = connections;
  const run = await cli(args, env);
  assert.equal(run.code, 2, `exit 2 for ${args.join(" ")}\n${run.stderr}`);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at [^\n]+:\d+:\d+/, "no stack trace");
  assert.doesNotMatch(run.stderr, /unexpected error/);
  assert.equal(connections, before, "no connection to the ARM endpoint");
}

describe("bad input refused before any request (exit 2)", () => {
  it("a VM size that is not an Azure size (also for the cluster and the instance)", async () => {
    await refused(["init", ...base(), "--jumpbox-size", "Standard_NOPE"], /jumpboxSize[\s\S]*family one of/);
    await refused(["init", ...base(), "--cluster-vm-size", "Standard_Q8_v3"], /clusterVmSize/);
    await refused(["plan", ...base(), "--instance-vm-size", "Standard_D4s_v9"], /instanceVmSize/);
  });

  it('--prefix "" (and other empty flags) instead of silently taking the default', async () => {
    await refused(["init", ...base("")], /prefix = "" .*is empty/);
    await refused(
      ["status", "--endpoint", `https://127.0.0.1:${port}`, "--subscription", "00000000-0000-4000-8000-000000000001", "--resource-group", ""],
      /resource-group.*is empty/,
    );
    await refused(["status", "--state", "", "--endpoint", `https://127.0.0.1:${port}`], /--state.*is empty/);
  });

  it("a flag given twice with different values, and --x with --no-x", async () => {
    await refused(["init", ...base(), "--location", "westeurope"], /--location was given twice with different values/);
    await refused(["status", "--resource-group", "a", "--resource-group", "b", "--subscription", "00000000-0000-4000-8000-000000000001"], /--resource-group was given twice/);
    await refused(["init", ...base(), "--bastion", "--no-bastion"], /contradictory switches --bastion and --no-bastion/);
    // The same value twice is harmless.
    const same = await cli(["plan", ...base(), "--location", "eastus", "--output", "json"]);
    assert.notEqual(same.code, 2, same.stderr);
  });

  it("--concurrency far beyond the number of steps", async () => {
    await refused(["init", ...base(), "--concurrency", "1000000000000"], /concurrency.*from 1 to 64/);
    await refused(["init", ...base(), "--concurrency", "65"], /from 1 to 64/);
    await refused(["init", ...base()], /concurrency/, { SECURE_AML_CONCURRENCY: "99999999999999999999" });
  });

  it("a deeply nested or huge config file, and a deeply nested state file", async () => {
    const deep = path.join(dir, "deep.json");
    await fs.writeFile(deep, `{"prefix":${"[".repeat(50_000)}${"]".repeat(50_000)}}`);
    await refused(["init", ...base(), "--config", deep], /nested more than 4 levels/);
    const huge = path.join(dir, "huge.json");
    await fs.writeFile(huge, JSON.stringify({ prefix: "x".repeat(300_000) }));
    await refused(["init", ...base(), "--config", huge], /larger than 262144 bytes/);
    const deepState = path.join(dir, "deep-state.json");
    await fs.writeFile(deepState, `{"schemaVersion":1,"createdAt":"x","updatedAt":"x","steps":{},"config":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`);
    const status = await cli(["status", "--state", deepState, "--endpoint", `https://127.0.0.1:${port}`]);
    assert.equal(status.code, 2, status.stderr);
    assert.match(status.stderr, /nested more than 32 levels/);
    assert.doesNotMatch(status.stderr, /Maximum call stack|\n\s+at /);
    const init = await cli(["init", ...base().filter((a) => a !== path.join(dir, "state.json") && a !== "--state"), "--state", deepState]);
    assert.equal(init.code, 2, init.stderr);
    assert.match(init.stderr, /nested more than 32 levels/);
  });

  it("passwords Azure would refuse, or equal to a name of the deployment", async () => {
    await refused(["init", ...base()], /contains the administrator name "azureuser"/, { SECURE_AML_JUMPBOX_PASSWORD: "AzureUser-Horse-42" });
    await refused(["init", ...base()], /control character or line break/, { SECURE_AML_JUMPBOX_PASSWORD: "Correct-Horse\nBattery-9" });
    const sameAsGroup = await cli(["init", ...base().map((a) => (a === "rg-limits" ? "Rg-Limits-Secret-9" : a))], { SECURE_AML_JUMPBOX_PASSWORD: "Rg-Limits-Secret-9" });
    assert.equal(sameAsGroup.code, 2, sameAsGroup.stderr);
    assert.match(sameAsGroup.stderr, /same as resourceGroup/);
    // The password itself is never echoed.
    assert.doesNotMatch(sameAsGroup.stderr.replace(/Rg-Limits-Secret-9"? \(--resource-group/g, ""), /jumpboxPassword.*Rg-Limits-Secret-9/);
  });
});

describe("the rules as functions", () => {
  it("VM size names: real ones accepted, made-up ones refused", () => {
    for (const size of [
      "Standard_DS3_v2",
      "Standard_D2s_v3",
      "Standard_D4as_v5",
      "Standard_E8-4ds_v5",
      "Standard_NC24ads_A100_v4",
      "Standard_NC4as_T4_v3",
      "Standard_M128ms",
      "Standard_B2ms",
      "Standard_F16s_v2",
      "Standard_HB120rs_v3",
      "Standard_ND96amsr_A100_v4",
      "Standard_DC2s_v3",
      "Standard_L8s_v3",
      "Standard_A1_v2",
      "Basic_A0",
      "Standard_D2_v2_Promo",
      "Standard_NV12ads_A10_v5",
      "Standard_NCC40ads_H100_v5",
    ]) {
      assert.ok(isKnownVmSizeName(size), size);
      assert.deepEqual(checkVmSize(size), [], size);
    }
    for (const size of [
      "Standard_NOPE",
      "tiny",
      "Standard_Q4_v2",
      "Standard_D4s_v9",
      "Basic_D2",
      "Standard_D0004",
      "Standard_E4-8ds_v5",
      "Standard_D2s_v3 ",
      "standard_d2s_v3",
      "Standard_D2s_v3;rm",
      `Standard_D${"9".repeat(40)}`,
    ]) {
      assert.equal(isKnownVmSizeName(size), false, size);
      assert.match(checkVmSize(size)[0] ?? "", /family one of/);
    }
  });

  it("passwords against the deployment", () => {
    const config = { jumpboxAdmin: "azureuser", resourceGroup: "rg-Team1", prefix: "team1" };
    assert.deepEqual(checkPasswordAgainstDeployment("Correct-Horse-Battery-9", config), []);
    assert.match(checkPasswordAgainstDeployment("my-AZUREUSER-pass-1", config)[0] ?? "", /administrator name/);
    assert.match(checkPasswordAgainstDeployment("Correct\tHorse-9", config)[0] ?? "", /control character/);
    assert.match(checkPasswordAgainstDeployment("RG-TEAM1", config)[0] ?? "", /same as resourceGroup/);
    assert.deepEqual(checkPasswordAgainstDeployment("Admin-Ab-Horse-9", { jumpboxAdmin: "ab" }), [], "names under 3 characters are not checked (as Windows)");
  });

  it("JSON nesting is measured without recursion, strings skipped", () => {
    assert.equal(jsonNestingDepth('{"a":[1,{"b":"[[[[{{{"}]}'), 3);
    assert.equal(jsonNestingDepth('"\\"[["'), 0);
    assert.equal(jsonNestingDepth("[".repeat(1_000_000), 100), 100);
  });
});
