// Step 1: the resource group, tagged so that secure-aml can tell later that it created it.

import type { ResourceGroup } from "@azure/arm-resources";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { MANAGED_TAG, managedTags, rgId } from "./common.js";
import { writeSeconds } from "../durations.js";

function resourceGroupSpec({ config, azure }: AzureStepContext): ResourceSpec<ResourceGroup> {
  const tags = managedTags(config);
  const region = (rg: ResourceGroup) => rg.location?.replace(/\s/g, "") ?? "";
  return {
    ...arm(kinds.resourceGroup, azure, rgId(config), config.resourceGroup, "global"),
    // Only the tag can drift in place (a group's location is fixed; resources go to config.location anyway).
    diff: (rg) => changesOf(differs(`tags.${MANAGED_TAG}`, rg.tags?.[MANAGED_TAG], tags[MANAGED_TAG])),
    notice: (rg) =>
      region(rg) !== "" && region(rg).toLowerCase() !== config.location.toLowerCase()
        ? `resource group ${config.resourceGroup} is in ${rg.location}, not ${config.location}; resources are created in ${config.location}`
        : undefined,
    create: async () => (await azure.resources()).resourceGroups.createOrUpdate(config.resourceGroup, { location: config.location, tags }),
    // Keep every other tag.
    update: async (rg) => (await azure.resources()).resourceGroups.update(config.resourceGroup, { tags: { ...(rg.tags ?? {}), ...tags } }),
  };
}

export const resourceGroupStep = declareStep<AzureStepContext>({
  id: "resource-group",
  title: "Resource group",
  dependsOn: [],
  // one resource group
  expectedSeconds: writeSeconds("Microsoft.Resources/resourceGroups"),
  resources: (ctx) => [resourceGroupSpec(ctx)],
});
