// Step 5a: the workspace's key vault, public network access off. A soft-deleted vault holding the
// name is handled as --key-vault-soft-deleted says: fail (default, naming both ways out), recover
// it, or purge it and create a new one.

import type { DeletedVault, Vault } from "@azure/arm-keyvault";
import type { AzureStepContext } from "./context.js";
import { armCall } from "../azure/arm-errors.js";
import { subscriptionTenantId } from "../azure/clients.js";
import { SecureAmlError, ExitCode } from "../errors.js";
import { declareStep, type StepDeps } from "../resources/reconcile.js";
import { arm, change, changesOf, differs, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { keyVaultId, placed } from "./common.js";
import { ensureNameAvailable } from "./name-check.js";
import { writeSeconds } from "../durations.js";

export const keyVaultSecurity = { publicNetworkAccess: "Disabled", defaultAction: "Deny" } as const;

async function findSoftDeleted({ config, azure }: AzureStepContext): Promise<DeletedVault | undefined> {
  return armCall({ resource: config.keyVault, operation: "list soft-deleted key vaults" }, async () => {
    for await (const v of (await azure.keyVault()).vaults.listDeleted()) {
      if ((v.name ?? "").toLowerCase() === config.keyVault.toLowerCase()) return v;
    }
    return undefined;
  });
}

function keyVaultSpec(ctx: AzureStepContext, io: StepDeps): ResourceSpec<Vault> {
  const { config, azure } = ctx;
  let recover = false;
  return {
    ...arm(kinds.keyVault, azure, keyVaultId(config), config.keyVault, "global"),
    diff: (v) =>
      changesOf(
        differs("publicNetworkAccess", v.properties.publicNetworkAccess, keyVaultSecurity.publicNetworkAccess),
        differs("networkAcls.defaultAction", v.properties.networkAcls?.defaultAction ?? "Allow", keyVaultSecurity.defaultAction),
      ),
    beforeCreate: async () => {
      const deleted = await findSoftDeleted(ctx);
      if (deleted) {
        const where = deleted.properties?.location ?? config.location;
        if (config.keyVaultSoftDeleted === "fail") {
          throw new SecureAmlError(
            "KEY_VAULT_SOFT_DELETED",
            `The key vault name "${config.keyVault}" is held by a soft-deleted vault (in ${where}, deleted ${deleted.properties?.deletionDate?.toISOString() ?? "earlier"}). ` +
              `Re-run with --key-vault-soft-deleted recover to bring it back, or --key-vault-soft-deleted purge to delete it for good and create a new one` +
              (deleted.properties?.purgeProtectionEnabled ? " (purge protection is on, so only recover will work)" : "") +
              `, or choose another name with --key-vault.`,
            ExitCode.failed,
            `secure-aml init --key-vault-soft-deleted recover`,
          );
        }
        if (config.keyVaultSoftDeleted === "recover") {
          recover = true;
          return;
        }
        io.progress(`purging soft-deleted key vault ${config.keyVault}`);
        await armCall({ resource: config.keyVault, operation: "purge soft-deleted key vault" }, async () =>
          (await azure.keyVault()).vaults.purgeDeleted(config.keyVault, where, azure.lro()),
        );
      }
      await ensureNameAvailable(azure, "keyVault", config.keyVault);
    },
    create: async () => {
      const client = await azure.keyVault();
      const tenantId = await subscriptionTenantId(azure);
      if (recover) {
        io.progress(`recovering soft-deleted key vault ${config.keyVault}`);
        await client.vaults.createOrUpdate(
          config.resourceGroup,
          config.keyVault,
          { ...placed(config), properties: { tenantId, sku: { family: "A", name: "standard" }, createMode: "recover" } },
          azure.lro(),
        );
        // A recovered vault comes back with its old network settings; put ours on it.
        return client.vaults.update(config.resourceGroup, config.keyVault, {
          properties: { publicNetworkAccess: keyVaultSecurity.publicNetworkAccess, networkAcls: { defaultAction: keyVaultSecurity.defaultAction, bypass: "AzureServices" } },
        });
      }
      return client.vaults.createOrUpdate(
        config.resourceGroup,
        config.keyVault,
        {
          ...placed(config),
          properties: {
            tenantId,
            sku: { family: "A", name: "standard" },
            // Azure Machine Learning adds the workspace identity's access policy itself.
            accessPolicies: [],
            enableRbacAuthorization: false,
            enableSoftDelete: true,
            softDeleteRetentionInDays: 90,
            publicNetworkAccess: keyVaultSecurity.publicNetworkAccess,
            networkAcls: { defaultAction: keyVaultSecurity.defaultAction, bypass: "AzureServices" },
          },
        },
        azure.lro(),
      );
    },
    explainCreate: async () => {
      const deleted = await findSoftDeleted(ctx);
      return deleted ? [change("softDeletedVault", deleted.name, `--key-vault-soft-deleted ${config.keyVaultSoftDeleted}`)] : [];
    },
    // PATCH only what we own: the workspace's access policy must survive.
    update: async () =>
      (await azure.keyVault()).vaults.update(config.resourceGroup, config.keyVault, {
        properties: { publicNetworkAccess: keyVaultSecurity.publicNetworkAccess, networkAcls: { defaultAction: keyVaultSecurity.defaultAction, bypass: "AzureServices" } },
      }),
  };
}

export const keyVaultStep = declareStep<AzureStepContext>({
  id: "key-vault",
  title: "Key vault",
  dependsOn: ["resource-group"],
  expectedSeconds: writeSeconds("Microsoft.KeyVault/vaults"),
  resources: (ctx, deps) => [keyVaultSpec(ctx, deps)],
});
