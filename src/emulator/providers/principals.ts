// Entra ID service principals of system-assigned identities (ML workspaces, VMs), as the emulator's
// directory: role assignments check that a principal exists and has replicated. In Azure, a new
// principal takes a while to replicate to every directory replica; until then a role assignment
// without `principalType` fails with PrincipalNotFound (https://aka.ms/docs-principaltype).

import type { HandlerContext, JsonObject, ResourceRecord, ResourceStore } from "../types.js";
import { EMULATOR_TENANT_ID } from "./resources.js";
import { optionalNumber, optionalString } from "./service-common.js";

/** Kept in the store's soft-deleted area (it persists with the world) under this kind, keyed by principal ID. */
const PRINCIPALS_KIND = "entra-principals";

/**
 * Realistic replication delay of a new service principal, in seconds. Microsoft documents the
 * delay without a figure ("can take several minutes" in rare cases); a minute is the typical case
 * reported, see docs/emulator-services.md.
 */
export const PRINCIPAL_REPLICATION_SECONDS = 60;

let configuredScale: number | undefined;
/** The scale seen on the last create in flight (see observeCreate), used when none was configured. */
let observedScale: number | undefined;

/**
 * Called from a view while a create is in flight: the operation's scheduled duration against the
 * type's realistic one tells the latency scale in use (0 for the "none" profile).
 */
export function observeCreate(record: ResourceRecord, createSeconds: number): void {
  const pending = record.pendingOperation;
  const started = Date.parse(record.createdAt);
  if (pending?.kind !== "create" || !Number.isFinite(started) || createSeconds <= 0) return;
  observedScale = Math.max(0, (pending.endsAt - started) / (createSeconds * 1000));
}

/**
 * Lets the core pass its latency settings (scale 0 for the "none" profile, the time scale for
 * "realistic"). Without it, the scale is derived from the creating operation's duration.
 */
export function configurePrincipalReplication(settings: { profile: "none" | "realistic"; timeScale: number }): void {
  configuredScale = settings.profile === "none" ? 0 : settings.timeScale;
}

export function systemIdentity(requested: JsonObject): JsonObject {
  return { ...requested, principalId: crypto.randomUUID(), tenantId: EMULATOR_TENANT_ID };
}

/**
 * Records a principal created for `record`. `createSeconds` is the realistic duration of the
 * record's create: when the core did not configure a scale, the observed duration of that create
 * (pendingOperation) tells the scale in use.
 */
export function notePrincipalCreated(ctx: Pick<HandlerContext, "store" | "now">, principalId: string, record: ResourceRecord, createSeconds: number): void {
  const createdAt = ctx.now().getTime();
  observeCreate(record, createSeconds);
  const scale = configuredScale ?? observedScale ?? 0;
  ctx.store.softDeleted.put(PRINCIPALS_KIND, principalId, {
    principalId,
    resourceId: record.id,
    createdAt,
    replicatedAt: createdAt + Math.round(PRINCIPAL_REPLICATION_SECONDS * 1000 * scale),
  });
}

export function forgetPrincipal(store: ResourceStore, principalId: string | undefined): void {
  if (principalId) store.softDeleted.remove(PRINCIPALS_KIND, principalId);
}

export type PrincipalState = "unknown" | "replicating" | "ready";

export function principalState(store: ResourceStore, principalId: string, nowMs: number): PrincipalState {
  const entry = store.softDeleted.get(PRINCIPALS_KIND, principalId);
  if (!entry) return "unknown";
  const replicatedAt = optionalNumber(entry, "replicatedAt") ?? 0;
  return nowMs < replicatedAt ? "replicating" : "ready";
}

/** The resource that owns a principal (for messages). */
export function principalOwner(store: ResourceStore, principalId: string): string | undefined {
  return optionalString(store.softDeleted.get(PRINCIPALS_KIND, principalId), "resourceId");
}

/** Test and seeding hook: registers a principal (e.g. a user) that is already replicated. */
export function seedPrincipal(store: ResourceStore, principalId: string, principalType: "User" | "Group" | "ServicePrincipal" = "ServicePrincipal"): void {
  store.softDeleted.put(PRINCIPALS_KIND, principalId, { principalId, principalType, createdAt: 0, replicatedAt: 0 });
}

/** The directory type of a known principal: managed identities are service principals; seeded ones say. */
export function principalTypeOf(store: ResourceStore, principalId: string): string {
  return optionalString(store.softDeleted.get(PRINCIPALS_KIND, principalId), "principalType") ?? "ServicePrincipal";
}
