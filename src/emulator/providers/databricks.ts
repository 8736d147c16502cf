// Microsoft.Databricks/workspaces: an Azure Databricks workspace, optionally injected into a customer
// VNet (parameters.customVirtualNetworkId + customPublicSubnetName/customPrivateSubnetName). The rules
// are those Azure enforces before it deploys a VNet-injected workspace (Microsoft's "Deploy Azure
// Databricks in your Azure virtual network (VNet injection)"): the VNet exists, in the workspace's
// subscription and region; both subnets exist, differ, are delegated to Microsoft.Databricks/workspaces
// and have a network security group; the VNet and subnets cannot change after creation. On success
// Azure creates the managed resource group (managedBy = the workspace) and adds its own rules to the
// NSG; deleting the workspace deletes the managed resource group. No REST spec of this namespace is in
// /work/shared/arm-specs, so requests and responses are not spec-validated (docs/emulator-services.md).

import { isObject } from "../core/common.js";
import { ArmError, type EmulatorProvider, type HandlerContext, type Json, type JsonObject, type ResourceRecord } from "../types.js";
import { compact, nowIso, optionalString, parseResourceId, patchedBody, requireLocation, section, tagsOf } from "./service-common.js";
import { latencyOf } from "../../durations.js";

export const DATABRICKS_WORKSPACE_TYPE = "Microsoft.Databricks/workspaces";
const VNET_TYPE = "Microsoft.Network/virtualNetworks";
const SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets";
const SECURITY_RULE_TYPE = "Microsoft.Network/networkSecurityGroups/securityRules";
const RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups";
const DELEGATION = "Microsoft.Databricks/workspaces";

/** @azure/arm-databricks 3.0 sends 2023-02-01 for workspaces; later GA versions are accepted too. */
const API_VERSIONS = ["2018-04-01", "2023-02-01", "2024-05-01", "2025-03-01-preview"];
const SKUS = ["standard", "premium", "trial"];

/**
 * The rules Azure Databricks adds to the NSG of an injected workspace's subnets (Microsoft's VNet
 * injection page, "Network security group rules", workspaces created after January 13, 2020).
 */
export const DATABRICKS_NSG_RULES: ReadonlyArray<{ name: string; direction: "Inbound" | "Outbound"; priority: number; protocol: string; destination: string; ports: string[] }> = [
  {
    name: "Microsoft.Databricks-workspaces_UseOnly_databricks-worker-to-worker-inbound",
    direction: "Inbound",
    priority: 100,
    protocol: "*",
    destination: "VirtualNetwork",
    ports: ["*"],
  },
  {
    name: "Microsoft.Databricks-workspaces_UseOnly_databricks-worker-to-databricks-webapp",
    direction: "Outbound",
    priority: 100,
    protocol: "Tcp",
    destination: "AzureDatabricks",
    ports: ["443", "3306", "8443-8451"],
  },
  { name: "Microsoft.Databricks-workspaces_UseOnly_databricks-worker-to-sql", direction: "Outbound", priority: 101, protocol: "Tcp", destination: "Sql", ports: ["3306"] },
  { name: "Microsoft.Databricks-workspaces_UseOnly_databricks-worker-to-storage", direction: "Outbound", priority: 102, protocol: "Tcp", destination: "Storage", ports: ["443"] },
  {
    name: "Microsoft.Databricks-workspaces_UseOnly_databricks-worker-to-worker-outbound",
    direction: "Outbound",
    priority: 103,
    protocol: "*",
    destination: "VirtualNetwork",
    ports: ["*"],
  },
  {
    name: "Microsoft.Databricks-workspaces_UseOnly_databricks-worker-to-eventhub",
    direction: "Outbound",
    priority: 104,
    protocol: "Tcp",
    destination: "EventHub",
    ports: ["9093"],
  },
];

function badRequest(code: string, message: string): ArmError {
  return new ArmError(400, code, message);
}

function parameterValue(parameters: JsonObject, key: string): Json | undefined {
  const item = parameters[key];
  return isObject(item) ? item.value : undefined;
}

