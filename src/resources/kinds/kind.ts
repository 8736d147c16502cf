// How to read one ARM type and find its provisioning state: the one place for it, used by the steps
// (ResourceSpec.read through `arm(...)`) and by `status` (audit/resource-status.ts).

import type { GenericResource } from "@azure/arm-resources";
import type { AzureContext } from "../../azure/clients.js";
import type { ParsedId } from "../../audit/ids.js";

export interface Kind<T> {
  /** ARM type, e.g. "Microsoft.Network/privateEndpoints". */
  type: string;
  /** GET by ID (404 rejects; callers wrap it in getOrUndefined). */
  read(azure: AzureContext, id: ParsedId, fullId: string): Promise<T>;
  provisioningState(body: T): string | undefined;
}

/** The `index`-th name of an ID (e.g. 0: the VNet, 1: the subnet); a clear error instead of `undefined`. */
export function nameAt(id: ParsedId, index: number): string {
  const name = id.names[index];
  if (name === undefined) throw new Error(`resource ID has no name at position ${index}: ${[id.provider, ...id.types].join("/")}`);
  return name;
}

export function groupOf(id: ParsedId): string {
  if (id.resourceGroup === undefined) throw new Error("resource ID has no resource group");
  return id.resourceGroup;
}

export function defineKind<T>(kind: Kind<T>): Kind<T> {
  return kind;
}

/** A kind read through the generic resources API at one api-version (no SDK package of its own). */
export interface GenericKind extends Kind<GenericResource> {
  apiVersion: string;
}

/**
 * The kind of a type secure-aml reads and writes through the generic resources API at `apiVersion`:
 * GET by ID, the provisioning state from `properties.provisioningState`. A new ARM type needs nothing
 * more (`status` reads any type this way: audit/resource-status.ts).
 */
export function genericKind(type: string, apiVersion: string): GenericKind {
  return {
    type,
    apiVersion,
    read: async (azure, _id, fullId) => (await azure.resources()).resources.getById(fullId, apiVersion),
    provisioningState: (r) => stringAt(r, "properties", "provisioningState"),
  };
}

/** A string property at a path of an untyped body (generic-resources reads). */
export function stringAt(obj: unknown, ...path: string[]): string | undefined {
  let cur: unknown = obj;
  for (const key of path) cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[key] : undefined;
  return typeof cur === "string" ? cur : undefined;
}
