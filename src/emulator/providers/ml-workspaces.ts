// Microsoft.MachineLearningServices workspaces (part of machinelearning.ts): the storage account, key
// vault, registry and Application Insights they name must exist; a system-assigned identity gets its
// principal once the workspace succeeds; a deleted workspace is soft-deleted for 14 days unless purged.
// Rules and messages: docs/emulator-services.md.
import { isObject, sameId } from "../core/common.js";
import { ArmError, type HandlerContext, type JsonObject, type ResourceRecord, type ResourceTypeHandler } from "../types.js";
import {
  clone,
  compact,
  editProperties,
  enumValue,
  keptPrivateEndpointConnections,
  optionalBoolean,
  optionalString,
  parseResourceId,
  patchedBody,
  replaceBody,
  requireLocation,
  resolveReference,
  section,
  tagsOf,
} from "./service-common.js";
import { forgetPrincipal, notePrincipalCreated, observeCreate, systemIdentity } from "./principals.js";
import { REALISTIC_SECONDS, latencyOf } from "../../durations.js";

export const WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces";
export const COMPUTE_TYPE = "Microsoft.MachineLearningServices/workspaces/computes";

/** @azure/arm-machinelearning 2.1.1 sends 2022-10-01 (the spec's version); newer tools send later ones. */
export const ML_API_VERSIONS = ["2022-10-01", "2022-12-01-preview", "2023-04-01", "2023-10-01", "2024-04-01", "2024-10-01", "2025-06-01"];

/** Realistic durations (seconds): src/durations.ts (with docs/emulator.md) gives the figures and their sources. */
export const WORKSPACE_CREATE_SECONDS = REALISTIC_SECONDS[WORKSPACE_TYPE].create;

const DEPENDENCIES: Array<{ property: string; type: string; label: string; required: boolean }> = [
  { property: "storageAccount", type: "Microsoft.Storage/storageAccounts", label: "storage account", required: true },
  { property: "keyVault", type: "Microsoft.KeyVault/vaults", label: "key vault", required: true },
  { property: "applicationInsights", type: "Microsoft.Insights/components", label: "Application Insights", required: false },
  { property: "containerRegistry", type: "Microsoft.ContainerRegistry/registries", label: "container registry", required: false },
];

function validationError(message: string, target?: string): ArmError {
  return new ArmError(400, "ValidationError", message, target ? [{ code: "Invalid", message, target }] : undefined);
}

function checkDependencies(ctx: HandlerContext, requested: JsonObject, previous: JsonObject, creating: boolean): JsonObject {
  const resolved: JsonObject = {};
  for (const dependency of DEPENDENCIES) {
    const given = optionalString(requested, dependency.property);
    const stored = optionalString(previous, dependency.property);
    if (!creating && stored !== undefined && given !== undefined && !sameId(given, stored) && (dependency.property === "storageAccount" || dependency.property === "keyVault")) {
      throw validationError(`The ${dependency.label} of an existing workspace cannot be changed (current: '${stored}').`, `properties.${dependency.property}`);
    }
    const id = given ?? stored;
    if (id === undefined) {
      if (dependency.required)
        throw validationError(
          `The workspace property '${dependency.property}' is required: the ARM resource ID of an existing ${dependency.label}.`,
          `properties.${dependency.property}`,
        );
      continue;
    }
    const parsedType = parseResourceId(id).type ?? "";
    if (parsedType.toLowerCase() !== dependency.type.toLowerCase()) {
      throw validationError(`'${id}' is not a valid ${dependency.label} resource ID (expected type ${dependency.type}).`, `properties.${dependency.property}`);
    }
    const record = resolveReference(ctx.store, id, dependency.type);
    if (!record) {
      throw validationError(
        `The ${dependency.label} '${id}' referenced by properties.${dependency.property} was not found. Create it before the workspace.`,
        `properties.${dependency.property}`,
      );
    }
    if (dependency.property === "storageAccount") {
      const kind = optionalString(record.body, "kind");
      if (kind === "BlobStorage" || kind === "FileStorage" || optionalString(section(record.body, "sku"), "name")?.startsWith("Premium_")) {
        throw validationError(
          `The storage account '${id}' of kind ${kind ?? "?"} cannot be used by a workspace: use a general-purpose v2 (StorageV2) account with a Standard SKU.`,
          "properties.storageAccount",
        );
      }
    }
    resolved[dependency.property] = record.id;
  }
  return resolved;
}

