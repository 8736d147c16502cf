// Network interfaces.
// Part of the Microsoft.Network provider (network.ts); rules and sources: docs/emulator-network.md.
import { asArray, asObject, asString, isObject, sameRegion, sameText } from "../core/common.js";
import type { JsonObject, ResourceRecord, ResourceStore, ResourceTypeHandler } from "../types.js";
import { ASYNC_LRO, NETWORK_API_VERSIONS, badRequest, clone, invalidReference, ipv4ToNumber, propertiesOf, refId, weakEtag } from "./network-common.js";
import { latencyOf } from "../../durations.js";
import {
  BASTION_SUBNET_NAME,
  NIC,
  VIRTUAL_MACHINE,
  allocateAddresses,
  baseBody,
  matchEnum,
  patchTags,
  requireRecord,
  resourceGuidOf,
  subnetOf,
  usedAddresses,
  subnetRanges,
} from "./network-shared.js";

// Network interfaces

export const nicHandler: ResourceTypeHandler = {
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
        throw badRequest(
          "AzureBastionSubnetCannotBeUsedByOtherResources",
          `Subnet with name '${BASTION_SUBNET_NAME}' can be used only for the Azure Bastion resource (${ctx.id}).`,
        );
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
          throw badRequest(
            "PrivateIPAddressNotInSubnet",
            `IP configuration ${ctx.id}/ipConfigurations/${name} references the private IP address ${address} which is not in the subnet ${subnet.id}.`,
          );
        }
        if (usedAddresses(ctx.store, subnet.id, [ctx.id]).has(value) || taken.includes(address)) {
          throw badRequest(
            "PrivateIPAddressInUse",
            `IP configuration ${ctx.id}/ipConfigurations/${name} is using the private IP address ${address} which is already allocated to another resource.`,
          );
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

export function virtualMachineUsing(store: ResourceStore, nicId: string): ResourceRecord | undefined {
  const needle = nicId.toLowerCase();
  return store
    .listByType(VIRTUAL_MACHINE)
    .find((vm) => asArray(asObject(propertiesOf(vm.body).networkProfile).networkInterfaces).some((item) => refId(item)?.toLowerCase() === needle));
}
