// Step 5b: the key vault's private endpoint (`vault`) in Training, with its DNS zone group.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { AzureStepContext } from "./context.js";
import { zonesFor } from "../azure/clouds.js";
import { keyVaultId, privateEndpointName } from "./common.js";
import { convergeEndpoints, planEndpoints, type PrivateEndpointWanted } from "./private-endpoint.js";
import { chained, writeSeconds } from "../durations.js";

function wanted({ config, azure }: AzureStepContext): PrivateEndpointWanted[] {
  return [{ name: privateEndpointName(config.keyVault, "vault"), targetId: keyVaultId(config), groupId: "vault", zones: zonesFor(azure.cloud, ["vault"]).vault }];
}

export async function runKeyVaultEndpoint(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  return { resources: await convergeEndpoints(ctx.config, ctx.azure, io, wanted(ctx)) };
}

export async function planKeyVaultEndpoint(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return planEndpoints(ctx.config, ctx.azure, wanted(ctx));
}

export const keyVaultEndpointStep: Step<AzureStepContext> = {
  id: "key-vault-endpoint",
  title: "Key vault private endpoint",
  dependsOn: ["key-vault", "network", "private-dns"],
  // endpoints in parallel, each one then its DNS zone group
  expectedSeconds: chained(writeSeconds("Microsoft.Network/privateEndpoints"), writeSeconds("Microsoft.Network/privateEndpoints/privateDnsZoneGroups")),
  run: runKeyVaultEndpoint,
  plan: planKeyVaultEndpoint,
};
