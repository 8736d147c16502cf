// Interactive `destroy` in a real pseudo-terminal (issues 12 and 14): it lists what it will delete,
// takes the group's name, and then offers to purge the soft-deleted key vault it just deleted (this
// deployment's only), so that `init` with the same names works again.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { openState } from "../../src/engine/state.js";
import { managedTags } from "../../src/steps/common.js";
import { azureFor, testConfig } from "./steps-fixture.js";
import { answer, runInPty, screenTail, terminalEnv } from "./wizard-pty-fixture.js";

let emulator: TestEmulator;
let dir: string;

before(async () => {
  emulator = await startTestEmulator();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-destroy-pty-"));
});
after(async () => {
  await emulator?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

test("interactive destroy shows what it deletes, then offers to purge the vault it just soft-deleted", async (t) => {
  const config = testConfig(emulator.subscriptionId, { prefix: "dpty", deploymentId: "d0d0d0d0-1111-4222-8333-444444444444" });
  const azure = azureFor(emulator, config);
  await (await azure.resources()).resourceGroups.createOrUpdate(config.resourceGroup, { location: "eastus", tags: managedTags(config) });
  await (await azure.keyVault()).vaults.beginCreateOrUpdateAndWait(
    config.resourceGroup,
    config.keyVault,
    { location: "eastus", tags: managedTags(config), properties: { tenantId: "00000000-0000-0000-0000-000000000000", sku: { family: "A", name: "standard" } } },
    azure.lro(),
  );
  const statePath = path.join(dir, "state.json");
  const state = await openState(statePath, { create: true });
  state.setConfig(config);
  await state.update((s) => {
    s.meta = { deploymentId: config.deploymentId! };
  });
  await state.close();

  const report = await runInPty(t, {
    args: ["destroy", "--endpoint", emulator.endpoint, "--ca-cert", emulator.caCertPath, "--state", statePath],
    cwd: dir,
    env: terminalEnv(),
    steps: [
      { expect: `Microsoft\\.KeyVault/vaults ${config.keyVault}` },
      ...answer("Type the resource group's name", config.resourceGroup),
      ...answer(`Purge the soft-deleted key vault ${config.keyVault} now`, "y"),
    ],
    exitTimeoutSeconds: 120,
  });
  assert.equal(report.ok, true, `${report.error ?? ""}\n${screenTail(report)}`);
  assert.equal(report.exitCode, 0, screenTail(report));
  assert.match(report.text, new RegExp(`Purged \\(names free again\\): key vault ${config.keyVault}`));
  const deleted: string[] = [];
  for await (const v of (await azure.keyVault()).vaults.listDeleted()) deleted.push(v.name ?? "");
  assert.ok(!deleted.includes(config.keyVault), `purged (${deleted.join(", ")})`);
  assert.equal((await (await azure.resources()).resourceGroups.checkExistence(config.resourceGroup)).body, false);
});
