// Microsoft.KeyVault/vaults (keyvault 2023-07-01): globally unique names, soft delete on delete
// (also when the resource group goes), deletedVaults list/get/purge, createMode "recover",
// checkNameAvailability agreeing with PUT. Rules and messages: docs/emulator-services.md.

import { isObject, normalizeLocation } from "../core/common.js";
import { ArmError, type ActionResponse, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord, type ResourceStore } from "../types.js";
import {
  GUID_PATTERN,
  clone,
  compact,
  enumValue,
  keptPrivateEndpointConnections,
  mergePatch,
  optionalBoolean,
  optionalNumber,
  optionalString,
  otherHolderOfName,
  requireLocation,
  section,
  tagsOf,
} from "./service-common.js";
import { latencyOf } from "../../durations.js";
import { connectionHandler, privateLinkResources } from "./private-link-targets.js";

export const KEY_VAULT_TYPE = "Microsoft.KeyVault/vaults";
const DELETED_KIND = "keyvault";

/** keyvault 2023-07-01 (spec) and @azure/arm-keyvault 5 (2026-02-01), plus versions in between. */
// 2019-09-01: the Azure CLI recordings (test/fixtures/recordings); Azure still accepts it.
const API_VERSIONS = ["2019-09-01", "2023-07-01", "2022-07-01", "2023-02-01", "2024-11-01", "2024-12-01-preview", "2025-05-01", "2026-02-01"];

/** Soft-deleted vaults are kept this long before Azure purges them on its own (the default retention). */
const DEFAULT_RETENTION_DAYS = 90;

const NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

export function isValidVaultName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.includes("--");
}

export function vaultNameInvalidMessage(name: string): string {
  return `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742`;
}

export function vaultAlreadyExistsMessage(name: string): string {
  return `The vault name '${name}' is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information on VaultAlreadyExists, soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.`;
}

const DELETED_STATE_MESSAGE =
  "A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.";

/** The soft-deleted entry kept in the store: the spec's DeletedVault plus the vault body to recover. */
interface DeletedEntry {
  subscriptionId: string;
  resourceGroup: string;
  deleted: JsonObject;
  vault: JsonObject;
}

function readDeleted(store: ResourceStore, name: string): DeletedEntry | undefined {
  const value = store.softDeleted.get(DELETED_KIND, name);
  if (!value || !isObject(value.deleted) || !isObject(value.vault)) return undefined;
  return {
    subscriptionId: optionalString(value, "subscriptionId") ?? "",
    resourceGroup: optionalString(value, "resourceGroup") ?? "",
    deleted: value.deleted,
    vault: value.vault,
  };
}

function listDeleted(store: ResourceStore): DeletedEntry[] {
  return store.softDeleted
    .list(DELETED_KIND)
    .map((value) => (isObject(value.deleted) && isObject(value.vault) ? readDeleted(store, optionalString(value.deleted, "name") ?? "") : undefined))
    .filter((entry): entry is DeletedEntry => entry !== undefined);
}

function badRequest(message: string): ArmError {
  return new ArmError(400, "BadRequest", message);
}

function checkNameForCreate(ctx: HandlerContext, recovering: boolean): DeletedEntry | undefined {
  if (!isValidVaultName(ctx.name)) throw new ArmError(400, "VaultNameNotValid", vaultNameInvalidMessage(ctx.name));
  if (ctx.store.isTakenElsewhere("keyvault", ctx.name) || otherHolderOfName(ctx.store, KEY_VAULT_TYPE, ctx.name, ctx.id)) {
    throw new ArmError(409, "VaultAlreadyExists", vaultAlreadyExistsMessage(ctx.name));
  }
  const deleted = readDeleted(ctx.store, ctx.name);
  if (deleted && deleted.subscriptionId.toLowerCase() !== ctx.subscriptionId.toLowerCase()) {
    // Soft-deleted in someone else's subscription: the name is simply taken.
    throw new ArmError(409, "VaultAlreadyExists", vaultAlreadyExistsMessage(ctx.name));
  }
  if (deleted && !recovering) throw new ArmError(409, "ConflictError", DELETED_STATE_MESSAGE);
  if (!deleted && recovering) {
    throw new ArmError(
      404,
      "NotFound",
      `The vault '${ctx.name}' could not be found in deleted state. A vault can only be recovered while it is in deleted state within its retention period.`,
    );
  }
  return deleted;
}

