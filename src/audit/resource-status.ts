// Reads one resource by ID with the reader of its kind (src/resources/kinds, shared with the steps):
// whether it exists and its provisioning state (status). Kinds secure-aml does not read itself are
// looked up in the group's generic list.

import type { AzureContext } from "../azure/clients.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { kindOf } from "../resources/kinds/index.js";
import { parseResourceId, typeOfId } from "./ids.js";

export interface ResourceStatus {
  id: string;
  kind: string;
  name: string;
  exists: boolean | "unknown";
  provisioningState?: string;
}

/** Status of one resource; `listed` holds the lower-cased IDs of the group's generic list (fallback). */
export async function readResourceStatus(azure: AzureContext, resource: { id: string; kind?: string; name?: string }, listed: Set<string>): Promise<ResourceStatus> {
  const kind = resource.kind ?? typeOfId(resource.id);
  const parsed = parseResourceId(resource.id);
  const base = { id: resource.id, kind, name: resource.name ?? parsed.names[parsed.names.length - 1] ?? parsed.resourceGroup ?? resource.id };
  const reader = kindOf(kind);
  if (!reader) return { ...base, exists: listed.size === 0 ? "unknown" : listed.has(resource.id.toLowerCase()) };
  const value = await getOrUndefined({ resource: resource.id, operation: "read" }, () => reader.read(azure, parsed, resource.id));
  if (value === undefined) return { ...base, exists: false };
  const state = reader.provisioningState(value);
  return { ...base, exists: true, ...(typeof state === "string" ? { provisioningState: state } : {}) };
}
