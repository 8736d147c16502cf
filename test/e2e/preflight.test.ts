// Preflight (src/preflight) as a person meets it: the real CLI as a subprocess, the real SDK clients,
// the emulator set up as a brand-new subscription or as one that cannot take the deployment.
// - fresh subscription: `init --yes` registers what it needs before its first write and completes in one
//   run; the converged re-run sends no write at all;
// - zero quota for the cluster's family, the jump box size unavailable, no right to assign roles: exit 4,
//   every problem named with its fix (text and --output json), and not one write (no registration either);
// - plan reports the same, read-only.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { RequestLogEntry } from "../helpers/emulator.js";
import { emulatorArgs, emulatorForFile, oneJsonDocument, runCli, tempDir, type ResultDoc } from "./cli-init-fixture.js";

/** A request that changes the world: PUT/PATCH/DELETE, or a POST other than a name check. */
function isWrite(entry: RequestLogEntry): boolean {
  if (["PUT", "PATCH", "DELETE"].includes(entry.method)) return true;
  return entry.method === "POST" && !/\/checkNameAvailability$/i.test(entry.path);
}

const isRegister = (entry: RequestLogEntry) => entry.method === "POST" && /\/providers\/[^/]+\/register$/i.test(entry.path);

describe("init on a brand-new subscription (--fresh-subscription)", () => {
  const emulator = emulatorForFile({ world: "fresh", validateSpecs: true });

  it("plan, first, lists the providers init would register, and registers nothing", async (t) => {
    const dir = await tempDir(t, "preflight-plan");
    await emulator().clearRequestLog();
    const result = await runCli(["plan", "--output", "json", ...emulatorArgs(emulator(), "fresh2", path.join(dir, "state.json"))], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const doc = oneJsonDocument(result.stdout) as ResultDoc;
    const preflight = (doc.details as { preflight: { toRegister: string[]; problems: unknown[] } }).preflight;
    assert.deepEqual(preflight.problems, []);
    for (const namespace of ["Microsoft.MachineLearningServices", "Microsoft.Network", "Microsoft.DevTestLab"]) assert.ok(preflight.toRegister.includes(namespace), namespace);
    assert.deepEqual((await emulator().requestLog()).filter(isWrite), []);
  });

  it("registers the providers it needs before its first write, completes in one run, and the re-run writes nothing", async (t) => {
    const dir = await tempDir(t, "preflight-fresh");
    const args = ["init", "--yes", "--output", "json", ...emulatorArgs(emulator(), "fresh1", path.join(dir, "state.json"))];
    await emulator().clearRequestLog();
    const first = await runCli(args, { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const doc = oneJsonDocument(first.stdout) as ResultDoc;
    assert.equal(doc.ok, true);
    assert.deepEqual(doc.errors, []);
    assert.match(first.stderr, /has not registered \d+ resource providers? the deployment needs: .*Microsoft\.MachineLearningServices/);

    const log = await emulator().requestLog();
    const registered = log.filter(isRegister).map((e) => e.path.split("/").slice(-2)[0]);
    for (const namespace of [
      "Microsoft.Network",
      "Microsoft.Storage",
      "Microsoft.KeyVault",
      "Microsoft.ContainerRegistry",
      "Microsoft.MachineLearningServices",
      "Microsoft.OperationalInsights",
      "Microsoft.Insights",
      "Microsoft.Compute",
      "Microsoft.DevTestLab",
    ]) {
      assert.ok(registered.includes(namespace), `${namespace} registered (got ${registered.join(", ")})`);
    }
    assert.ok(!registered.includes("Microsoft.Resources") && !registered.includes("Microsoft.Authorization"), "registered by default: not registered again");
    const firstPut = log.findIndex((e) => e.method === "PUT");
    const lastRegister = log.map(isRegister).lastIndexOf(true);
    assert.ok(firstPut > lastRegister, "every registration comes before the first PUT");
    assert.equal(log.filter((e) => e.errorCode === "MissingSubscriptionRegistration").length, 0, "no write hit an unregistered namespace");

    await emulator().clearRequestLog();
    const second = await runCli(args, { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    const again = oneJsonDocument(second.stdout) as ResultDoc;
    assert.equal(again.counts.writes, 0);
    const secondLog = await emulator().requestLog();
    assert.deepEqual(
      secondLog.filter(isWrite).map((e) => `${e.method} ${e.path}`),
      [],
      "the converged re-run sends no write",
    );
    // It reads: every resource of the deployment, the state being a cache and not the truth.
    const read = new Set(secondLog.filter((e) => e.method === "GET").map((e) => e.path.toLowerCase()));
    assert.deepEqual(
      [...new Set(again.resources.map((r) => r.id.toLowerCase()))].filter((id) => !read.has(id)),
      [],
      "the re-run read every resource",
    );
    assert.ok(again.resources.length > 0, "the re-run reports the deployment");
  });
});

describe("a subscription that cannot take the deployment", () => {
  const emulator = emulatorForFile({
    validateSpecs: true,
    world: {
      registeredProviders: "default",
      // The compute cluster and instance (Standard_DS3_v2) are standardDSv2Family.
      quotas: { eastus: { standardDSv2Family: 0 } },
      // The jump box's default size.
      unavailableVmSizes: { eastus: ["Standard_D2s_v3"] },
      callerCanAssignRoles: false,
    },
  });

  it("init exits 4 naming every problem with its fix, and writes nothing (no registration either)", async (t) => {
    const dir = await tempDir(t, "preflight-blocked");
    const state = path.join(dir, "state.json");
    await emulator().clearRequestLog();
    const json = await runCli(["init", "--yes", "--output", "json", ...emulatorArgs(emulator(), "blocked", state)], { cwd: dir });
    assert.equal(json.code, 4, json.stderr);
    const doc = oneJsonDocument(json.stdout) as ResultDoc;
    assert.equal(doc.ok, false);
    assert.equal(doc.exitCode, 4);
    const byCode = new Map(doc.errors.map((e) => [e.code, e]));
    assert.deepEqual([...byCode.keys()].sort(), ["PREFLIGHT_QUOTA", "PREFLIGHT_ROLE_ASSIGNMENT_DENIED", "PREFLIGHT_VM_SIZE_UNAVAILABLE"]);
    const quota = byCode.get("PREFLIGHT_QUOTA");
    assert.match(quota?.message ?? "", /Machine Learning quota: .*compute cluster .*compute instance.* 12 standardDSv2Family vCPUs in eastus; 0 left/);
    assert.match(quota?.next ?? "", /request Machine Learning quota for standardDSv2Family vCPUs in eastus of at least 12 more/);
    const size = byCode.get("PREFLIGHT_VM_SIZE_UNAVAILABLE");
    assert.match(size?.message ?? "", /jump box .* Standard_D2s_v3, which is not available/);
    assert.match(size?.next ?? "", /--jumpbox-size; available in eastus with 2 vCPUs: Standard_\w+/);
    assert.doesNotMatch(size?.next ?? "", /Standard_D2s_v3,/, "the refused size is not offered as an alternative");
    const role = byCode.get("PREFLIGHT_ROLE_ASSIGNMENT_DENIED");
    assert.match(role?.message ?? "", /roleAssignments\/write.*\/subscriptions\/[^ ]+;/, "the group does not exist yet: checked at subscription scope");
    assert.match(role?.next ?? "", /User Access Administrator/);
    assert.equal(doc.counts.writes, 0);

    const text = await runCli(["init", "--yes", ...emulatorArgs(emulator(), "blocked", state)], { cwd: dir });
    assert.equal(text.code, 4);
    assert.match(text.stderr, /cannot take this deployment as asked; nothing was created\. 3 problems/);
    assert.equal((text.stderr.match(/\n {4}fix: /g) ?? []).length, 3, text.stderr);

    const log = await emulator().requestLog();
    assert.deepEqual(
      log.filter(isWrite).map((e) => `${e.method} ${e.path}`),
      [],
      "nothing written, nothing registered",
    );
    assert.ok(
      log.some((e) => /Microsoft\.Compute\/skus$/i.test(e.path)) && log.some((e) => /MachineLearningServices\/locations\/eastus\/usages$/i.test(e.path)),
      "read through the SKU and usage APIs",
    );
  });

  it("plan reports the same problems and exits 4; with sizes of other families only the role problem remains", async (t) => {
    const dir = await tempDir(t, "preflight-plan-blocked");
    const base = emulatorArgs(emulator(), "blocked2", path.join(dir, "state.json"));
    const result = await runCli(["plan", ...base], { cwd: dir });
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stdout, /\[PREFLIGHT_QUOTA\]/);
    assert.match(result.stdout, /Role assignments at \/subscriptions\/[^:]+: NOT allowed/);

    const fits = await runCli(
      ["plan", "--output", "json", "--jumpbox-size", "Standard_D2s_v5", "--cluster-vm-size", "Standard_D4s_v5", "--instance-vm-size", "Standard_D4s_v5", ...base],
      { cwd: dir },
    );
    const doc = oneJsonDocument(fits.stdout) as ResultDoc;
    assert.deepEqual(
      doc.errors.map((e) => e.code),
      ["PREFLIGHT_ROLE_ASSIGNMENT_DENIED"],
    );
    assert.equal(fits.code, 4);
  });
  it("a VM another step adds (--attached-vm) counts against the Compute quota, with its own size option in the fix", async (t) => {
    const dir = await tempDir(t, "preflight-attached-vm");
    const key = path.join(dir, "id_rsa");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await fs.writeFile(key, privateKey.export({ type: "pkcs1", format: "pem" }).toString(), { mode: 0o600 });
    const base = emulatorArgs(emulator(), "blocked3", path.join(dir, "state.json"));
    // Every size but the attached VM's (Standard_DS3_v2, standardDSv2Family: 0 left) fits.
    const sizes = ["--jumpbox-size", "Standard_D2s_v5", "--cluster-vm-size", "Standard_D4s_v5", "--instance-vm-size", "Standard_D4s_v5"];
    const result = await runCli(["plan", "--output", "json", ...sizes, "--attached-vm", "trainvm", "--attached-vm-ssh-key", key, ...base], { cwd: dir });
    assert.equal(result.code, 4, result.stderr);
    const doc = oneJsonDocument(result.stdout) as ResultDoc;
    const quota = doc.errors.find((e) => e.code === "PREFLIGHT_QUOTA");
    assert.match(quota?.message ?? "", /attached VM trainvm/);
    assert.match(quota?.message ?? "", /standardDSv2Family/);
    assert.doesNotMatch(quota?.message ?? "", /compute cluster|compute instance|jump box/, "only the VM whose family has no quota left");

    const fits = await runCli(["plan", "--output", "json", ...sizes, "--attached-vm", "trainvm", "--attached-vm-size", "Standard_D2s_v5", "--attached-vm-ssh-key", key, ...base], {
      cwd: dir,
    });
    const fitsDoc = oneJsonDocument(fits.stdout) as ResultDoc;
    assert.deepEqual(
      fitsDoc.errors.map((e) => e.code),
      ["PREFLIGHT_ROLE_ASSIGNMENT_DENIED"],
    );
  });
});

describe("a soft-deleted key vault in the way", () => {
  const emulator = emulatorForFile({ validateSpecs: true });

  it("is a problem with --key-vault-soft-deleted fail (the default), not with recover", async (t) => {
    const dir = await tempDir(t, "preflight-vault");
    const { credential, subscriptionId, clientOptions } = emulator();
    const [{ ResourceManagementClient }, { KeyVaultManagementClient }] = await Promise.all([import("@azure/arm-resources"), import("@azure/arm-keyvault")]);
    await new ResourceManagementClient(credential, subscriptionId, clientOptions).resourceGroups.createOrUpdate("rg-old", { location: "eastus" });
    const vaults = new KeyVaultManagementClient(credential, subscriptionId, clientOptions);
    await vaults.vaults.createOrUpdate(
      "rg-old",
      "kv-preflight-old",
      {
        location: "eastus",
        properties: { tenantId: "72f988bf-0000-4000-8000-00000000e111", sku: { family: "A", name: "standard" }, accessPolicies: [] },
      },
      { updateIntervalInMs: 5 },
    );
    await vaults.vaults.delete("rg-old", "kv-preflight-old");
    const base = ["plan", "--output", "json", "--key-vault", "kv-preflight-old", ...emulatorArgs(emulator(), "vault1", path.join(dir, "state.json"))];
    const blocked = await runCli(base, { cwd: dir });
    assert.equal(blocked.code, 4, blocked.stderr);
    const doc = oneJsonDocument(blocked.stdout) as ResultDoc;
    assert.deepEqual(
      doc.errors.map((e) => e.code),
      ["PREFLIGHT_SOFT_DELETED_KEY_VAULT"],
    );
    assert.match(doc.errors[0]?.next ?? "", /--key-vault-soft-deleted recover/);
    const recover = await runCli([...base, "--key-vault-soft-deleted", "recover"], { cwd: dir });
    assert.equal(recover.code, 0, recover.stderr);
  });
});

describe("--local meets the world saved in its data directory", () => {
  it("after `emulator --fresh-subscription --data .secure-aml/emulator`, `init --local --yes` registers, then builds", async (t) => {
    const dir = await tempDir(t, "preflight-local");
    const { startCli } = await import("./cli-init-fixture.js");
    const emulatorRun = startCli(["emulator", "--fresh-subscription", "--port", "0", "--data", path.join(dir, ".secure-aml", "emulator"), "--output", "json"], { cwd: dir });
    const { waitFor } = await import("./cli-init-fixture.js");
    await waitFor("the emulator's start-up line", () => emulatorRun.stdout().includes("\n"));
    emulatorRun.child.kill("SIGTERM");
    assert.equal((await emulatorRun.done).code, 0);

    const result = await runCli(["init", "--local", "--yes", "--output", "json"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /has not registered \d+ resource providers/);
    assert.equal((oneJsonDocument(result.stdout) as ResultDoc).ok, true);
  });
});
