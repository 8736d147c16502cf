// The state file's reliability cases of issue 12, each a function that returns its figures (same shape
// as bench/reliability-checks.ts): a real full disk (64 KB tmpfs) and a read-only one, `--state`
// naming a directory, two runs on one state through a symlink, a hard-linked state, a `.secure-aml`
// that is a symlink to a shared directory, and state files others can write or own; and team state on
// a blob (Azurite): two machines, a killed lease holder, the key never shown. `stateScenarios`
// runs them all and returns summary rows and a markdown section for docs/reliability.md;
// test/reliability/state.test.ts asserts on the same results.
//
// The disk cases mount a tmpfs (we run as root here); where mounting is not permitted they report
// `skipped` with the reason instead of a figure.

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkStateFile,
  cliEnv,
  initArgs,
  jsonOutput,
  makeTempDir,
  removeDir,
  runCli,
  spawnCli,
  startTestEmulator,
  waitForRequestCount,
  type CliRun,
  type TestEmulator,
} from "./lib.js";
import type { ScenarioOptions } from "./reliability-checks.js";

const PASSWORD = "State-reliability-7!q";
const env = (): NodeJS.ProcessEnv => cliEnv({ SECURE_AML_JUMPBOX_PASSWORD: PASSWORD });

/** One case: what was expected, whether it held, and the figures behind it. */
export interface StateCaseResult {
  name: string;
  ok: boolean;
  detail: string;
  /** Set when the case could not run here (e.g. mounting a tmpfs is not permitted), with the reason. */
  skipped?: string;
}

function errorCode(run: CliRun): string {
  const doc = jsonOutput(run.stdout);
  const errors = (doc?.errors as Array<{ code?: unknown }> | undefined) ?? [];
  const last = errors.length > 0 ? errors[errors.length - 1] : (doc?.error as { code?: unknown } | undefined);
  return typeof last?.code === "string" ? last.code : "";
}

function okField(run: CliRun): unknown {
  return jsonOutput(run.stdout)?.ok;
}

/** Mounts a tmpfs of `size` at `dir`; returns why not when the machine does not allow it. */
export function mountTmpfs(dir: string, size: string): string | undefined {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], { stdio: "pipe" });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `mount -t tmpfs is not permitted here (${stderr || (error as Error).message})`;
  }
}

export function remount(dir: string, options: string): void {
  execFileSync("mount", ["-o", `remount,${options}`, dir], { stdio: "pipe" });
}

export function unmount(dir: string): void {
  try {
    execFileSync("umount", [dir], { stdio: "pipe" });
  } catch {
    // already unmounted
  }
}

