// What a run of the engine ends with: each selected step's outcome and the run's status and exit code.

import { ExitCode, type ErrorInfo, type ExitCodeValue } from "../errors.js";
import { interruptedInfo } from "./step-runner.js";
import type { ResourceOutcome } from "./types.js";

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

/** The run's outcome: status, exit code (0, 1 or 130), resources in declaration order, the first failure. */
export function buildSummary(input: {
  ordered: StepOutcome[];
  interrupted: boolean;
  firstFailure?: { stepId: string; error: ErrorInfo };
  previouslyDone: string[];
  durationMs: number;
  resumeCommand?: string;
}): RunSummary {
  const { ordered, interrupted, firstFailure } = input;
  const summary: RunSummary = {
    status: interrupted ? "interrupted" : firstFailure ? "failed" : "succeeded",
    exitCode: interrupted ? ExitCode.interrupted : firstFailure ? ExitCode.failed : ExitCode.ok,
    durationMs: input.durationMs,
    steps: ordered,
    resources: ordered.filter((o) => o.status === "done").flatMap((o) => o.resources),
    previouslyDone: input.previouslyDone,
  };
  if (interrupted) summary.error = interruptedInfo(input.resumeCommand);
  else if (firstFailure) summary.error = firstFailure.error;
  if (firstFailure) summary.failedStep = firstFailure.stepId;
  return summary;
}