function validNetworkAcls(value: JsonObject): JsonObject {
  return compact({
    bypass: enumValue(optionalString(value, "bypass"), ["AzureServices", "None"], (v) => badRequest(`Invalid value '${v}' for networkAcls.bypass.`)) ?? "AzureServices",
    defaultAction: enumValue(optionalString(value, "defaultAction"), ["Allow", "Deny"], (v) => badRequest(`Invalid value '${v}' for networkAcls.defaultAction.`)) ?? "Allow",
    ipRules: Array.isArray(value.ipRules) ? clone(value.ipRules) : [],
    virtualNetworkRules: Array.isArray(value.virtualNetworkRules) ? clone(value.virtualNetworkRules) : [],
  });
}

function buildProperties(name: string, requested: JsonObject, previous: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const tenantId = optionalString(requested, "tenantId") ?? optionalString(previous, "tenantId");
  if (!tenantId) throw badRequest("The parameter 'properties.tenantId' is required.");
  if (!GUID_PATTERN.test(tenantId)) throw badRequest(`The tenant ID '${tenantId}' is not a valid GUID.`);
  const skuSource = isObject(requested.sku) ? requested.sku : isObject(previous.sku) ? previous.sku : undefined;
  if (!skuSource) throw badRequest("The parameter 'properties.sku' is required.");
  const skuName = enumValue(optionalString(skuSource, "name"), ["standard", "premium"], (v) => badRequest(`Invalid SKU name '${v}'. Allowed values: standard, premium.`));
  if (!skuName) throw badRequest("The parameter 'properties.sku.name' is required.");
  const family = enumValue(optionalString(skuSource, "family") ?? "A", ["A"], (v) => badRequest(`Invalid SKU family '${v}'. Allowed value: A.`));
  const pick = <T>(read: (o: JsonObject, k: string) => T | undefined, key: string, fallback: T): T => read(requested, key) ?? read(previous, key) ?? fallback;
  const retention = pick(optionalNumber, "softDeleteRetentionInDays", DEFAULT_RETENTION_DAYS);
  if (!Number.isInteger(retention) || retention < 7 || retention > 90) {
    throw badRequest(`The value '${retention}' of softDeleteRetentionInDays is invalid. It must be between 7 and 90.`);
  }
  const purgeProtection = optionalBoolean(requested, "enablePurgeProtection") ?? optionalBoolean(previous, "enablePurgeProtection");
  if (purgeProtection === false && optionalBoolean(previous, "enablePurgeProtection") === true) {
    throw badRequest('The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.');
  }
  const publicNetworkAccess =
    enumValue(optionalString(requested, "publicNetworkAccess"), ["Enabled", "Disabled"], (v) =>
      badRequest(`Invalid value '${v}' for publicNetworkAccess. Allowed values: Enabled, Disabled.`),
    ) ??
    optionalString(previous, "publicNetworkAccess") ??
    "Enabled";
  const accessPolicies = Array.isArray(requested.accessPolicies) ? clone(requested.accessPolicies) : Array.isArray(previous.accessPolicies) ? clone(previous.accessPolicies) : [];
  const networkAcls = isObject(requested.networkAcls) ? validNetworkAcls(requested.networkAcls) : isObject(previous.networkAcls) ? clone(previous.networkAcls) : undefined;
  return compact({
    sku: { family: family ?? "A", name: skuName },
    tenantId,
    networkAcls,
    accessPolicies,
    enabledForDeployment: pick(optionalBoolean, "enabledForDeployment", false),
    enabledForDiskEncryption: pick(optionalBoolean, "enabledForDiskEncryption", false),
    enabledForTemplateDeployment: pick(optionalBoolean, "enabledForTemplateDeployment", false),
    // Soft delete cannot be switched off any more on Azure; the vault always reports it on.
    enableSoftDelete: true,
    softDeleteRetentionInDays: retention,
    enableRbacAuthorization: pick(optionalBoolean, "enableRbacAuthorization", false),
    enablePurgeProtection: purgeProtection,
    vaultUri: `https://${name.toLowerCase()}.vault.azure.net/`,
    publicNetworkAccess,
    privateEndpointConnections: keptPrivateEndpointConnections(existing),
  });
}

