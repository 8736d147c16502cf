// Step 6b: the container registry's private endpoint (`registry`) in Training, with its DNS zone group.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { AzureStepContext } from "./context.js";
import { zonesFor } from "../azure/clouds.js";
import { privateEndpointName, registryId } from "./common.js";
import { convergeEndpoints, planEndpoints, type PrivateEndpointWanted } from "./private-endpoint.js";
import { chained, writeSeconds } from "../durations.js";

function wanted({ config, azure }: AzureStepContext): PrivateEndpointWanted[] {
  return [{ name: privateEndpointName(config.registry, "registry"), targetId: registryId(config), groupId: "registry", zones: zonesFor(azure.cloud, ["registry"]).registry }];
}

export async function runRegistryEndpoint(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  return { resources: await convergeEndpoints(ctx.config, ctx.azure, io, wanted(ctx)) };
}

export async function planRegistryEndpoint(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return planEndpoints(ctx.config, ctx.azure, wanted(ctx));
}

export const registryEndpointStep: Step<AzureStepContext> = {
  id: "registry-endpoint",
  title: "Container registry private endpoint",
  dependsOn: ["registry", "network", "private-dns"],
  // endpoints in parallel, each one then its DNS zone group
  expectedSeconds: chained(writeSeconds("Microsoft.Network/privateEndpoints"), writeSeconds("Microsoft.Network/privateEndpoints/privateDnsZoneGroups")),
  run: runRegistryEndpoint,
  plan: planRegistryEndpoint,
};
