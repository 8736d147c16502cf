// Shared by the step end-to-end tests: a deployment config for the emulator, an AzureContext whose
// real SDK clients talk to it, and a small in-order runner of the step graph (the engine's own
// tests cover parallelism and state; these tests cover what the steps do to Azure).

import type { DeploymentConfig, Secrets } from "../../src/config/types.js";
import type { StepResult, StepIo, ResourceOutcome } from "../../src/engine/types.js";
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
    batchEndpoints: false,
    trainingNsg: true,
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
  results: Map<string, StepResult>;
  resources: ResourceOutcome[];
  progress: string[];
}

/** Runs the steps in declaration order (a valid topological order), retrying transient failures a few times. */
export async function runInOrder(ctx: StepContext, only?: string[]): Promise<RunResult> {
  const results = new Map<string, StepResult>();
  const progress: string[] = [];
  const controller = new AbortController();
  const io = (id: string): StepIo => ({
    signal: controller.signal,
    progress: (m) => progress.push(`${id}: ${m}`),
    outputs: (stepId) => results.get(stepId)?.outputs ?? {},
  });
  for (const step of stepsFor(ctx.config)) {
    if (only && !only.includes(step.id)) continue;
    for (let attempt = 1; ; attempt++) {
      try {
        results.set(step.id, await step.run(ctx, io(step.id)));
        break;
      } catch (err) {
        const transient = (err as { transient?: unknown }).transient === true;
        if (!transient || attempt >= 5) throw err;
        const wait = (err as { retryAfterMs?: unknown }).retryAfterMs;
        await new Promise((r) => setTimeout(r, Math.min(typeof wait === "number" ? wait : 50, 500)));
      }
    }
  }
  return { results, resources: [...results.values()].flatMap((r) => r.resources), progress };
}
