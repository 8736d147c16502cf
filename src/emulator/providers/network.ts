// Microsoft.Network as the secure-workspace tutorial uses it: virtual networks and subnets, public IPs,
// Bastion, NICs, NSGs, private endpoints and their DNS zone groups. Each rule below is one Azure enforces,
// with Azure's error code; see docs/emulator-network.md for the table and the sources.
import { createHash } from "node:crypto";
import { ArmError, type HandlerContext, type Json, type JsonObject, type ResourceRecord, type ResourceStore, type ResourceTypeHandler, type EmulatorProvider, type WriteRequest } from "../types.js";
import {
  ASYNC_LRO,
  NETWORK_API_VERSIONS,
  asArray,
  asObject,
  asString,
  badRequest,
  clone,
  invalidReference,
  ipv4ToNumber,
  isIpv6Prefix,
  isObject,
  lastSegment,
  locationAndTags,
  normalRegion,
  numberToIpv4,
  parseIpv4Prefix,
  patchBase,
  propertiesOf,
  rangeContains,
  rangesOverlap,
  recordsReferencing,
  refId,
  resourceGroupIdOf,
  resourceGroupNameOf,
  sameRegion,
  sameText,
  subnetPrefixes,
  topLevelTypeOf,
  vnetIdOfSubnet,
  weakEtag,
  type Ipv4Range,
} from "./network-common.js";
import { latencyOf } from "../../durations.js";

const VNET = "Microsoft.Network/virtualNetworks";
const SUBNET = "Microsoft.Network/virtualNetworks/subnets";
const PUBLIC_IP = "Microsoft.Network/publicIPAddresses";
const BASTION = "Microsoft.Network/bastionHosts";
const NIC = "Microsoft.Network/networkInterfaces";
const NSG = "Microsoft.Network/networkSecurityGroups";
const SECURITY_RULE = "Microsoft.Network/networkSecurityGroups/securityRules";
const PRIVATE_ENDPOINT = "Microsoft.Network/privateEndpoints";
const ZONE_GROUP = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
const PRIVATE_DNS_ZONE = "Microsoft.Network/privateDnsZones";
const A_RECORD = "Microsoft.Network/privateDnsZones/A";
const ML_COMPUTE = "Microsoft.MachineLearningServices/workspaces/computes";
const VIRTUAL_MACHINE = "Microsoft.Compute/virtualMachines";

/** Resource types whose records can hold a subnet (the "in use" search). */
const SUBNET_USER_TYPES = [NIC, PRIVATE_ENDPOINT, BASTION, ML_COMPUTE] as const;

const BASTION_SUBNET_NAME = "AzureBastionSubnet";
/** Azure's smallest IPv4 subnet is a /29 (8 addresses, 5 of them reserved). */
const SMALLEST_SUBNET_PREFIX = 29;
const BASTION_MAX_PREFIX_LENGTH = 26;
/** TTL Azure gives the A records that a private DNS zone group writes. */
const ZONE_GROUP_RECORD_TTL = 10;

// ---------------------------------------------------------------------------------------------
// Generic pieces

function baseBody(ctx: HandlerContext, req: WriteRequest): JsonObject {
  const body = locationAndTags(req.body, req.existing);
  body.etag = weakEtag(ctx.guid());
  return body;
}

function resourceGuidOf(ctx: HandlerContext, existing: ResourceRecord | undefined): string {
  return asString(propertiesOf(existing?.body).resourceGuid) ?? ctx.guid();
}

/** UpdateTags (PATCH with `{ tags }`), the only PATCH the network types have. */
function patchTags(ctx: HandlerContext, req: WriteRequest & { existing: ResourceRecord }): JsonObject {
  const body = patchBase(req.existing, req.body.tags);
  body.etag = weakEtag(ctx.guid());
  return body;
}

function requireRecord(store: ResourceStore, id: string | undefined, referringId: string): ResourceRecord {
  const record = id ? store.get(id) : undefined;
  if (!record || !id) throw invalidReference(id ?? "(missing id)", referringId);
  return record;
}

/** A full child body as Azure shows it inline and at its own URL. */
function childBody(id: string, name: string, type: string, etag: string, properties: JsonObject): JsonObject {
  return { id, name, type, etag, properties: { ...properties, provisioningState: "Succeeded" } };
}

/** Compares two child property sets, ignoring provisioningState and read-only composed fields. */
function sameChildProperties(a: JsonObject, b: JsonObject): boolean {
  const strip = (value: JsonObject) => {
    const copy = clone(value);
    delete copy.provisioningState;
    delete copy.ipConfigurations;
    delete copy.privateEndpoints;
    return JSON.stringify(sortKeys(copy));
  };
  return strip(a) === strip(b);
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObject(value)) {
    const sorted: JsonObject = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key] as Json);
    return sorted;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Subnets

interface SubnetInput {
  name: string;
  properties: JsonObject;
}

function subnetUsers(store: ResourceStore, subnetId: string): ResourceRecord[] {
  return recordsReferencing(store, SUBNET_USER_TYPES, subnetId);
}

function inUseSubnetCannotBeDeleted(subnetId: string, users: ResourceRecord[]): ArmError {
  const name = lastSegment(subnetId);
  const user = users.map((record) => record.id).join(", ");
  return badRequest(
    "InUseSubnetCannotBeDeleted",
    `Subnet ${name} is in use by ${user} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.`,
  );
}

