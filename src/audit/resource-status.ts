// Reads one resource by ID: with the reader of its kind (src/resources/kinds, shared with the steps)
// when secure-aml has one, otherwise generically (GET by ID through the generic resources API at the
// newest api-version its provider lists) — whether it exists and its provisioning state (status). A
// resource the generic read cannot tell about is looked up in the group's generic list.

import type { Provider } from "@azure/arm-resources";
import type { AzureContext } from "../azure/clients.js";
import { getOrUndefined, isAbort } from "../azure/arm-errors.js";
import { genericKind, kindOf, type Kind } from "../resources/kinds/index.js";
import { parseResourceId, typeOfId } from "./ids.js";

export interface ResourceStatus {
  id: string;
  kind: string;
  name: string;
  exists: boolean | "unknown";
  provisioningState?: string;
}

/** Providers read once per context (one GET per namespace a status needs). */
const providerCache = new WeakMap<AzureContext, Map<string, Promise<Provider | undefined>>>();

function providerOf(azure: AzureContext, namespace: string): Promise<Provider | undefined> {
  let byNamespace = providerCache.get(azure);
  if (!byNamespace) {
    byNamespace = new Map();
    providerCache.set(azure, byNamespace);
  }
  const key = namespace.toLowerCase();
  let provider = byNamespace.get(key);
  if (!provider) {
    provider = (async () => (await azure.resources()).providers.get(namespace))().catch((err: unknown) => {
      if (isAbort(err)) throw err;
      return undefined;
    });
    byNamespace.set(key, provider);
  }
  return provider;
}

/** The newest stable api-version the provider lists for a type (else its newest), or undefined. */
async function apiVersionOf(azure: AzureContext, type: string): Promise<string | undefined> {
  const [namespace, ...rest] = type.split("/");
  if (!namespace || rest.length === 0) return undefined;
  const provider = await providerOf(azure, namespace);
  const resourceType = rest.join("/").toLowerCase();
  const versions = provider?.resourceTypes?.find((t) => (t.resourceType ?? "").toLowerCase() === resourceType)?.apiVersions ?? [];
  const newestFirst = [...versions].sort().reverse();
  return newestFirst.find((v) => !v.toLowerCase().includes("preview")) ?? newestFirst[0];
}

/** The generic reader of a type secure-aml has no kind for, or undefined when its provider lists no api-version. */
async function genericReader(azure: AzureContext, type: string): Promise<Kind<unknown> | undefined> {
  const apiVersion = await apiVersionOf(azure, type);
  return apiVersion === undefined ? undefined : genericKind(type, apiVersion);
}

/** Status of one resource; `listed` holds the lower-cased IDs of the group's generic list (fallback). */
export async function readResourceStatus(azure: AzureContext, resource: { id: string; kind?: string; name?: string }, listed: Set<string>): Promise<ResourceStatus> {
  const kind = resource.kind ?? typeOfId(resource.id);
  const parsed = parseResourceId(resource.id);
  const base = { id: resource.id, kind, name: resource.name ?? parsed.names[parsed.names.length - 1] ?? parsed.resourceGroup ?? resource.id };
  const fromList = (): ResourceStatus => ({ ...base, exists: listed.size === 0 ? "unknown" : listed.has(resource.id.toLowerCase()) });
  const known = kindOf(kind);
  const reader = known ?? (await genericReader(azure, kind));
  if (!reader) return fromList();
  let value: unknown;
  try {
    value = await getOrUndefined({ resource: resource.id, operation: "read" }, () => reader.read(azure, parsed, resource.id));
  } catch (err) {
    // A kind of our own must be readable; a generic read that fails says nothing more than the list.
    if (known || isAbort(err)) throw err;
    return fromList();
  }
  if (value === undefined) return { ...base, exists: false };
  const state = reader.provisioningState(value);
  return { ...base, exists: true, ...(typeof state === "string" ? { provisioningState: state } : {}) };
}
