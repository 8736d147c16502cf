// The step engine: runs steps as a dependency graph with bounded concurrency, records progress in the
// state file, retries transient failures within a time budget, stops cleanly on a permanent one or on
// interrupt. It knows nothing of Azure and renders nothing: it tells an IoHost what happens through
// EngineEvents, and takes what Azure's errors mean as injected `isTransient` / `toErrorInfo`.
//
// The parts: scheduler.ts (ready set, concurrency, mutexes, interrupt grace), step-runner.ts (one
// step's attempts and retries), retry.ts (the time budget and backoff), step-records.ts (every write
// to the state file), and this file, which wires them and builds the summary.

import { ExitCode, SecureAmlError, describeError, type ErrorInfo } from "../errors.js";
import { topologicalOrder, validateGraph } from "./graph.js";
import { DEFAULT_RETRY, SYSTEM_CLOCK, type Clock, type RetryPolicy } from "./retry.js";
import { schedule, type Readiness } from "./scheduler.js";
import type { StateHandle } from "./state.js";
import { StepRecords } from "./step-records.js";
import { interruptedInfo, runStep, type StepRunEnv } from "./step-runner.js";
import { buildSummary, type RunSummary, type StepOutcome } from "./summary.js";
import type { IoHost, PlannedResource, Step, StepIo } from "./types.js";

export { criticalPath, findCycle, sequentialSum, topologicalOrder, validateGraph } from "./graph.js";
export { DEFAULT_RETRY, decideRetry, retryDelayMs, type Clock, type RetryPolicy } from "./retry.js";
export { buildSummary, type RunSummary, type StepOutcome, type StepOutcomeStatus } from "./summary.js";

/** After an interrupt, how long to wait for running steps to honour their abort signal. */
const DEFAULT_ABORT_GRACE_MS = 15_000;

export interface RunStepsOptions {
  /** How many steps may run at once; 1 runs them strictly in declaration order. */
  concurrency: number;
  io: IoHost;
  state: StateHandle;
  /** Aborting it interrupts the run (the CLI wires SIGINT/SIGTERM): the summary says "interrupted". */
  signal?: AbortSignal;
  /** Default DEFAULT_RETRY: 15 minutes per step, backoff from 2 s to 1 min. */
  retry?: RetryPolicy;
  /** Whether a failure is worth retrying, when `toErrorInfo` does not say. Default: the error says `transient: true`. */
  isTransient?: (err: unknown) => boolean;
  /** How a failure is described. Default: SecureAmlError fields, or code STEP_FAILED and the message. */
  toErrorInfo?: (err: unknown) => ErrorInfo;
  /** Run only these steps; their other dependencies must be recorded as done in the state. */
  only?: string[];
  /** The command that resumes this run (e.g. "secure-aml init --state x"); put in the error's `next`. */
  resumeCommand?: string;
  abortGraceMs?: number;
  /** Random source for backoff jitter (tests). Default Math.random. */
  random?: () => number;
  /** Time for retry budgets and backoff sleeps (tests). Default: the system clock. */
  clock?: Clock;
}

/** Default classification: an error object that says `transient: true`. */
function defaultIsTransient(err: unknown): boolean {
  return describeError(err).transient === true;
}

/** Default description of a failure. Never includes stack traces. */
export function defaultToErrorInfo(err: unknown): ErrorInfo {
  return describeError(err, "STEP_FAILED");
}

