// Day-two commands as subprocesses (`node bin/secure-aml.js <cmd> --endpoint ... --ca-cert ...`)
// against the emulator, on a deployment built by the step graph: status lists everything; verify is
// clean, then reports each of several tampers made through the SDK; stop/start change power states;
// destroy refuses a group secure-aml did not create (or holding what it did not create) and destroys ours with --purge.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import type { DeploymentConfig } from "../../src/config/types.js";
import type { AzureContext } from "../../src/azure/clients.js";
import { openState } from "../../src/engine/state.js";
import { dnsLinkName, jumpboxNicName, privateEndpointId, privateEndpointName, trainingNsgName } from "../../src/steps/common.js";
import { readerRoleDefinitionId, roleAssignmentName } from "../../src/steps/storage-endpoint-reader.js";
import { PRIVATE_LINK_SCOPE_API_VERSION } from "../../src/steps/monitor-private-link.js";
import { azureFor, deploy, testConfig, testSecrets } from "./steps-fixture.js";
import type { CheckId } from "../../src/audit/checks.js";
import { spawnCli, type CliRun } from "../helpers/cli.js";

function field(obj: unknown, ...keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

/** Every check verify has (a Record over the CheckId union: a new check fails to compile until listed here). */
const EVERY_CHECK: Record<CheckId, true> = {
  "public-network-access": true,
  "private-endpoint-present": true,
  "private-endpoint-approved": true,
  "private-endpoint-dns-zone-group": true,
  "private-dns-records": true,
  "private-dns-zone-link": true,
  "monitor-private-link-scope": true,
  "monitor-access-modes": true,
  "jumpbox-no-public-ip": true,
  "compute-no-public-ip": true,
  "compute-in-training-subnet": true,
  "storage-endpoint-reader": true,
  "image-build-compute": true,
  "training-nsg-rules": true,
  // Training page features (tampers: test/e2e/databricks.test.ts, which deploys them).
  "databricks-subnets": true,
  "databricks-workspace-injection": true,
  "restricted-outbound": true,
  // Tampered in test/e2e/attached-compute.test.ts (this deployment has no attached VM).
  "attached-compute-ssh": true,
};

describe("day-two commands against the emulator", () => {
  let emulator: TestEmulator;
  let config: DeploymentConfig;
  let azure: AzureContext;
  let dir: string;
  let statePath: string;
  /** Every resource the deployment owns (lower-case IDs, sorted). */
  let deployedIds: string[] = [];

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    spawnCli([...args, "--endpoint", emulator.endpoint, "--ca-cert", emulator.caCertPath, "--state", statePath], {
      env: { PATH: process.env.PATH, CI: "1", NO_COLOR: "1", ...env },
    });
  const json = (run: CliRun): Record<string, unknown> => {
    try {
      return JSON.parse(run.stdout) as Record<string, unknown>;
    } catch {
      throw new Error(`not one JSON document on stdout (exit ${run.code}):\n${run.stdout}\n--- stderr:\n${run.stderr}`);
    }
  };
  const flags = () => ["--subscription", config.subscriptionId, "--resource-group", config.resourceGroup];

  before(async () => {
    emulator = await startTestEmulator();
    config = testConfig(emulator.subscriptionId, { prefix: "dtwo", deploymentId: "0d7a0d7a-0d7a-40d7-80d7-0d7a0d7a0d7a" });
    azure = azureFor(emulator, config);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-daytwo-"));
    statePath = path.join(dir, "state.json");
    const run = await deploy({ config, secrets: testSecrets, azure });
    deployedIds = [...new Set(run.resources.map((r) => r.id.toLowerCase()))].sort();
    // The state file init would have written: the configuration and what each step created.
    const state = await openState(statePath, { create: true });
    state.setConfig(config);
    await state.update((s) => {
      s.meta = { ...(s.meta ?? {}), deploymentId: config.deploymentId! };
      for (const [id, result] of run.results) {
        s.steps[id] = {
          status: "done",
          attempts: 1,
          outputs: result.outputs ?? {},
          resources: result.resources,
          createdIds: result.resources.filter((r) => r.action === "created").map((r) => r.id),
        };
      }
    });
    await state.close();
  });
  after(async () => {
    await emulator?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("status lists every resource of the deployment, existing, with the compute instance and jump box running", async () => {
    const run = await cli(["status", "--output", "json"]);
    assert.equal(run.code, 0, run.stderr);
    const doc = json(run);
    const resources = field(doc, "details", "resources") as Array<{ id: string; exists: unknown; provisioningState?: string }>;
    const ids = new Set(resources.map((r) => r.id.toLowerCase()));
    for (const id of [
      `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}`,
      privateEndpointId(config, privateEndpointName(config.storageAccount, "blob")),
    ]) {
      assert.ok(ids.has(id.toLowerCase()), `status lists ${id}`);
    }
    // Exactly the deployment, plus the NIC Azure makes for each private endpoint ("<endpoint>.nic.<guid>").
    const endpointNic = /\/networkinterfaces\/pe-[^/]+\.nic\.[0-9a-f-]{36}$/;
    assert.deepEqual([...ids].filter((id) => !endpointNic.test(id)).sort(), deployedIds, "status lists exactly the resources of the deployment");
    assert.deepEqual(
      resources.filter((r) => r.exists !== true),
      [],
      "every recorded resource exists",
    );
    assert.equal(field(doc, "details", "missing"), 0);
    assert.deepEqual(field(doc, "details", "jumpboxes"), [{ name: config.jumpboxName, power: "running", running: true }]);
    const instances = field(doc, "details", "computeInstances") as Array<{ name: string; running: boolean }>;
    assert.deepEqual(
      instances.map((i) => [i.name, i.running]),
      [[config.computeInstance, true]],
    );
    const text = await cli(["status"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Jump box ${config.jumpboxName}: running`));
  });

  it("verify is clean on the deployment as built (exit 0)", async () => {
    const run = await cli(["verify", "--output", "json", ...flags()]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const doc = json(run);
    assert.deepEqual(field(doc, "details", "findings"), []);
    const checks = field(doc, "details", "checks") as Array<{ id: string; examined: number }>;
    assert.deepEqual(checks.map((c) => c.id).sort(), Object.keys(EVERY_CHECK).sort(), "verify ran every check");
    for (const id of [
      "public-network-access",
      "private-endpoint-approved",
      "private-dns-records",
      "private-dns-zone-link",
      "jumpbox-no-public-ip",
      "storage-endpoint-reader",
      "training-nsg-rules",
      "monitor-access-modes",
    ]) {
      assert.ok((checks.find((c) => c.id === id)?.examined ?? 0) > 0, `check ${id} looked at something`);
    }
  });

  it("verify reports each tamper made behind its back (exit 1)", async () => {
    const rg = config.resourceGroup;
    const network = await azure.network();
    // 1. storage public network access on
    await (await azure.storage()).storageAccounts.update(rg, config.storageAccount, { publicNetworkAccess: "Enabled" });
    // 2. a private DNS zone's VNet link deleted
    await (await azure.privateDns()).virtualNetworkLinks.beginDeleteAndWait(rg, "privatelink.vaultcore.azure.net", dnsLinkName(config), azure.lro());
    // 3. a private endpoint's DNS zone group deleted
    const registryPe = privateEndpointName(config.registry, "registry");
    await network.privateDnsZoneGroups.beginDeleteAndWait(rg, registryPe, "default", azure.lro());
    // 4. a public IP on the jump box's NIC
    const pip = await network.publicIPAddresses.beginCreateOrUpdateAndWait(
      rg,
      "tamper-pip",
      { location: config.location, sku: { name: "Standard" }, publicIPAllocationMethod: "Static" },
      azure.lro(),
    );
    const nic = await network.networkInterfaces.get(rg, jumpboxNicName(config));
    nic.ipConfigurations![0]!.publicIPAddress = { id: pip.id };
    await network.networkInterfaces.beginCreateOrUpdateAndWait(rg, jumpboxNicName(config), nic, azure.lro());
    // 5. Azure Monitor private link scope ingestion Open
    const scopeId = `/subscriptions/${config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Insights/privateLinkScopes/${config.privateLinkScope}`;
    await (await azure.resources()).resources.beginCreateOrUpdateByIdAndWait(
      scopeId,
      PRIVATE_LINK_SCOPE_API_VERSION,
      { location: "global", properties: { accessModeSettings: { ingestionAccessMode: "Open", queryAccessMode: "PrivateOnly", exclusions: [] } } },
      azure.lro(),
    );
    // 6. the Reader assignment on the file endpoint deleted
    const ws = await (await azure.machineLearning()).workspaces.get(rg, config.workspace);
    const fileScope = privateEndpointId(config, privateEndpointName(config.storageAccount, "file"));
    await (await azure.authorization()).roleAssignments.delete(fileScope, roleAssignmentName(fileScope, ws.identity!.principalId!, readerRoleDefinitionId(config.subscriptionId)));
    // 7. a rule on the Training subnet's NSG denying 44224
    await network.securityRules.beginCreateOrUpdateAndWait(
      rg,
      trainingNsgName(config),
      "DenyAml44224",
      {
        priority: 105,
        direction: "Inbound",
        access: "Deny",
        protocol: "Tcp",
        sourceAddressPrefix: "*",
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "44224",
      },
      azure.lro(),
    );

    const run = await cli(["verify", "--output", "json", ...flags()]);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    const findings = field(json(run), "details", "findings") as Array<{ check: string; resource: string; name: string; problem: string; why: string; fix: string }>;
    const about = (check: string, resourcePart: string) => findings.filter((f) => f.check === check && f.resource.toLowerCase().includes(resourcePart.toLowerCase()));
    assert.equal(about("public-network-access", config.storageAccount).length, 1, "storage public access");
    assert.equal(about("private-dns-zone-link", "privatelink.vaultcore.azure.net").length, 1, "zone link deleted");
    assert.equal(about("private-endpoint-dns-zone-group", registryPe).length, 1, "zone group deleted");
    assert.equal(about("jumpbox-no-public-ip", config.jumpboxName).length, 1, "public IP on the jump box");
    assert.equal(about("monitor-access-modes", config.privateLinkScope).length, 1, "AMPLS access mode Open");
    assert.equal(about("storage-endpoint-reader", privateEndpointName(config.storageAccount, "file")).length, 1, "Reader deleted");
    const nsg = about("training-nsg-rules", trainingNsgName(config));
    assert.equal(nsg.length, 1, "NSG denying 44224");
    assert.match(nsg[0]!.problem, /44224/);
    assert.match(nsg[0]!.problem, /DenyAml44224/);
    // Nothing else was reported: the untouched parts stay clean.
    assert.equal(findings.length, 7, JSON.stringify(findings, null, 2));
    for (const f of findings) {
      for (const key of ["resource", "problem", "why", "fix"] as const) assert.ok(f[key].length > 0, `${f.check} has ${key}`);
      assert.match(f.fix, /secure-aml init/, "the group is secure-aml's, so init is offered as the fix");
    }
    const text = await cli(["verify", ...flags()]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /7 findings/);
  });

  it("stop deallocates the jump box and stops the compute instance; start brings them back", async () => {
    const rg = config.resourceGroup;
    const stop = await cli(["stop", "--output", "json"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(JSON.stringify(field(json(stop), "details", "notes")), /scales to zero/);
    const compute = await azure.compute();
    const power = async () => (await compute.virtualMachines.instanceView(rg, config.jumpboxName)).statuses?.map((s) => s.code).find((c) => c?.startsWith("PowerState/"));
    const instanceState = async () =>
      field((await (await azure.machineLearning()).computeOperations.get(rg, config.workspace, config.computeInstance)).properties, "properties", "state");
    assert.equal(await power(), "PowerState/deallocated");
    assert.equal(await instanceState(), "Stopped");
    const again = await cli(["stop"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /cpu-cluster already scales to zero/);
    const start = await cli(["start"]);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(await power(), "PowerState/running");
    assert.equal(await instanceState(), "Running");
  });

  it("destroy refuses a resource group secure-aml did not create, and needs --yes without a terminal", async () => {
    const resources = await azure.resources();
    await resources.resourceGroups.createOrUpdate("rg-not-ours", { location: "eastus" });
    const refused = await cli(["destroy", "--yes", "--subscription", config.subscriptionId, "--resource-group", "rg-not-ours"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--force/);
    assert.ok(await resources.resourceGroups.checkExistence("rg-not-ours").then((r) => r.body), "the foreign group is still there");

    const noYes = await cli(["destroy"]);
    assert.equal(noYes.code, 2);
    assert.match(noYes.stderr, /--yes/);
    assert.ok((await resources.resourceGroups.checkExistence(config.resourceGroup)).body);
  });

  it("destroy --yes --purge deletes our group, purges the key vault and marks the state; a re-run is a no-op success", async (t) => {
    // The verify test left a public IP someone else created (no deployment id): refused until --force.
    const refused = await cli(["destroy", "--yes", "--purge", "--output", "json"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /tamper-pip/);
    const run = await cli(["destroy", "--yes", "--purge", "--force", "--output", "json"]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const purged = field(json(run), "details", "purged") as string[];
    t.diagnostic(`purged: ${purged.join("; ")} | left behind: ${JSON.stringify(field(json(run), "details", "leftBehind"))}`);
    assert.ok(purged.includes(`key vault ${config.keyVault}`), JSON.stringify(field(json(run), "details")));
    const resources = await azure.resources();
    assert.equal((await resources.resourceGroups.checkExistence(config.resourceGroup)).body, false);
    const deletedVaults: string[] = [];
    for await (const v of (await azure.keyVault()).vaults.listDeleted()) deletedVaults.push(v.name ?? "");
    assert.ok(!deletedVaults.includes(config.keyVault), `no soft-deleted ${config.keyVault} left (${deletedVaults.join(", ")})`);
    const state = JSON.parse(await fs.readFile(statePath, "utf8")) as { meta?: Record<string, string> };
    assert.ok(state.meta?.destroyedAt, "state marked destroyed");
    const rerun = await cli(["destroy", "--yes"]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /does not exist/);
  });
});
