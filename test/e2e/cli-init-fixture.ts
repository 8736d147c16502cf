// Shared by the CLI end-to-end tests (init, plan): runs the real CLI (`node bin/secure-aml.js`) as a
// subprocess with a clean environment, and the arguments that point it at a test emulator.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { declaredResources, type DeclaredResource } from "../helpers/declared.js";
import { createAzureContext } from "../../src/azure/clients.js";
import { createStaticTestCredential } from "../../src/azure/credential.js";
import type { DeploymentConfig } from "../../src/config/types.js";

/** dist/test/e2e → the repository root (bin/secure-aml.js). */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../bin/secure-aml.js");
export const PASSWORD = "Correct-Horse-Battery-9";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Request methods that change the emulator's world. */
export const WRITE_METHODS: ReadonlySet<string> = new Set(["PUT", "PATCH", "DELETE"]);

/**
 * One emulator for the whole test file: started before its first test, stopped after its last.
 * Call the returned function inside a test to get it.
 */
export function emulatorForFile(options?: Parameters<typeof startTestEmulator>[0]): () => TestEmulator {
  let emulator: TestEmulator | undefined;
  before(async () => {
    emulator = await startTestEmulator(options);
  });
  after(async () => {
    await emulator?.stop();
  });
  return () => {
    if (!emulator) throw new Error("the test emulator is not running (used outside a test?)");
    return emulator;
  };
}

/** The environment of a scripted run: no SECURE_AML_* or Azure variables from the outside, no colour, not CI. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("SECURE_AML_") || k.startsWith("AZURE_") || k === "CI" || k === "NO_COLOR" || k === "FORCE_COLOR") continue;
    env[k] = v;
  }
  return { ...env, SECURE_AML_JUMPBOX_PASSWORD: PASSWORD, ...extra };
}

export function startCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ["pipe", "pipe", "pipe"] });
  // An open pipe that never sends anything: a run with --yes must not wait on it.
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const done = new Promise<CliResult>((resolve) => {
    child.once("close", (code, signal) => {
      child.stdin?.destroy();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export async function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const running = startCli(args, opts);
  const timer = setTimeout(() => running.child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
  try {
    return await running.done;
  } finally {
    clearTimeout(timer);
  }
}

/** Flags that aim a run at the emulator, for a deployment named by `prefix` (its own resource group). */
export function emulatorArgs(emulator: TestEmulator, prefix: string, statePath: string): string[] {
  return [
    "--endpoint",
    emulator.endpoint,
    "--ca-cert",
    emulator.caCertPath,
    "--subscription",
    emulator.subscriptionId,
    "--location",
    "eastus",
    "--prefix",
    prefix,
    "--state",
    statePath,
  ];
}

export async function tempDir(t: { after(fn: () => Promise<void> | void): void }, label = "cli"): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `secure-aml-${label}-`));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Parses stdout as exactly one JSON document (JSON.parse fails on a second one or on stray text). */
export function oneJsonDocument(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

export const ESCAPE = /\u001b/;

export { waitFor } from "../helpers/wait.js";

/** Steps recorded in a state file by status. */
export async function stateSteps(statePath: string): Promise<Record<string, { status: string }>> {
  try {
    const data = JSON.parse(await fs.readFile(statePath, "utf8")) as { steps?: Record<string, { status: string }> };
    return data.steps ?? {};
  } catch {
    return {};
  }
}

export type ResultDoc = {
  ok: boolean;
  exitCode: number;
  command: string;
  resources: Array<{ id: string; kind: string; name: string; action: string }>;
  counts: { reads: number; writes: number; polls: number };
  errors: Array<{ code: string; message: string; armCode?: string; next?: string }>;
  planned?: Array<{ id: string; kind: string; name: string; action: string }>;
  estimate?: { criticalPathSeconds: number; sequentialSeconds: number };
  details?: Record<string, unknown>;
};

/** Resources in the emulator's world under one resource group, by lower-cased type. */
export async function resourcesIn(emulator: TestEmulator, resourceGroup: string): Promise<Array<{ id: string; type: string }>> {
  const dump = await emulator.resources();
  const marker = `/resourcegroups/${resourceGroup.toLowerCase()}/`;
  return dump.value
    .map((r) => ({ id: String((r as { id: unknown }).id), type: String((r as { type?: unknown }).type ?? "").toLowerCase() }))
    .filter((r) => r.id.toLowerCase().includes(marker));
}

/**
 * What the steps of the deployment a CLI run recorded in `statePath` declare: its configuration and
 * each step's outputs from the state file, through stepsFor(config) and the steps' resources().
 */
export async function declaredByState(emulator: TestEmulator, statePath: string): Promise<DeclaredResource[]> {
  const state = JSON.parse(await fs.readFile(statePath, "utf8")) as { config: DeploymentConfig; steps: Record<string, { outputs?: Record<string, string> }> };
  const { config } = state;
  const azure = createAzureContext({
    subscriptionId: config.subscriptionId,
    endpoint: emulator.endpoint,
    caCertPem: emulator.caCert,
    credential: createStaticTestCredential(emulator.endpoint),
    cloud: config.cloud,
  });
  return declaredResources({ config, secrets: {}, azure }, (id) => state.steps[id]?.outputs ?? {});
}