function stringParameter(parameters: JsonObject, key: string): string | undefined {
  const value = parameterValue(parameters, key);
  return typeof value === "string" && value !== "" ? value : undefined;
}

function same(a: string | undefined, b: string | undefined): boolean {
  return (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
}

function region(text: string | undefined): string {
  return (text ?? "").replace(/\s/g, "").toLowerCase();
}

function managedGroupOf(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): string {
  const requested = optionalString(section(request, "properties"), "managedResourceGroupId");
  const previous = optionalString(section(existing?.body, "properties"), "managedResourceGroupId");
  if (!requested) {
    throw badRequest("InvalidManagedResourceGroupId", "The managed resource group ID is required: properties.managedResourceGroupId.");
  }
  if (previous && !same(previous, requested)) {
    throw badRequest("ManagedResourceGroupIdChangeNotAllowed", `Updating the managed resource group from '${previous}' to '${requested}' is not allowed.`);
  }
  const parsed = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)$/i.exec(requested);
  if (!parsed || !same(parsed[1], ctx.subscriptionId)) {
    throw badRequest(
      "InvalidManagedResourceGroupId",
      `The managed resource group ID '${requested}' is invalid: it must be a resource group of subscription '${ctx.subscriptionId}'.`,
    );
  }
  if (same(parsed[2], ctx.resourceGroup)) {
    throw badRequest("InvalidManagedResourceGroupId", `The managed resource group '${parsed[2]}' cannot be the workspace's own resource group '${ctx.resourceGroup ?? ""}'.`);
  }
  const group = ctx.store.get(requested);
  if (group && !same(optionalString(group.body, "managedBy"), ctx.id)) {
    throw new ArmError(
      409,
      "ManagedResourceGroupAlreadyExists",
      `The managed resource group '${parsed[2]}' already exists and is not managed by workspace '${ctx.id}'. Azure Databricks creates it; choose a name no resource group has.`,
    );
  }
  return requested;
}

/** The VNet-injection rules; returns the parameters as Azure reports them (each with its type). */
function checkInjection(ctx: HandlerContext, parameters: JsonObject, previousParameters: JsonObject, location: string): void {
  const vnetId = stringParameter(parameters, "customVirtualNetworkId");
  const previousVnet = stringParameter(previousParameters, "customVirtualNetworkId");
  if (previousVnet !== undefined || vnetId !== undefined) {
    if (previousVnet !== undefined && !same(previousVnet, vnetId)) {
      throw badRequest("VirtualNetworkIdChangeNotAllowed", `Updating required Virtual Network from ${previousVnet} to ${vnetId ?? "(none)"} is currently not allowed.`);
    }
  }
  for (const key of ["customPublicSubnetName", "customPrivateSubnetName"]) {
    const before = stringParameter(previousParameters, key);
    if (before !== undefined && !same(before, stringParameter(parameters, key))) {
      throw badRequest("SubnetNameChangeNotAllowed", `Updating ${key} from '${before}' to '${stringParameter(parameters, key) ?? "(none)"}' is currently not allowed.`);
    }
  }
  if (vnetId === undefined) return;
  const parsed = parseResourceId(vnetId);
  if (!same(parsed.type, VNET_TYPE)) throw badRequest("InvalidVirtualNetworkId", `The virtual network ID '${vnetId}' is not a Microsoft.Network/virtualNetworks resource ID.`);
  if (!same(parsed.subscriptionId, ctx.subscriptionId)) {
    throw badRequest("InvalidVirtualNetworkSubscription", `The virtual network '${vnetId}' must be in the workspace's subscription '${ctx.subscriptionId}'.`);
  }
  const vnet = ctx.store.get(vnetId);
  if (!vnet || !same(vnet.type, VNET_TYPE)) throw badRequest("VirtualNetworkNotFound", `The virtual network '${vnetId}' was not found.`);
  if (region(optionalString(vnet.body, "location")) !== region(location)) {
    throw badRequest(
      "InvalidVirtualNetworkLocation",
      `The virtual network '${vnet.name}' is in '${optionalString(vnet.body, "location") ?? ""}', but the workspace is in '${location}': they must be in the same region.`,
    );
  }
  const publicName = stringParameter(parameters, "customPublicSubnetName");
  const privateName = stringParameter(parameters, "customPrivateSubnetName");
  if (!publicName || !privateName) {
    throw badRequest("InvalidSubnetConfiguration", "A VNet-injected workspace needs both customPublicSubnetName and customPrivateSubnetName.");
  }
  if (same(publicName, privateName)) {
    throw badRequest("InvalidSubnetConfiguration", `The public and private subnets must differ; both are '${publicName}'.`);
  }
  for (const name of [publicName, privateName]) {
    const subnet = ctx.store.get(`${vnet.id}/subnets/${name}`);
    if (!subnet || !same(subnet.type, SUBNET_TYPE)) throw badRequest("SubnetNotFound", `Subnet '${name}' was not found in virtual network '${vnet.name}'.`);
    const properties = section(subnet.body, "properties");
    const delegations = Array.isArray(properties.delegations) ? properties.delegations : [];
    const delegated = delegations.some((d) => isObject(d) && same(optionalString(section(d, "properties"), "serviceName"), DELEGATION));
    if (!delegated) {
      throw badRequest("SubnetMissingRequiredDelegation", `Subnet '${name}' must be delegated to '${DELEGATION}' before Azure Databricks can use it.`);
    }
    const nsg = section(properties, "networkSecurityGroup");
    if (!optionalString(nsg, "id")) {
      throw badRequest("SubnetWithoutNetworkSecurityGroup", `Subnet '${name}' must have a network security group associated before Azure Databricks can use it.`);
    }
  }
}

