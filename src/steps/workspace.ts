// Step 8a: the Azure Machine Learning workspace over the storage account, key vault, registry and
// Application Insights, with a system-assigned identity and public network access disabled
// (outbound goes through our own VNet: no managed network).

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { Workspace } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined, armCall } from "../azure/arm-errors.js";
import { SecureAmlError } from "../errors.js";
import {
  managedTags,
  appInsightsId,
  compare,
  converge,
  keyVaultId,
  outcome,
  planResource,
  registryId,
  sameId,
  storageId,
  workspaceId,
  type ResourceSpec,
} from "./common.js";
import { writeSeconds } from "../durations.js";

/** Which workspace this is and how to read it; shared with the image-build step, which updates the same workspace. */
export function workspaceResource({ config, azure }: AzureStepContext): Pick<ResourceSpec<Workspace>, "id" | "kind" | "name" | "group" | "read" | "provisioningState"> {
  const id = workspaceId(config);
  return {
    id,
    kind: "Microsoft.MachineLearningServices/workspaces",
    name: config.workspace,
    group: "training-subnet",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.machineLearning()).workspaces.get(config.resourceGroup, config.workspace)),
    provisioningState: (w) => w.provisioningState,
  };
}

function spec(ctx: AzureStepContext): ResourceSpec<Workspace> {
  const { config, azure } = ctx;
  return {
    ...workspaceResource(ctx),
    diff: (w) => {
      const changes: string[] = [];
      compare(changes, "publicNetworkAccess", w.publicNetworkAccess, "Disabled");
      compare(changes, "identity.type", w.identity?.type?.replace(/\s/g, ""), "SystemAssigned");
      if (!sameId(w.containerRegistry, registryId(config))) changes.push(`containerRegistry → ${config.registry}`);
      if (!sameId(w.applicationInsights, appInsightsId(config))) changes.push(`applicationInsights → ${config.appInsights}`);
      if (!sameId(w.storageAccount, storageId(config))) changes.push(`storageAccount → ${config.storageAccount} (cannot change in place)`);
      if (!sameId(w.keyVault, keyVaultId(config))) changes.push(`keyVault → ${config.keyVault} (cannot change in place)`);
      return changes;
    },
    create: async () =>
      (await azure.machineLearning()).workspaces.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        {
          location: config.location,
          tags: managedTags(config),
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
    update: async (w, changes) => {
      const immutable = changes.filter((c) => c.includes("cannot change in place"));
      if (immutable.length > 0) {
        throw new SecureAmlError(
          "WORKSPACE_IMMUTABLE_DRIFT",
          `Workspace ${config.workspace} uses a different ${immutable.map((c) => c.split(" ")[0]).join(" and ")} than this deployment; ` +
            `Azure cannot change that in place. Point --storage-account/--key-vault at the workspace's own, or delete the workspace and re-run.`,
        );
      }
      return (await azure.machineLearning()).workspaces.beginUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        {
          publicNetworkAccess: "Disabled",
          containerRegistry: registryId(config),
          applicationInsights: appInsightsId(config),
          ...(w.identity?.type?.replace(/\s/g, "") === "SystemAssigned" ? {} : { identity: { type: "SystemAssigned" } }),
        },
        azure.lro(),
      );
    },
  };
}

export async function runWorkspace(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const s = spec(ctx);
  const result = await converge(s, ctx.azure, io);
  const ws = result.value ?? (await armCall({ resource: s.id, operation: "read workspace" }, async () => (await ctx.azure.machineLearning()).workspaces.get(ctx.config.resourceGroup, ctx.config.workspace)));
  const principalId = ws.identity?.principalId;
  if (!principalId) throw new SecureAmlError("WORKSPACE_NO_IDENTITY", `Workspace ${ctx.config.workspace} has no system-assigned identity principal`);
  return { resources: [outcome(result)], outputs: { workspaceId: s.id, workspacePrincipalId: principalId } };
}

export async function planWorkspace(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return [await planResource(spec(ctx))];
}

export const workspaceStep: Step<AzureStepContext> = {
  id: "workspace",
  title: "Machine Learning workspace",
  dependsOn: ["storage", "key-vault", "registry", "monitoring"],
  expectedSeconds: writeSeconds("Microsoft.MachineLearningServices/workspaces"),
  run: runWorkspace,
  plan: planWorkspace,
};
