// Dependency-graph checks and arithmetic over steps (no running here).

import { ExitCode, SecureAmlError } from "../errors.js";

export interface GraphNode {
  id: string;
  dependsOn: string[];
}

/**
 * Checks ids are unique, every dependency exists and there is no cycle. Throws SecureAmlError
 * STEP_GRAPH_INVALID (exit 1: a defect in the step list, not in the person's input) naming each problem.
 */
export function validateGraph(steps: readonly GraphNode[]): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const step of steps) {
    if (ids.has(step.id)) problems.push(`step id "${step.id}" is used twice`);
    ids.add(step.id);
  }
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (!ids.has(dep)) problems.push(`step "${step.id}" depends on unknown step "${dep}"`);
      if (dep === step.id) problems.push(`step "${step.id}" depends on itself`);
    }
  }
  const cycle = findCycle(steps);
  if (cycle) problems.push(`dependency cycle: ${cycle.join(" -> ")}`);
  if (problems.length > 0) {
    throw new SecureAmlError("STEP_GRAPH_INVALID", `The step graph is invalid: ${problems.join("; ")}.`, ExitCode.failed);
  }
}

/** One cycle as a list of ids that starts and ends with the same id, or undefined. */
export function findCycle(steps: readonly GraphNode[]): string[] | undefined {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const colour = new Map<string, "grey" | "black">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const state = colour.get(id);
    if (state === "black") return undefined;
    if (state === "grey") return [...stack.slice(stack.indexOf(id)), id];
    const node = byId.get(id);
    if (!node) return undefined;
    colour.set(id, "grey");
    stack.push(id);
    for (const dep of node.dependsOn) {
      if (dep === id) continue; // reported separately as self-dependency
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    colour.set(id, "black");
    return undefined;
  };
  for (const step of steps) {
    const found = visit(step.id);
    if (found) return found.reverse(); // read in dependency direction: a -> b means b depends on a
  }
  return undefined;
}

/** Ids in an order where every step comes after its dependencies (declaration order breaks ties). */
export function topologicalOrder(steps: readonly GraphNode[]): string[] {
  validateGraph(steps);
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < steps.length) {
    for (const step of steps) {
      if (!done.has(step.id) && step.dependsOn.every((d) => done.has(d))) {
        done.add(step.id);
        order.push(step.id);
        break;
      }
    }
  }
  return order;
}

/**
 * The longest chain of dependencies, weighted by `durationOf` (seconds): the wall-clock lower bound of a
 * run with unlimited concurrency.
 */
export function criticalPath<S extends GraphNode>(steps: readonly S[], durationOf: (step: S) => number): { seconds: number; path: string[] } {
  validateGraph(steps);
  const byId = new Map(steps.map((s) => [s.id, s]));
  const finish = new Map<string, { seconds: number; via?: string }>();
  for (const id of topologicalOrder(steps)) {
    const step = byId.get(id) as S;
    let best: { seconds: number; via?: string } = { seconds: 0 };
    for (const dep of step.dependsOn) {
      const f = finish.get(dep) as { seconds: number };
      if (f.seconds > best.seconds || best.via === undefined) best = { seconds: f.seconds, via: dep };
    }
    finish.set(id, { seconds: best.seconds + Math.max(0, durationOf(step)), via: best.via });
  }
  let end: string | undefined;
  for (const [id, f] of finish) if (end === undefined || f.seconds > (finish.get(end)?.seconds ?? 0)) end = id;
  const path: string[] = [];
  for (let id = end; id !== undefined; id = finish.get(id)?.via) path.unshift(id);
  return { seconds: end === undefined ? 0 : (finish.get(end)?.seconds ?? 0), path };
}

/** Total duration if the steps ran one after another (concurrency 1). */
export function sequentialSum<S extends GraphNode>(steps: readonly S[], durationOf: (step: S) => number): number {
  return steps.reduce((sum, step) => sum + Math.max(0, durationOf(step)), 0);
}
