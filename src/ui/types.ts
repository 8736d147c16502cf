// Types of the UI layer: how a command asks for an IoHost, the prompt backend the wizard and
// IoHost.request use, and the one JSON document `--output json` writes to stdout.

import type { ErrorJson } from "../errors.js";
import type { ErrorInfo, IoHost, PlannedResource, ResourceAction } from "../engine/types.js";

/**
 * The four kinds of prompt secure-aml asks. The default backend wraps @inquirer/prompts; tests and the
 * lead's pseudo-terminal harness can inject another. Every method rejects with the SecureAmlError
 * code "INTERRUPTED" (exit 130) when the person presses Ctrl-C.
 */
export interface PromptBackend {
  input(q: { message: string; default?: string; validate?: (value: string) => string | true | Promise<string | true> }): Promise<string>;
  password(q: { message: string; validate?: (value: string) => string | true | Promise<string | true> }): Promise<string>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
  select(q: { message: string; choices: ReadonlyArray<{ value: string; name: string; description?: string }>; default?: string }): Promise<string>;
}

/** Calls `redraw` every `intervalMs` until the returned stop() is called. */
export type StartTicker = (redraw: () => void, intervalMs: number) => { stop(): void };

export interface IoHostOptions {
  output: "text" | "json";
  /** False with --no-color or NO_COLOR. */
  color: boolean;
  /** Whether stderr (where progress goes) is a terminal. */
  isTTY: boolean;
  /** CI is set in the environment. */
  ci: boolean;
  stderr: NodeJS.WritableStream;
  stdout: NodeJS.WritableStream;
  /** Answers questions; default: @inquirer/prompts on `stdin`, drawing on `stderr`. */
  prompt?: PromptBackend;
  /**
   * Whether a person can answer questions. Default: isTTY && !ci. Commands pass false with --yes,
   * so that nothing ever waits on stdin.
   */
  interactive?: boolean;
  /** Input for the default prompt backend; default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  /** Clock for timestamps and elapsed times (tests). */
  now?: () => number;
  /**
   * Starts the terminal renderer's redraw timer (elapsed times change with no event); default a
   * setInterval that does not hold the process. Tests inject one they can tick by hand.
   */
  ticker?: StartTicker;
}

/** What the renderer saw during a run; commands build their result document from it. */
export interface RunRecord {
  resources: Array<{ id: string; kind: string; name: string; action: ResourceAction; step: string }>;
  /** Duration of each finished or failed step, in milliseconds. */
  stepDurationsMs: Record<string, number>;
  errors: Array<ErrorInfo & { step?: string }>;
  skipped: Array<{ step: string; reason: string }>;
  retries: number;
  /** Milliseconds since the host was created. */
  elapsedMs: number;
}

export type ResultCommand = "init" | "plan" | "status" | "verify" | "destroy" | "stop" | "start" | "emulator";

/**
 * One entry of the result document's `errors`: a stable code (src/errors.ts ERROR_CODES), the message,
 * the exit code that code stands for, ARM's own code, the next command, the failed step, and for bad
 * input every problem (field, flag, variable, value, rule).
 */
export type ResultError = ErrorJson;

/**
 * The single JSON document `--output json` writes to stdout, for every command and every outcome:
 * success, bad input, failure and interrupt (src/ui/result-document.ts builds it). Never contains secrets.
 */
export interface ResultDocument {
  /** Version of this document's shape. */
  schema: 1;
  command: ResultCommand;
  ok: boolean;
  exitCode: number;
  resources: Array<{ id: string; kind: string; name: string; action: ResourceAction; step?: string; estimatedMonthlyCost?: number | null }>;
  counts: { reads: number; writes: number; polls: number };
  durations: { totalMs: number; steps: Record<string, number> };
  errors: ResultError[];
  /** The command to run next (the first error's `next`), when there is one. */
  next?: string;
  /** `plan` only: what would be done. */
  planned?: PlannedResource[];
  estimate?: PlanEstimate;
  /** `plan`: the estimated monthly cost of everything running all month (see `cost` for the details). */
  estimatedMonthlyCost?: number;
  /** `plan`: the cost estimate per resource, the total, what `stop` saves, and the price list's source and date. */
  cost?: import("../pricing/estimate.js").CostEstimate;
  /** Command-specific extras (e.g. verify's checks), JSON-serialisable. */
  details?: Record<string, unknown>;
}

/** The old name of ResultDocument (it was always every command's result). */
export type InitResult = ResultDocument;

export interface PlanEstimate {
  criticalPathSeconds: number;
  sequentialSeconds: number;
}

/** An IoHost plus what a command needs around a run. */
export interface UiHost extends IoHost {
  readonly mode: "tty" | "plain" | "json";
  /** Whether request() can reach a person. */
  readonly interactive: boolean;
  /** Writes the result document to stdout in JSON mode (exactly once); does nothing in text mode. */
  writeResult(doc: ResultDocument): void;
  /** Writes a block of human text (plan, summary, diagram): to stdout in text mode, to stderr in JSON mode. */
  print(text: string): void;
  /** What the host saw so far. */
  record(): RunRecord;
  /** Titles of the steps running now (what an interrupt waits for). */
  running(): string[];
  /** Stops spinners and timers; call before exiting (also on Ctrl-C). */
  close(): void;
}
