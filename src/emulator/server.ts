// The ARM emulator's HTTPS server: the composition of the core (src/emulator/core/) and the provider
// registry, and `startEmulator`, which opens the data directory, the TLS material and the port.
// What each part of the core does: core/http.ts (one request, start to end), core/dispatch.ts (ARM's order
// of checks and routes), core/operations.ts (LRO), core/findings.ts (spec validation). Behaviour spec:
// docs/emulator.md.
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import fs from "node:fs";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { EmulatorProvider, JsonObject, ResourceRecord, ResourceTypeHandler, SpecValidator } from "./types.js";
import { ensureTlsMaterial } from "./core/cert.js";
import { EMULATOR_SUBSCRIPTION_ID } from "./core/dispatch.js";
import { loadValidator, SpecFindings } from "./core/findings.js";
import { handleRequest, RequestLog } from "./core/http.js";
import { Operations } from "./core/operations.js";
import { Records } from "./core/records.js";
import { ProviderRegistry } from "./core/registry.js";
import type { EmulatorCore } from "./core/request.js";
import { World } from "./core/store.js";
import { FaultInjector, parseFaultSpec } from "./faults.js";
import type { LatencyProfile, LatencySettings } from "./latency.js";
import { allProviders } from "./providers/index.js";
import { subscriptionWorldProviders } from "./providers/subscription.js";
import { SubscriptionWorld, type WorldSettings } from "./world.js";

// The core's public pieces, for the CLI, tests and bench (src/emulator/index.ts re-exports the CLI's part).
export { EMULATOR_SUBSCRIPTION_ID } from "./core/dispatch.js";
export { isNameRuleFinding, LENIENT_NAME_RULE, type SpecFindingEntry } from "./core/findings.js";
export type { RequestLogEntry } from "./core/request.js";
export { MAX_REQUEST_BODY_BYTES, wireResponse } from "./core/wire.js";

export interface EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Where the world, the CA and the server certificate live (created if absent). */
  dataDir: string;
  latency?: LatencyProfile;
  /** Multiplier for realistic durations (default 1). */
  timeScale?: number;
  /** Fault SPEC (docs/emulator.md); throws FaultSpecError when malformed. */
  faults?: string;
  /** Validate request and response bodies against Microsoft's specs (needs src/emulator/spec-validation.ts and the specs folder). */
  validateSpecs?: boolean;
  /** Providers registered besides the registry's (the tests' synthetic Microsoft.EmulatorTest, test/helpers/test-provider.ts). */
  extraProviders?: EmulatorProvider[];
  /** Replaces the provider registry (default: providers/index.ts). */
  providers?: EmulatorProvider[];
  /** Diagnostics (spec findings, validation status); default: stderr. */
  log?: (line: string) => void;
  /**
   * The subscription's world (registered providers, quotas, sizes, permissions, taken names, contention;
   * src/emulator/world.ts). Absent: what the data directory holds from an earlier start, else the kind default.
   */
  world?: WorldSettings;
}

export interface RunningEmulator {
  /** `https://127.0.0.1:PORT` (no trailing slash). */
  endpoint: string;
  port: number;
  dataDir: string;
  caCertPath: string;
  /** PEM text of the CA that signed the server certificate. */
  caCert: string;
  subscriptionId: string;
  specValidation: { enabled: boolean; note: string };
  stop(): Promise<void>;
}

/** One emulated ARM: the world, the providers and the core's services, answering requests through `handle`. */
export class ArmEmulator {
  readonly faults = new FaultInjector();
  private readonly core: EmulatorCore;
  private endpoint = "";

  constructor(
    readonly world: World,
    latency: LatencySettings,
    providers: EmulatorProvider[],
    validator: SpecValidator | undefined,
    log: (line: string) => void,
    readonly subscriptionWorld: SubscriptionWorld = SubscriptionWorld.open(undefined, undefined),
  ) {
    // The world's read APIs come as route-only providers after the resource providers; a namespace's
    // catalog entry (providers list) stays its first provider's.
    const registry = new ProviderRegistry([...providers, ...subscriptionWorldProviders(subscriptionWorld)]);
    const endpoint = () => this.endpoint;
    const records = new Records(world, registry);
    const operations = new Operations({ world, records, registry, faults: this.faults, latency, endpoint, log });
    const findings = new SpecFindings(validator, log, endpoint);
    this.core = { world, subscriptionWorld, registry, records, operations, findings, faults: this.faults, requestLog: new RequestLog(), latency, endpoint, log };
  }

  setEndpoint(endpoint: string): void {
    this.endpoint = endpoint;
  }

  handlerFor(type: string): ResourceTypeHandler | undefined {
    return this.core.registry.handlerFor(type);
  }

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return handleRequest(this.core, req, res);
  }

  /** The body a client sees at `apiVersion` (undefined: the record's own write version). */
  viewOf(record: ResourceRecord, apiVersion: string | undefined): JsonObject {
    return this.core.records.viewOf(record, apiVersion);
  }

  /** Completes every operation whose end time has passed, in end-time order. */
  advanceOperations(now = Date.now()): void {
    this.core.operations.advance(now);
  }
}

/** Starts the emulator in this process. Rejects with FaultSpecError for a bad fault spec. */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const faultSpec = parseFaultSpec(options.faults ?? "");
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new Error(`timeScale must be a positive number, got ${String(options.timeScale)}`);
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const tls = await ensureTlsMaterial(dataDir);
  const world = World.load(dataDir);
  const subscriptionWorld = SubscriptionWorld.open(dataDir, options.world);
  for (const [kind, name] of subscriptionWorld.takenNames()) if (!world.isTakenElsewhere(kind, name)) world.seedTakenName(kind, name);
  world.saveIfDirty();
  const providers = [...(options.providers ?? allProviders)];
  providers.push(...(options.extraProviders ?? []));
  let validator: SpecValidator | undefined;
  let note = "spec validation off (not requested)";
  if (options.validateSpecs) {
    const result = await loadValidator(log);
    validator = result.validator;
    note = result.note;
  }
  const emulator = new ArmEmulator(world, { profile: options.latency ?? "none", timeScale }, providers, validator, log, subscriptionWorld);
  emulator.faults.set(faultSpec);
  const server = https.createServer({ key: tls.serverKey, cert: tls.serverCert, keepAliveTimeout: 5_000 }, (req, res) => {
    emulator.handle(req, res).catch((error: unknown) => {
      log(`emulator: unhandled error: ${(error as Error)?.stack ?? String(error)}`);
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ error: { code: "InternalServerError", message: "The emulator failed while handling the request." } }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `https://127.0.0.1:${port}`;
  emulator.setEndpoint(endpoint);
  emulator.advanceOperations();
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    dataDir,
    caCertPath: tls.caCertPath,
    caCert: tls.caCert,
    subscriptionId: EMULATOR_SUBSCRIPTION_ID,
    specValidation: { enabled: validator !== undefined, note },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => world.saveIfDirty());
      return stopped;
    },
  };
}
