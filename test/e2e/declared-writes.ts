// What a step's own declaration says it writes, read from the step itself instead of a hand-kept table:
// its layout (`resources(ctx, deps)`: sequences chained, `parallel(...)` branches side by side), each
// resource planned by the product's `planAll` against what exists (create, update, or nothing), a
// resource written inline in its parent's first PUT (`createdWithParent`) counted with the parent. The
// seconds are src/durations.ts's for the resource's type, or the spec's own `seconds` (ML computes).

import type { DeclaredStep } from "../../src/resources/reconcile.js";
import { planAll } from "../../src/resources/reconcile.js";
import { flatten, isParallel, type AnySpec, type Sequence } from "../../src/resources/spec.js";
import { writeSeconds, type WriteKind } from "../../src/durations.js";
import type { Step } from "../../src/engine/types.js";
import type { StateHandle } from "../../src/engine/state.js";

export type Writes = { write: string; kind: WriteKind; seconds: number } | { chain: Writes[] } | { parallel: Writes[] };

const chain = (...items: Writes[]): Writes => ({ chain: items });
const parallel = (...items: Writes[]): Writes => ({ parallel: items });

/** Seconds of writes: chained ones add up, parallel ones take the longest. */
export function secondsOf(writes: Writes): number {
  if ("chain" in writes) return writes.chain.reduce((sum, item) => sum + secondsOf(item), 0);
  if ("parallel" in writes) return writes.parallel.reduce((max, item) => Math.max(max, secondsOf(item)), 0);
  return writes.seconds;
}

/** "create Microsoft.X/y" for each write, in declaration order. */
export function labelsOf(writes: Writes): string[] {
  if ("chain" in writes) return writes.chain.flatMap(labelsOf);
  if ("parallel" in writes) return writes.parallel.flatMap(labelsOf);
  return [`${writes.kind} ${writes.write}`];
}

export function isDeclared<C>(step: Step<C>): step is DeclaredStep<C> {
  return typeof (step as { resources?: unknown }).resources === "function";
}

/**
 * The writes `step` would send now, in its layout's order. `state` gives the outputs of the steps done
 * before it (as the engine's StepIo does).
 */
export async function declaredWrites<C>(step: DeclaredStep<C>, ctx: C, state: StateHandle): Promise<Writes> {
  const layout = await step.resources(ctx, {
    outputs: (id) => {
      const record = state.step(id);
      return record?.status === "done" ? { ...record.outputs } : {};
    },
    progress: () => undefined,
  });
  const specs = flatten(layout);
  const planned = await planAll(layout);
  const plannedOf = new Map(specs.map((spec, index) => [spec, planned[index]]));
  const plannedById = new Map(planned.map((p) => [p.id.toLowerCase(), p]));
  const one = (spec: AnySpec): Writes => {
    const p = plannedOf.get(spec);
    if (p === undefined || p.action === "none") return chain();
    // Written inline by its parent's first PUT (a VNet's subnets): no write of its own.
    if (spec.createdWithParent && spec.parentId !== undefined && plannedById.get(spec.parentId.toLowerCase())?.action === "create") return chain();
    const kind: WriteKind = p.action === "update" ? "update" : "create";
    return { write: spec.kind, kind, seconds: spec.seconds?.[kind] ?? writeSeconds(spec.kind, kind) };
  };
  const sequence = (items: Sequence): Writes =>
    chain(
      ...items.map((item) =>
        isParallel(item) ? parallel(...item.parallel.map((branch) => (Array.isArray(branch) ? sequence(branch as Sequence) : one(branch as AnySpec)))) : one(item),
      ),
    );
  return sequence(layout);
}
