// Virtual networks and their subnets (address space, overlaps, delegations, subnets in use).
// Part of the Microsoft.Network provider (network.ts); rules and sources: docs/emulator-network.md.
import { asArray, asObject, asString, isObject, sameRegion, sameText } from "../core/common.js";
import type { ArmError, HandlerContext, Json, JsonObject, ResourceRecord, ResourceStore, ResourceTypeHandler } from "../types.js";
import {
  ASYNC_LRO,
  type Ipv4Range,
  NETWORK_API_VERSIONS,
  badRequest,
  clone,
  invalidReference,
  isIpv6Prefix,
  lastSegment,
  parseIpv4Prefix,
  propertiesOf,
  rangeContains,
  rangesOverlap,
  recordsReferencing,
  refId,
  subnetPrefixes,
  vnetIdOfSubnet,
  weakEtag,
} from "./network-common.js";
import { latencyOf } from "../../durations.js";
import {
  BASTION,
  BASTION_MAX_PREFIX_LENGTH,
  NIC,
  PRIVATE_ENDPOINT,
  SUBNET,
  SUBNET_USER_TYPES,
  VNET,
  baseBody,
  childBody,
  patchTags,
  requireRecord,
  resourceGuidOf,
  sameChildProperties,
  subnetRanges,
  referringIpConfigurations,
  referringRecords,
  setReferences,
} from "./network-shared.js";

// Subnets

export interface SubnetInput {
  name: string;
  properties: JsonObject;
}

export function subnetUsers(store: ResourceStore, subnetId: string): ResourceRecord[] {
  return recordsReferencing(store, SUBNET_USER_TYPES, subnetId);
}

export function inUseSubnetCannotBeDeleted(subnetId: string, users: ResourceRecord[]): ArmError {
  const name = lastSegment(subnetId);
  const user = users.map((record) => record.id).join(", ");
  return badRequest(
    "InUseSubnetCannotBeDeleted",
    `Subnet ${name} is in use by ${user} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.`,
  );
}

/** Validates one subnet's own properties and returns them as Azure stores them. */
export function normalizeSubnetProperties(ctx: HandlerContext, subnetId: string, name: string, input: JsonObject, vnetLocation: string | undefined): JsonObject {
  const prefixes = subnetPrefixes(input);
  if (prefixes.length === 0) {
    throw badRequest("NetcfgInvalidSubnet", `Subnet ${name} is not valid in virtual network ${lastSegment(vnetIdOfSubnet(subnetId) ?? "")}: it has no address prefix.`);
  }
  const properties: JsonObject = {};
  if (asString(input.addressPrefix) !== undefined) properties.addressPrefix = asString(input.addressPrefix) ?? "";
  if (Array.isArray(input.addressPrefixes)) properties.addressPrefixes = clone(input.addressPrefixes);
  const nsgId = refId(input.networkSecurityGroup);
  if (nsgId !== undefined) {
    const nsg = requireRecord(ctx.store, nsgId, subnetId);
    if (vnetLocation !== undefined && !sameRegion(asString(nsg.body.location), vnetLocation)) throw invalidReference(nsgId, subnetId);
    properties.networkSecurityGroup = { id: nsg.id };
  }
  const routeTableId = refId(input.routeTable);
  if (routeTableId !== undefined) properties.routeTable = { id: routeTableId };
  const natGatewayId = refId(input.natGateway);
  if (natGatewayId !== undefined) properties.natGateway = { id: natGatewayId };
  properties.serviceEndpoints = clone(asArray(input.serviceEndpoints));
  properties.delegations = asArray(input.delegations).map((delegation) => {
    const item = asObject(delegation);
    const delegationName = asString(item.name) ?? "delegation";
    return {
      id: `${subnetId}/delegations/${delegationName}`,
      name: delegationName,
      type: "Microsoft.Network/virtualNetworks/subnets/delegations",
      etag: weakEtag(ctx.guid()),
      properties: { ...clone(asObject(item.properties)), provisioningState: "Succeeded" },
    };
  });
  // Azure's defaults since 2020: network policies off for private endpoints, on for private link services.
  properties.privateEndpointNetworkPolicies = asString(input.privateEndpointNetworkPolicies) ?? "Disabled";
  properties.privateLinkServiceNetworkPolicies = asString(input.privateLinkServiceNetworkPolicies) ?? "Enabled";
  if (typeof input.defaultOutboundAccess === "boolean") properties.defaultOutboundAccess = input.defaultOutboundAccess;
  if (asString(input.sharingScope) !== undefined) properties.sharingScope = asString(input.sharingScope) ?? "";
  return properties;
}

/** Parses a subnet's IPv4 prefixes, enforcing the smallest size; IPv6 prefixes pass unchecked. */
export function vnetRanges(vnetId: string, vnetBody: JsonObject): Ipv4Range[] {
  const prefixes = asArray(asObject(propertiesOf(vnetBody).addressSpace).addressPrefixes).filter((item): item is string => typeof item === "string");
  return prefixes.filter((prefix) => !isIpv6Prefix(prefix)).map((prefix) => parseIpv4Prefix(prefix, vnetId));
}

