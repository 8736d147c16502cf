// Step 4b: private endpoints for the storage account's blob and file services in Training (and
// queue and table with --batch-endpoints), each with its DNS zone group. One after another: Azure
// fails concurrent endpoint writes on one storage account (StorageAccountOperationInProgress).

import type { AzureStepContext } from "./context.js";
import type { PrivateLinkGroup } from "../azure/clouds.js";
import { declareStep } from "../resources/reconcile.js";
import { endpointsOneAfterAnother, type PrivateEndpointWanted } from "../resources/factories/private-endpoint.js";
import { placement, storageId } from "./common.js";
import { endpointTo } from "./private-endpoint.js";
import { chained, parallel, writeSeconds } from "../durations.js";

export function storageEndpoints(ctx: AzureStepContext): PrivateEndpointWanted[] {
  const groups: PrivateLinkGroup[] = ctx.config.batchEndpoints ? ["blob", "file", "queue", "table"] : ["blob", "file"];
  return groups.map((g) => endpointTo(ctx, ctx.config.storageAccount, storageId(ctx.config), g));
}

const endpoint = writeSeconds("Microsoft.Network/privateEndpoints");
const zoneGroup = writeSeconds("Microsoft.Network/privateEndpoints/privateDnsZoneGroups");

/** Endpoints one after another, each one's zone group beside the next endpoint. */
export function storageEndpointsSeconds(count: number): number {
  return count <= 1 ? chained(endpoint, zoneGroup) : chained(endpoint, parallel(zoneGroup, storageEndpointsSeconds(count - 1)));
}

export const storageEndpointsStep = declareStep<AzureStepContext>({
  id: "storage-endpoints",
  title: "Storage private endpoints",
  dependsOn: ["storage", "network", "private-dns"],
  // blob and file (the default); with --batch-endpoints four, still one at a time
  expectedSeconds: storageEndpointsSeconds(2),
  resources: (ctx) => endpointsOneAfterAnother(ctx.azure, placement(ctx.config), storageEndpoints(ctx)),
});
