// Prompt backends: the real one (@inquirer/prompts, loaded only when a question is actually asked)
// and a scripted one that answers from a list, runs the validators like a person who retypes, and
// records what it was asked (for tests and for replaying a wizard without a terminal).

import { ExitCode, SecureAmlError } from "../errors.js";
import type { Question } from "../engine/types.js";
import type { PromptBackend } from "./types.js";

export function interruptedError(): SecureAmlError {
  return new SecureAmlError("INTERRUPTED", "Stopped by Ctrl-C.", ExitCode.interrupted);
}

function isPromptExit(error: unknown): boolean {
  // @inquirer/core throws ExitPromptError on Ctrl-C / closed input, AbortPromptError on an aborted signal.
  return error instanceof Error && (error.name === "ExitPromptError" || error.name === "AbortPromptError");
}

async function translateExit<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isPromptExit(error)) throw interruptedError();
    throw error;
  }
}

export interface InquirerBackendOptions {
  input?: NodeJS.ReadableStream;
  /** Where prompts are drawn; stderr, so that stdout stays clean for results. */
  output: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/** The terminal backend. @inquirer/prompts is imported on the first question, not at start-up. */
export function createInquirerBackend(options: InquirerBackendOptions): PromptBackend {
  type Prompts = typeof import("@inquirer/prompts");
  let loaded: Promise<Prompts> | undefined;
  const load = (): Promise<Prompts> => (loaded ??= import("@inquirer/prompts"));
  const context = () => ({ input: options.input, output: options.output, signal: options.signal });

  return {
    input: (q) =>
      translateExit(async () => {
        const { input } = await load();
        return input({ message: q.message, default: q.default, validate: q.validate }, context());
      }),
    password: (q) =>
      translateExit(async () => {
        const { password } = await load();
        return password({ message: q.message, mask: "*", validate: q.validate }, context());
      }),
    confirm: (q) =>
      translateExit(async () => {
        const { confirm } = await load();
        return confirm({ message: q.message, default: q.default }, context());
      }),
    select: (q) =>
      translateExit(async () => {
        const { select } = await load();
        const choices = q.choices.map((c) => ({ value: c.value, name: c.name, description: c.description }));
        return select({ message: q.message, choices, default: q.default, pageSize: 12 }, context());
      }),
  };
}

/** A prompt validator from a rule check: true when the check finds no problem, else the problems joined. */
export function promptValidator<T>(check: (value: T) => readonly string[]): (value: T) => string | true {
  return (value) => {
    const problems = check(value);
    return problems.length === 0 ? true : problems.join("; ");
  };
}

/** Asks one engine Question through a backend. */
export async function askQuestion(backend: PromptBackend, question: Question): Promise<string | boolean> {
  switch (question.kind) {
    case "confirm":
      return backend.confirm({ message: question.message, default: question.default });
    case "input":
      return backend.input({ message: question.message, default: question.default, validate: question.validate });
    case "password":
      return backend.password({ message: question.message, validate: question.validate });
    case "select":
      return backend.select({ message: question.message, choices: question.choices, default: question.default });
  }
}

/** One scripted answer: a value, "" / undefined for "accept the default", or an interrupt (Ctrl-C). */
export type ScriptedAnswer = string | boolean | undefined | { interrupt: true };

export interface ScriptedPromptLog {
  kind: "input" | "password" | "confirm" | "select";
  message: string;
  /** The answer accepted (passwords are recorded as "***"). */
  answer?: string | boolean;
  /** Validation messages shown for rejected answers, in order. */
  rejected: string[];
}

export interface ScriptedPromptBackend extends PromptBackend {
  /** Every question asked so far. */
  readonly log: ScriptedPromptLog[];
  /** Answers not used yet. */
  remaining(): number;
}

/**
 * Answers questions from a list, in order. When a validator rejects an answer, the message is
 * recorded and the next answer in the list is tried (like a person correcting a typo). Runs out of
 * answers → rejects with NO_SCRIPTED_ANSWER naming the question, so a test never hangs.
 */
export function createScriptedPromptBackend(answers: readonly ScriptedAnswer[]): ScriptedPromptBackend {
  const queue = [...answers];
  const log: ScriptedPromptLog[] = [];

  const next = (message: string): string | boolean | undefined => {
    if (queue.length === 0) {
      throw new SecureAmlError("NO_SCRIPTED_ANSWER", `No scripted answer left for the question "${message}".`);
    }
    const answer = queue.shift();
    if (typeof answer === "object" && answer !== null && "interrupt" in answer) throw interruptedError();
    return answer;
  };

  async function text(
    kind: "input" | "password",
    message: string,
    fallback: string | undefined,
    validate?: (v: string) => string | true | Promise<string | true>,
  ): Promise<string> {
    const entry: ScriptedPromptLog = { kind, message, rejected: [] };
    log.push(entry);
    for (;;) {
      const raw = next(message);
      const value = raw === undefined || raw === "" ? (fallback ?? "") : String(raw);
      const verdict = validate ? await validate(value) : true;
      if (verdict === true) {
        entry.answer = kind === "password" ? "***" : value;
        return value;
      }
      entry.rejected.push(verdict);
    }
  }

  return {
    log,
    remaining: () => queue.length,
    input: (q) => text("input", q.message, q.default, q.validate),
    password: (q) => text("password", q.message, undefined, q.validate),
    async confirm(q) {
      const entry: ScriptedPromptLog = { kind: "confirm", message: q.message, rejected: [] };
      log.push(entry);
      const raw = next(q.message);
      let value: boolean;
      if (raw === undefined || raw === "") value = q.default ?? false;
      else if (typeof raw === "boolean") value = raw;
      else value = /^y(es)?$/i.test(raw);
      entry.answer = value;
      return value;
    },
    async select(q) {
      const entry: ScriptedPromptLog = { kind: "select", message: q.message, rejected: [] };
      log.push(entry);
      for (;;) {
        const raw = next(q.message);
        const value = raw === undefined || raw === "" ? (q.default ?? q.choices[0]?.value) : String(raw);
        if (value !== undefined && q.choices.some((c) => c.value === value)) {
          entry.answer = value;
          return value;
        }
        entry.rejected.push(`"${String(raw)}" is not one of the choices`);
      }
    },
  };
}
