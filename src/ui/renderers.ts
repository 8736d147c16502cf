// Renderers turn EngineEvents into what a person or a script sees:
//  - tty:   one live line per running step (ora spinner + elapsed time), finished steps with durations;
//  - plain: timestamped lines on stderr with no escape codes (no terminal, CI, NO_COLOR, --no-color);
//  - json:  plain lines on stderr, and exactly one JSON document on stdout at the end (writeResult).
// ora and chalk are imported only when the tty renderer is chosen.

import type { ChalkInstance } from "chalk";
import type { Ora, Options as OraOptions } from "ora";
import { ExitCode, SecureAmlError } from "../errors.js";
import type { EngineEvent, ErrorInfo, Question } from "../engine/types.js";
import { askQuestion, createInquirerBackend } from "./prompt.js";
import { cleanText, expectedNote, formatDuration, formatElapsed, plural } from "./format.js";
import type { IoHostOptions, PromptBackend, ResultDocument, RunRecord, StartTicker, UiHost } from "./types.js";

/** "; gives up after 14m 56s more" on a retry line, when the engine said how much of the retry budget is left. */
function budgetNote(budgetLeftMs: number | undefined): string {
  return budgetLeftMs === undefined ? "" : `; gives up after ${formatDuration(budgetLeftMs)} more`;
}

/** setInterval, unref'd so that a forgotten close() never holds the process. */
const systemTicker: StartTicker = (redraw, intervalMs) => {
  const timer = setInterval(redraw, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};

interface Renderer {
  handle(event: EngineEvent): void;
  /** Stop live output while a prompt owns the terminal. */
  suspend(): void;
  resume(): void;
  close(): void;
}

/** Keeps what a run produced, whatever the renderer. */
class Recorder {
  readonly titles = new Map<string, string>();
  /** Steps started and not finished yet (what an interrupt waits for). */
  readonly running = new Set<string>();
  private readonly data: Omit<RunRecord, "elapsedMs"> = {
    resources: [],
    stepDurationsMs: {},
    errors: [],
    skipped: [],
    retries: 0,
  };
  constructor(
    private readonly startedAt: number,
    private readonly now: () => number,
  ) {}

  handle(event: EngineEvent): void {
    switch (event.type) {
      case "plan":
        for (const s of event.steps) this.titles.set(s.id, s.title);
        break;
      case "step-start":
        this.titles.set(event.id, event.title);
        this.running.add(event.id);
        break;
      case "step-retry":
        this.data.retries += 1;
        break;
      case "step-done":
        this.running.delete(event.id);
        this.data.stepDurationsMs[event.id] = event.durationMs;
        for (const r of event.resources) {
          this.data.resources.push({ id: r.id, kind: r.kind, name: r.name, action: r.action, step: event.id });
        }
        break;
      case "step-skip":
        this.running.delete(event.id);
        this.data.skipped.push({ step: event.id, reason: event.reason });
        break;
      case "step-failed":
        this.running.delete(event.id);
        this.data.stepDurationsMs[event.id] = event.durationMs;
        this.data.errors.push({ ...event.error, step: event.id });
        break;
      default:
        break;
    }
  }

  title(id: string): string {
    return this.titles.get(id) ?? id;
  }

  snapshot(): RunRecord {
    return {
      resources: this.data.resources.map((r) => ({ ...r })),
      stepDurationsMs: { ...this.data.stepDurationsMs },
      errors: this.data.errors.map((e) => ({ ...e })),
      skipped: this.data.skipped.map((s) => ({ ...s })),
      retries: this.data.retries,
      elapsedMs: this.now() - this.startedAt,
    };
  }
}

function resourceTally(resources: ReadonlyArray<{ action: string }>): string {
  if (resources.length === 0) return "";
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  return [...counts].map(([action, n]) => `${n} ${action}`).join(", ");
}

/** A step stopped by Ctrl-C (or SIGTERM), shown as interrupted rather than failed. */
function isInterrupted(error: ErrorInfo): boolean {
  return error.code === "INTERRUPTED";
}

function errorHeadline(error: ErrorInfo): string {
  const code = error.armCode ?? error.code;
  return `${code}: ${cleanText(error.message)}`;
}

// ---------------------------------------------------------------------------------------------------
// plain

class PlainRenderer implements Renderer {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly recorder: Recorder,
    private readonly now: () => number,
  ) {}

  private line(tag: string, text: string): void {
    const stamp = new Date(this.now()).toISOString();
    const lines = cleanText(text.replace(/\r\n?/g, "\n")).split("\n");
    this.stream.write(lines.map((l) => `${stamp} ${tag.padEnd(6)} ${l}`).join("\n") + "\n");
  }

  handle(event: EngineEvent): void {
    switch (event.type) {
      case "plan": {
        const total = event.steps.reduce((s, x) => s + (x.expectedSeconds ?? 0), 0);
        this.line("plan", `${plural(event.steps.length, "step")}${total > 0 ? `, about ${formatDuration(total * 1000)} of work in all` : ""}`);
        break;
      }
      case "step-start": {
        const note = expectedNote(event.expectedSeconds);
        const attempt = event.attempt > 1 ? ` (attempt ${event.attempt})` : "";
        this.line("start", `${event.title}${attempt}${note ? ` (${note})` : ""}`);
        break;
      }
      case "step-progress":
        this.line("info", `${this.recorder.title(event.id)}: ${event.message}`);
        break;
      case "step-retry":
        this.line(
          "retry",
          `${this.recorder.title(event.id)}: ${errorHeadline(event.error)}; attempt ${event.attempt} in ${formatDuration(event.delayMs)}${budgetNote(event.budgetLeftMs)}`,
        );
        break;
      case "step-done": {
        const tally = resourceTally(event.resources);
        this.line("done", `${event.title} (${formatDuration(event.durationMs)})${tally ? `: ${tally}` : ""}`);
        break;
      }
      case "step-skip":
        this.line("skip", `${event.title}: ${event.reason}`);
        break;
      case "step-failed": {
        if (isInterrupted(event.error)) {
          this.line("intr", `${event.title}: interrupted after ${formatDuration(event.durationMs)}; the next run picks it up`);
          break;
        }
        const parts = [`${event.title} failed after ${formatDuration(event.durationMs)}: ${errorHeadline(event.error)}`];
        if (event.error.next) parts.push(`next: ${event.error.next}`);
        this.line("FAILED", parts.join("\n"));
        break;
      }
      case "log":
        this.line(event.level, event.message);
        break;
    }
  }

  suspend(): void {}
  resume(): void {}
  close(): void {}
}

