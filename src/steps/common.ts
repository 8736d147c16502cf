// The read-compare-write loop every step uses, and the names and IDs steps share.
//
// A step describes each resource it owns as a ResourceSpec: how to read it, which of its properties
// differ from what is wanted, how to create it and (optionally) how to update it in place. `converge`
// then reads first, waits for a resource still provisioning from an interrupted run, creates it when
// missing, updates it when it drifted and writes nothing when it is as wanted; `planResource` does
// the same reading without writing.

import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { PlannedResource, ResourceOutcome, StepIo } from "../engine/types.js";
import type { AzureContext } from "../azure/clients.js";
import type { DeploymentConfig } from "../config/types.js";
import { ArmOperationError, armCall } from "../azure/arm-errors.js";

/** Tag that marks what secure-aml created (destroy refuses resource groups without it). */
export const MANAGED_TAG = "secure-aml";
export const MANAGED_TAG_VALUE = "managed";
export const MANAGED_TAGS: Record<string, string> = { [MANAGED_TAG]: MANAGED_TAG_VALUE };
/**
 * Tag whose value is this deployment's id (created by the first `init`, kept in the state). The
 * generic tag above anyone can set; only this one proves that secure-aml created a resource for this
 * deployment, and destroy, stop, start and purge act only on what carries it.
 */
export const DEPLOYMENT_TAG = "secure-aml-deployment";

/** The tags of everything secure-aml creates: the one place that decides them. */
export function managedTags(config: Pick<DeploymentConfig, "deploymentId">): Record<string, string> {
  return config.deploymentId ? { ...MANAGED_TAGS, [DEPLOYMENT_TAG]: config.deploymentId } : { ...MANAGED_TAGS };
}

export const SUBNET_TRAINING = "Training";
export const SUBNET_SCORING = "Scoring";
export const SUBNET_BASTION = "AzureBastionSubnet";

/** Built-in Reader role (the same GUID in every cloud). */
export const READER_ROLE_ID = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

export interface ResourceSpec<T> {
  id: string;
  kind: string;
  name: string;
  /** Architecture-view group for `plan`. */
  group: string;
  read(): Promise<T | undefined>;
  /** ARM provisioningState of what was read. */
  provisioningState?(actual: T): string | undefined;
  /** Human-readable differences on the properties this step owns; empty when as wanted. */
  diff(actual: T): string[];
  /** Checks run once before the first write of a missing resource (global name availability). */
  beforeCreate?(): Promise<void>;
  create(): Promise<unknown>;
  /** In-place update; defaults to `create` (a full PUT) when absent. */
  update?(actual: T, changes: string[]): Promise<unknown>;
  /**
   * For resources Azure cannot provision again in place once a create ended Failed (ML computes: a
   * failed compute must be deleted and created anew): deletes it, so that converge creates it again.
   * Without it, a Failed resource gets the usual update (a full PUT re-provisions most resources).
   */
  deleteFailed?(): Promise<unknown>;
}

const TERMINAL = new Set(["succeeded", "failed", "canceled", "cancelled"]);

export function isProvisioning(state: string | undefined): boolean {
  return state !== undefined && !TERMINAL.has(state.toLowerCase());
}

/** Waits while a resource from an earlier (interrupted) run is still provisioning, then returns its final read. */
export async function waitWhileProvisioning<T>(
  spec: ResourceSpec<T>,
  actual: T,
  azure: AzureContext,
  io: Pick<StepIo, "signal" | "progress">,
): Promise<T | undefined> {
  let current: T | undefined = actual;
  const interval = azure.lro().updateIntervalInMs ?? 5000;
  const deadline = Date.now() + 2 * 60 * 60 * 1000;
  let announced = false;
  while (current !== undefined && isProvisioning(spec.provisioningState?.(current))) {
    if (!announced) {
      io.progress(`${spec.name} is still ${spec.provisioningState?.(current)} from an earlier run; waiting for it`);
      announced = true;
    }
    if (Date.now() > deadline) {
      throw new ArmOperationError({
        code: "PROVISIONING_TIMEOUT",
        message: `${spec.kind} ${spec.name} stayed in state ${spec.provisioningState?.(current)} for 2 hours`,
        resource: spec.id,
        operation: "wait",
        transient: false,
      });
    }
    await sleep(Math.max(interval, 1), undefined, { signal: io.signal });
    current = await spec.read();
  }
  return current;
}

