// Reads what is deployed in a resource group, through the SDK clients, into one plain snapshot the
// checks run over. Discovery is by resource type (the generic list of the group), not by the names
// secure-aml would derive, so the audit works on environments secure-aml did not build too.
// Private DNS zones a zone group points at in another resource group (hub-and-spoke) are read too.

import type { StorageAccount } from "@azure/arm-storage";
import type { Vault } from "@azure/arm-keyvault";
import type { Registry } from "@azure/arm-containerregistry";
import type { ComputeResource, Workspace } from "@azure/arm-machinelearning";
import type { ApplicationInsightsComponent } from "@azure/arm-appinsights";
import type { Workspace as LogAnalyticsWorkspace } from "@azure/arm-operationalinsights";
import type { NetworkInterface, NetworkSecurityGroup, PrivateDnsZoneGroup, PrivateEndpoint, VirtualNetwork } from "@azure/arm-network";
import type { RecordSet, VirtualNetworkLink } from "@azure/arm-privatedns";
import type { RoleAssignment } from "@azure/arm-authorization";
import type { VirtualMachine } from "@azure/arm-compute";
import type { Workspace as DatabricksWorkspace } from "@azure/arm-databricks";
import type { AzureContext } from "../azure/clients.js";
import { armCall, getOrUndefined } from "../azure/arm-errors.js";
import { collect, parseResourceId, sameText, typeOfId } from "./ids.js";
import { prop } from "../shared/json.js";

export const PRIVATE_LINK_SCOPE_API_VERSION = "2021-07-01-preview";

export interface PrivateLinkScopeView {
  id: string;
  name: string;
  ingestionAccessMode?: string;
  queryAccessMode?: string;
  /** linkedResourceId of each scoped resource. */
  linkedResourceIds: string[];
}

export interface EndpointView {
  endpoint: PrivateEndpoint;
  zoneGroups: PrivateDnsZoneGroup[];
  /** Role assignments that apply at the endpoint (read for storage endpoints only). */
  roleAssignments?: RoleAssignment[];
}

export interface DnsZoneView {
  id: string;
  name: string;
  links: VirtualNetworkLink[];
  aRecords: RecordSet[];
}

