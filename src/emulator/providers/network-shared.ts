// Shared pieces of the Microsoft.Network handlers: type names, body helpers and the private IP allocation of a subnet.
// Part of the Microsoft.Network provider (network.ts); rules and sources: docs/emulator-network.md.
import { asArray, asObject, asString, isObject, sameRegion, sameText } from "../core/common.js";
import type { HandlerContext, Json, JsonObject, ResourceRecord, ResourceStore, WriteRequest } from "../types.js";
import {
  badRequest,
  clone,
  invalidReference,
  ipv4ToNumber,
  isIpv6Prefix,
  lastSegment,
  locationAndTags,
  numberToIpv4,
  parseIpv4Prefix,
  patchBase,
  propertiesOf,
  refId,
  subnetPrefixes,
  vnetIdOfSubnet,
  weakEtag,
  type Ipv4Range,
} from "./network-common.js";

export const VNET = "Microsoft.Network/virtualNetworks";
export const SUBNET = "Microsoft.Network/virtualNetworks/subnets";
export const PUBLIC_IP = "Microsoft.Network/publicIPAddresses";
export const BASTION = "Microsoft.Network/bastionHosts";
export const NIC = "Microsoft.Network/networkInterfaces";
export const NSG = "Microsoft.Network/networkSecurityGroups";
export const SECURITY_RULE = "Microsoft.Network/networkSecurityGroups/securityRules";
export const PRIVATE_ENDPOINT = "Microsoft.Network/privateEndpoints";
export const ZONE_GROUP = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
export const PRIVATE_DNS_ZONE = "Microsoft.Network/privateDnsZones";
export const A_RECORD = "Microsoft.Network/privateDnsZones/A";
export const ML_COMPUTE = "Microsoft.MachineLearningServices/workspaces/computes";
export const VIRTUAL_MACHINE = "Microsoft.Compute/virtualMachines";

/** Resource types whose records can hold a subnet (the "in use" search). */
export const SUBNET_USER_TYPES = [NIC, PRIVATE_ENDPOINT, BASTION, ML_COMPUTE] as const;

export const BASTION_SUBNET_NAME = "AzureBastionSubnet";
/** Azure's smallest IPv4 subnet is a /29 (8 addresses, 5 of them reserved). */
export const SMALLEST_SUBNET_PREFIX = 29;
export const BASTION_MAX_PREFIX_LENGTH = 26;
/** TTL Azure gives the A records that a private DNS zone group writes. */
export const ZONE_GROUP_RECORD_TTL = 10;

// ---------------------------------------------------------------------------------------------
// Generic pieces

export function baseBody(ctx: HandlerContext, req: WriteRequest): JsonObject {
  const body = locationAndTags(req.body, req.existing);
  body.etag = weakEtag(ctx.guid());
  return body;
}

export function resourceGuidOf(ctx: HandlerContext, existing: ResourceRecord | undefined): string {
  return asString(propertiesOf(existing?.body).resourceGuid) ?? ctx.guid();
}

/** UpdateTags (PATCH with `{ tags }`), the only PATCH the network types have. */
export function patchTags(ctx: HandlerContext, req: WriteRequest & { existing: ResourceRecord }): JsonObject {
  const body = patchBase(req.existing, req.body.tags);
  body.etag = weakEtag(ctx.guid());
  return body;
}

export function requireRecord(store: ResourceStore, id: string | undefined, referringId: string): ResourceRecord {
  const record = id ? store.get(id) : undefined;
  if (!record || !id) throw invalidReference(id ?? "(missing id)", referringId);
  return record;
}

/** A full child body as Azure shows it inline and at its own URL. */
export function childBody(id: string, name: string, type: string, etag: string, properties: JsonObject): JsonObject {
  return { id, name, type, etag, properties: { ...properties, provisioningState: "Succeeded" } };
}

/** Compares two child property sets, ignoring provisioningState and read-only composed fields. */
export function sameChildProperties(a: JsonObject, b: JsonObject): boolean {
  const strip = (value: JsonObject) => {
    const copy = clone(value);
    delete copy.provisioningState;
    delete copy.ipConfigurations;
    delete copy.privateEndpoints;
    return JSON.stringify(sortKeys(copy));
  };
  return strip(a) === strip(b);
}

export function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObject(value)) {
    const sorted: JsonObject = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key] as Json);
    return sorted;
  }
  return value;
}

export function matchEnum(value: string, allowed: readonly string[], field: string): string {
  const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (!match) throw badRequest("InvalidRequestFormat", `Cannot parse the request: ${field} '${value}' is not one of ${allowed.join(", ")}.`);
  return match;
}

// ---------------------------------------------------------------------------------------------
// Private IP allocation (NICs and private endpoints share a subnet's address pool)

