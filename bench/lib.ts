// Shared by the reliability script (bench/reliability.ts), the benchmark (bench/run.ts) and the CI
// subset (test/reliability/*.test.ts): the emulator as a subprocess, `secure-aml` as a subprocess,
// the emulator's request log and resource dump turned into figures.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startTestEmulator, type TestEmulator, type TestEmulatorOptions, type RequestLogEntry, type EmulatorResourcesDump } from "../test/helpers/emulator.js";

export { startTestEmulator, type TestEmulator, type TestEmulatorOptions, type RequestLogEntry, type EmulatorResourcesDump };

/** The repository root (this file runs from dist/bench/ or dist/test/...; both are two or three levels down). */
export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    if (path.basename(dir) === "dist") return path.dirname(dir);
    dir = path.dirname(dir);
  }
  return path.resolve(start, "../..");
}

/** The CLI the harnesses run, as a person does. */
const CLI_SCRIPT = path.join(REPO_ROOT, "bin", "secure-aml.js");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export interface SpawnedCli {
  child: ChildProcess;
  done: Promise<CliRun>;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill (SIGKILL) after this long; the run then reports signal SIGKILL. */
  timeoutMs?: number;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** A clean environment for the CLI: no SECURE_AML_* or AZURE_* from the caller, no colours, CI set. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith("SECURE_AML_") || name.startsWith("AZURE_") || name === "NODE_OPTIONS") continue;
    env[name] = value;
  }
  return { ...env, NO_COLOR: "1", CI: "1", ...extra };
}

export function spawnCli(args: string[], options: CliOptions = {}): SpawnedCli {
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI_SCRIPT, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? cliEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let timer: NodeJS.Timeout | undefined;
  if (options.timeoutMs !== undefined) timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, wallMs: performance.now() - started });
    });
  });
  return { child, done };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return spawnCli(args, options).done;
}

export interface InitArgsOptions {
  statePath: string;
  prefix?: string;
  concurrency?: number;
  /** More flags, e.g. ["--no-bastion"]. */
  extra?: string[];
}

/** The non-interactive `init` command line against an emulator. */
export function initArgs(emulator: Pick<TestEmulator, "endpoint" | "caCertPath" | "subscriptionId">, options: InitArgsOptions): string[] {
  const args = [
    "init",
    "--yes",
    "--endpoint",
    emulator.endpoint,
    "--ca-cert",
    emulator.caCertPath,
    "--subscription",
    emulator.subscriptionId,
    "--location",
    "eastus",
    "--output",
    "json",
    "--no-color",
    "--state",
    options.statePath,
  ];
  if (options.prefix !== undefined) args.push("--prefix", options.prefix);
  if (options.concurrency !== undefined) args.push("--concurrency", String(options.concurrency));
  return [...args, ...(options.extra ?? [])];
}

/** The last line of stdout that parses as a JSON object (the `--output json` document). */
export function jsonOutput(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.trim().split("\n").reverse();
  for (const line of lines) {
    try {
      const value: unknown = JSON.parse(line);
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // not JSON
    }
  }
  try {
    const value: unknown = JSON.parse(stdout);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // not one document either
  }
  return undefined;
}

export async function makeTempDir(label: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `secure-aml-${label}-`));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Request log figures

export interface RequestCounts {
  total: number;
  reads: number;
  writes: number;
  polls: number;
  actions: number;
  /** Writes (PUT/PATCH/DELETE) and actions (POST) that answered 2xx. */
  successfulWrites: number;
  faults: number;
}

export function countRequests(log: readonly RequestLogEntry[]): RequestCounts {
  const counts: RequestCounts = { total: log.length, reads: 0, writes: 0, polls: 0, actions: 0, successfulWrites: 0, faults: 0 };
  for (const entry of log) {
    if (entry.class === "read") counts.reads += 1;
    else if (entry.class === "write") counts.writes += 1;
    else if (entry.class === "poll") counts.polls += 1;
    else counts.actions += 1;
    if ((entry.class === "write" || entry.class === "action") && entry.status >= 200 && entry.status < 300) counts.successfulWrites += 1;
    if (entry.fault) counts.faults += 1;
  }
  return counts;
}

/** POSTs that only read (checkNameAvailability, listKeys are never sent by init). */
export function isReadOnlyAction(entry: RequestLogEntry): boolean {
  return entry.method === "POST" && /\/checkNameAvailability$/i.test(entry.path);
}

// ---------------------------------------------------------------------------------------------
// Inventory

