// The reliability scenarios of issue 7, each a function that returns its figures. bench/reliability.ts
// runs them all (full or --quick) and writes docs/reliability.md; test/reliability/*.test.ts runs a
// bounded subset in CI and asserts on the same results.
import fs from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import {
  checkStateFile,
  cliEnv,
  compareInventories,
  countRequests,
  initArgs,
  inventoryOf,
  jsonOutput,
  makeTempDir,
  removeDir,
  runCli,
  sleep,
  spawnCli,
  startTestEmulator,
  waitForRequestCount,
  type CliRun,
  type Inventory,
  type TestEmulator,
} from "./lib.js";
import { BAD_INPUTS, VALID_PASSWORD, canaryState, type BadInputCase } from "./bad-inputs.js";
import { mulberry32 } from "../src/emulator/faults.js";

export interface ScenarioOptions {
  log: (line: string) => void;
}

export const PASSWORD_ENV = "SECURE_AML_JUMPBOX_PASSWORD";

function envWith(password: string, extra: Record<string, string | null> = {}): NodeJS.ProcessEnv {
  const env = cliEnv({ [PASSWORD_ENV]: password });
  for (const [name, value] of Object.entries(extra)) {
    if (value === null) delete env[name];
    else env[name] = value;
  }
  return env;
}

function brief(run: CliRun): string {
  const output = jsonOutput(run.stdout);
  const errors = output?.errors;
  const error = (Array.isArray(errors) ? errors[0] : undefined) as { code?: unknown; message?: unknown } | undefined;
  if (error && typeof error.message === "string") return `${String(error.code ?? "")}: ${error.message}`.slice(0, 300);
  return (run.stderr.trim().split("\n").slice(-3).join(" ") || run.stdout.trim().slice(0, 200)).slice(0, 300);
}

// ---------------------------------------------------------------------------------------------
// Baseline: a clean run's inventory

export interface Baseline {
  inventory: Inventory;
  requests: ReturnType<typeof countRequests>;
  wallMs: number;
  exitCode: number | null;
  stateSteps: number;
}

