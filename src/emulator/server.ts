// The ARM emulator's HTTPS server: authentication, api-version checks, routing by resource ID,
// long-running operations, faults, spec validation and the /_emulator/ introspection routes.
// Behaviour spec: docs/emulator.md.
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { AZURE_REGIONS } from "../config/regions.js";
import {
  ArmError,
  type ActionRequest,
  type EmulatorProvider,
  type HandlerContext,
  type Json,
  type JsonObject,
  type ProviderRoute,
  type ResourceRecord,
  type ResourceTypeHandler,
  type SpecFinding,
  type SpecValidator,
} from "./types.js";
import { ensureTlsMaterial } from "./cert.js";
import { FaultInjector, parseFaultSpec, type FaultSpec, type InjectedFault, type RequestClass } from "./faults.js";
import { operationDurationMs, retryAfterSeconds, RESOURCE_GROUP_RETRY_AFTER_SECONDS, type LatencyProfile, type LatencySettings } from "./latency.js";
import {
  buildResourceId,
  fullType,
  idKey,
  isGuid,
  parentIdOf,
  parseResourcePath,
  resourceGroupIdOf,
  resourceGroupOfId,
  sameText,
  subscriptionIdOf,
  subscriptionOfId,
  type ResourcePath,
} from "./routing.js";
import { World, type OperationRecord } from "./store.js";
import { allProviders } from "./providers/index.js";
import { locationsBody, RESOURCE_GROUP_TYPE, resourceGroupHandler, RESOURCES_API_VERSIONS, subscriptionBody, SUBSCRIPTIONS_API_VERSIONS } from "./providers/resources.js";
import { PROVIDER_REGISTRATION_SECONDS, SubscriptionWorld, vmSizeInfo, type WorldSettings } from "./world.js";
import { PERMISSIONS_API_VERSIONS, providerBody, subscriptionWorldProviders, vmVcpus } from "./providers/subscription.js";
import { seedPrincipal } from "./providers/principals.js";

/** The subscription the emulator lists by default. Any GUID-form subscription ID is accepted and exists. */
export const EMULATOR_SUBSCRIPTION_ID = "00000000-0000-4000-8000-0000000000e1";

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

export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  apiVersion?: string;
  /** HTTP status sent; 0 when the connection was dropped by a fault. */
  status: number;
  class: RequestClass;
  /** ARM error code of an error answer. */
  errorCode?: string;
  /** Fault injected on this request (429, 500, 503, drop) or on the operation it started (fail). */
  fault?: string;
}

export interface SpecFindingEntry {
  time: string;
  direction: "request" | "response";
  method: string;
  path: string;
  apiVersion?: string;
  status?: number;
  findings: SpecFinding[];
}

interface Reply {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
}

interface RequestState {
  method: string;
  url: URL;
  segments: string[];
  apiVersion?: string;
  body: JsonObject | undefined;
  rawBody: string;
  headers: Record<string, string>;
  requestClass: RequestClass;
  logEntry: RequestLogEntry;
  /** Set when validation found request-body errors already answered. */
  skipResponseValidation?: boolean;
  /**
   * Spec errors on the request's name rules: path parameters (name patterns, lengths) and the `name` of a
   * checkNameAvailability body. They do not block: ARM leaves name rules to each resource provider, which
   * answers with its own code (AccountNameInvalid, VaultNameNotValid, ...; or `nameAvailable: false`). If
   * the provider accepts the request anyway, the emulator is more lenient than Azure: recorded as a
   * response finding (LENIENT_NAME_RULE), which fails the tests.
   */
  nameRuleErrors?: SpecFinding[];
}

/** Finding code recorded when a provider accepted a request whose names break the spec's rules. */
export const LENIENT_NAME_RULE = "EMULATOR_LENIENT_NAME_RULE";

/** A finding on a name rule that the resource provider, not ARM, enforces (see RequestState.nameRuleErrors). */
export function isNameRuleFinding(finding: SpecFinding): boolean {
  if (finding.path.startsWith(".path.")) return true;
  return finding.path === "$.name" && /_CheckNameAvailability$/i.test(finding.operationId ?? "");
}

/** Whether the provider's answer accepted the request (a 2xx, and for checkNameAvailability: the name is available). */
function acceptedByProvider(reply: Reply): boolean {
  if (reply.status >= 400) return false;
  return !(isObject(reply.body) && reply.body.nameAvailable === false);
}

const MAX_LOG_ENTRIES = 20_000;
const OPERATION_STATUS_SEGMENT = "operationStatuses";
const OPERATION_RESULTS_SEGMENT = "operationResults";

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function armErrorBody(error: ArmError): JsonObject {
  const inner: JsonObject = { code: error.code, message: error.message };
  if (error.details && error.details.length > 0) {
    inner.details = error.details.map((detail) => {
      const entry: JsonObject = { code: detail.code, message: detail.message };
      if (detail.target !== undefined) entry.target = detail.target;
      return entry;
    });
  }
  return { error: inner };
}

function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

function classify(method: string, segments: string[]): RequestClass {
  const isPoll = segments.some((segment) => sameText(segment, OPERATION_STATUS_SEGMENT) || sameText(segment, OPERATION_RESULTS_SEGMENT)) && method === "GET";
  if (isPoll) return "poll";
  if (method === "GET" || method === "HEAD") return "read";
  if (method === "POST") return "action";
  return "write";
}

function typeNameForMessage(record: { id: string }): string {
  const segments = record.id.split("/").filter(Boolean);
  const providersAt = segments.map((segment) => segment.toLowerCase()).lastIndexOf("providers");
  return providersAt >= 0 ? segments.slice(providersAt + 1).join("/") : record.id;
}