function identityFor(requested: JsonObject | undefined, previous: JsonObject | undefined, creating: boolean): JsonObject {
  const type = optionalString(requested, "type") ?? optionalString(previous, "type");
  if (!type || type.toLowerCase() === "none") {
    if (creating) throw validationError("Make sure to create your workspace using a client which support MSI", "identity");
    throw validationError("A workspace cannot remove its managed identity.", "identity");
  }
  const canonical = enumValue(type, ["SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"], (v) =>
    validationError(`The identity type '${v}' is not supported.`, "identity.type"),
  );
  const result: JsonObject = { type: canonical ?? type };
  // Keep the principal once the workspace has one (it only changes if the identity is removed).
  if (previous && optionalString(previous, "principalId") && canonical?.includes("SystemAssigned")) {
    result.principalId = previous.principalId!;
    result.tenantId = previous.tenantId!;
  }
  const userAssigned =
    requested && isObject(requested.userAssignedIdentities)
      ? requested.userAssignedIdentities
      : previous && isObject(previous.userAssignedIdentities)
        ? previous.userAssignedIdentities
        : undefined;
  if (canonical?.includes("UserAssigned")) {
    if (!userAssigned || Object.keys(userAssigned).length === 0)
      throw validationError("identity.userAssignedIdentities is required for a UserAssigned identity.", "identity.userAssignedIdentities");
    result.userAssignedIdentities = clone(userAssigned);
  }
  return result;
}

function workspaceBody(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const creating = !existing;
  const requested = section(request, "properties");
  const previous = section(existing?.body, "properties");
  const location = requireLocation(request);
  if (existing && optionalString(existing.body, "location") !== location) {
    throw validationError(`The location of an existing workspace cannot be changed (current: '${optionalString(existing.body, "location") ?? ""}').`, "location");
  }
  const dependencies = checkDependencies(ctx, requested, previous, creating);
  const identity = identityFor(isObject(request.identity) ? request.identity : undefined, isObject(existing?.body.identity) ? existing?.body.identity : undefined, creating);
  const publicNetworkAccess =
    enumValue(optionalString(requested, "publicNetworkAccess"), ["Enabled", "Disabled"], (v) =>
      validationError(`The value '${v}' of publicNetworkAccess is invalid. Valid values: Enabled, Disabled.`, "properties.publicNetworkAccess"),
    ) ??
    optionalString(previous, "publicNetworkAccess") ??
    "Enabled";
  const workspaceId = optionalString(previous, "workspaceId") ?? ctx.guid();
  const pick = (key: string): string | undefined => optionalString(requested, key) ?? optionalString(previous, key);
  const storage = dependencies.storageAccount;
  const storageRecord = typeof storage === "string" ? ctx.store.get(storage) : undefined;
  return compact({
    location,
    tags: tagsOf(request, existing) ?? {},
    identity,
    sku: isObject(request.sku) ? clone(request.sku) : existing && isObject(existing.body.sku) ? clone(existing.body.sku) : { name: "Basic", tier: "Basic" },
    properties: compact({
      friendlyName: pick("friendlyName") ?? ctx.name,
      description: pick("description"),
      ...dependencies,
      workspaceId,
      discoveryUrl: `https://${location}.api.azureml.ms/discovery`,
      mlFlowTrackingUri: `azureml://${location}.api.azureml.ms/mlflow/v1.0/subscriptions/${ctx.subscriptionId}/resourceGroups/${ctx.resourceGroup ?? ""}/providers/Microsoft.MachineLearningServices/workspaces/${ctx.name}`,
      hbiWorkspace: optionalBoolean(requested, "hbiWorkspace") ?? optionalBoolean(previous, "hbiWorkspace") ?? false,
      imageBuildCompute: pick("imageBuildCompute"),
      allowPublicAccessWhenBehindVnet: optionalBoolean(requested, "allowPublicAccessWhenBehindVnet") ?? optionalBoolean(previous, "allowPublicAccessWhenBehindVnet") ?? false,
      publicNetworkAccess,
      v1LegacyMode: optionalBoolean(requested, "v1LegacyMode") ?? optionalBoolean(previous, "v1LegacyMode") ?? false,
      storageHnsEnabled: optionalBoolean(section(storageRecord?.body, "properties"), "isHnsEnabled") ?? false,
      primaryUserAssignedIdentity: pick("primaryUserAssignedIdentity"),
      tenantId: optionalString(identity, "tenantId"),
      privateEndpointConnections: keptPrivateEndpointConnections(existing),
    }),
  });
}

/** Soft-deleted workspaces by `{subscription}/{resource group}/{name}`. */
const SOFT_DELETED_WORKSPACE = "mlWorkspace";
/** "A default retention period of 14 days holds for deleted workspaces" (Microsoft Learn, "Workspace soft deletion"). */
const WORKSPACE_SOFT_DELETE_DAYS = 14;