// ---------------------------------------------------------------------------------------------------
// tty

interface RunningStep {
  title: string;
  startedAt: number;
  expectedSeconds?: number;
  attempt: number;
  message?: string;
}

type OraFactory = (options: OraOptions) => Ora;

class TtyRenderer implements Renderer {
  private readonly running = new Map<string, RunningStep>();
  private spinner: Ora | undefined;
  private ticker: { stop(): void } | undefined;
  private suspended = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly makeOra: OraFactory,
    private readonly c: ChalkInstance,
    private readonly recorder: Recorder,
    private readonly now: () => number,
    private readonly startTicker: StartTicker = systemTicker,
  ) {}

  /** Writes finished lines above the live block, then redraws the block (with the current steps). */
  private write(text: string): void {
    if (this.spinner?.isSpinning) {
      // ora redraws the block after an outside write: give it the current steps first.
      if (this.running.size === 0 || this.suspended) this.stopLive();
      else {
        this.spinner.text = this.liveText();
        this.spinner.clear();
      }
    }
    this.stream.write(text + "\n");
    this.refresh();
  }

  private liveText(): string {
    const { c } = this;
    const frames = this.spinner?.spinner.frames ?? ["-"];
    const interval = this.spinner?.interval ?? 100;
    const frame = frames[Math.floor(this.now() / interval) % frames.length] ?? "-";
    const lines: string[] = [];
    let first = true;
    for (const step of this.running.values()) {
      const note = expectedNote(step.expectedSeconds);
      let line = `${step.title}  ${c.dim(formatElapsed(this.now() - step.startedAt))}`;
      if (note) line += c.dim(` (${note})`);
      if (step.attempt > 1) line += c.yellow(` attempt ${step.attempt}`);
      if (step.message) line += c.dim(` · ${cleanText(step.message)}`);
      // ora draws the first line's spinner; the other running steps get the same frame.
      lines.push(first ? line : `${c.cyan(frame)} ${line}`);
      first = false;
    }
    return lines.join("\n");
  }

  private refresh(): void {
    if (this.suspended) return;
    if (this.running.size === 0) {
      this.stopLive();
      return;
    }
    if (!this.spinner) {
      this.spinner = this.makeOra({ stream: this.stream, discardStdin: false, color: "cyan", isEnabled: true });
    }
    this.spinner.text = this.liveText();
    if (this.spinner.isSpinning) this.spinner.render();
    else this.spinner.start();
    if (!this.ticker) {
      // Elapsed seconds change even when no event arrives.
      this.ticker = this.startTicker(() => {
        if (!this.spinner?.isSpinning) return;
        this.spinner.text = this.liveText();
        this.spinner.render();
      }, 250);
    }
  }

  private stopLive(): void {
    this.ticker?.stop();
    this.ticker = undefined;
    if (this.spinner?.isSpinning) this.spinner.stop();
  }

  handle(event: EngineEvent): void {
    const { c } = this;
    switch (event.type) {
      case "plan": {
        const long = event.steps.filter((s) => expectedNote(s.expectedSeconds));
        let text = c.bold(`${plural(event.steps.length, "step")} to run`);
        if (long.length > 0) text += c.dim(` (${long.map((s) => `${s.title}: ${expectedNote(s.expectedSeconds)}`).join("; ")})`);
        this.write(text);
        break;
      }
      case "step-start":
        this.running.set(event.id, {
          title: event.title,
          startedAt: this.now(),
          expectedSeconds: event.expectedSeconds,
          attempt: event.attempt,
        });
        this.refresh();
        break;
      case "step-progress": {
        const step = this.running.get(event.id);
        if (step) step.message = event.message;
        this.refresh();
        break;
      }
      case "step-retry": {
        const step = this.running.get(event.id);
        if (step) step.attempt = event.attempt;
        this.write(
          `${c.yellow("↻")} ${this.recorder.title(event.id)}: ${c.yellow(errorHeadline(event.error))} ${c.dim(
            `— retrying in ${formatDuration(event.delayMs)} (attempt ${event.attempt})${budgetNote(event.budgetLeftMs)}`,
          )}`,
        );
        break;
      }
      case "step-done": {
        this.running.delete(event.id);
        const tally = resourceTally(event.resources);
        this.write(`${c.green("✔")} ${event.title}  ${c.dim(formatDuration(event.durationMs))}${tally ? c.dim(`  ${tally}`) : ""}`);
        break;
      }
      case "step-skip":
        this.running.delete(event.id);
        // Steps not started because of Ctrl-C are not news: the end of the run says the next one starts them.
        if (/interrupted/.test(event.reason)) break;
        this.write(`${c.dim("–")} ${event.title} ${c.dim(`skipped: ${event.reason}`)}`);
        break;
      case "step-failed": {
        this.running.delete(event.id);
        const e = event.error;
        if (isInterrupted(e)) {
          // Not a failure: the step stopped because the person asked; the next run picks it up.
          this.write(
            `${c.yellow("■")} ${event.title} ${c.yellow("interrupted")}${event.durationMs > 0 ? c.dim(` after ${formatDuration(event.durationMs)}`) : ""} ${c.dim("— the next run picks it up")}`,
          );
          break;
        }
        const lines = [`${c.red("✖")} ${c.bold(event.title)} ${c.red(`failed after ${formatDuration(event.durationMs)}`)}`];
        if (e.armCode) lines.push(`    ${c.dim("Azure error:")} ${c.red(e.armCode)}`);
        lines.push(`    ${cleanText(e.message)}`);
        if (e.next) lines.push(`    ${c.dim("next:")} ${c.cyan(e.next)}`);
        this.write(lines.join("\n"));
        break;
      }
      case "log": {
        const mark = event.level === "error" ? c.red("✖") : event.level === "warn" ? c.yellow("⚠") : c.blue("ℹ");
        this.write(`${mark} ${cleanText(event.message)}`);
        break;
      }
    }
  }

  suspend(): void {
    this.suspended = true;
    this.stopLive();
  }

  resume(): void {
    this.suspended = false;
    this.refresh();
  }

  close(): void {
    this.running.clear();
    this.stopLive();
  }
}

