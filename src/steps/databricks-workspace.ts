// Training page, Azure Databricks (--databricks-workspace NAME): the Azure Databricks workspace,
// injected into the deployment's VNet (customVirtualNetworkId + the databricks-public/-private
// subnets of the databricks-network step) with no public IP on its clusters (enableNoPublicIp,
// "secure cluster connectivity"). Databricks talks to the VNet without a private endpoint (the page
// says so), so none is created. Azure creates the managed resource group itself and deletes it with
// the workspace; secure-aml never touches it.

import type { Workspace } from "@azure/arm-databricks";
import type { AzureStepContext } from "./context.js";
import { SecureAmlError } from "../errors.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, differsId, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { SUBNET_DATABRICKS_PRIVATE, SUBNET_DATABRICKS_PUBLIC, databricksWorkspaceId, placed, vnetId } from "./common.js";
import { writeSeconds } from "../durations.js";

/** Premium: Microsoft retires the Standard tier for new workspaces (and role-based access control needs Premium). */
export const DATABRICKS_SKU = "premium";

export function managedResourceGroupId(config: AzureStepContext["config"]): string {
  const name = config.databricksManagedResourceGroup ?? `databricks-rg-${config.databricksWorkspace ?? ""}`;
  return `/subscriptions/${config.subscriptionId}/resourceGroups/${name}`;
}

function workspaceName(config: AzureStepContext["config"]): string {
  if (!config.databricksWorkspace) throw new SecureAmlError("DATABRICKS_NO_NAME", "the databricks-workspace step runs only with --databricks-workspace NAME");
  return config.databricksWorkspace;
}

/** The body secure-aml wants (location and tags come from `placed`). */
export function wantedWorkspace(config: AzureStepContext["config"]): Workspace {
  return {
    ...placed(config),
    sku: { name: DATABRICKS_SKU },
    managedResourceGroupId: managedResourceGroupId(config),
    parameters: {
      customVirtualNetworkId: { value: vnetId(config) },
      customPublicSubnetName: { value: SUBNET_DATABRICKS_PUBLIC },
      customPrivateSubnetName: { value: SUBNET_DATABRICKS_PRIVATE },
      enableNoPublicIp: { value: true },
    },
    // Without Private Link for Databricks itself the control plane is reached over the service tags,
    // and Databricks needs every one of its NSG rules ("AllRules").
    publicNetworkAccess: "Enabled",
    requiredNsgRules: "AllRules",
  };
}

function workspaceSpec({ config, azure }: AzureStepContext): ResourceSpec<Workspace> {
  const name = workspaceName(config);
  const write = async () => (await azure.databricks()).workspaces.beginCreateOrUpdateAndWait(config.resourceGroup, name, wantedWorkspace(config), azure.lro());
  return {
    ...arm(kinds.databricksWorkspace, azure, databricksWorkspaceId(config, name), name, "services"),
    diff: (w) =>
      changesOf(
        // VNet injection is fixed when the workspace is created.
        differsId("parameters.customVirtualNetworkId", w.parameters?.customVirtualNetworkId?.value, vnetId(config), { immutable: true }),
        differs("parameters.customPublicSubnetName", w.parameters?.customPublicSubnetName?.value, SUBNET_DATABRICKS_PUBLIC, { immutable: true }),
        differs("parameters.customPrivateSubnetName", w.parameters?.customPrivateSubnetName?.value, SUBNET_DATABRICKS_PRIVATE, { immutable: true }),
        differsId("managedResourceGroupId", w.managedResourceGroupId, managedResourceGroupId(config), { immutable: true }),
        // Azure can turn secure cluster connectivity on for an existing VNet-injected workspace.
        differs("parameters.enableNoPublicIp", w.parameters?.enableNoPublicIp?.value, true),
      ),
    immutableDrift: (changes) =>
      new SecureAmlError(
        "DATABRICKS_IMMUTABLE_DRIFT",
        `Azure Databricks workspace ${name} has a different ${changes.map((c) => c.field).join(" and ")} than this deployment; ` +
          "Azure fixes VNet injection and the managed resource group when a workspace is created. Choose another --databricks-workspace, or delete that workspace and re-run.",
      ),
    create: write,
    update: write,
  };
}

export const databricksWorkspaceStep = declareStep<AzureStepContext>({
  id: "databricks-workspace",
  title: "Azure Databricks workspace in the VNet",
  dependsOn: ["databricks-network"],
  expectedSeconds: writeSeconds("Microsoft.Databricks/workspaces"),
  // Azure Databricks writes the NSG and the subnets' network intent policies while it deploys.
  mutex: "vnet",
  resources: (ctx) => [workspaceSpec(ctx)],
});
