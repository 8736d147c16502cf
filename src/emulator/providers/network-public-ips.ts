// Public IP addresses and Bastion hosts.
// Part of the Microsoft.Network provider (network.ts); rules and sources: docs/emulator-network.md.
import { asArray, asObject, asString, isObject, sameRegion } from "../core/common.js";
import type { HandlerContext, JsonObject, ResourceRecord, ResourceStore, ResourceTypeHandler } from "../types.js";
import { ASYNC_LRO, NETWORK_API_VERSIONS, badRequest, clone, invalidReference, propertiesOf, recordsReferencing, refId, vnetIdOfSubnet, weakEtag } from "./network-common.js";
import { latencyOf } from "../../durations.js";
import {
  BASTION,
  BASTION_MAX_PREFIX_LENGTH,
  BASTION_SUBNET_NAME,
  NIC,
  PUBLIC_IP,
  baseBody,
  matchEnum,
  patchTags,
  requireRecord,
  resourceGuidOf,
  subnetRanges,
  referringIpConfigurations,
} from "./network-shared.js";
import { bastionSubnetTooSmall } from "./network-vnets.js";

// Public IP addresses

export function publicIpUsers(store: ResourceStore, publicIpId: string): ResourceRecord[] {
  return recordsReferencing(store, [NIC, BASTION], publicIpId);
}

export function randomPublicIp(ctx: HandlerContext): string {
  // Documentation range 20.0.0.0/8-like public space; the value only has to look like an Azure public IP.
  const hex = ctx.guid().replace(/-/g, "");
  const byte = (index: number) => parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return `20.${byte(0)}.${byte(1)}.${Math.max(1, byte(2) % 255)}`;
}

export const publicIpHandler: ResourceTypeHandler = {
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
    for (const { configuration } of referringIpConfigurations(publicIpUsers(ctx.store, record.id), "publicIPAddress", record.id)) {
      if (asString(configuration.id)) properties.ipConfiguration = { id: asString(configuration.id) ?? "" };
    }
    body.properties = properties;
    return body;
  },
};

// ---------------------------------------------------------------------------------------------
// Bastion hosts

export const bastionHandler: ResourceTypeHandler = {
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