export function checkInsideVnet(subnetId: string, ranges: Ipv4Range[], space: Ipv4Range[], vnetName: string): void {
  for (const range of ranges) {
    if (!space.some((outer) => rangeContains(outer, range))) {
      throw badRequest(
        "NetcfgSubnetRangeOutsideVnet",
        `Subnet '${lastSegment(subnetId)}' is not valid because its IP address range is outside the IP address range of virtual network '${vnetName}'.`,
      );
    }
  }
}

export function checkNoOverlap(subnetId: string, ranges: Ipv4Range[], otherId: string, otherRanges: Ipv4Range[]): void {
  for (const range of ranges) {
    for (const other of otherRanges) {
      if (rangesOverlap(range, other)) {
        throw badRequest(
          "NetcfgSubnetRangesOverlap",
          `Subnet '${lastSegment(subnetId)}' is not valid because its IP address range overlaps with that of an existing subnet '${lastSegment(otherId)}' in virtual network '${lastSegment(vnetIdOfSubnet(subnetId) ?? "")}'.`,
        );
      }
    }
  }
}

/** Rules for a subnet whose users already exist: Bastion's size, and no range change under users. */
export function checkSubnetChangeAgainstUsers(store: ResourceStore, subnetId: string, existing: JsonObject | undefined, next: JsonObject, ranges: Ipv4Range[]): void {
  const users = subnetUsers(store, subnetId);
  if (users.length === 0) return;
  if (users.some((user) => sameText(user.type, BASTION)) && ranges.some((range) => range.prefixLength > BASTION_MAX_PREFIX_LENGTH)) {
    throw bastionSubnetTooSmall(subnetId, ranges);
  }
  if (existing && JSON.stringify(subnetPrefixes(existing)) !== JSON.stringify(subnetPrefixes(next))) {
    throw badRequest(
      "InUseSubnetCannotBeUpdated",
      `Subnet ${lastSegment(subnetId)} is in use by ${users.map((user) => user.id).join(", ")} and its address prefix cannot be updated.`,
    );
  }
}

export function bastionSubnetTooSmall(subnetId: string, ranges: Ipv4Range[]): ArmError {
  const prefix = ranges.map((range) => range.text).join(", ");
  return badRequest(
    "AzureBastionSubnetPrefixTooSmall",
    `Subnet ${subnetId} with address prefix ${prefix} is too small for Azure Bastion. The AzureBastionSubnet must be /26 or larger.`,
  );
}

/** Adds the read-only lists Azure composes on a subnet: NIC ip configurations and private endpoints. */
export function subnetView(store: ResourceStore, record: ResourceRecord): JsonObject {
  const body = clone(record.body);
  const properties = asObject(body.properties);
  const ipConfigurations = referringIpConfigurations(store.listByType(NIC), "subnet", record.id).map(({ record: nic, configuration }) => ({
    id: asString(configuration.id) ?? `${nic.id}/ipConfigurations/${asString(configuration.name) ?? ""}`,
  }));
  setReferences(properties, "ipConfigurations", ipConfigurations);
  setReferences(
    properties,
    "privateEndpoints",
    referringRecords(store, PRIVATE_ENDPOINT, "subnet", record.id).map((endpoint) => ({ id: endpoint.id })),
  );
  body.properties = properties;
  return body;
}

export const subnetHandler: ResourceTypeHandler = {
  type: SUBNET,
  apiVersions: NETWORK_API_VERSIONS,
  location: "none",
  lro: ASYNC_LRO,
  latency: latencyOf(SUBNET),
  exclusiveWrites: true,
  put(ctx, req) {
    const vnetId = ctx.parentId(ctx.id) ?? vnetIdOfSubnet(ctx.id) ?? "";
    const vnet = requireRecord(ctx.store, vnetId, ctx.id);
    const input = propertiesOf(req.body);
    const properties = normalizeSubnetProperties(ctx, ctx.id, ctx.name, input, asString(vnet.body.location));
    const ranges = subnetRanges(ctx.id, properties);
    checkInsideVnet(ctx.id, ranges, vnetRanges(vnet.id, vnet.body), vnet.name);
    for (const sibling of ctx.store.children(vnet.id, SUBNET)) {
      if (sameText(sibling.id, ctx.id)) continue;
      checkNoOverlap(ctx.id, ranges, sibling.id, subnetRanges(sibling.id, propertiesOf(sibling.body)));
    }
    checkSubnetChangeAgainstUsers(ctx.store, ctx.id, req.existing ? propertiesOf(req.existing.body) : undefined, properties, ranges);
    return { etag: weakEtag(ctx.guid()), properties };
  },
  beforeDelete(ctx, record) {
    const users = subnetUsers(ctx.store, record.id);
    if (users.length > 0) throw inUseSubnetCannotBeDeleted(record.id, users);
  },
  view(ctx, record) {
    return subnetView(ctx.store, record);
  },
};

// ---------------------------------------------------------------------------------------------
// Virtual networks

