// Test helper: runs the ARM emulator in a child process (random port, temporary data directory) so that
// each test file is isolated and the validator's timers never keep a test process alive. Always call
// `stop()` (e.g. in `after`): it ends the child and removes the data directory it created.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import https from "node:https";
import { fileURLToPath } from "node:url";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import type { RequestLogEntry, SpecFindingEntry } from "../../src/emulator/server.js";
import type { ResourceRecord } from "../../src/emulator/types.js";

export type { RequestLogEntry, SpecFindingEntry };

export interface TestEmulatorOptions {
  latency?: "none" | "realistic";
  timeScale?: number;
  faults?: string;
  validateSpecs?: boolean;
  /** Reuse a data directory (e.g. to restart on the same world); the caller owns and removes it. */
  dataDir?: string;
  /** Registers the synthetic Microsoft.EmulatorTest provider (core tests). */
  testProvider?: boolean;
  /**
   * With `validateSpecs`, `stop()` throws when the emulator recorded any `error` finding on its own
   * responses (issue 3: a full test run reports zero spec findings on them). A test that provokes such
   * findings on purpose opts out here, saying why.
   */
  allowResponseFindings?: string;
  /**
   * The subscription's world (docs/emulator.md, "The world file"): an object (written to a file in the data
   * directory and passed as --world FILE) or "fresh" for --fresh-subscription.
   */
  world?: Record<string, unknown> | "fresh";
}

export interface EmulatorResourcesDump {
  value: Array<ResourceRecord>;
  softDeleted: Record<string, unknown[]>;
  takenNames: Record<string, string[]>;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface TestEmulator {
  endpoint: string;
  /** PEM text of the emulator's CA. */
  caCert: string;
  caCertPath: string;
  dataDir: string;
  subscriptionId: string;
  /** A static TokenCredential returning a fixed test token (never a real credential). */
  credential: TokenCredential;
  /** Options for any @azure/arm-* client: `new XClient(credential, subscriptionId, clientOptions)`. */
  clientOptions: { endpoint: string; tlsOptions: { ca: string } };
  requestLog(): Promise<RequestLogEntry[]>;
  clearRequestLog(): Promise<void>;
  resources(): Promise<EmulatorResourcesDump>;
  specFindings(): Promise<SpecFindingEntry[]>;
  setFaults(spec: string): Promise<void>;
  seedTakenName(kind: string, name: string): Promise<void>;
  /** A raw HTTPS request (for cases an SDK cannot express, e.g. no token or no api-version). */
  raw(method: string, pathAndQuery: string, options?: { body?: unknown; headers?: Record<string, string>; token?: string | null }): Promise<RawResponse>;
  /** What the child wrote on stderr so far (diagnostics for failing tests). */
  stderr(): string;
  /**
   * Ends the child and removes the data directory it created. With spec validation on (and no
   * `allowResponseFindings`), it then rejects listing every `error` finding on the emulator's responses.
   */
  stop(): Promise<void>;
}

/** Response findings of severity "error" (the emulator's own answers, including leniency findings). */
export function responseErrors(entries: readonly SpecFindingEntry[]): SpecFindingEntry[] {
  return entries
    .filter((entry) => entry.direction === "response")
    .map((entry) => ({ ...entry, findings: entry.findings.filter((finding) => finding.severity === "error") }))
    .filter((entry) => entry.findings.length > 0);
}

export function describeFindings(entries: readonly SpecFindingEntry[]): string {
  return entries
    .flatMap((entry) =>
      entry.findings.map(
        (finding) =>
          `  ${entry.method} ${entry.path} api-version=${entry.apiVersion ?? "?"} status=${entry.status ?? "?"}: ${finding.code} at ${finding.path} (${finding.operationId ?? "?"} @ ${finding.specApiVersion ?? "?"}): ${finding.message}`,
      ),
    )
    .join("\n");
}

export const TEST_TOKEN = "emulator-test-token";

export function staticTestCredential(): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token: TEST_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/emulator/entry.js");
/** The same entry with the synthetic Microsoft.EmulatorTest provider (test-only, see emulator-entry.ts). */
const TEST_PROVIDER_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "emulator-entry.js");
const START_TIMEOUT_MS = 60_000;