// ---------------------------------------------------------------------------------------------------
// the host

/** Which renderer the options select. */
export function chooseMode(options: Pick<IoHostOptions, "output" | "isTTY" | "ci" | "color">): "tty" | "plain" | "json" {
  if (options.output === "json") return "json";
  return options.isTTY && !options.ci && options.color ? "tty" : "plain";
}

export function nonInteractiveError(question: Question): SecureAmlError {
  return new SecureAmlError(
    "NON_INTERACTIVE",
    `secure-aml needs an answer to "${question.message}" (${question.id}), but nobody can answer here ` +
      `(no terminal, CI, or --yes). Give the value as a flag, an environment variable or in the config file.`,
    ExitCode.badInput,
  );
}

/** Builds the IoHost for a command. Async because the terminal renderer loads ora and chalk lazily. */
export async function createIoHost(options: IoHostOptions): Promise<UiHost> {
  const now = options.now ?? Date.now;
  const mode = chooseMode(options);
  const recorder = new Recorder(now(), now);
  const interactive = options.interactive ?? (options.isTTY && !options.ci);

  let renderer: Renderer;
  if (mode === "tty") {
    // A pseudo-terminal opened without a window size reports 0 columns; ora divides by the width to
    // know how many lines to erase, so give it the conventional 80 until the terminal says otherwise.
    const terminal = options.stderr as NodeJS.WritableStream & { columns?: number };
    if (!(typeof terminal.columns === "number" && terminal.columns > 0)) terminal.columns = 80;
    const [{ default: ora }, { Chalk }] = await Promise.all([import("ora"), import("chalk")]);
    const chalk = new Chalk({ level: options.color ? 1 : 0 });
    renderer = new TtyRenderer(options.stderr, (o) => ora(o), chalk, recorder, now, options.ticker);
  } else {
    renderer = new PlainRenderer(options.stderr, recorder, now);
  }

  let backend: PromptBackend | undefined = options.prompt;
  let resultWritten = false;
  let closed = false;

  return {
    mode,
    interactive,
    notify(event: EngineEvent): void {
      recorder.handle(event);
      if (!closed) renderer.handle(event);
    },
    async request(question: Question): Promise<string | boolean> {
      // Never read stdin unless a person is there: a silent open pipe must not block a run.
      if (!interactive) throw nonInteractiveError(question);
      backend ??= createInquirerBackend({ input: options.stdin ?? process.stdin, output: options.stderr });
      renderer.suspend();
      try {
        return await askQuestion(backend, question);
      } finally {
        renderer.resume();
      }
    },
    writeResult(doc: ResultDocument): void {
      if (mode !== "json") return;
      if (resultWritten) throw new Error("writeResult called twice: --output json writes exactly one document");
      resultWritten = true;
      options.stdout.write(JSON.stringify(doc, null, 2) + "\n");
    },
    print(text: string): void {
      const target = mode === "json" ? options.stderr : options.stdout;
      const body = mode === "tty" ? text : cleanText(text.replace(/\r\n?/g, "\n"));
      target.write(body.endsWith("\n") ? body : body + "\n");
    },
    record: () => recorder.snapshot(),
    running: () => [...recorder.running].map((id) => recorder.title(id)),
    close(): void {
      closed = true;
      renderer.close();
    },
  };
}

export { buildResult } from "./result-document.js";
