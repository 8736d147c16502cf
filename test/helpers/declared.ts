// What a deployment's steps declare: stepsFor(config) and each step's resources() (the same
// declarations the engine converges and plans). Tests compare what a run reports, what `plan`
// announces or what `status` lists against this set, so a resource the run drops (or adds) fails.
// Computing it sends no request: the specs only capture the Azure context; their reads are not called.

import type { DeploymentConfig } from "../../src/config/types.js";
import { createAzureContext } from "../../src/azure/clients.js";
import { createStaticTestCredential } from "../../src/azure/credential.js";
import type { StepContext } from "../../src/steps/index.js";
import { stepsFor } from "../../src/steps/index.js";
import { flatten, type Sequence } from "../../src/resources/spec.js";
import type { StepDeps } from "../../src/resources/reconcile.js";

export interface DeclaredResource {
  /** The step that declares it. */
  step: string;
  id: string;
  kind: string;
  name: string;
  group: string;
}

type Declaring = { id: string; resources?: (ctx: StepContext, deps: StepDeps) => Sequence | Promise<Sequence> };

/**
 * Every resource the steps of `ctx.config` declare, in step order. `outputsOf(stepId)`: the outputs a
 * finished step recorded (the workspace's principal names its role assignments).
 */
export async function declaredResources(ctx: StepContext, outputsOf: (stepId: string) => Record<string, string> = () => ({})): Promise<DeclaredResource[]> {
  const all: DeclaredResource[] = [];
  for (const step of stepsFor(ctx.config) as Declaring[]) {
    if (typeof step.resources !== "function") throw new Error(`step ${step.id} does not declare its resources`);
    const layout = await step.resources(ctx, { outputs: outputsOf, progress: () => {} });
    for (const spec of flatten(layout)) all.push({ step: step.id, id: spec.id, kind: spec.kind, name: spec.name, group: spec.group });
  }
  return all;
}

/** Lower-case, de-duplicated, sorted IDs (role assignments and sub-resources are matched by ID). */
export function idSet(resources: ReadonlyArray<{ id: string }>): string[] {
  return [...new Set(resources.map((r) => r.id.toLowerCase()))].sort();
}

/** A principal ID for the workspace's identity where no workspace exists (unit tests). */
export const TEST_WORKSPACE_PRINCIPAL = "00000000-0000-4000-8000-00000000c0de";

/**
 * What the steps of `config` declare with no Azure at all (unit tests): the context points at a closed
 * loopback port, so a declaration that tried to read would fail rather than pass unnoticed, and the
 * workspace's principal is TEST_WORKSPACE_PRINCIPAL.
 */
export async function declaredOffline(config: DeploymentConfig): Promise<DeclaredResource[]> {
  const endpoint = "https://127.0.0.1:9";
  const azure = createAzureContext({ subscriptionId: config.subscriptionId, endpoint, credential: createStaticTestCredential(endpoint), cloud: config.cloud });
  const outputs = (step: string): Record<string, string> => (step === "workspace" ? { workspacePrincipalId: TEST_WORKSPACE_PRINCIPAL } : {});
  return declaredResources({ config, secrets: {}, azure }, outputs);
}
