// The step engine in-process, with a real state file: order, bounded concurrency, mutex, graph
// checks, retries, permanent failure, interrupt, outputs and resume. Steps wait on promises the test
// controls, so order is asserted without any timing.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { criticalPath, planSteps, retryDelayMs, runSteps, sequentialSum, type RunStepsOptions } from "../../src/engine/engine.js";
import { readState, type StateHandle } from "../../src/engine/state.js";
import type { IoHost, Step, StepIo } from "../../src/engine/types.js";
import { SecureAmlError } from "../../src/errors.js";
import { newState as newStateIn, recorder } from "../fixtures/engine/in-process.js";

const newState = () => newStateIn("secure-aml-engine-");

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Steps that log start/end, and finish only when the test opens their gate (or at once if ungated). */
class Harness {
  log: string[] = [];
  gates = new Map<string, Deferred>();
  runs = new Map<string, number>();
  #startWaiters: Array<{ id: string; resolve: () => void }> = [];

  gate(id: string): Deferred {
    const d = deferred();
    this.gates.set(id, d);
    return d;
  }

  started(id: string): Promise<void> {
    if (this.log.includes(`start ${id}`)) return Promise.resolve();
    return new Promise((resolve) => this.#startWaiters.push({ id, resolve }));
  }

  step(id: string, dependsOn: string[] = [], extra: Partial<Step<unknown>> = {}): Step<unknown> {
    return {
      id,
      title: `Step ${id}`,
      dependsOn,
      run: async (_ctx: unknown, io: StepIo) => {
        this.runs.set(id, (this.runs.get(id) ?? 0) + 1);
        this.log.push(`start ${id}`);
        for (const w of this.#startWaiters.filter((w) => w.id === id)) w.resolve();
        const gate = this.gates.get(id);
        if (gate) await Promise.race([gate.promise, new Promise((_r, rej) => io.signal.addEventListener("abort", () => rej(io.signal.reason)))]);
        this.log.push(`end ${id}`);
        return { resources: [{ id: `/r/${id}`, kind: "Test/r", name: id, action: "created" as const }], outputs: { from: id } };
      },
      ...extra,
    };
  }
}

function baseOptions(state: StateHandle, io: IoHost, extra: Partial<RunStepsOptions> = {}): RunStepsOptions {
  return { concurrency: 4, io, state, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, resumeCommand: "secure-aml init", ...extra };
}

describe("runSteps: order and concurrency", () => {
  it("concurrency 1 runs strictly in declaration order, one at a time", async () => {
    const { state } = await newState();
    const h = new Harness();
    const steps = [h.step("a"), h.step("b"), h.step("c", ["a"]), h.step("d"), h.step("e", ["c", "d"])];
    const summary = await runSteps(steps, {}, baseOptions(state, recorder(), { concurrency: 1 }));
    assert.equal(summary.status, "succeeded");
    assert.equal(summary.exitCode, 0);
    assert.deepEqual(h.log, ["start a", "end a", "start b", "end b", "start c", "end c", "start d", "end d", "start e", "end e"]);
  });

  it("concurrency 1 waits for a dependency declared later", async () => {
    const { state } = await newState();
    const h = new Harness();
    const steps = [h.step("late", ["base"]), h.step("base"), h.step("other")];
    await runSteps(steps, {}, baseOptions(state, recorder(), { concurrency: 1 }));
    assert.deepEqual(
      h.log.filter((l) => l.startsWith("start")),
      ["start base", "start late", "start other"],
    );
  });

  it("never runs more than `concurrency` steps at once and never before dependencies", async () => {
    const { state } = await newState();
    const h = new Harness();
    const gates = Object.fromEntries(["a", "b", "c", "d"].map((id) => [id, h.gate(id)]));
    const steps = [h.step("a"), h.step("b"), h.step("c"), h.step("d", ["a"])];
    const run = runSteps(steps, {}, baseOptions(state, recorder(), { concurrency: 2 }));
    await h.started("a");
    await h.started("b");
    assert.deepEqual(h.log, ["start a", "start b"], "two at once, c waits for a free slot");
    gates.a!.resolve();
    await h.started("c");
    assert.deepEqual(h.log, ["start a", "start b", "end a", "start c"], "c (declared first) takes the slot before d");
    gates.b!.resolve();
    await h.started("d");
    assert.deepEqual(h.log.slice(4), ["end b", "start d"]);
    gates.c!.resolve();
    gates.d!.resolve();
    const summary = await run;
    assert.equal(summary.status, "succeeded");
    assert.deepEqual(
      summary.resources.map((r) => r.name),
      ["a", "b", "c", "d"],
    );
  });

  it("steps sharing a mutex never overlap; others run beside them", async () => {
    const { state } = await newState();
    const h = new Harness();
    const gates = Object.fromEntries(["x", "y", "z"].map((id) => [id, h.gate(id)]));
    const steps = [h.step("x", [], { mutex: "vnet" }), h.step("y", [], { mutex: "vnet" }), h.step("z")];
    const run = runSteps(steps, {}, baseOptions(state, recorder(), { concurrency: 3 }));
    await h.started("x");
    await h.started("z");
    assert.equal(h.log.includes("start y"), false, "y waits for x's mutex");
    gates.z!.resolve();
    gates.x!.resolve();
    await h.started("y");
    assert.ok(h.log.indexOf("end x") < h.log.indexOf("start y"));
    gates.y!.resolve();
    assert.equal((await run).status, "succeeded");
  });

  it("emits plan, step-start and step-done, and records every step in the state file", async () => {
    const { state, path } = await newState();
    const h = new Harness();
    const io = recorder();
    await runSteps([h.step("a", [], { expectedSeconds: 30 }), h.step("b", ["a"])], {}, baseOptions(state, io));
    const types = io.events.map((e) => `${e.type}${"id" in e ? ` ${e.id}` : ""}`);
    assert.deepEqual(types, ["plan", "step-start a", "step-done a", "step-start b", "step-done b"]);
    assert.deepEqual(io.events[0], {
      type: "plan",
      steps: [
        { id: "a", title: "Step a", expectedSeconds: 30 },
        { id: "b", title: "Step b" },
      ],
    });
    const saved = await readState(path);
    assert.equal(saved?.steps.a?.status, "done");
    assert.deepEqual(saved?.steps.b?.outputs, { from: "b" });
    assert.deepEqual(saved?.steps.b.createdIds, ["/r/b"]);
  });
});

describe("runSteps: graph validation", () => {
  for (const [name, steps, pattern] of [
    [
      "a cycle",
      [
        { id: "a", deps: ["c"] },
        { id: "b", deps: ["a"] },
        { id: "c", deps: ["b"] },
      ],
      /dependency cycle: (a|b|c) -> .* -> .*/,
    ],
    ["an unknown dependency", [{ id: "a", deps: ["ghost"] }], /depends on unknown step "ghost"/],
    [
      "a duplicate id",
      [
        { id: "a", deps: [] },
        { id: "a", deps: [] },
      ],
      /used twice/,
    ],
    ["a self-dependency", [{ id: "a", deps: ["a"] }], /depends on itself/],
  ] as const) {
    it(`refuses ${name} before running or saving anything`, async () => {
      const { state, path } = await newState();
      const before = JSON.stringify((await readState(path))?.steps);
      const h = new Harness();
      const graph = steps.map((s) => h.step(s.id, [...s.deps]));
      await assert.rejects(runSteps(graph, {}, baseOptions(state, recorder())), (err: unknown) => {
        assert.ok(err instanceof SecureAmlError);
        assert.equal(err.code, "STEP_GRAPH_INVALID");
        assert.match(err.message, pattern);
        return true;
      });
      assert.deepEqual(h.log, []);
      assert.equal(JSON.stringify((await readState(path))?.steps), before);
    });
  }

  it("refuses an unknown id in `only` as bad input (exit 2)", async () => {
    const { state } = await newState();
    const h = new Harness();
    await assert.rejects(
      runSteps([h.step("a")], {}, baseOptions(state, recorder(), { only: ["nope"] })),
      (err: unknown) => err instanceof SecureAmlError && err.exitCode === 2 && /nope/.test(err.message),
    );
  });
});

describe("runSteps: failures", () => {
  it("retries transient failures with backoff, honouring retryAfterMs, then succeeds", async () => {
    const { state, path } = await newState();
    const io = recorder();
    let calls = 0;
    const flaky: Step<unknown> = {
      id: "flaky",
      title: "Flaky",
      dependsOn: [],
      run: async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error("throttled"), { transient: true, retryAfterMs: 3 });
        if (calls === 2) throw Object.assign(new Error("503"), { transient: true });
        return { resources: [] };
      },
    };
    const summary = await runSteps([flaky], {}, baseOptions(state, io, { random: () => 1 }));
    assert.equal(summary.status, "succeeded");
    assert.equal(calls, 3);
    const retries = io.events.filter((e) => e.type === "step-retry");
    assert.deepEqual(
      retries.map((e) => (e.type === "step-retry" ? [e.attempt, e.delayMs, e.error.message] : [])),
      [
        [1, 3, "throttled"],
        [2, 2, "503"],
      ],
    );
    assert.deepEqual(
      io.events.filter((e) => e.type === "step-start").map((e) => (e.type === "step-start" ? e.attempt : 0)),
      [1, 2, 3],
    );
    const saved = await readState(path);
    assert.equal(saved?.steps.flaky?.attempts, 3);
    assert.equal(saved?.steps.flaky.status, "done");
    assert.equal(saved?.steps.flaky.lastError, undefined);
  });

  it("gives up on a transient failure after the last attempt", async () => {
    const { state } = await newState();
    let calls = 0;
    const always: Step<unknown> = {
      id: "t",
      title: "T",
      dependsOn: [],
      run: async () => {
        calls++;
        throw Object.assign(new Error("busy"), { transient: true });
      },
    };
    const summary = await runSteps([always], {}, baseOptions(state, recorder()));
    assert.equal(calls, 3);
    assert.equal(summary.status, "failed");
  });

  it("computes exponential delays with jitter, capped", () => {
    const policy = { attempts: 9, baseDelayMs: 100, maxDelayMs: 1_000 };
    assert.equal(
      retryDelayMs(1, new Error("x"), policy, () => 0),
      50,
    );
    assert.equal(
      retryDelayMs(1, new Error("x"), policy, () => 1),
      100,
    );
    assert.equal(
      retryDelayMs(3, new Error("x"), policy, () => 1),
      400,
    );
    assert.equal(
      retryDelayMs(8, new Error("x"), policy, () => 1),
      1_000,
    );
    assert.equal(
      retryDelayMs(8, new Error("x"), policy, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(1, { retryAfterMs: 7_000 }, policy, () => 0),
      7_000,
    );
  });

  it("a permanent failure stops scheduling, lets running steps finish, skips dependants and saves state", async () => {
    const { state, path } = await newState();
    const h = new Harness();
    const io = recorder();
    const slow = h.gate("slow");
    const failing: Step<unknown> = {
      id: "bad",
      title: "Bad",
      dependsOn: [],
      run: async () => {
        await h.started("slow");
        throw new SecureAmlError("NAME_TAKEN", "The name is taken.", 1, undefined, "StorageAccountAlreadyTaken");
      },
    };
    const steps = [h.step("slow"), failing, h.step("later"), h.step("child", ["bad"]), h.step("grandchild", ["child"])];
    const run = runSteps(steps, {}, baseOptions(state, io, { concurrency: 2 }));
    await new Promise<void>((resolve) => {
      const check = () => (io.events.some((e) => e.type === "step-failed") ? resolve() : setImmediate(check));
      check();
    });
    assert.equal(h.log.includes("end slow"), false, "slow still running when bad failed");
    slow.resolve();
    const summary = await run;
    assert.equal(summary.status, "failed");
    assert.equal(summary.exitCode, 1);
    assert.equal(summary.failedStep, "bad");
    assert.deepEqual(summary.error, { code: "NAME_TAKEN", message: "The name is taken.", armCode: "StorageAccountAlreadyTaken", next: "secure-aml init" });
    const byId = Object.fromEntries(summary.steps.map((s) => [s.id, s]));
    assert.equal(byId.slow!.status, "done", "running step finished");
    assert.equal(byId.later!.status, "skipped");
    assert.match(byId.later!.reason ?? "", /stopped after step "bad" failed/);
    assert.match(byId.child!.reason ?? "", /dependency "bad" failed/);
    assert.match(byId.grandchild!.reason ?? "", /dependency "child" was skipped/);
    assert.deepEqual(h.log, ["start slow", "end slow"], "nothing new was started");
    const skips = io.events.filter((e) => e.type === "step-skip").map((e) => (e.type === "step-skip" ? e.id : ""));
    assert.deepEqual(skips.sort(), ["child", "grandchild", "later"]);
    const saved = await readState(path);
    assert.equal(saved?.steps.bad?.status, "failed");
    assert.deepEqual(saved?.steps.bad.lastError, { code: "NAME_TAKEN", message: "The name is taken." });
    assert.equal(saved?.steps.slow?.status, "done");
    assert.equal(saved?.steps.later?.status, "pending");
  });

  it("on abort: stops scheduling, aborts running steps, saves state and reports interrupted (130)", async () => {
    const { state, path } = await newState();
    const h = new Harness();
    h.gate("a");
    const controller = new AbortController();
    const run = runSteps([h.step("a"), h.step("b", ["a"]), h.step("c")], {}, baseOptions(state, recorder(), { concurrency: 1, signal: controller.signal }));
    await h.started("a");
    controller.abort(new Error("SIGINT"));
    const summary = await run;
    assert.equal(summary.status, "interrupted");
    assert.equal(summary.exitCode, 130);
    assert.equal(summary.error?.code, "INTERRUPTED");
    assert.equal(summary.error?.next, "secure-aml init");
    assert.deepEqual(
      summary.steps.map((s) => s.status),
      ["interrupted", "skipped", "skipped"],
    );
    const saved = await readState(path);
    assert.equal(saved?.steps.a?.status, "pending");
    assert.equal(saved?.steps.a.lastError?.code, "INTERRUPTED");
  });

  it("does not wait forever for a step that ignores its abort signal", async () => {
    const { state, path } = await newState();
    const started = deferred();
    const never = deferred();
    const stubborn: Step<unknown> = {
      id: "stubborn",
      title: "Stubborn",
      dependsOn: [],
      run: async () => {
        started.resolve();
        await never.promise;
        return { resources: [] };
      },
    };
    const controller = new AbortController();
    const run = runSteps([stubborn], {}, baseOptions(state, recorder(), { signal: controller.signal, abortGraceMs: 5 }));
    // Abort only once the step runs: aborted earlier, the step would never start and nothing could finish late.
    await started.promise;
    controller.abort();
    const summary = await run;
    assert.equal(summary.status, "interrupted");
    assert.deepEqual(
      summary.steps.map((s) => [s.id, s.status]),
      [["stubborn", "interrupted"]],
    );
    assert.equal(state.step("stubborn")?.attempts, 1, "the attempt was under way when the run gave up on it");
    // Count every state write from here on: the late finish must make none.
    let lateWrites = 0;
    const update = state.update.bind(state);
    state.update = (mutate) => {
      lateWrites++;
      return update(mutate);
    };
    never.resolve();
    // The step's continuation after `run` resolves is a chain of microtasks; a macrotask turn runs it all.
    await new Promise((r) => setImmediate(r));
    assert.equal(lateWrites, 0, "a late finish does not write state");
    assert.equal(state.step("stubborn")?.status, "pending");
    assert.equal((await readState(path))?.steps.stubborn?.status, "pending");
  });
});

describe("runSteps: outputs and resume", () => {
  it("passes outputs from this run, and from the state file for steps not selected", async () => {
    const { state } = await newState();
    const seen: Record<string, string>[] = [];
    const producer: Step<unknown> = { id: "p", title: "P", dependsOn: [], run: async () => ({ resources: [], outputs: { principalId: "1234" } }) };
    const consumer: Step<unknown> = {
      id: "c",
      title: "C",
      dependsOn: ["p"],
      run: async (_ctx, io) => {
        seen.push(io.outputs("p"));
        return { resources: [] };
      },
    };
    await runSteps([producer, consumer], {}, baseOptions(state, recorder()));
    await runSteps([producer, consumer], {}, baseOptions(state, recorder(), { only: ["c"] }));
    assert.deepEqual(seen, [{ principalId: "1234" }, { principalId: "1234" }]);
  });

  it("refuses outputs of a step that has not finished", async () => {
    const { state } = await newState();
    const greedy: Step<unknown> = { id: "g", title: "G", dependsOn: [], run: async (_ctx, io) => ({ resources: [], outputs: io.outputs("other") }) };
    const other: Step<unknown> = { id: "other", title: "O", dependsOn: [], run: async () => ({ resources: [] }) };
    const summary = await runSteps([greedy, other], {}, baseOptions(state, recorder(), { concurrency: 1 }));
    assert.equal(summary.error?.code, "STEP_OUTPUTS_UNAVAILABLE");
  });

  it("calls run for steps recorded as done and says which were done before", async () => {
    const { state } = await newState();
    const h = new Harness();
    const steps = [h.step("a"), h.step("b", ["a"])];
    await runSteps(steps, {}, baseOptions(state, recorder()));
    const io = recorder();
    const summary = await runSteps(steps, {}, baseOptions(state, io));
    assert.deepEqual(
      h.runs,
      new Map([
        ["a", 2],
        ["b", 2],
      ]),
    );
    assert.deepEqual(summary.previouslyDone, ["a", "b"]);
    assert.ok(summary.steps.every((s) => s.wasDoneBefore));
    assert.ok(io.events.some((e) => e.type === "log" && /2 of 2 steps were done before \(a, b\)/.test(e.message)));
  });

  it("a step skipped for an unmet, unselected dependency says so", async () => {
    const { state } = await newState();
    const h = new Harness();
    const summary = await runSteps([h.step("a"), h.step("b", ["a"])], {}, baseOptions(state, recorder(), { only: ["b"] }));
    assert.equal(summary.steps[0]!.status, "skipped");
    assert.match(summary.steps[0]!.reason ?? "", /"a" is not selected and not recorded as done/);
  });
});

describe("planSteps, criticalPath, sequentialSum", () => {
  it("calls plan in dependency order and gathers planned resources", async () => {
    const order: string[] = [];
    const mk = (id: string, deps: string[]): Step<unknown> => ({
      id,
      title: id,
      dependsOn: deps,
      run: async () => {
        throw new Error("plan must not run");
      },
      plan: async () => {
        order.push(id);
        return [{ id: `/r/${id}`, kind: "K", name: id, action: "create", group: "g" }];
      },
    });
    const result = await planSteps([mk("late", ["early"]), mk("early", []), { ...mk("noplan", []), plan: undefined }], {}, { io: recorder() });
    assert.deepEqual(order, ["early", "late"]);
    assert.deepEqual(
      result.resources.map((r) => r.name),
      ["early", "late"],
    );
    assert.deepEqual(
      result.steps.map((s) => s.id),
      ["early", "late", "noplan"],
    );
  });

  it("finds the longest dependency chain", () => {
    const steps = [
      { id: "rg", dependsOn: [], s: 5 },
      { id: "vnet", dependsOn: ["rg"], s: 10 },
      { id: "kv", dependsOn: ["rg"], s: 30 },
      { id: "pe", dependsOn: ["vnet", "kv"], s: 60 },
      { id: "bastion", dependsOn: ["vnet"], s: 300 },
    ];
    assert.deepEqual(
      criticalPath(steps, (s) => s.s),
      { seconds: 315, path: ["rg", "vnet", "bastion"] },
    );
    assert.equal(
      sequentialSum(steps, (s) => s.s),
      405,
    );
    assert.deepEqual(
      criticalPath([], () => 1),
      { seconds: 0, path: [] },
    );
    assert.throws(() => criticalPath([{ id: "a", dependsOn: ["a"] }], () => 1), /depends on itself/);
  });
});