function resourceNotFound(id: string): ArmError {
  const resourceGroup = resourceGroupOfId(id);
  return new ArmError(
    404,
    "ResourceNotFound",
    `The Resource '${typeNameForMessage({ id })}' under resource group '${resourceGroup ?? ""}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

function resourceGroupNotFound(name: string): ArmError {
  return new ArmError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
}

function apiVersionsList(versions: readonly string[]): string {
  return [...versions].sort().reverse().join(", ");
}

function sortedLocations(): string {
  return AZURE_REGIONS.map((region) => region.displayName).join(",");
}

export class ArmEmulator {
  private readonly handlers = new Map<string, ResourceTypeHandler>();
  private readonly namespaces = new Map<string, EmulatorProvider>();
  private readonly routes: Array<{ provider: EmulatorProvider; route: ProviderRoute; parts: string[]; literals: number }> = [];
  private readonly requestLog: RequestLogEntry[] = [];
  private readonly specFindings: SpecFindingEntry[] = [];
  readonly faults = new FaultInjector();
  private endpoint = "";

  constructor(
    readonly world: World,
    private readonly latency: LatencySettings,
    providers: EmulatorProvider[],
    private readonly validator: SpecValidator | undefined,
    private readonly log: (line: string) => void,
    readonly subscriptionWorld: SubscriptionWorld = SubscriptionWorld.open(undefined, undefined),
  ) {
    // The world's read APIs come as route-only providers after the resource providers; a namespace's
    // catalog entry (providers list) stays its first provider's.
    for (const provider of [...providers, ...subscriptionWorldProviders(subscriptionWorld)]) {
      if (!this.namespaces.has(provider.namespace.toLowerCase())) this.namespaces.set(provider.namespace.toLowerCase(), provider);
      for (const handler of provider.types) this.handlers.set(handler.type.toLowerCase(), handler);
      for (const route of provider.routes ?? []) {
        const parts = route.path.split("/").filter(Boolean);
        this.routes.push({ provider, route, parts, literals: parts.filter((part) => !part.startsWith("{")).length });
      }
    }
    // Most specific routes first, so "{namespace}/register" never hides "Microsoft.Storage/checkNameAvailability".
    this.routes.sort((a, b) => b.literals - a.literals);
  }

  setEndpoint(endpoint: string): void {
    this.endpoint = endpoint;
  }

  handlerFor(type: string): ResourceTypeHandler | undefined {
    return this.handlers.get(type.toLowerCase());
  }

  // ---------------------------------------------------------------- HTTP entry

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    // Concatenated rather than resolved: the SDKs' by-ID operations send "//subscriptions/..." (their
    // template is "/{resourceId}"), which URL resolution would read as a host name. ARM collapses slashes.
    const url = new URL(`https://127.0.0.1${req.url ?? "/"}`);
    url.pathname = url.pathname.replace(/\/{2,}/g, "/");
    let segments: string[];
    try {
      segments = url.pathname
        .split("/")
        .filter(Boolean)
        .map((segment) => decodeURIComponent(segment));
    } catch {
      segments = url.pathname.split("/").filter(Boolean);
    }
    const { text: rawBody, tooLarge } = await readBody(req, MAX_REQUEST_BODY_BYTES);
    if (tooLarge) {
      const requestClass = classify(method, segments);
      const logEntry: RequestLogEntry = {
        time: new Date().toISOString(),
        method,
        path: url.pathname,
        apiVersion: url.searchParams.get("api-version") ?? undefined,
        status: 413,
        class: requestClass,
        errorCode: "RequestEntityTooLarge",
      };
      this.appendLog(logEntry);
      send(
        res,
        this.errorReply(new ArmError(413, "RequestEntityTooLarge", `The request content was too large and exceeded the allowed limit of ${MAX_REQUEST_BODY_BYTES} bytes.`)),
        method,
      );
      return;
    }
    if (sameText(segments[0], "_emulator")) {
      const reply = await this.introspect(method, segments.slice(1), rawBody, url);
      send(res, reply, method);
      return;
    }
    this.advanceOperations();
    const requestClass = classify(method, segments);
    const apiVersion = url.searchParams.get("api-version") ?? undefined;
    const logEntry: RequestLogEntry = { time: new Date().toISOString(), method, path: url.pathname, apiVersion, status: 0, class: requestClass };
    this.appendLog(logEntry);

    const fault = this.faults.onRequest({ method, path: url.pathname, requestClass });
    if (fault) {
      this.answerFault(fault, res, logEntry, method);
      return;
    }

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
    const state: RequestState = { method, url, segments, apiVersion, body: undefined, rawBody, headers, requestClass, logEntry };
    let reply: Reply;
    try {
      reply = await this.dispatch(state);
    } catch (error) {
      reply = this.errorReply(error);
    }
    try {
      this.world.saveIfDirty();
    } catch (error) {
      this.log(`emulator: could not save the world: ${(error as Error).message}`);
      reply = this.errorReply(new ArmError(500, "InternalServerError", "The emulator could not persist its state."));
    }
    if (this.validator && !state.skipResponseValidation && requestClass !== "poll") {
      await this.validateResponse(state, reply);
    }
    if (state.nameRuleErrors && acceptedByProvider(reply)) this.recordLeniency(state, reply, state.nameRuleErrors);
    logEntry.status = reply.status;
    if (reply.status >= 400 && isObject(reply.body) && isObject(reply.body.error) && typeof reply.body.error.code === "string") {
      logEntry.errorCode = reply.body.error.code;
    }
    send(res, reply, method);
  }

  private errorReply(error: unknown): Reply {
    if (error instanceof ArmError) return { status: error.status, body: armErrorBody(error), headers: error.headers };
    this.log(`emulator: internal error: ${(error as Error)?.stack ?? String(error)}`);
    return {
      status: 500,
      body: armErrorBody(new ArmError(500, "InternalServerError", `The emulator failed while handling the request: ${(error as Error)?.message ?? String(error)}`)),
    };
  }

  private answerFault(fault: InjectedFault, res: ServerResponse, logEntry: RequestLogEntry, method: string): void {
    logEntry.fault = fault.kind;
    if (fault.kind === "drop") {
      logEntry.status = 0;
      res.socket?.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    if (fault.retryAfterSeconds !== undefined) headers["Retry-After"] = String(fault.retryAfterSeconds);
    let error: ArmError;
    if (fault.kind === "429") {
      error = new ArmError(
        429,
        "SubscriptionRequestsThrottled",
        `Number of '${logEntry.class === "read" || logEntry.class === "poll" ? "read" : "write"}' requests for subscription exceeded. Please try after '${fault.retryAfterSeconds ?? 1}' seconds.`,
      );
    } else if (fault.kind === "503") {
      error = new ArmError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later.");
    } else {
      error = new ArmError(500, "InternalServerError", "Encountered internal server error. Diagnostic information: injected fault.");
    }
    logEntry.status = error.status;
    logEntry.errorCode = error.code;
    send(res, { status: error.status, body: armErrorBody(error), headers }, method);
  }

  private appendLog(entry: RequestLogEntry): void {
    this.requestLog.push(entry);
    if (this.requestLog.length > MAX_LOG_ENTRIES) this.requestLog.splice(0, this.requestLog.length - MAX_LOG_ENTRIES);
  }

  // ---------------------------------------------------------------- dispatch

  private async dispatch(state: RequestState): Promise<Reply> {
    const { headers, segments, method } = state;
    const authorization = headers["authorization"];
    if (authorization === undefined) {
      throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
    }
    if (!/^Bearer\s+\S+/i.test(authorization)) {
      throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.");
    }
    if (state.apiVersion === undefined || state.apiVersion === "") {
      throw new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    }
    if (!sameText(segments[0], "subscriptions")) {
      throw new ArmError(404, "InvalidRequestUri", `The request URI '${state.url.pathname}' is not a route the emulator serves.`);
    }
    if (state.rawBody.trim().length > 0) {
      try {
        const parsed = JSON.parse(state.rawBody) as Json;
        if (!isObject(parsed)) throw new Error("the body is not a JSON object");
        state.body = parsed;
      } catch (error) {
        throw new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${(error as Error).message}'.`);
      }
    }
    this.checkWorld(state);
    if (segments.length === 1) {
      this.requireMethod(method, ["GET"]);
      this.requireApiVersion(state.apiVersion, SUBSCRIPTIONS_API_VERSIONS, "subscriptions");
      return { status: 200, body: { value: this.knownSubscriptions().map((id) => subscriptionBody(id)) } };
    }
    const subscriptionId = segments[1]!;
    if (!isGuid(subscriptionId)) {
      throw new ArmError(400, "InvalidSubscriptionId", `The provided subscription identifier '${subscriptionId}' is malformed or invalid.`);
    }
    const rest = segments.slice(2);
    if (rest.length === 0) {
      this.requireMethod(method, ["GET"]);
      this.requireApiVersion(state.apiVersion, SUBSCRIPTIONS_API_VERSIONS, "subscriptions");
      return { status: 200, body: subscriptionBody(subscriptionId) };
    }
    const head = rest[0]!.toLowerCase();
    if (head === "locations" && rest.length === 1) {
      this.requireMethod(method, ["GET"]);
      this.requireApiVersion(state.apiVersion, SUBSCRIPTIONS_API_VERSIONS, "locations");
      return { status: 200, body: locationsBody(subscriptionId) };
    }
    if (head === "operationresults" && rest.length === 2) {
      this.requireMethod(method, ["GET"]);
      return this.operationResult(rest[1]!, subscriptionId);
    }
    if (head === "resources" && rest.length === 1) {
      this.requireMethod(method, ["GET"]);
      this.requireApiVersion(state.apiVersion, RESOURCES_API_VERSIONS, "resources");
      return { status: 200, body: { value: this.genericList(subscriptionIdOf(subscriptionId)) } };
    }
    if (head === "resourcegroups") return this.resourceGroupRoute(state, subscriptionId, rest.slice(1));
    if (head === "providers") return this.subscriptionProvidersRoute(state, subscriptionId, rest);
    throw new ArmError(404, "InvalidRequestUri", `The request URI '${state.url.pathname}' is not a route the emulator serves.`);
  }

  private requireMethod(method: string, allowed: string[]): void {
    if (!allowed.includes(method)) {
      throw new ArmError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`);
    }
  }

  /** ARM's own routes (Microsoft.Resources) answer InvalidApiVersionParameter. */
  private requireApiVersion(apiVersion: string | undefined, supported: readonly string[], _what: string): void {
    if (apiVersion !== undefined && supported.includes(apiVersion)) return;
    throw new ArmError(400, "InvalidApiVersionParameter", `The api-version '${apiVersion ?? ""}' is invalid. The supported versions are '${apiVersionsList(supported)}'.`);
  }

  /** Resource-provider types answer NoRegisteredProviderFound, listing the supported versions. */
  private requireTypeApiVersion(apiVersion: string, handler: { type: string; apiVersions: string[] }, location?: string): void {
    if (handler.apiVersions.includes(apiVersion)) return;
    const slash = handler.type.indexOf("/");
    const shortType = handler.type.slice(slash + 1);
    throw new ArmError(
      400,
      "NoRegisteredProviderFound",
      `No registered resource provider found for location '${location ?? "global"}' and API version '${apiVersion}' for type '${shortType}'. The supported api-versions are '${apiVersionsList(handler.apiVersions)}'. The supported locations are '${sortedLocations()}'.`,
    );
  }

  private knownSubscriptions(): string[] {
    const ids = new Map<string, string>([[EMULATOR_SUBSCRIPTION_ID, EMULATOR_SUBSCRIPTION_ID]]);
    for (const record of this.world.all()) {
      const subscription = subscriptionOfId(record.id);
      if (subscription !== undefined && !ids.has(subscription.toLowerCase())) ids.set(subscription.toLowerCase(), subscription);
    }
    return [...ids.values()];
  }

  private context(subscriptionId: string, id: string, name: string, resourceGroup: string | undefined, apiVersion: string): HandlerContext {
    return {
      store: this.world,
      subscriptionId,
      id,
      resourceGroup,
      name,
      apiVersion,
      guid: () => randomUUID(),
      now: () => new Date(),
      parentId: (childId: string) => parentIdOf(childId),
    };
  }

  // ---------------------------------------------------------------- the subscription's world

  /**
   * What the world refuses before any provider sees a request: a write into a namespace that is not
   * Registered (409 MissingSubscriptionRegistration), a role assignment the caller may not make (403), a
   * VM whose size the region refuses (409 SkuNotAvailable) or that exceeds the family's vCPU quota (409
   * OperationNotAllowed). Reads and read-only POSTs (checkNameAvailability) pass: see docs/emulator.md.
   */
  private checkWorld(state: RequestState): void {
    const { method, segments } = state;
    if (!["PUT", "PATCH", "DELETE", "POST"].includes(method) || !sameText(segments[0], "subscriptions")) return;
    const last = segments[segments.length - 1] ?? "";
    if (method === "POST" && /^checkNameAvailability$/i.test(last)) return;
    let at = -1;
    for (let index = segments.length - 3; index >= 2; index -= 1) {
      if (sameText(segments[index], "providers")) {
        at = index;
        break;
      }
    }
    // `/subscriptions/{id}/providers/{ns}/register` itself, resource groups and ARM's own routes pass.
    if (at < 0 || (at === 2 && segments.length <= 5 && /^(register|unregister)$/i.test(last))) return;
    const namespace = segments[at + 1]!;
    const provider = this.namespaces.get(namespace.toLowerCase());
    if (!provider) return; // routing answers InvalidResourceNamespace
    const world = this.subscriptionWorld;
    world.assertRegistered(provider.namespace);
    const type = segments
      .slice(at + 2)
      .filter((_, index) => index % 2 === 0)
      .join("/");
    if (method === "PUT" && sameText(namespace, "Microsoft.Authorization") && sameText(type, "roleAssignments")) {
      world.assertMayAssignRoles(`/${segments.join("/")}`);
    }
    if (method === "PUT" && sameText(namespace, "Microsoft.Compute") && sameText(type, "virtualMachines") && state.body !== undefined) {
      this.checkVmAllowed(`/${segments.join("/")}`, segments[1]!, state.body);
    }
  }

  private checkVmAllowed(id: string, subscriptionId: string, body: JsonObject): void {
    if (this.world.get(id)) return; // an update keeps its size's cores already counted
    const properties = isObject(body.properties) ? body.properties : {};
    const hardware = isObject(properties.hardwareProfile) ? properties.hardwareProfile : {};
    const size = typeof hardware.vmSize === "string" ? hardware.vmSize : undefined;
    const location = typeof body.location === "string" ? normalizeLocation(body.location) : undefined;
    if (size === undefined || location === undefined) return;
    const world = this.subscriptionWorld;
    if (!world.isSizeAvailable(location, size)) {
      throw new ArmError(
        409,
        "SkuNotAvailable",
        `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size}' is currently not available in location '${location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
      );
    }
    const info = vmSizeInfo(size);
    if (!info) return;
    const used = vmVcpus(this.world, subscriptionId, location);
    const familyUsed = used.get(info.family.toLowerCase()) ?? 0;
    const totalUsed = [...used.values()].reduce((a, b) => a + b, 0);
    for (const [quota, current, label] of [
      [world.limitFor(location, info.family), familyUsed, `${info.family} Cores`],
      [world.limitFor(location, "cores"), totalUsed, "Total Regional Cores"],
    ] as const) {
      if (current + info.vCPUs <= quota) continue;
      throw new ArmError(
        409,
        "OperationNotAllowed",
        `Operation could not be completed as it results in exceeding approved ${label} quota. Additional details - Deployment Model: Resource Manager, Location: ${location}, Current Limit: ${quota}, Current Usage: ${current}, Additional Required: ${info.vCPUs}, (Minimum) New Limit Required: ${current + info.vCPUs}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView/Parameters/ by specifying parameters listed in the 'Details' section for deployment to succeed.`,
      );
    }
  }

  /**
   * Azure's storage resource provider takes one private-endpoint-connection operation at a time per
   * account: a private endpoint written while another one to the same account is in flight ends Failed
   * with StorageAccountOperationInProgress (the write itself is accepted).
   */
  private applyContention(record: ResourceRecord, operation: OperationRecord): void {
    if (!this.subscriptionWorld.settings.storageAccountContention || !sameText(record.type, "Microsoft.Network/privateEndpoints")) return;
    const targets = storageTargetsOf(record);
    if (targets.length === 0) return;
    const busy = this.world
      .listByType("Microsoft.Network/privateEndpoints")
      .some((other) => idKey(other.id) !== idKey(record.id) && other.pendingOperation !== undefined && storageTargetsOf(other).some((t) => targets.includes(t)));
    if (!busy) return;
    operation.failAtEnd = true;
    operation.failure = {
      code: "StorageAccountOperationInProgress",
      message: "Call to Microsoft.Storage/storageAccounts failed. Error message: An operation is currently performing on this storage account that requires exclusive access.",
    };
    this.world.markDirty();
  }

  // ---------------------------------------------------------------- resource groups

  private resourceGroupRecord(subscriptionId: string, name: string): ResourceRecord | undefined {
    return this.world.get(resourceGroupIdOf(subscriptionId, name));
  }

  private async resourceGroupRoute(state: RequestState, subscriptionId: string, rest: string[]): Promise<Reply> {
    const { method } = state;
    const apiVersion = state.apiVersion ?? "";
    if (rest.length === 0) {
      this.requireMethod(method, ["GET"]);
      this.requireApiVersion(apiVersion, RESOURCES_API_VERSIONS, "resourceGroups");
      const groups = this.world.listByType(RESOURCE_GROUP_TYPE, subscriptionIdOf(subscriptionId));
      return { status: 200, body: { value: groups.map((record) => this.viewOf(record, apiVersion)) } };
    }
    const groupName = rest[0]!;
    if (rest.length === 1) return this.resourceGroupItem(state, subscriptionId, groupName);
    const group = this.resourceGroupRecord(subscriptionId, groupName);
    const groupId = group?.id ?? resourceGroupIdOf(subscriptionId, groupName);
    if (rest.length === 2 && sameText(rest[1], "resources")) {
      this.requireMethod(method, ["GET"]);
      this.requireApiVersion(apiVersion, RESOURCES_API_VERSIONS, "resources");
      if (!group) throw resourceGroupNotFound(groupName);
      return { status: 200, body: { value: this.genericList(group.id) } };
    }
    if (!sameText(rest[1], "providers")) {
      throw new ArmError(404, "InvalidRequestUri", `The request URI '${state.url.pathname}' is not a route the emulator serves.`);
    }
    if (rest.length === 4 && sameText(rest[2], "Microsoft.Authorization") && sameText(rest[3], "permissions")) {
      // Permissions_ListForResourceGroup: the caller's permissions, from the world.
      this.requireMethod(method, ["GET"]);
      this.requireTypeApiVersion(apiVersion, { type: "Microsoft.Authorization/permissions", apiVersions: PERMISSIONS_API_VERSIONS });
      if (!group) throw resourceGroupNotFound(groupName);
      return { status: 200, body: this.subscriptionWorld.permissionsBody() };
    }
    const resourcePath = parseResourcePath(groupId, rest.slice(1));
    if (!resourcePath) throw new ArmError(404, "InvalidRequestUri", `The request URI '${state.url.pathname}' is not a route the emulator serves.`);
    return this.resourceRoute(state, subscriptionId, resourcePath);
  }

  private async resourceGroupItem(state: RequestState, subscriptionId: string, groupName: string): Promise<Reply> {
    const { method } = state;
    const apiVersion = state.apiVersion ?? "";
    this.requireMethod(method, ["GET", "HEAD", "PUT", "PATCH", "DELETE"]);
    this.requireApiVersion(apiVersion, RESOURCES_API_VERSIONS, "resourceGroups");
    const existing = this.resourceGroupRecord(subscriptionId, groupName);
    const id = existing?.id ?? resourceGroupIdOf(subscriptionId, groupName);
    const ctx = this.context(subscriptionId, id, existing?.name ?? groupName, existing?.name ?? groupName, apiVersion);
    switch (method) {
      case "HEAD":
        return { status: existing ? 204 : 404 };
      case "GET":
        if (!existing) throw resourceGroupNotFound(groupName);
        return { status: 200, body: this.viewOf(existing, apiVersion) };
      case "PUT": {
        const body = state.body ?? {};
        await this.validateRequest(state);
        if (existing?.pendingOperation?.kind === "delete") {
          throw new ArmError(409, "ResourceGroupBeingDeleted", `The resource group '${existing.name}' is in deprovisioning state and cannot perform this operation.`);
        }
        const location = this.checkLocation(resourceGroupHandler, body, existing, "resource group");
        if (existing && location !== undefined && existing.body.location !== location) {
          throw new ArmError(
            409,
            "InvalidResourceGroupLocation",
            `Invalid resource group location '${location}'. The Resource group already exists in location '${String(existing.body.location)}'.`,
          );
        }
        const stored = await resourceGroupHandler.put(ctx, { existing, body });
        const record = this.storeWrite(resourceGroupHandler, ctx, existing, stored, location, body, "Succeeded");
        return { status: existing ? 200 : 201, body: this.viewOf(record, apiVersion) };
      }
      case "PATCH": {
        if (!existing) throw resourceGroupNotFound(groupName);
        await this.validateRequest(state);
        const patch = resourceGroupHandler.patch;
        if (!patch) throw new ArmError(405, "MethodNotAllowed", "PATCH is not supported.");
        const stored = await patch(ctx, { existing, body: state.body ?? {} });
        const record = this.storeWrite(resourceGroupHandler, ctx, existing, stored, undefined, state.body ?? {}, "Succeeded");
        return { status: 200, body: this.viewOf(record, apiVersion) };
      }
      case "DELETE": {
        if (!existing) throw resourceGroupNotFound(groupName);
        const running = existing.pendingOperation?.kind === "delete" ? this.world.operations.get(existing.pendingOperation.id) : undefined;
        const operation = running ?? this.startOperation(state, "delete", existing, resourceGroupHandler, resourceGroupHandler.latency.delete, "Deleting");
        const headers: Record<string, string> = {
          Location: this.operationUrl(operation, "resourceGroup"),
        };
        this.setRetryAfter(headers, operation, RESOURCE_GROUP_RETRY_AFTER_SECONDS);
        return { status: 202, headers };
      }
    }
    throw new ArmError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`);
  }

  // ---------------------------------------------------------------- /subscriptions/{id}/providers/...

  private async subscriptionProvidersRoute(state: RequestState, subscriptionId: string, rest: string[]): Promise<Reply> {
    const { method } = state;
    const apiVersion = state.apiVersion ?? "";
    // providers/{ns}/locations/{loc}/operationStatuses|operationResults/{id}: the emulator's own operation routes.
    if (rest.length === 6 && sameText(rest[2], "locations") && method === "GET") {
      if (sameText(rest[4], OPERATION_STATUS_SEGMENT)) return this.operationStatus(rest[5]!, subscriptionId);
      if (sameText(rest[4], OPERATION_RESULTS_SEGMENT)) return this.operationResult(rest[5]!, subscriptionId);
    }
    const after = rest.slice(1);
    const routeMatch = this.matchProviderRoute(method, after);
    if (routeMatch) {
      const { route, params } = routeMatch;
      this.requireTypeApiVersion(apiVersion, { type: `${routeMatch.provider.namespace}/${after.slice(1).join("/")}`, apiVersions: route.apiVersions });
      await this.validateRequest(state);
      const ctx = this.context(subscriptionId, subscriptionIdOf(subscriptionId), subscriptionId, undefined, apiVersion);
      const { id: _id, name: _name, resourceGroup: _resourceGroup, ...routeCtx } = ctx;
      const response = await route.handle(routeCtx, params, { body: state.body ?? {}, query: this.queryOf(state) });
      if (response.longRunningSeconds === undefined) return { status: response.status, body: response.body };
      const operation = this.startDetachedOperation(state, subscriptionId, routeMatch.provider.namespace, response.longRunningSeconds);
      operation.result = response.body ?? null;
      operation.resultStatus = response.status === 202 ? 200 : response.status;
      const headers: Record<string, string> = { Location: this.operationUrl(operation, "results") };
      this.setRetryAfter(headers, operation);
      return { status: 202, headers };
    }
    if (rest.length === 1) {
      this.requireMethod(method, ["GET"]);
      this.requireApiVersion(apiVersion, RESOURCES_API_VERSIONS, "providers");
      const world = this.subscriptionWorld;
      return { status: 200, body: { value: [...this.namespaces.values()].map((provider) => providerBody(subscriptionId, provider, world.registrationState(provider.namespace))) } };
    }
    const provider = this.namespaces.get(rest[1]!.toLowerCase());
    if (rest.length === 2 || (rest.length === 3 && sameText(rest[2], "register") && method === "POST")) {
      this.requireMethod(method, rest.length === 2 ? ["GET"] : ["POST"]);
      this.requireApiVersion(apiVersion, RESOURCES_API_VERSIONS, "providers");
      if (!provider) throw new ArmError(404, "InvalidResourceNamespace", `The resource namespace '${rest[1]}' is invalid.`);
      // Register answers at once with "Registering"; the namespace is Registered after a realistic delay.
      const registrationState =
        rest.length === 3
          ? this.subscriptionWorld.register(provider.namespace, operationDurationMs(this.latency, PROVIDER_REGISTRATION_SECONDS))
          : this.subscriptionWorld.registrationState(provider.namespace);
      return { status: 200, body: providerBody(subscriptionId, provider, registrationState) };
    }
    const resourcePath = parseResourcePath(subscriptionIdOf(subscriptionId), rest);
    if (!resourcePath) throw new ArmError(404, "InvalidRequestUri", `The request URI '${state.url.pathname}' is not a route the emulator serves.`);
    return this.resourceRoute(state, subscriptionId, resourcePath);
  }

  private matchProviderRoute(method: string, after: string[]): { provider: EmulatorProvider; route: ProviderRoute; params: Record<string, string> } | undefined {
    for (const candidate of this.routes) {
      if (candidate.route.method !== method || candidate.parts.length !== after.length) continue;
      const params: Record<string, string> = {};
      const matches = candidate.parts.every((part, index) => {
        if (part.startsWith("{") && part.endsWith("}")) {
          params[part.slice(1, -1)] = after[index]!;
          return true;
        }
        return sameText(part, after[index]);
      });
      if (matches) return { provider: candidate.provider, route: candidate.route, params };
    }
    return undefined;
  }

  private queryOf(state: RequestState): Record<string, string> {
    const query: Record<string, string> = {};
    for (const [key, value] of state.url.searchParams) if (key !== "api-version") query[key] = value;
    return query;
  }

  // ---------------------------------------------------------------- resources

  private async resourceRoute(state: RequestState, subscriptionId: string, resourcePath: ResourcePath): Promise<Reply> {
    const { method } = state;
    const apiVersion = state.apiVersion ?? "";
    const provider = this.namespaces.get(resourcePath.namespace.toLowerCase());
    if (!provider) throw new ArmError(400, "InvalidResourceNamespace", `The resource namespace '${resourcePath.namespace}' is invalid.`);
    if (resourcePath.types.length === 0) {
      throw new ArmError(404, "InvalidRequestUri", `The request URI '${state.url.pathname}' is not a route the emulator serves.`);
    }
    const { scopeId, namespace, types, names } = resourcePath;
    const isCollection = names.length < types.length;
    const handler = this.handlerFor(fullType(resourcePath));
    if (isCollection && !handler && types.length >= 2) {
      // `{resourceId}/{action}`: POST actions (and GET sub-resources such as privateLinkResources).
      const ownerTypes = types.slice(0, -1);
      const ownerHandler = this.handlerFor(`${namespace}/${ownerTypes.join("/")}`);
      const actionName = types[types.length - 1]!;
      if (ownerHandler?.actions?.[actionName.toLowerCase()] && (method === "POST" || method === "GET")) {
        const ownerId = buildResourceId(scopeId, namespace, ownerTypes, names);
        return this.action(state, subscriptionId, ownerHandler, scopeId, ownerId, actionName);
      }
    }
    if (!handler) {
      throw new ArmError(
        400,
        "InvalidResourceType",
        `The resource type '${types.join("/")}' could not be found in the namespace '${provider.namespace}' for api version '${apiVersion}'.`,
      );
    }
    this.requireTypeApiVersion(apiVersion, handler, typeof state.body?.location === "string" ? state.body.location : undefined);
    await this.requireScope(scopeId);
    if (isCollection) {
      this.requireMethod(method, ["GET"]);
      return this.listCollection(resourcePath, handler, apiVersion);
    }
    const requestedId = buildResourceId(scopeId, namespace, types, names);
    const parentId = parentIdOf(requestedId);
    const parent = parentId !== undefined && types.length > 1 ? this.world.get(parentId) : undefined;
    if (types.length > 1 && !parent) {
      if (method === "GET" || method === "HEAD") throw resourceNotFound(parentId ?? requestedId);
      if (method === "DELETE") return { status: 204 };
      throw new ArmError(404, "ParentResourceNotFound", `Can not perform requested operation on nested resource. Parent resource '${names.slice(0, -1).join("/")}' not found.`);
    }
    const existing = this.world.get(requestedId);
    // A new resource's ID keeps the casing its parent (or scope) was created with.
    const parentRecord = parentId !== undefined ? this.world.get(parentId) : undefined;
    const canonicalId = parentRecord && parentId !== undefined ? parentRecord.id + requestedId.slice(parentId.length) : requestedId;
    const id = existing?.id ?? canonicalId;
    const name = existing?.name ?? names[names.length - 1]!;
    const ctx = this.context(subscriptionId, id, name, this.resourceGroupNameOf(id), apiVersion);
    switch (method) {
      case "GET":
        if (!existing) throw resourceNotFound(requestedId);
        return { status: 200, body: this.viewOf(existing, apiVersion) };
      case "HEAD":
        return { status: existing ? 204 : 404 };
      case "PUT":
        return this.putResource(state, handler, ctx, existing);
      case "PATCH":
        if (!existing) throw resourceNotFound(requestedId);
        return this.patchResource(state, handler, ctx, existing);
      case "DELETE":
        return this.deleteResource(state, handler, ctx, existing);
      default:
        throw new ArmError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`);
    }
  }

  private resourceGroupNameOf(id: string): string | undefined {
    const subscription = subscriptionOfId(id);
    const group = resourceGroupOfId(id);
    if (subscription === undefined || group === undefined) return undefined;
    return this.resourceGroupRecord(subscription, group)?.name ?? group;
  }

  /** The scope of a resource (resource group or, for an extension resource, the resource it extends) must exist. */
  private async requireScope(scopeId: string): Promise<void> {
    const subscription = subscriptionOfId(scopeId);
    const group = resourceGroupOfId(scopeId);
    if (subscription !== undefined && group !== undefined && !this.resourceGroupRecord(subscription, group)) {
      throw resourceGroupNotFound(group);
    }
    const isSubscriptionOrGroup = scopeId.split("/").filter(Boolean).length <= 4;
    if (!isSubscriptionOrGroup && !this.world.get(scopeId)) throw resourceNotFound(scopeId);
  }

  private listCollection(resourcePath: ResourcePath, handler: ResourceTypeHandler, apiVersion: string): Reply {
    const { scopeId, namespace, types, names } = resourcePath;
    let records: ResourceRecord[];
    if (types.length === 1) {
      records = this.world.listByType(handler.type, scopeId);
    } else {
      const parentId = buildResourceId(scopeId, namespace, types.slice(0, -1), names);
      if (!this.world.get(parentId)) throw resourceNotFound(parentId);
      records = this.world.children(parentId, handler.type);
    }
    return { status: 200, body: { value: records.map((record) => this.viewOf(record, apiVersion)) } };
  }

  private genericList(scope: string): Json[] {
    return this.world
      .all()
      .filter((record) => {
        // ARM's generic list shows tracked (located) top-level resources: no groups, children or extensions.
        if (sameText(record.type, RESOURCE_GROUP_TYPE) || this.handlerFor(record.type)?.location === "none") return false;
        const parent = parentIdOf(record.id);
        if (parent === undefined || resourceGroupOfId(record.id) === undefined) return false;
        const parentIsGroup = parent.split("/").filter(Boolean).length === 4;
        return parentIsGroup && idKey(record.id).startsWith(idKey(scope) + "/");
      })
      .map((record) => {
        const entry: JsonObject = { id: record.id, name: record.name, type: record.type };
        for (const key of ["location", "tags", "kind", "sku", "identity", "managedBy"]) {
          const value = record.body[key];
          if (value !== undefined) entry[key] = value;
        }
        return entry;
      });
  }

  /** Location rules for a PUT; returns the normalised location (undefined for "none" types). */
  private checkLocation(handler: ResourceTypeHandler, body: JsonObject, existing: ResourceRecord | undefined, what?: string): string | undefined {
    if (handler.location === "none") return undefined;
    const given = body.location;
    if (typeof given !== "string" || given.trim() === "") {
      throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
    }
    const location = normalizeLocation(given);
    if (handler.location === "global") {
      if (location !== "global") {
        throw new ArmError(
          400,
          "LocationNotAvailableForResourceType",
          `The provided location '${given}' is not available for resource type '${handler.type}'. List of available regions for the resource type is 'global'.`,
        );
      }
    } else if (!AZURE_REGIONS.some((region) => region.name === location)) {
      throw new ArmError(
        400,
        "LocationNotAvailableForResourceType",
        `The provided location '${given}' is not available for ${what ?? `resource type '${handler.type}'`}. List of available regions for the resource type is '${AZURE_REGIONS.map((region) => region.name).join(",")}'.`,
      );
    }
    if (existing && what === undefined) {
      const current = existing.body.location;
      if (typeof current === "string" && normalizeLocation(current) !== location) {
        throw new ArmError(
          400,
          "InvalidResourceLocation",
          `The resource '${existing.name}' already exists in location '${current}' in resource group '${existing.resourceGroup ?? ""}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`,
        );
      }
    }
    return location;
  }

  /** AnotherOperationInProgress for exclusive types while the resource, an ancestor or a child is busy. */
  private checkExclusive(handler: ResourceTypeHandler, id: string, existing: ResourceRecord | undefined): void {
    if (existing?.pendingOperation?.kind === "delete") {
      throw this.anotherOperation(existing, existing.pendingOperation.id);
    }
    if (!handler.exclusiveWrites) return;
    const busy: ResourceRecord[] = [];
    if (existing?.pendingOperation) busy.push(existing);
    let ancestor = parentIdOf(id);
    while (ancestor !== undefined && ancestor.split("/").filter(Boolean).length > 4) {
      const record = this.world.get(ancestor);
      if (record?.pendingOperation) busy.push(record);
      ancestor = parentIdOf(ancestor);
    }
    for (const child of this.world.children(id)) if (child.pendingOperation) busy.push(child);
    const first = busy[0];
    if (first?.pendingOperation) throw this.anotherOperation(first, first.pendingOperation.id);
  }

  private anotherOperation(record: ResourceRecord, operationId: string): ArmError {
    return new ArmError(
      409,
      "AnotherOperationInProgress",
      `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${this.endpoint}/subscriptions/${record.subscriptionId}/providers/${record.type.split("/")[0]}/locations/${this.locationOf(record)}/${OPERATION_STATUS_SEGMENT}/${operationId}?api-version=${record.apiVersion}.`,
      [{ code: "AnotherOperationInProgress", message: `Operation ${operationId} on resource '${record.id}' is in progress.` }],
    );
  }

  private async putResource(state: RequestState, handler: ResourceTypeHandler, ctx: HandlerContext, existing: ResourceRecord | undefined): Promise<Reply> {
    if (state.body === undefined) {
      throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: 'the request body is empty'.");
    }
    const group = ctx.resourceGroup !== undefined ? this.resourceGroupRecord(ctx.subscriptionId, ctx.resourceGroup) : undefined;
    if (group?.pendingOperation?.kind === "delete") {
      throw new ArmError(409, "ResourceGroupBeingDeleted", `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`);
    }
    await this.validateRequest(state);
    this.checkExclusive(handler, ctx.id, existing);
    const location = this.checkLocation(handler, state.body, existing);
    const failed = this.failedPrecondition(state, handler, existing);
    if (failed) return this.preconditionFailed(state, handler, ctx, existing, failed);
    const stored = await handler.put(ctx, { existing, body: state.body });
    return this.completeWrite(state, handler, ctx, existing, stored, location, state.body, existing ? "update" : "create");
  }

  private async patchResource(state: RequestState, handler: ResourceTypeHandler, ctx: HandlerContext, existing: ResourceRecord): Promise<Reply> {
    if (!handler.patch) {
      throw new ArmError(405, "MethodNotAllowed", `The resource type '${handler.type}' does not support PATCH.`);
    }
    await this.validateRequest(state);
    this.checkExclusive(handler, ctx.id, existing);
    const failed = this.failedPrecondition(state, handler, existing);
    if (failed) return this.preconditionFailed(state, handler, ctx, existing, failed);
    const stored = await handler.patch(ctx, { existing, body: state.body ?? {} });
    return this.completeWrite(state, handler, ctx, existing, stored, undefined, state.body ?? {}, "update", true);
  }

  /**
   * `If-None-Match: *` on an existing resource, `If-Match` on a missing one or with another etag: the
   * message of the failed precondition (ARM's PreconditionFailed), else undefined.
   */
  private failedPrecondition(state: RequestState, _handler: ResourceTypeHandler, existing: ResourceRecord | undefined): string | undefined {
    const ifNoneMatch = state.headers["if-none-match"]?.trim();
    const ifMatch = state.headers["if-match"]?.trim();
    const bare = (etag: string) => etag.replace(/^W\//, "").replace(/^"|"$/g, "");
    if (ifNoneMatch === "*" && existing) return `The resource '${existing.name}' already exists (If-None-Match: *).`;
    if (ifMatch === undefined || ifMatch === "") return undefined;
    if (!existing) return `The resource does not exist (If-Match: ${ifMatch}).`;
    if (ifMatch === "*") return undefined;
    const current = existing.body.etag;
    if (typeof current === "string" && bare(current) !== bare(ifMatch)) {
      return `The resource '${existing.name}' has been modified (etag mismatch): If-Match ${ifMatch}, current ${current}.`;
    }
    return undefined;
  }

  /** 412 PreconditionFailed; for `acceptedWrites` types (private DNS), a 202 whose operation fails with it. */
  private preconditionFailed(state: RequestState, handler: ResourceTypeHandler, ctx: HandlerContext, existing: ResourceRecord | undefined, message: string): Reply {
    if (!handler.lro.acceptedWrites || handler.lro.put === "sync") throw new ArmError(412, "PreconditionFailed", message);
    // Detached: the operation touches no record (the resource stays as it was, or absent).
    const now = Date.now();
    const operation: OperationRecord = {
      id: randomUUID(),
      kind: existing ? "update" : "create",
      resourceId: ctx.id,
      resourceType: handler.type,
      subscriptionId: ctx.subscriptionId,
      namespace: handler.type.split("/")[0]!,
      location: existing ? this.locationOf(existing) : "global",
      apiVersion: state.apiVersion ?? ctx.apiVersion,
      startedAt: now,
      endsAt: now,
      status: "InProgress",
      detached: true,
      failAtEnd: true,
      error: { code: "PreconditionFailed", message },
    };
    this.world.operations.set(operation.id, operation);
    this.world.markDirty();
    const headers: Record<string, string> = { "Azure-AsyncOperation": this.operationUrl(operation, "status"), Location: this.operationUrl(operation, "results") };
    return { status: 202, headers };
  }

  private completeWrite(
    state: RequestState,
    handler: ResourceTypeHandler,
    ctx: HandlerContext,
    existing: ResourceRecord | undefined,
    stored: JsonObject,
    location: string | undefined,
    requestBody: JsonObject,
    kind: "create" | "update",
    isPatch = false,
  ): Reply {
    const mode = isPatch ? (handler.lro.patch ?? handler.lro.put) : kind === "update" ? (handler.lro.update ?? handler.lro.put) : handler.lro.put;
    const header = handler.lro.header;
    if (mode === "sync" || handler.provisioningState === false) {
      const record = this.storeWrite(handler, ctx, existing, stored, location, requestBody, "Succeeded");
      this.runSucceeded(handler, record);
      const after = this.world.get(record.id) ?? record;
      return { status: kind === "create" ? (handler.lro.createStatus ?? 201) : 200, body: this.viewOf(after, ctx.apiVersion) };
    }
    const pending = kind === "create" ? (handler.lro.pendingState?.create ?? "Creating") : (handler.lro.pendingState?.update ?? "Updating");
    const record = this.storeWrite(handler, ctx, existing, stored, location, requestBody, pending);
    const latency = this.latencyOf(handler, record.body);
    const operation = this.startOperation(state, kind, record, handler, kind === "create" ? latency.create : latency.update);
    this.applyContention(record, operation);
    const headers: Record<string, string> = {};
    this.setRetryAfter(headers, operation);
    const body = this.viewOf(this.world.get(record.id) ?? record, ctx.apiVersion);
    if (header === "Location") {
      headers.Location = this.operationUrl(operation, "results");
      // Location-style RPs (e.g. StorageAccounts_Create) answer 202 without a body unless told otherwise.
      if (kind === "create" && handler.lro.createStatus !== undefined) return { status: handler.lro.createStatus, body, headers };
      return { status: 202, headers };
    }
    // Azure-AsyncOperation: the poller follows the header. No header: the poller re-reads the resource until its
    // provisioningState is terminal (e.g. Vaults_CreateOrUpdate).
    if (header === "Azure-AsyncOperation") headers["Azure-AsyncOperation"] = this.operationUrl(operation, "status");
    if (handler.lro.acceptedWrites) return { status: 202, headers: { ...headers, Location: this.operationUrl(operation, "results") } };
    return { status: kind === "create" ? (handler.lro.createStatus ?? 201) : 200, body, headers };
  }

  private async deleteResource(state: RequestState, handler: ResourceTypeHandler, ctx: HandlerContext, existing: ResourceRecord | undefined): Promise<Reply> {
    if (!existing) return { status: 204 };
    if (existing.pendingOperation?.kind === "delete") {
      const operation = this.world.operations.get(existing.pendingOperation.id);
      if (operation) return this.deleteAccepted(handler, operation);
    }
    this.checkExclusive(handler, existing.id, existing);
    handler.beforeDelete?.(ctx, existing);
    if (handler.lro.delete === "sync") {
      this.deleteNow(existing, this.queryOf(state));
      return { status: 200 };
    }
    const operation = this.startOperation(state, "delete", existing, handler, this.latencyOf(handler, existing.body).delete, "Deleting");
    operation.deleteQuery = this.queryOf(state);
    return this.deleteAccepted(handler, operation);
  }

  /** Retry-After for an answer about a running operation (see `retryAfterSeconds`); nothing when it is 0. */
  private setRetryAfter(headers: Record<string, string>, operation: OperationRecord, armSeconds?: number): void {
    const seconds = retryAfterSeconds(this.latency, operation.endsAt - Date.now(), armSeconds, operation.retryAfterSent === true);
    if (seconds === undefined) return;
    headers["Retry-After"] = String(seconds);
    operation.retryAfterSent = true;
  }

  /** The realistic durations of a write to this record: per body where the handler says so, else per type. */
  private latencyOf(handler: ResourceTypeHandler, body: JsonObject): { create: number; update: number; delete: number } {
    return handler.latencyFor?.(body) ?? handler.latency;
  }

  private deleteAccepted(handler: ResourceTypeHandler, operation: OperationRecord): Reply {
    const headers: Record<string, string> = { Location: this.operationUrl(operation, "results") };
    if (handler.lro.header === "Azure-AsyncOperation" && handler.lro.deleteHeader !== "Location") headers["Azure-AsyncOperation"] = this.operationUrl(operation, "status");
    this.setRetryAfter(headers, operation);
    return { status: 202, headers };
  }

  private async action(state: RequestState, subscriptionId: string, handler: ResourceTypeHandler, scopeId: string, ownerId: string, actionName: string): Promise<Reply> {
    const apiVersion = state.apiVersion ?? "";
    this.requireTypeApiVersion(apiVersion, handler);
    await this.requireScope(scopeId);
    const record = this.world.get(ownerId);
    if (!record) throw resourceNotFound(ownerId);
    const run = handler.actions?.[actionName.toLowerCase()];
    if (!run) throw new ArmError(404, "InvalidResourceType", `The resource type '${actionName}' could not be found.`);
    await this.validateRequest(state);
    const ctx = this.context(subscriptionId, record.id, record.name, this.resourceGroupNameOf(record.id), apiVersion);
    const request: ActionRequest = { record, body: state.body ?? {}, query: this.queryOf(state) };
    const response = await run(ctx, request);
    if (response.longRunningSeconds === undefined) return { status: response.status, body: response.body };
    const operation = this.startOperation(state, "action", record, handler, response.longRunningSeconds);
    operation.result = response.body ?? null;
    operation.resultStatus = response.status === 202 ? 200 : response.status;
    const headers: Record<string, string> = { Location: this.operationUrl(operation, "results") };
    this.setRetryAfter(headers, operation);
    return { status: 202, headers };
  }

  // ---------------------------------------------------------------- records and views

  /** Stores a write: the handler's body plus the fields the core owns (id, name, type, location, tags, etag, systemData, provisioningState). */
  private storeWrite(
    handler: ResourceTypeHandler,
    ctx: HandlerContext,
    existing: ResourceRecord | undefined,
    handlerBody: JsonObject,
    location: string | undefined,
    requestBody: JsonObject,
    provisioningState: string,
  ): ResourceRecord {
    const { id: _id, name: _name, type: _type, ...rest } = handlerBody;
    const body: JsonObject = { id: ctx.id, name: ctx.name, type: handler.type };
    if (handler.location !== "none") {
      const storedLocation = rest.location ?? location ?? existing?.body.location;
      if (storedLocation !== undefined) body.location = storedLocation;
      const tags = rest.tags !== undefined ? rest.tags : requestBody.tags !== undefined ? requestBody.tags : existing?.body.tags;
      if (isObject(tags ?? undefined)) body.tags = tags ?? {};
    }
    delete rest.location;
    delete rest.tags;
    if (handler.etag) body.etag = `W/"${ctx.guid()}"`;
    Object.assign(body, rest);
    if (handler.provisioningState !== false) {
      const properties = isObject(body.properties) ? { ...body.properties } : {};
      properties.provisioningState = provisioningState;
      body.properties = properties;
    }
    if (handler.systemData) {
      const now = ctx.now().toISOString();
      const previous = isObject(existing?.body.systemData) ? existing?.body.systemData : undefined;
      body.systemData = {
        createdBy: (previous?.createdBy as Json | undefined) ?? "emulator-user@example.com",
        createdByType: (previous?.createdByType as Json | undefined) ?? "User",
        createdAt: (previous?.createdAt as Json | undefined) ?? now,
        lastModifiedBy: "emulator-user@example.com",
        lastModifiedByType: "User",
        lastModifiedAt: now,
      };
    }
    return this.world.upsert({
      id: ctx.id,
      type: handler.type,
      name: ctx.name,
      resourceGroup: ctx.resourceGroup,
      subscriptionId: ctx.subscriptionId,
      apiVersion: ctx.apiVersion,
      body,
      pendingOperation: undefined,
    });
  }

  /**
   * The body a client sees, rendered for `apiVersion`: the api-version of the request being answered (a
   * record written at a newer version must not show a property an older version's spec lacks), or the
   * record's own write version when no request is being answered (introspection).
   */
  viewOf(record: ResourceRecord, apiVersion: string | undefined): JsonObject {
    const handler = this.handlerFor(record.type);
    if (!handler?.view) return record.body;
    const ctx = this.context(record.subscriptionId, record.id, record.name, record.resourceGroup, apiVersion || record.apiVersion);
    return handler.view(ctx, record);
  }

  private setProvisioningState(record: ResourceRecord, state: string): ResourceRecord {
    const handler = this.handlerFor(record.type);
    const body = { ...record.body };
    if (handler?.provisioningState !== false) {
      const properties = isObject(body.properties) ? { ...body.properties } : {};
      properties.provisioningState = state;
      body.properties = properties;
    }
    return this.world.upsert({ ...record, body });
  }

  private locationOf(record: ResourceRecord): string {
    let current: ResourceRecord | undefined = record;
    while (current) {
      const location = current.body.location;
      if (typeof location === "string" && location !== "") return normalizeLocation(location);
      const parent = parentIdOf(current.id);
      current = parent !== undefined ? this.world.get(parent) : undefined;
    }
    return "global";
  }

  // ---------------------------------------------------------------- operations

  private startOperation(
    state: RequestState,
    kind: OperationRecord["kind"],
    record: ResourceRecord,
    handler: ResourceTypeHandler,
    realisticSeconds: number,
    provisioningState?: string,
  ): OperationRecord {
    const now = Date.now();
    const failAtEnd = this.faults.onOperationStart({ method: state.method, path: state.url.pathname, requestClass: state.requestClass });
    if (failAtEnd) state.logEntry.fault = "fail";
    const operation: OperationRecord = {
      id: randomUUID(),
      kind,
      resourceId: record.id,
      resourceType: record.type,
      subscriptionId: record.subscriptionId,
      namespace: handler.type.split("/")[0]!,
      location: this.locationOf(record),
      apiVersion: state.apiVersion ?? record.apiVersion,
      startedAt: now,
      endsAt: now + operationDurationMs(this.latency, realisticSeconds),
      status: "InProgress",
      failAtEnd: failAtEnd || undefined,
    };
    this.world.operations.set(operation.id, operation);
    const updated = provisioningState !== undefined ? this.setProvisioningState(record, provisioningState) : record;
    this.world.upsert({ ...(this.world.get(updated.id) ?? updated), pendingOperation: { id: operation.id, kind, endsAt: operation.endsAt } });
    this.world.markDirty();
    return operation;
  }

  /** A long-running provider-route operation (no record): completes with the route's result after the latency. */
  private startDetachedOperation(state: RequestState, subscriptionId: string, namespace: string, realisticSeconds: number): OperationRecord {
    const now = Date.now();
    const failAtEnd = this.faults.onOperationStart({ method: state.method, path: state.url.pathname, requestClass: state.requestClass });
    if (failAtEnd) state.logEntry.fault = "fail";
    const locationSegment = state.segments.findIndex((segment) => sameText(segment, "locations"));
    const location = locationSegment >= 0 && state.segments[locationSegment + 1] ? normalizeLocation(state.segments[locationSegment + 1]!) : "global";
    const operation: OperationRecord = {
      id: randomUUID(),
      kind: "action",
      resourceId: state.url.pathname,
      resourceType: `${namespace}/providerAction`,
      subscriptionId,
      namespace,
      location,
      apiVersion: state.apiVersion ?? "",
      startedAt: now,
      endsAt: now + operationDurationMs(this.latency, realisticSeconds),
      status: "InProgress",
      failAtEnd: failAtEnd || undefined,
      detached: true,
    };
    this.world.operations.set(operation.id, operation);
    this.world.markDirty();
    return operation;
  }

  private operationUrl(operation: OperationRecord, shape: "status" | "results" | "resourceGroup"): string {
    const query = `?api-version=${encodeURIComponent(operation.apiVersion)}`;
    if (shape === "resourceGroup") return `${this.endpoint}/subscriptions/${operation.subscriptionId}/operationresults/${operation.id}${query}`;
    const segment = shape === "status" ? OPERATION_STATUS_SEGMENT : OPERATION_RESULTS_SEGMENT;
    return `${this.endpoint}/subscriptions/${operation.subscriptionId}/providers/${operation.namespace}/locations/${operation.location}/${segment}/${operation.id}${query}`;
  }

  /** Completes every operation whose end time has passed, in end-time order. */
  advanceOperations(now = Date.now()): void {
    const due = [...this.world.operations.values()].filter((operation) => operation.status === "InProgress" && operation.endsAt <= now);
    due.sort((a, b) => a.endsAt - b.endsAt);
    for (const operation of due) this.finishOperation(operation, now);
    if (due.length > 0) this.world.saveIfDirty();
  }

  private finishOperation(operation: OperationRecord, now: number): void {
    operation.finishedAt = now;
    this.world.markDirty();
    if (operation.detached) {
      if (operation.failAtEnd) {
        operation.status = "Failed";
        // A detached operation may carry its own error (a failed precondition on a private DNS zone).
        operation.error ??= { code: "InternalServerError", message: "An unexpected error occurred while processing the operation (fault injected by the emulator)." };
      } else operation.status = "Succeeded";
      return;
    }
    const record = this.world.get(operation.resourceId);
    const owned = record?.pendingOperation?.id === operation.id;
    if (!record || !owned) {
      // The resource went away (or another write replaced this operation): the operation is moot.
      operation.status = operation.kind === "delete" ? "Succeeded" : "Canceled";
      return;
    }
    const handler = this.handlerFor(record.type);
    if (operation.failAtEnd) {
      operation.status = "Failed";
      operation.error = operation.failure ?? {
        code: "InternalServerError",
        message: "An unexpected error occurred while processing the operation (fault injected by the emulator).",
      };
      const failed = this.setProvisioningState(record, "Failed");
      this.world.upsert({ ...failed, pendingOperation: undefined });
      return;
    }
    if (operation.kind === "delete") {
      this.deleteNow(record, operation.deleteQuery);
      operation.status = "Succeeded";
      return;
    }
    const cleared = this.world.upsert({ ...record, pendingOperation: undefined });
    const succeeded = operation.kind === "action" ? cleared : this.setProvisioningState(cleared, "Succeeded");
    operation.status = "Succeeded";
    if (operation.kind !== "action" && handler) {
      try {
        this.runSucceeded(handler, succeeded);
      } catch (error) {
        operation.status = "Failed";
        operation.error = error instanceof ArmError ? { code: error.code, message: error.message } : { code: "InternalServerError", message: String(error) };
        this.setProvisioningState(this.world.get(succeeded.id) ?? succeeded, "Failed");
      }
    }
  }

  private runSucceeded(handler: ResourceTypeHandler, record: ResourceRecord): void {
    if (!handler.onSucceeded) return;
    const ctx = this.context(record.subscriptionId, record.id, record.name, record.resourceGroup, record.apiVersion);
    handler.onSucceeded(ctx, record);
  }

  /** Deletes a record and everything below it now, calling each handler's onDeleted, children first. */
  private deleteNow(record: ResourceRecord, deleteQuery?: Record<string, string>): void {
    const doomed = [...this.world.descendants(record.id), record];
    for (const item of doomed) {
      const current = this.world.get(item.id);
      if (!current) continue;
      this.world.remove(current.id);
      const handler = this.handlerFor(current.type);
      if (handler?.onDeleted) {
        try {
          const ctx = this.context(current.subscriptionId, current.id, current.name, current.resourceGroup, current.apiVersion);
          // The query applies to the resource the request named, not to its children.
          if (deleteQuery && current.id === record.id) ctx.deleteQuery = deleteQuery;
          handler.onDeleted(ctx, current);
        } catch (error) {
          this.log(`emulator: onDeleted of ${current.id} failed: ${(error as Error).message}`);
        }
      }
    }
  }

  private operationStatus(operationId: string, subscriptionId: string): Reply {
    const operation = this.world.operations.get(operationId);
    if (!operation || !sameText(operation.subscriptionId, subscriptionId)) {
      throw new ArmError(404, "OperationNotFound", `The operation '${operationId}' could not be found.`);
    }
    const body: JsonObject = {
      id: `/subscriptions/${operation.subscriptionId}/providers/${operation.namespace}/locations/${operation.location}/${OPERATION_STATUS_SEGMENT}/${operation.id}`,
      name: operation.id,
      status: operation.status,
      startTime: new Date(operation.startedAt).toISOString(),
    };
    if (operation.finishedAt !== undefined) body.endTime = new Date(operation.finishedAt).toISOString();
    if (operation.error) body.error = { code: operation.error.code, message: operation.error.message };
    const headers: Record<string, string> = {};
    if (operation.status === "InProgress") {
      this.setRetryAfter(headers, operation);
    }
    return { status: 200, body, headers };
  }

  private operationResult(operationId: string, subscriptionId: string): Reply {
    const operation = this.world.operations.get(operationId);
    if (!operation || !sameText(operation.subscriptionId, subscriptionId)) {
      throw new ArmError(404, "OperationNotFound", `The operation '${operationId}' could not be found.`);
    }
    if (operation.status === "InProgress") {
      const headers: Record<string, string> = {};
      const isGroup = sameText(operation.resourceType, RESOURCE_GROUP_TYPE);
      headers.Location = this.operationUrl(operation, isGroup ? "resourceGroup" : "results");
      this.setRetryAfter(headers, operation, isGroup ? RESOURCE_GROUP_RETRY_AFTER_SECONDS : undefined);
      return { status: 202, headers };
    }
    if (operation.status === "Failed") {
      const error = operation.error ?? { code: "InternalServerError", message: "The operation failed." };
      // 400 rather than 500: the SDK's retry policy would re-poll a 5xx several times before failing.
      return { status: 400, body: armErrorBody(new ArmError(400, error.code, error.message)) };
    }
    if (operation.kind === "delete") return { status: 204 };
    if (operation.kind === "action") {
      // 200 even without a result: the TypeSpec-generated SDKs (arm-keyvault 5, arm-compute 24) accept only the
      // statuses the operation's spec lists for a poll (200/202 for actions), not 204.
      return operation.result === undefined || operation.result === null ? { status: 200 } : { status: operation.resultStatus ?? 200, body: operation.result };
    }
    const record = this.world.get(operation.resourceId);
    if (!record) return { status: 204 };
    // Rendered for the api-version of the request that started the operation (the poll URL carries it).
    return { status: 200, body: this.viewOf(record, operation.apiVersion) };
  }

  // ---------------------------------------------------------------- spec validation

  private requestUrl(state: RequestState): string {
    return `${this.endpoint}${state.url.pathname}${state.url.search}`;
  }

  private async validateRequest(state: RequestState): Promise<void> {
    if (!this.validator || state.body === undefined) return;
    const findings = await this.validator.validateRequest({ method: state.method, url: this.requestUrl(state), headers: state.headers, body: state.body });
    if (findings.length === 0) return;
    this.recordFindings({ time: new Date().toISOString(), direction: "request", method: state.method, path: state.url.pathname, apiVersion: state.apiVersion, findings });
    const nameRuleErrors = findings.filter((finding) => finding.severity === "error" && isNameRuleFinding(finding));
    if (nameRuleErrors.length > 0) state.nameRuleErrors = nameRuleErrors;
    const errors = findings.filter((finding) => finding.severity === "error" && !isNameRuleFinding(finding));
    if (errors.length === 0) return;
    state.skipResponseValidation = true;
    throw new ArmError(
      400,
      "InvalidRequestContent",
      `The request content was invalid against the REST API specification: ${errors.map((finding) => `${finding.path}: ${finding.message}`).join("; ")}`,
      errors.map((finding) => ({ code: finding.code, message: finding.message, target: finding.path })),
    );
  }

  private async validateResponse(state: RequestState, reply: Reply): Promise<void> {
    if (!this.validator) return;
    try {
      const wire = wireResponse(reply, state.method);
      const findings = await this.validator.validateResponse({
        method: state.method,
        url: this.requestUrl(state),
        status: reply.status,
        headers: Object.fromEntries(Object.entries(wire.headers).map(([key, value]) => [key.toLowerCase(), value])),
        // The body as the client parses it (none for HEAD and 204).
        body: wire.payload === undefined ? undefined : (JSON.parse(wire.payload) as Json),
      });
      if (findings.length > 0) {
        this.recordFindings({
          time: new Date().toISOString(),
          direction: "response",
          method: state.method,
          path: state.url.pathname,
          apiVersion: state.apiVersion,
          status: reply.status,
          findings,
        });
      }
    } catch (error) {
      this.log(`emulator: response validation failed: ${(error as Error).message}`);
    }
  }

  /** The provider accepted a name Azure's spec forbids: an emulator bug that tests must see. */
  private recordLeniency(state: RequestState, reply: Reply, nameRuleErrors: SpecFinding[]): void {
    this.recordFindings({
      time: new Date().toISOString(),
      direction: "response",
      method: state.method,
      path: state.url.pathname,
      apiVersion: state.apiVersion,
      status: reply.status,
      findings: nameRuleErrors.map((finding) => ({
        severity: "error",
        code: LENIENT_NAME_RULE,
        message: `The emulator accepted (HTTP ${reply.status}) a name that breaks the spec (${finding.code}: ${finding.message}); Azure's resource provider refuses it with its own error code, so the emulator's provider is too lenient.`,
        path: finding.path,
        operationId: finding.operationId,
        specApiVersion: finding.specApiVersion,
      })),
    });
  }

  private recordFindings(entry: SpecFindingEntry): void {
    this.specFindings.push(entry);
    for (const finding of entry.findings) {
      this.log(
        `spec ${finding.severity} (${entry.direction} ${entry.method} ${entry.path} api-version=${entry.apiVersion ?? "?"}${entry.status !== undefined ? ` status=${entry.status}` : ""}): ${finding.code} at ${finding.path}: ${finding.message}`,
      );
    }
  }

  // ---------------------------------------------------------------- /_emulator/

  private async introspect(method: string, segments: string[], rawBody: string, url: URL): Promise<Reply> {
    const route = `${method} ${segments.join("/").toLowerCase()}`;
    const parseBody = (): JsonObject => {
      try {
        const parsed = JSON.parse(rawBody === "" ? "{}" : rawBody) as Json;
        if (isObject(parsed)) return parsed;
      } catch {
        // fall through
      }
      throw new ArmError(400, "InvalidRequestContent", "The body must be a JSON object.");
    };
    try {
      switch (route) {
        case "GET health":
          return {
            status: 200,
            body: {
              status: "ok",
              endpoint: this.endpoint,
              latency: this.latency.profile,
              timeScale: this.latency.timeScale,
              specValidation: this.validator !== undefined,
            },
          };
        case "GET requests":
          return { status: 200, body: { value: this.requestLog as unknown as Json[] } };
        case "DELETE requests":
          this.requestLog.length = 0;
          return { status: 204 };
        case "GET resources":
          this.advanceOperations();
          return {
            status: 200,
            body: {
              value: this.world.all().map((record) => ({ ...record, body: this.viewOf(record, undefined) })) as unknown as Json[],
              softDeleted: this.world.softDeletedDump(),
              takenNames: this.world.listTakenNames(),
            },
          };
        case "GET operations":
          return { status: 200, body: { value: [...this.world.operations.values()] as unknown as Json[] } };
        case "GET spec-findings":
          return { status: 200, body: { enabled: this.validator !== undefined, value: this.specFindings as unknown as Json[] } };
        case "DELETE spec-findings":
          this.specFindings.length = 0;
          return { status: 204 };
        case "GET faults":
          return { status: 200, body: this.faults.describe() as unknown as Json };
        case "POST faults":
        case "PUT faults": {
          const body = parseBody();
          const spec = typeof body.spec === "string" ? body.spec : undefined;
          if (spec === undefined) throw new ArmError(400, "InvalidRequestContent", 'Expected {"spec": "..."}.');
          let parsed: FaultSpec;
          try {
            parsed = parseFaultSpec(spec);
          } catch (error) {
            throw new ArmError(400, "InvalidFaultSpec", (error as Error).message);
          }
          this.faults.set(parsed);
          return { status: 200, body: this.faults.describe() as unknown as Json };
        }
        case "DELETE faults":
          this.faults.set(parseFaultSpec(""));
          return { status: 204 };
        case "POST principals": {
          // A directory principal made outside ARM (by Microsoft Graph), already replicated: role assignments find it.
          const body = parseBody();
          if (typeof body.principalId !== "string" || !isGuid(body.principalId)) {
            throw new ArmError(400, "InvalidRequestContent", 'Expected {"principalId": "<GUID>", "principalType"?: "User|Group|ServicePrincipal"}.');
          }
          const principalType = body.principalType ?? "ServicePrincipal";
          if (principalType !== "User" && principalType !== "Group" && principalType !== "ServicePrincipal") {
            throw new ArmError(400, "InvalidRequestContent", "principalType must be User, Group or ServicePrincipal.");
          }
          seedPrincipal(this.world, body.principalId, principalType);
          this.world.saveIfDirty();
          return { status: 204 };
        }
        case "GET taken-names":
          return { status: 200, body: this.world.listTakenNames() };
        case "POST taken-names": {
          const body = parseBody();
          if (typeof body.kind !== "string" || typeof body.name !== "string" || body.kind === "" || body.name === "") {
            throw new ArmError(400, "InvalidRequestContent", 'Expected {"kind": "storage|keyvault|registry|...", "name": "..."}.');
          }
          this.world.seedTakenName(body.kind, body.name);
          this.world.saveIfDirty();
          return { status: 204 };
        }
        default:
          return {
            status: 404,
            body: armErrorBody(new ArmError(404, "NotFound", `No emulator route ${method} ${url.pathname}.`)),
          };
      }
    } catch (error) {
      return this.errorReply(error);
    }
  }
}

