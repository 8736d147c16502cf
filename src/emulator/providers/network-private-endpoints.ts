// Private endpoints: targets, group IDs, their NIC and addresses.
// Part of the Microsoft.Network provider (network.ts); rules and sources: docs/emulator-network.md.
import { asArray, asObject, asString, normalizeLocation, sameText } from "../core/common.js";
import { createHash } from "node:crypto";
import type { HandlerContext, Json, JsonObject, ResourceRecord, ResourceStore, ResourceTypeHandler } from "../types.js";
import {
  ASYNC_LRO,
  NETWORK_API_VERSIONS,
  badRequest,
  clone,
  lastSegment,
  propertiesOf,
  refId,
  resourceGroupIdOf,
  resourceGroupNameOf,
  topLevelTypeOf,
  weakEtag,
} from "./network-common.js";
import { latencyOf } from "../../durations.js";
import { removeRecordsOfEndpoint, removeZoneGroupRecords } from "./network-dns-zone-groups.js";
import { removeTargetConnection, writeTargetConnection } from "./network-endpoint-connections.js";
import { BASTION_SUBNET_NAME, NIC, PRIVATE_ENDPOINT, ZONE_GROUP, allocateAddresses, baseBody, resourceGuidOf, subnetOf } from "./network-shared.js";

// Private endpoints

/** Group IDs (sub-resources) each private-link target type accepts, lower-cased. */
export const GROUP_IDS: Record<string, readonly string[]> = {
  "microsoft.storage/storageaccounts": ["blob", "blob_secondary", "file", "queue", "queue_secondary", "table", "table_secondary", "dfs", "dfs_secondary", "web", "web_secondary"],
  "microsoft.keyvault/vaults": ["vault"],
  "microsoft.containerregistry/registries": ["registry"],
  "microsoft.machinelearningservices/workspaces": ["amlworkspace"],
  "microsoft.insights/privatelinkscopes": ["azuremonitor"],
};

/** Azure Monitor names every AMPLS private endpoint serves, whatever is in the scope. */
export const AZURE_MONITOR_GLOBAL_FQDNS = [
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
export function stableGuid(id: string): string {
  const hex = createHash("sha256").update(id.toLowerCase()).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** The public names a private endpoint to `target` for `groupId` serves (one private IP each). */
export function targetFqdns(store: ResourceStore, target: ResourceRecord, groupId: string): string[] {
  const type = target.type.toLowerCase();
  const name = target.name.toLowerCase();
  const region = normalizeLocation(asString(target.body.location) ?? "");
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

export interface ConnectionPlan {
  name: string;
  targetId: string;
  groupIds: string[];
  requestMessage?: string;
  manual: boolean;
}

export function planConnections(ctx: HandlerContext, input: JsonObject): ConnectionPlan[] {
  const plans: ConnectionPlan[] = [];
  for (const [key, manual] of [
    ["privateLinkServiceConnections", false],
    ["manualPrivateLinkServiceConnections", true],
  ] as const) {
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
    throw badRequest(
      "PrivateEndpointMustHaveOnePrivateLinkServiceConnection",
      `Private endpoint ${ctx.id} must have exactly one private link service connection; it has ${plans.length}.`,
    );
  }
  return plans;
}

export function checkTarget(ctx: HandlerContext, plan: ConnectionPlan): ResourceRecord {
  const connectionId = `${ctx.id}/privateLinkServiceConnections/${plan.name}`;
  const targetType = topLevelTypeOf(plan.targetId);
  if (!plan.targetId || !targetType) {
    throw badRequest(
      "LinkedInvalidPropertyId",
      `Property id '${plan.targetId}' at path 'properties.privateLinkServiceConnections[0].properties.privateLinkServiceId' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.`,
    );
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
export const PRIVATE_ENDPOINT_GUID_DROPPED = "2023-09-01";

export const APPROVED_STATE = { status: "Approved", description: "Auto-Approved", actionsRequired: "None" };

export const privateEndpointHandler: ResourceTypeHandler = {
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
      throw badRequest(
        "PrivateEndpointSubnetCannotBeChanged",
        `The subnet of private endpoint ${ctx.id} cannot be changed from ${refId(existingProperties.subnet) ?? ""} to ${subnet.id}.`,
      );
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
        privateLinkServiceConnectionState: plan.manual ? { status: "Pending", description: plan.requestMessage ?? "", actionsRequired: "None" } : { ...APPROVED_STATE },
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
