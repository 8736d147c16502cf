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
  type Driver,
  type Inventory,
  type TestEmulator,
} from "./lib.js";
import { BAD_INPUTS, VALID_PASSWORD, canaryState, type BadInputCase } from "./bad-inputs.js";
import { mulberry32 } from "../src/emulator/faults.js";

export interface ScenarioOptions {
  driver: Driver;
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
  const error = output?.error as { code?: unknown; message?: unknown } | undefined;
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
    const run = await runCli(initArgs(emulator, { statePath, extra: options.extra }), { env: envWith(VALID_PASSWORD), driver: options.driver, cwd: dir });
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
    const victim = spawnCli(args, { env, driver: options.driver, cwd: dir });
    if (mode === "after-requests") await waitForRequestCount(emulator, target, victim.child, 1);
    else {
      // Counted from the first ARM request (process start-up is not interesting to kill).
      await waitForRequestCount(emulator, 1, victim.child, 5);
      await sleep(target);
    }
    point.killed = victim.child.exitCode === null && victim.child.signalCode === null;
    victim.child.kill("SIGKILL");
    await victim.done;
    point.requestsAtKill = (await emulator.requestLog()).length;
    const maxReruns = options.maxReruns ?? 5;
    for (let attempt = 1; attempt <= maxReruns; attempt++) {
      const rerun = await runCli(args, { env, driver: options.driver, cwd: dir, timeoutMs: 300_000 });
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
    options.log(`  kill ${point.label} (at ${point.requestsAtKill}): ${point.killed ? "" : "finished first; "}reruns ${point.reruns}, ${point.converged ? "converged" : "NOT converged"}`);
    points.push(point);
  }
  const random = mulberry32(options.seed);
  for (let i = 0; i < options.randomKills; i++) {
    // Uniform over the run after its first request (start-up, about a second, excluded).
    const target = Math.round(random() * Math.max(1, options.realisticWallMs - 1500));
    const point = await killPoint(options, "random-time", target);
    options.log(`  kill ${point.label} (at ${point.requestsAtKill} requests): ${point.killed ? "" : "finished first; "}reruns ${point.reruns}, ${point.converged ? "converged" : "NOT converged"}`);
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
  const args = initArgs(emulator, { statePath });
  try {
    await emulator.setFaults(options.spec);
    const first = await runCli(args, { env, driver: options.driver, cwd: dir, timeoutMs: 600_000 });
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
      result.clearError = first.code === 1 && /[A-Z][A-Za-z]+Error|InternalServerError|ServiceUnavailable/.test(text) && /\/providers\//i.test(text) && /secure-aml init/.test(text);
      await emulator.setFaults("");
    }
    let last = first;
    const maxReruns = options.maxReruns ?? 3;
    while (last.code !== 0 && result.reruns < maxReruns) {
      result.reruns += 1;
      last = await runCli(args, { env, driver: options.driver, cwd: dir, timeoutMs: 600_000 });
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
    const holder = spawnCli(args, { env, driver: options.driver, cwd: dir });
    await waitForRequestCount(emulator, 3, holder.child, 5);
    const second = await runCli(args, { env, driver: options.driver, cwd: dir, timeoutMs: 120_000 });
    const firstStillRunning = holder.child.exitCode === null;
    holder.child.kill("SIGKILL");
    await holder.done;
    const recoveryExits: Array<number | null> = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const rerun = await runCli(args, { env, driver: options.driver, cwd: dir, timeoutMs: 600_000 });
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
      prefixes.map((prefix, i) => runCli(initArgs(emulator, { statePath: states[i], prefix }), { env, driver: options.driver, cwd: path.join(dir, prefix), timeoutMs: 600_000 })),
    );
    const dump = await emulator.resources();
    const inventory = inventoryOf(dump);
    const problems: string[] = [];
    const statesValid: boolean[] = [];
    const prefixesKept: boolean[] = [];
    const sameShape: boolean[] = [];
    const baselineShape = typeCounts(options.baseline.inventory.entries);
    for (const [i, prefix] of prefixes.entries()) {
      const check = await checkStateFile(states[i]);
      statesValid.push(check.allDone);
      problems.push(...check.problems.map((p) => `${prefix}: ${p}`));
      const state = JSON.parse(await fs.readFile(states[i], "utf8")) as { config?: { prefix?: unknown; resourceGroup?: unknown } };
      prefixesKept.push(state.config?.prefix === prefix);
      const group = String(state.config?.resourceGroup ?? `${prefix}-rg`).toLowerCase();
      const mine = inventory.entries.filter((entry) => entry.key.includes(`/resourcegroups/${group}`));
      const shape = typeCounts(mine);
      sameShape.push(shape === baselineShape);
      if (shape !== baselineShape) problems.push(`${prefix}: resource types differ from a clean run (${shape} vs ${baselineShape})`);
      if (runs[i].code !== 0) problems.push(`${prefix}: exit ${String(runs[i].code)} ${brief(runs[i])}`);
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
        results[index] = await badInputCase(emulator, options.driver, path.join(dir, `case-${index}`), cases[index]);
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

async function badInputCase(emulator: TestEmulator, driver: Driver, dir: string, badCase: BadInputCase): Promise<BadInputResult> {
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
    const flag = badCase.args![i];
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
  let run = await runCli(args, { env: envWith(VALID_PASSWORD, badCase.env ?? {}), driver, cwd: dir, timeoutMs: 60_000 });
  // Exit 0 with no output at all means the CLI module was empty: dist/ was being rebuilt by a
  // concurrent \`tsc\` (several people share the tree). Run the case again rather than report noise.
  if (run.code === 0 && run.stdout === "" && run.stderr === "") run = await runCli(args, { env: envWith(VALID_PASSWORD, badCase.env ?? {}), driver, cwd: dir, timeoutMs: 60_000 });
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

export async function secretsScenario(options: ScenarioOptions): Promise<SecretsResult> {
  const emulator = await startTestEmulator({ latency: "none" });
  const dir = await makeTempDir("secrets");
  const password = `Uq-${randomBytes(9).toString("base64url")}-7z!`;
  const env = envWith(password);
  // Default state path (.secure-aml/state.json under the working directory) so that the CLI creates the directory.
  const args = initArgs(emulator, { statePath: ".secure-aml/state.json" });
  const texts: Array<{ where: string; text: string }> = [];
  const runs: SecretsResult["runs"] = [];
  try {
    // A run that fails (the VM write refused), a resume that succeeds, and a converged rerun.
    await emulator.setFaults("500:rate=1,path=/virtualMachines/,method=PUT");
    const labels = ["failing run (VM write refused)", "resumed run", "converged rerun"];
    for (const [i, label] of labels.entries()) {
      if (i === 1) await emulator.setFaults("");
      const run = await runCli(args, { env, driver: options.driver, cwd: dir, timeoutMs: 600_000 });
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
    const stateMode = await fs.stat(statePath).then((s) => (s.mode & 0o777).toString(8)).catch(() => "missing");
    const dirMode = await fs.stat(path.join(dir, ".secure-aml")).then((s) => (s.mode & 0o777).toString(8)).catch(() => "missing");
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

export async function safetyScenario(options: ScenarioOptions): Promise<SafetyResult> {
  const emulator = await startTestEmulator({ latency: "none" });
  const dir = await makeTempDir("safety");
  try {
    const group = "foreign-untagged-rg";
    const groupPath = `/subscriptions/${emulator.subscriptionId}/resourcegroups/${group}?api-version=2025-04-01`;
    const put = await emulator.raw("PUT", groupPath, { body: { location: "eastus" } });
    if (put.status >= 300) throw new Error(`could not create the foreign group: ${put.status}`);
    await emulator.clearRequestLog();
    const run = await runCli(
      ["destroy", "--resource-group", group, "--subscription", emulator.subscriptionId, "--endpoint", emulator.endpoint, "--ca-cert", emulator.caCertPath, "--yes", "--output", "json", "--no-color", "--state", path.join(dir, "none.json")],
      { env: cliEnv(), driver: "cli", cwd: dir, timeoutMs: 120_000 },
    );
    const text = `${run.stdout}\n${run.stderr}`;
    const available = !/not implemented/i.test(text);
    const still = await emulator.raw("GET", groupPath);
    const deletes = (await emulator.requestLog()).filter((entry) => entry.method === "DELETE").length;

    const { createStaticTestCredential } = await import("../src/azure/credential.js");
    const nonLoopback = ["https://management.azure.com", "https://10.0.0.1:8443", "https://127.0.0.1.nip.io", "https://[::2]:443", "https://localhost.evil.example", "https://0.0.0.0"];
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
    const cli = await runCli(["init", "--local", "--yes", "--endpoint", "https://management.azure.com", "--location", "eastus", "--output", "json", "--no-color", "--state", path.join(dir, "s.json")], {
      env: envWith(VALID_PASSWORD),
      driver: "cli",
      cwd: dir,
      timeoutMs: 60_000,
    });
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
