// The one read-decide-write loop. `decide` is shared by `init` (converge) and `plan` (planResource),
// so the two always agree. `declareStep` turns a step's description — its resources in order, with
// parallel branches — into the engine's Step with `run` and `plan`; steps never write that glue.

import { setTimeout as sleep } from "node:timers/promises";
import type { Change, PlannedResource, ResourceOutcome, Step, StepIo, StepResult } from "../engine/types.js";
import type { AzureContext } from "../azure/clients.js";
import { ArmOperationError, armCall } from "../azure/arm-errors.js";
import { SecureAmlError } from "../errors.js";
import { flatten, isParallel, type AnySpec, type ResourceSpec, type Sequence } from "./spec.js";

export type Decision = { action: "create" } | { action: "recreate"; changes: Change[] } | { action: "update"; changes: Change[] } | { action: "none" };

const TERMINAL = new Set(["succeeded", "failed", "canceled", "cancelled"]);

export function isProvisioning(state: string | undefined): boolean {
  return state !== undefined && !TERMINAL.has(state.toLowerCase());
}

/**
 * What to do about a resource given what was read. Any provisioning state other than Succeeded is a
 * change (a PUT re-provisions it), except a Failed resource that must be deleted first (recreate).
 * `init` waits for a state still in progress before deciding; `plan` decides on what it sees.
 */
export function decide<T>(spec: ResourceSpec<T>, actual: T | undefined): Decision {
  if (actual === undefined) return { action: "create" };
  const state = spec.provisioningState?.(actual);
  const notSucceeded: Change[] = state !== undefined && state.toLowerCase() !== "succeeded" ? [{ field: "provisioningState", actual: state, wanted: "Succeeded" }] : [];
  if (state?.toLowerCase() === "failed" && spec.deleteFailed) return { action: "recreate", changes: notSucceeded };
  const changes = [...spec.diff(actual), ...notSucceeded];
  return changes.length === 0 ? { action: "none" } : { action: "update", changes };
}

type Io = Pick<StepIo, "signal" | "progress">;

/** Waits while a resource from an earlier (interrupted) run is still provisioning, then returns its final read. */
export async function waitWhileProvisioning<T>(spec: ResourceSpec<T>, actual: T, azure: AzureContext, io: Io): Promise<T | undefined> {
  let current: T | undefined = actual;
  const interval = azure.lro().updateIntervalInMs ?? 5000;
  const deadline = Date.now() + 2 * 60 * 60 * 1000;
  let announced = false;
  while (current !== undefined && isProvisioning(spec.provisioningState?.(current))) {
    if (!announced) {
      io.progress(`${spec.name} is still ${spec.provisioningState?.(current)} from an earlier run; waiting for it`);
      announced = true;
    }
    if (Date.now() > deadline) {
      throw new ArmOperationError({
        code: "PROVISIONING_TIMEOUT",
        message: `${spec.kind} ${spec.name} stayed in state ${spec.provisioningState?.(current)} for 2 hours`,
        resource: spec.id,
        operation: "wait",
        transient: false,
      });
    }
    await sleep(Math.max(interval, 1), undefined, { signal: io.signal });
    current = await spec.read();
  }
  return current;
}

function kindLabel(kind: string): string {
  return kind.split("/").slice(1).join("/") || kind;
}

function ownedElsewhere(spec: AnySpec, owner: string): SecureAmlError {
  return new SecureAmlError("RESOURCE_MISSING", `${kindLabel(spec.kind)} ${spec.name} does not exist; the ${owner} step creates it (run it first).`);
}

function immutableError(spec: AnySpec, changes: Change[]): Error {
  if (spec.immutableDrift) return spec.immutableDrift(changes);
  return new SecureAmlError(
    "IMMUTABLE_DRIFT",
    `${kindLabel(spec.kind)} ${spec.name} differs in ${changes.map((c) => c.field).join(", ")}, which Azure cannot change in place; delete it and re-run.`,
  );
}

