// Step 4a: the workspace's storage account — locally-redundant, no public network access, no
// anonymous blob access, TLS 1.2 at least.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { StorageAccount } from "@azure/arm-storage";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { managedTags, compare, converge, outcome, planResource, storageId, type ResourceSpec } from "./common.js";
import { ensureNameAvailable } from "./name-check.js";
import { writeSeconds } from "../durations.js";

export const storageSecurity = {
  sku: "Standard_LRS",
  publicNetworkAccess: "Disabled",
  allowBlobPublicAccess: false,
  minimumTlsVersion: "TLS1_2",
  defaultAction: "Deny",
} as const;

function spec({ config, azure }: AzureStepContext): ResourceSpec<StorageAccount> {
  const id = storageId(config);
  return {
    id,
    kind: "Microsoft.Storage/storageAccounts",
    name: config.storageAccount,
    group: "global",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.storage()).storageAccounts.getProperties(config.resourceGroup, config.storageAccount)),
    provisioningState: (s) => s.provisioningState,
    diff: (s) => {
      const changes: string[] = [];
      compare(changes, "sku", s.sku?.name, storageSecurity.sku);
      compare(changes, "publicNetworkAccess", s.publicNetworkAccess, storageSecurity.publicNetworkAccess);
      compare(changes, "allowBlobPublicAccess", s.allowBlobPublicAccess ?? true, storageSecurity.allowBlobPublicAccess);
      compare(changes, "minimumTlsVersion", s.minimumTlsVersion, storageSecurity.minimumTlsVersion);
      compare(changes, "networkRuleSet.defaultAction", s.networkRuleSet?.defaultAction, storageSecurity.defaultAction);
      return changes;
    },
    beforeCreate: () =>
      ensureNameAvailable({
        label: "storage account",
        name: config.storageAccount,
        flag: "--storage-account",
        maxLength: 24,
        allowHyphen: false,
        isAvailable: async (name) => {
          const r = await (await azure.storage()).storageAccounts.checkNameAvailability({ name, type: "Microsoft.Storage/storageAccounts" });
          return { available: r.nameAvailable === true, reason: r.reason, message: r.message };
        },
      }),
    create: async () =>
      (await azure.storage()).storageAccounts.create(
        config.resourceGroup,
        config.storageAccount,
        {
          location: config.location,
          kind: "StorageV2",
          sku: { name: storageSecurity.sku },
          tags: managedTags(config),
          publicNetworkAccess: storageSecurity.publicNetworkAccess,
          allowBlobPublicAccess: storageSecurity.allowBlobPublicAccess,
          minimumTlsVersion: storageSecurity.minimumTlsVersion,
          enableHttpsTrafficOnly: true,
          networkRuleSet: { defaultAction: storageSecurity.defaultAction, bypass: "AzureServices" },
        },
        azure.lro(),
      ),
    update: async () =>
      (await azure.storage()).storageAccounts.update(config.resourceGroup, config.storageAccount, {
        sku: { name: storageSecurity.sku },
        publicNetworkAccess: storageSecurity.publicNetworkAccess,
        allowBlobPublicAccess: storageSecurity.allowBlobPublicAccess,
        minimumTlsVersion: storageSecurity.minimumTlsVersion,
        networkRuleSet: { defaultAction: storageSecurity.defaultAction, bypass: "AzureServices" },
      }),
  };
}

export async function runStorage(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const result = await converge(spec(ctx), ctx.azure, io);
  return { resources: [outcome(result)], outputs: { storageAccountId: storageId(ctx.config) } };
}

export async function planStorage(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return [await planResource(spec(ctx))];
}

export const storageStep: Step<AzureStepContext> = {
  id: "storage",
  title: "Storage account",
  dependsOn: ["resource-group"],
  expectedSeconds: writeSeconds("Microsoft.Storage/storageAccounts"),
  run: runStorage,
  plan: planStorage,
};