async function withEmulator<T>(label: string, body: (emulator: TestEmulator, dir: string) => Promise<T>): Promise<T> {
  const emulator = await startTestEmulator({ latency: "none" });
  const dir = await makeTempDir(label);
  try {
    return await body(emulator, dir);
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Disk full and read-only

export interface DiskFullResult {
  skipped?: string;
  /** init on a 64 KB tmpfs: exit code, "ok" of its JSON document, last error code. */
  fullExit: number | null;
  fullOk: unknown;
  fullCode: string;
  /** The state file after the failed run: parses as a state (or was never created). */
  stateIntact: boolean;
  stateBytes: number;
  /** After the tmpfs is grown to 4 MB, the same command: exit and whether every step is done. */
  resumeExit: number | null;
  resumeAllDone: boolean;
  /** The tmpfs remounted read-only: exit, error code, state bytes unchanged, Azure requests sent. */
  readOnlyExit: number | null;
  readOnlyCode: string;
  readOnlyUnchanged: boolean;
  readOnlyRequests: number;
}

/** init with --state on a real 64 KB tmpfs, then after growing it, then with it read-only. */
export async function diskFullScenario(options: ScenarioOptions): Promise<DiskFullResult> {
  return withEmulator("diskfull", async (emulator, dir) => {
    const mnt = path.join(dir, "mnt");
    await fs.mkdir(mnt);
    const skipped = mountTmpfs(mnt, "64k");
    const empty: DiskFullResult = {
      skipped,
      fullExit: null,
      fullOk: undefined,
      fullCode: "",
      stateIntact: false,
      stateBytes: 0,
      resumeExit: null,
      resumeAllDone: false,
      readOnlyExit: null,
      readOnlyCode: "",
      readOnlyUnchanged: false,
      readOnlyRequests: 0,
    };
    if (skipped) return empty;
    try {
      const statePath = path.join(mnt, "state.json");
      const args = initArgs(emulator, { statePath });
      const full = await runCli(args, { env: env(), cwd: dir, timeoutMs: 300_000 });
      const text = await fs.readFile(statePath, "utf8").catch(() => undefined);
      let stateIntact = text === undefined;
      if (text !== undefined) {
        try {
          stateIntact = (JSON.parse(text) as { schemaVersion?: unknown }).schemaVersion === 1;
        } catch {
          stateIntact = false;
        }
      }
      options.log(
        `  64 KB tmpfs: exit ${String(full.code)} ${errorCode(full)}; state ${text === undefined ? "absent" : `${Buffer.byteLength(text)} bytes, intact ${stateIntact}`}`,
      );

      remount(mnt, "size=4m");
      const resume = await runCli(args, { env: env(), cwd: dir, timeoutMs: 300_000 });
      const check = await checkStateFile(statePath);

      const before = await fs.readFile(statePath, "utf8").catch(() => "");
      remount(mnt, "ro");
      await emulator.clearRequestLog();
      const readOnly = await runCli(args, { env: env(), cwd: dir, timeoutMs: 300_000 });
      const after = await fs.readFile(statePath, "utf8").catch(() => "<missing>");
      const readOnlyRequests = (await emulator.requestLog()).length;
      return {
        fullExit: full.code,
        fullOk: okField(full),
        fullCode: errorCode(full),
        stateIntact,
        stateBytes: text === undefined ? 0 : Buffer.byteLength(text),
        resumeExit: resume.code,
        resumeAllDone: check.allDone,
        readOnlyExit: readOnly.code,
        readOnlyCode: errorCode(readOnly),
        readOnlyUnchanged: before !== "" && before === after,
        readOnlyRequests,
      };
    } finally {
      unmount(mnt);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The lock and the state file

export interface LockCasesResult {
  /** Rounds of: a run holding the state through a symlink, a second run on the real path. Exit codes of the second runs. */
  symlinkSecondExits: Array<number | null>;
  /** The holders were still running when the second run ended. */
  holdersStillRunning: boolean[];
  /** Hard-linked state: the exits through each name, the Azure requests sent, the file unchanged. */
  hardLinkExits: Array<number | null>;
  hardLinkCodes: string[];
  hardLinkRequests: number;
  hardLinkUnchanged: boolean;
  /** `--state` naming a directory: exit, code, requests. */
  directoryExit: number | null;
  directoryRequests: number;
  /** `.secure-aml` a symlink to a shared 1777 directory: its mode before and after a run. */
  sharedModeBefore: string;
  sharedModeAfter: string;
  sharedRunExit: number | null;
  /** A state writable by others (0666) and one owned by another user: exits, codes, requests. */
  writableExit: number | null;
  writableCode: string;
  foreignExit: number | null;
  foreignCode: string;
  refusedRequests: number;
}

const modeOf = async (p: string): Promise<string> => ((await fs.stat(p)).mode & 0o7777).toString(8).padStart(4, "0");

export async function lockCasesScenario(options: ScenarioOptions & { timeScale: number; rounds?: number }): Promise<LockCasesResult> {
  const rounds = options.rounds ?? 3;
  const symlinkSecondExits: Array<number | null> = [];
  const holdersStillRunning: boolean[] = [];
  // Realistic latency so that the holder is still running when the second run starts.
  const slow = await startTestEmulator({ latency: "realistic", timeScale: options.timeScale });
  const slowDir = await makeTempDir("symlock");
  try {
    for (let round = 0; round < rounds; round++) {
      const real = path.join(slowDir, `state-${round}.json`);
      const alias = path.join(slowDir, `alias-${round}.json`);
      await fs.symlink(real, alias);
      const holder = spawnCli(initArgs(slow, { statePath: alias, prefix: `sl${round}` }), { env: env(), cwd: slowDir });
      await waitForRequestCount(slow, 3, holder.child, 5);
      const second = await runCli(initArgs(slow, { statePath: real, prefix: `sl${round}` }), { env: env(), cwd: slowDir, timeoutMs: 120_000 });
      holdersStillRunning.push(holder.child.exitCode === null);
      symlinkSecondExits.push(second.code);
      holder.child.kill("SIGKILL");
      await holder.done;
      await slow.clearRequestLog();
    }
  } finally {
    await slow.stop();
    await removeDir(slowDir);
  }

  return withEmulator("statecases", async (emulator, dir) => {
    const run = (statePath: string, cwd = dir) => runCli(initArgs(emulator, { statePath }), { env: env(), cwd, timeoutMs: 300_000 });

    // Hard link: make a real state first, then give it a second name.
    const linked = path.join(dir, "linked.json");
    const first = await run(linked);
    if (first.code !== 0) throw new Error(`setup run failed: ${first.stderr.slice(-300)}`);
    await fs.link(linked, path.join(dir, "second-name.json"));
    const before = await fs.readFile(linked, "utf8");
    await emulator.clearRequestLog();
    const viaFirst = await run(linked);
    const viaSecond = await run(path.join(dir, "second-name.json"));
    const hardLinkRequests = (await emulator.requestLog()).length;
    const hardLinkUnchanged = (await fs.readFile(linked, "utf8")) === before;

    // --state naming a directory.
    await emulator.clearRequestLog();
    const directory = await run(dir);
    const directoryRequests = (await emulator.requestLog()).length;

    // .secure-aml -> a shared directory of mode 1777.
    const shared = path.join(dir, "shared");
    await fs.mkdir(shared);
    await fs.chmod(shared, 0o1777);
    const work = path.join(dir, "work");
    await fs.mkdir(work);
    await fs.symlink(shared, path.join(work, ".secure-aml"));
    const sharedModeBefore = await modeOf(shared);
    const sharedRun = await run(path.join(".secure-aml", "state.json"), work);
    const sharedModeAfter = await modeOf(shared);

    // Writable by others, and owned by another user.
    const writable = path.join(dir, "writable.json");
    await fs.copyFile(path.join(shared, "state.json"), writable);
    await fs.chmod(writable, 0o666);
    const foreign = path.join(dir, "foreign.json");
    await fs.copyFile(path.join(shared, "state.json"), foreign);
    let foreignPossible = true;
    try {
      await fs.chown(foreign, 4321, 4321);
    } catch {
      foreignPossible = false; // not root: chown to another user is not permitted
    }
    await emulator.clearRequestLog();
    const writableRun = await run(writable);
    const foreignRun = foreignPossible ? await run(foreign) : undefined;
    const refusedRequests = (await emulator.requestLog()).length;

    return {
      symlinkSecondExits,
      holdersStillRunning,
      hardLinkExits: [viaFirst.code, viaSecond.code],
      hardLinkCodes: [errorCode(viaFirst), errorCode(viaSecond)],
      hardLinkRequests,
      hardLinkUnchanged,
      directoryExit: directory.code,
      directoryRequests,
      sharedModeBefore,
      sharedModeAfter,
      sharedRunExit: sharedRun.code,
      writableExit: writableRun.code,
      writableCode: errorCode(writableRun),
      foreignExit: foreignRun ? foreignRun.code : null,
      foreignCode: foreignRun ? errorCode(foreignRun) : "not run: chown to another user is not permitted here",
      refusedRequests,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Team state on a blob (issue 13), against Azurite on 127.0.0.1

export interface TeamStateResult {
  /** First init on a blob whose container does not exist yet: exit, every step done in the blob. */
  firstExit: number | null;
  firstAllDone: boolean;
  /** Machine B's init while machine A holds the lease: exit, wall time (it waits one lease period). */
  secondExit: number | null;
  secondWallMs: number;
  holderStillRunning: boolean;
  /** Machine A killed while holding the lease: the next init's exit, and A's write kept. */
  takeoverExit: number | null;
  takeoverWallMs: number;
  holderWriteKept: boolean;
  /** The account key in any output, the state or the working directory. */
  keyLeaks: number;
}

export async function teamStateScenario(options: ScenarioOptions): Promise<TeamStateResult> {
  const { startAzurite } = await import("../test/helpers/azurite.js");
  const { readState } = await import("../src/engine/state.js");
  const holderScript = fileURLToPath(new URL("../test/fixtures/state/blob-holder.js", import.meta.url));
  const azurite = await startAzurite();
  try {
    return await withEmulator("teamstate", async (emulator, dir) => {
      const url = azurite.blobUrl("team-state", "prod/secure-aml.json");
      const teamEnv = () => ({ ...env(), SECURE_AML_STATE_CONNECTION_STRING: azurite.connectionString });
      const args = initArgs(emulator, { statePath: url });
      const read = () => readState(url, { blob: { env: { SECURE_AML_STATE_CONNECTION_STRING: azurite.connectionString } } });
      const outputs: string[] = [];

      const first = await runCli(args, { env: teamEnv(), cwd: dir, timeoutMs: 300_000 });
      outputs.push(first.stdout, first.stderr);
      const afterFirst = await read();
      const firstAllDone = afterFirst !== undefined && Object.values(afterFirst.steps).length > 0 && Object.values(afterFirst.steps).every((s) => s.status === "done");

      // Machine A holds the lease (renewing it); machine B runs init.
      const startHolder = () => {
        const child = spawn(process.execPath, [holderScript, "--state", url, "--host", "machine-a"], { env: teamEnv(), stdio: ["pipe", "pipe", "pipe"] });
        const holding = new Promise<string>((resolve, reject) => {
          let out = "";
          child.stdout.setEncoding("utf8").on("data", (d: string) => {
            out += d;
            const line = out.split("\n").find((l) => l.startsWith("HOLDING "));
            if (line) resolve(line.split(" ")[1]!);
          });
          child.once("exit", (code) => reject(new Error(`holder exited ${String(code)}`)));
        });
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        return { child, holding, exited };
      };
      const a = startHolder();
      await a.holding;
      const second = await runCli(args, { env: teamEnv(), cwd: dir, timeoutMs: 300_000 });
      outputs.push(second.stdout, second.stderr);
      const holderStillRunning = a.child.exitCode === null;
      a.child.stdin.end();
      await a.exited;

      // Machine A again, killed while it holds the lease; then init.
      const killed = startHolder();
      const killedPid = await killed.holding;
      killed.child.kill("SIGKILL");
      await killed.exited;
      const takeover = await runCli(args, { env: teamEnv(), cwd: dir, timeoutMs: 300_000 });
      outputs.push(takeover.stdout, takeover.stderr);
      const afterTakeover = await read();
      outputs.push(JSON.stringify(afterTakeover));
      const keyLeaks = outputs.filter((text) => text.includes(azurite.accountKey)).length;
      options.log(
        `  team state: first ${String(first.code)}, second ${String(second.code)} after ${Math.round(second.wallMs)} ms, takeover ${String(takeover.code)} after ${Math.round(takeover.wallMs)} ms`,
      );
      return {
        firstExit: first.code,
        firstAllDone,
        secondExit: second.code,
        secondWallMs: second.wallMs,
        holderStillRunning,
        takeoverExit: takeover.code,
        takeoverWallMs: takeover.wallMs,
        holderWriteKept: afterTakeover?.steps.holder?.outputs.by === `pid ${killedPid}`,
        keyLeaks,
      };
    });
  } finally {
    await azurite.stop();
  }
}

export function teamStateCases(team: TeamStateResult): StateCaseResult[] {
  return [
    {
      name: "Team state: first init on a blob in a missing container",
      ok: team.firstExit === 0 && team.firstAllDone,
      detail: `exit ${String(team.firstExit)}, every step done in the blob ${String(team.firstAllDone)}`,
    },
    {
      name: "Team state: a second machine while the first holds the lease exits 3",
      ok: team.secondExit === 3 && team.holderStillRunning,
      detail: `exit ${String(team.secondExit)} after ${(team.secondWallMs / 1000).toFixed(1)} s (one lease period of waiting); holder still running ${String(team.holderStillRunning)}`,
    },
    {
      name: "Team state: a run killed holding the lease is taken over, nothing lost",
      ok: team.takeoverExit === 0 && team.holderWriteKept,
      detail: `exit ${String(team.takeoverExit)} after ${(team.takeoverWallMs / 1000).toFixed(1)} s (lease expiry included); killed run's write kept ${String(team.holderWriteKept)}`,
    },
    {
      name: "Team state: the account key in output or state",
      ok: team.keyLeaks === 0,
      detail: `${team.keyLeaks} occurrences`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// All of it, as rows and a section

const yes = (ok: boolean): string => (ok ? "yes" : "**NO**");

export function stateCases(disk: DiskFullResult, lock: LockCasesResult): StateCaseResult[] {
  const diskSkip = disk.skipped;
  return [
    {
      name: "Disk full (64 KB tmpfs): exit 5, not ok, state intact",
      ok: disk.fullExit === 5 && disk.fullOk === false && disk.stateIntact,
      detail: `exit ${String(disk.fullExit)}, ok ${String(disk.fullOk)}, ${disk.fullCode || "no code"}, state ${disk.stateBytes} bytes intact ${String(disk.stateIntact)}`,
      skipped: diskSkip,
    },
    {
      name: "Disk full, then room again: the same command resumes",
      ok: disk.resumeExit === 0 && disk.resumeAllDone,
      detail: `exit ${String(disk.resumeExit)}, all steps done ${String(disk.resumeAllDone)}`,
      skipped: diskSkip,
    },
    {
      name: "Read-only state directory: exit 5, state unchanged, 0 requests",
      ok: disk.readOnlyExit === 5 && disk.readOnlyUnchanged && disk.readOnlyRequests === 0,
      detail: `exit ${String(disk.readOnlyExit)} ${disk.readOnlyCode}, unchanged ${String(disk.readOnlyUnchanged)}, ${disk.readOnlyRequests} requests`,
      skipped: diskSkip,
    },
    {
      name: "--state naming a directory: exit 2, 0 requests",
      ok: lock.directoryExit === 2 && lock.directoryRequests === 0,
      detail: `exit ${String(lock.directoryExit)}, ${lock.directoryRequests} requests`,
    },
    {
      name: "Two runs on one state through a symlink: the second exits 3",
      ok: lock.symlinkSecondExits.every((c) => c === 3) && lock.holdersStillRunning.every(Boolean),
      detail: `second runs exit ${lock.symlinkSecondExits.join(", ")}; holders still running ${lock.holdersStillRunning.join(", ")}`,
    },
    {
      name: "Hard-linked state: refused through either name (exit 2), unchanged, 0 requests",
      ok: lock.hardLinkExits.every((c) => c === 2) && lock.hardLinkUnchanged && lock.hardLinkRequests === 0,
      detail: `exits ${lock.hardLinkExits.join(", ")} (${lock.hardLinkCodes.join(", ")}), unchanged ${String(lock.hardLinkUnchanged)}, ${lock.hardLinkRequests} requests`,
    },
    {
      name: ".secure-aml a symlink to a shared 1777 directory: mode kept",
      ok: lock.sharedRunExit === 0 && lock.sharedModeBefore === lock.sharedModeAfter,
      detail: `run exit ${String(lock.sharedRunExit)}; mode ${lock.sharedModeBefore} → ${lock.sharedModeAfter}`,
    },
    {
      name: "State writable by others or owned by another user: exit 2, 0 requests",
      ok: lock.writableExit === 2 && (lock.foreignExit === 2 || lock.foreignExit === null) && lock.refusedRequests === 0,
      detail: `0666: exit ${String(lock.writableExit)} ${lock.writableCode}; other owner: exit ${String(lock.foreignExit)} ${lock.foreignCode}; ${lock.refusedRequests} requests`,
    },
  ];
}

/** Runs every state case; rows for the summary table and a markdown section. */
export async function stateScenarios(options: ScenarioOptions & { timeScale: number }): Promise<{ cases: StateCaseResult[]; summary: string[]; md: string[] }> {
  options.log("state: disk full, read-only (tmpfs)");
  const disk = await diskFullScenario(options);
  options.log("state: symlink and hard-link locks, --state a directory, shared directory, foreign and writable state");
  const lock = await lockCasesScenario(options);
  options.log("state: team state on a blob (Azurite)");
  const team = await teamStateScenario(options);
  const cases = [...stateCases(disk, lock), ...teamStateCases(team)];
  const cell = (c: StateCaseResult) => (c.skipped ? `skipped: ${c.skipped}` : `${yes(c.ok)} (${c.detail})`);
  return {
    cases,
    summary: cases.map((c) => `| ${c.name} | ${cell(c)} |`),
    md: ["## State: data loss, the lock, team state", "", ...cases.map((c) => `- ${c.name}: ${cell(c)}`), ""],
  };
}
