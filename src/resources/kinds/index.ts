// The registry of ARM kinds by type (case-insensitive), for readers that start from an ID (`status`).
// Steps import the kind objects directly. A new ARM type needs no entry here: a step may define its
// kind in its own file (`defineKind` with an SDK reader, or `genericKind(type, apiVersion)`), and
// `status` reads any type it does not find here generically (audit/resource-status.ts). The kinds
// below are the ones several steps, factories or day-two commands share.

import type { Kind } from "./kind.js";
import * as network from "./network.js";
import * as services from "./services.js";

export * from "./network.js";
export * from "./services.js";
export { defineKind, genericKind, stringAt } from "./kind.js";
export type { GenericKind, Kind } from "./kind.js";

function isKind(value: unknown): value is Kind<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string" && typeof (value as { read?: unknown }).read === "function";
}

const exported: unknown[] = [...Object.values(network), ...Object.values(services)];
const REGISTRY: ReadonlyMap<string, Kind<unknown>> = new Map(exported.filter(isKind).map((k) => [k.type.toLowerCase(), k]));

/** The kind of an ARM type, or undefined when secure-aml does not read that type itself. */
export function kindOf(type: string): Kind<unknown> | undefined {
  return REGISTRY.get(type.toLowerCase());
}

export function knownKinds(): Kind<unknown>[] {
  return [...REGISTRY.values()];
}