function selectSteps<C>(steps: readonly Step<C>[], only: string[] | undefined): Step<C>[] {
  if (!only) return [...steps];
  const known = new Set(steps.map((s) => s.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new SecureAmlError("UNKNOWN_STEP", `Unknown step${unknown.length === 1 ? "" : "s"}: ${unknown.join(", ")} (known: ${[...known].join(", ")}).`, ExitCode.badInput);
  }
  const wanted = new Set(only);
  return steps.filter((s) => wanted.has(s.id));
}

/**
 * Runs `steps` (validated first: unknown dependency or cycle throws STEP_GRAPH_INVALID before anything
 * runs). Every selected step's `run` is called, also for steps recorded as done (they converge cheaply).
 * Resolves with a summary; rejects only for an invalid graph or `only` list, or when the state file
 * cannot be written at the end.
 */
export async function runSteps<C>(steps: Step<C>[], ctx: C, opts: RunStepsOptions): Promise<RunSummary> {
  validateGraph(steps);
  const selected = selectSteps(steps, opts.only);
  const selectedIds = new Set(selected.map((s) => s.id));
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const { io } = opts;
  const records = new StepRecords(opts.state);
  const runStarted = clock.now();

  const previouslyDone = selected.filter((s) => records.wasDone(s.id)).map((s) => s.id);
  const outcomes = new Map<string, StepOutcome>();
  const outputsThisRun = new Map<string, Record<string, string>>();
  let firstFailure: { stepId: string; error: ErrorInfo } | undefined;

  await records.register(selected.map((s) => s.id));
  announce(io, selected, previouslyDone);

  const outcomeOf = (step: Step<C>, rest: Omit<StepOutcome, "id" | "title" | "wasDoneBefore">): StepOutcome => ({
    id: step.id,
    title: step.title,
    wasDoneBefore: previouslyDone.includes(step.id),
    ...rest,
  });
  const skip = (step: Step<C>, reason: string) => {
    outcomes.set(step.id, outcomeOf(step, { status: "skipped", attempts: 0, durationMs: 0, resources: [], outputs: {}, reason }));
    io.notify({ type: "step-skip", id: step.id, title: step.title, reason });
  };

  const readiness = (step: Step<C>): Readiness => {
    for (const dep of step.dependsOn) {
      if (selectedIds.has(dep)) {
        const outcome = outcomes.get(dep);
        if (!outcome) return { ready: false };
        if (outcome.status !== "done") return { ready: false, never: `dependency "${dep}" ${outcome.status === "skipped" ? "was skipped" : outcome.status}` };
      } else if (!records.wasDone(dep)) {
        return { ready: false, never: `dependency "${dep}" is not selected and not recorded as done` };
      }
    }
    return { ready: true };
  };

  const env: StepRunEnv<C> = {
    ctx,
    io,
    records,
    retry: opts.retry ?? DEFAULT_RETRY,
    clock,
    random: opts.random ?? Math.random,
    isTransient: opts.isTransient ?? defaultIsTransient,
    toErrorInfo: opts.toErrorInfo ?? defaultToErrorInfo,
    resumeCommand: opts.resumeCommand,
    outputsOf: (requester, stepId) => {
      const fresh = outputsThisRun.get(stepId);
      if (fresh) return { ...fresh };
      if (!selectedIds.has(stepId) || outcomes.get(stepId)?.status === "done") {
        const recorded = records.doneOutputs(stepId);
        if (recorded) return recorded;
      }
      throw new SecureAmlError("STEP_OUTPUTS_UNAVAILABLE", `Step "${requester}" asked for the outputs of step "${stepId}", which has not finished (is it in dependsOn?).`);
    },
  };

  const result = await schedule({
    steps: selected,
    concurrency: opts.concurrency,
    signal: opts.signal,
    abortGraceMs: opts.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS,
    readiness,
    mayStart: () => !firstFailure,
    skip,
    run: async (step, signal) => {
      const r = await runStep(step, env, signal);
      if (r.status === "abandoned") return;
      if (r.status === "done") {
        outputsThisRun.set(step.id, r.outputs);
        outcomes.set(step.id, outcomeOf(step, { status: "done", attempts: r.attempts, durationMs: r.durationMs, resources: r.resources, outputs: r.outputs }));
        return;
      }
      outcomes.set(step.id, outcomeOf(step, { status: r.status, attempts: r.attempts, durationMs: r.durationMs, resources: [], outputs: {}, error: r.error }));
      // Only a real failure (not an interrupt) becomes the run's first failure.
      if (r.status === "failed") firstFailure ??= { stepId: step.id, error: r.error };
    },
    onDefect: (step, err) => {
      // runStep handles step errors itself; this is a defect in the engine or the IoHost.
      const error: ErrorInfo = { code: "ENGINE_ERROR", message: err instanceof Error ? err.message : String(err) };
      if (!outcomes.has(step.id)) outcomes.set(step.id, outcomeOf(step, { status: "failed", attempts: 0, durationMs: 0, resources: [], outputs: {}, error }));
      firstFailure ??= { stepId: step.id, error };
    },
  });

  // From here on, steps that are still running (they ignored the interrupt) write nothing.
  records.close();
  if (result.abandoned.length > 0) {
    const error = interruptedInfo(opts.resumeCommand);
    await records.abandoned(result.abandoned, error);
    for (const id of result.abandoned) {
      const step = selected.find((s) => s.id === id) as Step<C>;
      outcomes.set(id, outcomeOf(step, { status: "interrupted", attempts: 0, durationMs: 0, resources: [], outputs: {}, error }));
      io.notify({ type: "step-failed", id, title: step.title, durationMs: 0, error });
    }
  }
  for (const id of result.notStarted) {
    const step = selected.find((s) => s.id === id) as Step<C>;
    const reason = result.interrupted
      ? "not started: the run was interrupted"
      : firstFailure
        ? `not started: the run stopped after step "${firstFailure.stepId}" failed`
        : ((readiness(step) as { never?: string }).never ?? "not started");
    skip(step, reason);
  }
  await records.flush();

  return buildSummary({
    ordered: selected.map((s) => outcomes.get(s.id) as StepOutcome),
    interrupted: result.interrupted,
    firstFailure,
    previouslyDone,
    durationMs: clock.now() - runStarted,
    resumeCommand: opts.resumeCommand,
  });
}

/** The plan event, and a line when the run resumes an earlier one. */
function announce<C>(io: IoHost, selected: readonly Step<C>[], previouslyDone: readonly string[]): void {
  io.notify({ type: "plan", steps: selected.map((s) => ({ id: s.id, title: s.title, ...(s.expectedSeconds !== undefined ? { expectedSeconds: s.expectedSeconds } : {}) })) });
  if (previouslyDone.length > 0) {
    io.notify({
      type: "log",
      level: "info",
      message: `Resuming: ${previouslyDone.length} of ${selected.length} steps were done before (${previouslyDone.join(", ")}); checking them against what exists.`,
    });
  }
}

export interface PlanStepsOptions {
  io: IoHost;
  /** Outputs of steps recorded as done are offered through StepIo.outputs. */
  state?: StateHandle;
  signal?: AbortSignal;
  only?: string[];
  /**
   * How many steps are planned at once (default 1: one at a time, in dependency order). Planning only
   * reads and takes dependencies' outputs from the state, never from another plan, so any order is
   * correct; the summary keeps dependency order either way.
   */
  concurrency?: number;
}

export interface PlanSummary {
  steps: Array<{ id: string; title: string; expectedSeconds?: number; resources: PlannedResource[] }>;
  resources: PlannedResource[];
}

/**
 * Read-only: calls each step's `plan` in dependency order (`concurrency` at a time) and gathers what
 * would be created or changed. Steps without `plan` contribute nothing. StepIo.outputs returns
 * recorded outputs of done steps, or {} when a dependency does not exist yet.
 */
export async function planSteps<C>(steps: Step<C>[], ctx: C, opts: PlanStepsOptions): Promise<PlanSummary> {
  validateGraph(steps);
  const selected = new Set(selectSteps(steps, opts.only).map((s) => s.id));
  const byId = new Map(steps.map((s) => [s.id, s]));
  const signal = opts.signal ?? new AbortController().signal;
  const order = topologicalOrder(steps).filter((id) => selected.has(id));
  const planned: Array<PlanSummary["steps"][number] | undefined> = [];
  const planOne = async (id: string): Promise<PlanSummary["steps"][number]> => {
    const step = byId.get(id) as Step<C>;
    const io: StepIo = {
      signal,
      progress: (message) => opts.io.notify({ type: "step-progress", id, message }),
      outputs: (stepId) => {
        const record = opts.state?.step(stepId);
        return record?.status === "done" ? { ...record.outputs } : {};
      },
    };
    const resources = step.plan ? await step.plan(ctx, io) : [];
    return { id, title: step.title, ...(step.expectedSeconds !== undefined ? { expectedSeconds: step.expectedSeconds } : {}), resources };
  };
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < order.length) {
      const index = next++;
      if (signal.aborted) throw new SecureAmlError("INTERRUPTED", "Planning was interrupted.", ExitCode.interrupted);
      try {
        planned[index] = await planOne(order[index] as string);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = Math.min(order.length, Math.max(1, Math.floor(opts.concurrency ?? 1)));
  await Promise.all(Array.from({ length: workers }, worker));
  const summary: PlanSummary = { steps: [], resources: [] };
  for (const entry of planned) {
    if (!entry) continue;
    summary.steps.push(entry);
    summary.resources.push(...entry.resources);
  }
  return summary;
}
