// The step engine: runs steps as a dependency graph with bounded concurrency, records progress in the
// state file, retries transient failures, stops cleanly on a permanent one or on interrupt. It knows
// nothing of Azure and renders nothing: it tells an IoHost what happens through EngineEvents.

import { ExitCode, SecureAmlError, type ExitCodeValue } from "../errors.js";
import { topologicalOrder, validateGraph } from "./graph.js";
import type { StateHandle, StepRecord } from "./state.js";
import type { ErrorInfo, IoHost, PlannedResource, ResourceOutcome, Step, StepIo, StepResult } from "./types.js";

export { criticalPath, findCycle, sequentialSum, topologicalOrder, validateGraph } from "./graph.js";

export interface RetryPolicy {
  /** Attempts in all, including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 1_000, maxDelayMs: 30_000 };
/** After an interrupt, how long to wait for running steps to honour their abort signal. */
const DEFAULT_ABORT_GRACE_MS = 15_000;
/** A Retry-After longer than this is not honoured as is (capped). */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

export interface RunStepsOptions {
  /** How many steps may run at once; 1 runs them strictly in declaration order. */
  concurrency: number;
  io: IoHost;
  state: StateHandle;
  /** Aborting it interrupts the run (the CLI wires SIGINT/SIGTERM): the summary says "interrupted". */
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Whether a failure is worth retrying. Default: the error has `transient: true`. */
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
}

export type StepOutcomeStatus = "done" | "failed" | "skipped" | "interrupted";

export interface StepOutcome {
  id: string;
  title: string;
  status: StepOutcomeStatus;
  /** Attempts in this run. */
  attempts: number;
  durationMs: number;
  resources: ResourceOutcome[];
  outputs: Record<string, string>;
  /** Recorded as done in the state file before this run started. */
  wasDoneBefore: boolean;
  error?: ErrorInfo;
  /** Why a step was skipped. */
  reason?: string;
}

export interface RunSummary {
  status: "succeeded" | "failed" | "interrupted";
  /** 0, 1 (a step failed) or 130 (interrupted). */
  exitCode: ExitCodeValue;
  durationMs: number;
  /** One per selected step, in declaration order. */
  steps: StepOutcome[];
  /** Resources of all steps that finished in this run, in declaration order of their steps. */
  resources: ResourceOutcome[];
  /** Steps the state file recorded as done when the run started. */
  previouslyDone: string[];
  /** The first step that failed permanently. */
  failedStep?: string;
  /** The first permanent failure (or the interrupt), with `next` = resumeCommand. */
  error?: ErrorInfo;
}

/** Default classification: an error object that says `transient: true`. */
function defaultIsTransient(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { transient?: unknown }).transient === true;
}

/** Default description of a failure. Never includes stack traces. */
export function defaultToErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof SecureAmlError) {
    return { code: err.code, message: err.message, ...(err.armCode ? { armCode: err.armCode } : {}), ...(err.next ? { next: err.next } : {}) };
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : "STEP_FAILED", message: err.message };
  }
  return { code: "STEP_FAILED", message: String(err) };
}

