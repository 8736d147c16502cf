// planSteps with `concurrency` (preflight plans the steps left to do several at once): never more plans
// in flight than asked, the summary still in dependency order, and the first failure rejects the plan
// and starts nothing more.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planSteps } from "../../src/engine/engine.js";
import type { Step } from "../../src/engine/types.js";
import { recorder } from "../fixtures/engine/in-process.js";

/** A step whose plan waits until the test releases it, counting how many plans are in flight. */
function gatedSteps(ids: Array<[string, string[]]>) {
  const gates = new Map<string, () => void>();
  const started: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const steps: Step<unknown>[] = ids.map(([id, dependsOn]) => ({
    id,
    title: id,
    dependsOn,
    run: async () => {
      throw new Error("plan must not run");
    },
    plan: async () => {
      started.push(id);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => gates.set(id, resolve));
      inFlight--;
      if (id === "bad") throw new Error("read failed");
      return [{ id: `/r/${id}`, kind: "K", name: id, action: "create", group: "g" }];
    },
  }));
  /** Releases every plan started so far, then lets the planner start the next ones. */
  const releaseStarted = async () => {
    for (const [id, release] of [...gates.entries()]) {
      gates.delete(id);
      release();
    }
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { steps, started, releaseStarted, maxInFlight: () => maxInFlight };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("planSteps with concurrency", () => {
  it("plans at most `concurrency` steps at once and keeps dependency order in the summary", async () => {
    const { steps, started, releaseStarted, maxInFlight } = gatedSteps([
      ["d", ["a"]],
      ["a", []],
      ["b", []],
      ["c", ["b"]],
      ["e", []],
    ]);
    const planning = planSteps(steps, {}, { io: recorder(), concurrency: 2 });
    await tick();
    assert.equal(started.length, 2, `two plans started (${started.join(", ")})`);
    while (started.length < steps.length) await releaseStarted();
    await releaseStarted();
    const result = await planning;
    assert.equal(maxInFlight(), 2);
    const order = result.steps.map((s) => s.id);
    for (const [late, early] of [
      ["d", "a"],
      ["c", "b"],
    ] as const) {
      assert.ok(order.indexOf(early) < order.indexOf(late), `${early} before ${late} in ${order.join(", ")}`);
    }
    assert.deepEqual(
      result.resources.map((r) => r.name),
      order,
    );
  });

  it("rejects with the first failure and starts no further plan", async () => {
    const { steps, started, releaseStarted } = gatedSteps([
      ["bad", []],
      ["x", []],
      ["y", []],
      ["z", []],
    ]);
    const planning = planSteps(steps, {}, { io: recorder(), concurrency: 2 });
    const outcome = planning.then(
      () => "resolved",
      (e: unknown) => (e as Error).message,
    );
    await tick();
    assert.deepEqual([...started].sort(), ["bad", "x"]);
    await releaseStarted();
    assert.equal(await outcome, "read failed");
    await releaseStarted();
    assert.ok(!started.includes("z"), `no plan started after the failure (${started.join(", ")})`);
  });
});
