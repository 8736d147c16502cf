// What init's preflight must look at, and its plan, for as few reads as the facts allow. Preflight
// checks what this run will write (providers, quotas and sizes of VMs to create, names to create, role
// assignments to create); what the state file proves is already done needs no check:
// - a step recorded as done, for the same configuration, in a resource group that still exists, is not
//   planned (a converged re-run costs one read here: the resource group);
// - the other steps are planned (reads, several at once);
// - when the resource group does not exist (a first run, or the group was deleted), nothing in it
//   exists either: every resource of the group is planned as created without reading it, and no step
//   counts as done (the state describes what was deleted).
import type { AzureContext } from "../azure/clients.js";
import type { DeploymentConfig } from "../config/types.js";
import type { StateHandle } from "../engine/state.js";
import type { PlannedResource, Step, StepIo } from "../engine/types.js";
import type { UiHost } from "../ui/types.js";
import type { AnySpec, Sequence } from "../resources/spec.js";
import { plannedIdentity, planResource } from "../resources/reconcile.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { flatten } from "../resources/spec.js";
import { topologicalOrder, planSteps } from "../engine/engine.js";

/** How many steps are planned at once when their resources must be read. */
const PLAN_CONCURRENCY = 8;

export interface PreflightScopeInput {
  azure: AzureContext;
  config: DeploymentConfig;
  steps: Array<Step<unknown>>;
  ui: UiHost;
  state?: StateHandle;
  signal?: AbortSignal;
}

export interface PreflightScope {
  /** Whether the deployment's resource group exists (read once). */
  resourceGroupExists: boolean;
  /** Steps the state proves done for this configuration: neither planned nor checked. */
  provenDone: string[];
  /** The plan of every other step (read-only), for the checks. */
  plan: { steps: Array<{ id: string; resources: PlannedResource[] }> };
}

/** A step declared through src/resources (declareStep): its resources can be listed without reading them. */
type DeclaredLike = Step<unknown> & { resources(ctx: unknown, deps: Pick<StepIo, "outputs" | "progress">): Sequence | Promise<Sequence> };

function isDeclared(step: Step<unknown>): step is DeclaredLike {
  return typeof (step as { resources?: unknown }).resources === "function";
}

/** JSON with sorted keys (undefined dropped, as in the state file), for comparing configurations. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Whether the state was written by a run with this very configuration (its records then describe this deployment). */
export function sameConfiguration(state: StateHandle | undefined, config: DeploymentConfig): boolean {
  if (!state) return false;
  return canonical(state.data.config) === canonical(config);
}

function rgId(config: DeploymentConfig): string {
  return `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}`;
}

function inResourceGroup(id: string, config: DeploymentConfig): boolean {
  const group = rgId(config).toLowerCase();
  const lower = id.toLowerCase();
  return lower === group || lower.startsWith(`${group}/`);
}

async function resourceGroupExists(azure: AzureContext, config: DeploymentConfig, signal?: AbortSignal): Promise<boolean> {
  const client = await azure.resources();
  const group = await getOrUndefined({ resource: rgId(config), operation: "read resource group" }, () => client.resourceGroups.get(config.resourceGroup, { abortSignal: signal }));
  return group !== undefined;
}

/**
 * What `plan` would say of a resource in a resource group that does not exist (src/resources/reconcile.ts
 * `planResource` after a 404): created, or, for a resource another step creates, changed after it.
 */
function absent(spec: AnySpec): PlannedResource {
  const base = plannedIdentity(spec);
  return spec.ownedBy ? { ...base, action: "update", changes: spec.ownedBy.changes } : { ...base, action: "create" };
}

/** The plan of the steps when the resource group does not exist: its resources without a read; anything outside it read. */
async function planInMissingGroup(input: PreflightScopeInput): Promise<PreflightScope["plan"]> {
  const { config, state, signal } = input;
  const ctx = { config, secrets: {}, azure: input.azure };
  const byId = new Map(input.steps.map((s) => [s.id, s]));
  const io = (id: string): StepIo => ({
    signal: signal ?? new AbortController().signal,
    progress: (message) => input.ui.notify({ type: "step-progress", id, message }),
    outputs: (stepId) => {
      const record = state?.step(stepId);
      return record?.status === "done" ? { ...record.outputs } : {};
    },
  });
  const steps = await Promise.all(
    topologicalOrder(input.steps).map(async (id) => {
      const step = byId.get(id) as Step<unknown>;
      if (!isDeclared(step)) return { id, resources: step.plan ? await step.plan(ctx, io(id)) : [] };
      const specs = flatten(await step.resources(ctx, io(id)));
      const resources = await Promise.all(specs.map((spec) => (inResourceGroup(spec.id, config) ? absent(spec) : planResource(spec))));
      return { id, resources };
    }),
  );
  return { steps };
}

/** Reads what it must (the resource group, then the steps not proven done) and returns the plan the checks need. */
export async function preflightScope(input: PreflightScopeInput): Promise<PreflightScope> {
  const { azure, config, state, signal } = input;
  if (!(await resourceGroupExists(azure, config, signal))) {
    return { resourceGroupExists: false, provenDone: [], plan: await planInMissingGroup(input) };
  }
  const provenDone = sameConfiguration(state, config) ? input.steps.filter((s) => state?.step(s.id)?.status === "done").map((s) => s.id) : [];
  const proven = new Set(provenDone);
  const pending = input.steps.filter((s) => !proven.has(s.id)).map((s) => s.id);
  if (pending.length === 0) return { resourceGroupExists: true, provenDone, plan: { steps: [] } };
  const plan = await planSteps(input.steps, { config, secrets: {}, azure }, { io: input.ui, state, signal, only: pending, concurrency: PLAN_CONCURRENCY });
  return { resourceGroupExists: true, provenDone, plan };
}
