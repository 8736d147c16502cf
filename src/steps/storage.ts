// Step 4a: the workspace's storage account — locally-redundant, no public network access, no
// anonymous blob access, TLS 1.2 at least.

import type { StorageAccount } from "@azure/arm-storage";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { placed, storageId } from "./common.js";
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
  // The properties this step owns: set on creation, put back by a PATCH when they drift.
  const owned = {
    sku: { name: storageSecurity.sku },
    publicNetworkAccess: storageSecurity.publicNetworkAccess,
    allowBlobPublicAccess: storageSecurity.allowBlobPublicAccess,
    minimumTlsVersion: storageSecurity.minimumTlsVersion,
    networkRuleSet: { defaultAction: storageSecurity.defaultAction, bypass: "AzureServices" as const },
  };
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
        { ...placed(config), kind: "StorageV2", enableHttpsTrafficOnly: true, ...owned },
        azure.lro(),
      ),
    update: async () => (await azure.storage()).storageAccounts.update(config.resourceGroup, config.storageAccount, owned),
  };
}

export const storageStep = declareStep<AzureStepContext>({
  id: "storage",
  title: "Storage account",
  dependsOn: ["resource-group"],
  expectedSeconds: writeSeconds("Microsoft.Storage/storageAccounts"),
  // one account; its private endpoints are the storage-endpoints step (one at a time)
  resources: (ctx) => [storageSpec(ctx)],
});