/** Validates one subnet's own properties and returns them as Azure stores them. */
function normalizeSubnetProperties(ctx: HandlerContext, subnetId: string, name: string, input: JsonObject, vnetLocation: string | undefined): JsonObject {
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
function subnetRanges(subnetId: string, properties: JsonObject): Ipv4Range[] {
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

function vnetRanges(vnetId: string, vnetBody: JsonObject): Ipv4Range[] {
  const prefixes = asArray(asObject(propertiesOf(vnetBody).addressSpace).addressPrefixes).filter((item): item is string => typeof item === "string");
  return prefixes.filter((prefix) => !isIpv6Prefix(prefix)).map((prefix) => parseIpv4Prefix(prefix, vnetId));
}

function checkInsideVnet(subnetId: string, ranges: Ipv4Range[], space: Ipv4Range[], vnetName: string): void {
  for (const range of ranges) {
    if (!space.some((outer) => rangeContains(outer, range))) {
      throw badRequest(
        "NetcfgSubnetRangeOutsideVnet",
        `Subnet '${lastSegment(subnetId)}' is not valid because its IP address range is outside the IP address range of virtual network '${vnetName}'.`,
      );
    }
  }
}

function checkNoOverlap(subnetId: string, ranges: Ipv4Range[], otherId: string, otherRanges: Ipv4Range[]): void {
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
function checkSubnetChangeAgainstUsers(store: ResourceStore, subnetId: string, existing: JsonObject | undefined, next: JsonObject, ranges: Ipv4Range[]): void {
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

function bastionSubnetTooSmall(subnetId: string, ranges: Ipv4Range[]): ArmError {
  const prefix = ranges.map((range) => range.text).join(", ");
  return badRequest(
    "AzureBastionSubnetPrefixTooSmall",
    `Subnet ${subnetId} with address prefix ${prefix} is too small for Azure Bastion. The AzureBastionSubnet must be /26 or larger.`,
  );
}

/** Adds the read-only lists Azure composes on a subnet: NIC ip configurations and private endpoints. */
function subnetView(store: ResourceStore, record: ResourceRecord): JsonObject {
  const body = clone(record.body);
  const properties = asObject(body.properties);
  const needle = record.id.toLowerCase();
  const ipConfigurations: Json[] = [];
  for (const nic of store.listByType(NIC)) {
    for (const configuration of asArray(propertiesOf(nic.body).ipConfigurations)) {
      const item = asObject(configuration);
      if (refId(propertiesOf(item).subnet)?.toLowerCase() === needle) ipConfigurations.push({ id: asString(item.id) ?? `${nic.id}/ipConfigurations/${asString(item.name) ?? ""}` });
    }
  }
  const privateEndpoints: Json[] = store
    .listByType(PRIVATE_ENDPOINT)
    .filter((endpoint) => refId(propertiesOf(endpoint.body).subnet)?.toLowerCase() === needle)
    .map((endpoint) => ({ id: endpoint.id }));
  if (ipConfigurations.length > 0) properties.ipConfigurations = ipConfigurations;
  else delete properties.ipConfigurations;
  if (privateEndpoints.length > 0) properties.privateEndpoints = privateEndpoints;
  else delete properties.privateEndpoints;
  body.properties = properties;
  return body;
}

const subnetHandler: ResourceTypeHandler = {
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

function vnetView(store: ResourceStore, record: ResourceRecord): JsonObject {
  const body = clone(record.body);
  const properties = asObject(body.properties);
  properties.subnets = store.children(record.id, SUBNET).map((subnet) => subnetView(store, subnet));
  if (!Array.isArray(properties.virtualNetworkPeerings)) properties.virtualNetworkPeerings = [];
  body.properties = properties;
  return body;
}

const virtualNetworkHandler: ResourceTypeHandler = {
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
    };
    if (isObject(input.dhcpOptions)) properties.dhcpOptions = clone(input.dhcpOptions);
    if (typeof input.enableVmProtection === "boolean") properties.enableVmProtection = input.enableVmProtection;
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

// ---------------------------------------------------------------------------------------------
// Public IP addresses

function publicIpUsers(store: ResourceStore, publicIpId: string): ResourceRecord[] {
  return recordsReferencing(store, [NIC, BASTION], publicIpId);
}

function randomPublicIp(ctx: HandlerContext): string {
  // Documentation range 20.0.0.0/8-like public space; the value only has to look like an Azure public IP.
  const hex = ctx.guid().replace(/-/g, "");
  const byte = (index: number) => parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return `20.${byte(0)}.${byte(1)}.${Math.max(1, byte(2) % 255)}`;
}

const publicIpHandler: ResourceTypeHandler = {
  type: PUBLIC_IP,
  apiVersions: NETWORK_API_VERSIONS,
  location: "required",
  lro: ASYNC_LRO,
  latency: latencyOf(PUBLIC_IP),
  put(ctx, req) {
    const input = propertiesOf(req.body);
    const skuInput = asObject(req.body.sku);
    const skuName = matchEnum(asString(skuInput.name) ?? "Basic", ["Basic", "Standard"], "sku.name");
    const tier = matchEnum(asString(skuInput.tier) ?? "Regional", ["Regional", "Global"], "sku.tier");
    const allocation = matchEnum(asString(input.publicIPAllocationMethod) ?? "Dynamic", ["Static", "Dynamic"], "publicIPAllocationMethod");
    const version = matchEnum(asString(input.publicIPAddressVersion) ?? "IPv4", ["IPv4", "IPv6"], "publicIPAddressVersion");
    // Basic SKU public IPs are retired: none can be created since 31 March 2025 (new subscriptions have a quota
    // of 0), with this answer; existing ones keep working until they are upgraded.
    if (!req.existing && skuName === "Basic" && version === "IPv4") {
      throw badRequest("IPv4BasicSkuPublicIpCountLimitReached", "Cannot create more than 0 IPv4 Basic SKU public IP addresses for this subscription in this region.");
    }
    if (skuName === "Standard" && allocation !== "Static") {
      throw badRequest("StandardSkuPublicIPAddressesMustBeStatic", `Standard sku publicIp ${ctx.id} must have AllocationMethod set to Static.`);
    }
    const existingProperties = propertiesOf(req.existing?.body);
    if (req.existing) {
      const existingSku = asString(asObject(req.existing.body.sku).name) ?? "Basic";
      if (existingSku !== skuName) {
        throw badRequest("PublicIPAddressSkuCannotBeChanged", `Sku of public IP address ${ctx.id} cannot be changed from ${existingSku} to ${skuName}.`);
      }
    }
    const body = baseBody(ctx, req);
    body.sku = { name: skuName, tier };
    if (Array.isArray(req.body.zones)) body.zones = clone(req.body.zones);
    const properties: JsonObject = {
      publicIPAllocationMethod: allocation,
      publicIPAddressVersion: version,
      idleTimeoutInMinutes: typeof input.idleTimeoutInMinutes === "number" ? input.idleTimeoutInMinutes : 4,
      ipTags: clone(asArray(input.ipTags)),
      resourceGuid: resourceGuidOf(ctx, req.existing),
      ddosSettings: isObject(input.ddosSettings) ? clone(input.ddosSettings) : { protectionMode: "VirtualNetworkInherited" },
    };
    // Static addresses are assigned at creation; dynamic ones only once attached to a running resource.
    if (allocation === "Static") properties.ipAddress = asString(existingProperties.ipAddress) ?? randomPublicIp(ctx);
    if (isObject(input.dnsSettings)) properties.dnsSettings = clone(input.dnsSettings);
    body.properties = properties;
    return body;
  },
  patch: patchTags,
  beforeDelete(ctx, record) {
    const users = publicIpUsers(ctx.store, record.id);
    if (users.length > 0) {
      throw badRequest(
        "PublicIPAddressCannotBeDeleted",
        `Public IP address ${record.id} can not be deleted since it is still allocated to resource ${users[0]?.id ?? ""}. In order to delete the public IP, disassociate/detach the Public IP address from the resource.`,
      );
    }
  },
  view(ctx, record) {
    const body = clone(record.body);
    const properties = asObject(body.properties);
    const needle = record.id.toLowerCase();
    for (const user of publicIpUsers(ctx.store, record.id)) {
      for (const configuration of asArray(propertiesOf(user.body).ipConfigurations)) {
        const item = asObject(configuration);
        if (refId(propertiesOf(item).publicIPAddress)?.toLowerCase() === needle && asString(item.id)) properties.ipConfiguration = { id: asString(item.id) ?? "" };
      }
    }
    body.properties = properties;
    return body;
  },
};

function matchEnum(value: string, allowed: readonly string[], field: string): string {
  const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (!match) throw badRequest("InvalidRequestFormat", `Cannot parse the request: ${field} '${value}' is not one of ${allowed.join(", ")}.`);
  return match;
}

// ---------------------------------------------------------------------------------------------
// Bastion hosts

const bastionHandler: ResourceTypeHandler = {
  type: BASTION,
  apiVersions: NETWORK_API_VERSIONS,
  location: "required",
  lro: ASYNC_LRO,
  // "It takes about 10 minutes for the Bastion resource to create and deploy" (Microsoft Learn, Bastion quickstart).
  latency: latencyOf(BASTION),
  put(ctx, req) {
    const input = propertiesOf(req.body);
    const location = asString(req.body.location) ?? asString(req.existing?.body.location);
    const skuName = matchEnum(asString(asObject(req.body.sku).name) ?? "Standard", ["Developer", "Basic", "Standard", "Premium"], "sku.name");
    const configurations = asArray(input.ipConfigurations);
    if (skuName !== "Developer" && configurations.length !== 1) {
      throw badRequest("BastionHostMustHaveExactlyOneIpConfiguration", `Bastion host ${ctx.id} must have exactly one IP configuration; it has ${configurations.length}.`);
    }
    const ipConfigurations = configurations.map((item) => {
      const configuration = asObject(item);
      const name = asString(configuration.name) ?? "IpConf";
      const configurationProperties = propertiesOf(configuration);
      const subnetId = refId(configurationProperties.subnet);
      const publicIpId = refId(configurationProperties.publicIPAddress);
      const subnet = requireRecord(ctx.store, subnetId, ctx.id);
      const vnet = ctx.store.get(vnetIdOfSubnet(subnet.id) ?? "");
      if (!vnet || !sameRegion(asString(vnet.body.location), location)) throw invalidReference(subnet.id, ctx.id);
      if (subnet.name !== BASTION_SUBNET_NAME) {
        throw badRequest(
          "SubnetNameMustBeAzureBastionSubnet",
          `Subnet name ${subnet.id} is invalid for Azure Bastion. Azure Bastion can only be created in subnet with name '${BASTION_SUBNET_NAME}'.`,
        );
      }
      const ranges = subnetRanges(subnet.id, propertiesOf(subnet.body));
      if (ranges.some((range) => range.prefixLength > BASTION_MAX_PREFIX_LENGTH)) throw bastionSubnetTooSmall(subnet.id, ranges);
      const publicIp = requireRecord(ctx.store, publicIpId, ctx.id);
      if (!sameRegion(asString(publicIp.body.location), location)) throw invalidReference(publicIp.id, ctx.id);
      const ipSku = asString(asObject(publicIp.body.sku).name) ?? "Basic";
      const ipAllocation = asString(propertiesOf(publicIp.body).publicIPAllocationMethod) ?? "Dynamic";
      if (ipSku !== "Standard" || ipAllocation !== "Static") {
        throw badRequest(
          "BastionHostPublicIpMustBeStandardStatic",
          `Public IP address ${publicIp.id} used by Bastion host ${ctx.id} must have sku Standard and allocation method Static (it has ${ipSku}, ${ipAllocation}).`,
        );
      }
      // Another Bastion already in this subnet: one Bastion per AzureBastionSubnet.
      const others = recordsReferencing(ctx.store, [BASTION], subnet.id, [ctx.id]);
      if (others.length > 0) {
        throw badRequest("SubnetInUseByAnotherBastionHost", `Subnet ${subnet.id} is already used by Bastion host ${others[0]?.id ?? ""}.`);
      }
      return {
        id: `${ctx.id}/bastionHostIpConfigurations/${name}`,
        name,
        type: "Microsoft.Network/bastionHosts/bastionHostIpConfigurations",
        etag: weakEtag(ctx.guid()),
        properties: {
          subnet: { id: subnet.id },
          publicIPAddress: { id: publicIp.id },
          privateIPAllocationMethod: "Dynamic",
          provisioningState: "Succeeded",
        },
      };
    });
    const body = baseBody(ctx, req);
    body.sku = { name: skuName };
    const existingDnsName = asString(propertiesOf(req.existing?.body).dnsName);
    const bool = (key: string) => input[key] === true;
    body.properties = {
      ipConfigurations,
      dnsName: existingDnsName ?? `bst-${ctx.guid()}.bastion.azure.com`,
      scaleUnits: typeof input.scaleUnits === "number" ? input.scaleUnits : 2,
      disableCopyPaste: bool("disableCopyPaste"),
      enableFileCopy: bool("enableFileCopy"),
      enableIpConnect: bool("enableIpConnect"),
      enableShareableLink: bool("enableShareableLink"),
      enableTunneling: bool("enableTunneling"),
      enableKerberos: bool("enableKerberos"),
    };
    return body;
  },
  patch: patchTags,
};

// ---------------------------------------------------------------------------------------------
// Private IP allocation (NICs and private endpoints share a subnet's address pool)

function usedAddresses(store: ResourceStore, subnetId: string, exceptIds: readonly string[]): Set<number> {
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
function allocateAddresses(store: ResourceStore, subnet: ResourceRecord, count: number, exceptIds: readonly string[], alsoUsed: readonly string[] = []): string[] {
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
    throw badRequest("SubnetIsFull", `Subnet ${subnet.name} with address prefix ${subnetPrefixes(propertiesOf(subnet.body)).join(", ")} does not have enough capacity for ${count} IP addresses.`);
  }
  return result;
}

function subnetOf(store: ResourceStore, subnetId: string | undefined, referringId: string, location: string | undefined): ResourceRecord {
  const subnet = requireRecord(store, subnetId, referringId);
  if (!sameText(subnet.type, SUBNET)) throw invalidReference(subnet.id, referringId);
  const vnet = store.get(vnetIdOfSubnet(subnet.id) ?? "");
  // Network RP resolves references only within the referring resource's region.
  if (!vnet || !sameRegion(asString(vnet.body.location), location)) throw invalidReference(subnet.id, referringId);
  return subnet;
}

// ---------------------------------------------------------------------------------------------
// Network interfaces

const nicHandler: ResourceTypeHandler = {
  type: NIC,
  apiVersions: NETWORK_API_VERSIONS,
  location: "required",
  lro: ASYNC_LRO,
  latency: latencyOf(NIC),
  put(ctx, req) {
    const input = propertiesOf(req.body);
    const location = asString(req.body.location) ?? asString(req.existing?.body.location);
    const configurations = asArray(input.ipConfigurations);
    if (configurations.length === 0) {
      throw badRequest("NetworkInterfaceMustHaveAtLeastOneIpConfiguration", `Network interface ${ctx.id} must have at least one IP configuration.`);
    }
    const existingById = new Map<string, JsonObject>();
    for (const configuration of asArray(propertiesOf(req.existing?.body).ipConfigurations)) {
      const item = asObject(configuration);
      existingById.set((asString(item.name) ?? "").toLowerCase(), item);
    }
    const taken: string[] = [];
    const ipConfigurations = configurations.map((item, index) => {
      const configuration = asObject(item);
      const name = asString(configuration.name) ?? `ipconfig${index + 1}`;
      const properties = propertiesOf(configuration);
      const subnet = subnetOf(ctx.store, refId(properties.subnet), ctx.id, location);
      if (subnet.name === BASTION_SUBNET_NAME) {
        throw badRequest("AzureBastionSubnetCannotBeUsedByOtherResources", `Subnet with name '${BASTION_SUBNET_NAME}' can be used only for the Azure Bastion resource (${ctx.id}).`);
      }
      const allocation = matchEnum(asString(properties.privateIPAllocationMethod) ?? "Dynamic", ["Static", "Dynamic"], "privateIPAllocationMethod");
      let address = asString(properties.privateIPAddress);
      const previous = existingById.get(name.toLowerCase());
      const previousAddress = previous && sameText(refId(propertiesOf(previous).subnet), subnet.id) ? asString(propertiesOf(previous).privateIPAddress) : undefined;
      if (allocation === "Static") {
        if (!address) throw badRequest("PrivateIPAddressIsRequired", `A static private IP address is required for IP configuration ${name} of ${ctx.id}.`);
        const value = /^\d+\.\d+\.\d+\.\d+$/.test(address) ? ipv4ToNumber(address) : NaN;
        const ranges = subnetRanges(subnet.id, propertiesOf(subnet.body));
        if (!ranges.some((range) => value >= range.start && value <= range.end)) {
          throw badRequest("PrivateIPAddressNotInSubnet", `IP configuration ${ctx.id}/ipConfigurations/${name} references the private IP address ${address} which is not in the subnet ${subnet.id}.`);
        }
        if (usedAddresses(ctx.store, subnet.id, [ctx.id]).has(value) || taken.includes(address)) {
          throw badRequest("PrivateIPAddressInUse", `IP configuration ${ctx.id}/ipConfigurations/${name} is using the private IP address ${address} which is already allocated to another resource.`);
        }
      } else {
        address = previousAddress ?? allocateAddresses(ctx.store, subnet, 1, [ctx.id], taken)[0];
      }
      taken.push(address ?? "");
      const result: JsonObject = {
        id: `${ctx.id}/ipConfigurations/${name}`,
        name,
        type: "Microsoft.Network/networkInterfaces/ipConfigurations",
        etag: weakEtag(ctx.guid()),
        properties: {
          privateIPAddress: address ?? "",
          privateIPAllocationMethod: allocation,
          privateIPAddressVersion: "IPv4",
          subnet: { id: subnet.id },
          primary: configurations.length === 1 ? true : properties.primary === true,
          provisioningState: "Succeeded",
        },
      };
      const publicIpId = refId(properties.publicIPAddress);
      if (publicIpId !== undefined) {
        const publicIp = requireRecord(ctx.store, publicIpId, ctx.id);
        if (!sameRegion(asString(publicIp.body.location), location)) throw invalidReference(publicIp.id, ctx.id);
        asObject(result.properties).publicIPAddress = { id: publicIp.id };
      }
      return result;
    });
    const body = baseBody(ctx, req);
    const properties: JsonObject = {
      ipConfigurations,
      dnsSettings: { dnsServers: clone(asArray(asObject(input.dnsSettings).dnsServers)), appliedDnsServers: [] },
      enableAcceleratedNetworking: input.enableAcceleratedNetworking === true,
      enableIPForwarding: input.enableIPForwarding === true,
      disableTcpStateTracking: false,
      vnetEncryptionSupported: false,
      hostedWorkloads: [],
      tapConfigurations: [],
      resourceGuid: resourceGuidOf(ctx, req.existing),
      nicType: "Standard",
      auxiliaryMode: "None",
      auxiliarySku: "None",
    };
    const nsgId = refId(input.networkSecurityGroup);
    if (nsgId !== undefined) {
      const nsg = requireRecord(ctx.store, nsgId, ctx.id);
      if (!sameRegion(asString(nsg.body.location), location)) throw invalidReference(nsg.id, ctx.id);
      properties.networkSecurityGroup = { id: nsg.id };
    }
    const existingPrivateEndpoint = propertiesOf(req.existing?.body).privateEndpoint;
    if (isObject(existingPrivateEndpoint)) properties.privateEndpoint = clone(existingPrivateEndpoint);
    body.properties = properties;
    return body;
  },
  patch: patchTags,
  beforeDelete(ctx, record) {
    const vm = virtualMachineUsing(ctx.store, record.id);
    if (vm) {
      throw badRequest(
        "NicInUse",
        `Network Interface ${record.id} is used by existing resource ${vm.id}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
      );
    }
    const endpoint = refId(propertiesOf(record.body).privateEndpoint);
    if (endpoint && ctx.store.get(endpoint)) {
      throw badRequest("CannotDeleteNicOfPrivateEndpoint", `Network interface ${record.id} belongs to private endpoint ${endpoint} and is deleted with it.`);
    }
  },
  view(ctx, record) {
    const body = clone(record.body);
    const vm = virtualMachineUsing(ctx.store, record.id);
    const properties = asObject(body.properties);
    if (vm) {
      properties.virtualMachine = { id: vm.id };
      properties.primary = true;
    }
    body.properties = properties;
    return body;
  },
};

function virtualMachineUsing(store: ResourceStore, nicId: string): ResourceRecord | undefined {
  const needle = nicId.toLowerCase();
  return store.listByType(VIRTUAL_MACHINE).find((vm) =>
    asArray(asObject(propertiesOf(vm.body).networkProfile).networkInterfaces).some((item) => refId(item)?.toLowerCase() === needle),
  );
}

// ---------------------------------------------------------------------------------------------
// Network security groups and their rules

const DEFAULT_SECURITY_RULES: Array<[string, string, number, "Inbound" | "Outbound", "Allow" | "Deny", string, string]> = [
  ["AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"],
  ["AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"],
  ["DenyAllInBound", "Deny all inbound traffic", 65500, "Inbound", "Deny", "*", "*"],
  ["AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"],
  ["AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", 65001, "Outbound", "Allow", "*", "Internet"],
  ["DenyAllOutBound", "Deny all outbound traffic", 65500, "Outbound", "Deny", "*", "*"],
];

function defaultSecurityRules(ctx: HandlerContext, nsgId: string): Json[] {
  return DEFAULT_SECURITY_RULES.map(([name, description, priority, direction, access, source, destination]) => ({
    id: `${nsgId}/defaultSecurityRules/${name}`,
    name,
    type: "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
    etag: weakEtag(ctx.guid()),
    properties: {
      provisioningState: "Succeeded",
      description,
      protocol: "*",
      sourcePortRange: "*",
      destinationPortRange: "*",
      sourceAddressPrefix: source,
      destinationAddressPrefix: destination,
      access,
      priority,
      direction,
      sourcePortRanges: [],
      destinationPortRanges: [],
      sourceAddressPrefixes: [],
      destinationAddressPrefixes: [],
    },
  }));
}

function normalizeSecurityRule(ruleId: string, input: JsonObject): JsonObject {
  const name = lastSegment(ruleId);
  const missing = ["protocol", "access", "priority", "direction"].filter((key) => input[key] === undefined);
  if (missing.length > 0) {
    throw badRequest("SecurityRuleParameterMissing", `Security rule ${name} is missing required properties: ${missing.join(", ")}.`);
  }
  const priority = input.priority;
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 100 || priority > 4096) {
    throw badRequest("SecurityRuleInvalidPriority", `Security rule ${name} has invalid Priority ${String(priority)}. Value provided: ${String(priority)} Allowed range 100-4096.`);
  }
  const properties: JsonObject = {
    protocol: matchEnum(asString(input.protocol) ?? "", ["Tcp", "Udp", "Icmp", "Esp", "*", "Ah"], "protocol"),
    access: matchEnum(asString(input.access) ?? "", ["Allow", "Deny"], "access"),
    priority,
    direction: matchEnum(asString(input.direction) ?? "", ["Inbound", "Outbound"], "direction"),
    sourcePortRanges: clone(asArray(input.sourcePortRanges)),
    destinationPortRanges: clone(asArray(input.destinationPortRanges)),
    sourceAddressPrefixes: clone(asArray(input.sourceAddressPrefixes)),
    destinationAddressPrefixes: clone(asArray(input.destinationAddressPrefixes)),
  };
  for (const key of ["description", "sourcePortRange", "destinationPortRange", "sourceAddressPrefix", "destinationAddressPrefix"]) {
    const value = asString(input[key]);
    if (value !== undefined) properties[key] = value;
  }
  for (const key of ["sourceApplicationSecurityGroups", "destinationApplicationSecurityGroups"]) {
    if (Array.isArray(input[key])) properties[key] = clone(input[key] as Json[]);
  }
  return properties;
}

function checkRuleConflicts(rules: Array<{ id: string; properties: JsonObject }>): void {
  const seen = new Map<string, string>();
  for (const rule of rules) {
    const key = `${String(rule.properties.direction)}:${String(rule.properties.priority)}`;
    const other = seen.get(key);
    if (other) {
      throw badRequest(
        "SecurityRuleConflict",
        `Security rule ${lastSegment(rule.id)} conflicts with rule ${lastSegment(other)}. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules.`,
      );
    }
    seen.set(key, rule.id);
  }
}

function nsgView(store: ResourceStore, record: ResourceRecord): JsonObject {
  const body = clone(record.body);
  const properties = asObject(body.properties);
  properties.securityRules = store.children(record.id, SECURITY_RULE).map((rule) => clone(rule.body));
  const needle = record.id.toLowerCase();
  const subnets = store.listByType(SUBNET).filter((subnet) => refId(propertiesOf(subnet.body).networkSecurityGroup)?.toLowerCase() === needle);
  const nics = store.listByType(NIC).filter((nic) => refId(propertiesOf(nic.body).networkSecurityGroup)?.toLowerCase() === needle);
  if (subnets.length > 0) properties.subnets = subnets.map((subnet) => ({ id: subnet.id }));
  else delete properties.subnets;
  if (nics.length > 0) properties.networkInterfaces = nics.map((nic) => ({ id: nic.id }));
  else delete properties.networkInterfaces;
  body.properties = properties;
  return body;
}

const nsgHandler: ResourceTypeHandler = {
  type: NSG,
  apiVersions: NETWORK_API_VERSIONS,
  location: "required",
  lro: ASYNC_LRO,
  latency: latencyOf(NSG),
  put(ctx, req) {
    const input = propertiesOf(req.body);
    const rules = asArray(input.securityRules).map((item) => {
      const rule = asObject(item);
      const name = asString(rule.name);
      if (!name) throw badRequest("InvalidRequestFormat", `A security rule of ${ctx.id} has no name.`);
      const id = ctx.store.get(`${ctx.id}/securityRules/${name}`)?.id ?? `${ctx.id}/securityRules/${name}`;
      return { id, name, properties: normalizeSecurityRule(id, propertiesOf(rule)) };
    });
    checkRuleConflicts(rules);
    // A PUT replaces the rule set: rules it does not list are removed.
    const wanted = new Set(rules.map((rule) => rule.name.toLowerCase()));
    for (const child of ctx.store.children(ctx.id, SECURITY_RULE)) {
      if (!wanted.has(child.name.toLowerCase())) ctx.store.remove(child.id);
    }
    const inline: Json[] = [];
    for (const rule of rules) {
      const existing = ctx.store.get(rule.id);
      if (existing && sameChildProperties(propertiesOf(existing.body), rule.properties)) {
        inline.push(clone(existing.body));
        continue;
      }
      const body = childBody(rule.id, existing?.name ?? rule.name, SECURITY_RULE, weakEtag(ctx.guid()), rule.properties);
      ctx.store.upsert({
        id: rule.id,
        type: SECURITY_RULE,
        name: existing?.name ?? rule.name,
        resourceGroup: ctx.resourceGroup,
        subscriptionId: ctx.subscriptionId,
        apiVersion: ctx.apiVersion,
        body,
        ...(existing ? { createdAt: existing.createdAt } : {}),
      });
      inline.push(body);
    }
    const body = baseBody(ctx, req);
    body.properties = {
      securityRules: inline,
      defaultSecurityRules: isObject(req.existing?.body.properties) ? clone(asArray(propertiesOf(req.existing?.body).defaultSecurityRules)) : defaultSecurityRules(ctx, ctx.id),
      resourceGuid: resourceGuidOf(ctx, req.existing),
    };
    if (asArray(asObject(body.properties).defaultSecurityRules).length === 0) asObject(body.properties).defaultSecurityRules = defaultSecurityRules(ctx, ctx.id);
    if (typeof input.flushConnection === "boolean") asObject(body.properties).flushConnection = input.flushConnection;
    return body;
  },
  patch: patchTags,
  beforeDelete(ctx, record) {
    const view = nsgView(ctx.store, record);
    const users = [...asArray(propertiesOf(view).subnets), ...asArray(propertiesOf(view).networkInterfaces)].map((item) => refId(item) ?? "");
    if (users.length > 0) {
      throw badRequest(
        "InUseNetworkSecurityGroupCannotBeDeleted",
        `Network security group ${record.id} cannot be deleted because it is in use by the following resources: ${users.join(", ")}. In order to delete the Network security group, remove the association with the resource(s).`,
      );
    }
  },
  view(ctx, record) {
    return nsgView(ctx.store, record);
  },
};

const securityRuleHandler: ResourceTypeHandler = {
  type: SECURITY_RULE,
  apiVersions: NETWORK_API_VERSIONS,
  location: "none",
  lro: ASYNC_LRO,
  latency: latencyOf(SECURITY_RULE),
  put(ctx, req) {
    const nsgId = ctx.parentId(ctx.id) ?? "";
    const properties = normalizeSecurityRule(ctx.id, propertiesOf(req.body));
    const siblings = ctx.store
      .children(nsgId, SECURITY_RULE)
      .filter((rule) => !sameText(rule.id, ctx.id))
      .map((rule) => ({ id: rule.id, properties: propertiesOf(rule.body) }));
    checkRuleConflicts([...siblings, { id: ctx.id, properties }]);
    return { etag: weakEtag(ctx.guid()), properties };
  },
};

// ---------------------------------------------------------------------------------------------
// Private endpoints

/** Group IDs (sub-resources) each private-link target type accepts, lower-cased. */
const GROUP_IDS: Record<string, readonly string[]> = {
  "microsoft.storage/storageaccounts": ["blob", "blob_secondary", "file", "queue", "queue_secondary", "table", "table_secondary", "dfs", "dfs_secondary", "web", "web_secondary"],
  "microsoft.keyvault/vaults": ["vault"],
  "microsoft.containerregistry/registries": ["registry"],
  "microsoft.machinelearningservices/workspaces": ["amlworkspace"],
  "microsoft.insights/privatelinkscopes": ["azuremonitor"],
};

/** Azure Monitor names every AMPLS private endpoint serves, whatever is in the scope. */
const AZURE_MONITOR_GLOBAL_FQDNS = [
  "api.monitor.azure.com",
  "global.in.ai.monitor.azure.com",
  "profiler.monitor.azure.com",
  "live.monitor.azure.com",
  "snapshot.monitor.azure.com",
  "diagservices-query.monitor.azure.com",
  "global.handler.control.monitor.azure.com",
  "scadvisorcontentpl.blob.core.windows.net",
];

/** A GUID-shaped value derived from an ID, for a target that does not carry its own GUID. */
function stableGuid(id: string): string {
  const hex = createHash("sha256").update(id.toLowerCase()).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** The public names a private endpoint to `target` for `groupId` serves (one private IP each). */
function targetFqdns(store: ResourceStore, target: ResourceRecord, groupId: string): string[] {
  const type = target.type.toLowerCase();
  const name = target.name.toLowerCase();
  const region = normalRegion(asString(target.body.location) ?? "");
  const properties = propertiesOf(target.body);
  switch (type) {
    case "microsoft.storage/storageaccounts": {
      const service = groupId.replace(/_secondary$/, "");
      const endpoint = hostOf(asString(asObject(properties.primaryEndpoints)[service]));
      const host = endpoint ?? `${name}.${service}.core.windows.net`;
      return groupId.endsWith("_secondary") ? [host.replace(`${name}.`, `${name}-secondary.`)] : [host];
    }
    case "microsoft.keyvault/vaults":
      return [hostOf(asString(properties.vaultUri)) ?? `${name}.vault.azure.net`];
    case "microsoft.containerregistry/registries":
      return [asString(properties.loginServer) ?? `${name}.azurecr.io`, `${name}.${region}.data.azurecr.io`];
    case "microsoft.machinelearningservices/workspaces": {
      const workspaceId = (asString(properties.workspaceId) ?? stableGuid(target.id)).toLowerCase();
      return [
        `${workspaceId}.workspace.${region}.api.azureml.ms`,
        `${workspaceId}.workspace.${region}.cert.api.azureml.ms`,
        `*.${workspaceId}.inference.${region}.api.azureml.ms`,
        `ml-${name}-${region}-${workspaceId}.${region}.notebooks.azure.net`,
      ];
    }
    case "microsoft.insights/privatelinkscopes": {
      const fqdns = [...AZURE_MONITOR_GLOBAL_FQDNS];
      for (const scoped of store.children(target.id, "Microsoft.Insights/privateLinkScopes/scopedResources")) {
        const linked = store.get(asString(propertiesOf(scoped.body).linkedResourceId) ?? "");
        if (!linked || !sameText(linked.type, "Microsoft.OperationalInsights/workspaces")) continue;
        const customerId = asString(propertiesOf(linked.body).customerId)?.toLowerCase();
        if (!customerId) continue;
        fqdns.push(`${customerId}.oms.opinsights.azure.com`, `${customerId}.ods.opinsights.azure.com`, `${customerId}.agentsvc.azure-automation.net`);
      }
      return fqdns;
    }
    default:
      return [`${name}.privatelink.azure.net`];
  }
}

interface ConnectionPlan {
  name: string;
  targetId: string;
  groupIds: string[];
  requestMessage?: string;
  manual: boolean;
}

function planConnections(ctx: HandlerContext, input: JsonObject): ConnectionPlan[] {
  const plans: ConnectionPlan[] = [];
  for (const [key, manual] of [["privateLinkServiceConnections", false], ["manualPrivateLinkServiceConnections", true]] as const) {
    for (const item of asArray(input[key])) {
      const connection = asObject(item);
      const properties = propertiesOf(connection);
      const name = asString(connection.name) ?? lastSegment(ctx.id);
      const targetId = asString(properties.privateLinkServiceId) ?? "";
      const groupIds = asArray(properties.groupIds).filter((value): value is string => typeof value === "string");
      const plan: ConnectionPlan = { name, targetId, groupIds, manual };
      const requestMessage = asString(properties.requestMessage);
      if (requestMessage !== undefined) plan.requestMessage = requestMessage;
      plans.push(plan);
    }
  }
  if (plans.length === 0) {
    throw badRequest("PrivateEndpointMustHaveOnePrivateLinkServiceConnection", `Private endpoint ${ctx.id} must have exactly one private link service connection.`);
  }
  if (plans.length > 1) {
    throw badRequest("PrivateEndpointMustHaveOnePrivateLinkServiceConnection", `Private endpoint ${ctx.id} must have exactly one private link service connection; it has ${plans.length}.`);
  }
  return plans;
}

function checkTarget(ctx: HandlerContext, plan: ConnectionPlan): ResourceRecord {
  const connectionId = `${ctx.id}/privateLinkServiceConnections/${plan.name}`;
  const targetType = topLevelTypeOf(plan.targetId);
  if (!plan.targetId || !targetType) {
    throw badRequest("LinkedInvalidPropertyId", `Property id '${plan.targetId}' at path 'properties.privateLinkServiceConnections[0].properties.privateLinkServiceId' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.`);
  }
  const target = ctx.store.get(plan.targetId);
  if (!target) {
    throw badRequest(
      "PrivateLinkServiceNotFound",
      `Call to ${targetType} failed. Error message: The Resource '${targetType}/${lastSegment(plan.targetId)}' under resource group '${resourceGroupNameOf(plan.targetId) ?? ""}' was not found. (private link service connection ${connectionId})`,
    );
  }
  const allowed = GROUP_IDS[target.type.toLowerCase()];
  if (!allowed) {
    throw badRequest("PrivateLinkNotSupportedForResourceType", `Resource type ${target.type} of ${target.id} does not support private endpoints in the emulator.`);
  }
  if (plan.groupIds.length !== 1) {
    throw badRequest(
      "OnlyOneGroupIdPermitted",
      `Private link service connection ${connectionId} has the following group Ids: ${plan.groupIds.join(", ")}. Only one group Id is permitted when connecting to a first-party resource (${target.id}).`,
    );
  }
  const groupId = plan.groupIds[0] ?? "";
  if (!allowed.includes(groupId.toLowerCase())) {
    throw badRequest(
      "InvalidValuesForRequestParameters",
      `Call to ${target.type} failed. Error message: Values for request parameters are invalid: GroupId: ${groupId}. Allowed: ${allowed.join(", ")}.`,
    );
  }
  if (sameText(target.type, "Microsoft.ContainerRegistry/registries")) {
    const sku = asString(asObject(target.body.sku).name) ?? "Basic";
    if (sku !== "Premium") {
      throw badRequest(
        "PrivateEndpointNotSupportedForSku",
        `Call to Microsoft.ContainerRegistry/registries failed. Error message: Private endpoints are not supported for the SKU ${sku}. For more information, please visit https://aka.ms/acr/private-link.`,
      );
    }
  }
  return target;
}

/** The first api-version (of those the emulator serves) whose spec has no private endpoint resourceGuid. */
const PRIVATE_ENDPOINT_GUID_DROPPED = "2023-09-01";

const APPROVED_STATE = { status: "Approved", description: "Auto-Approved", actionsRequired: "None" };

const privateEndpointHandler: ResourceTypeHandler = {
  type: PRIVATE_ENDPOINT,
  apiVersions: NETWORK_API_VERSIONS,
  location: "required",
  lro: ASYNC_LRO,
  // Private endpoints take about a minute in Azure (the wizard's measured runs; no Microsoft figure).
  latency: latencyOf(PRIVATE_ENDPOINT),
  view(ctx, record) {
    // Azure answers resourceGuid (recorded at 2020-07-01); the 2024-01-01 spec no longer lists it, so newer
    // api-versions are answered without it (spec validation treats unknown properties as errors).
    if (ctx.apiVersion >= PRIVATE_ENDPOINT_GUID_DROPPED) {
      const body = clone(record.body);
      delete asObject(body.properties).resourceGuid;
      return body;
    }
    return record.body;
  },
  put(ctx, req) {
    const input = propertiesOf(req.body);
    const location = asString(req.body.location) ?? asString(req.existing?.body.location);
    const subnetId = refId(input.subnet);
    if (!subnetId) throw badRequest("PrivateEndpointSubnetRequired", `Private endpoint ${ctx.id} must reference a subnet (properties.subnet.id).`);
    const subnet = subnetOf(ctx.store, subnetId, ctx.id, location);
    if (subnet.name === BASTION_SUBNET_NAME) {
      throw badRequest("AzureBastionSubnetCannotBeUsedByOtherResources", `Subnet with name '${BASTION_SUBNET_NAME}' can be used only for the Azure Bastion resource (${ctx.id}).`);
    }
    const [plan] = planConnections(ctx, input);
    if (!plan) throw badRequest("PrivateEndpointMustHaveOnePrivateLinkServiceConnection", `Private endpoint ${ctx.id} has no connection.`);
    const target = checkTarget(ctx, plan);
    const groupId = plan.groupIds[0] ?? "";
    const existingProperties = propertiesOf(req.existing?.body);
    if (req.existing && !sameText(refId(existingProperties.subnet), subnet.id)) {
      throw badRequest("PrivateEndpointSubnetCannotBeChanged", `The subnet of private endpoint ${ctx.id} cannot be changed from ${refId(existingProperties.subnet) ?? ""} to ${subnet.id}.`);
    }

    // One private IP per name the target serves; a re-PUT keeps the addresses it already has.
    const fqdns = targetFqdns(ctx.store, target, groupId);
    const previous = new Map<string, string>();
    for (const config of asArray(existingProperties.customDnsConfigs)) {
      const item = asObject(config);
      const address = asString(asArray(item.ipAddresses)[0]);
      const fqdn = asString(item.fqdn);
      if (fqdn && address) previous.set(fqdn.toLowerCase(), address);
    }
    const missing = fqdns.filter((fqdn) => !previous.has(fqdn.toLowerCase()));
    const fresh = missing.length > 0 ? allocateAddresses(ctx.store, subnet, missing.length, [ctx.id], [...previous.values()]) : [];
    const customDnsConfigs: Json[] = fqdns.map((fqdn) => {
      const address = previous.get(fqdn.toLowerCase()) ?? fresh.shift() ?? "";
      return { fqdn, ipAddresses: [address] };
    });

    const existingNic = refId(asArray(existingProperties.networkInterfaces)[0]);
    const nicName = asString(input.customNetworkInterfaceName) || `${ctx.name}.nic.${ctx.guid()}`;
    const nicId = existingNic ?? `${resourceGroupIdOf(ctx.id) ?? ""}/providers/Microsoft.Network/networkInterfaces/${nicName}`;
    const connection: JsonObject = {
      id: `${ctx.id}/${plan.manual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections"}/${plan.name}`,
      name: plan.name,
      type: "Microsoft.Network/privateEndpoints/privateLinkServiceConnections",
      etag: weakEtag(ctx.guid()),
      properties: {
        provisioningState: "Succeeded",
        privateLinkServiceId: target.id,
        groupIds: [groupId],
        privateLinkServiceConnectionState: plan.manual
          ? { status: "Pending", description: plan.requestMessage ?? "", actionsRequired: "None" }
          : { ...APPROVED_STATE },
        ...(plan.requestMessage !== undefined ? { requestMessage: plan.requestMessage } : {}),
      },
    };
    const body = baseBody(ctx, req);
    body.properties = {
      subnet: { id: subnet.id },
      privateLinkServiceConnections: plan.manual ? [] : [connection],
      manualPrivateLinkServiceConnections: plan.manual ? [connection] : [],
      networkInterfaces: [{ id: nicId }],
      customDnsConfigs,
      ipConfigurations: clone(asArray(input.ipConfigurations)),
      applicationSecurityGroups: clone(asArray(input.applicationSecurityGroups)),
      customNetworkInterfaceName: asString(input.customNetworkInterfaceName) ?? "",
      resourceGuid: resourceGuidOf(ctx, req.existing),
    };
    return body;
  },
  onSucceeded(ctx, record) {
    const properties = propertiesOf(record.body);
    const subnetId = refId(properties.subnet) ?? "";
    const nicId = refId(asArray(properties.networkInterfaces)[0]);
    const connection = asObject(asArray(properties.privateLinkServiceConnections)[0] ?? asArray(properties.manualPrivateLinkServiceConnections)[0]);
    const connectionProperties = propertiesOf(connection);
    const groupId = asString(asArray(connectionProperties.groupIds)[0]) ?? "";
    if (nicId) {
      const existingNic = ctx.store.get(nicId);
      const ipConfigurations = asArray(properties.customDnsConfigs).map((config, index) => {
        const item = asObject(config);
        const previousName = asString(asObject(asArray(propertiesOf(existingNic?.body).ipConfigurations)[index]).name);
        const configurationName = previousName ?? `privateEndpointIpConfig.${ctx.guid()}`;
        return {
          id: `${nicId}/ipConfigurations/${configurationName}`,
          name: configurationName,
          type: "Microsoft.Network/networkInterfaces/ipConfigurations",
          etag: weakEtag(ctx.guid()),
          properties: {
            provisioningState: "Succeeded",
            privateIPAddress: asString(asArray(item.ipAddresses)[0]) ?? "",
            privateIPAllocationMethod: "Dynamic",
            subnet: { id: subnetId },
            primary: index === 0,
            privateIPAddressVersion: "IPv4",
            privateLinkConnectionProperties: { groupId, requiredMemberName: groupId, fqdns: [asString(item.fqdn) ?? ""] },
          },
        };
      });
      ctx.store.upsert({
        id: nicId,
        type: NIC,
        name: lastSegment(nicId),
        resourceGroup: resourceGroupNameOf(nicId) ?? ctx.resourceGroup,
        subscriptionId: ctx.subscriptionId,
        apiVersion: record.apiVersion,
        body: {
          id: nicId,
          name: lastSegment(nicId),
          type: NIC,
          location: asString(record.body.location) ?? "",
          etag: weakEtag(ctx.guid()),
          properties: {
            provisioningState: "Succeeded",
            resourceGuid: asString(propertiesOf(existingNic?.body).resourceGuid) ?? ctx.guid(),
            ipConfigurations,
            dnsSettings: { dnsServers: [], appliedDnsServers: [] },
            enableAcceleratedNetworking: false,
            enableIPForwarding: false,
            disableTcpStateTracking: false,
            vnetEncryptionSupported: false,
            hostedWorkloads: [],
            tapConfigurations: [],
            nicType: "Standard",
            privateEndpoint: { id: record.id },
          },
        },
        ...(existingNic ? { createdAt: existingNic.createdAt } : {}),
      });
    }
    const targetId = asString(connectionProperties.privateLinkServiceId);
    if (targetId) writeTargetConnection(ctx, targetId, record, asObject(connectionProperties.privateLinkServiceConnectionState));
  },
  onDeleted(ctx, record) {
    const properties = propertiesOf(record.body);
    const nicId = refId(asArray(properties.networkInterfaces)[0]);
    if (nicId && ctx.store.get(nicId)) ctx.store.remove(nicId);
    for (const connection of [...asArray(properties.privateLinkServiceConnections), ...asArray(properties.manualPrivateLinkServiceConnections)]) {
      const targetId = asString(propertiesOf(asObject(connection)).privateLinkServiceId);
      if (targetId) removeTargetConnection(ctx.store, targetId, record.id);
    }
    // The endpoint's zone groups go with it, and so do the A records they wrote.
    for (const group of ctx.store.children(record.id, ZONE_GROUP)) removeZoneGroupRecords(ctx.store, group.body);
    removeRecordsOfEndpoint(ctx.store, record);
  },
};

/** Writes (or refreshes) the endpoint's entry in the target's `properties.privateEndpointConnections`. */
function writeTargetConnection(ctx: HandlerContext, targetId: string, endpoint: ResourceRecord, state: JsonObject): void {
  const target = ctx.store.get(targetId);
  if (!target) return;
  const body = clone(target.body);
  const properties = asObject(body.properties);
  const connections = asArray(properties.privateEndpointConnections).map((item) => asObject(item));
  const needle = endpoint.id.toLowerCase();
  const index = connections.findIndex((item) => refId(propertiesOf(item).privateEndpoint)?.toLowerCase() === needle);
  const existing = index >= 0 ? connections[index] : undefined;
  const name = asString(existing?.name) ?? lastSegment(asString(existing?.id) ?? "") ?? "";
  const connectionName = name || `${endpoint.name}.${ctx.guid()}`;
  const id = `${target.id}/privateEndpointConnections/${connectionName}`;
  const status = asString(state.status) ?? "Approved";
  const description = asString(state.description) ?? "";
  const type = target.type.toLowerCase();
  // Each RP spells its connection state slightly differently (storage: actionRequired).
  const connectionState: JsonObject =
    type === "microsoft.storage/storageaccounts"
      ? { status, description, actionRequired: "None" }
      : { status, description, actionsRequired: "None" };
  const entryProperties: JsonObject = {
    privateEndpoint: { id: endpoint.id },
    privateLinkServiceConnectionState: connectionState,
    provisioningState: "Succeeded",
  };
  const entry: JsonObject =
    type === "microsoft.keyvault/vaults"
      ? { id, etag: weakEtag(ctx.guid()), properties: entryProperties }
      : { id, name: connectionName, type: `${target.type}/privateEndpointConnections`, properties: entryProperties };
  if (index >= 0) connections[index] = entry;
  else connections.push(entry);
  properties.privateEndpointConnections = connections;
  body.properties = properties;
  ctx.store.upsert({ ...target, body });
  // Azure Monitor private link scopes also expose each connection at its own URL (approve/reject there).
  if (CONNECTION_CHILD_TYPES.has(type)) {
    const child = ctx.store.get(id);
    ctx.store.upsert({
      id,
      type: `${target.type}/privateEndpointConnections`,
      name: connectionName,
      resourceGroup: target.resourceGroup,
      subscriptionId: target.subscriptionId,
      apiVersion: target.apiVersion,
      body: clone(entry),
      ...(child ? { createdAt: child.createdAt } : {}),
    });
  }
}

/** Target types whose private endpoint connections are also child resources in the emulator. */
const CONNECTION_CHILD_TYPES = new Set([
  "microsoft.insights/privatelinkscopes",
  "microsoft.storage/storageaccounts",
  "microsoft.keyvault/vaults",
  "microsoft.containerregistry/registries",
]);

function removeTargetConnection(store: ResourceStore, targetId: string, endpointId: string): void {
  const target = store.get(targetId);
  if (!target) return;
  const body = clone(target.body);
  const properties = asObject(body.properties);
  const needle = endpointId.toLowerCase();
  const connections = asArray(properties.privateEndpointConnections);
  const kept = connections.filter((item) => refId(propertiesOf(asObject(item)).privateEndpoint)?.toLowerCase() !== needle);
  for (const connection of connections) {
    const item = asObject(connection);
    const childId = asString(item.id);
    if (childId && refId(propertiesOf(item).privateEndpoint)?.toLowerCase() === needle && store.get(childId)) store.remove(childId);
  }
  if (kept.length === connections.length) return;
  properties.privateEndpointConnections = kept;
  body.properties = properties;
  store.upsert({ ...target, body });
}

// ---------------------------------------------------------------------------------------------
// Private DNS zone groups: the A records of an endpoint's names in its private DNS zones

/**
 * Public DNS suffixes a privatelink zone answers for, when the zone name is not simply
 * "privatelink." + the public suffix (Key Vault: vault.azure.net is served by privatelink.vaultcore.azure.net).
 */
const ZONE_ALIASES: Record<string, readonly string[]> = {
  "privatelink.vaultcore.azure.net": ["vault.azure.net"],
  "privatelink.vaultcore.usgovcloudapi.net": ["vault.usgovcloudapi.net"],
  "privatelink.vaultcore.azure.cn": ["vault.azure.cn"],
};

/** The record name for `fqdn` in `zoneName`, or undefined when the zone does not serve that name. */
export function recordNameFor(fqdn: string, zoneName: string): string | undefined {
  const zone = zoneName.toLowerCase().replace(/\.$/, "");
  const name = fqdn.toLowerCase().replace(/\.$/, "");
  const suffixes = [zone.replace(/^privatelink\./, ""), ...(ZONE_ALIASES[zone] ?? [])];
  for (const suffix of suffixes) {
    if (name.endsWith(`.${suffix}`)) {
      const label = name.slice(0, name.length - suffix.length - 1);
      if (label.length > 0) return label;
    }
  }
  return undefined;
}

interface PlannedRecord {
  zoneId: string;
  zoneName: string;
  recordName: string;
  addresses: string[];
}

function plannedRecordsFromGroup(groupBody: JsonObject): PlannedRecord[] {
  const planned: PlannedRecord[] = [];
  for (const config of asArray(propertiesOf(groupBody).privateDnsZoneConfigs)) {
    const properties = propertiesOf(asObject(config));
    const zoneId = asString(properties.privateDnsZoneId) ?? "";
    for (const recordSet of asArray(properties.recordSets)) {
      const item = asObject(recordSet);
      planned.push({
        zoneId,
        zoneName: lastSegment(zoneId),
        recordName: asString(item.recordSetName) ?? "",
        addresses: asArray(item.ipAddresses).filter((value): value is string => typeof value === "string"),
      });
    }
  }
  return planned;
}

function aRecordId(zoneId: string, recordName: string): string {
  return `${zoneId}/A/${recordName}`;
}

/** Removes `addresses` from an A record; the record goes when it has none left. */
function removeAddresses(store: ResourceStore, zoneId: string, recordName: string, addresses: readonly string[]): void {
  const record = store.get(aRecordId(zoneId, recordName));
  if (!record) return;
  const drop = new Set(addresses);
  const properties = propertiesOf(record.body);
  const kept = asArray(properties.aRecords).filter((item) => !drop.has(asString(asObject(item).ipv4Address) ?? ""));
  if (kept.length === 0) {
    store.remove(record.id);
    return;
  }
  store.upsert({ ...record, body: { ...clone(record.body), properties: { ...clone(properties), aRecords: kept } } });
}

function removeZoneGroupRecords(store: ResourceStore, groupBody: JsonObject): void {
  for (const planned of plannedRecordsFromGroup(groupBody)) removeAddresses(store, planned.zoneId, planned.recordName, planned.addresses);
}

/** Fallback when an endpoint's zone groups are already gone: its names and addresses in every zone. */
function removeRecordsOfEndpoint(store: ResourceStore, endpoint: ResourceRecord): void {
  const configs = asArray(propertiesOf(endpoint.body).customDnsConfigs).map((item) => asObject(item));
  if (configs.length === 0) return;
  for (const zone of store.listByType(PRIVATE_DNS_ZONE)) {
    for (const config of configs) {
      const recordName = recordNameFor(asString(config.fqdn) ?? "", zone.name);
      if (!recordName) continue;
      const addresses = asArray(config.ipAddresses).filter((value): value is string => typeof value === "string");
      removeAddresses(store, zone.id, recordName, addresses);
    }
  }
}

function writeARecord(ctx: HandlerContext, planned: PlannedRecord): void {
  const id = aRecordId(planned.zoneId, planned.recordName);
  const existing = ctx.store.get(id);
  const zone = ctx.store.get(planned.zoneId);
  const zoneName = zone?.name ?? planned.zoneName;
  ctx.store.upsert({
    id: existing?.id ?? id,
    type: A_RECORD,
    name: planned.recordName,
    resourceGroup: resourceGroupNameOf(planned.zoneId),
    subscriptionId: ctx.subscriptionId,
    apiVersion: "2020-06-01",
    body: {
      id: existing?.id ?? id,
      name: planned.recordName,
      type: A_RECORD,
      etag: ctx.guid(),
      properties: {
        metadata: {},
        ttl: ZONE_GROUP_RECORD_TTL,
        fqdn: `${planned.recordName}.${zoneName}.`,
        isAutoRegistered: false,
        aRecords: planned.addresses.map((ipv4Address) => ({ ipv4Address })),
      },
    },
    ...(existing ? { createdAt: existing.createdAt } : {}),
  });
}

const zoneGroupHandler: ResourceTypeHandler = {
  type: ZONE_GROUP,
  apiVersions: NETWORK_API_VERSIONS,
  location: "none",
  lro: ASYNC_LRO,
  latency: latencyOf(ZONE_GROUP),
  put(ctx, req) {
    const endpointId = ctx.parentId(ctx.id) ?? "";
    const endpoint = requireRecord(ctx.store, endpointId, ctx.id);
    const others = ctx.store.children(endpoint.id, ZONE_GROUP).filter((group) => !sameText(group.id, ctx.id));
    if (others.length > 0) {
      throw badRequest("OnlyOnePrivateDnsZoneGroupAllowed", `Private endpoint ${endpoint.id} already has the private DNS zone group ${others[0]?.id ?? ""}; only one is allowed.`);
    }
    const configs = asArray(propertiesOf(req.body).privateDnsZoneConfigs);
    if (configs.length === 0 || configs.length > 5) {
      throw badRequest("InvalidPrivateDnsZoneConfigCount", `Private DNS zone group ${ctx.id} must have between 1 and 5 private DNS zone configurations; it has ${configs.length}.`);
    }
    const dnsConfigs = asArray(propertiesOf(endpoint.body).customDnsConfigs).map((item) => asObject(item));
    const seenZones = new Set<string>();
    const privateDnsZoneConfigs = configs.map((item, index) => {
      const config = asObject(item);
      const name = asString(config.name) ?? `config${index + 1}`;
      const zoneId = asString(propertiesOf(config).privateDnsZoneId);
      const zone = requireRecord(ctx.store, zoneId, ctx.id);
      if (!sameText(zone.type, PRIVATE_DNS_ZONE)) throw invalidReference(zone.id, ctx.id);
      if (seenZones.has(zone.id.toLowerCase())) {
        throw badRequest("DuplicatePrivateDnsZoneIds", `Private DNS zone ${zone.id} is listed more than once in ${ctx.id}.`);
      }
      seenZones.add(zone.id.toLowerCase());
      const recordSets: Json[] = [];
      for (const dnsConfig of dnsConfigs) {
        const fqdn = asString(dnsConfig.fqdn) ?? "";
        const recordName = recordNameFor(fqdn, zone.name);
        if (!recordName) continue;
        recordSets.push({
          recordType: "A",
          recordSetName: recordName,
          fqdn: `${recordName}.${zone.name}`,
          provisioningState: "Succeeded",
          ttl: ZONE_GROUP_RECORD_TTL,
          ipAddresses: clone(asArray(dnsConfig.ipAddresses)),
        });
      }
      return { name, properties: { privateDnsZoneId: zone.id, recordSets } };
    });
    const body: JsonObject = { etag: weakEtag(ctx.guid()), properties: { privateDnsZoneConfigs } };
    // An update that drops a zone or a name removes what the previous version wrote.
    if (req.existing) {
      const next = new Set(plannedRecordsFromGroup(body).map((planned) => aRecordId(planned.zoneId, planned.recordName).toLowerCase()));
      for (const planned of plannedRecordsFromGroup(req.existing.body)) {
        if (!next.has(aRecordId(planned.zoneId, planned.recordName).toLowerCase())) removeAddresses(ctx.store, planned.zoneId, planned.recordName, planned.addresses);
      }
    }
    return body;
  },
  onSucceeded(ctx, record) {
    for (const planned of plannedRecordsFromGroup(record.body)) writeARecord(ctx, planned);
  },
  // Azure's zone group (and its spec) has id, name, etag and properties, but no type.
  view(_ctx, record) {
    const body = clone(record.body);
    delete body.type;
    return body;
  },
  onDeleted(ctx, record) {
    removeZoneGroupRecords(ctx.store, record.body);
  },
};

export const networkProvider: EmulatorProvider = {
  namespace: "Microsoft.Network",
  types: [
    virtualNetworkHandler,
    subnetHandler,
    publicIpHandler,
    bastionHandler,
    nicHandler,
    nsgHandler,
    securityRuleHandler,
    privateEndpointHandler,
    zoneGroupHandler,
  ],
};