function typedParameters(parameters: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(parameters)) {
    if (!isObject(item) || item.value === undefined) continue;
    const value = item.value;
    const type = typeof value === "boolean" ? "Bool" : typeof value === "string" ? "String" : "Object";
    out[key] = { type, value };
  }
  // Azure reports these defaults on every workspace.
  out.enableNoPublicIp ??= { type: "Bool", value: true };
  out.prepareEncryption ??= { type: "Bool", value: false };
  out.requireInfrastructureEncryption ??= { type: "Bool", value: false };
  return out;
}

function build(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const location = requireLocation(request);
  const sku = isObject(request.sku) ? request.sku : section(existing?.body, "sku");
  const skuName = optionalString(sku, "name");
  if (!skuName || !SKUS.includes(skuName.toLowerCase())) {
    throw badRequest("InvalidSkuName", `The SKU '${skuName ?? ""}' is invalid. Valid values: ${SKUS.join(", ")}.`);
  }
  const requested = section(request, "properties");
  const previous = section(existing?.body, "properties");
  const managedResourceGroupId = managedGroupOf(ctx, request, existing);
  const parameters = section(requested, "parameters");
  checkInjection(ctx, parameters, section(previous, "parameters"), location);
  const workspaceId = optionalString(previous, "workspaceId") ?? `${ctx.guid().replace(/\D/g, "")}7777777777777777`.replace(/^0+/, "").slice(0, 16);
  return compact({
    location,
    tags: tagsOf(request, existing) ?? {},
    sku: { name: skuName },
    properties: compact({
      managedResourceGroupId,
      parameters: typedParameters(parameters),
      publicNetworkAccess: optionalString(requested, "publicNetworkAccess") ?? "Enabled",
      requiredNsgRules: optionalString(requested, "requiredNsgRules") ?? "AllRules",
      workspaceId,
      workspaceUrl: optionalString(previous, "workspaceUrl") ?? `adb-${workspaceId}.${workspaceId.slice(-2)}.azuredatabricks.net`,
      createdDateTime: optionalString(previous, "createdDateTime") ?? nowIso(ctx),
      authorizations: Array.isArray(previous.authorizations) ? previous.authorizations : [],
    }),
  });
}