function deletedVaultId(subscriptionId: string, location: string, name: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.KeyVault/locations/${location}/deletedVaults/${name}`;
}

function notFoundDeleted(name: string): ArmError {
  return new ArmError(404, "ResourceNotFound", `The deleted vault '${name}' was not found.`);
}

function deletedInSubscription(store: ResourceStore, subscriptionId: string, location: string, name: string): DeletedEntry {
  const entry = readDeleted(store, name);
  if (!entry || entry.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) throw notFoundDeleted(name);
  if (normalizeLocation(optionalString(section(entry.deleted, "properties"), "location")) !== normalizeLocation(location)) throw notFoundDeleted(name);
  return entry;
}

export const keyVaultProvider: EmulatorProvider = {
  namespace: "Microsoft.KeyVault",
  types: [
    {
      type: KEY_VAULT_TYPE,
      apiVersions: API_VERSIONS,
      location: "required",
      // Vaults_CreateOrUpdate: long-running without async headers (the poller reads the vault). Recorded: a
      // create answers 200 with provisioningState RegisteringDns, an update 200 Succeeded at once.
      lro: { put: "async", update: "sync", patch: "sync", delete: "sync", createStatus: 200, pendingState: { create: "RegisteringDns" } },
      actions: { privatelinkresources: privateLinkResources },
      latency: latencyOf(KEY_VAULT_TYPE),
      put(ctx, req) {
        const requested = section(req.body, "properties");
        const recovering = optionalString(requested, "createMode")?.toLowerCase() === "recover";
        if (!req.existing) {
          const deleted = checkNameForCreate(ctx, recovering);
          if (deleted) {
            // Recovery brings back the vault as it was (Azure ignores the other properties sent).
            ctx.store.softDeleted.remove(DELETED_KIND, ctx.name);
            const vault = clone(deleted.vault);
            const properties = section(vault, "properties");
            properties.privateEndpointConnections = [];
            return { ...vault, properties, tags: tagsOf(req.body) ?? (isObject(vault.tags) ? vault.tags : {}) };
          }
        } else if (!isValidVaultName(ctx.name)) {
          throw new ArmError(400, "VaultNameNotValid", vaultNameInvalidMessage(ctx.name));
        }
        if (!isObject(req.body.properties)) throw badRequest("The parameter 'properties' is required.");
        const previous = section(req.existing?.body, "properties");
        return compact({
          location: requireLocation(req.body),
          tags: tagsOf(req.body, req.existing) ?? {},
          properties: buildProperties(ctx.name, requested, previous, req.existing),
        });
      },
      patch(ctx, req) {
        const current = req.existing.body;
        const properties = mergePatch(section(current, "properties"), section(req.body, "properties"));
        return compact({
          location: optionalString(current, "location"),
          tags: isObject(req.body.tags) ? clone(req.body.tags) : isObject(current.tags) ? clone(current.tags) : {},
          properties: buildProperties(ctx.name, isObject(properties) ? properties : {}, section(current, "properties"), req.existing),
        });
      },
      onDeleted(ctx, record) {
        // Deleting a vault (directly or with its resource group) puts it in the soft-deleted state.
        const properties = section(record.body, "properties");
        const location = optionalString(record.body, "location") ?? "";
        const deletedAt = ctx.now();
        const retentionDays = optionalNumber(properties, "softDeleteRetentionInDays") ?? DEFAULT_RETENTION_DAYS;
        const purgeAt = new Date(deletedAt.getTime() + retentionDays * 24 * 3600 * 1000);
        const vault = clone(record.body);
        delete vault.id;
        delete vault.name;
        delete vault.type;
        const vaultProperties = section(vault, "properties");
        delete vaultProperties.provisioningState;
        vault.properties = vaultProperties;
        ctx.store.softDeleted.put(DELETED_KIND, record.name, {
          subscriptionId: record.subscriptionId,
          resourceGroup: record.resourceGroup ?? "",
          vault,
          deleted: {
            id: deletedVaultId(record.subscriptionId, location, record.name),
            name: record.name,
            type: "Microsoft.KeyVault/deletedVaults",
            properties: compact({
              vaultId: record.id,
              location,
              deletionDate: deletedAt.toISOString(),
              scheduledPurgeDate: purgeAt.toISOString(),
              tags: isObject(record.body.tags) ? clone(record.body.tags) : {},
              purgeProtectionEnabled: optionalBoolean(properties, "enablePurgeProtection") ?? false,
            }),
          },
        });
      },
    },
    connectionHandler({ targetType: KEY_VAULT_TYPE, apiVersions: API_VERSIONS, lro: { put: "sync", delete: "sync" } }),
  ],
  routes: [
    {
      method: "POST",
      path: "Microsoft.KeyVault/checkNameAvailability",
      apiVersions: API_VERSIONS,
      handle(ctx, _params, req): ActionResponse {
        const name = optionalString(req.body, "name") ?? "";
        const type = optionalString(req.body, "type");
        if (type === undefined || type.toLowerCase() !== KEY_VAULT_TYPE.toLowerCase()) {
          throw badRequest(`The resource type '${type ?? ""}' is not valid. Allowed value: ${KEY_VAULT_TYPE}.`);
        }
        if (!isValidVaultName(name)) {
          return { status: 200, body: { nameAvailable: false, reason: "AccountNameInvalid", message: vaultNameInvalidMessage(name) } };
        }
        const taken =
          ctx.store.isTakenElsewhere("keyvault", name) || otherHolderOfName(ctx.store, KEY_VAULT_TYPE, name, "") !== undefined || readDeleted(ctx.store, name) !== undefined;
        if (taken) return { status: 200, body: { nameAvailable: false, reason: "AlreadyExists", message: vaultAlreadyExistsMessage(name) } };
        return { status: 200, body: { nameAvailable: true } };
      },
    },
    {
      method: "GET",
      path: "Microsoft.KeyVault/deletedVaults",
      apiVersions: API_VERSIONS,
      handle(ctx) {
        const value = listDeleted(ctx.store)
          .filter((entry) => entry.subscriptionId.toLowerCase() === ctx.subscriptionId.toLowerCase())
          .map((entry) => clone(entry.deleted));
        return { status: 200, body: { value } };
      },
    },
    {
      method: "GET",
      path: "Microsoft.KeyVault/locations/{location}/deletedVaults/{vaultName}",
      apiVersions: API_VERSIONS,
      handle(ctx, params) {
        const entry = deletedInSubscription(ctx.store, ctx.subscriptionId, params.location!, params.vaultName!);
        return { status: 200, body: clone(entry.deleted) };
      },
    },
    {
      method: "POST",
      path: "Microsoft.KeyVault/locations/{location}/deletedVaults/{vaultName}/purge",
      apiVersions: API_VERSIONS,
      handle(ctx, params) {
        const entry = deletedInSubscription(ctx.store, ctx.subscriptionId, params.location!, params.vaultName!);
        if (optionalBoolean(section(entry.deleted, "properties"), "purgeProtectionEnabled") === true) {
          throw new ArmError(
            409,
            "ConflictError",
            `Operation 'DeletedVaultPurge' is not allowed as the vault '${params.vaultName}' has purge protection enabled. It will be purged automatically at its scheduled purge date.`,
          );
        }
        // The name is released at once; the operation itself still takes Azure's time to report done.
        ctx.store.softDeleted.remove(DELETED_KIND, params.vaultName!);
        return { status: 202, longRunningSeconds: 30 };
      },
    },
  ],
};
