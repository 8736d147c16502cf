// Microsoft.MachineLearningServices (2022-10-01): workspaces whose storage, key vault, registry and
// Application Insights must exist, with a system-assigned identity that gets a principal once the
// workspace succeeds; computes (AmlCompute clusters, ComputeInstances) whose workspace and subnet
// must exist, with start/stop on instances. Rules and messages: docs/emulator-services.md.

import { ArmError, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord } from "../types.js";
import {
  clone,
  compact,
  editProperties,
  enumValue,
  isObject,
  keptPrivateEndpointConnections,
  mergePatch,
  nowIso,
  optionalBoolean,
  optionalNumber,
  optionalString,
  parseResourceId,
  patchedBody,
  replaceBody,
  requireLocation,
  resolveReference,
  sameId,
  section,
  tagsOf,
} from "./service-common.js";
import { forgetPrincipal, notePrincipalCreated, observeCreate, systemIdentity } from "./principals.js";
import { attachedComputeProperties, isAttachedComputeType } from "./ml-attached.js";
import { REALISTIC_SECONDS, isMlComputeKind, latencyOf, mlComputeLatency } from "../../durations.js";

export const WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces";
export const COMPUTE_TYPE = "Microsoft.MachineLearningServices/workspaces/computes";
const SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets";

/** @azure/arm-machinelearning 2.1.1 sends 2022-10-01 (the spec's version); newer tools send later ones. */
const API_VERSIONS = ["2022-10-01", "2022-12-01-preview", "2023-04-01", "2023-10-01", "2024-04-01", "2024-10-01", "2025-06-01"];

/** Realistic durations (seconds): src/durations.ts (with docs/emulator.md) gives the figures and their sources. */
export const WORKSPACE_CREATE_SECONDS = REALISTIC_SECONDS[WORKSPACE_TYPE].create;
const INSTANCE_START_SECONDS = 120;
const INSTANCE_STOP_SECONDS = 90;

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

// ----- computes -----

const SUBNET_MESSAGE = (id: string): string => `The subnet '${id}' was not found. The subnet must exist in a virtual network in the same subscription and region as the workspace.`;

