// Step 8b: the workspace's private endpoint (`amlworkspace`) in Training, registered in both the
// api.azureml.ms and notebooks zones (or the cloud's equivalents).

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { AzureStepContext } from "./context.js";
import { zonesFor } from "../azure/clouds.js";
import { privateEndpointName, workspaceId } from "./common.js";
import { convergeEndpoints, planEndpoints, type PrivateEndpointWanted } from "./private-endpoint.js";
import { chained, writeSeconds } from "../durations.js";

function wanted({ config, azure }: AzureStepContext): PrivateEndpointWanted[] {
  return [{ name: privateEndpointName(config.workspace, "amlworkspace"), targetId: workspaceId(config), groupId: "amlworkspace", zones: zonesFor(azure.cloud, ["amlworkspace"]).amlworkspace }];
}

export async function runWorkspaceEndpoint(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  return { resources: await convergeEndpoints(ctx.config, ctx.azure, io, wanted(ctx)) };
}

export async function planWorkspaceEndpoint(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return planEndpoints(ctx.config, ctx.azure, wanted(ctx));
}

export const workspaceEndpointStep: Step<AzureStepContext> = {
  id: "workspace-endpoint",
  title: "Workspace private endpoint",
  dependsOn: ["workspace", "network", "private-dns"],
  // endpoints in parallel, each one then its DNS zone group
  expectedSeconds: chained(writeSeconds("Microsoft.Network/privateEndpoints"), writeSeconds("Microsoft.Network/privateEndpoints/privateDnsZoneGroups")),
  run: runWorkspaceEndpoint,
  plan: planWorkspaceEndpoint,
};
