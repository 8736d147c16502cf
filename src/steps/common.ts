// The names and IDs steps share, and the tags every resource secure-aml creates carries.
// (The read-decide-write loop lives in src/resources/reconcile.ts.)

import type { DeploymentConfig } from "../config/types.js";
import type { Placement } from "../resources/factories/placement.js";
import { nicName } from "../resources/factories/vm.js";

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

/**
 * The tags of every resource secure-aml creates: the ONE place they come from (steps and factories
 * call it; nothing else builds a tags object).
 */
export function managedTags(config: Pick<DeploymentConfig, "deploymentId">): Record<string, string> {
  return config.deploymentId ? { ...MANAGED_TAGS, [DEPLOYMENT_TAG]: config.deploymentId } : { ...MANAGED_TAGS };
}

export const SUBNET_TRAINING = "Training";
export const SUBNET_SCORING = "Scoring";
export const SUBNET_BASTION = "AzureBastionSubnet";
/** Training page, Azure Databricks: the two delegated subnets and the `default` subnet it also requires. */
export const SUBNET_DEFAULT = "default";
export const SUBNET_DATABRICKS_PUBLIC = "databricks-public";
export const SUBNET_DATABRICKS_PRIVATE = "databricks-private";
/** The delegation Azure Databricks VNet injection requires on its two subnets. */
export const DATABRICKS_DELEGATION = "Microsoft.Databricks/workspaces";

/** Built-in Reader role (the same GUID in every cloud). */
export const READER_ROLE_ID = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

export { sameId, sameText } from "../resources/spec.js";
export { deterministicGuid } from "../resources/factories/role-assignment.js";
export { shutdownScheduleName } from "../resources/factories/vm.js";

/** The location and tags of a new resource of this deployment (spread into a create body). */
export function placed(config: DeploymentConfig): { location: string; tags: Record<string, string> } {
  return { location: config.location, tags: managedTags(config) };
}

/** Where this deployment's resources go, with its tags (for the resource factories). */
export function placement(config: DeploymentConfig): Placement {
  return { subscriptionId: config.subscriptionId, resourceGroup: config.resourceGroup, location: config.location, tags: managedTags(config) };
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

/** Where each top-level resource of the deployment lives: provider, type and the config field naming it. */
const TOP_LEVEL = {
  storage: ["Microsoft.Storage", "storageAccounts", "storageAccount"],
  keyVault: ["Microsoft.KeyVault", "vaults", "keyVault"],
  registry: ["Microsoft.ContainerRegistry", "registries", "registry"],
  logAnalytics: ["Microsoft.OperationalInsights", "workspaces", "logAnalyticsWorkspace"],
  appInsights: ["Microsoft.Insights", "components", "appInsights"],
  workspace: ["Microsoft.MachineLearningServices", "workspaces", "workspace"],
  privateLinkScope: ["Microsoft.Insights", "privateLinkScopes", "privateLinkScope"],
} as const satisfies Record<string, readonly [string, string, keyof DeploymentConfig]>;

/** The ARM ID of one of the deployment's top-level resources. */
export function topLevelId(config: DeploymentConfig, what: keyof typeof TOP_LEVEL): string {
  const [provider, type, field] = TOP_LEVEL[what];
  return resourceId(config, provider, type, String(config[field]));
}

export const storageId = (config: DeploymentConfig): string => topLevelId(config, "storage");
export const keyVaultId = (config: DeploymentConfig): string => topLevelId(config, "keyVault");
export const registryId = (config: DeploymentConfig): string => topLevelId(config, "registry");
export const logAnalyticsId = (config: DeploymentConfig): string => topLevelId(config, "logAnalytics");
export const appInsightsId = (config: DeploymentConfig): string => topLevelId(config, "appInsights");
export const workspaceId = (config: DeploymentConfig): string => topLevelId(config, "workspace");
export const privateLinkScopeId = (config: DeploymentConfig): string => topLevelId(config, "privateLinkScope");

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

/** The NSG Azure Databricks requires on both of its subnets (Databricks adds its own rules to it). */
export function databricksNsgName(config: DeploymentConfig): string {
  return `${config.vnetName}-databricks-nsg`;
}

export function databricksWorkspaceId(config: DeploymentConfig, name: string): string {
  return resourceId(config, "Microsoft.Databricks", "workspaces", name);
}

export function jumpboxNicName(config: DeploymentConfig): string {
  return nicName(config.jumpboxName);
}

/** Sub-resource of a private endpoint ("blob", "vault", ...). */
export type GroupId = string;
