// The one way a command (or the CLI around it) ends with an error: a message and a `next:` line on
// stderr, the schema-1 result document on stdout with --output json, and the exit code that the
// error's code stands for (src/errors.ts ERROR_CODES). What an error means comes from the one
// classification (src/azure/arm-errors.ts classifyError).

import { classifyError } from "../azure/arm-errors.js";
import { SecureAmlError, exitCodeFor, reportsSeveralErrors, type ErrorInfo } from "../errors.js";
import { buildResult, EMPTY_RECORD, resultErrorFromInfo, resultErrorOf } from "../ui/result-document.js";
import type { ResultCommand, ResultDocument, UiHost } from "../ui/types.js";

export interface ErrorReportTarget {
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  env: NodeJS.ProcessEnv;
  output: "text" | "json";
  command: ResultCommand;
  /** The command's host (its record of the run goes into the document). */
  ui?: UiHost;
  /** The command wrote its result document already: do not write a second one. */
  resultWritten?: boolean;
  counts?: { reads: number; writes: number; polls: number };
}

/** Any error as ErrorInfo (for a result document), without stack traces. */
export function errorInfoOf(error: unknown): ErrorInfo {
  return classifyError(error, "UNEXPECTED");
}

/** The exit code an error stands for: its own (SecureAmlError), else its code's in the registry. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof SecureAmlError) return error.exitCode;
  return exitCodeFor(errorInfoOf(error).code);
}

/** The result document of a command that ended with `error`. */
export function errorDocument(error: unknown, where: Pick<ErrorReportTarget, "command" | "ui" | "counts">): ResultDocument {
  // An error that stands for several problems (preflight) lists each with its own code.
  const several = reportsSeveralErrors(error);
  return buildResult({
    command: where.command,
    record: where.ui?.record() ?? EMPTY_RECORD,
    counts: where.counts,
    ok: false,
    exitCode: exitCodeOf(error),
    extraErrors: several ? error.errorInfos().map((info) => resultErrorFromInfo(info)) : [resultErrorOf(error, errorInfoOf)],
    ...(several ? { details: error.details() } : {}),
  });
}

/**
 * Prints an error (message, then a `next:` line) to stderr and, with --output json, writes the one
 * result document (unless `resultWritten`). Returns the exit code. Never prints a stack trace, except
 * for an error secure-aml does not know when SECURE_AML_DEBUG is set.
 */
export function reportError(error: unknown, where: ErrorReportTarget): number {
  const info = errorInfoOf(error);
  const code = exitCodeOf(error);
  const unexpected = info.code === "UNEXPECTED";
  where.io.stderr.write(`secure-aml: ${unexpected ? "unexpected error: " : ""}${info.message}\n`);
  if (unexpected && where.env.SECURE_AML_DEBUG && error instanceof Error && error.stack) where.io.stderr.write(`${error.stack}\n`);
  if (info.next) where.io.stderr.write(`next: ${info.next}\n`);
  if (where.output === "json" && !where.resultWritten) {
    const doc = errorDocument(error, where);
    if (where.ui && where.ui.mode === "json") where.ui.writeResult(doc);
    else where.io.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  }
  return code;
}