function softDeletedKey(subscriptionId: string, resourceGroup: string | undefined, name: string): string {
  return `${subscriptionId}/${resourceGroup ?? ""}/${name}`.toLowerCase();
}

/** "You can't reuse the name of a workspace that has been soft deleted until the retention period has passed or the workspace is permanently deleted." */
function refuseSoftDeletedName(ctx: HandlerContext): void {
  const key = softDeletedKey(ctx.subscriptionId, ctx.resourceGroup, ctx.name);
  const entry = ctx.store.softDeleted.get(SOFT_DELETED_WORKSPACE, key);
  if (!entry) return;
  if (Date.parse(optionalString(entry, "purgeAt") ?? "") <= ctx.now().getTime()) {
    ctx.store.softDeleted.remove(SOFT_DELETED_WORKSPACE, key);
    return;
  }
  throw new ArmError(
    409,
    "SoftDeletedWorkspaceNameConflict",
    `The workspace name '${ctx.name}' belongs to a soft-deleted workspace (deleted ${optionalString(entry, "deletedAt") ?? ""}, kept until ${optionalString(entry, "purgeAt") ?? ""}). Recover it, or delete it permanently (delete with forceToPurge=true), before creating a workspace with this name.`,
  );
}

export const workspaceHandler: ResourceTypeHandler = {
  type: WORKSPACE_TYPE,
  apiVersions: ML_API_VERSIONS,
  location: "required",
  // Workspaces_CreateOrUpdate / _Update / _Delete: 200/202, long-running (Azure-AsyncOperation).
  lro: { put: "async", delete: "async", header: "Azure-AsyncOperation", createStatus: 202 },
  latency: latencyOf(WORKSPACE_TYPE),
  put(ctx, req) {
    if (!req.existing) refuseSoftDeletedName(ctx);
    return workspaceBody(ctx, req.body, req.existing);
  },
  patch(ctx, req) {
    // Workspaces_Update: description, friendlyName, imageBuildCompute, publicNetworkAccess,
    // applicationInsights, containerRegistry, primaryUserAssignedIdentity, serviceManagedResourcesSettings; tags, sku, identity.
    const current = req.existing.body;
    const allowed = [
      "description",
      "friendlyName",
      "imageBuildCompute",
      "serviceManagedResourcesSettings",
      "primaryUserAssignedIdentity",
      "publicNetworkAccess",
      "applicationInsights",
      "containerRegistry",
    ];
    const patchProperties = section(req.body, "properties");
    for (const key of Object.keys(patchProperties)) {
      if (!allowed.includes(key)) throw validationError(`The property '${key}' cannot be updated with PATCH.`, `properties.${key}`);
    }
    const body = patchedBody(current, { properties: patchProperties, sku: req.body.sku, identity: req.body.identity }, req.body.tags);
    return workspaceBody(ctx, body, req.existing);
  },
  onSucceeded(ctx, record) {
    const identity = section(record.body, "identity");
    if (!optionalString(identity, "type")?.includes("SystemAssigned") || optionalString(identity, "principalId")) return;
    const assigned = systemIdentity(identity);
    // Re-read: the core may have updated the record (provisioningState) before calling this hook.
    const current = ctx.store.get(record.id) ?? record;
    const body = clone(current.body);
    body.identity = assigned;
    const properties = section(body, "properties");
    properties.tenantId = assigned.tenantId!;
    body.properties = properties;
    replaceBody(ctx.store, current, body);
    notePrincipalCreated(ctx, optionalString(assigned, "principalId") ?? "", record, WORKSPACE_CREATE_SECONDS);
  },
  onDeleted(ctx, record) {
    forgetPrincipal(ctx.store, optionalString(section(record.body, "identity"), "principalId"));
    // Soft delete: the name stays taken for 14 days unless the delete asked `forceToPurge=true`.
    if (ctx.deleteQuery?.forcetopurge?.toLowerCase() === "true" || ctx.deleteQuery?.forceToPurge?.toLowerCase() === "true") return;
    const deletedAt = ctx.now();
    ctx.store.softDeleted.put(SOFT_DELETED_WORKSPACE, softDeletedKey(record.subscriptionId, record.resourceGroup, record.name), {
      id: record.id,
      deletedAt: deletedAt.toISOString(),
      purgeAt: new Date(deletedAt.getTime() + WORKSPACE_SOFT_DELETE_DAYS * 24 * 3600 * 1000).toISOString(),
    });
  },
  view(_ctx, record) {
    observeCreate(record, WORKSPACE_CREATE_SECONDS);
    return editProperties(clone(record.body), (properties) => {
      const connections = properties.privateEndpointConnections;
      properties.privateLinkCount = Array.isArray(connections) ? connections.length : 0;
    });
  },
};
