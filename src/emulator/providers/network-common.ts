// Helpers shared by the Microsoft.Network providers (network.ts, privatedns.ts): the family's body shapes,
// resource-ID pieces, IPv4 prefix arithmetic and Azure's error shapes for references (generic JSON
// narrowing and comparisons: ../core/common.ts).
import { asArray, asObject, asString, isObject } from "../core/common.js";
import ipaddr from "ipaddr.js";
import { ArmError, type Json, type JsonObject, type ResourceRecord, type ResourceStore } from "../types.js";

/** api-versions accepted for Microsoft.Network types: the SDK's (arm-network 36) and the specs'. */
// 2020-07-01 and 2018-09-01 (private DNS): the Azure CLI recordings (test/fixtures/recordings); Azure still accepts them.
export const NETWORK_API_VERSIONS = ["2020-07-01", "2025-05-01", "2024-07-01", "2024-05-01", "2024-03-01", "2024-01-01", "2023-11-01", "2023-09-01"];
/** api-versions accepted for private DNS: the SDK's (arm-privatedns 3.2) and the specs'. */
export const PRIVATE_DNS_API_VERSIONS = ["2018-09-01", "2020-06-01", "2024-06-01"];

/** Long-running PUT and DELETE answered with an Azure-AsyncOperation header, as both Network RPs do. */
// Microsoft.Network answers a create 201 with provisioningState "Updating" (not "Creating"), as recorded.
export const ASYNC_LRO = { put: "async", delete: "async", header: "Azure-AsyncOperation", pendingState: { create: "Updating" } } as const;
/** Private DNS zones and links: writes answered 202, no body, both Azure-AsyncOperation and Location (recorded). */
export const PRIVATE_DNS_LRO = { put: "async", delete: "async", header: "Azure-AsyncOperation", acceptedWrites: true } as const;

export function badRequest(code: string, message: string): ArmError {
  return new ArmError(400, code, message);
}

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** `properties` of a body (a copy-free view; never mutate the stored one in place). */
export function propertiesOf(body: JsonObject | undefined): JsonObject {
  return asObject(body?.properties);
}

/** The `id` of a `{ id }` sub-resource reference, when present. */
export function refId(value: Json | undefined): string | undefined {
  return asString(asObject(value).id);
}

/** `location` and `tags` of a tracked resource's new body: from the request, else kept from the stored one. */
export function locationAndTags(body: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const result: JsonObject = {};
  const location = asString(body.location) ?? asString(existing?.body.location);
  if (location !== undefined) result.location = location;
  const tags = body.tags ?? existing?.body.tags;
  if (isObject(tags)) result.tags = clone(tags);
  return result;
}

/**
 * The stored body as a PATCH (UpdateTags) starts from: a copy without the core's id/name/type and the
 * properties' provisioningState, with `tags` replaced when the request gives them.
 */
export function patchBase(existing: ResourceRecord, requestedTags: Json | undefined): JsonObject {
  const body = clone(existing.body);
  delete body.id;
  delete body.name;
  delete body.type;
  delete asObject(body.properties).provisioningState;
  if (requestedTags !== undefined) body.tags = isObject(requestedTags) ? clone(requestedTags) : {};
  return body;
}

export function weakEtag(guid: string): string {
  return `W/"${guid}"`;
}

/** The last segment of an ID. */
export function lastSegment(id: string): string {
  const parts = id.replace(/\/+$/, "").split("/");
  return parts[parts.length - 1] ?? "";
}

/** `/subscriptions/{s}/resourceGroups/{rg}` of an ID, or undefined for a subscription-level ID. */
export function resourceGroupIdOf(id: string): string | undefined {
  const match = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)/i.exec(id);
  return match?.[1];
}

export function resourceGroupNameOf(id: string): string | undefined {
  const match = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i.exec(id);
  return match?.[1];
}

