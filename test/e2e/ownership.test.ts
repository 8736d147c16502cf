// Ownership proven, not assumed (issue 12): destroy, destroy --purge, stop and start act only on what
// carries this deployment's id (tag secure-aml-deployment, the id kept in the state). Everything runs
// as the real CLI (subprocess) against the emulator; Azure is arranged through the real SDK clients.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import type { DeploymentConfig } from "../../src/config/types.js";
import type { AzureContext } from "../../src/azure/clients.js";
import { openState } from "../../src/engine/state.js";
import { DEPLOYMENT_TAG, MANAGED_TAGS, managedTags } from "../../src/steps/common.js";
import { azureFor, deploy, testConfig, testSecrets } from "./steps-fixture.js";
import { spawnCli, type CliRun } from "../helpers/cli.js";
import { idSet } from "../helpers/declared.js";

const WRITES = new Set(["PUT", "PATCH", "DELETE", "POST"]);

describe("ownership: only what carries this deployment's id is deleted, purged, stopped or started", () => {
  let emulator: TestEmulator;
  let dir: string;

  const cli = (args: string[], statePath: string): Promise<CliRun> =>
    spawnCli([...args, "--endpoint", emulator.endpoint, "--ca-cert", emulator.caCertPath, "--state", statePath, "--no-color"], {
      env: { PATH: process.env.PATH, CI: "1", NO_COLOR: "1" },
    });

  /** The state init writes: the configuration and the deployment id in meta. */
  const writeState = async (statePath: string, config: DeploymentConfig, deploymentId: string | undefined): Promise<void> => {
    const state = await openState(statePath, { create: true });
    state.setConfig(config);
    await state.update((s) => {
      if (deploymentId) s.meta = { ...(s.meta ?? {}), deploymentId };
    });
    await state.close();
  };
  const writesSince = async (mark: number): Promise<string[]> =>
    (await emulator.requestLog())
      .slice(mark)
      .filter((e) => WRITES.has(e.method) && !/checkNameAvailability/i.test(e.path))
      .map((e) => `${e.method} ${e.path}`);
  const groupExists = async (azure: AzureContext, name: string): Promise<boolean> => (await (await azure.resources()).resourceGroups.checkExistence(name)).body;
  const deletedVaultNames = async (azure: AzureContext): Promise<string[]> => {
    const names: string[] = [];
    for await (const v of (await azure.keyVault()).vaults.listDeleted()) names.push(v.name ?? "");
    return names;
  };

  before(async () => {
    emulator = await startTestEmulator();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-ownership-"));
  });
  after(async () => {
    await emulator?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("destroy without a state refuses a group someone tagged secure-aml=managed (no write), and --force shows what it deletes", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "forg" });
    const azure = azureFor(emulator, config);
    const resources = await azure.resources();
    await resources.resourceGroups.createOrUpdate("rg-foreign-tagged", { location: "eastus", tags: { ...MANAGED_TAGS } });
    await (await azure.network()).virtualNetworks.beginCreateOrUpdateAndWait(
      "rg-foreign-tagged",
      "their-vnet",
      { location: "eastus", addressSpace: { addressPrefixes: ["10.9.0.0/16"] } },
      azure.lro(),
    );
    const statePath = path.join(dir, "no-state.json");
    const mark = (await emulator.requestLog()).length;
    const refused = await cli(["destroy", "--yes", "--subscription", emulator.subscriptionId, "--resource-group", "rg-foreign-tagged"], statePath);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /NOT_CREATED_BY_SECURE_AML|Refusing to delete rg-foreign-tagged/);
    assert.match(refused.stderr, /their-vnet/, "the resources that are not ours are named");
    assert.match(refused.stderr, /--force/);
    assert.deepEqual(await writesSince(mark), [], "no write at all");
    assert.ok(await groupExists(azure, "rg-foreign-tagged"));

    const forced = await cli(["destroy", "--yes", "--force", "--subscription", emulator.subscriptionId, "--resource-group", "rg-foreign-tagged"], statePath);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr + forced.stdout, /their-vnet \(not created by this deployment\)/, "the list is shown with --force");
    assert.equal(await groupExists(azure, "rg-foreign-tagged"), false);
  });

  it("destroy refuses our group when it holds a resource without our id; --force deletes it after listing it", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "mixd", deploymentId: "11111111-2222-4333-8444-555555555555" });
    const azure = azureFor(emulator, config);
    await (await azure.resources()).resourceGroups.createOrUpdate(config.resourceGroup, { location: "eastus", tags: managedTags(config) });
    const network = await azure.network();
    await network.virtualNetworks.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      config.vnetName,
      { location: "eastus", tags: managedTags(config), addressSpace: { addressPrefixes: ["172.16.0.0/16"] } },
      azure.lro(),
    );
    // Someone else's resource, tagged with the generic tag only.
    await network.virtualNetworks.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      "intruder-vnet",
      { location: "eastus", tags: { ...MANAGED_TAGS }, addressSpace: { addressPrefixes: ["10.1.0.0/16"] } },
      azure.lro(),
    );
    const statePath = path.join(dir, "mixed.json");
    await writeState(statePath, config, config.deploymentId);
    const mark = (await emulator.requestLog()).length;
    const refused = await cli(["destroy", "--yes", "--output", "json"], statePath);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /intruder-vnet/);
    assert.doesNotMatch(refused.stderr, new RegExp(`${config.vnetName}[^-]`), "our own VNet is not listed as foreign");
    assert.deepEqual(await writesSince(mark), []);
    assert.ok(await groupExists(azure, config.resourceGroup));

    const forced = await cli(["destroy", "--yes", "--force", "--output", "json"], statePath);
    assert.equal(forced.code, 0, forced.stderr);
    const doc = JSON.parse(forced.stdout) as { details: { resourcesDeleted: string[]; deploymentId: string } };
    assert.equal(doc.details.deploymentId, config.deploymentId);
    assert.ok(
      doc.details.resourcesDeleted.some((l) => /intruder-vnet \(not created by this deployment\)/.test(l)),
      JSON.stringify(doc.details),
    );
    assert.ok(
      doc.details.resourcesDeleted.some((l) => l === `Microsoft.Network/virtualNetworks ${config.vnetName}`),
      JSON.stringify(doc.details),
    );
    assert.equal(await groupExists(azure, config.resourceGroup), false);
  });

  it("destroy --purge purges only the soft-deleted vault carrying our id, never another team's under the same group name", async () => {
    const ourId = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    const config = testConfig(emulator.subscriptionId, { prefix: "purg", deploymentId: ourId });
    const azure = azureFor(emulator, config);
    const resources = await azure.resources();
    const kv = await azure.keyVault();
    const tenantId = "00000000-0000-0000-0000-000000000000";
    const vault = async (name: string, tags: Record<string, string>) => {
      await kv.vaults.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        name,
        { location: "eastus", tags, properties: { tenantId, sku: { family: "A", name: "standard" } } },
        azure.lro(),
      );
    };
    // Another team's group of the same name, earlier: its vault is soft-deleted with its group.
    await resources.resourceGroups.createOrUpdate(config.resourceGroup, { location: "eastus", tags: { ...MANAGED_TAGS } });
    await vault("theirs-kv-purg", { ...MANAGED_TAGS, [DEPLOYMENT_TAG]: "99999999-9999-4999-8999-999999999999" });
    await vault("untagged-kv-purg", {});
    await resources.resourceGroups.beginDeleteAndWait(config.resourceGroup, azure.lro());
    // Our deployment in a group of that name.
    await resources.resourceGroups.createOrUpdate(config.resourceGroup, { location: "eastus", tags: managedTags(config) });
    await vault(config.keyVault, managedTags(config));
    const statePath = path.join(dir, "purge.json");
    await writeState(statePath, config, ourId);
    const before = await deletedVaultNames(azure);
    assert.ok(before.includes("theirs-kv-purg") && before.includes("untagged-kv-purg"), before.join(", "));

    const run = await cli(["destroy", "--yes", "--purge", "--output", "json"], statePath);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const doc = JSON.parse(run.stdout) as { details: { purged: string[]; notes: string[] } };
    assert.deepEqual(doc.details.purged, [`key vault ${config.keyVault}`]);
    assert.match(doc.details.notes.join("\n"), /theirs-kv-purg.*left alone/);
    const after = await deletedVaultNames(azure);
    assert.ok(after.includes("theirs-kv-purg"), "another deployment's vault is still recoverable");
    assert.ok(after.includes("untagged-kv-purg"), "an untagged vault is still recoverable");
    assert.ok(!after.includes(config.keyVault), "ours is purged");

    // With the group gone, a re-run still purges nothing foreign.
    const rerun = await cli(["destroy", "--yes", "--purge", "--output", "json"], statePath);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual((JSON.parse(rerun.stdout) as { details: { purged: string[] } }).details.purged, []);
    assert.ok((await deletedVaultNames(azure)).includes("theirs-kv-purg"));
  });

  it("stop and start touch only the jump box and compute instance carrying this deployment's id", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "powr", deploymentId: "12345678-1234-4234-8234-123456789abc" });
    const azure = azureFor(emulator, config);
    await deploy({ config, secrets: testSecrets, azure });
    const power = async () =>
      (await (await azure.compute()).virtualMachines.instanceView(config.resourceGroup, config.jumpboxName)).statuses?.map((s) => s.code).find((c) => c?.startsWith("PowerState/"));

    // A state of another deployment pointing at the same group: nothing of ours to stop.
    const otherState = path.join(dir, "power-other.json");
    await writeState(otherState, { ...config, deploymentId: undefined }, "00000000-1111-4111-8111-000000000000");
    const mark = (await emulator.requestLog()).length;
    const other = await cli(["stop", "--output", "json"], otherState);
    assert.equal(other.code, 0, other.stderr);
    const otherDoc = JSON.parse(other.stdout) as { details: { jumpboxes: string[]; computeInstances: string[]; leftAlone: string[] } };
    assert.deepEqual(otherDoc.details.jumpboxes, []);
    assert.deepEqual(otherDoc.details.computeInstances, []);
    assert.ok(otherDoc.details.leftAlone.includes(`virtual machine ${config.jumpboxName}`), JSON.stringify(otherDoc.details));
    assert.deepEqual(await writesSince(mark), [], "nothing was stopped");
    assert.equal(await power(), "PowerState/running");

    // No state at all: nothing is proven ours.
    const none = await cli(["stop", "--output", "json", "--subscription", emulator.subscriptionId, "--resource-group", config.resourceGroup], path.join(dir, "absent.json"));
    assert.equal(none.code, 0, none.stderr);
    assert.equal(await power(), "PowerState/running");

    // Our state: stopped, then started.
    const ours = path.join(dir, "power-ours.json");
    await writeState(ours, config, config.deploymentId);
    const stop = await cli(["stop", "--output", "json"], ours);
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual((JSON.parse(stop.stdout) as { details: { jumpboxes: string[] } }).details.jumpboxes, [config.jumpboxName]);
    assert.equal(await power(), "PowerState/deallocated");
    const start = await cli(["start"], ours);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(await power(), "PowerState/running");
  });

  it("init stamps its deployment id (kept in the state) on every resource it creates", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "stmp" });
    const statePath = path.join(dir, "stamp.json");
    const flags = ["--subscription", config.subscriptionId, "--resource-group", config.resourceGroup, "--location", "eastus", "--prefix", "stmp", "--no-bastion", "--no-jumpbox"];
    const run = await spawnCli(["init", ...flags, "--yes", "--output", "json", "--endpoint", emulator.endpoint, "--ca-cert", emulator.caCertPath, "--state", statePath], {
      env: { PATH: process.env.PATH, CI: "1", NO_COLOR: "1" },
    });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const state = JSON.parse(await fs.readFile(statePath, "utf8")) as { meta?: Record<string, string> };
    const id = state.meta?.deploymentId;
    assert.match(id ?? "", /^[0-9a-f-]{36}$/);
    const dump = await emulator.resources();
    // ARM's tracked resources (those with a location; they carry tags), whether or not they have tags now.
    const tracked = dump.value.filter((r) => r.resourceGroup?.toLowerCase() === config.resourceGroup.toLowerCase() && typeof r.body.location === "string");
    // They are what init reports (plus Azure's own NICs of private endpoints): nothing is left out of the check.
    const reported = idSet((JSON.parse(run.stdout) as { resources: Array<{ id: string }> }).resources);
    assert.deepEqual(
      tracked.filter((r) => !reported.includes(r.id.toLowerCase()) && !/\/networkInterfaces\/pe-.*\.nic\./i.test(r.id)).map((r) => r.id),
      [],
      "every tracked resource in the group is one init reports",
    );
    assert.ok(
      tracked.some((r) => /\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+$/i.test(r.id)),
      "the workspace is among them",
    );
    const unstamped = tracked.filter((r) => (r.body.tags as Record<string, string> | undefined)?.[DEPLOYMENT_TAG] !== id).map((r) => `${r.type} ${r.name}`);
    // Azure's own untagged NICs of private endpoints are ours through their endpoint (ownership.ts).
    assert.deepEqual(
      unstamped.filter((l) => !/networkInterfaces pe-.*\.nic\./.test(l)),
      [],
    );
    // A re-run keeps the same id.
    const again = JSON.parse(await fs.readFile(statePath, "utf8")) as { meta?: Record<string, string> };
    assert.equal(again.meta?.deploymentId, id);
  });
});
