// Ctrl-C as the renderers show it: steps stopped by the interrupt are "interrupted" (not red failures),
// steps not started because of it are not listed one by one, and the host says which steps are running
// (what the first Ctrl-C waits for). Also: the az CLI's current subscription read from its profile file,
// and `init`'s saved answers used as defaults only for the deployment the state file records.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { EngineEvent } from "../../src/engine/types.js";
import type { ErrorInfo } from "../../src/errors.js";
import { createIoHost } from "../../src/ui/renderers.js";
import { renderSummary } from "../../src/ui/summary.js";
import { azCliDefaultSubscription } from "../../src/commands/wizard-deps.js";
import { otherStatePath, resumeDefaults } from "../../src/commands/init-resume.js";
import { FIELDS } from "../../src/config/fields.js";
import type { DeploymentConfig } from "../../src/config/types.js";

class Capture extends Writable {
  chunks: string[] = [];
  columns = 120;
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
  cursorTo(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
  get text(): string {
    return this.chunks.join("").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  }
}

const INTERRUPTED: ErrorInfo = { code: "INTERRUPTED", message: "The run was interrupted; the state file records how far it got." };

function interruptedRun(): EngineEvent[] {
  return [
    { type: "step-start", id: "network", title: "Virtual network and subnets", attempt: 1 },
    { type: "step-start", id: "storage", title: "Storage account", attempt: 1 },
    { type: "step-failed", id: "network", title: "Virtual network and subnets", durationMs: 1500, error: INTERRUPTED },
    { type: "step-skip", id: "bastion", title: "Azure Bastion", reason: 'dependency "network" interrupted' },
    { type: "step-failed", id: "storage", title: "Storage account", durationMs: 900, error: { code: "ARM_ERROR", armCode: "StorageAccountAlreadyTaken", message: "taken" } },
  ];
}

for (const tty of [true, false]) {
  test(`${tty ? "tty" : "plain"} renderer: an interrupted step is shown as interrupted, a real failure still as failed`, async () => {
    const stderr = new Capture(tty);
    const host = await createIoHost({ output: "text", color: tty, isTTY: tty, ci: false, stderr, stdout: new Capture(), interactive: false });
    const events = interruptedRun();
    for (const e of events.slice(0, 2)) host.notify(e);
    assert.deepEqual(host.running(), ["Virtual network and subnets", "Storage account"], "what the first Ctrl-C waits for");
    for (const e of events.slice(2)) host.notify(e);
    assert.deepEqual(host.running(), []);
    host.close();
    const text = stderr.text;
    if (tty) {
      assert.match(text, /■ Virtual network and subnets interrupted after 1\.5s — the next run picks it up/);
      assert.doesNotMatch(text, /✖ Virtual network/);
      assert.doesNotMatch(text, /Azure Bastion/, "steps not started because of Ctrl-C are not listed one by one");
      assert.match(text, /✖ Storage account failed/);
    } else {
      assert.match(text, /intr\s+Virtual network and subnets: interrupted after 1\.5s; the next run picks it up/);
      assert.doesNotMatch(text, /FAILED\s+Virtual network/);
      assert.match(text, /FAILED\s+Storage account failed/);
    }
  });
}

function config(extra: Partial<DeploymentConfig> = {}): DeploymentConfig {
  const c: Record<string, unknown> = { subscriptionId: "00000000-0000-0000-0000-0000000000aa", location: "eastus", prefix: "demo", ...extra };
  for (let pass = 0; pass < 3; pass++) for (const f of FIELDS) if (c[f.key] === undefined && f.derive) c[f.key] = f.derive(c as Partial<DeploymentConfig>);
  return c as unknown as DeploymentConfig;
}

test("the end of a run: what changed and what to do next, not the plan; the password wording follows where it came from", () => {
  const c = config();
  const rg = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}`;
  const resources = [
    { id: rg, kind: "Microsoft.Resources/resourceGroups", name: c.resourceGroup, action: "unchanged" as const },
    { id: `${rg}/providers/Microsoft.Network/virtualNetworks/${c.vnetName}`, kind: "Microsoft.Network/virtualNetworks", name: c.vnetName, action: "created" as const },
    { id: `${rg}/providers/Microsoft.Network/bastionHosts/${c.bastionName}`, kind: "Microsoft.Network/bastionHosts", name: c.bastionName, action: "created" as const },
  ];
  const typed = renderSummary({ config: c, resources, passwordGenerated: false, cost: { currency: "USD", monthly: 600, stopSavesMonthly: 350 } });
  assert.match(typed, /What changed:\n\s+Virtual network and its subnets\s+1 created\n\s+Remote access\s+1 created\n\s+\(1 other resource already as wanted\)/);
  assert.match(typed, /Next:\n\s+secure-aml status/);
  assert.match(typed, /with the password you chose/);
  assert.doesNotMatch(typed, /generated/);
  assert.match(typed, /About \$600\.00\/month with everything running; stopping saves about \$350\.00\/month/);
  assert.doesNotMatch(typed, new RegExp(`created\\s+virtualNetworks\\s+${c.vnetName}`), "resources are not listed again one by one");
  const generated = renderSummary({ config: c, resources, passwordGenerated: true, local: true });
  assert.match(generated, /generated for this run/);
  assert.doesNotMatch(generated, /month/, "no cost for the local emulator");
  const unchanged = renderSummary({ config: c, resources: resources.map((r) => ({ ...r, action: "unchanged" as const })) });
  assert.match(unchanged, /Nothing changed: all 3 resources were already as wanted\./);
});

test("the az CLI's current subscription comes from azureProfile.json (AZURE_CONFIG_DIR or ~/.azure), never from running az", async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-az-"));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const profile = {
    installationId: "x",
    subscriptions: [
      { id: "11111111-1111-1111-1111-111111111111", isDefault: false },
      { id: "22222222-2222-2222-2222-222222222222", isDefault: true },
    ],
  };
  // az writes the file with a byte-order mark.
  await fs.writeFile(path.join(dir, "azureProfile.json"), "\uFEFF" + JSON.stringify(profile));
  assert.equal(azCliDefaultSubscription({ AZURE_CONFIG_DIR: dir }), "22222222-2222-2222-2222-222222222222");
  await fs.mkdir(path.join(dir, "home", ".azure"), { recursive: true });
  await fs.writeFile(path.join(dir, "home", ".azure", "azureProfile.json"), JSON.stringify({ subscriptions: [{ id: "33333333-3333-3333-3333-333333333333", isDefault: true }] }));
  assert.equal(azCliDefaultSubscription({ HOME: path.join(dir, "home") }), "33333333-3333-3333-3333-333333333333");
  assert.equal(azCliDefaultSubscription({ AZURE_CONFIG_DIR: path.join(dir, "nowhere") }), undefined);
});

test("init's saved answers are defaults only for the deployment the state records", async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-resume-"));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const statePath = path.join(dir, "state.json");
  const saved = config({ resourceGroup: "custom-group", vnetAddressSpace: "10.30.0.0/16" });
  const now = new Date().toISOString();
  await fs.writeFile(statePath, JSON.stringify({ schemaVersion: 1, createdAt: now, updatedAt: now, config: saved, steps: {}, meta: { local: "false" } }));
  const base = { flags: {}, env: {} };
  const same = await resumeDefaults(statePath, base);
  assert.equal(same?.resourceGroup, "custom-group");
  assert.equal(same?.vnetAddressSpace, "10.30.0.0/16");
  assert.equal((await resumeDefaults(statePath, { flags: { resourceGroup: "custom-group" }, env: {} }))?.prefix, "demo", "the same group named again: still this deployment");
  assert.equal(await resumeDefaults(statePath, { flags: { resourceGroup: "another-group" }, env: {} }), undefined, "another group: a different deployment");
  assert.equal(await resumeDefaults(statePath, { flags: {}, env: { SECURE_AML_PREFIX: "other" } }), undefined, "another prefix: a different deployment");
  assert.equal(await resumeDefaults(statePath, base, true), undefined, "a deployment on Azure is not resumed in the local emulator");
  assert.equal(await resumeDefaults(path.join(dir, "missing.json"), base), undefined);
  assert.equal(otherStatePath(".secure-aml/state.json", "My_Group"), ".secure-aml/state-my_group.json");
});