function rawRequest(endpoint: string, ca: string, method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const url = new URL(pathAndQuery, endpoint);
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method,
        ca,
        agent: false,
        headers: { ...(payload !== undefined ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown;
          if (text.length > 0) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) if (typeof value === "string") responseHeaders[name] = value;
          resolve({ status: response.statusCode ?? 0, headers: responseHeaders, body: parsed });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

export async function startTestEmulator(opts: TestEmulatorOptions = {}): Promise<TestEmulator> {
  try {
    await fs.access(ENTRY);
  } catch {
    // Seen as a suite "cancelled" after a few hundred ms when another `npm test` / `npm run build` had just
    // removed dist/ (its `clean` step) while this run was going: say so instead of a bare spawn failure.
    throw new Error(`the compiled emulator entry ${ENTRY} is missing: was dist/ removed or rebuilt by a concurrent \`npm run build\` or \`npm test\`?`);
  }
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-emulator-")));
  const args = [opts.testProvider ? TEST_PROVIDER_ENTRY : ENTRY, "--port", "0", "--data", dataDir, "--output", "json", "--exit-on-stdin-end"];
  if (opts.latency) args.push("--latency", opts.latency);
  if (opts.timeScale !== undefined) args.push("--time-scale", String(opts.timeScale));
  if (opts.faults !== undefined) args.push("--faults", opts.faults);
  if (opts.validateSpecs) args.push("--validate-specs");
  if (opts.world === "fresh") args.push("--fresh-subscription");
  else if (opts.world !== undefined) {
    const worldFile = path.join(dataDir, "test-world.json");
    await fs.writeFile(worldFile, JSON.stringify(opts.world));
    args.push("--world", worldFile);
  }
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  // The child must never keep a test process alive (e.g. when a test forgot stop(), or an `after` hook threw
  // before reaching it): unreferenced, the test process can exit, which closes the child's stdin, and the
  // child (--exit-on-stdin-end) stops.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  let stderrText = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderrText += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (ownsDataDir) await fs.rm(dataDir, { recursive: true, force: true });
  };
  let started: { endpoint: string; caCert: string; subscriptionId: string; specValidation?: boolean };
  try {
    started = await new Promise((resolve, reject) => {
      let stdoutText = "";
      const timer = setTimeout(() => reject(new Error(`emulator did not start within ${START_TIMEOUT_MS} ms; stderr:\n${stderrText}`)), START_TIMEOUT_MS);
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        stdoutText += chunk;
        const newline = stdoutText.indexOf("\n");
        if (newline === -1) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(stdoutText.slice(0, newline)) as { endpoint: string; caCert: string; subscriptionId: string; specValidation?: boolean });
        } catch (error) {
          reject(new Error(`emulator printed an unexpected line: ${stdoutText.slice(0, newline)} (${(error as Error).message})`));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`emulator exited with code ${String(code)} before listening; stderr:\n${stderrText}`));
      });
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
  const caCertPath = started.caCert;
  const caCert = await fs.readFile(caCertPath, "utf8");
  const endpoint = started.endpoint;
  const introspect = async (method: string, route: string, body?: unknown): Promise<RawResponse> => {
    const response = await rawRequest(endpoint, caCert, method, `/_emulator/${route}`, body);
    if (response.status >= 400) throw new Error(`${method} /_emulator/${route} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response;
  };
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    caCert,
    caCertPath,
    dataDir,
    subscriptionId: started.subscriptionId,
    credential: staticTestCredential(),
    clientOptions: { endpoint, tlsOptions: { ca: caCert } },
    async requestLog() {
      return ((await introspect("GET", "requests")).body as { value: RequestLogEntry[] }).value;
    },
    async clearRequestLog() {
      await introspect("DELETE", "requests");
    },
    async resources() {
      return (await introspect("GET", "resources")).body as EmulatorResourcesDump;
    },
    async specFindings() {
      return ((await introspect("GET", "spec-findings")).body as { value: SpecFindingEntry[] }).value;
    },
    async setFaults(spec: string) {
      await introspect("POST", "faults", { spec });
    },
    async seedTakenName(kind: string, name: string) {
      await introspect("POST", "taken-names", { kind, name });
    },
    async raw(method, pathAndQuery, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TEST_TOKEN}`;
      return rawRequest(endpoint, caCert, method, pathAndQuery, options.body, headers);
    },
    stderr: () => stderrText,
    stop() {
      stopping ??= (async () => {
        let findings: SpecFindingEntry[] = [];
        let findingsProblem: string | undefined;
        const mustCheck = opts.validateSpecs === true && opts.allowResponseFindings === undefined && started.specValidation === true;
        if (mustCheck && child.exitCode === null && child.signalCode === null) {
          try {
            findings = responseErrors(((await introspect("GET", "spec-findings")).body as { value: SpecFindingEntry[] }).value);
          } catch (error) {
            findingsProblem = (error as Error).message;
          }
        }
        await cleanup();
        if (findingsProblem !== undefined) throw new Error(`could not read the emulator's spec findings before stopping it: ${findingsProblem}`);
        if (findings.length > 0) {
          throw new Error(
            `the emulator answered with ${findings.reduce((count, entry) => count + entry.findings.length, 0)} spec error(s) on its own responses ` +
              `(fix the provider, or pass allowResponseFindings: "why" to startTestEmulator):\n${describeFindings(findings)}`,
          );
        }
      })();
      return stopping;
    },
  };
}
