// Step 6a: the container registry — Premium (private endpoints need it), admin user enabled (the
// tutorial requires it for Azure Machine Learning behind a VNet), public network access off.

import type { Registry } from "@azure/arm-containerregistry";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { registryId, placed } from "./common.js";
import { ensureNameAvailable } from "./name-check.js";
import { writeSeconds } from "../durations.js";

export const registrySecurity = { sku: "Premium", adminUserEnabled: true, publicNetworkAccess: "Disabled" } as const;

function registrySpec({ config, azure }: AzureStepContext): ResourceSpec<Registry> {
  // The properties this step owns: set on creation, put back by an update when they drift.
  const owned = { sku: { name: registrySecurity.sku }, adminUserEnabled: registrySecurity.adminUserEnabled, publicNetworkAccess: registrySecurity.publicNetworkAccess };
  return {
    ...arm(kinds.containerRegistry, azure, registryId(config), config.registry, "global"),
    diff: (r) =>
      changesOf(
        differs("sku", r.sku?.name, registrySecurity.sku),
        differs("adminUserEnabled", r.adminUserEnabled ?? false, registrySecurity.adminUserEnabled),
        differs("publicNetworkAccess", r.publicNetworkAccess, registrySecurity.publicNetworkAccess),
      ),
    beforeCreate: () => ensureNameAvailable(azure, "registry", config.registry),
    create: async () =>
      (await azure.containerRegistry()).registries.create(
        config.resourceGroup,
        config.registry,
        { ...placed(config), ...owned, networkRuleBypassOptions: "AzureServices" },
        azure.lro(),
      ),
    update: async () => (await azure.containerRegistry()).registries.update(config.resourceGroup, config.registry, owned, azure.lro()),
  };
}

export const registryStep = declareStep<AzureStepContext>({
  id: "registry",
  title: "Container registry",
  dependsOn: ["resource-group"],
  expectedSeconds: writeSeconds("Microsoft.ContainerRegistry/registries"),
  resources: (ctx) => [registrySpec(ctx)],
});
