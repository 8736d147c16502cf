// Shared by the step end-to-end tests: a deployment config for the emulator, an AzureContext whose
// real SDK clients talk to it, and `deploy`, which runs the step graph through the real engine
// (runSteps) with an in-memory state and a recording IoHost — no second engine, no own retry loop.

import type { DeploymentConfig, Secrets } from "../../src/config/types.js";
import type { EngineEvent, IoHost, ResourceOutcome, StepResult } from "../../src/engine/types.js";
import { runSteps, type RunSummary } from "../../src/engine/engine.js";
import { STATE_SCHEMA_VERSION, StateHandle } from "../../src/engine/state.js";
import { SecureAmlError } from "../../src/errors.js";
import { createAzureContext, type AzureContext } from "../../src/azure/clients.js";
import { createStaticTestCredential } from "../../src/azure/credential.js";
import { stepsFor, type StepContext } from "../../src/steps/index.js";
import type { TestEmulator } from "../helpers/emulator.js";

export function testConfig(subscriptionId: string, overrides: Partial<DeploymentConfig> = {}): DeploymentConfig {
  const suffix = overrides.prefix ?? "e2e";
  return {
    cloud: "AzureCloud",
    subscriptionId,
    resourceGroup: `rg-${suffix}`,
    location: "eastus",
    prefix: suffix,
    vnetName: `${suffix}-vnet`,
    vnetAddressSpace: "172.16.0.0/16",
    trainingSubnet: "172.16.0.0/24",
    scoringSubnet: "172.16.1.0/24",
    bastionSubnet: "172.16.2.0/26",
    storageAccount: `${suffix}stor7q2x`,
    keyVault: `${suffix}-kv-7q2x`,
    registry: `${suffix}acr7q2x`,
    workspace: `${suffix}-ws`,
    logAnalyticsWorkspace: `${suffix}-logs`,
    appInsights: `${suffix}-appi`,
    privateLinkScope: `${suffix}-ampls`,
    bastionName: `${suffix}-bastion`,
    bastionPublicIp: `${suffix}-bastion-ip`,
    jumpbox: true,
    jumpboxName: `${suffix}-jump`,
    jumpboxAdmin: "azureuser",
    jumpboxSize: "Standard_DS3_v2",
    jumpboxShutdownTime: "1900",
    jumpboxShutdownTimeZone: "UTC",
    bastion: true,
    computeCluster: "cpu-cluster",
    clusterVmSize: "Standard_DS3_v2",
    clusterMinNodes: 0,
    clusterMaxNodes: 4,
    computeInstance: `${suffix}-ci-7q2x`,
    instanceVmSize: "Standard_DS3_v2",
    computeInstanceUser: "00000000-0000-4000-8000-0000000000a1",
    batchEndpoints: false,
    trainingNsg: true,
    restrictOutbound: false,
    databricks: false,
    defaultSubnet: "172.16.8.0/24",
    databricksPublicSubnet: "172.16.9.0/24",
    databricksPrivateSubnet: "172.16.10.0/24",
    keyVaultSoftDeleted: "fail",
    ...overrides,
  };
}

export const testSecrets: Secrets = { jumpboxPassword: "Correct-Horse-Battery-9" };

export function azureFor(emulator: TestEmulator, config: DeploymentConfig): AzureContext {
  return createAzureContext({
    subscriptionId: config.subscriptionId,
    endpoint: emulator.endpoint,
    caCertPem: emulator.caCert,
    credential: createStaticTestCredential(emulator.endpoint),
    cloud: config.cloud,
    pollIntervalMs: 5,
  });
}

export interface RunResult {
  summary: RunSummary;
  /** Each finished step's resources and outputs, by step id. */
  results: Map<string, StepResult>;
  resources: ResourceOutcome[];
  /** "<step>: <message>" for every step-progress event. */
  progress: string[];
  events: EngineEvent[];
}

/** An IoHost that records what the engine tells it and refuses every question (no person here). */
export function recordingIo(): IoHost & { events: EngineEvent[] } {
  const events: EngineEvent[] = [];
  return {
    events,
    notify: (event) => events.push(event),
    request: (question) => Promise.reject(new SecureAmlError("NON_INTERACTIVE", `no person to answer ${question.id}`)),
  };
}

/** An in-memory state (no file), as a deployment's first run sees it. */
export function inMemoryState(): StateHandle {
  const now = new Date().toISOString();
  return new StateHandle(undefined, { schemaVersion: STATE_SCHEMA_VERSION, createdAt: now, updatedAt: now, config: {}, steps: {} }, undefined);
}

/** One state per deployment (subscription + group), carried from run to run like the CLI's state file. */
const states = new Map<string, StateHandle>();

export function stateOf(config: DeploymentConfig): StateHandle {
  const key = `${config.subscriptionId}/${config.resourceGroup}`.toLowerCase();
  let state = states.get(key);
  if (!state) {
    state = inMemoryState();
    states.set(key, state);
  }
  return state;
}

/**
 * Runs the deployment's steps through the real engine (runSteps: its scheduler, retries, mutexes,
 * outputs and state), with short retry delays. A failed run rejects with the first failure's error.
 * `only`: run just these steps (their dependencies must have run in an earlier call).
 */
export async function deploy(ctx: StepContext, only?: string[]): Promise<RunResult> {
  const io = recordingIo();
  const summary = await runSteps(stepsFor(ctx.config), ctx, {
    concurrency: 4,
    io,
    state: stateOf(ctx.config),
    retry: { attempts: 5, baseDelayMs: 20, maxDelayMs: 500 },
    ...(only ? { only } : {}),
  });
  if (summary.status !== "succeeded") {
    const error = summary.error;
    throw new SecureAmlError(error?.code ?? "STEP_FAILED", `${summary.failedStep ?? "run"}: ${error?.message ?? summary.status}`);
  }
  const results = new Map<string, StepResult>(summary.steps.filter((s) => s.status === "done").map((s) => [s.id, { resources: s.resources, outputs: s.outputs }]));
  const progress = io.events.flatMap((e) => (e.type === "step-progress" ? [`${e.id}: ${e.message}`] : []));
  return { summary, results, resources: summary.resources, progress, events: io.events };
}