/** Backoff before attempt `failedAttempt + 1`: exponential, equal jitter, or the error's retryAfterMs. */
export function retryDelayMs(failedAttempt: number, err: unknown, policy: RetryPolicy, random: () => number = Math.random): number {
  const retryAfter = typeof err === "object" && err !== null ? (err as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  if (typeof retryAfter === "number" && Number.isFinite(retryAfter) && retryAfter >= 0) {
    return Math.min(Math.ceil(retryAfter), MAX_RETRY_AFTER_MS);
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function interruptedInfo(next: string | undefined): ErrorInfo {
  return { code: "INTERRUPTED", message: "The run was interrupted; the state file records how far it got.", ...(next ? { next } : {}) };
}

function selectSteps<C>(steps: readonly Step<C>[], only: string[] | undefined): Step<C>[] {
  if (!only) return [...steps];
  const known = new Set(steps.map((s) => s.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new SecureAmlError(
      "UNKNOWN_STEP",
      `Unknown step${unknown.length === 1 ? "" : "s"}: ${unknown.join(", ")} (known: ${[...known].join(", ")}).`,
      ExitCode.badInput,
    );
  }
  const wanted = new Set(only);
  return steps.filter((s) => wanted.has(s.id));
}

/**
 * Runs `steps` (validated first: unknown dependency or cycle throws STEP_GRAPH_INVALID before anything
 * runs). Every selected step's `run` is called, also for steps recorded as done (they converge cheaply).
 * Resolves with a summary; rejects only for an invalid graph or `only` list.
 */
export async function runSteps<C>(steps: Step<C>[], ctx: C, opts: RunStepsOptions): Promise<RunSummary> {
  validateGraph(steps);
  const selected = selectSteps(steps, opts.only);
  const selectedIds = new Set(selected.map((s) => s.id));
  const concurrency = Math.max(1, Math.floor(opts.concurrency));
  const retry = opts.retry ?? DEFAULT_RETRY;
  const isTransient = opts.isTransient ?? defaultIsTransient;
  const toErrorInfo = opts.toErrorInfo ?? defaultToErrorInfo;
  const random = opts.random ?? Math.random;
  const { io, state } = opts;
  const runStarted = Date.now();

  const previouslyDone = selected.filter((s) => state.step(s.id)?.status === "done").map((s) => s.id);
  const outcomes = new Map<string, StepOutcome>();
  const outputsThisRun = new Map<string, Record<string, string>>();
  const pending = new Set(selected.map((s) => s.id));
  const running = new Map<string, Promise<void>>();
  const controllers = new Map<string, AbortController>();
  const heldMutexes = new Set<string>();
  let firstFailure: { stepId: string; error: ErrorInfo } | undefined;
  let interrupted = false;
  let closed = false; // once the summary is built, late-finishing steps must not touch the state

  // Steps that record themselves before the run (so the file lists every step from the start).
  const unrecorded = selected.filter((step) => !state.step(step.id));
  if (unrecorded.length > 0) {
    await state.update((s) => {
      for (const step of unrecorded) s.steps[step.id] = { status: "pending", attempts: 0, outputs: {}, resources: [] };
    });
  }

  io.notify({ type: "plan", steps: selected.map((s) => ({ id: s.id, title: s.title, ...(s.expectedSeconds !== undefined ? { expectedSeconds: s.expectedSeconds } : {}) })) });
  if (previouslyDone.length > 0) {
    io.notify({
      type: "log",
      level: "info",
      message: `Resuming: ${previouslyDone.length} of ${selected.length} steps were done before (${previouslyDone.join(", ")}); checking them against what exists.`,
    });
  }

  let wake: () => void = () => undefined;
  const woken = () => new Promise<void>((resolve) => (wake = resolve));
  let graceExpired = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    interrupted = true;
    for (const controller of controllers.values()) controller.abort(opts.signal?.reason);
    graceTimer = setTimeout(() => {
      graceExpired = true;
      wake();
    }, opts.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS);
    wake();
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener("abort", onAbort, { once: true });

  const outputsOf = (requester: string, stepId: string): Record<string, string> => {
    const fresh = outputsThisRun.get(stepId);
    if (fresh) return { ...fresh };
    if (!selectedIds.has(stepId) || outcomes.get(stepId)?.status === "done") {
      const record = state.step(stepId);
      if (record?.status === "done") return { ...record.outputs };
    }
    throw new SecureAmlError(
      "STEP_OUTPUTS_UNAVAILABLE",
      `Step "${requester}" asked for the outputs of step "${stepId}", which has not finished (is it in dependsOn?).`,
    );
  };

  const skip = (step: Step<C>, reason: string) => {
    pending.delete(step.id);
    outcomes.set(step.id, {
      id: step.id,
      title: step.title,
      status: "skipped",
      attempts: 0,
      durationMs: 0,
      resources: [],
      outputs: {},
      wasDoneBefore: previouslyDone.includes(step.id),
      reason,
    });
    io.notify({ type: "step-skip", id: step.id, title: step.title, reason });
  };

  /** "ready", "wait", or why the step can never run in this run. */
  const readiness = (step: Step<C>): { ready: true } | { ready: false; never?: string } => {
    for (const dep of step.dependsOn) {
      if (selectedIds.has(dep)) {
        const outcome = outcomes.get(dep);
        if (!outcome) return { ready: false };
        if (outcome.status !== "done") return { ready: false, never: `dependency "${dep}" ${outcome.status === "skipped" ? "was skipped" : outcome.status}` };
      } else if (state.step(dep)?.status !== "done") {
        return { ready: false, never: `dependency "${dep}" is not selected and not recorded as done` };
      }
    }
    return { ready: true };
  };

  const runOne = async (step: Step<C>): Promise<void> => {
    const controller = new AbortController();
    controllers.set(step.id, controller);
    if (interrupted) controller.abort(opts.signal?.reason);
    const started = Date.now();
    const wasDoneBefore = previouslyDone.includes(step.id);
    let attempt = 0;
    const finish = (outcome: Omit<StepOutcome, "id" | "title" | "attempts" | "durationMs" | "wasDoneBefore">) => {
      outcomes.set(step.id, { id: step.id, title: step.title, attempts: attempt, durationMs: Date.now() - started, wasDoneBefore, ...outcome });
    };
    const stepIo: StepIo = {
      signal: controller.signal,
      progress: (message) => {
        if (!closed) io.notify({ type: "step-progress", id: step.id, message });
      },
      outputs: (stepId) => outputsOf(step.id, stepId),
    };
    const saveOrNull = async (mutate: (record: StepRecord) => void): Promise<unknown> => {
      if (closed) return null;
      try {
        await state.update((s) => {
          s.steps[step.id] ??= { status: "pending", attempts: 0, outputs: {}, resources: [] };
          mutate(s.steps[step.id]);
        });
        return null;
      } catch (err) {
        return err;
      }
    };
    /** Ends this step without outputs; only a real failure (not an interrupt) becomes the run's first failure. */
    const stopFailed = (status: "failed" | "interrupted", error: ErrorInfo) => {
      finish({ status, resources: [], outputs: {}, error });
      io.notify({ type: "step-failed", id: step.id, title: step.title, durationMs: Date.now() - started, error });
      if (status === "failed") firstFailure ??= { stepId: step.id, error };
    };
    /** Interrupted: the step goes back to pending, so the resume command runs it again. */
    const stopInterrupted = async () => {
      const error = interruptedInfo(opts.resumeCommand);
      await saveOrNull((r) => {
        r.status = "pending";
        r.lastError = { code: error.code, message: error.message };
      });
      stopFailed("interrupted", error);
    };

    for (;;) {
      attempt++;
      const startedAt = new Date().toISOString();
      const saveError = await saveOrNull((r) => {
        r.status = "running";
        r.attempts++;
        r.startedAt = startedAt;
      });
      if (saveError) {
        const error: ErrorInfo = {
          code: "STATE_WRITE_FAILED",
          message: `Could not save the state file: ${saveError instanceof Error ? saveError.message : String(saveError)}`,
          ...(opts.resumeCommand ? { next: opts.resumeCommand } : {}),
        };
        stopFailed("failed", error);
        return;
      }
      io.notify({ type: "step-start", id: step.id, title: step.title, attempt, ...(step.expectedSeconds !== undefined ? { expectedSeconds: step.expectedSeconds } : {}) });
      let failure: unknown;
      let result: StepResult | undefined;
      try {
        if (controller.signal.aborted) throw controller.signal.reason;
        result = await step.run(ctx, stepIo);
        if (!result || !Array.isArray(result.resources)) {
          throw new SecureAmlError("STEP_RESULT_INVALID", `Step "${step.id}" returned no resources list.`);
        }
      } catch (err) {
        failure = err;
      }
      if (closed) return; // the run gave up waiting for this step (interrupt grace expired)

      if (result && failure === undefined) {
        const outputs = { ...(result.outputs ?? {}) };
        const resources = result.resources.map((r) => ({ ...r }));
        const finishedAt = new Date().toISOString();
        const durationMs = Date.now() - started;
        const saveErr = await saveOrNull((r) => {
          r.status = "done";
          r.finishedAt = finishedAt;
          r.durationMs = durationMs;
          r.outputs = outputs;
          r.resources = resources;
          const created = new Set(r.createdIds ?? []);
          for (const res of resources) if (res.action === "created") created.add(res.id);
          if (created.size > 0) r.createdIds = [...created];
          delete r.lastError;
        });
        if (saveErr) {
          failure = saveErr;
        } else {
          outputsThisRun.set(step.id, outputs);
          finish({ status: "done", resources, outputs });
          io.notify({ type: "step-done", id: step.id, title: step.title, durationMs, resources });
          return;
        }
      }

      if (controller.signal.aborted) {
        await stopInterrupted();
        return;
      }

      const info = toErrorInfo(failure);
      const transient = info.transient ?? isTransient(failure);
      if (transient && attempt < retry.attempts) {
        const delayMs = retryDelayMs(attempt, failure, retry, random);
        await saveOrNull((r) => {
          r.lastError = { code: info.code, message: info.message };
        });
        io.notify({ type: "step-retry", id: step.id, attempt, delayMs, error: info });
        try {
          await abortableSleep(delayMs, controller.signal);
        } catch {
          // interrupted while waiting: recorded below on the next loop turn
        }
        if (controller.signal.aborted) {
          await stopInterrupted();
          return;
        }
        continue;
      }

      const error: ErrorInfo = { ...info, ...(opts.resumeCommand ? { next: opts.resumeCommand } : {}) };
      const finishedAt = new Date().toISOString();
      await saveOrNull((r) => {
        r.status = "failed";
        r.finishedAt = finishedAt;
        r.lastError = { code: info.code, message: info.message };
      });
      stopFailed("failed", error);
      return;
    }
  };

  const start = (step: Step<C>) => {
    pending.delete(step.id);
    if (step.mutex) heldMutexes.add(step.mutex);
    const promise = runOne(step)
      .catch((err: unknown) => {
        // runOne handles step errors itself; this is a defect in the engine or the IoHost.
        const error: ErrorInfo = { code: "ENGINE_ERROR", message: err instanceof Error ? err.message : String(err) };
        if (!outcomes.has(step.id)) {
          outcomes.set(step.id, { id: step.id, title: step.title, status: "failed", attempts: 0, durationMs: 0, resources: [], outputs: {}, wasDoneBefore: previouslyDone.includes(step.id), error });
        }
        firstFailure ??= { stepId: step.id, error };
      })
      .finally(() => {
        running.delete(step.id);
        controllers.delete(step.id);
        if (step.mutex) heldMutexes.delete(step.mutex);
        wake();
      });
    running.set(step.id, promise);
  };

  for (;;) {
    // Skip what can never run (a dependency failed or was skipped), to a fixed point.
    for (let changed = true; changed; ) {
      changed = false;
      for (const step of selected) {
        if (!pending.has(step.id)) continue;
        const r = readiness(step);
        if (!r.ready && r.never) {
          skip(step, r.never);
          changed = true;
        }
      }
    }
    if (!interrupted && !firstFailure) {
      for (const step of selected) {
        if (running.size >= concurrency) break;
        if (!pending.has(step.id)) continue;
        if (step.mutex && heldMutexes.has(step.mutex)) continue;
        if (readiness(step).ready) start(step);
      }
    }
    if (running.size === 0 || graceExpired) break;
    const nudge = woken();
    await nudge;
  }

  closed = true;
  if (graceTimer) clearTimeout(graceTimer);
  opts.signal?.removeEventListener("abort", onAbort);

  // Steps still running after the interrupt grace: recorded as interrupted (pending in the state).
  for (const id of running.keys()) {
    const step = selected.find((s) => s.id === id) as Step<C>;
    const error = interruptedInfo(opts.resumeCommand);
    const record = state.step(id);
    if (record) {
      record.status = "pending";
      record.lastError = { code: error.code, message: error.message };
    }
    outcomes.set(id, { id, title: step.title, status: "interrupted", attempts: 0, durationMs: 0, resources: [], outputs: {}, wasDoneBefore: previouslyDone.includes(id), error });
    io.notify({ type: "step-failed", id, title: step.title, durationMs: 0, error });
  }
  for (const step of selected) {
    if (!pending.has(step.id)) continue;
    const reason = interrupted
      ? "not started: the run was interrupted"
      : firstFailure
        ? `not started: the run stopped after step "${firstFailure.stepId}" failed`
        : (readiness(step) as { never?: string }).never ?? "not started";
    skip(step, reason);
  }
  await state.save();

  const ordered = selected.map((s) => outcomes.get(s.id) as StepOutcome);
  const summary: RunSummary = {
    status: interrupted ? "interrupted" : firstFailure ? "failed" : "succeeded",
    exitCode: interrupted ? ExitCode.interrupted : firstFailure ? ExitCode.failed : ExitCode.ok,
    durationMs: Date.now() - runStarted,
    steps: ordered,
    resources: ordered.filter((o) => o.status === "done").flatMap((o) => o.resources),
    previouslyDone,
  };
  if (interrupted) summary.error = interruptedInfo(opts.resumeCommand);
  else if (firstFailure) {
    summary.failedStep = firstFailure.stepId;
    summary.error = firstFailure.error;
  }
  if (firstFailure && interrupted) summary.failedStep = firstFailure.stepId;
  return summary;
}

export interface PlanStepsOptions {
  io: IoHost;
  /** Outputs of steps recorded as done are offered through StepIo.outputs. */
  state?: StateHandle;
  signal?: AbortSignal;
  only?: string[];
}

export interface PlanSummary {
  steps: Array<{ id: string; title: string; expectedSeconds?: number; resources: PlannedResource[] }>;
  resources: PlannedResource[];
}

/**
 * Read-only: calls each step's `plan` in dependency order (one at a time) and gathers what would be
 * created or changed. Steps without `plan` contribute nothing. StepIo.outputs returns recorded outputs
 * of done steps, or {} when a dependency does not exist yet.
 */
export async function planSteps<C>(steps: Step<C>[], ctx: C, opts: PlanStepsOptions): Promise<PlanSummary> {
  validateGraph(steps);
  const selected = new Set(selectSteps(steps, opts.only).map((s) => s.id));
  const byId = new Map(steps.map((s) => [s.id, s]));
  const signal = opts.signal ?? new AbortController().signal;
  const summary: PlanSummary = { steps: [], resources: [] };
  for (const id of topologicalOrder(steps)) {
    if (!selected.has(id)) continue;
    if (signal.aborted) throw new SecureAmlError("INTERRUPTED", "Planning was interrupted.", ExitCode.interrupted);
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
    summary.steps.push({ id, title: step.title, ...(step.expectedSeconds !== undefined ? { expectedSeconds: step.expectedSeconds } : {}), resources });
    summary.resources.push(...resources);
  }
  return summary;
}