/** Lower-cased IDs of the storage accounts a private endpoint connects to. */
function storageTargetsOf(record: ResourceRecord): string[] {
  const properties = isObject(record.body.properties) ? record.body.properties : {};
  const targets: string[] = [];
  for (const key of ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"]) {
    const connections = properties[key];
    if (!Array.isArray(connections)) continue;
    for (const connection of connections) {
      const inner = isObject(connection) && isObject(connection.properties) ? connection.properties : {};
      const target = inner.privateLinkServiceId;
      if (typeof target === "string" && /\/providers\/Microsoft\.Storage\/storageAccounts\//i.test(target)) targets.push(idKey(target));
    }
  }
  return targets;
}

/**
 * ARM refuses a request body over 4 MB (Microsoft's ARM template limits: "template ... can't exceed
 * 4 MB", "The parameter file is also limited to 4 MB"; the front door answers 413
 * RequestEntityTooLarge). The emulator does the same, and never holds more than the limit in memory.
 */
export const MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;

function readBody(req: IncomingMessage, limit: number): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      // Past the limit the rest is read and dropped (so the client gets the answer), never kept.
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => resolve({ text: tooLarge ? "" : Buffer.concat(chunks).toString("utf8"), tooLarge }));
    req.on("error", reject);
  });
}

