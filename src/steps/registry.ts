// Step 6a: the container registry — Premium (private endpoints need it), admin user enabled (the
// tutorial requires it for Azure Machine Learning behind a VNet), public network access off.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { Registry } from "@azure/arm-containerregistry";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { managedTags, compare, converge, outcome, planResource, registryId, type ResourceSpec } from "./common.js";
import { ensureNameAvailable } from "./name-check.js";
import { writeSeconds } from "../durations.js";

export const registrySecurity = { sku: "Premium", adminUserEnabled: true, publicNetworkAccess: "Disabled" } as const;

function spec({ config, azure }: AzureStepContext): ResourceSpec<Registry> {
  const id = registryId(config);
  return {
    id,
    kind: "Microsoft.ContainerRegistry/registries",
    name: config.registry,
    group: "global",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.containerRegistry()).registries.get(config.resourceGroup, config.registry)),
    provisioningState: (r) => r.provisioningState,
    diff: (r) => {
      const changes: string[] = [];
      compare(changes, "sku", r.sku?.name, registrySecurity.sku);
      compare(changes, "adminUserEnabled", r.adminUserEnabled ?? false, registrySecurity.adminUserEnabled);
      compare(changes, "publicNetworkAccess", r.publicNetworkAccess, registrySecurity.publicNetworkAccess);
      return changes;
    },
    beforeCreate: () =>
      ensureNameAvailable({
        label: "container registry",
        name: config.registry,
        flag: "--registry",
        maxLength: 50,
        allowHyphen: false,
        isAvailable: async (name) => {
          const r = await (await azure.containerRegistry()).registries.checkNameAvailability({ name, type: "Microsoft.ContainerRegistry/registries" });
          return { available: r.nameAvailable === true, reason: r.reason, message: r.message };
        },
      }),
    create: async () =>
      (await azure.containerRegistry()).registries.create(
        config.resourceGroup,
        config.registry,
        {
          location: config.location,
          tags: managedTags(config),
          sku: { name: registrySecurity.sku },
          adminUserEnabled: registrySecurity.adminUserEnabled,
          publicNetworkAccess: registrySecurity.publicNetworkAccess,
          networkRuleBypassOptions: "AzureServices",
        },
        azure.lro(),
      ),
    update: async () =>
      (await azure.containerRegistry()).registries.update(
        config.resourceGroup,
        config.registry,
        { sku: { name: registrySecurity.sku }, adminUserEnabled: registrySecurity.adminUserEnabled, publicNetworkAccess: registrySecurity.publicNetworkAccess },
        azure.lro(),
      ),
  };
}

export async function runRegistry(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const result = await converge(spec(ctx), ctx.azure, io);
  return { resources: [outcome(result)], outputs: { registryId: registryId(ctx.config) } };
}

export async function planRegistry(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return [await planResource(spec(ctx))];
}

export const registryStep: Step<AzureStepContext> = {
  id: "registry",
  title: "Container registry",
  dependsOn: ["resource-group"],
  expectedSeconds: writeSeconds("Microsoft.ContainerRegistry/registries"),
  run: runRegistry,
  plan: planRegistry,
};