export interface Inventory {
  subscriptionId: string;
  resourceGroup: string;
  group?: { id: string; location?: string; tags: Record<string, string>; provisioningState?: string };
  /** Every top-level resource of the group (id, type, name). */
  resources: Array<{ id: string; type: string; name: string }>;
  storageAccounts: StorageAccount[];
  keyVaults: Vault[];
  registries: Registry[];
  workspaces: Array<{ workspace: Workspace; computes: ComputeResource[] }>;
  appInsights: ApplicationInsightsComponent[];
  logAnalytics: LogAnalyticsWorkspace[];
  privateLinkScopes: PrivateLinkScopeView[];
  privateEndpoints: EndpointView[];
  dnsZones: DnsZoneView[];
  virtualNetworks: VirtualNetwork[];
  /** NSGs associated with a subnet of the group's VNets or with one of its NICs (wherever they live). */
  networkSecurityGroups: NetworkSecurityGroup[];
  networkInterfaces: NetworkInterface[];
  virtualMachines: VirtualMachine[];
  /** Azure Databricks workspaces of the group (training page: VNet injection). */
  databricksWorkspaces: DatabricksWorkspace[];
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** GET on an ARM path through the resources client's pipeline (counted, same endpoint and CA). */
export async function rawArmGet(azure: AzureContext, path: string, apiVersion: string): Promise<{ status: number; body: unknown }> {
  const client = await azure.resources();
  const { createPipelineRequest } = await import("@azure/core-rest-pipeline");
  const sep = path.includes("?") ? "&" : "?";
  const response = await client.sendRequest(createPipelineRequest({ url: `${azure.endpoint}${path}${sep}api-version=${apiVersion}`, method: "GET" }));
  let body: unknown;
  try {
    body = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

function byType(resources: Inventory["resources"], type: string): Array<{ id: string; name: string }> {
  return resources.filter((r) => sameText(r.type, type));
}

async function present<T>(items: Array<Promise<T | undefined>>): Promise<T[]> {
  const settled: Array<T | undefined> = await Promise.all(items);
  return settled.filter((x): x is T => x !== undefined);
}

/** Reads everything the checks need. Throws ArmOperationError on a failed read (404s mean "absent"). */
export async function collectInventory(azure: AzureContext, resourceGroup: string): Promise<Inventory> {
  const rg = resourceGroup;
  const resourcesClient = await azure.resources();
  const group = await getOrUndefined({ resource: rg, operation: "read resource group" }, () => resourcesClient.resourceGroups.get(rg));
  const inventory: Inventory = {
    subscriptionId: azure.subscriptionId,
    resourceGroup: rg,
    resources: [],
    storageAccounts: [],
    keyVaults: [],
    registries: [],
    workspaces: [],
    appInsights: [],
    logAnalytics: [],
    privateLinkScopes: [],
    privateEndpoints: [],
    dnsZones: [],
    virtualNetworks: [],
    networkSecurityGroups: [],
    networkInterfaces: [],
    virtualMachines: [],
    databricksWorkspaces: [],
  };
  if (!group) return inventory;
  inventory.group = {
    id: group.id ?? `/subscriptions/${azure.subscriptionId}/resourceGroups/${rg}`,
    location: group.location,
    tags: group.tags ?? {},
    provisioningState: group.properties?.provisioningState,
  };

  const listed = await armCall({ resource: rg, operation: "list resources of" }, () => collect(resourcesClient.resources.listByResourceGroup(rg)));
  inventory.resources = listed.filter((r) => r.id && r.type).map((r) => ({ id: r.id!, type: r.type!, name: r.name ?? "" }));
  const res = inventory.resources;
  const read = <T>(id: string, what: string, fn: () => Promise<T>) => getOrUndefined({ resource: id, operation: `read ${what}` }, fn);

  const [network, privateDns] = await Promise.all([azure.network(), azure.privateDns()]);

  const storage = byType(res, "Microsoft.Storage/storageAccounts").map(async (r) =>
    read(r.id, "storage account", async () => (await azure.storage()).storageAccounts.getProperties(rg, r.name)),
  );
  const vaults = byType(res, "Microsoft.KeyVault/vaults").map(async (r) => read(r.id, "key vault", async () => (await azure.keyVault()).vaults.get(rg, r.name)));
  const registries = byType(res, "Microsoft.ContainerRegistry/registries").map(async (r) =>
    read(r.id, "container registry", async () => (await azure.containerRegistry()).registries.get(rg, r.name)),
  );
  const workspaces = byType(res, "Microsoft.MachineLearningServices/workspaces").map(async (r) => {
    const ml = await azure.machineLearning();
    const workspace = await read(r.id, "workspace", () => ml.workspaces.get(rg, r.name));
    if (!workspace) return undefined;
    const computes = await armCall({ resource: r.id, operation: "list computes of" }, () => collect(ml.computeOperations.list(rg, r.name)));
    return { workspace, computes };
  });
  const components = byType(res, "Microsoft.Insights/components").map(async (r) =>
    read(r.id, "Application Insights", async () => (await azure.appInsights()).components.get(rg, r.name)),
  );
  const logs = byType(res, "Microsoft.OperationalInsights/workspaces").map(async (r) =>
    read(r.id, "Log Analytics workspace", async () => (await azure.operationalInsights()).workspaces.get(rg, r.name)),
  );
  const scopes = byType(res, "Microsoft.Insights/privateLinkScopes").map(async (r): Promise<PrivateLinkScopeView | undefined> => {
    const scope = await read(r.id, "private link scope", () => resourcesClient.resources.getById(r.id, PRIVATE_LINK_SCOPE_API_VERSION));
    if (!scope) return undefined;
    const scoped = await armCall({ resource: r.id, operation: "list scoped resources of" }, () => rawArmGet(azure, `${r.id}/scopedResources`, PRIVATE_LINK_SCOPE_API_VERSION));
    const values = prop(scoped.body, "value");
    const linkedResourceIds = (Array.isArray(values) ? values : []).map((v) => str(prop(v, "properties", "linkedResourceId"))).filter((v): v is string => v !== undefined);
    return {
      id: r.id,
      name: r.name,
      ingestionAccessMode: str(prop(scope, "properties", "accessModeSettings", "ingestionAccessMode")),
      queryAccessMode: str(prop(scope, "properties", "accessModeSettings", "queryAccessMode")),
      linkedResourceIds,
    };
  });
  const vnets = byType(res, "Microsoft.Network/virtualNetworks").map((r) => read(r.id, "virtual network", () => network.virtualNetworks.get(rg, r.name)));
  const nics = byType(res, "Microsoft.Network/networkInterfaces").map((r) => read(r.id, "network interface", () => network.networkInterfaces.get(rg, r.name)));
  const vms = byType(res, "Microsoft.Compute/virtualMachines").map(async (r) => read(r.id, "virtual machine", async () => (await azure.compute()).virtualMachines.get(rg, r.name)));
  const endpoints = byType(res, "Microsoft.Network/privateEndpoints").map(async (r): Promise<EndpointView | undefined> => {
    const endpoint = await read(r.id, "private endpoint", () => network.privateEndpoints.get(rg, r.name));
    if (!endpoint) return undefined;
    const zoneGroups = await armCall({ resource: r.id, operation: "list DNS zone groups of" }, () => collect(network.privateDnsZoneGroups.list(r.name, rg)));
    const view: EndpointView = { endpoint, zoneGroups };
    const targets = [...(endpoint.privateLinkServiceConnections ?? []), ...(endpoint.manualPrivateLinkServiceConnections ?? [])].map((c) => c.privateLinkServiceId);
    if (targets.some((t) => t !== undefined && sameText(typeOfId(t), "Microsoft.Storage/storageAccounts"))) {
      view.roleAssignments = await armCall({ resource: r.id, operation: "list role assignments on" }, async () =>
        collect((await azure.authorization()).roleAssignments.listForScope(r.id)),
      );
    }
    return view;
  });

  // Loaded only when the group holds one: the Databricks SDK is not imported otherwise.
  const databricks = byType(res, "Microsoft.Databricks/workspaces").map(async (r) =>
    read(r.id, "Azure Databricks workspace", async () => (await azure.databricks()).workspaces.get(rg, r.name)),
  );

  const [s, v, reg, w, c, l, sc, vn, ni, vm, pe, dbw] = await Promise.all([
    present(storage),
    present(vaults),
    present(registries),
    present(workspaces),
    present(components),
    present(logs),
    present(scopes),
    present(vnets),
    present(nics),
    present(vms),
    present(endpoints),
    present(databricks),
  ]);
  Object.assign(inventory, {
    storageAccounts: s,
    keyVaults: v,
    registries: reg,
    workspaces: w,
    appInsights: c,
    logAnalytics: l,
    privateLinkScopes: sc,
    virtualNetworks: vn,
    networkInterfaces: ni,
    virtualMachines: vm,
    privateEndpoints: pe,
    databricksWorkspaces: dbw,
  });

  // Zones in the group, plus zones in other groups that a zone group points at.
  const zoneIds = new Map<string, string>();
  for (const r of byType(res, "Microsoft.Network/privateDnsZones")) zoneIds.set(r.id.toLowerCase(), r.id);
  for (const e of pe) {
    for (const g of e.zoneGroups) {
      for (const cfg of g.privateDnsZoneConfigs ?? []) if (cfg.privateDnsZoneId) zoneIds.set(cfg.privateDnsZoneId.toLowerCase(), cfg.privateDnsZoneId);
    }
  }
  inventory.dnsZones = await present(
    [...zoneIds.values()].map(async (id): Promise<DnsZoneView | undefined> => {
      const parsed = parseResourceId(id);
      const zoneRg = parsed.resourceGroup ?? rg;
      const name = parsed.names[0] ?? "";
      const zone = await read(id, "private DNS zone", () => privateDns.privateZones.get(zoneRg, name));
      if (!zone) return undefined;
      const [links, aRecords] = await Promise.all([
        armCall({ resource: id, operation: "list virtual network links of" }, () => collect(privateDns.virtualNetworkLinks.list(zoneRg, name))),
        armCall({ resource: id, operation: "list A records of" }, () => collect(privateDns.recordSets.listByType(zoneRg, name, "A"))),
      ]);
      return { id: zone.id ?? id, name, links, aRecords };
    }),
  );

  // NSGs on the subnets of the group's VNets (an NSG may live in another group).
  const nsgIds = new Map<string, string>();
  for (const vnet of vn)
    for (const subnet of vnet.subnets ?? []) if (subnet.networkSecurityGroup?.id) nsgIds.set(subnet.networkSecurityGroup.id.toLowerCase(), subnet.networkSecurityGroup.id);
  // And the NSGs on the group's NICs (an attached VM's own NSG: the training page's port-22 rule).
  for (const nic of ni) if (nic.networkSecurityGroup?.id) nsgIds.set(nic.networkSecurityGroup.id.toLowerCase(), nic.networkSecurityGroup.id);
  inventory.networkSecurityGroups = await present(
    [...nsgIds.values()].map((id) => {
      const parsed = parseResourceId(id);
      return read(id, "network security group", () => network.networkSecurityGroups.get(parsed.resourceGroup ?? rg, parsed.names[0] ?? ""));
    }),
  );
  return inventory;
}