function computeProperties(ctx: HandlerContext, workspace: ResourceRecord, compute: JsonObject, previous: JsonObject | undefined): JsonObject {
  // Attached computes (VirtualMachine, HDInsight): ml-attached.ts.
  if (isAttachedComputeType(optionalString(compute, "computeType"))) return attachedComputeProperties(ctx, workspace, compute, previous);
  const computeType = enumValue(
    optionalString(compute, "computeType"),
    ["AmlCompute", "ComputeInstance"],
    (v) => new ArmError(400, "BadRequest", `Compute type '${v}' is not supported by this emulator (supported: AmlCompute, ComputeInstance).`),
  );
  if (!computeType) throw new ArmError(400, "BadRequest", "properties.computeType is required.");
  if (previous && optionalString(previous, "computeType") !== computeType) {
    throw new ArmError(400, "BadRequest", `The compute type of an existing compute cannot be changed (current: ${optionalString(previous, "computeType") ?? "?"}).`);
  }
  const inner = section(compute, "properties");
  const vmSize = optionalString(inner, "vmSize");
  if (!vmSize) throw new ArmError(400, "BadRequest", "properties.properties.vmSize is required.");
  const subnetId = optionalString(section(inner, "subnet"), "id");
  if (subnetId !== undefined) {
    const subnet = resolveReference(ctx.store, subnetId, SUBNET_TYPE);
    if (!subnet)
      throw new ArmError(400, "BadRequest", SUBNET_MESSAGE(subnetId), [{ code: "SubnetNotFound", message: SUBNET_MESSAGE(subnetId), target: "properties.properties.subnet.id" }]);
  }
  const enableNodePublicIp = optionalBoolean(inner, "enableNodePublicIp") ?? true;
  if (!enableNodePublicIp && subnetId === undefined) {
    throw new ArmError(400, "BadRequest", "A compute without a public IP (enableNodePublicIp: false) must be placed in a virtual network: set properties.subnet.id.");
  }
  const now = nowIso(ctx);
  const common = {
    computeType,
    computeLocation: optionalString(compute, "computeLocation") ?? optionalString(workspace.body, "location"),
    description: optionalString(compute, "description"),
    createdOn: optionalString(previous, "createdOn") ?? now,
    modifiedOn: now,
    isAttachedCompute: false,
    disableLocalAuth: optionalBoolean(compute, "disableLocalAuth") ?? false,
  };
  if (computeType === "AmlCompute") {
    const scale = section(inner, "scaleSettings");
    const maxNodeCount = optionalNumber(scale, "maxNodeCount");
    if (maxNodeCount === undefined) throw new ArmError(400, "BadRequest", "properties.properties.scaleSettings.maxNodeCount is required.");
    const minNodeCount = optionalNumber(scale, "minNodeCount") ?? 0;
    if (!Number.isInteger(minNodeCount) || !Number.isInteger(maxNodeCount) || minNodeCount < 0 || maxNodeCount < 1 || minNodeCount > maxNodeCount) {
      throw new ArmError(
        400,
        "BadRequest",
        `Invalid scale settings: minNodeCount (${minNodeCount}) must be between 0 and maxNodeCount (${maxNodeCount}), and maxNodeCount at least 1.`,
      );
    }
    const remoteLogin = enumValue(
      optionalString(inner, "remoteLoginPortPublicAccess") ?? "NotSpecified",
      ["Enabled", "Disabled", "NotSpecified"],
      (v) => new ArmError(400, "BadRequest", `The value '${v}' of remoteLoginPortPublicAccess is invalid.`),
    );
    if (!enableNodePublicIp && remoteLogin === "Enabled") {
      throw new ArmError(400, "BadRequest", "remoteLoginPortPublicAccess cannot be Enabled on a cluster without node public IPs (enableNodePublicIp: false).");
    }
    return compact({
      ...common,
      properties: compact({
        osType: optionalString(inner, "osType") ?? "Linux",
        vmSize,
        vmPriority: optionalString(inner, "vmPriority") ?? "Dedicated",
        isolatedNetwork: false,
        scaleSettings: { maxNodeCount, minNodeCount, nodeIdleTimeBeforeScaleDown: optionalString(scale, "nodeIdleTimeBeforeScaleDown") ?? "PT120S" },
        subnet: subnetId ? { id: subnetId } : undefined,
        // With no jobs queued a cluster stays at its minimum: scaled to zero when minNodeCount is 0.
        remoteLoginPortPublicAccess: subnetId && remoteLogin === "NotSpecified" ? "Disabled" : remoteLogin,
        allocationState: "Steady",
        allocationStateTransitionTime: now,
        errors: [],
        currentNodeCount: minNodeCount,
        targetNodeCount: minNodeCount,
        nodeStateCounts: { idleNodeCount: minNodeCount, runningNodeCount: 0, preparingNodeCount: 0, unusableNodeCount: 0, leavingNodeCount: 0, preemptedNodeCount: 0 },
        enableNodePublicIp,
      }),
    });
  }
  const previousInner = section(previous, "properties");
  const assignedUser = section(section(inner, "personalComputeInstanceSettings"), "assignedUser");
  if (isObject(inner.personalComputeInstanceSettings)) {
    // An assigned user names a person by object id and tenant id (both GUIDs, both required).
    for (const key of ["objectId", "tenantId"]) {
      const value = optionalString(assignedUser, key);
      if (value === undefined || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
        throw new ArmError(400, "BadRequest", `properties.properties.personalComputeInstanceSettings.assignedUser.${key} must be a GUID; got ${JSON.stringify(value ?? null)}.`);
      }
    }
    const before = optionalString(section(section(previousInner, "personalComputeInstanceSettings"), "assignedUser"), "objectId");
    if (previous && before !== undefined && before.toLowerCase() !== (optionalString(assignedUser, "objectId") ?? "").toLowerCase()) {
      throw new ArmError(400, "BadRequest", "The assigned user of a compute instance cannot be changed; delete the instance and create it again.");
    }
  }
  const idle = optionalString(inner, "idleTimeBeforeShutdown");
  // idleTimeBeforeShutdown (api-version 2023-04-01 and later): an ISO-8601 duration, 15 minutes to 14 days.
  if (idle !== undefined) {
    const minutes = /^PT(\d+)M$/.exec(idle)?.[1];
    if (minutes === undefined || Number(minutes) < 15 || Number(minutes) > 20160) {
      throw new ArmError(400, "BadRequest", `idleTimeBeforeShutdown '${idle}' is invalid: give an ISO-8601 duration between PT15M and PT20160M.`);
    }
  }
  return compact({
    ...common,
    properties: compact({
      idleTimeBeforeShutdown: idle ?? optionalString(previousInner, "idleTimeBeforeShutdown"),
      vmSize,
      subnet: subnetId ? { id: subnetId } : undefined,
      applicationSharingPolicy: optionalString(inner, "applicationSharingPolicy") ?? "Shared",
      sshSettings: { sshPublicAccess: optionalString(section(inner, "sshSettings"), "sshPublicAccess") ?? "Disabled", adminUserName: "azureuser", sshPort: 50000 },
      connectivityEndpoints: compact({ privateIpAddress: "10.0.0.10", publicIpAddress: enableNodePublicIp ? "20.0.0.10" : undefined }),
      applications: [],
      errors: [],
      state: optionalString(previousInner, "state") ?? "Running",
      computeInstanceAuthorizationType: "personal",
      personalComputeInstanceSettings: isObject(inner.personalComputeInstanceSettings) ? clone(inner.personalComputeInstanceSettings) : undefined,
      lastOperation: isObject(previousInner.lastOperation)
        ? clone(previousInner.lastOperation)
        : { operationName: "Create", operationTime: now, operationStatus: "Succeeded", operationTrigger: "User" },
      enableNodePublicIp,
    }),
  });
}