export async function cleanRun(options: ScenarioOptions & { latency?: "none" | "realistic"; timeScale?: number; extra?: string[] }): Promise<Baseline> {
  const emulator = await startTestEmulator({ latency: options.latency ?? "none", timeScale: options.timeScale });
  const dir = await makeTempDir("baseline");
  try {
    const statePath = path.join(dir, "state.json");
    const run = await runCli(initArgs(emulator, { statePath, extra: options.extra }), { env: envWith(VALID_PASSWORD), cwd: dir });
    if (run.code !== 0) throw new Error(`clean init exited ${String(run.code)}: ${brief(run)}\n${run.stderr.slice(-2000)}`);
    const inventory = inventoryOf(await emulator.resources());
    const state = await checkStateFile(statePath);
    return { inventory, requests: countRequests(await emulator.requestLog()), wallMs: run.wallMs, exitCode: run.code, stateSteps: state.steps };
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// (1) Crash anywhere

export interface KillPoint {
  label: string;
  mode: "after-requests" | "random-time";
  /** Requests wanted before the kill (after-requests) or milliseconds after start (random-time). */
  target: number;
  /** ARM requests the emulator had received when the process was dead. */
  requestsAtKill: number;
  /** False when the run finished before the kill landed (not counted as a kill point). */
  killed: boolean;
  reruns: number;
  converged: boolean;
  extra: string[];
  missing: string[];
  duplicates: string[];
  statePending: string[];
  stateProblems: string[];
  rerunErrors: string[];
}

export interface CrashOptions extends ScenarioOptions {
  baseline: Baseline;
  /** Kill after each of these request counts (latency none). */
  afterRequests: number[];
  /** Random kill moments during long operations (realistic latency). */
  randomKills: number;
  timeScale: number;
  /** Wall time of a clean realistic run at timeScale (the random moments fall inside it). */
  realisticWallMs: number;
  seed: number;
  maxReruns?: number;
}

/**
 * Starts the CLI and SIGKILLs it at a kill point: once the emulator has received `target` requests, or
 * `target` ms after the first ARM request (process start-up is not interesting to kill). Whether the process
 * was still running when killed, and how many requests the emulator had by then.
 */
async function runAndKill(
  emulator: TestEmulator,
  args: string[],
  spawnOptions: Parameters<typeof spawnCli>[1],
  mode: KillPoint["mode"],
  target: number,
): Promise<{ killed: boolean; requestsAtKill: number }> {
  const victim = spawnCli(args, spawnOptions);
  if (mode === "after-requests") await waitForRequestCount(emulator, target, victim.child, 1);
  else {
    await waitForRequestCount(emulator, 1, victim.child, 5);
    await sleep(target);
  }
  const killed = victim.child.exitCode === null && victim.child.signalCode === null;
  victim.child.kill("SIGKILL");
  await victim.done;
  return { killed, requestsAtKill: (await emulator.requestLog()).length };
}

async function killPoint(options: CrashOptions, mode: KillPoint["mode"], target: number): Promise<KillPoint> {
  const realistic = mode === "random-time";
  const emulator = await startTestEmulator(realistic ? { latency: "realistic", timeScale: options.timeScale } : { latency: "none" });
  const dir = await makeTempDir("kill");
  const statePath = path.join(dir, "state.json");
  const env = envWith(VALID_PASSWORD);
  const args = initArgs(emulator, { statePath });
  const point: KillPoint = {
    label: mode === "after-requests" ? `after request ${target}` : `${(target / 1000).toFixed(2)} s after the first request`,
    mode,
    target,
    requestsAtKill: 0,
    killed: false,
    reruns: 0,
    converged: false,
    extra: [],
    missing: [],
    duplicates: [],
    statePending: [],
    stateProblems: [],
    rerunErrors: [],
  };
  try {
    Object.assign(point, await runAndKill(emulator, args, { env, cwd: dir }, mode, target));
    const maxReruns = options.maxReruns ?? 5;
    for (let attempt = 1; attempt <= maxReruns; attempt++) {
      const rerun = await runCli(args, { env, cwd: dir, timeoutMs: 300_000 });
      point.reruns = attempt;
      if (rerun.code === 0) break;
      point.rerunErrors.push(`rerun ${attempt}: exit ${String(rerun.code)} ${brief(rerun)}`);
    }
    const inventory = inventoryOf(await emulator.resources());
    const comparison = compareInventories(options.baseline.inventory, inventory);
    point.extra = comparison.extra;
    point.missing = comparison.missing;
    point.duplicates = inventory.duplicates;
    point.statePending = inventory.pending;
    const state = await checkStateFile(statePath);
    point.stateProblems = state.problems;
    point.converged = comparison.equal && inventory.duplicates.length === 0 && inventory.pending.length === 0 && state.allDone && point.rerunErrors.length < point.reruns;
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
  return point;
}

export async function crashAnywhere(options: CrashOptions): Promise<KillPoint[]> {
  const points: KillPoint[] = [];
  for (const target of options.afterRequests) {
    const point = await killPoint(options, "after-requests", target);
    options.log(
      `  kill ${point.label} (at ${point.requestsAtKill}): ${point.killed ? "" : "finished first; "}reruns ${point.reruns}, ${point.converged ? "converged" : "NOT converged"}`,
    );
    points.push(point);
  }
  const random = mulberry32(options.seed);
  for (let i = 0; i < options.randomKills; i++) {
    // Uniform over the run after its first request (start-up, about a second, excluded).
    const target = Math.round(random() * Math.max(1, options.realisticWallMs - 1500));
    const point = await killPoint(options, "random-time", target);
    options.log(
      `  kill ${point.label} (at ${point.requestsAtKill} requests): ${point.killed ? "" : "finished first; "}reruns ${point.reruns}, ${point.converged ? "converged" : "NOT converged"}`,
    );
    points.push(point);
  }
  return points;
}

// ---------------------------------------------------------------------------------------------
// (2) Transient and permanent faults

export interface FaultRun {
  label: string;
  spec: string;
  firstExit: number | null;
  firstWallMs: number;
  faultsInjected: number;
  /** Extra runs (with the faults still on) until success; 0 when the first run succeeded. */
  reruns: number;
  finalExit: number | null;
  converged: boolean;
  extra: string[];
  duplicates: string[];
  firstError?: string;
  /** For permanent faults: the error names the resource and an ARM code. */
  clearError?: boolean;
}

export async function faultRun(options: ScenarioOptions & { baseline: Baseline; label: string; spec: string; permanent?: boolean; maxReruns?: number }): Promise<FaultRun> {
  const emulator = await startTestEmulator({ latency: "none" });
  const dir = await makeTempDir("fault");
  const statePath = path.join(dir, "state.json");
  const env = envWith(VALID_PASSWORD);
  // A permanent fault is retried for the whole retry budget (15 minutes by default): give it 10 s here.
  const args = initArgs(emulator, { statePath, extra: options.permanent ? ["--retry-timeout", "10"] : undefined });
  try {
    await emulator.setFaults(options.spec);
    const first = await runCli(args, { env, cwd: dir, timeoutMs: 600_000 });
    const faultsInjected = countRequests(await emulator.requestLog()).faults;
    const result: FaultRun = {
      label: options.label,
      spec: options.spec,
      firstExit: first.code,
      firstWallMs: first.wallMs,
      faultsInjected,
      reruns: 0,
      finalExit: first.code,
      converged: false,
      extra: [],
      duplicates: [],
    };
    if (first.code !== 0) result.firstError = brief(first);
    if (options.permanent) {
      const text = `${first.stdout}\n${first.stderr}`;
      result.clearError =
        first.code === 1 && /[A-Z][A-Za-z]+Error|InternalServerError|ServiceUnavailable/.test(text) && /\/providers\//i.test(text) && /secure-aml init/.test(text);
      await emulator.setFaults("");
    }
    let last = first;
    const maxReruns = options.maxReruns ?? 3;
    while (last.code !== 0 && result.reruns < maxReruns) {
      result.reruns += 1;
      last = await runCli(args, { env, cwd: dir, timeoutMs: 600_000 });
    }
    result.finalExit = last.code;
    await emulator.setFaults("");
    const inventory = inventoryOf(await emulator.resources());
    const comparison = compareInventories(options.baseline.inventory, inventory);
    result.extra = [...comparison.extra, ...comparison.missing.map((id) => `missing ${id}`)];
    result.duplicates = inventory.duplicates;
    const state = await checkStateFile(statePath);
    result.converged = last.code === 0 && comparison.equal && inventory.duplicates.length === 0 && state.allDone;
    return result;
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// (3) Concurrency

export interface LockResult {
  secondExit: number | null;
  secondWallMs: number;
  secondMessage: string;
  firstStillRunning: boolean;
  /** After SIGKILL of the holder: the next run's exit codes until success. */
  recoveryExits: Array<number | null>;
  recovered: boolean;
  lockFileLeft: boolean;
}

export async function lockScenario(options: ScenarioOptions & { timeScale: number }): Promise<LockResult> {
  const emulator = await startTestEmulator({ latency: "realistic", timeScale: options.timeScale });
  const dir = await makeTempDir("lock");
  const statePath = path.join(dir, "state.json");
  const env = envWith(VALID_PASSWORD);
  const args = initArgs(emulator, { statePath });
  try {
    const holder = spawnCli(args, { env, cwd: dir });
    await waitForRequestCount(emulator, 3, holder.child, 5);
    const second = await runCli(args, { env, cwd: dir, timeoutMs: 120_000 });
    const firstStillRunning = holder.child.exitCode === null;
    holder.child.kill("SIGKILL");
    await holder.done;
    const recoveryExits: Array<number | null> = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const rerun = await runCli(args, { env, cwd: dir, timeoutMs: 600_000 });
      recoveryExits.push(rerun.code);
      if (rerun.code === 0 || rerun.code === 3) break;
    }
    const lockFileLeft = await fs
      .stat(`${statePath}.lock`)
      .then(() => true)
      .catch(() => false);
    return {
      secondExit: second.code,
      secondWallMs: second.wallMs,
      secondMessage: brief(second),
      firstStillRunning,
      recoveryExits,
      recovered: recoveryExits[recoveryExits.length - 1] === 0 && !recoveryExits.includes(3),
      lockFileLeft,
    };
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
}

export interface TwoStatesResult {
  exits: Array<number | null>;
  statesValid: boolean[];
  prefixesKept: boolean[];
  /** Per resource group: resource types (with counts) equal to the baseline's. */
  sameShape: boolean[];
  duplicates: string[];
  problems: string[];
}

function typeCounts(keys: readonly { type: string }[]): string {
  const counts = new Map<string, number>();
  for (const { type } of keys) counts.set(type, (counts.get(type) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${type}=${n}`)
    .join(";");
}

export async function twoStatesScenario(options: ScenarioOptions & { baseline: Baseline }): Promise<TwoStatesResult> {
  const emulator = await startTestEmulator({ latency: "none" });
  const dir = await makeTempDir("two");
  const env = envWith(VALID_PASSWORD);
  const prefixes = ["relone", "reltwo"];
  try {
    const states = prefixes.map((prefix) => path.join(dir, prefix, "state.json"));
    await Promise.all(prefixes.map((prefix) => fs.mkdir(path.join(dir, prefix))));
    const runs = await Promise.all(
      prefixes.map((prefix, i) => runCli(initArgs(emulator, { statePath: states[i]!, prefix }), { env, cwd: path.join(dir, prefix), timeoutMs: 600_000 })),
    );
    const dump = await emulator.resources();
    const inventory = inventoryOf(dump);
    const problems: string[] = [];
    const statesValid: boolean[] = [];
    const prefixesKept: boolean[] = [];
    const sameShape: boolean[] = [];
    const baselineShape = typeCounts(options.baseline.inventory.entries);
    for (const [i, prefix] of prefixes.entries()) {
      const check = await checkStateFile(states[i]!);
      statesValid.push(check.allDone);
      problems.push(...check.problems.map((p) => `${prefix}: ${p}`));
      const state = JSON.parse(await fs.readFile(states[i]!, "utf8")) as { config?: { prefix?: unknown; resourceGroup?: unknown } };
      prefixesKept.push(state.config?.prefix === prefix);
      const group = String(state.config?.resourceGroup ?? `${prefix}-rg`).toLowerCase();
      const mine = inventory.entries.filter((entry) => entry.key.includes(`/resourcegroups/${group}`));
      const shape = typeCounts(mine);
      sameShape.push(shape === baselineShape);
      if (shape !== baselineShape) problems.push(`${prefix}: resource types differ from a clean run (${shape} vs ${baselineShape})`);
      if (runs[i]!.code !== 0) problems.push(`${prefix}: exit ${String(runs[i]!.code)} ${brief(runs[i]!)}`);
    }
    return { exits: runs.map((run) => run.code), statesValid, prefixesKept, sameShape, duplicates: inventory.duplicates, problems };
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// (4) Bad input

export interface BadInputResult {
  name: string;
  kind: BadInputCase["kind"];
  exit: number | null;
  namesField: boolean;
  namesRule: boolean;
  requests: number;
  stateUntouched: boolean;
  ok: boolean;
  message: string;
}

export async function badInputScenario(options: ScenarioOptions & { cases?: readonly BadInputCase[]; parallel?: number }): Promise<BadInputResult[]> {
  const cases = options.cases ?? BAD_INPUTS;
  const emulator = await startTestEmulator({ latency: "none" });
  const dir = await makeTempDir("badinput");
  try {
    const results: BadInputResult[] = new Array(cases.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const index = next++;
        results[index] = await badInputCase(emulator, path.join(dir, `case-${index}`), cases[index]!);
      }
    };
    await Promise.all(Array.from({ length: options.parallel ?? 2 }, worker));
    // Attribution per case is by the total: any request at all fails every case of the run.
    const total = (await emulator.requestLog()).length;
    if (total > 0) for (const result of results) result.requests = total;
    for (const result of results) result.ok = result.ok && result.requests === 0;
    return results;
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
}

async function badInputCase(emulator: TestEmulator, dir: string, badCase: BadInputCase): Promise<BadInputResult> {
  await fs.mkdir(dir, { recursive: true });
  const statePath = path.join(dir, "state.json");
  const stateText = badCase.stateFile ?? canaryState();
  await fs.writeFile(statePath, stateText, { mode: 0o600 });
  const args = initArgs(emulator, { statePath });
  if (badCase.configFile !== undefined) {
    const configPath = path.join(dir, "config.json");
    await fs.writeFile(configPath, typeof badCase.configFile === "string" ? badCase.configFile : JSON.stringify(badCase.configFile));
    args.push("--config", configPath);
  }
  if (badCase.missingConfigFile) args.push("--config", path.join(dir, "no-such-config.json"));
  for (let i = 0; i < (badCase.args ?? []).length; i += 2) {
    const flag = badCase.args![i]!;
    const value = badCase.args![i + 1];
    const at = args.indexOf(flag);
    if (at >= 0 && value !== undefined) args[at + 1] = value;
    else args.push(flag, ...(value !== undefined ? [value] : []));
  }
  for (const flag of badCase.dropFlags ?? []) {
    const at = args.indexOf(flag);
    if (at >= 0) args.splice(at, 2);
  }
  args.push(...(badCase.extraArgs ?? []));
  let run = await runCli(args, { env: envWith(VALID_PASSWORD, badCase.env ?? {}), cwd: dir, timeoutMs: 60_000 });
  // Exit 0 with no output at all means the CLI module was empty: dist/ was being rebuilt by a
  // concurrent \`tsc\` (several people share the tree). Run the case again rather than report noise.
  if (run.code === 0 && run.stdout === "" && run.stderr === "") run = await runCli(args, { env: envWith(VALID_PASSWORD, badCase.env ?? {}), cwd: dir, timeoutMs: 60_000 });
  const text = `${run.stdout}\n${run.stderr}`;
  const after = await fs.readFile(statePath, "utf8").catch(() => "<missing>");
  const namesField = text.toLowerCase().includes(badCase.field.toLowerCase());
  const namesRule = new RegExp(badCase.rule, "i").test(text);
  const stateUntouched = after === stateText;
  return {
    name: badCase.name,
    kind: badCase.kind,
    exit: run.code,
    namesField,
    namesRule,
    requests: 0,
    stateUntouched,
    ok: run.code === 2 && namesField && namesRule && stateUntouched,
    message: brief(run),
  };
}

// ---------------------------------------------------------------------------------------------
// (5) Secrets

export interface SecretsResult {
  password: string;
  runs: Array<{ label: string; exit: number | null }>;
  /** Where each secret was found ("password in stdout of run 1", ...); empty = clean. */
  leaks: string[];
  secretsLookedFor: string[];
  stateMode: string;
  dirMode: string;
  filesScanned: number;
  modesOk: boolean;
  passwordReachedVm: boolean;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

export async function secretsScenario(_options: ScenarioOptions): Promise<SecretsResult> {
  const emulator = await startTestEmulator({ latency: "none" });
  const dir = await makeTempDir("secrets");
  const password = `Uq-${randomBytes(9).toString("base64url")}-7z!`;
  const env = envWith(password);
  // Default state path (.secure-aml/state.json under the working directory) so that the CLI creates the directory.
  // The failing run's 500s are retried for the retry budget (15 minutes by default): give it 5 s here.
  const args = initArgs(emulator, { statePath: ".secure-aml/state.json", extra: ["--retry-timeout", "5"] });
  const texts: Array<{ where: string; text: string }> = [];
  const runs: SecretsResult["runs"] = [];
  try {
    // A run that fails (the VM write refused), a resume that succeeds, and a converged rerun.
    await emulator.setFaults("500:rate=1,path=/virtualMachines/,method=PUT");
    const labels = ["failing run (VM write refused)", "resumed run", "converged rerun"];
    for (const [i, label] of labels.entries()) {
      if (i === 1) await emulator.setFaults("");
      const run = await runCli(args, { env, cwd: dir, timeoutMs: 600_000 });
      runs.push({ label, exit: run.code });
      texts.push({ where: `stdout of the ${label}`, text: run.stdout }, { where: `stderr of the ${label}`, text: run.stderr });
      const json = jsonOutput(run.stdout);
      if (json) texts.push({ where: `JSON output of the ${label}`, text: JSON.stringify(json) });
    }
    const files = await listFiles(dir);
    for (const file of files) texts.push({ where: `file ${path.relative(dir, file)}`, text: await fs.readFile(file, "utf8").catch(() => "") });

    // Secrets the emulator holds: storage keys, registry credentials; and the static test tokens.
    const secrets: Array<{ label: string; value: string }> = [{ label: "jump-box password", value: password }];
    const dump = await emulator.resources();
    const log = await emulator.requestLog();
    const apiVersionOf = (type: RegExp): string | undefined => log.find((entry) => type.test(entry.path) && entry.apiVersion)?.apiVersion;
    for (const record of dump.value) {
      if (/^microsoft\.storage\/storageaccounts$/i.test(record.type)) {
        const response = await emulator.raw("POST", `${record.id}/listKeys?api-version=${apiVersionOf(/storageAccounts/i) ?? "2025-08-01"}`);
        const keys = (response.body as { keys?: Array<{ value?: string }> })?.keys ?? [];
        for (const key of keys) if (key.value) secrets.push({ label: "storage account key", value: key.value });
      }
      if (/^microsoft\.containerregistry\/registries$/i.test(record.type)) {
        const response = await emulator.raw("POST", `${record.id}/listCredentials?api-version=${apiVersionOf(/registries/i) ?? "2025-11-01"}`);
        const passwords = (response.body as { passwords?: Array<{ value?: string }> })?.passwords ?? [];
        for (const entry of passwords) if (entry.value) secrets.push({ label: "registry password", value: entry.value });
      }
    }
    const { STATIC_TEST_TOKEN } = await import("../src/azure/credential.js");
    secrets.push({ label: "static test token", value: STATIC_TEST_TOKEN }, { label: "emulator test token", value: "emulator-test-token" });
    const leaks: string[] = [];
    for (const secret of secrets) {
      for (const { where, text } of texts) if (secret.value.length >= 8 && text.includes(secret.value)) leaks.push(`${secret.label} in ${where}`);
    }
    const vm = dump.value.find((record) => /virtualmachines$/i.test(record.type));
    const statePath = path.join(dir, ".secure-aml", "state.json");
    const stateMode = await fs
      .stat(statePath)
      .then((s) => (s.mode & 0o777).toString(8))
      .catch(() => "missing");
    const dirMode = await fs
      .stat(path.join(dir, ".secure-aml"))
      .then((s) => (s.mode & 0o777).toString(8))
      .catch(() => "missing");
    return {
      password: "(unique per run; not shown)",
      runs,
      leaks,
      secretsLookedFor: [...new Set(secrets.map((s) => s.label))].map((label) => `${label} ×${secrets.filter((s) => s.label === label).length}`),
      stateMode,
      dirMode,
      filesScanned: files.length,
      modesOk: stateMode === "600" && dirMode === "700",
      passwordReachedVm: vm !== undefined,
    };
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// (6) Safety

export interface SafetyResult {
  destroy: { available: boolean; exit: number | null; groupStillThere: boolean; deletes: number; message: string };
  staticToken: { refused: string[]; accepted: string[]; wronglyAccepted: string[]; wronglyRefused: string[]; cliExit: number | null; cliMessage: string };
}

export async function safetyScenario(_options: ScenarioOptions): Promise<SafetyResult> {
  const emulator = await startTestEmulator({ latency: "none" });
  const dir = await makeTempDir("safety");
  try {
    const group = "foreign-untagged-rg";
    const groupPath = `/subscriptions/${emulator.subscriptionId}/resourcegroups/${group}?api-version=2025-04-01`;
    const put = await emulator.raw("PUT", groupPath, { body: { location: "eastus" } });
    if (put.status >= 300) throw new Error(`could not create the foreign group: ${put.status}`);
    await emulator.clearRequestLog();
    const run = await runCli(
      [
        "destroy",
        "--resource-group",
        group,
        "--subscription",
        emulator.subscriptionId,
        "--endpoint",
        emulator.endpoint,
        "--ca-cert",
        emulator.caCertPath,
        "--yes",
        "--output",
        "json",
        "--no-color",
        "--state",
        path.join(dir, "none.json"),
      ],
      { env: cliEnv(), cwd: dir, timeoutMs: 120_000 },
    );
    const text = `${run.stdout}\n${run.stderr}`;
    const available = !/not implemented/i.test(text);
    const still = await emulator.raw("GET", groupPath);
    const deletes = (await emulator.requestLog()).filter((entry) => entry.method === "DELETE").length;

    const { createStaticTestCredential } = await import("../src/azure/credential.js");
    const nonLoopback = [
      "https://management.azure.com",
      "https://10.0.0.1:8443",
      "https://127.0.0.1.nip.io",
      "https://[::2]:443",
      "https://localhost.evil.example",
      "https://0.0.0.0",
    ];
    const loopback = ["https://127.0.0.1:8443", "https://localhost:1", "https://[::1]:443", "https://127.1.2.3"];
    const refused: string[] = [];
    const accepted: string[] = [];
    for (const endpoint of [...nonLoopback, ...loopback]) {
      try {
        createStaticTestCredential(endpoint);
        accepted.push(endpoint);
      } catch {
        refused.push(endpoint);
      }
    }
    const cli = await runCli(
      ["init", "--local", "--yes", "--endpoint", "https://management.azure.com", "--location", "eastus", "--output", "json", "--no-color", "--state", path.join(dir, "s.json")],
      {
        env: envWith(VALID_PASSWORD),
        cwd: dir,
        timeoutMs: 60_000,
      },
    );
    return {
      destroy: { available, exit: run.code, groupStillThere: still.status === 200, deletes, message: brief(run) },
      staticToken: {
        refused,
        accepted,
        wronglyAccepted: accepted.filter((e) => nonLoopback.includes(e)),
        wronglyRefused: refused.filter((e) => loopback.includes(e)),
        cliExit: cli.code,
        cliMessage: brief(cli),
      },
    };
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// (7) Crash anywhere in the day-two commands: SIGKILL during destroy, stop and start

export type DayTwoCommand = "destroy" | "stop" | "start";

export interface DayTwoKillPoint {
  command: DayTwoCommand;
  label: string;
  mode: "after-requests" | "random-time";
  target: number;
  requestsAtKill: number;
  killed: boolean;
  reruns: number;
  converged: boolean;
  problems: string[];
}

/** A deployment built once by `init`, kept as a copy of the emulator's world and the state file. */
export interface DeploymentSnapshot {
  dir: string;
  worldDir: string;
  statePath: string;
  resourceGroup: string;
  keyVault: string;
  /** A soft-deleted key vault of another deployment under the same group name (must never be purged). */
  foreignVault: string;
  /** Requests of an uninterrupted destroy, stop and start. */
  cleanRequests: Record<DayTwoCommand, number>;
}

function dayTwoArgs(emulator: Pick<TestEmulator, "endpoint" | "caCertPath">, command: DayTwoCommand, statePath: string): string[] {
  return [
    command,
    "--yes",
    ...(command === "destroy" ? ["--purge"] : []),
    "--endpoint",
    emulator.endpoint,
    "--ca-cert",
    emulator.caCertPath,
    "--state",
    statePath,
    "--output",
    "json",
    "--no-color",
  ];
}

/** What the world looks like for the checks: the group, our vault's soft-deleted copy, the foreign one, power states. */
async function dayTwoFacts(emulator: TestEmulator, snapshot: Pick<DeploymentSnapshot, "resourceGroup" | "keyVault" | "foreignVault">) {
  const dump = await emulator.resources();
  const inGroup = dump.value.filter((r) => (r.resourceGroup ?? "").toLowerCase() === snapshot.resourceGroup.toLowerCase());
  const softDeleted = JSON.stringify(dump.softDeleted);
  const vm = inGroup.find((r) => /virtualmachines$/i.test(r.type));
  const instance = inGroup.find((r) => /\/computes$/i.test(r.type) && /ComputeInstance/.test(JSON.stringify(r.body)));
  const innerState = (instance?.body.properties as { properties?: { state?: unknown } } | undefined)?.properties?.state;
  return {
    groupExists: inGroup.some((r) => /resourcegroups$/i.test(r.type)),
    ourVaultSoftDeleted: softDeleted.includes(`"${snapshot.keyVault}"`) || new RegExp(`deletedVaults/${snapshot.keyVault}\\b`, "i").test(softDeleted),
    foreignVaultSoftDeleted: softDeleted.includes(snapshot.foreignVault),
    vmPower: /PowerState\/(\w+)/.exec(JSON.stringify(vm?.body ?? {}))?.[1],
    instanceState: typeof innerState === "string" ? innerState : undefined,
  };
}

/**
 * Builds one deployment (init against a latency-none emulator), adds another deployment's vault
 * soft-deleted under the same group name, and measures an uninterrupted destroy, stop and start.
 */
export async function deploymentSnapshot(options: ScenarioOptions & { measure?: boolean }): Promise<DeploymentSnapshot> {
  const dir = await makeTempDir("daytwo-snapshot");
  const worldDir = path.join(dir, "world");
  await fs.mkdir(worldDir);
  const statePath = path.join(dir, "state.json");
  const foreignVault = "kv-other-team-7q";
  const emulator = await startTestEmulator({ latency: "none", dataDir: worldDir });
  let resourceGroup = "";
  let keyVault = "";
  try {
    const run = await runCli(initArgs(emulator, { statePath, prefix: "daytwo" }), { env: envWith(VALID_PASSWORD), cwd: dir });
    if (run.code !== 0) throw new Error(`init for the day-two snapshot exited ${String(run.code)}: ${brief(run)}`);
    const state = JSON.parse(await fs.readFile(statePath, "utf8")) as { config: { resourceGroup: string; keyVault: string } };
    resourceGroup = state.config.resourceGroup;
    keyVault = state.config.keyVault;
    // Another team's vault, deleted with their group of the same name before ours existed: it carries
    // the generic tag and another deployment id, and lies under our group's name.
    const sub = emulator.subscriptionId;
    const other = "rg-other-team-tmp";
    await emulator.raw("PUT", `/subscriptions/${sub}/resourcegroups/${other}?api-version=2025-04-01`, { body: { location: "eastus" } });
    const vaultBody = {
      location: "eastus",
      tags: { "secure-aml": "managed", "secure-aml-deployment": "99999999-9999-4999-8999-999999999999" },
      properties: { tenantId: "00000000-0000-0000-0000-000000000000", sku: { family: "A", name: "standard" } },
    };
    // Created in our group (so its id lies under our group's name), then deleted: soft-deleted with its tags.
    const put = await emulator.raw("PUT", `/subscriptions/${sub}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${foreignVault}?api-version=2023-07-01`, {
      body: vaultBody,
    });
    if (put.status >= 300) throw new Error(`could not create the foreign vault: ${put.status} ${JSON.stringify(put.body)}`);
    await emulator.raw("DELETE", `/subscriptions/${sub}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${foreignVault}?api-version=2023-07-01`);
    await emulator.raw("DELETE", `/subscriptions/${sub}/resourcegroups/${other}?api-version=2025-04-01`);
  } finally {
    await emulator.stop();
  }
  const snapshot: DeploymentSnapshot = { dir, worldDir, statePath, resourceGroup, keyVault, foreignVault, cleanRequests: { destroy: 0, stop: 0, start: 0 } };
  // Uninterrupted runs, for the number of kill points and as the control of the checks.
  for (const command of options.measure === false ? [] : (["stop", "start", "destroy"] as const)) {
    const copy = await copySnapshot(snapshot);
    const emu = await startTestEmulator({ latency: "none", dataDir: copy.worldDir });
    try {
      if (command === "start") {
        const stopped = await runCli(dayTwoArgs(emu, "stop", copy.statePath), { env: cliEnv(), cwd: copy.dir });
        if (stopped.code !== 0) throw new Error(`clean stop exited ${String(stopped.code)}: ${brief(stopped)}`);
      }
      await emu.clearRequestLog();
      const run = await runCli(dayTwoArgs(emu, command, copy.statePath), { env: cliEnv(), cwd: copy.dir });
      if (run.code !== 0) throw new Error(`clean ${command} exited ${String(run.code)}: ${brief(run)}`);
      snapshot.cleanRequests[command] = (await emu.requestLog()).length;
      const problems = checkDayTwo(command, await dayTwoFacts(emu, snapshot));
      if (problems.length > 0) throw new Error(`clean ${command} did not reach its end: ${problems.join("; ")}`);
    } finally {
      await emu.stop();
      await removeDir(copy.dir);
    }
  }
  return snapshot;
}

async function copySnapshot(snapshot: DeploymentSnapshot): Promise<{ dir: string; worldDir: string; statePath: string }> {
  const dir = await makeTempDir("daytwo-kill");
  const worldDir = path.join(dir, "world");
  await fs.cp(snapshot.worldDir, worldDir, { recursive: true });
  const statePath = path.join(dir, "state.json");
  await fs.copyFile(snapshot.statePath, statePath);
  return { dir, worldDir, statePath };
}

/** What must hold after the command (and its reruns) finished: empty when it did. */
function checkDayTwo(command: DayTwoCommand, facts: Awaited<ReturnType<typeof dayTwoFacts>>): string[] {
  const problems: string[] = [];
  if (!facts.foreignVaultSoftDeleted) problems.push("another deployment's soft-deleted vault was purged");
  if (command === "destroy") {
    if (facts.groupExists) problems.push("the resource group still exists");
    if (facts.ourVaultSoftDeleted) problems.push("our key vault is still soft-deleted (not purged)");
  } else if (command === "stop") {
    if (facts.vmPower !== "deallocated") problems.push(`jump box ${facts.vmPower ?? "?"}, not deallocated`);
    if (facts.instanceState !== "Stopped") problems.push(`compute instance ${facts.instanceState ?? "?"}, not Stopped`);
  } else {
    if (facts.vmPower !== "running") problems.push(`jump box ${facts.vmPower ?? "?"}, not running`);
    if (facts.instanceState !== "Running") problems.push(`compute instance ${facts.instanceState ?? "?"}, not Running`);
  }
  return problems;
}

async function dayTwoKillPoint(
  options: ScenarioOptions & { snapshot: DeploymentSnapshot; timeScale: number; maxReruns?: number },
  command: DayTwoCommand,
  mode: DayTwoKillPoint["mode"],
  target: number,
): Promise<DayTwoKillPoint> {
  const copy = await copySnapshot(options.snapshot);
  const realistic = mode === "random-time";
  const emulator = await startTestEmulator({
    ...(realistic ? { latency: "realistic" as const, timeScale: options.timeScale } : { latency: "none" as const }),
    dataDir: copy.worldDir,
  });
  const point: DayTwoKillPoint = {
    command,
    label: mode === "after-requests" ? `${command}: after request ${target}` : `${command}: ${(target / 1000).toFixed(2)} s after its first request`,
    mode,
    target,
    requestsAtKill: 0,
    killed: false,
    reruns: 0,
    converged: false,
    problems: [],
  };
  try {
    const env = cliEnv();
    if (command === "start") {
      const stopped = await runCli(dayTwoArgs(emulator, "stop", copy.statePath), { env, cwd: copy.dir, timeoutMs: 300_000 });
      if (stopped.code !== 0) throw new Error(`stop before start exited ${String(stopped.code)}: ${brief(stopped)}`);
    }
    await emulator.clearRequestLog();
    const args = dayTwoArgs(emulator, command, copy.statePath);
    Object.assign(point, await runAndKill(emulator, args, { env, cwd: copy.dir }, mode, target));
    const rerunErrors: string[] = [];
    for (let attempt = 1; attempt <= (options.maxReruns ?? 3); attempt++) {
      const rerun = await runCli(args, { env, cwd: copy.dir, timeoutMs: 300_000 });
      point.reruns = attempt;
      if (rerun.code === 0) break;
      rerunErrors.push(`rerun ${attempt}: exit ${String(rerun.code)} ${brief(rerun)}`);
    }
    point.problems = [...checkDayTwo(command, await dayTwoFacts(emulator, options.snapshot)), ...rerunErrors];
    if (command === "destroy") {
      const state = JSON.parse(await fs.readFile(copy.statePath, "utf8").catch(() => "{}")) as { meta?: Record<string, string> };
      if (!state.meta?.destroyedAt) point.problems.push("state not marked destroyed");
    }
    point.converged = point.problems.length === rerunErrors.length && rerunErrors.length < point.reruns;
  } finally {
    await emulator.stop();
    await removeDir(copy.dir);
  }
  return point;
}

export interface DayTwoCrashOptions extends ScenarioOptions {
  snapshot: DeploymentSnapshot;
  /** Kill after each request count 1..clean count of each command (latency none), at most this many per command. */
  maxAfterRequests: number;
  /** Random moments per command in a run with realistic latency. */
  randomKills: number;
  timeScale: number;
  seed: number;
  commands?: readonly DayTwoCommand[];
}

export async function crashDayTwo(options: DayTwoCrashOptions): Promise<DayTwoKillPoint[]> {
  const points: DayTwoKillPoint[] = [];
  const random = mulberry32(options.seed);
  for (const command of options.commands ?? (["destroy", "stop", "start"] as const)) {
    const count = Math.min(options.maxAfterRequests, Math.max(1, options.snapshot.cleanRequests[command] - 1));
    for (let n = 1; n <= count; n++) {
      const point = await dayTwoKillPoint(options, command, "after-requests", n);
      options.log(
        `  ${point.label} (at ${point.requestsAtKill}): ${point.killed ? "" : "finished first; "}reruns ${point.reruns}, ${point.converged ? "converged" : `NOT converged (${point.problems.join("; ")})`}`,
      );
      points.push(point);
    }
    for (let i = 0; i < options.randomKills; i++) {
      // A destroy with realistic latency lasts seconds at ×0.02 (the group's deletion); stop and start less.
      const spanMs = (command === "destroy" ? 4000 : 2500) * (options.timeScale / 0.02);
      const point = await dayTwoKillPoint(options, command, "random-time", Math.round(random() * spanMs));
      options.log(
        `  ${point.label} (at ${point.requestsAtKill}): ${point.killed ? "" : "finished first; "}reruns ${point.reruns}, ${point.converged ? "converged" : `NOT converged (${point.problems.join("; ")})`}`,
      );
      points.push(point);
    }
  }
  return points;
}

// ---------------------------------------------------------------------------------------------
// (8) Ownership and (9) tokens and environment: named cases, each passed or not

export interface NamedCase {
  name: string;
  ok: boolean;
  detail: string;
}

const WRITE_METHODS = new Set(["PUT", "PATCH", "DELETE", "POST"]);

/** destroy, --purge, stop and start act only on what carries this deployment's id. */
export async function ownershipScenario(options: ScenarioOptions & { snapshot: DeploymentSnapshot }): Promise<NamedCase[]> {
  const cases: NamedCase[] = [];
  const copy = await copySnapshot(options.snapshot);
  const emulator = await startTestEmulator({ latency: "none", dataDir: copy.worldDir });
  const sub = emulator.subscriptionId;
  const rg = options.snapshot.resourceGroup;
  const env = cliEnv();
  const writes = async () => (await emulator.requestLog()).filter((e) => WRITE_METHODS.has(e.method) && !/checkNameAvailability/i.test(e.path)).length;
  const run = (args: string[], statePath = copy.statePath) =>
    runCli([...args, "--endpoint", emulator.endpoint, "--ca-cert", emulator.caCertPath, "--state", statePath, "--output", "json", "--no-color"], {
      env,
      cwd: copy.dir,
      timeoutMs: 300_000,
    });
  const groupExists = async (name: string) => (await emulator.raw("GET", `/subscriptions/${sub}/resourcegroups/${name}?api-version=2025-04-01`)).status === 200;
  const record = (name: string, ok: boolean, detail: string) => {
    cases.push({ name, ok, detail });
    options.log(`  ${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  };
  try {
    // 1. Someone else's group with the generic tag and an untagged VNet, no state file.
    await emulator.raw("PUT", `/subscriptions/${sub}/resourcegroups/rg-tagged-by-others?api-version=2025-04-01`, {
      body: { location: "eastus", tags: { "secure-aml": "managed" } },
    });
    await emulator.raw("PUT", `/subscriptions/${sub}/resourceGroups/rg-tagged-by-others/providers/Microsoft.Network/virtualNetworks/their-vnet?api-version=2024-05-01`, {
      body: { location: "eastus", properties: { addressSpace: { addressPrefixes: ["10.5.0.0/16"] } } },
    });
    await emulator.clearRequestLog();
    const noState = await run(["destroy", "--yes", "--subscription", sub, "--resource-group", "rg-tagged-by-others"], path.join(copy.dir, "no-state.json"));
    record(
      "destroy without a state: a group someone tagged secure-aml=managed",
      noState.code === 2 && (await writes()) === 0 && (await groupExists("rg-tagged-by-others")),
      `exit ${String(noState.code)}, writes ${await writes()}, group kept ${await groupExists("rg-tagged-by-others")}`,
    );

    // 2. stop with the state of another deployment pointing at our group, and with no state: nothing stopped.
    const otherState = path.join(copy.dir, "other-state.json");
    const state = JSON.parse(await fs.readFile(copy.statePath, "utf8")) as { meta?: Record<string, string>; config: Record<string, unknown> };
    await fs.writeFile(
      otherState,
      JSON.stringify({ ...state, config: { ...state.config, deploymentId: undefined }, meta: { ...(state.meta ?? {}), deploymentId: "00000000-1111-4111-8111-000000000000" } }),
      { mode: 0o600 },
    );
    await emulator.clearRequestLog();
    const otherStop = await run(["stop", "--yes"], otherState);
    const facts = await dayTwoFacts(emulator, options.snapshot);
    record(
      "stop with another deployment's state: nothing stopped",
      otherStop.code === 0 && (await writes()) === 0 && facts.vmPower === "running" && facts.instanceState === "Running",
      `exit ${String(otherStop.code)}, writes ${await writes()}, jump box ${facts.vmPower}, instance ${facts.instanceState}`,
    );
    await emulator.clearRequestLog();
    const noStateStop = await run(["stop", "--yes", "--subscription", sub, "--resource-group", rg], path.join(copy.dir, "absent.json"));
    record("stop without a state: nothing stopped", noStateStop.code === 0 && (await writes()) === 0, `exit ${String(noStateStop.code)}, writes ${await writes()}`);
    await emulator.clearRequestLog();
    const otherStart = await run(["start", "--yes"], otherState);
    record("start with another deployment's state: nothing started", otherStart.code === 0 && (await writes()) === 0, `exit ${String(otherStart.code)}, writes ${await writes()}`);

    // 3. Our group holding a resource that is not ours: refused without --force, listed and deleted with it.
    await emulator.raw("PUT", `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/publicIPAddresses/intruder-ip?api-version=2024-05-01`, {
      body: { location: "eastus", tags: { "secure-aml": "managed" }, sku: { name: "Standard" }, properties: { publicIPAllocationMethod: "Static" } },
    });
    await emulator.clearRequestLog();
    const refused = await run(["destroy", "--yes", "--purge"]);
    record(
      "destroy of our group holding a resource without our id, no --force",
      refused.code === 2 && (await writes()) === 0 && (await groupExists(rg)) && /intruder-ip/.test(refused.stderr),
      `exit ${String(refused.code)}, writes ${await writes()}, names it ${/intruder-ip/.test(refused.stderr)}`,
    );
    const forced = await run(["destroy", "--yes", "--purge", "--force"]);
    const forcedDoc = jsonOutput(forced.stdout) as { details?: { resourcesDeleted?: string[] } } | undefined;
    const listed = (forcedDoc?.details?.resourcesDeleted ?? []).some((l) => /intruder-ip \(not created by this deployment\)/.test(l));
    const after = await dayTwoFacts(emulator, options.snapshot);
    record(
      "destroy --force lists what is not ours, then deletes",
      forced.code === 0 && listed && !(await groupExists(rg)),
      `exit ${String(forced.code)}, listed ${listed}, group gone ${!(await groupExists(rg))}`,
    );
    record(
      "destroy --purge never purges another deployment's soft-deleted vault under the same group name",
      after.foreignVaultSoftDeleted && !after.ourVaultSoftDeleted,
      `foreign vault still recoverable ${after.foreignVaultSoftDeleted}, ours purged ${!after.ourVaultSoftDeleted}`,
    );
    await emulator.clearRequestLog();
    const again = await run(["destroy", "--yes", "--purge"]);
    const afterAgain = await dayTwoFacts(emulator, options.snapshot);
    record(
      "destroy --purge again with the group gone: purges nothing foreign",
      again.code === 0 && afterAgain.foreignVaultSoftDeleted,
      `exit ${String(again.code)}, foreign vault kept ${afterAgain.foreignVaultSoftDeleted}`,
    );
  } finally {
    await emulator.stop();
    await removeDir(copy.dir);
  }
  return cases;
}

/**
 * Where a token may go, and what a child process inherits. A fake `az` on PATH (DefaultAzureCredential
 * limited to AzureCliCredential, so nothing probes a managed-identity address) records each call and
 * the environment it got, then says "not logged in": no real token exists, none leaves the machine.
 */
export async function tokenScenario(options: ScenarioOptions): Promise<NamedCase[]> {
  const cases: NamedCase[] = [];
  const emulator = await startTestEmulator({ latency: "none" });
  const dir = await makeTempDir("tokens");
  const fakeBin = path.join(dir, "bin");
  const calls = path.join(dir, "az-calls");
  await fs.mkdir(fakeBin);
  await fs.mkdir(calls);
  await fs.writeFile(path.join(fakeBin, "az"), `#!/bin/sh\nenv > "${calls}/call-$$.env"\necho "ERROR: Please run 'az login' to setup account." >&2\nexit 1\n`, { mode: 0o755 });
  const password = `Tk-${randomBytes(9).toString("base64url")}-7z!`;
  const env = (extra: Record<string, string> = {}) => ({
    ...cliEnv({ [PASSWORD_ENV]: password }),
    PATH: `${fakeBin}:${process.env.PATH ?? ""}`,
    AZURE_TOKEN_CREDENTIALS: "AzureCliCredential",
    ...extra,
  });
  const azEnvs = async () => Promise.all((await fs.readdir(calls)).map((f) => fs.readFile(path.join(calls, f), "utf8")));
  const clear = async () => {
    for (const f of await fs.readdir(calls)) await fs.rm(path.join(calls, f));
    await emulator.clearRequestLog();
  };
  const port = new URL(emulator.endpoint).port;
  const status = (endpoint: string | undefined, extra: string[] = []) => [
    "status",
    "--subscription",
    emulator.subscriptionId,
    "--resource-group",
    "rg-tokens",
    ...(endpoint ? ["--endpoint", endpoint, "--ca-cert", emulator.caCertPath] : []),
    "--state",
    path.join(dir, "none.json"),
    "--output",
    "json",
    "--no-color",
    ...extra,
  ];
  const record = (name: string, ok: boolean, detail: string) => {
    cases.push({ name, ok, detail });
    options.log(`  ${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  };
  try {
    await clear();
    const control = await runCli(status(undefined), { env: env(), cwd: dir, timeoutMs: 120_000 });
    const controlEnvs = await azEnvs();
    record(
      "control: the cloud's own endpoint asks az for a real token",
      control.code === 1 && controlEnvs.length > 0,
      `exit ${String(control.code)}, az calls ${controlEnvs.length}`,
    );
    record(
      "the jump-box password is not in the environment az inherits",
      controlEnvs.length > 0 && controlEnvs.every((e) => !e.includes(PASSWORD_ENV) && !e.includes(password)),
      `${controlEnvs.length} az environment(s) checked, password variable present in ${controlEnvs.filter((e) => e.includes(PASSWORD_ENV)).length}`,
    );
    await clear();
    const dotted = await runCli(status(`https://localhost.:${port}`), { env: env(), cwd: dir, timeoutMs: 120_000 });
    record(
      '"localhost." (trailing dot) gets the static token, never a real one',
      dotted.code !== 2 && (await azEnvs()).length === 0,
      `exit ${String(dotted.code)}, az calls ${(await azEnvs()).length}`,
    );
    const { lookup } = await import("node:dns/promises");
    const { hostname } = await import("node:os");
    const host = hostname();
    const addresses = await lookup(host, { all: true }).catch(() => []);
    if (addresses.length > 0 && addresses.every((a) => a.address.startsWith("127."))) {
      await clear();
      const named = await runCli(status(`https://${host}:${port}`), { env: env(), cwd: dir, timeoutMs: 120_000 });
      record(
        `a host name resolving to 127.0.0.1 (${host}) gets the static token`,
        named.code !== 2 && (await azEnvs()).length === 0,
        `exit ${String(named.code)}, az calls ${(await azEnvs()).length}`,
      );
    }
    for (const [name, endpoint, extraEnv] of [
      ["a remote endpoint not declared trusted (flag)", "https://192.0.2.10", {}],
      ["a remote endpoint not declared trusted (variable)", undefined, { SECURE_AML_ARM_ENDPOINT: "https://192.0.2.10:8443" }],
      ["a remote IPv6 endpoint not declared trusted", "https://[2001:db8::5]", {}],
    ] as const) {
      await clear();
      const refusedRun = await runCli(status(endpoint), { env: env(extraEnv), cwd: dir, timeoutMs: 120_000 });
      record(
        `${name}: exit 2, no token, no request`,
        refusedRun.code === 2 && (await azEnvs()).length === 0 && (await emulator.requestLog()).length === 0,
        `exit ${String(refusedRun.code)}, az calls ${(await azEnvs()).length}`,
      );
    }
    await clear();
    const declared = await runCli(status("https://192.0.2.10", ["--trust-endpoint", "https://192.0.2.10"]), { env: env(), cwd: dir, timeoutMs: 120_000 });
    record(
      "a remote endpoint declared trusted gets the real credential (az asked)",
      declared.code === 1 && (await azEnvs()).length > 0,
      `exit ${String(declared.code)}, az calls ${(await azEnvs()).length}`,
    );
    await clear();
    const staticRemote = await runCli(status("https://192.0.2.10", ["--trust-endpoint", "https://192.0.2.10"]), {
      env: env({ SECURE_AML_CREDENTIAL: "static" }),
      cwd: dir,
      timeoutMs: 120_000,
    });
    record("the static test token for a remote endpoint, even trusted: exit 2", staticRemote.code === 2 && (await azEnvs()).length === 0, `exit ${String(staticRemote.code)}`);
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
  return cases;
}