/**
 * The headers and payload exactly as `send` puts them on the wire. Response validation uses the same
 * function, so what is validated is what the client receives (a body always goes with
 * `Content-Type: application/json`; oav would read a body without it as application/octet-stream).
 */
export function wireResponse(reply: { status: number; body?: Json; headers?: Record<string, string> }, method: string): { headers: Record<string, string>; payload?: string } {
  const headers: Record<string, string> = { "x-ms-request-id": randomUUID(), ...(reply.headers ?? {}) };
  headers["x-ms-correlation-request-id"] = headers["x-ms-request-id"]!;
  let payload: string | undefined;
  if (reply.body !== undefined && reply.status !== 204 && method !== "HEAD") {
    payload = JSON.stringify(reply.body);
    headers["Content-Type"] = "application/json; charset=utf-8";
    headers["Content-Length"] = String(Buffer.byteLength(payload));
  } else {
    headers["Content-Length"] = "0";
  }
  return payload === undefined ? { headers } : { headers, payload };
}

function send(res: ServerResponse, reply: Reply, method: string): void {
  if (res.destroyed) return;
  const { headers, payload } = wireResponse(reply, method);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** Loads src/emulator/spec-validation.ts if present; a missing module or specs folder turns validation off. */
async function loadValidator(log: (line: string) => void): Promise<{ validator?: SpecValidator; note: string }> {
  const modulePath = "./spec-validation.js";
  let loaded: unknown;
  try {
    loaded = await import(modulePath);
  } catch (error) {
    return { note: `spec validation off: the validation module could not be loaded (${(error as Error).message})` };
  }
  const module = loaded as { findSpecRoot?: unknown; loadSpecValidator?: unknown };
  if (typeof module.findSpecRoot !== "function" || typeof module.loadSpecValidator !== "function") {
    return { note: "spec validation off: the validation module does not export findSpecRoot/loadSpecValidator" };
  }
  const root = (module.findSpecRoot as () => string | undefined)();
  if (root === undefined) return { note: "spec validation off: Microsoft's ARM specs folder was not found" };
  try {
    const validator = await (module.loadSpecValidator as (specRoot?: string) => Promise<SpecValidator | undefined>)(root);
    if (!validator) return { note: `spec validation off: no validator could be built from ${root}` };
    return { validator, note: `spec validation on (specs: ${root})` };
  } catch (error) {
    log(`emulator: spec validator failed to load: ${(error as Error).stack ?? String(error)}`);
    return { note: `spec validation off: the validator failed to load (${(error as Error).message})` };
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
