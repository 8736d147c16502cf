// One step from its first attempt to its end: each attempt, the retry decision between attempts
// (time budget, backoff, Retry-After), the state-file writes (through StepRecords) and the events the
// UI sees (step-start, step-retry, step-done, step-failed).

import { SecureAmlError, type ErrorInfo } from "../errors.js";
import { budgetExhausted, decideRetry, DEFAULT_RETRY, type Clock, type RetryPolicy } from "./retry.js";
import type { StepRecords } from "./step-records.js";
import type { IoHost, ResourceOutcome, Step, StepIo, StepResult } from "./types.js";

export interface StepRunEnv<C> {
  ctx: C;
  io: IoHost;
  records: StepRecords;
  retry: RetryPolicy;
  clock: Clock;
  random: () => number;
  isTransient: (err: unknown) => boolean;
  toErrorInfo: (err: unknown) => ErrorInfo;
  /** The command that resumes the run; becomes the `next` of a failure. */
  resumeCommand?: string;
  /** Outputs of another step, for StepIo.outputs (throws STEP_OUTPUTS_UNAVAILABLE when it has none yet). */
  outputsOf(requester: string, stepId: string): Record<string, string>;
}

export type StepRunResult =
  | { status: "done"; attempts: number; durationMs: number; resources: ResourceOutcome[]; outputs: Record<string, string> }
  | { status: "failed" | "interrupted"; attempts: number; durationMs: number; error: ErrorInfo }
  /** The run stopped waiting for this step (interrupt grace expired): nothing more is recorded. */
  | { status: "abandoned" };

export function interruptedInfo(next: string | undefined): ErrorInfo {
  return { code: "INTERRUPTED", message: "The run was interrupted; the state file records how far it got.", ...(next ? { next } : {}) };
}

/** The error as shown (no retry internals), with `next` replaced when given. */
function withNext(error: ErrorInfo, next: string | undefined): ErrorInfo {
  const { transient: _transient, retryAfterMs: _retryAfterMs, ...shown } = error;
  const resolved = next ?? shown.next;
  return { ...shown, ...(resolved ? { next: resolved } : {}) };
}

/** The state file could not be written (disk full, permissions): the step's work is done but not recorded. */
function stateWriteFailed(cause: unknown): SecureAmlError {
  return new SecureAmlError("STATE_WRITE_FAILED", `Could not save the state file: ${cause instanceof Error ? cause.message : String(cause)}`);
}

type Attempt = { ok: true; result: StepResult } | { ok: false; failure: unknown };

/** Calls `run` once; a result without a resources list is a failure (STEP_RESULT_INVALID). */
async function attemptOnce<C>(step: Step<C>, ctx: C, stepIo: StepIo): Promise<Attempt> {
  try {
    if (stepIo.signal.aborted) throw stepIo.signal.reason;
    const result = await step.run(ctx, stepIo);
    if (!result || !Array.isArray(result.resources)) {
      throw new SecureAmlError("STEP_RESULT_INVALID", `Step "${step.id}" returned no resources list.`);
    }
    return { ok: true, result };
  } catch (failure) {
    return { ok: false, failure };
  }
}

/**
 * Runs `step` until it is done, fails permanently, runs out of retry budget or is interrupted
 * (`signal`). Resolves, never rejects, except for a defect in the IoHost.
 */
export async function runStep<C>(step: Step<C>, env: StepRunEnv<C>, signal: AbortSignal): Promise<StepRunResult> {
  const { io, records, clock } = env;
  const started = clock.now();
  let attempt = 0;
  /** When this step first failed in this run: the retry budget runs from there (a slow success costs none of it). */
  let firstFailureAt: number | undefined;
  const elapsed = () => clock.now() - started;
  const stepIo: StepIo = {
    signal,
    progress: (message) => {
      if (!records.closed) io.notify({ type: "step-progress", id: step.id, message });
    },
    outputs: (stepId) => env.outputsOf(step.id, stepId),
  };
  const fail = (status: "failed" | "interrupted", error: ErrorInfo): StepRunResult => {
    io.notify({ type: "step-failed", id: step.id, title: step.title, durationMs: elapsed(), error });
    return { status, attempts: attempt, durationMs: elapsed(), error };
  };
  const interrupted = async (): Promise<StepRunResult> => {
    const error = interruptedInfo(env.resumeCommand);
    await records.interrupted(step.id, error);
    return fail("interrupted", error);
  };

  for (;;) {
    attempt++;
    const saveError = await records.attemptStarted(step.id, new Date(clock.now()).toISOString());
    if (saveError) return fail("failed", withNext(stateWriteFailed(saveError).toInfo(), env.resumeCommand));
    io.notify({ type: "step-start", id: step.id, title: step.title, attempt, ...(step.expectedSeconds !== undefined ? { expectedSeconds: step.expectedSeconds } : {}) });
    const outcome = await attemptOnce(step, env.ctx, stepIo);
    if (records.closed) return { status: "abandoned" };

    let failure: unknown;
    if (outcome.ok) {
      const outputs = { ...(outcome.result.outputs ?? {}) };
      const resources = outcome.result.resources.map((r) => ({ ...r }));
      const durationMs = elapsed();
      const saveErr = await records.done(step.id, { finishedAt: new Date(clock.now()).toISOString(), durationMs, outputs, resources });
      if (!saveErr) {
        io.notify({ type: "step-done", id: step.id, title: step.title, durationMs, resources });
        return { status: "done", attempts: attempt, durationMs, resources, outputs };
      }
      failure = stateWriteFailed(saveErr);
    } else {
      failure = outcome.failure;
    }

    if (signal.aborted) return interrupted();

    const info = env.toErrorInfo(failure);
    const transient = info.transient ?? env.isTransient(failure);
    firstFailureAt ??= clock.now();
    const decision = decideRetry({ failedAttempt: attempt, error: info, transient, policy: env.retry, startedAt: firstFailureAt, now: clock.now(), random: env.random });
    if (decision.retry) {
      await records.retrying(step.id, info);
      const budgetLeftMs = Math.max(0, firstFailureAt + (env.retry.budgetMs ?? DEFAULT_RETRY.budgetMs) - clock.now() - decision.delayMs);
      io.notify({ type: "step-retry", id: step.id, attempt, delayMs: decision.delayMs, error: withNext(info, undefined), budgetLeftMs });
      try {
        await clock.sleep(decision.delayMs, signal);
      } catch {
        // interrupted while waiting: recorded just below
      }
      if (signal.aborted) return interrupted();
      continue;
    }

    const shown = decision.why === "budget" ? budgetExhausted(info, clock.now() - firstFailureAt, env.retry.budgetMs ?? DEFAULT_RETRY.budgetMs) : info;
    const error = withNext(shown, env.resumeCommand);
    await records.failed(step.id, new Date(clock.now()).toISOString(), shown);
    return fail("failed", error);
  }
}
