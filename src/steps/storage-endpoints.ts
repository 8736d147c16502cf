// Step 4b: private endpoints for the storage account's blob and file services in Training (and
// queue and table with --batch-endpoints), each with its DNS zone group.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { AzureStepContext } from "./context.js";
import { zonesFor, type PrivateLinkGroup } from "../azure/clouds.js";
import { privateEndpointId, privateEndpointName, storageId } from "./common.js";
import { convergeEndpoints, planEndpoints, type PrivateEndpointWanted } from "./private-endpoint.js";
import { chained, writeSeconds } from "../durations.js";

export function storageEndpoints({ config, azure }: AzureStepContext): PrivateEndpointWanted[] {
  const groups: PrivateLinkGroup[] = config.batchEndpoints ? ["blob", "file", "queue", "table"] : ["blob", "file"];
  const zones = zonesFor(azure.cloud, groups);
  return groups.map((g) => ({ name: privateEndpointName(config.storageAccount, g), targetId: storageId(config), groupId: g, zones: zones[g] }));
}

export async function runStorageEndpoints(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const wanted = storageEndpoints(ctx);
  const resources = await convergeEndpoints(ctx.config, ctx.azure, io, wanted);
  return { resources, outputs: { storagePrivateEndpointIds: wanted.map((w) => privateEndpointId(ctx.config, w.name)).join(",") } };
}

export async function planStorageEndpoints(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return planEndpoints(ctx.config, ctx.azure, storageEndpoints(ctx));
}

export const storageEndpointsStep: Step<AzureStepContext> = {
  id: "storage-endpoints",
  title: "Storage private endpoints",
  dependsOn: ["storage", "network", "private-dns"],
  // endpoints in parallel, each one then its DNS zone group
  expectedSeconds: chained(writeSeconds("Microsoft.Network/privateEndpoints"), writeSeconds("Microsoft.Network/privateEndpoints/privateDnsZoneGroups")),
  run: runStorageEndpoints,
  plan: planStorageEndpoints,
};
