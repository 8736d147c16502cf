// Helpers shared by the service providers (storage, key vault, registry, ML, insights, ...).
// Kept out of the core on purpose: these encode service-provider conventions, not ARM's routing.

import { isObject, normalizeLocation, sameId } from "../core/common.js";
import { randomBytes, randomUUID } from "node:crypto";
import { ArmError, type HandlerContext, type Json, type JsonObject, type ResourceRecord, type ResourceStore } from "../types.js";

/** The emulated world's single Entra tenant (the core's constant): identities and key vaults report it. */
export { EMULATOR_TENANT_ID } from "./resources.js";

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The object under `key`, or an empty object (never undefined) for optional sections. */
export function section(parent: JsonObject | undefined, key: string): JsonObject {
  const value = parent?.[key];
  return isObject(value) ? value : {};
}

/** Applies `edit` to the body's `properties` section (an empty one when missing) and stores it back; returns the body. */
export function editProperties(body: JsonObject, edit: (properties: JsonObject) => void): JsonObject {
  const properties = section(body, "properties");
  edit(properties);
  body.properties = properties;
  return body;
}

export function optionalString(parent: JsonObject | undefined, key: string): string | undefined {
  const value = parent?.[key];
  return typeof value === "string" ? value : undefined;
}

export function optionalBoolean(parent: JsonObject | undefined, key: string): boolean | undefined {
  const value = parent?.[key];
  return typeof value === "boolean" ? value : undefined;
}

export function optionalNumber(parent: JsonObject | undefined, key: string): number | undefined {
  const value = parent?.[key];
  return typeof value === "number" ? value : undefined;
}

/** Deep copy of a JSON value, so stored bodies never alias request bodies. */
export function clone<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * JSON merge patch (RFC 7396), the semantics ARM's PATCH operations use for nested objects:
 * objects merge key by key, `null` removes, arrays and scalars replace.
 */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Drops undefined entries so bodies only carry what is set. */
export function compact(entries: Record<string, Json | undefined>): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) result[key] = value;
  return result;
}

/**
 * The body a PATCH of a service type builds from: the stored body with the patchable sections merged in
 * (JSON merge patch, undefined sections left out); `tags` replaced when the request gives an object, else kept.
 */
export function patchedBody(current: JsonObject, sections: Record<string, Json | undefined>, requestedTags: Json | undefined): JsonObject {
  const merged = mergePatch(current, compact(sections));
  const body: JsonObject = isObject(merged) ? merged : clone(current);
  body.tags = isObject(requestedTags) ? clone(requestedTags) : isObject(current.tags) ? clone(current.tags) : {};
  return body;
}

export function requireLocation(body: JsonObject): string {
  const location = normalizeLocation(optionalString(body, "location"));
  if (!location) {
    throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
  }
  return location;
}

export function tagsOf(body: JsonObject, existing?: ResourceRecord): JsonObject | undefined {
  if (isObject(body.tags)) return clone(body.tags);
  if (body.tags === undefined && existing && isObject(existing.body.tags)) return clone(existing.body.tags);
  return undefined;
}

/**
 * Private endpoint connections are written into a target's body by the network provider (through
 * the store) when a private endpoint to it is created. A PUT or PATCH of the target does not carry
 * them, so every rebuild keeps the stored list, as Azure does.
 */
export function keptPrivateEndpointConnections(existing: ResourceRecord | undefined): Json[] {
  const connections = section(existing?.body, "properties").privateEndpointConnections;
  return Array.isArray(connections) ? clone(connections) : [];
}

/** Checks an enum value (case-insensitively, as the RPs do) and returns Azure's canonical casing. */
export function enumValue(value: string | undefined, allowed: readonly string[], onInvalid: (value: string) => ArmError): string | undefined {
  if (value === undefined) return undefined;
  const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (!match) throw onInvalid(value);
  return match;
}

/** A random account key in Azure's format (64 random bytes, base64: 88 characters). Never logged. */
export function randomAccountKey(): string {
  return randomBytes(64).toString("base64");
}

/** A random registry password (32 random bytes, base64 without padding, as ACR's look). Never logged. */
export function randomRegistryPassword(): string {
  return randomBytes(32).toString("base64").replace(/=+$/, "").replace(/[+/]/g, "A");
}

export function newGuid(ctx?: Pick<HandlerContext, "guid">): string {
  return ctx ? ctx.guid() : randomUUID();
}

/** Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{child}/{name}...]`. */
export interface ParsedResourceId {
  subscriptionId?: string;
  resourceGroup?: string;
  /** Full type, e.g. "Microsoft.Network/virtualNetworks/subnets"; undefined for a group or subscription. */
  type?: string;
  name?: string;
}

export function parseResourceId(id: string): ParsedResourceId {
  const parts = id.split("/").filter((part) => part.length > 0);
  const result: ParsedResourceId = {};
  let index = 0;
  if (parts[index]?.toLowerCase() === "subscriptions") {
    result.subscriptionId = parts[index + 1];
    index += 2;
  }
  if (parts[index]?.toLowerCase() === "resourcegroups") {
    result.resourceGroup = parts[index + 1];
    index += 2;
  }
  // The last `providers/{namespace}` segment decides the type (extension resources nest providers).
  let providersAt = -1;
  for (let i = index; i < parts.length; i++) if (parts[i]!.toLowerCase() === "providers") providersAt = i;
  if (providersAt >= 0 && parts.length > providersAt + 3) {
    const namespace = parts[providersAt + 1];
    const rest = parts.slice(providersAt + 2);
    const typeSegments: string[] = [];
    for (let i = 0; i < rest.length; i += 2) typeSegments.push(rest[i]!);
    result.type = [namespace, ...typeSegments].join("/");
    result.name = rest.length % 2 === 0 ? rest[rest.length - 1] : undefined;
  }
  return result;
}

/**
 * The record a reference points at, when it exists and has the expected type. Records still being
 * deleted count as absent.
 */
export function resolveReference(store: ResourceStore, id: string, expectedType: string): ResourceRecord | undefined {
  const record = store.get(id);
  if (!record) return undefined;
  if (record.type.toLowerCase() !== expectedType.toLowerCase()) return undefined;
  if (record.pendingOperation?.kind === "delete") return undefined;
  return record;
}

/** Every record of a type across the whole emulated world (all subscriptions). */
export function allOfType(store: ResourceStore, type: string): ResourceRecord[] {
  return store.listByType(type);
}

/** Same name (case-insensitive) held by another resource of the same type than `selfId`. */
export function otherHolderOfName(store: ResourceStore, type: string, name: string, selfId: string): ResourceRecord | undefined {
  return allOfType(store, type).find((record) => record.name.toLowerCase() === name.toLowerCase() && !sameId(record.id, selfId));
}

export function nowIso(ctx: Pick<HandlerContext, "now">): string {
  return ctx.now().toISOString();
}

/** Rebuilds a stored record with a new body (for side effects after an operation completes). */
export function replaceBody(store: ResourceStore, record: ResourceRecord, body: JsonObject): ResourceRecord {
  return store.upsert({ ...record, body });
}

/** ARM's `InvalidParameter`-style error with a target, as Compute and several RPs return. */
export function invalidParameter(message: string, target: string, code = "InvalidParameter"): ArmError {
  return new ArmError(400, code, message, [{ code, message, target }]);
}

/** A provider-level request body's field, with the RPs' usual "missing" message. */
export function requiredString(body: JsonObject, key: string, code: string, message: string): string {
  const value = optionalString(body, key);
  if (value === undefined || value.length === 0) throw new ArmError(400, code, message);
  return value;
}
