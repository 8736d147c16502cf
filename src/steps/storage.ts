// Step 4a: the workspace's storage account — locally-redundant, no public network access, no
// anonymous blob access, TLS 1.2 at least.

import type { StorageAccount } from "@azure/arm-storage";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { managedTags, storageId } from "./common.js";
import { ensureNameAvailable } from "./name-check.js";
import { writeSeconds } from "../durations.js";

export const storageSecurity = {
  sku: "Standard_LRS",
  publicNetworkAccess: "Disabled",
  allowBlobPublicAccess: false,
  minimumTlsVersion: "TLS1_2",
  defaultAction: "Deny",
} as const;

function storageSpec({ config, azure }: AzureStepContext): ResourceSpec<StorageAccount> {
  return {
    ...arm(kinds.storageAccount, azure, storageId(config), config.storageAccount, "global"),
    diff: (s) =>
      changesOf(
        differs("sku", s.sku?.name, storageSecurity.sku),
        differs("publicNetworkAccess", s.publicNetworkAccess, storageSecurity.publicNetworkAccess),
        differs("allowBlobPublicAccess", s.allowBlobPublicAccess ?? true, storageSecurity.allowBlobPublicAccess),
        differs("minimumTlsVersion", s.minimumTlsVersion, storageSecurity.minimumTlsVersion),
        differs("networkRuleSet.defaultAction", s.networkRuleSet?.defaultAction, storageSecurity.defaultAction),
      ),
    beforeCreate: () => ensureNameAvailable(azure, "storageAccount", config.storageAccount),
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

export const storageStep = declareStep<AzureStepContext>({
  id: "storage",
  title: "Storage account",
  dependsOn: ["resource-group"],
  expectedSeconds: writeSeconds("Microsoft.Storage/storageAccounts"),
  // one account; its private endpoints are the storage-endpoints step (one at a time)
  resources: (ctx) => [storageSpec(ctx)],
  outputs: ({ config }) => ({ storageAccountId: storageId(config) }),
});