/** Read, decide, write only on difference. `value` is what was read when nothing was written. */
export async function converge<T>(spec: ResourceSpec<T>, azure: AzureContext, io: Io): Promise<ResourceOutcome & { value?: T }> {
  const base = { id: spec.id, kind: spec.kind, name: spec.name };
  let actual = await spec.read();
  if (actual !== undefined) actual = await waitWhileProvisioning(spec, actual, azure, io);
  io.signal.throwIfAborted();
  const decision = decide(spec, actual);
  const create = async () => {
    io.progress(`creating ${spec.name}`);
    await armCall({ resource: spec.id, operation: `create ${kindLabel(spec.kind)}` }, () => spec.create());
  };
  switch (decision.action) {
    case "create":
      if (spec.ownedBy) throw ownedElsewhere(spec, spec.ownedBy.step);
      if (spec.beforeCreate) await spec.beforeCreate();
      await create();
      return { ...base, action: "created" };
    case "recreate": {
      const deleteFailed = spec.deleteFailed;
      if (!deleteFailed) throw new Error("recreate without deleteFailed");
      io.progress(`${spec.name} is in state Failed (an earlier create failed); deleting it to create it again`);
      await armCall({ resource: spec.id, operation: `delete failed ${kindLabel(spec.kind)}` }, () => deleteFailed());
      await create();
      return { ...base, action: "created" };
    }
    case "none": {
      const note = actual !== undefined ? spec.notice?.(actual) : undefined;
      if (note) io.progress(note);
      return actual === undefined ? { ...base, action: "unchanged" } : { ...base, action: "unchanged", value: actual };
    }
    case "update": {
      const current = actual as T;
      const note = spec.notice?.(current);
      if (note) io.progress(note);
      const immutable = decision.changes.filter((c) => c.immutable);
      if (immutable.length > 0) throw immutableError(spec as AnySpec, immutable);
      io.progress(`updating ${spec.name}: ${decision.changes.map((c) => c.field).join(", ")}`);
      await armCall({ resource: spec.id, operation: `update ${kindLabel(spec.kind)}` }, () => (spec.update ? spec.update(current, decision.changes) : spec.create()));
      return { ...base, action: "updated" };
    }
  }
}

/** What converge would do, without writing. */
/** What every plan entry of `spec` says whatever the action: which resource, its view group, its quota demand. */
export function plannedIdentity(spec: AnySpec): Pick<PlannedResource, "id" | "kind" | "name" | "group" | "capacity"> {
  return { id: spec.id, kind: spec.kind, name: spec.name, group: spec.group, ...(spec.capacity ? { capacity: spec.capacity } : {}) };
}

export async function planResource<T>(spec: ResourceSpec<T>): Promise<PlannedResource> {
  const base = plannedIdentity(spec);
  const decision = decide(spec, await spec.read());
  switch (decision.action) {
    case "create": {
      if (spec.ownedBy) return { ...base, action: "update", changes: spec.ownedBy.changes };
      const notes = spec.explainCreate ? await spec.explainCreate() : [];
      return notes.length > 0 ? { ...base, action: "create", changes: notes } : { ...base, action: "create" };
    }
    case "none":
      return { ...base, action: "none" };
    default:
      return { ...base, action: decision.action, changes: decision.changes };
  }
}

// ---------- layouts ----------

/** Values of the resources a run read or wrote, for a step's outputs. */
export interface Found {
  /** What Azure holds for `spec` after the run (the read when nothing was written, otherwise a fresh read). */
  value<T>(spec: ResourceSpec<T>): Promise<T | undefined>;
}

async function walk(layout: Sequence, one: (spec: AnySpec) => Promise<void>): Promise<void> {
  for (const item of layout) {
    if (isParallel(item)) await Promise.all(item.parallel.map((b) => walk(Array.isArray(b) ? (b as Sequence) : [b as AnySpec], one)));
    else await one(item);
  }
}

