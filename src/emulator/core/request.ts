// What travels through the core's request pipeline (http.ts -> dispatch.ts -> the route modules): the
// request as parsed, the reply, the services a stage may use, and ARM's generic answers (auth, methods,
// api-versions, not-found) that every route gives the same way.
import { AZURE_REGIONS } from "../../config/regions.js";
import type { FaultInjector, RequestClass } from "../faults.js";
import type { LatencySettings } from "../latency.js";
import { ArmError, type Json, type JsonObject, type SpecFinding } from "../types.js";
import type { SubscriptionWorld } from "../world.js";
import { sameText } from "./common.js";
import type { Operations } from "./operations.js";
import type { ProviderRegistry } from "./registry.js";
import type { Records } from "./records.js";
import type { RequestLog } from "./http.js";
import type { SpecFindings } from "./findings.js";
import { resourceGroupOfId } from "./routing.js";
import type { World } from "./store.js";

export interface Reply {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
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

export interface RequestState {
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

/**
 * The services of one running emulator, built once by ArmEmulator (server.ts). Each stage of the
 * pipeline declares the part it uses (`Pick<EmulatorCore, ...>`), so what a module may touch is visible
 * in its signatures.
 */
export interface EmulatorCore {
  world: World;
  subscriptionWorld: SubscriptionWorld;
  registry: ProviderRegistry;
  records: Records;
  operations: Operations;
  findings: SpecFindings;
  faults: FaultInjector;
  requestLog: RequestLog;
  latency: LatencySettings;
  /** `https://127.0.0.1:PORT`, known once the server listens (operation URLs and messages carry it). */
  endpoint(): string;
  log(line: string): void;
}

export const OPERATION_STATUS_SEGMENT = "operationStatuses";
export const OPERATION_RESULTS_SEGMENT = "operationResults";

/** The fault injector's and the request log's class of a request: a poll, a read, an action or a write. */
export function classify(method: string, segments: string[]): RequestClass {
  const isPoll = segments.some((segment) => sameText(segment, OPERATION_STATUS_SEGMENT) || sameText(segment, OPERATION_RESULTS_SEGMENT)) && method === "GET";
  if (isPoll) return "poll";
  if (method === "GET" || method === "HEAD") return "read";
  if (method === "POST") return "action";
  return "write";
}

/** Query parameters other than api-version, as providers' actions and deletes receive them. */
export function queryOf(state: RequestState): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of state.url.searchParams) if (key !== "api-version") query[key] = value;
  return query;
}

export function armErrorBody(error: ArmError): JsonObject {
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

function typeNameForMessage(record: { id: string }): string {
  const segments = record.id.split("/").filter(Boolean);
  const providersAt = segments.map((segment) => segment.toLowerCase()).lastIndexOf("providers");
  return providersAt >= 0 ? segments.slice(providersAt + 1).join("/") : record.id;
}

export function resourceNotFound(id: string): ArmError {
  const resourceGroup = resourceGroupOfId(id);
  return new ArmError(
    404,
    "ResourceNotFound",
    `The Resource '${typeNameForMessage({ id })}' under resource group '${resourceGroup ?? ""}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function resourceGroupNotFound(name: string): ArmError {
  return new ArmError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
}

export function invalidRequestUri(state: RequestState): ArmError {
  return new ArmError(404, "InvalidRequestUri", `The request URI '${state.url.pathname}' is not a route the emulator serves.`);
}

export function requireMethod(method: string, allowed: string[]): void {
  if (!allowed.includes(method)) {
    throw new ArmError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`);
  }
}

function apiVersionsList(versions: readonly string[]): string {
  return [...versions].sort().reverse().join(", ");
}

/** ARM's own routes (Microsoft.Resources) answer InvalidApiVersionParameter. */
export function requireApiVersion(apiVersion: string | undefined, supported: readonly string[]): void {
  if (apiVersion !== undefined && supported.includes(apiVersion)) return;
  throw new ArmError(400, "InvalidApiVersionParameter", `The api-version '${apiVersion ?? ""}' is invalid. The supported versions are '${apiVersionsList(supported)}'.`);
}

/** Resource-provider types answer NoRegisteredProviderFound, listing the supported versions. */
export function requireTypeApiVersion(apiVersion: string, handler: { type: string; apiVersions: string[] }, location?: string): void {
  if (handler.apiVersions.includes(apiVersion)) return;
  const slash = handler.type.indexOf("/");
  const shortType = handler.type.slice(slash + 1);
  const locations = AZURE_REGIONS.map((region) => region.displayName).join(",");
  throw new ArmError(
    400,
    "NoRegisteredProviderFound",
    `No registered resource provider found for location '${location ?? "global"}' and API version '${apiVersion}' for type '${shortType}'. The supported api-versions are '${apiVersionsList(handler.apiVersions)}'. The supported locations are '${locations}'.`,
  );
}
