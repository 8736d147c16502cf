// The ready set: which steps may start now (dependencies done, a free slot under the concurrency
// limit, their mutex free), in declaration order; which can never run (a dependency failed or was
// skipped); and the interrupt: abort the running steps, wait for them a grace period, then stop
// waiting. It knows nothing of retries, the state file or the UI: the caller's `run` does that.

import type { Step } from "./types.js";

export type Readiness = { ready: true } | { ready: false; never?: string };

export interface ScheduleOptions<C> {
  /** The selected steps, in declaration order (that order breaks ties). */
  steps: readonly Step<C>[];
  concurrency: number;
  /** Aborting it interrupts the run: running steps get their signal aborted, nothing new starts. */
  signal?: AbortSignal;
  /** After an interrupt, how long to wait for running steps to honour their abort signal. */
  abortGraceMs: number;
  readiness(step: Step<C>): Readiness;
  /** False once nothing new may start (a step failed permanently). */
  mayStart(): boolean;
  /** Runs one step to its end; must not reject (a rejection is reported to `onDefect`). */
  run(step: Step<C>, signal: AbortSignal): Promise<void>;
  /** A step that can never run in this run (reason given). */
  skip(step: Step<C>, reason: string): void;
  onDefect(step: Step<C>, err: unknown): void;
}

export interface ScheduleResult {
  interrupted: boolean;
  /** Steps still running when the grace period after an interrupt ran out. */
  abandoned: string[];
  /** Steps never started and not skipped (the run stopped first). */
  notStarted: string[];
}

export async function schedule<C>(o: ScheduleOptions<C>): Promise<ScheduleResult> {
  const concurrency = Math.max(1, Math.floor(o.concurrency));
  const pending = new Set(o.steps.map((s) => s.id));
  const running = new Map<string, Promise<void>>();
  const controllers = new Map<string, AbortController>();
  const heldMutexes = new Set<string>();
  let interrupted = false;
  let graceExpired = false;
  let graceTimer: NodeJS.Timeout | undefined;

  let wake: () => void = () => undefined;
  const woken = () => new Promise<void>((resolve) => (wake = resolve));

  const onAbort = () => {
    interrupted = true;
    for (const controller of controllers.values()) controller.abort(o.signal?.reason);
    graceTimer = setTimeout(() => {
      graceExpired = true;
      wake();
    }, o.abortGraceMs);
    wake();
  };
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener("abort", onAbort, { once: true });

  const start = (step: Step<C>) => {
    pending.delete(step.id);
    if (step.mutex) heldMutexes.add(step.mutex);
    const controller = new AbortController();
    controllers.set(step.id, controller);
    const promise = o
      .run(step, controller.signal)
      .catch((err: unknown) => o.onDefect(step, err))
      .finally(() => {
        running.delete(step.id);
        controllers.delete(step.id);
        if (step.mutex) heldMutexes.delete(step.mutex);
        wake();
      });
    running.set(step.id, promise);
  };

  /** Skips what can never run (a dependency failed or was skipped), to a fixed point. */
  const skipImpossible = () => {
    for (let changed = true; changed; ) {
      changed = false;
      for (const step of o.steps) {
        if (!pending.has(step.id)) continue;
        const r = o.readiness(step);
        if (!r.ready && r.never) {
          pending.delete(step.id);
          o.skip(step, r.never);
          changed = true;
        }
      }
    }
  };

  const startReady = () => {
    for (const step of o.steps) {
      if (running.size >= concurrency) break;
      if (!pending.has(step.id)) continue;
      if (step.mutex && heldMutexes.has(step.mutex)) continue;
      if (o.readiness(step).ready) start(step);
    }
  };

  try {
    for (;;) {
      skipImpossible();
      if (!interrupted && o.mayStart()) startReady();
      if (running.size === 0 || graceExpired) break;
      await woken();
    }
  } finally {
    if (graceTimer) clearTimeout(graceTimer);
    o.signal?.removeEventListener("abort", onAbort);
  }
  return { interrupted, abandoned: [...running.keys()], notStarted: o.steps.filter((s) => pending.has(s.id)).map((s) => s.id) };
}
