// Step 1: the resource group, tagged so that secure-aml can tell later that it created it.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { AzureStepContext } from "./context.js";
import type { ResourceGroup } from "@azure/arm-resources";
import { getOrUndefined } from "../azure/arm-errors.js";
import { MANAGED_TAG, MANAGED_TAGS, managedTags, compare, converge, outcome, planResource, rgId, type ResourceSpec } from "./common.js";
import { writeSeconds } from "../durations.js";

function spec({ config, azure }: AzureStepContext): ResourceSpec<ResourceGroup> {
  return {
    id: rgId(config),
    kind: "Microsoft.Resources/resourceGroups",
    name: config.resourceGroup,
    group: "global",
    read: async () => getOrUndefined({ resource: rgId(config) }, async () => (await azure.resources()).resourceGroups.get(config.resourceGroup)),
    provisioningState: (rg) => rg.properties?.provisioningState,
    diff: (rg) => {
      const changes: string[] = [];
      compare(changes, "location", rg.location?.replace(/\s/g, ""), config.location);
      compare(changes, `tags.${MANAGED_TAG}`, rg.tags?.[MANAGED_TAG], MANAGED_TAGS[MANAGED_TAG]);
      return changes.filter((c) => !c.startsWith("location"));
    },
    create: async () =>
      (await azure.resources()).resourceGroups.createOrUpdate(config.resourceGroup, { location: config.location, tags: managedTags(config) }),
    // Only the tag can drift in place (a group's location is fixed); keep every other tag.
    update: async (rg) =>
      (await azure.resources()).resourceGroups.update(config.resourceGroup, { tags: { ...(rg.tags ?? {}), ...MANAGED_TAGS } }),
  };
}

export async function runResourceGroup(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const s = spec(ctx);
  const existing = await s.read();
  if (existing && existing.location && existing.location.replace(/\s/g, "").toLowerCase() !== ctx.config.location.toLowerCase()) {
    io.progress(`resource group ${ctx.config.resourceGroup} is in ${existing.location}, not ${ctx.config.location}; resources are created in ${ctx.config.location}`);
  }
  const result = await converge(s, ctx.azure, io);
  return { resources: [outcome(result)], outputs: { resourceGroupId: s.id } };
}

export async function planResourceGroup(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return [await planResource(spec(ctx))];
}

export const resourceGroupStep: Step<AzureStepContext> = {
  id: "resource-group",
  title: "Resource group",
  dependsOn: [],
  // one resource group
  expectedSeconds: writeSeconds("Microsoft.Resources/resourceGroups"),
  run: runResourceGroup,
  plan: planResourceGroup,
};