/** Converges a layout: sequences in order, parallel branches together. Outcomes in declaration order. */
export async function convergeAll(layout: Sequence, azure: AzureContext, io: Io): Promise<{ resources: ResourceOutcome[]; found: Found }> {
  const results = new Map<AnySpec, ResourceOutcome & { value?: unknown }>();
  const byId = new Map<string, ResourceOutcome>();
  await walk(layout, async (spec) => {
    let result = await converge(spec, azure, io);
    const parent = spec.parentId ? byId.get(spec.parentId.toLowerCase()) : undefined;
    // Written as part of its parent's first PUT: created by this run, not found as wanted.
    if (spec.createdWithParent && parent?.action === "created" && result.action === "unchanged") result = { ...result, action: "created" };
    results.set(spec, result);
    byId.set(spec.id.toLowerCase(), result);
  });
  const resources = flatten(layout).flatMap((spec) => {
    const r = results.get(spec);
    return r ? [{ id: r.id, kind: r.kind, name: r.name, action: r.action }] : [];
  });
  const found: Found = {
    value: async <T>(spec: ResourceSpec<T>) => {
      const r = [...results.entries()].find(([s]) => s.id.toLowerCase() === spec.id.toLowerCase())?.[1];
      if (r?.action === "unchanged" && r.value !== undefined) return r.value as T;
      return armCall({ resource: spec.id, operation: `read ${kindLabel(spec.kind)}` }, () => spec.read());
    },
  };
  return { resources, found };
}

/** Plans a layout; a child of a resource planned for creation is planned as created without a read. */
export async function planAll(layout: Sequence): Promise<PlannedResource[]> {
  const planned = new Map<AnySpec, PlannedResource>();
  const byId = new Map<string, PlannedResource>();
  await walk(layout, async (spec) => {
    const parent = spec.parentId ? byId.get(spec.parentId.toLowerCase()) : undefined;
    const p =
      parent?.action === "create" && !spec.ownedBy ? { id: spec.id, kind: spec.kind, name: spec.name, group: spec.group, action: "create" as const } : await planResource(spec);
    planned.set(spec, p);
    byId.set(spec.id.toLowerCase(), p);
  });
  return flatten(layout).flatMap((spec) => {
    const p = planned.get(spec);
    return p ? [p] : [];
  });
}

// ---------- steps ----------

/** What a step may ask of the run while it lays out its resources. */
export type StepDeps = Pick<StepIo, "outputs" | "progress">;

/** A step as it describes itself: no run or plan code. */
export interface StepDeclaration<C> {
  id: string;
  title: string;
  dependsOn: string[];
  mutex?: string;
  /** Realistic duration in seconds on real Azure (plan's estimate); see src/durations.ts. */
  expectedSeconds?: number;
  /** The resources this step owns, in write order (`parallel(...)` for branches that may run together). */
  resources(ctx: C, deps: StepDeps): Sequence | Promise<Sequence>;
  /** Values later steps need (IDs, principal IDs), after the resources converged. */
  outputs?(ctx: C, found: Found): Record<string, string> | Promise<Record<string, string>>;
}

/**
 * The engine's Step with its declaration's resources and outputs kept: tests read what a step writes
 * from it, and `declareStep({ ...someStep, resources })` declares a variant of a step.
 */
export type DeclaredStep<C> = Step<C> & Pick<StepDeclaration<C>, "resources" | "outputs">;

/** The engine's Step for a declaration: `run` converges its resources, `plan` plans them. */
export function declareStep<C extends { azure: AzureContext }>(declaration: StepDeclaration<C>): DeclaredStep<C> {
  const { resources, outputs, ...identity } = declaration;
  return {
    ...identity,
    resources,
    outputs,
    async run(ctx: C, io: StepIo): Promise<StepResult> {
      const layout = await resources(ctx, io);
      const { resources: done, found } = await convergeAll(layout, ctx.azure, io);
      return outputs ? { resources: done, outputs: await outputs(ctx, found) } : { resources: done };
    },
    async plan(ctx: C, io: StepIo): Promise<PlannedResource[]> {
      return planAll(await resources(ctx, io));
    },
  };
}
