// When the engine tries a failed step again, and for how long. Retrying is bounded by TIME, not by a
// count of attempts: Azure's transient states (throttling, another operation on the same VNet, a new
// identity replicating) last seconds to minutes, whatever the number of tries. Backoff is exponential
// with jitter; a Retry-After from Azure is honoured as asked.

import type { ErrorInfo } from "../errors.js";

export interface RetryPolicy {
  /**
   * How long one step may keep retrying, measured from its first failure in this run (a long
   * operation that succeeds costs none of it). A retry whose wait would end after it is not made.
   * Default: DEFAULT_RETRY.budgetMs.
   */
  budgetMs?: number;
  /** An optional cap on attempts in all, including the first (tests); default: no cap, the budget decides. */
  attempts?: number;
  /** The first backoff's ceiling; each next one doubles, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** 15 minutes per step; backoff 2 s, 4 s, 8 s ... capped at one minute (each with equal jitter). */
export const DEFAULT_RETRY: Readonly<Required<Omit<RetryPolicy, "attempts">>> = { budgetMs: 15 * 60_000, baseDelayMs: 2_000, maxDelayMs: 60_000 };

/** A Retry-After longer than this is not honoured as is (capped). */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Time as the engine sees it; tests inject one so that no test waits out a real backoff. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it is aborted first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
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
    }),
};

function retryAfterOf(err: unknown): number | undefined {
  const value = typeof err === "object" && err !== null ? (err as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Backoff before attempt `failedAttempt + 1`: the error's Retry-After (`retryAfterMs`, capped at
 * MAX_RETRY_AFTER_MS) when it has one, else exponential with equal jitter: a random point in
 * [ceiling / 2, ceiling], ceiling = min(maxDelayMs, baseDelayMs × 2^(failedAttempt − 1)).
 */
export function retryDelayMs(failedAttempt: number, err: unknown, policy: RetryPolicy, random: () => number = Math.random): number {
  const retryAfter = retryAfterOf(err);
  if (retryAfter !== undefined) return Math.min(Math.ceil(retryAfter), MAX_RETRY_AFTER_MS);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; why: "permanent" | "attempts" | "budget" };

/**
 * Whether to try a failed step again, and after how long. `startedAt` is when the budget started (the
 * step's first failure in this run). A computed backoff that would overrun the budget is shortened to end at the
 * budget (one last try); a Retry-After that would overrun it is not (Azure said it is not ready yet).
 */
export function decideRetry(input: {
  failedAttempt: number;
  error: ErrorInfo;
  transient: boolean;
  policy: RetryPolicy;
  startedAt: number;
  now: number;
  random: () => number;
}): RetryDecision {
  const { failedAttempt, error, policy } = input;
  if (!input.transient) return { retry: false, why: "permanent" };
  if (policy.attempts !== undefined && failedAttempt >= policy.attempts) return { retry: false, why: "attempts" };
  const budgetMs = policy.budgetMs ?? DEFAULT_RETRY.budgetMs;
  const left = input.startedAt + budgetMs - input.now;
  if (left <= 0) return { retry: false, why: "budget" };
  const delayMs = retryDelayMs(failedAttempt, error, policy, input.random);
  if (delayMs <= left) return { retry: true, delayMs };
  if (retryAfterOf(error) !== undefined) return { retry: false, why: "budget" };
  return { retry: true, delayMs: Math.max(0, Math.floor(left)) };
}

/** "2m 05s" / "45s", for messages. */
export function formatRetryDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}

/** The error of a step that kept failing until its retry budget ran out: the same code, and why it stopped. */
export function budgetExhausted(error: ErrorInfo, elapsedMs: number, budgetMs: number): ErrorInfo {
  return {
    ...error,
    message: `${error.message} (still failing after ${formatRetryDuration(elapsedMs)} of retries; the budget is ${formatRetryDuration(budgetMs)}: --retry-timeout / SECURE_AML_RETRY_TIMEOUT)`,
  };
}
