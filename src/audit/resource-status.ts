// Reads one resource by ID with the client of its type: whether it exists and its provisioning
// state (status). Kinds without a reader here are looked up in the group's generic list.

import type { AzureContext } from "../azure/clients.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { parseResourceId, typeOfId } from "./ids.js";
import { PRIVATE_LINK_SCOPE_API_VERSION } from "./inventory.js";

export interface ResourceStatus {
  id: string;
  kind: string;
  name: string;
  exists: boolean | "unknown";
  provisioningState?: string;
}

function prop(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}

type Reader = (azure: AzureContext, rg: string, names: string[], id: string) => Promise<unknown>;

const READERS: Record<string, { read: Reader; state: (r: unknown) => unknown }> = {
  "microsoft.resources/resourcegroups": { read: async (a, rg) => (await a.resources()).resourceGroups.get(rg), state: (r) => prop(r, "properties", "provisioningState") },
  "microsoft.network/virtualnetworks": { read: async (a, rg, n) => (await a.network()).virtualNetworks.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.network/virtualnetworks/subnets": { read: async (a, rg, n) => (await a.network()).subnets.get(rg, n[0]!, n[1]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.network/networksecuritygroups": { read: async (a, rg, n) => (await a.network()).networkSecurityGroups.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.network/publicipaddresses": { read: async (a, rg, n) => (await a.network()).publicIPAddresses.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.network/bastionhosts": { read: async (a, rg, n) => (await a.network()).bastionHosts.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.network/privateendpoints": { read: async (a, rg, n) => (await a.network()).privateEndpoints.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.network/privateendpoints/privatednszonegroups": { read: async (a, rg, n) => (await a.network()).privateDnsZoneGroups.get(rg, n[0]!, n[1]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.network/networkinterfaces": { read: async (a, rg, n) => (await a.network()).networkInterfaces.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.network/privatednszones": { read: async (a, rg, n) => (await a.privateDns()).privateZones.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.network/privatednszones/virtualnetworklinks": { read: async (a, rg, n) => (await a.privateDns()).virtualNetworkLinks.get(rg, n[0]!, n[1]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.storage/storageaccounts": { read: async (a, rg, n) => (await a.storage()).storageAccounts.getProperties(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.keyvault/vaults": { read: async (a, rg, n) => (await a.keyVault()).vaults.get(rg, n[0]!), state: (r) => prop(r, "properties", "provisioningState") },
  "microsoft.containerregistry/registries": { read: async (a, rg, n) => (await a.containerRegistry()).registries.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.operationalinsights/workspaces": { read: async (a, rg, n) => (await a.operationalInsights()).workspaces.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.insights/components": { read: async (a, rg, n) => (await a.appInsights()).components.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.insights/privatelinkscopes": { read: async (a, _rg, _n, id) => (await a.resources()).resources.getById(id, PRIVATE_LINK_SCOPE_API_VERSION), state: (r) => prop(r, "properties", "provisioningState") },
  "microsoft.insights/privatelinkscopes/scopedresources": { read: async (a, _rg, _n, id) => (await a.resources()).resources.getById(id, PRIVATE_LINK_SCOPE_API_VERSION), state: (r) => prop(r, "properties", "provisioningState") },
  "microsoft.machinelearningservices/workspaces": { read: async (a, rg, n) => (await a.machineLearning()).workspaces.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.machinelearningservices/workspaces/computes": { read: async (a, rg, n) => (await a.machineLearning()).computeOperations.get(rg, n[0]!, n[1]!), state: (r) => prop(r, "properties", "provisioningState") },
  "microsoft.compute/virtualmachines": { read: async (a, rg, n) => (await a.compute()).virtualMachines.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.devtestlab/schedules": { read: async (a, rg, n) => (await a.devTestLabs()).globalSchedules.get(rg, n[0]!), state: (r) => prop(r, "provisioningState") },
  "microsoft.authorization/roleassignments": {
    read: async (a, _rg, n, id) => (await a.authorization()).roleAssignments.get(id.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i, ""), n[n.length - 1]!),
    state: () => "Succeeded",
  },
};

/** Status of one resource; `listed` holds the lower-cased IDs of the group's generic list (fallback). */
export async function readResourceStatus(azure: AzureContext, resource: { id: string; kind?: string; name?: string }, listed: Set<string>): Promise<ResourceStatus> {
  const kind = resource.kind ?? typeOfId(resource.id);
  const parsed = parseResourceId(resource.id);
  const base = { id: resource.id, kind, name: resource.name ?? parsed.names[parsed.names.length - 1] ?? parsed.resourceGroup ?? resource.id };
  const reader = READERS[kind.toLowerCase()];
  if (!reader) return { ...base, exists: listed.size === 0 ? "unknown" : listed.has(resource.id.toLowerCase()) };
  const value = await getOrUndefined({ resource: resource.id, operation: "read" }, () => reader.read(azure, parsed.resourceGroup ?? "", parsed.names, resource.id));
  if (value === undefined) return { ...base, exists: false };
  const state = reader.state(value);
  return { ...base, exists: true, ...(typeof state === "string" ? { provisioningState: state } : {}) };
}