/** Read, compare, write only on difference. */
export async function converge<T>(spec: ResourceSpec<T>, azure: AzureContext, io: Pick<StepIo, "signal" | "progress">): Promise<ResourceOutcome & { value?: T }> {
  const base = { id: spec.id, kind: spec.kind, name: spec.name };
  let actual = await spec.read();
  if (actual !== undefined) actual = await waitWhileProvisioning(spec, actual, azure, io);
  io.signal.throwIfAborted();
  if (actual === undefined) {
    if (spec.beforeCreate) await spec.beforeCreate();
    io.progress(`creating ${spec.name}`);
    await armCall({ resource: spec.id, operation: `create ${kindLabel(spec.kind)}` }, () => spec.create());
    return { ...base, action: "created" };
  }
  const state = spec.provisioningState?.(actual);
  if (state?.toLowerCase() === "failed" && spec.deleteFailed) {
    const deleteFailed = spec.deleteFailed;
    io.progress(`${spec.name} is in state Failed (an earlier create failed); deleting it to create it again`);
    await armCall({ resource: spec.id, operation: `delete failed ${kindLabel(spec.kind)}` }, () => deleteFailed());
    io.progress(`creating ${spec.name}`);
    await armCall({ resource: spec.id, operation: `create ${kindLabel(spec.kind)}` }, () => spec.create());
    return { ...base, action: "created" };
  }
  const changes = spec.diff(actual);
  if (state !== undefined && state.toLowerCase() !== "succeeded") changes.push(`provisioningState ${state} → Succeeded`);
  if (changes.length === 0) return { ...base, action: "unchanged", value: actual };
  io.progress(`updating ${spec.name}: ${changes.join("; ")}`);
  const current = actual;
  await armCall({ resource: spec.id, operation: `update ${kindLabel(spec.kind)}` }, () =>
    spec.update ? spec.update(current, changes) : spec.create(),
  );
  return { ...base, action: "updated" };
}

/** What converge would do, without writing. */
export async function planResource<T>(spec: ResourceSpec<T>): Promise<PlannedResource> {
  const base = { id: spec.id, kind: spec.kind, name: spec.name, group: spec.group };
  const actual = await spec.read();
  if (actual === undefined) return { ...base, action: "create" };
  const changes = spec.diff(actual);
  const state = spec.provisioningState?.(actual);
  if (state !== undefined && state.toLowerCase() === "failed") changes.push(`provisioningState Failed → Succeeded`);
  return changes.length === 0 ? { ...base, action: "none" } : { ...base, action: "update", changes };
}

/** Strips the `value` convenience field so outcomes serialise cleanly. */
export function outcome(o: ResourceOutcome & { value?: unknown }): ResourceOutcome {
  return { id: o.id, kind: o.kind, name: o.name, action: o.action };
}

function kindLabel(kind: string): string {
  return kind.split("/").slice(1).join("/") || kind;
}

// ---------- comparisons ----------

export function sameId(a: string | undefined, b: string | undefined): boolean {
  return (a ?? "").toLowerCase().replace(/\/+$/, "") === (b ?? "").toLowerCase().replace(/\/+$/, "");
}

export function sameText(a: string | undefined, b: string | undefined): boolean {
  return (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
}

/** Pushes "field: actual → wanted" when they differ (case-insensitive for strings). */
export function compare(changes: string[], field: string, actual: unknown, wanted: unknown): void {
  const norm = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : JSON.stringify(v));
  if (norm(actual) !== norm(wanted)) changes.push(`${field}: ${fmt(actual)} → ${fmt(wanted)}`);
}