/** What Azure does once the workspace is deployed: its managed resource group, and its rules on the NSG. */
function afterDeploy(ctx: HandlerContext, record: ResourceRecord): void {
  const properties = section(record.body, "properties");
  const managedId = optionalString(properties, "managedResourceGroupId");
  const location = optionalString(record.body, "location") ?? "";
  if (managedId && !ctx.store.get(managedId)) {
    const name = managedId.split("/").pop() ?? "";
    ctx.store.upsert({
      id: managedId,
      type: RESOURCE_GROUP_TYPE,
      name,
      resourceGroup: name,
      subscriptionId: ctx.subscriptionId,
      apiVersion: "2021-04-01",
      body: { id: managedId, name, type: RESOURCE_GROUP_TYPE, location, managedBy: record.id, tags: {}, properties: { provisioningState: "Succeeded" } },
    });
  }
  const parameters = section(properties, "parameters");
  const vnetId = stringParameter(parameters, "customVirtualNetworkId");
  if (!vnetId) return;
  for (const key of ["customPublicSubnetName", "customPrivateSubnetName"]) {
    const subnetName = stringParameter(parameters, key);
    const subnet = subnetName ? ctx.store.get(`${vnetId}/subnets/${subnetName}`) : undefined;
    const nsgId = optionalString(section(section(subnet?.body, "properties"), "networkSecurityGroup"), "id");
    const nsg = nsgId ? ctx.store.get(nsgId) : undefined;
    if (!nsg) continue;
    for (const rule of DATABRICKS_NSG_RULES) {
      const id = `${nsg.id}/securityRules/${rule.name}`;
      if (ctx.store.get(id)) continue;
      ctx.store.upsert({
        id,
        type: SECURITY_RULE_TYPE,
        name: rule.name,
        resourceGroup: nsg.resourceGroup,
        subscriptionId: nsg.subscriptionId,
        apiVersion: nsg.apiVersion,
        body: {
          id,
          name: rule.name,
          type: SECURITY_RULE_TYPE,
          etag: `W/"${ctx.guid()}"`,
          properties: {
            description: "Required for Azure Databricks. Added by Azure; do not remove.",
            protocol: rule.protocol,
            sourcePortRange: "*",
            sourceAddressPrefix: "VirtualNetwork",
            destinationAddressPrefix: rule.destination,
            ...(rule.ports.length === 1 ? { destinationPortRange: rule.ports[0] ?? "*" } : { destinationPortRanges: rule.ports }),
            access: "Allow",
            priority: rule.priority,
            direction: rule.direction,
            provisioningState: "Succeeded",
          },
        },
      });
    }
  }
}

export const databricksProvider: EmulatorProvider = {
  namespace: "Microsoft.Databricks",
  types: [
    {
      type: DATABRICKS_WORKSPACE_TYPE,
      apiVersions: API_VERSIONS,
      location: "required",
      // Workspaces_CreateOrUpdate / Workspaces_Delete are long-running (x-ms-long-running-operation).
      lro: { put: "async", delete: "async", header: "Azure-AsyncOperation" },
      latency: latencyOf(DATABRICKS_WORKSPACE_TYPE),
      exclusiveWrites: true,
      systemData: true,
      put(ctx, req) {
        return build(ctx, req.body, req.existing);
      },
      patch(ctx, req) {
        // Workspaces_Update changes tags only.
        const body = patchedBody(req.existing.body, {}, req.body.tags);
        return build(ctx, body, req.existing);
      },
      onSucceeded: afterDeploy,
      onDeleted(ctx, record) {
        // Azure deletes the managed resource group with the workspace (it is Azure's, not the caller's).
        const managedId = optionalString(section(record.body, "properties"), "managedResourceGroupId");
        const group = managedId ? ctx.store.get(managedId) : undefined;
        if (group && same(optionalString(group.body, "managedBy"), record.id)) ctx.store.remove(group.id);
      },
    },
  ],
};

/** Whether a subnet body carries the Databricks delegation (for tests and other providers). */
export function isDatabricksDelegated(subnetBody: JsonObject): boolean {
  const delegations = section(subnetBody, "properties").delegations;
  return Array.isArray(delegations) && delegations.some((d) => isObject(d) && same(optionalString(section(d, "properties"), "serviceName"), DELEGATION));
}
