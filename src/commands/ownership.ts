// Ownership, proven rather than assumed: a resource belongs to this deployment when it carries the
// tag secure-aml-deployment=<the id the first init kept in the state>. The generic tag
// secure-aml=managed proves nothing (anyone can set it). Two kinds of resources Azure creates on
// secure-aml's behalf without tags count as ours through their parent: what names one of ours in
// `managedBy` (a VM's OS disk) and a private endpoint's network interface (Azure names it
// "<endpoint>.nic.<guid>"). destroy, stop, start and purge act only on what this module calls ours.

import type { DeploymentState } from "../engine/state.js";
import { DEPLOYMENT_TAG } from "../steps/common.js";

export interface ListedResource {
  id?: string;
  name?: string;
  type?: string;
  tags?: Record<string, string>;
  managedBy?: string;
}

/** The deployment id the state records (meta.deploymentId; config.deploymentId as a fallback). */
export function deploymentIdOf(state: DeploymentState | undefined): string | undefined {
  const value = state?.meta?.deploymentId ?? (state?.config as { deploymentId?: unknown } | undefined)?.deploymentId;
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** Whether tags carry this deployment's id (never true without an id). */
export function carriesDeployment(tags: Record<string, string> | undefined, deploymentId: string | undefined): boolean {
  return deploymentId !== undefined && tags?.[DEPLOYMENT_TAG] === deploymentId;
}

const PRIVATE_ENDPOINT_NIC = /^(.+)\.nic\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Splits a resource group's listing into this deployment's resources and the others. */
export function partitionOwned<T extends ListedResource>(listed: readonly T[], deploymentId: string | undefined): { ours: T[]; foreign: T[] } {
  const tagged = listed.filter((r) => carriesDeployment(r.tags, deploymentId));
  const taggedIds = new Set(tagged.map((r) => (r.id ?? "").toLowerCase()));
  const ourEndpoints = new Set(tagged.filter((r) => (r.type ?? "").toLowerCase() === "microsoft.network/privateendpoints").map((r) => (r.name ?? "").toLowerCase()));
  const ours: T[] = [];
  const foreign: T[] = [];
  for (const r of listed) {
    const nicOf = (r.type ?? "").toLowerCase() === "microsoft.network/networkinterfaces" ? PRIVATE_ENDPOINT_NIC.exec(r.name ?? "")?.[1] : undefined;
    const mine =
      carriesDeployment(r.tags, deploymentId) ||
      (r.managedBy !== undefined && taggedIds.has(r.managedBy.toLowerCase())) ||
      (nicOf !== undefined && ourEndpoints.has(nicOf.toLowerCase()));
    (mine ? ours : foreign).push(r);
  }
  return { ours, foreign };
}

/** "type name" lines for a listing shown to the person (what will be deleted, what is not ours). */
export function describeResources(resources: readonly ListedResource[]): string[] {
  return resources.map((r) => `${r.type ?? "?"} ${r.name ?? r.id ?? "?"}`);
}
