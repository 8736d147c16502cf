// Step 8a: the Azure Machine Learning workspace over the storage account, key vault, registry and
// Application Insights, with a system-assigned identity and public network access disabled
// (outbound goes through our own VNet: no managed network).

import type { Workspace } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { SecureAmlError } from "../errors.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, differsId, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { appInsightsId, keyVaultId, registryId, storageId, workspaceId, placed } from "./common.js";
import { writeSeconds } from "../durations.js";

/** Which workspace this is and how to read it; shared with the image-build step, which updates the same workspace. */
export function workspaceResource({ config, azure }: AzureStepContext): Pick<ResourceSpec<Workspace>, "id" | "kind" | "name" | "group" | "read" | "provisioningState"> {
  return arm(kinds.mlWorkspace, azure, workspaceId(config), config.workspace, "training-subnet");
}

function workspaceSpec(ctx: AzureStepContext): ResourceSpec<Workspace> {
  const { config, azure } = ctx;
  return {
    ...workspaceResource(ctx),
    diff: (w) =>
      changesOf(
        differs("publicNetworkAccess", w.publicNetworkAccess, "Disabled"),
        differs("identity.type", w.identity?.type?.replace(/\s/g, ""), "SystemAssigned"),
        differsId("containerRegistry", w.containerRegistry, registryId(config)),
        differsId("applicationInsights", w.applicationInsights, appInsightsId(config)),
        differsId("storageAccount", w.storageAccount, storageId(config), { immutable: true }),
        differsId("keyVault", w.keyVault, keyVaultId(config), { immutable: true }),
      ),
    immutableDrift: (changes) =>
      new SecureAmlError(
        "WORKSPACE_IMMUTABLE_DRIFT",
        `Workspace ${config.workspace} uses a different ${changes.map((c) => c.field).join(" and ")} than this deployment; ` +
          `Azure cannot change that in place. Point --storage-account/--key-vault at the workspace's own, or delete the workspace and re-run.`,
      ),
    create: async () =>
      (await azure.machineLearning()).workspaces.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        {
          ...placed(config),
          identity: { type: "SystemAssigned" },
          sku: { name: "Basic", tier: "Basic" },
          friendlyName: config.workspace,
          storageAccount: storageId(config),
          keyVault: keyVaultId(config),
          containerRegistry: registryId(config),
          applicationInsights: appInsightsId(config),
          publicNetworkAccess: "Disabled",
          v1LegacyMode: false,
        },
        azure.lro(),
      ),
    update: async (w) =>
      (await azure.machineLearning()).workspaces.beginUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        {
          publicNetworkAccess: "Disabled",
          containerRegistry: registryId(config),
          applicationInsights: appInsightsId(config),
          ...(w.identity?.type?.replace(/\s/g, "") === "SystemAssigned" ? {} : { identity: { type: "SystemAssigned" } }),
        },
        azure.lro(),
      ),
  };
}

export const workspaceStep = declareStep<AzureStepContext>({
  id: "workspace",
  title: "Machine Learning workspace",
  dependsOn: ["storage", "key-vault", "registry", "monitoring"],
  expectedSeconds: writeSeconds("Microsoft.MachineLearningServices/workspaces"),
  resources: (ctx) => [workspaceSpec(ctx)],
  outputs: async (ctx, found) => {
    const principalId = (await found.value(workspaceSpec(ctx)))?.identity?.principalId;
    if (!principalId) throw new SecureAmlError("WORKSPACE_NO_IDENTITY", `Workspace ${ctx.config.workspace} has no system-assigned identity principal`);
    return { workspaceId: workspaceId(ctx.config), workspacePrincipalId: principalId };
  },
});