function instancePowerAction(target: "Stopped" | "Running", seconds: number) {
  return (ctx: HandlerContext, req: { record?: ResourceRecord }) => {
    const record = req.record;
    if (!record) throw new ArmError(404, "ResourceNotFound", "The compute was not found.");
    const properties = section(record.body, "properties");
    if (optionalString(properties, "computeType") !== "ComputeInstance") {
      throw new ArmError(
        400,
        "BadRequest",
        `Only a compute instance can be ${target === "Stopped" ? "stopped" : "started"}; '${record.name}' is ${optionalString(properties, "computeType") ?? "?"}.`,
      );
    }
    const inner = section(properties, "properties");
    const state = optionalString(inner, "state");
    if (state !== "Running" && state !== "Stopped") {
      throw new ArmError(409, "Conflict", `The compute instance '${record.name}' is in state ${state ?? "Unknown"}; it can only be started or stopped from Running or Stopped.`);
    }
    const body = editProperties(clone(record.body), (nextProperties) => {
      const nextInner = section(nextProperties, "properties");
      nextInner.state = target;
      nextInner.lastOperation = { operationName: target === "Stopped" ? "Stop" : "Start", operationTime: nowIso(ctx), operationStatus: "Succeeded", operationTrigger: "User" };
      nextProperties.properties = nextInner;
    });
    replaceBody(ctx.store, record, body);
    return { status: 202, longRunningSeconds: seconds };
  };
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

export const machineLearningProvider: EmulatorProvider = {
  namespace: "Microsoft.MachineLearningServices",
  types: [
    {
      type: WORKSPACE_TYPE,
      apiVersions: API_VERSIONS,
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
    },
    {
      type: COMPUTE_TYPE,
      apiVersions: API_VERSIONS,
      location: "none",
      // Compute_CreateOrUpdate: 200/201 long-running (Azure-AsyncOperation); Compute_Delete: 200/202.
      lro: { put: "async", delete: "async", header: "Azure-AsyncOperation" },
      latency: latencyOf(COMPUTE_TYPE),
      // An AmlCompute cluster (0 nodes at creation) is ready in about 2 minutes, a ComputeInstance in about 5.
      latencyFor(body) {
        const computeType = optionalString(section(body, "properties"), "computeType");
        return isMlComputeKind(computeType) ? mlComputeLatency(computeType) : undefined;
      },
      put(ctx, req) {
        const workspaceId = ctx.parentId(ctx.id);
        const workspace = workspaceId ? resolveReference(ctx.store, workspaceId, WORKSPACE_TYPE) : undefined;
        if (!workspace)
          throw new ArmError(404, "ParentResourceNotFound", `Can not perform requested operation on nested resource. Parent resource '${workspaceId ?? ""}' not found.`);
        if (!/^[a-zA-Z][a-zA-Z0-9-]{1,23}$/.test(ctx.name)) {
          throw new ArmError(
            400,
            "BadRequest",
            `Compute name '${ctx.name}' is invalid. It can include letters, digits and dashes. It must start with a letter, end with a letter or digit, and be between 2 and 24 characters in length.`,
          );
        }
        if (req.existing && !isObject(req.body.properties)) throw new ArmError(400, "BadRequest", "properties is required.");
        const previous = req.existing ? section(req.existing.body, "properties") : undefined;
        const properties = computeProperties(ctx, workspace, section(req.body, "properties"), previous);
        return compact({
          location: optionalString(req.body, "location") ?? optionalString(workspace.body, "location"),
          tags: tagsOf(req.body, req.existing),
          identity: isObject(req.body.identity) ? clone(req.body.identity) : undefined,
          sku: isObject(req.body.sku) ? clone(req.body.sku) : undefined,
          properties,
        });
      },
      patch(ctx, req) {
        // Compute_Update: scaleSettings of a cluster only.
        const body = clone(req.existing.body);
        const properties = section(body, "properties");
        if (optionalString(properties, "computeType") !== "AmlCompute") throw new ArmError(400, "BadRequest", "Only the scale settings of an AmlCompute cluster can be updated.");
        const scale = section(section(req.body, "properties"), "scaleSettings");
        const inner = section(properties, "properties");
        const merged = mergePatch(section(inner, "scaleSettings"), scale);
        const settings = isObject(merged) ? merged : {};
        const min = optionalNumber(settings, "minNodeCount") ?? 0;
        const max = optionalNumber(settings, "maxNodeCount") ?? 1;
        if (min < 0 || max < 1 || min > max) throw new ArmError(400, "BadRequest", `Invalid scale settings: minNodeCount (${min}) must be between 0 and maxNodeCount (${max}).`);
        inner.scaleSettings = settings;
        inner.currentNodeCount = min;
        inner.targetNodeCount = min;
        properties.properties = inner;
        properties.modifiedOn = nowIso(ctx);
        body.properties = properties;
        return body;
      },
      view(ctx, record) {
        const body = clone(record.body);
        // idleTimeBeforeShutdown exists from 2023-04-01: an older api-version's answer has no such field.
        if (ctx.apiVersion < "2023-04-01") {
          const properties = section(body, "properties");
          const inner = section(properties, "properties");
          if (inner.idleTimeBeforeShutdown !== undefined) {
            delete inner.idleTimeBeforeShutdown;
            properties.properties = inner;
            body.properties = properties;
          }
        }
        if (record.pendingOperation?.kind === "create") {
          const properties = section(body, "properties");
          const inner = section(properties, "properties");
          if (optionalString(properties, "computeType") === "ComputeInstance") {
            inner.state = "Creating";
            inner.lastOperation = { operationName: "Create", operationTime: record.createdAt, operationStatus: "InProgress", operationTrigger: "User" };
          } else if (optionalString(properties, "computeType") === "AmlCompute") {
            // Attached computes (VirtualMachine, HDInsight) have no allocation state.
            inner.allocationState = "Resizing";
          }
          properties.properties = inner;
          body.properties = properties;
        }
        return body;
      },
      actions: {
        stop: instancePowerAction("Stopped", INSTANCE_STOP_SECONDS),
        start: instancePowerAction("Running", INSTANCE_START_SECONDS),
      },
    },
  ],
};
