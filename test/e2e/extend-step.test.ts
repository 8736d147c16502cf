// Issue 17, kept as a test: extending secure-aml touches the step file, its line in the step table and
// the emulator provider only. Here, with nothing registered anywhere else:
// - a new step, `badge`, whose resource is of an ARM type secure-aml has never seen (Microsoft.StepTest/badges,
//   served by the test-only provider test/helpers/step-test-provider.ts), written through the generic
//   resources client (genericKind + genericSpec);
// - a copy of the real network step with one more resource of a type already used (an NSG);
// - a step table of its own (resource-group, the network copy, badge).
// It then goes through what a deployment goes through: plan (and preflight, which finds the new
// namespace in the plan), init (the real runSteps, the real SDK clients, a state file), the steps'
// declared writes against their expectedSeconds and what was sent, a converged rerun with 0 writes, drift
// repaired, status (the new type read generically, with its provisioning state) and destroy.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { NetworkSecurityGroup } from "@azure/arm-network";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { spawnCli } from "../helpers/cli.js";
import { STEP_TEST_API_VERSION, STEP_TEST_TYPE } from "../helpers/step-test-provider.js";
import { azureFor, recordingIo, testConfig, testSecrets } from "./steps-fixture.js";
import { declaredWrites, isDeclared, labelsOf, secondsOf } from "./declared-writes.js";
import type { AzureContext } from "../../src/azure/clients.js";
import type { DeploymentConfig } from "../../src/config/types.js";
import type { Step } from "../../src/engine/types.js";
import { openState, type StateHandle } from "../../src/engine/state.js";
import { planSteps, runSteps, type RunSummary } from "../../src/engine/engine.js";
import { runPreflightChecks } from "../../src/preflight/index.js";
import { readResourceStatus } from "../../src/audit/resource-status.js";
import { declareStep } from "../../src/resources/reconcile.js";
import { arm, changesOf, differs, type ResourceSpec } from "../../src/resources/spec.js";
import { genericSpec } from "../../src/resources/factories/generic.js";
import * as kinds from "../../src/resources/kinds/index.js";
import { placed, resourceId } from "../../src/steps/common.js";
import { networkStep } from "../../src/steps/network.js";
import { resourceGroupStep } from "../../src/steps/resource-group.js";
import type { AzureStepContext, StepContext } from "../../src/steps/index.js";
import { chained, writeSeconds } from "../../src/durations.js";

// ---------- what a newcomer writes: the step file ----------

const badgeKind = kinds.genericKind(STEP_TEST_TYPE, STEP_TEST_API_VERSION);
const badgeName = (config: DeploymentConfig): string => `${config.prefix}-badge`;
const badgeId = (config: DeploymentConfig): string => resourceId(config, "Microsoft.StepTest", "badges", badgeName(config));
const COLOR = "teal";

const badgeStep = declareStep<AzureStepContext>({
  id: "badge",
  title: "Badge (an ARM type new to secure-aml)",
  dependsOn: ["resource-group"],
  expectedSeconds: writeSeconds(STEP_TEST_TYPE),
  resources: ({ config, azure }) => [
    genericSpec(badgeKind, azure, {
      id: badgeId(config),
      name: badgeName(config),
      group: "global",
      body: (existing) => ({ ...(existing ?? placed(config)), properties: { ...(existing?.properties ?? {}), color: COLOR } }),
      diff: (badge) => changesOf(differs("properties.color", kinds.stringAt(badge, "properties", "color"), COLOR)),
    }),
  ],
  outputs: ({ config }) => ({ badgeId: badgeId(config) }),
});

// ---------- an extra resource of a type already used, on a copy of an existing step ----------

const extraNsgName = (config: DeploymentConfig): string => `${config.vnetName}-extra-nsg`;

function extraNsgSpec({ config, azure }: AzureStepContext): ResourceSpec<NetworkSecurityGroup> {
  const name = extraNsgName(config);
  return {
    ...arm(kinds.networkSecurityGroup, azure, resourceId(config, "Microsoft.Network", "networkSecurityGroups", name), name, "network"),
    diff: () => [],
    create: async () => (await azure.network()).networkSecurityGroups.beginCreateOrUpdateAndWait(config.resourceGroup, name, placed(config), azure.lro()),
  };
}

const networkWithExtraNsg = declareStep<AzureStepContext>({
  ...networkStep,
  expectedSeconds: chained(writeSeconds("Microsoft.Network/virtualNetworks"), writeSeconds("Microsoft.Network/networkSecurityGroups")),
  resources: async (ctx, deps) => [...(await networkStep.resources(ctx, deps)), extraNsgSpec(ctx)],
});

// ---------- the step table ----------

const TABLE: Array<Step<StepContext>> = [resourceGroupStep, networkWithExtraNsg, badgeStep];

// ---------- the deployment's life ----------

