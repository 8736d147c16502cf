// What a step says about one Azure resource it owns (a ResourceSpec), and how a step lays its
// resources out: a sequence, with `parallel(...)` branches where the order does not matter. The
// reconciler (reconcile.ts) reads, decides and writes; a step never re-implements that.

import type { CapacityDemand, Change } from "../engine/types.js";
import type { AzureContext } from "../azure/clients.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { parseResourceId } from "../audit/ids.js";
import type { Kind } from "./kinds/kind.js";
import type { OperationSeconds } from "../durations.js";

export type { Change } from "../engine/types.js";

export interface ResourceSpec<T> {
  id: string;
  /** ARM type, e.g. "Microsoft.Network/virtualNetworks". */
  kind: string;
  name: string;
  /** Architecture-view group for `plan`: "network", "training-subnet", "private-dns", "global", ... */
  group: string;
  read(): Promise<T | undefined>;
  /** ARM provisioningState of what was read. */
  provisioningState?(actual: T): string | undefined;
  /** Differences on the properties this step owns; empty when as wanted. */
  diff(actual: T): Change[];
  /** Checks run once before the first write of a missing resource (global name availability). */
  beforeCreate?(): Promise<void>;
  create(): Promise<unknown>;
  /** In-place update with the (mutable) changes; defaults to `create` (a full PUT) when absent. */
  update?(actual: T, changes: Change[]): Promise<unknown>;
  /**
   * The error for changes Azure cannot make in place (`immutable: true`). Without it a generic
   * IMMUTABLE_DRIFT error is thrown; either way nothing is written.
   */
  immutableDrift?(changes: Change[]): Error;
  /**
   * For resources Azure cannot provision again in place once a create ended Failed (ML computes):
   * deletes it, so that it is created anew ("recreate"). Without it a Failed resource gets an update.
   */
  deleteFailed?(): Promise<unknown>;
  /** A remark about what was read that changes nothing (shown as progress), e.g. a group in another region. */
  notice?(actual: T): string | undefined;
  /**
   * The ID of an earlier resource of the same step this one lives in. When the parent is planned for
   * creation this one is planned as created without reading; with `createdWithParent` (subnets written
   * inline in their VNet's first PUT) it is reported as created when its parent was created in this run.
   */
  parentId?: string;
  createdWithParent?: boolean;
  /**
   * For a resource another step creates and this one only changes (the Training subnet's NSG, the
   * workspace's image-build compute): when missing, `plan` shows these changes as an update (the owner
   * creates it first) and `init` fails naming the owning step.
   */
  ownedBy?: { step: string; changes: Change[] };
  /** Read-only remarks `plan` adds to a create (e.g. a soft-deleted vault holds the name). */
  explainCreate?(): Promise<Change[]>;
  /**
   * Realistic seconds of this resource's writes on real Azure, when they are not its type's row in
   * src/durations.ts (an ML compute's depend on its compute type). The step's `expectedSeconds` counts them.
   */
  seconds?: OperationSeconds;
  /** What creating it takes from a regional vCPU quota (VMs, ML computes): preflight checks it before any write. */
  capacity?: CapacityDemand;
}

/** A spec of any resource type (methods are bivariant, so every ResourceSpec<T> is one). */
export type AnySpec = ResourceSpec<unknown>;

/** Branches that may run at the same time; each branch is one spec or a sequence. */
export interface Parallel {
  readonly parallel: ReadonlyArray<AnySpec | Sequence>;
}

/** Resources in the order they are written; a Parallel item's branches run together. */
export type Sequence = ReadonlyArray<AnySpec | Parallel>;

export function parallel(...branches: Array<AnySpec | Sequence>): Parallel {
  return { parallel: branches };
}

export function isParallel(item: AnySpec | Parallel): item is Parallel {
  return "parallel" in item;
}

/** Every spec of a layout, in declaration order. */
export function flatten(layout: Sequence): AnySpec[] {
  return layout.flatMap((item) => (isParallel(item) ? item.parallel.flatMap((b) => (Array.isArray(b) ? flatten(b as Sequence) : [b as AnySpec])) : [item]));
}

/**
 * The identity and the read of a resource from its kind: `{ ...arm(kinds.x, azure, id, name, group), diff, create }`.
 * One reader per ARM type, shared with `status`.
 */
export function arm<T>(
  kind: Kind<T>,
  azure: AzureContext,
  id: string,
  name: string,
  group: string,
): Pick<ResourceSpec<T>, "id" | "kind" | "name" | "group" | "read" | "provisioningState"> {
  return {
    id,
    kind: kind.type,
    name,
    group,
    read: () => getOrUndefined({ resource: id }, () => kind.read(azure, parseResourceId(id), id)),
    provisioningState: (actual) => kind.provisioningState(actual),
  };
}

// ---------- comparisons ----------

export function sameId(a: string | undefined, b: string | undefined): boolean {
  return (a ?? "").toLowerCase().replace(/\/+$/, "") === (b ?? "").toLowerCase().replace(/\/+$/, "");
}

export function sameText(a: string | undefined, b: string | undefined): boolean {
  return (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
}

/** Adds a Change when `actual` and `wanted` differ (case-insensitive for strings). */
export function compare(changes: Change[], field: string, actual: unknown, wanted: unknown, opts: { immutable?: boolean } = {}): void {
  const norm = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : JSON.stringify(v));
  if (norm(actual) !== norm(wanted)) changes.push(change(field, actual, wanted, opts));
}

/** Adds a Change when two ARM IDs differ. */
export function compareId(changes: Change[], field: string, actual: string | undefined, wanted: string, opts: { immutable?: boolean } = {}): void {
  if (!sameId(actual, wanted)) changes.push(change(field, actual, wanted, opts));
}

export function change(field: string, actual: unknown, wanted: unknown, opts: { immutable?: boolean } = {}): Change {
  return { field, ...(actual !== undefined ? { actual } : {}), ...(wanted !== undefined ? { wanted } : {}), ...(opts.immutable ? { immutable: true } : {}) };
}

/** The Change when `actual` and `wanted` differ (case-insensitive for strings), else undefined: for `changesOf`. */
export function differs(field: string, actual: unknown, wanted: unknown, opts: { immutable?: boolean } = {}): Change | undefined {
  const changes: Change[] = [];
  compare(changes, field, actual, wanted, opts);
  return changes[0];
}

/** The Change when two ARM IDs differ, else undefined. */
export function differsId(field: string, actual: string | undefined, wanted: string, opts: { immutable?: boolean } = {}): Change | undefined {
  return sameId(actual, wanted) ? undefined : change(field, actual, wanted, opts);
}

/** A diff from candidate changes: `diff: (x) => changesOf(differs(...), differsId(...))`. */
export function changesOf(...candidates: Array<Change | undefined>): Change[] {
  return candidates.filter((c): c is Change => c !== undefined);
}

/** create and update as one PUT of what is wanted over what exists (`undefined` when creating). */
export function putOver<T>(put: (existing: T | undefined) => Promise<unknown>): Pick<ResourceSpec<T>, "create" | "update"> {
  return { create: () => put(undefined), update: (actual) => put(actual) };
}