export interface InventoryEntry {
  /** Lower-cased ID with generated parts (a private endpoint's NIC GUID) replaced by a placeholder. */
  key: string;
  id: string;
  type: string;
}

export interface Inventory {
  entries: InventoryEntry[];
  keys: string[];
  /** Semantic duplicates: two private endpoints for one target and group, two role assignments for one principal/role/scope, two NICs for one owner. */
  duplicates: string[];
  /** Records still in a create/update/delete operation when dumped. */
  pending: string[];
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function normaliseId(id: string): string {
  // Some names hold a GUID Azure generates per creation: a private endpoint's NIC ("<pe>.nic.<guid>"), a
  // private-endpoint connection, the DNS records of a workspace (its workspaceId) or of Log Analytics
  // (its customerId), a role assignment (deterministic in secure-aml, but derived from the workspace's
  // principal id, which is new in every emulator; duplicates are caught by principal/role/scope instead).
  // The subscription is kept.
  const lower = id.toLowerCase();
  return lower.replace(GUID, (match: string, offset: number) => (/\/subscriptions\/$/.test(lower.slice(0, offset)) ? match : "<guid>"));
}

function objectAt(value: unknown, ...keys: string[]): Record<string, unknown> | undefined {
  let current: unknown = value;
  for (const key of keys) {
    if (!current || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current && typeof current === "object" && !Array.isArray(current) ? (current as Record<string, unknown>) : undefined;
}

function arrayAt(value: unknown, ...keys: string[]): unknown[] {
  let current: unknown = value;
  for (const key of keys) {
    if (!current || typeof current !== "object") return [];
    current = (current as Record<string, unknown>)[key];
  }
  return Array.isArray(current) ? current : [];
}

function text(value: unknown): string {
  return typeof value === "string" ? value.toLowerCase() : "";
}

/** The emulator's dump as a comparable inventory (only the subscription's resources; no soft-deleted items). */
export function inventoryOf(dump: EmulatorResourcesDump): Inventory {
  const entries = dump.value.map((record) => ({ key: normaliseId(record.id), id: record.id, type: record.type.toLowerCase() })).sort((a, b) => a.key.localeCompare(b.key));
  const duplicates: string[] = [];
  const seen = new Map<string, string>();
  const note = (signature: string, id: string) => {
    const other = seen.get(signature);
    if (other !== undefined) duplicates.push(`${signature}: ${other} and ${id}`);
    else seen.set(signature, id);
  };
  for (const record of dump.value) {
    const type = record.type.toLowerCase();
    const properties = objectAt(record.body, "properties") ?? {};
    if (type === "microsoft.network/privateendpoints") {
      const connections = [...arrayAt(properties, "privateLinkServiceConnections"), ...arrayAt(properties, "manualPrivateLinkServiceConnections")];
      for (const connection of connections) {
        const target = text(objectAt(connection, "properties")?.privateLinkServiceId);
        const groups = arrayAt(objectAt(connection, "properties"), "groupIds").map(text).sort().join(",");
        note(`private endpoint for ${target} [${groups}]`, record.id);
      }
    } else if (type === "microsoft.authorization/roleassignments") {
      note(`role assignment ${text(properties.principalId)} ${text(properties.roleDefinitionId).replace(/^.*\//, "")} at ${text(properties.scope)}`, record.id);
    } else if (type === "microsoft.network/networkinterfaces") {
      const owner = text(objectAt(properties, "privateEndpoint")?.id) || text(objectAt(properties, "virtualMachine")?.id);
      note(owner ? `network interface of ${owner}` : `network interface ${normaliseId(record.id).replace(/^.*\//, "")}`, record.id);
    } else if (type === "microsoft.network/privatednszones/virtualnetworklinks") {
      note(`dns link of ${normaliseId(record.id).replace(/\/virtualnetworklinks\/.*$/, "")} to ${text(objectAt(properties, "virtualNetwork")?.id)}`, record.id);
    }
  }
  const pending = dump.value.filter((record) => record.pendingOperation !== undefined).map((record) => `${record.id} (${record.pendingOperation?.kind})`);
  return { entries, keys: entries.map((entry) => entry.key), duplicates, pending };
}

export interface InventoryComparison {
  equal: boolean;
  extra: string[];
  missing: string[];
}

export function compareInventories(expected: Inventory, actual: Inventory): InventoryComparison {
  // Multisets: a normalised key can occur twice (two NICs for one private endpoint).
  const counts = new Map<string, number>();
  for (const key of expected.keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  const extra: string[] = [];
  for (const entry of actual.entries) {
    const left = counts.get(entry.key) ?? 0;
    if (left > 0) counts.set(entry.key, left - 1);
    else extra.push(entry.id);
  }
  const missing: string[] = [];
  for (const [key, left] of counts) for (let i = 0; i < left; i++) missing.push(key);
  return { equal: extra.length === 0 && missing.length === 0, extra, missing };
}

// ---------------------------------------------------------------------------------------------
// State file

export interface StateCheck {
  valid: boolean;
  allDone: boolean;
  problems: string[];
  steps: number;
}

/** The state file parses as JSON, has schema 1, and every step recorded is `done`. */
export async function checkStateFile(statePath: string, expectedSteps?: readonly string[]): Promise<StateCheck> {
  const problems: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(statePath, "utf8"));
  } catch (error) {
    return { valid: false, allDone: false, problems: [`unreadable: ${(error as Error).message}`], steps: 0 };
  }
  const steps = objectAt(parsed, "steps") ?? {};
  if ((parsed as { schemaVersion?: unknown }).schemaVersion !== 1) problems.push("schemaVersion is not 1");
  const notDone = Object.entries(steps)
    .filter(([, record]) => (record as { status?: unknown })?.status !== "done")
    .map(([id, record]) => `${id}=${String((record as { status?: unknown })?.status)}`);
  if (notDone.length > 0) problems.push(`steps not done: ${notDone.join(", ")}`);
  for (const id of expectedSteps ?? []) if (!(id in steps)) problems.push(`step ${id} missing`);
  return { valid: problems.filter((p) => p.startsWith("schema")).length === 0, allDone: notDone.length === 0 && problems.length === 0, problems, steps: Object.keys(steps).length };
}

// ---------------------------------------------------------------------------------------------
// Statistics and machine

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function machineDescription(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model ?? "unknown CPU";
  return `${cpus.length} × ${model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} (${os.arch()}), Node ${process.version}`;
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** Polls the emulator's request log until it holds at least `count` ARM requests (or the child exits). */
export async function waitForRequestCount(emulator: TestEmulator, count: number, child: ChildProcess, pollMs = 2): Promise<number> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) return -1;
    const log = await emulator.requestLog();
    if (log.length >= count) return log.length;
    await sleep(pollMs);
  }
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Snapshot: long runs execute from a private copy of dist/ and bin/, so that a concurrent `tsc`
// (several people share the working tree) cannot swap or delete modules under a running harness.

const SNAPSHOT_ENV = "SECURE_AML_BENCH_SNAPSHOT";

/**
 * Copies dist/, bin/ and package.json to a temporary directory (node_modules linked), re-runs
 * `dist/bench/<script>` from there with the same arguments plus `--out` pointing into this repository,
 * and resolves with its exit code. Resolves undefined when already running from a snapshot.
 */
export async function runFromSnapshot(script: string, argv: string[], defaultOut: string): Promise<number | undefined> {
  if (process.env[SNAPSHOT_ENV] === "1" || argv.includes("--no-snapshot")) return undefined;
  const dir = await makeTempDir("snapshot");
  try {
    await fs.cp(path.join(REPO_ROOT, "dist"), path.join(dir, "dist"), { recursive: true });
    await fs.cp(path.join(REPO_ROOT, "bin"), path.join(dir, "bin"), { recursive: true });
    await fs.copyFile(path.join(REPO_ROOT, "package.json"), path.join(dir, "package.json"));
    await fs.symlink(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const args = [...argv];
    const outAt = args.indexOf("--out");
    if (outAt >= 0 && args[outAt + 1] !== undefined) args[outAt + 1] = path.resolve(REPO_ROOT, args[outAt + 1]!);
    else args.push("--out", path.resolve(REPO_ROOT, defaultOut));
    const child = spawn(process.execPath, [path.join(dir, "dist", "bench", script), ...args], {
      stdio: "inherit",
      env: { ...process.env, [SNAPSHOT_ENV]: "1", SECURE_AML_BENCH_COMMAND: argv.join(" ") },
    });
    return await new Promise<number>((resolve) => child.once("close", (code) => resolve(code ?? 1)));
  } finally {
    await removeDir(dir);
  }
}

/** The argv the person typed (before the snapshot re-run added --out). */
export function typedArgs(): string {
  const argv = process.env.SECURE_AML_BENCH_COMMAND ?? process.argv.slice(2).join(" ");
  return argv.trim();
}