describe("a new step with a new ARM type, and an extra resource on an existing step, with no other registration", () => {
  let emulator: TestEmulator;
  let dir: string;
  let statePath: string;
  let config: DeploymentConfig;
  let azure: AzureContext;
  let ctx: StepContext;

  const init = async (): Promise<RunSummary> => {
    const state = await openState(statePath, { create: true });
    try {
      return await runSteps(TABLE, ctx, { concurrency: 4, io: recordingIo(), state, retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 200 } });
    } finally {
      await state.close();
    }
  };
  const writesSent = async (): Promise<string[]> =>
    (await emulator.requestLog()).filter((entry) => entry.class === "write" && entry.status > 0 && entry.status < 400).map((entry) => `${entry.method} ${entry.path}`);
  const cli = (args: string[]) =>
    spawnCli([...args, "--output", "json", "--endpoint", emulator.endpoint, "--ca-cert", emulator.caCertPath, "--state", statePath], {
      env: { PATH: process.env.PATH, CI: "1", NO_COLOR: "1" },
    });

  before(async () => {
    emulator = await startTestEmulator({ testProvider: true, validateSpecs: true });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-extend-"));
    statePath = path.join(dir, "state.json");
    config = testConfig(emulator.subscriptionId, { prefix: "ext", deploymentId: "0e170e17-0e17-40e1-80e1-0e170e170e17" });
    azure = azureFor(emulator, config);
    ctx = { config, secrets: testSecrets, azure };
    // What init records before its first step: the configuration and the deployment's id.
    const state: StateHandle = await openState(statePath, { create: true });
    state.setConfig(config);
    await state.update((s) => {
      s.meta = { ...(s.meta ?? {}), deploymentId: config.deploymentId ?? "" };
    });
    await state.close();
  });
  after(async () => {
    await emulator?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("plan shows both new resources for creation, and preflight finds the new namespace in the plan", async () => {
    const plan = await planSteps(TABLE, ctx, { io: recordingIo() });
    const planned = plan.resources.map((r) => `${r.action} ${r.kind} ${r.name}`);
    assert.ok(planned.includes(`create ${STEP_TEST_TYPE} ${badgeName(config)}`), planned.join("\n"));
    assert.ok(planned.includes(`create Microsoft.Network/networkSecurityGroups ${extraNsgName(config)}`), planned.join("\n"));
    const report = await runPreflightChecks({ azure, config, plan });
    assert.deepEqual(report.problems, []);
    const stepTest = report.providers.find((p) => p.namespace === "Microsoft.StepTest");
    assert.deepEqual(stepTest?.neededBy, ["badge"], JSON.stringify(report.providers));
  });

  it("each step's declared writes add up to its expectedSeconds, and init sends exactly them", async () => {
    const state = await openState(statePath, { create: true });
    const declared: string[] = [];
    try {
      for (const step of TABLE) {
        assert.ok(isDeclared(step), `${step.id} is declared`);
        const writes = await declaredWrites(step, ctx, state);
        assert.equal(step.expectedSeconds, secondsOf(writes), `${step.id}: ${labelsOf(writes).join("; ")}`);
        declared.push(...labelsOf(writes));
      }
    } finally {
      await state.close();
    }
    assert.ok(declared.includes(`create ${STEP_TEST_TYPE}`), declared.join("; "));

    await emulator.clearRequestLog();
    const summary = await init();
    assert.equal(summary.status, "succeeded", `${summary.error?.code ?? ""} ${summary.error?.message ?? ""}`);
    const created = summary.resources.filter((r) => r.action === "created").map((r) => `${r.kind} ${r.name}`);
    assert.ok(created.includes(`${STEP_TEST_TYPE} ${badgeName(config)}`), created.join("\n"));
    assert.ok(created.includes(`Microsoft.Network/networkSecurityGroups ${extraNsgName(config)}`), created.join("\n"));
    assert.equal((await writesSent()).length, declared.length, (await writesSent()).join("\n"));

    const badge = await (await azure.resources()).resources.getById(badgeId(config), STEP_TEST_API_VERSION);
    assert.equal(kinds.stringAt(badge, "properties", "color"), COLOR);
    assert.equal(kinds.stringAt(badge, "properties", "provisioningState"), "Succeeded");
    assert.equal(badge.tags?.["secure-aml-deployment"], config.deploymentId, "tagged as this deployment's");
  });

  it("a converged rerun sends 0 writes; drift on the new type is repaired by one write", async () => {
    await emulator.clearRequestLog();
    const again = await init();
    assert.equal(again.status, "succeeded");
    assert.deepEqual([...new Set(again.resources.map((r) => r.action))], ["unchanged"]);
    assert.deepEqual(await writesSent(), []);

    const resources = await azure.resources();
    const badge = await resources.resources.getById(badgeId(config), STEP_TEST_API_VERSION);
    await resources.resources.beginCreateOrUpdateByIdAndWait(badgeId(config), STEP_TEST_API_VERSION, { ...badge, properties: { color: "grey" } }, azure.lro());
    const plan = await planSteps(TABLE, ctx, { io: recordingIo(), only: ["badge"] });
    assert.deepEqual(
      plan.resources.map((r) => [r.action, r.changes?.map((c) => c.field)]),
      [["update", ["properties.color"]]],
    );
    await emulator.clearRequestLog();
    const repaired = await init();
    assert.deepEqual(
      repaired.resources.filter((r) => r.action !== "unchanged").map((r) => `${r.action} ${r.name}`),
      [`updated ${badgeName(config)}`],
    );
    assert.equal((await writesSent()).length, 1);
  });

  it("status reads the new type with no kind registered: it exists, with its provisioning state", async () => {
    const direct = await readResourceStatus(azure, { id: badgeId(config), kind: STEP_TEST_TYPE }, new Set());
    assert.equal(direct.exists, true);
    assert.equal(direct.provisioningState, "Succeeded", "read by ID, not only found in the group's list");

    const run = await cli(["status"]);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as { resources: Array<{ id: string; action: string }> };
    const shown = doc.resources.find((r) => r.id.toLowerCase() === badgeId(config).toLowerCase());
    assert.equal(shown?.action, "unchanged", run.stdout);

    const absent = await readResourceStatus(azure, { id: `${badgeId(config)}-missing`, kind: STEP_TEST_TYPE }, new Set());
    assert.equal(absent.exists, false);
  });

  it("destroy deletes the group with the new resources (they carry the deployment's tag)", async () => {
    const run = await cli(["destroy", "--yes"]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal((await (await azure.resources()).resourceGroups.checkExistence(config.resourceGroup)).body, false);
  });
});
