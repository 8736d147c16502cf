// Kinds outside Microsoft.Network: resource groups, storage, key vault, registry, monitoring, Machine
// Learning, compute, schedules, role assignments.

import type { ResourceGroup } from "@azure/arm-resources";
import type { StorageAccount } from "@azure/arm-storage";
import type { Vault } from "@azure/arm-keyvault";
import type { Registry } from "@azure/arm-containerregistry";
import type { Workspace as LogAnalyticsWorkspace } from "@azure/arm-operationalinsights";
import type { ApplicationInsightsComponent } from "@azure/arm-appinsights";
import type { ComputeResource, Workspace } from "@azure/arm-machinelearning";
import type { VirtualMachine } from "@azure/arm-compute";
import type { Schedule } from "@azure/arm-devtestlabs";
import type { RoleAssignment } from "@azure/arm-authorization";
import type { Workspace as DatabricksWorkspace } from "@azure/arm-databricks";
import { defineKind, genericKind, groupOf, nameAt, stringAt } from "./kind.js";

/** Private link scopes go through the generic resources API at this version: @azure/arm-monitor 7 has no accessModeSettings. */
export const PRIVATE_LINK_SCOPE_API_VERSION = "2021-07-01-preview";

export const resourceGroup = defineKind<ResourceGroup>({
  type: "Microsoft.Resources/resourceGroups",
  read: async (azure, id) => (await azure.resources()).resourceGroups.get(groupOf(id)),
  provisioningState: (rg) => rg.properties?.provisioningState,
});

export const storageAccount = defineKind<StorageAccount>({
  type: "Microsoft.Storage/storageAccounts",
  read: async (azure, id) => (await azure.storage()).storageAccounts.getProperties(groupOf(id), nameAt(id, 0)),
  provisioningState: (s) => s.provisioningState,
});

export const keyVault = defineKind<Vault>({
  type: "Microsoft.KeyVault/vaults",
  read: async (azure, id) => (await azure.keyVault()).vaults.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (v) => v.properties.provisioningState,
});

export const containerRegistry = defineKind<Registry>({
  type: "Microsoft.ContainerRegistry/registries",
  read: async (azure, id) => (await azure.containerRegistry()).registries.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (r) => r.provisioningState,
});

export const logAnalyticsWorkspace = defineKind<LogAnalyticsWorkspace>({
  type: "Microsoft.OperationalInsights/workspaces",
  read: async (azure, id) => (await azure.operationalInsights()).workspaces.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (w) => w.provisioningState,
});

export const appInsightsComponent = defineKind<ApplicationInsightsComponent>({
  type: "Microsoft.Insights/components",
  read: async (azure, id) => (await azure.appInsights()).components.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (c) => c.provisioningState,
});

export const privateLinkScope = genericKind("Microsoft.Insights/privateLinkScopes", PRIVATE_LINK_SCOPE_API_VERSION);

export const privateLinkScopedResource = genericKind("Microsoft.Insights/privateLinkScopes/scopedResources", PRIVATE_LINK_SCOPE_API_VERSION);

export const mlWorkspace = defineKind<Workspace>({
  type: "Microsoft.MachineLearningServices/workspaces",
  read: async (azure, id) => (await azure.machineLearning()).workspaces.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (w) => w.provisioningState,
});

export const mlCompute = defineKind<ComputeResource>({
  type: "Microsoft.MachineLearningServices/workspaces/computes",
  read: async (azure, id) => (await azure.machineLearning()).computeOperations.get(groupOf(id), nameAt(id, 0), nameAt(id, 1)),
  provisioningState: (c) => stringAt(c.properties, "provisioningState"),
});

export const virtualMachine = defineKind<VirtualMachine>({
  type: "Microsoft.Compute/virtualMachines",
  read: async (azure, id) => (await azure.compute()).virtualMachines.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (vm) => vm.provisioningState,
});

export const schedule = defineKind<Schedule>({
  type: "Microsoft.DevTestLab/schedules",
  read: async (azure, id) => (await azure.devTestLabs()).globalSchedules.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (s) => s.provisioningState,
});

/** Role assignments are extension resources: the scope is everything before their own /providers/ segment. */
export const roleAssignment = defineKind<RoleAssignment>({
  type: "Microsoft.Authorization/roleAssignments",
  read: async (azure, id, fullId) =>
    (await azure.authorization()).roleAssignments.get(fullId.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i, ""), nameAt(id, id.names.length - 1)),
  // Role assignments have no provisioning state: one that can be read is in place.
  provisioningState: () => "Succeeded",
});

export const databricksWorkspace = defineKind<DatabricksWorkspace>({
  type: "Microsoft.Databricks/workspaces",
  read: async (azure, id) => (await azure.databricks()).workspaces.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (w) => w.provisioningState,
});