function fmt(v: unknown): string {
  return v === undefined ? "(unset)" : typeof v === "string" ? v : JSON.stringify(v);
}

// ---------- IDs ----------

export function rgId(config: DeploymentConfig): string {
  return `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}`;
}

export function resourceId(config: DeploymentConfig, provider: string, ...typeAndNames: string[]): string {
  return `${rgId(config)}/providers/${provider}/${typeAndNames.join("/")}`;
}

export function vnetId(config: DeploymentConfig): string {
  return resourceId(config, "Microsoft.Network", "virtualNetworks", config.vnetName);
}

export function subnetId(config: DeploymentConfig, subnet: string): string {
  return `${vnetId(config)}/subnets/${subnet}`;
}

export function storageId(config: DeploymentConfig): string {
  return resourceId(config, "Microsoft.Storage", "storageAccounts", config.storageAccount);
}

export function keyVaultId(config: DeploymentConfig): string {
  return resourceId(config, "Microsoft.KeyVault", "vaults", config.keyVault);
}

export function registryId(config: DeploymentConfig): string {
  return resourceId(config, "Microsoft.ContainerRegistry", "registries", config.registry);
}

export function logAnalyticsId(config: DeploymentConfig): string {
  return resourceId(config, "Microsoft.OperationalInsights", "workspaces", config.logAnalyticsWorkspace);
}

export function appInsightsId(config: DeploymentConfig): string {
  return resourceId(config, "Microsoft.Insights", "components", config.appInsights);
}

export function workspaceId(config: DeploymentConfig): string {
  return resourceId(config, "Microsoft.MachineLearningServices", "workspaces", config.workspace);
}

export function privateLinkScopeId(config: DeploymentConfig): string {
  return resourceId(config, "Microsoft.Insights", "privateLinkScopes", config.privateLinkScope);
}

export function privateDnsZoneId(config: DeploymentConfig, zone: string): string {
  return resourceId(config, "Microsoft.Network", "privateDnsZones", zone);
}

export function computeId(config: DeploymentConfig, compute: string): string {
  return `${workspaceId(config)}/computes/${compute}`;
}

// ---------- derived names ----------

/** Private endpoint name for a target and sub-resource, e.g. "pe-mystorage-blob". */
export function privateEndpointName(target: string, group: string): string {
  return `pe-${target}-${group}`;
}

export function privateEndpointId(config: DeploymentConfig, name: string): string {
  return resourceId(config, "Microsoft.Network", "privateEndpoints", name);
}

/** The VNet link of a private DNS zone. */
export function dnsLinkName(config: DeploymentConfig): string {
  return `${config.vnetName}-link`;
}

export function trainingNsgName(config: DeploymentConfig): string {
  return `${config.vnetName}-training-nsg`;
}

export function jumpboxNicName(config: DeploymentConfig): string {
  return `${config.jumpboxName}-nic`;
}

export function shutdownScheduleName(vmName: string): string {
  return `shutdown-computevm-${vmName}`;
}

/**
 * A stable GUID from parts (RFC 4122 version 5 layout over SHA-1), so a re-run names a role
 * assignment the same way and never duplicates it.
 */
export function deterministicGuid(...parts: string[]): string {
  const hash = createHash("sha1").update(parts.map((p) => p.toLowerCase()).join("|")).digest();
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A suggestion for a taken global name: the name with a short, deterministic suffix. */
export function suggestFreeName(name: string, maxLength: number, allowHyphen: boolean): string {
  const suffix = createHash("sha256").update(`${name}|${Date.now()}`).digest("hex").slice(0, 5);
  const base = name.slice(0, Math.max(1, maxLength - suffix.length - (allowHyphen ? 1 : 0)));
  return allowHyphen ? `${base}-${suffix}` : `${base}${suffix}`;
}

/** Sub-resource of a private endpoint ("blob", "vault", ...). */
export type GroupId = string;