export function usedAddresses(store: ResourceStore, subnetId: string, exceptIds: readonly string[]): Set<number> {
  const used = new Set<number>();
  const needle = subnetId.toLowerCase();
  const skip = new Set(exceptIds.map((id) => id.toLowerCase()));
  const add = (address: string | undefined) => {
    if (address && /^\d+\.\d+\.\d+\.\d+$/.test(address)) used.add(ipv4ToNumber(address));
  };
  for (const nic of store.listByType(NIC)) {
    if (skip.has(nic.id.toLowerCase())) continue;
    for (const configuration of asArray(propertiesOf(nic.body).ipConfigurations)) {
      const properties = propertiesOf(asObject(configuration));
      if (refId(properties.subnet)?.toLowerCase() === needle) add(asString(properties.privateIPAddress));
    }
  }
  for (const endpoint of store.listByType(PRIVATE_ENDPOINT)) {
    if (skip.has(endpoint.id.toLowerCase())) continue;
    const properties = propertiesOf(endpoint.body);
    if (refId(properties.subnet)?.toLowerCase() !== needle) continue;
    for (const config of asArray(properties.customDnsConfigs)) for (const address of asArray(asObject(config).ipAddresses)) add(asString(address));
  }
  return used;
}

/**
 * Azure reserves the first four addresses and the last one of every subnet; the rest are handed out
 * lowest first.
 */
export function allocateAddresses(store: ResourceStore, subnet: ResourceRecord, count: number, exceptIds: readonly string[], alsoUsed: readonly string[] = []): string[] {
  const ranges = subnetRanges(subnet.id, propertiesOf(subnet.body));
  const used = usedAddresses(store, subnet.id, exceptIds);
  for (const address of alsoUsed) used.add(ipv4ToNumber(address));
  const result: string[] = [];
  for (const range of ranges) {
    for (let candidate = range.start + 4; candidate < range.end && result.length < count; candidate += 1) {
      if (!used.has(candidate)) {
        used.add(candidate);
        result.push(numberToIpv4(candidate));
      }
    }
  }
  if (result.length < count) {
    throw badRequest(
      "SubnetIsFull",
      `Subnet ${subnet.name} with address prefix ${subnetPrefixes(propertiesOf(subnet.body)).join(", ")} does not have enough capacity for ${count} IP addresses.`,
    );
  }
  return result;
}

export function subnetOf(store: ResourceStore, subnetId: string | undefined, referringId: string, location: string | undefined): ResourceRecord {
  const subnet = requireRecord(store, subnetId, referringId);
  if (!sameText(subnet.type, SUBNET)) throw invalidReference(subnet.id, referringId);
  const vnet = store.get(vnetIdOfSubnet(subnet.id) ?? "");
  // Network RP resolves references only within the referring resource's region.
  if (!vnet || !sameRegion(asString(vnet.body.location), location)) throw invalidReference(subnet.id, referringId);
  return subnet;
}

/** The IPv4 ranges of a subnet (IPv6 prefixes are accepted without range checks); smaller than /29 is refused. */
export function subnetRanges(subnetId: string, properties: JsonObject): Ipv4Range[] {
  const name = lastSegment(subnetId);
  const ranges: Ipv4Range[] = [];
  for (const prefix of subnetPrefixes(properties)) {
    if (isIpv6Prefix(prefix)) continue;
    const range = parseIpv4Prefix(prefix, subnetId);
    if (range.prefixLength > SMALLEST_SUBNET_PREFIX) {
      throw badRequest(
        "NetcfgInvalidSubnet",
        `Subnet ${name} is not valid in virtual network ${lastSegment(vnetIdOfSubnet(subnetId) ?? "")}: the prefix ${prefix} is smaller than the smallest supported subnet (/29).`,
      );
    }
    ranges.push(range);
  }
  return ranges;
}

// ---------------------------------------------------------------------------------------------
// Read-only back-references a view composes (who uses this resource)

/** The records of `type` whose `properties[field]` refers to `id`. */
export function referringRecords(store: ResourceStore, type: string, field: string, id: string): ResourceRecord[] {
  const needle = id.toLowerCase();
  return store.listByType(type).filter((record) => refId(propertiesOf(record.body)[field])?.toLowerCase() === needle);
}

/** The ip configurations of `records` whose `properties[field]` refers to `id`, each with its record. */
export function referringIpConfigurations(records: readonly ResourceRecord[], field: string, id: string): Array<{ record: ResourceRecord; configuration: JsonObject }> {
  const needle = id.toLowerCase();
  const found: Array<{ record: ResourceRecord; configuration: JsonObject }> = [];
  for (const record of records) {
    for (const item of asArray(propertiesOf(record.body).ipConfigurations)) {
      const configuration = asObject(item);
      if (refId(propertiesOf(configuration)[field])?.toLowerCase() === needle) found.push({ record, configuration });
    }
  }
  return found;
}

/** Sets a read-only list of references, or leaves it out when empty (Azure shows none then). */
export function setReferences(properties: JsonObject, key: string, references: Json[]): void {
  if (references.length > 0) properties[key] = references;
  else delete properties[key];
}
