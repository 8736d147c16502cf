// The one JSON document `--output json` writes (schema 1), for every command and every outcome:
// success, bad input, failure (of a step or of the command around it) and interrupt. Commands and the
// CLI's own error path build it here only; each error entry is the error's own JSON (SecureAmlError
// toJSON: code, message, exitCode, armCode, next, problems) or, for what the engine reported, the same
// shape from its ErrorInfo.

import { exitCodeFor, ExitCode, SecureAmlError, type ErrorInfo, type ErrorJson } from "../errors.js";
import type { PlannedResource } from "../engine/types.js";
import { cleanText, mergeResourceOutcomes } from "./format.js";
import type { PlanEstimate, ResultCommand, ResultDocument, ResultError, RunRecord } from "./types.js";

export const EMPTY_RECORD: RunRecord = { resources: [], stepDurationsMs: {}, errors: [], skipped: [], retries: 0, elapsedMs: 0 };

/** An ErrorInfo (as the engine reports it) as a result-document entry. */
export function resultErrorFromInfo(info: ErrorInfo & { step?: string }): ResultError {
  const out: ResultError = { code: info.code, message: cleanText(info.message), exitCode: exitCodeFor(info.code) };
  if (info.armCode) out.armCode = info.armCode;
  if (info.next) out.next = info.next;
  if (typeof info.step === "string") out.step = info.step;
  return out;
}

/**
 * The entry for an error caught around a command: its own JSON when it is a SecureAmlError (with the
 * problems of bad input), else the ErrorInfo that `describe` gives (the one classification).
 */
export function resultErrorOf(error: unknown, describe: (err: unknown) => ErrorInfo): ResultError {
  const info = describe(error);
  if (error instanceof SecureAmlError && info.code === error.code) {
    const json: ErrorJson = error.toJSON();
    return { ...json, message: cleanText(json.message) };
  }
  return resultErrorFromInfo(info);
}

/** Assembles the result document from what the host recorded plus what only the command knows. */
export function buildResult(input: {
  command: ResultCommand;
  record: RunRecord;
  counts?: { reads: number; writes: number; polls: number };
  ok?: boolean;
  exitCode?: number;
  planned?: PlannedResource[];
  estimate?: PlanEstimate;
  /** Errors that did not come through step-failed events (e.g. bad input, lock): ErrorInfo or ready entries. */
  extraErrors?: Array<ErrorInfo | ResultError>;
  details?: Record<string, unknown>;
}): ResultDocument {
  const errors: ResultError[] = [
    ...input.record.errors.map((e) => resultErrorFromInfo(e)),
    ...(input.extraErrors ?? []).map((e) => ("exitCode" in e && typeof e.exitCode === "number" ? (e as ResultError) : resultErrorFromInfo(e))),
  ];
  const ok = input.ok ?? errors.length === 0;
  const doc: ResultDocument = {
    schema: 1,
    command: input.command,
    ok,
    exitCode: input.exitCode ?? (ok ? ExitCode.ok : ExitCode.failed),
    resources: mergeResourceOutcomes(input.record.resources),
    counts: input.counts ?? { reads: 0, writes: 0, polls: 0 },
    durations: { totalMs: input.record.elapsedMs, steps: { ...input.record.stepDurationsMs } },
    errors,
  };
  const next = errors.find((e) => e.next)?.next;
  if (next) doc.next = next;
  if (input.planned) doc.planned = input.planned;
  if (input.estimate) doc.estimate = input.estimate;
  if (input.details) doc.details = input.details;
  return doc;
}