/** `Microsoft.Storage/storageAccounts` from `/subscriptions/.../providers/Microsoft.Storage/storageAccounts/x`. */
export function topLevelTypeOf(id: string): string | undefined {
  const match = /\/providers\/([^/]+)\/([^/]+)\/[^/]+$/i.exec(id.replace(/\/+$/, ""));
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** The VNet ID of a subnet ID (`.../virtualNetworks/{v}/subnets/{s}`). */
export function vnetIdOfSubnet(subnetId: string): string | undefined {
  const match = /^(.*\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+)\/subnets\/[^/]+$/i.exec(subnetId.replace(/\/+$/, ""));
  return match?.[1];
}

/**
 * Network RP's answer when a resource refers to one that does not exist, or lives in another region
 * (Microsoft.Network resolves references only within the referring resource's region).
 */
export function invalidReference(referencedId: string, referringId: string): ArmError {
  return new ArmError(
    400,
    "InvalidResourceReference",
    `Resource ${referencedId} referenced by resource ${referringId} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
  );
}

/** True when any string anywhere in `value` equals `needle` (case-insensitively). */
export function mentions(value: Json | undefined, needleLower: string): boolean {
  if (typeof value === "string") return value.toLowerCase() === needleLower;
  if (Array.isArray(value)) return value.some((item) => mentions(item, needleLower));
  if (isObject(value)) return Object.values(value).some((item) => mentions(item, needleLower));
  return false;
}

/** Records of the given types whose body mentions `id` (excluding the records listed in `except`). */
export function recordsReferencing(store: ResourceStore, types: readonly string[], id: string, except: readonly string[] = []): ResourceRecord[] {
  const needle = id.toLowerCase();
  const skip = new Set(except.map((item) => item.toLowerCase()));
  const found: ResourceRecord[] = [];
  for (const type of types) {
    for (const record of store.listByType(type)) {
      if (skip.has(record.id.toLowerCase())) continue;
      if (mentions(record.body, needle)) found.push(record);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// IPv4 prefixes

export interface Ipv4Range {
  text: string;
  /** First address as an unsigned 32-bit number. */
  start: number;
  /** Last address. */
  end: number;
  prefixLength: number;
}

export function ipv4ToNumber(address: string): number {
  const bytes = ipaddr.IPv4.parse(address).toByteArray();
  return (((bytes[0] ?? 0) << 24) >>> 0) + ((bytes[1] ?? 0) << 16) + ((bytes[2] ?? 0) << 8) + (bytes[3] ?? 0);
}

export function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/** True for an IPv6 prefix (accepted, but not range-checked by the emulator). */
export function isIpv6Prefix(text: string): boolean {
  return text.includes(":");
}

/**
 * Parses an IPv4 prefix as Network RP does:
 * - not a prefix at all ("10.0.0/24", "10.0.0.0/33", "abc"): NetcfgInvalidIPAddressPrefix;
 * - host bits set ("10.0.3.5/24"): InvalidCIDRNotation, naming the prefix it should have been.
 */
export function parseIpv4Prefix(text: string, resourceId: string): Ipv4Range {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim());
  const prefixLength = match ? Number(match[2]) : NaN;
  if (!match || !ipaddr.IPv4.isValidFourPartDecimal(match[1] ?? "") || !(prefixLength >= 0 && prefixLength <= 32)) {
    throw new ArmError(
      400,
      "NetcfgInvalidIPAddressPrefix",
      `IP address prefix ${text} of resource ${resourceId} is not valid. The value must be an IPv4 address range in CIDR notation, for example 10.0.0.0/24.`,
    );
  }
  const address = ipv4ToNumber(match[1] ?? "");
  const size = 2 ** (32 - prefixLength);
  const start = address - (address % size);
  if (start !== address) {
    throw new ArmError(
      400,
      "InvalidCIDRNotation",
      `The address prefix ${text} in resource ${resourceId} has an invalid CIDR notation. For the given prefix length, the address prefix should be ${numberToIpv4(start)}/${prefixLength}.`,
    );
  }
  return { text, start, end: start + size - 1, prefixLength };
}

export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function rangeContains(outer: Ipv4Range, inner: Ipv4Range): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

/** The prefixes of a subnet body (`addressPrefix` and/or `addressPrefixes`). */
export function subnetPrefixes(subnetProperties: JsonObject): string[] {
  const list = asArray(subnetProperties.addressPrefixes).filter((item): item is string => typeof item === "string");
  const single = asString(subnetProperties.addressPrefix);
  if (single !== undefined && !list.some((item) => item === single)) list.unshift(single);
  return list;
}