export function vnetView(store: ResourceStore, record: ResourceRecord): JsonObject {
  const body = clone(record.body);
  const properties = asObject(body.properties);
  properties.subnets = store.children(record.id, SUBNET).map((subnet) => subnetView(store, subnet));
  if (!Array.isArray(properties.virtualNetworkPeerings)) properties.virtualNetworkPeerings = [];
  body.properties = properties;
  return body;
}

export const virtualNetworkHandler: ResourceTypeHandler = {
  type: VNET,
  apiVersions: NETWORK_API_VERSIONS,
  location: "required",
  lro: ASYNC_LRO,
  latency: latencyOf(VNET),
  exclusiveWrites: true,
  put(ctx, req) {
    const input = propertiesOf(req.body);
    const addressPrefixes = asArray(asObject(input.addressSpace).addressPrefixes).filter((item): item is string => typeof item === "string");
    const space = addressPrefixes.filter((prefix) => !isIpv6Prefix(prefix)).map((prefix) => parseIpv4Prefix(prefix, ctx.id));
    const location = asString(req.body.location) ?? asString(req.existing?.body.location);

    // A PUT is a full replacement: the subnets it lists are the VNet's subnets afterwards.
    const wanted: SubnetInput[] = asArray(input.subnets).map((item) => {
      const subnet = asObject(item);
      const name = asString(subnet.name);
      if (!name) throw badRequest("InvalidRequestFormat", `A subnet of virtual network ${ctx.id} has no name.`);
      return { name, properties: propertiesOf(subnet) };
    });
    const normalized = new Map<string, { id: string; name: string; properties: JsonObject; ranges: Ipv4Range[] }>();
    for (const subnet of wanted) {
      const key = subnet.name.toLowerCase();
      if (normalized.has(key)) throw badRequest("InvalidRequestFormat", `Subnet ${subnet.name} is listed more than once in virtual network ${ctx.id}.`);
      const existingChild = ctx.store.get(`${ctx.id}/subnets/${subnet.name}`);
      const subnetId = existingChild?.id ?? `${ctx.id}/subnets/${subnet.name}`;
      const properties = normalizeSubnetProperties(ctx, subnetId, existingChild?.name ?? subnet.name, subnet.properties, location);
      const ranges = subnetRanges(subnetId, properties);
      checkInsideVnet(subnetId, ranges, space, ctx.name);
      for (const other of normalized.values()) checkNoOverlap(subnetId, ranges, other.id, other.ranges);
      normalized.set(key, { id: subnetId, name: existingChild?.name ?? subnet.name, properties, ranges });
    }
    const current = ctx.store.children(ctx.id, SUBNET);
    for (const child of current) {
      const next = normalized.get(child.name.toLowerCase());
      if (!next) {
        const users = subnetUsers(ctx.store, child.id);
        if (users.length > 0) throw inUseSubnetCannotBeDeleted(child.id, users);
        continue;
      }
      checkSubnetChangeAgainstUsers(ctx.store, child.id, propertiesOf(child.body), next.properties, next.ranges);
    }

    // Valid: apply the subnet set as child records (the single source of truth for subnets).
    for (const child of current) {
      if (!normalized.has(child.name.toLowerCase())) ctx.store.remove(child.id);
    }
    const inline: Json[] = [];
    for (const subnet of normalized.values()) {
      const existingChild = ctx.store.get(subnet.id);
      if (existingChild && sameChildProperties(propertiesOf(existingChild.body), subnet.properties)) {
        inline.push(clone(existingChild.body));
        continue;
      }
      const body = childBody(subnet.id, subnet.name, SUBNET, weakEtag(ctx.guid()), subnet.properties);
      ctx.store.upsert({
        id: subnet.id,
        type: SUBNET,
        name: subnet.name,
        resourceGroup: ctx.resourceGroup,
        subscriptionId: ctx.subscriptionId,
        apiVersion: ctx.apiVersion,
        body,
        ...(existingChild ? { createdAt: existingChild.createdAt } : {}),
      });
      inline.push(body);
    }

    const body = baseBody(ctx, req);
    const properties: JsonObject = {
      addressSpace: { addressPrefixes },
      resourceGuid: resourceGuidOf(ctx, req.existing),
      subnets: inline,
      virtualNetworkPeerings: [],
      enableDdosProtection: input.enableDdosProtection === true,
      // Recorded in every VNet answer (false unless asked); still in the 2024-01-01 spec.
      enableVmProtection: input.enableVmProtection === true,
    };
    if (isObject(input.dhcpOptions)) properties.dhcpOptions = clone(input.dhcpOptions);
    if (isObject(input.encryption)) properties.encryption = clone(input.encryption);
    if (typeof input.flowTimeoutInMinutes === "number") properties.flowTimeoutInMinutes = input.flowTimeoutInMinutes;
    body.properties = properties;
    return body;
  },
  patch: patchTags,
  beforeDelete(ctx, record) {
    for (const subnet of ctx.store.children(record.id, SUBNET)) {
      const users = subnetUsers(ctx.store, subnet.id);
      if (users.length > 0) throw inUseSubnetCannotBeDeleted(subnet.id, users);
    }
  },
  view(ctx, record) {
    return vnetView(ctx.store, record);
  },
};
