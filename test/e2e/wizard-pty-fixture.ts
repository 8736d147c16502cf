// Runs `secure-aml` in a real pseudo-terminal through test/fixtures/pty/driver.py (python3's pty
// module; node-pty is not installed): a script of "wait for this on the screen" / "type that" steps,
// and a report with the exit code and everything the terminal showed. The driver kills the program
// on any failure or timeout; the test kills the driver if the test itself ends first.

import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BIN, cleanEnv } from "./cli-init-fixture.js";

/** dist/test/e2e → test/fixtures/pty/driver.py in the source tree. */
export const PTY_DRIVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/pty/driver.py");

export type PtyStep = { expect: string; timeout?: number } | { send: string; echo?: string; timeout?: number };

export interface PtyReport {
  ok: boolean;
  /** Index of the step the driver reached (steps.length when all ran). */
  step: number;
  error: string | null;
  exitCode: number | null;
  signal: number | null;
  /** Everything the terminal received, escape codes included. */
  screen: string;
  /** The same without escape codes and carriage returns. */
  text: string;
}

/** A regular expression source matching `text` literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Steps for one inquirer question: wait for "? MESSAGE", then the keys (Enter alone keeps the default). */
export function answer(message: string, keys = "", opts: { masked?: boolean } = {}): PtyStep[] {
  const steps: PtyStep[] = [{ expect: `\\? ${message}` }];
  if (keys !== "") steps.push({ send: keys, echo: opts.masked ? "*".repeat(keys.length) : keys });
  steps.push({ send: "\r" });
  return steps;
}

/** The environment of a person's terminal: no CI, no SECURE_AML_* or Azure variables, no password. */
export function terminalEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = cleanEnv({ TERM: "xterm-256color", ...extra });
  delete env.SECURE_AML_JUMPBOX_PASSWORD;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return { ...out, ...extra };
}

export async function runInPty(
  t: { after(fn: () => Promise<void> | void): void },
  opts: { args: string[]; cwd: string; env: Record<string, string>; steps: PtyStep[]; cols?: number; rows?: number; exitTimeoutSeconds?: number },
): Promise<PtyReport> {
  const scriptDir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-pty-"));
  t.after(() => fs.rm(scriptDir, { recursive: true, force: true }));
  const scriptPath = path.join(scriptDir, "script.json");
  await fs.writeFile(
    scriptPath,
    JSON.stringify({
      argv: [process.execPath, BIN, ...opts.args],
      cwd: opts.cwd,
      env: opts.env,
      cols: opts.cols ?? 120,
      rows: opts.rows ?? 40,
      exitTimeout: opts.exitTimeoutSeconds ?? 300,
      steps: opts.steps,
    }),
  );
  const driver = spawn("python3", [PTY_DRIVER, scriptPath], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => {
    // SIGTERM lets the driver kill the program's process group and report; then it ends.
    if (driver.exitCode === null && driver.signalCode === null) driver.kill("SIGTERM");
  });
  let stdout = "";
  let stderr = "";
  driver.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  driver.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => driver.once("close", (c) => resolve(c)));
  if (code !== 0) throw new Error(`the pty driver failed (exit ${String(code)}): ${stderr}`);
  const report = JSON.parse(stdout) as PtyReport;
  // SECURE_AML_PTY_DUMP=FILE keeps what the terminal showed, for a person reading a failure.
  const dump = process.env.SECURE_AML_PTY_DUMP;
  if (dump) await fs.appendFile(dump, `\n===== ${opts.args.join(" ")} (exit ${String(report.exitCode)}) =====\n${report.text}\n`);
  return report;
}

/** A failure message with the end of the screen, for assertions. */
export function screenTail(report: PtyReport, chars = 4000): string {
  return `step ${report.step}, ${report.error ?? "no driver error"}, exit ${String(report.exitCode)}\n--- screen (end) ---\n${report.text.slice(-chars)}`;
}

/** Splits a printed command line (words, '...' quoted words) into arguments. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[2] ?? ""));
  return words;
}
