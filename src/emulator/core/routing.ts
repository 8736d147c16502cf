// ARM resource IDs: parsing, building and comparing. IDs are compared case-insensitively, as ARM does,
// while the casing of the first creation is what the emulator returns.
import { sameText } from "./common.js";

/** Lower-cased key of an ID (no trailing slash), used by the store. */
export function idKey(id: string): string {
  return id.replace(/\/+$/, "").toLowerCase();
}

/** True when `id` is `scope` itself or lies below it. */
export function isAtOrBelow(id: string, scope: string): boolean {
  const key = idKey(id);
  const scopeKey = idKey(scope);
  return key === scopeKey || key.startsWith(scopeKey + "/");
}

export function subscriptionIdOf(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId}`;
}

export function resourceGroupIdOf(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

/**
 * A path below a scope of the form `providers/{namespace}/{type}/{name}/{childType}/{childName}...`,
 * possibly nested as an extension resource (`.../{name}/providers/{ns2}/{type2}/{name2}`).
 */
export interface ResourcePath {
  /** The scope the last provider segment hangs from: a subscription, a resource group or a resource (extension). */
  scopeId: string;
  namespace: string;
  /** Type segments after the namespace, e.g. ["virtualNetworks", "subnets"]. */
  types: string[];
  /** Names; as many as types for a resource, one fewer for a collection (or a trailing action). */
  names: string[];
}

export function fullType(path: Pick<ResourcePath, "namespace" | "types">): string {
  return `${path.namespace}/${path.types.join("/")}`;
}

export function buildResourceId(scopeId: string, namespace: string, types: string[], names: string[]): string {
  let id = `${scopeId}/providers/${namespace}`;
  types.forEach((type, index) => {
    id += `/${type}`;
    if (index < names.length) id += `/${names[index]}`;
  });
  return id;
}

/** Parses `segments` (starting with "providers") below `scopeId`; undefined when malformed. */
export function parseResourcePath(scopeId: string, segments: string[]): ResourcePath | undefined {
  let scope = scopeId;
  let index = 0;
  for (;;) {
    if (!sameText(segments[index], "providers") || segments.length < index + 2) return undefined;
    const namespace = segments[index + 1]!;
    const types: string[] = [];
    const names: string[] = [];
    let cursor = index + 2;
    while (cursor < segments.length) {
      const startsExtension = sameText(segments[cursor], "providers") && types.length > 0 && names.length === types.length && cursor + 2 < segments.length;
      if (startsExtension) break;
      types.push(segments[cursor]!);
      if (cursor + 1 < segments.length) names.push(segments[cursor + 1]!);
      cursor += 2;
    }
    if (cursor < segments.length) {
      scope = buildResourceId(scope, namespace, types, names);
      index = cursor;
      continue;
    }
    return { scopeId: scope, namespace, types, names };
  }
}

/** Splits an ID into its segments (no empty ones). */
export function idSegments(id: string): string[] {
  return id.split("/").filter((segment) => segment.length > 0);
}

/**
 * The parent of an ID: the resource one level up for a child resource, the scope for a top-level or
 * extension resource, the subscription for a resource group; undefined for a subscription.
 */
export function parentIdOf(id: string): string | undefined {
  const segments = idSegments(id);
  if (segments.length <= 2) return undefined; // /subscriptions/{sub}
  if (segments.length === 4 && sameText(segments[2], "resourceGroups")) return `/${segments.slice(0, 2).join("/")}`;
  // Drop the last type/name pair; when that leaves ".../providers/{ns}", drop that too.
  let parent = segments.slice(0, -2);
  if (parent.length >= 2 && sameText(parent[parent.length - 2], "providers")) parent = parent.slice(0, -2);
  return `/${parent.join("/")}`;
}

/** Describes the resource group of an ID, if any (with the casing used in the ID). */
export function resourceGroupOfId(id: string): string | undefined {
  const segments = idSegments(id);
  return segments.length >= 4 && sameText(segments[2], "resourceGroups") ? segments[3] : undefined;
}

export function subscriptionOfId(id: string): string | undefined {
  const segments = idSegments(id);
  return sameText(segments[0], "subscriptions") ? segments[1] : undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isGuid(value: string): boolean {
  return GUID.test(value);
}
