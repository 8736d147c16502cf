// Microsoft.MachineLearningServices computes (part of machinelearning.ts): AmlCompute clusters and
// ComputeInstances whose workspace and subnet must exist, start/stop on instances; attached computes
// (VirtualMachine, HDInsight) in ml-attached.ts. Rules and messages: docs/emulator-services.md.
import { isObject } from "../core/common.js";
import { ArmError, type HandlerContext, type JsonObject, type ResourceRecord, type ResourceTypeHandler } from "../types.js";
import {
  clone,
  compact,
  editProperties,
  enumValue,
  mergePatch,
  nowIso,
  optionalBoolean,
  optionalNumber,
  optionalString,
  replaceBody,
  resolveReference,
  section,
  tagsOf,
} from "./service-common.js";
import { attachedComputeProperties, isAttachedComputeType } from "./ml-attached.js";
import { isMlComputeKind, latencyOf, mlComputeLatency } from "../../durations.js";
import { COMPUTE_TYPE, ML_API_VERSIONS, WORKSPACE_TYPE } from "./ml-workspaces.js";

const SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets";

const INSTANCE_START_SECONDS = 120;
const INSTANCE_STOP_SECONDS = 90;

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

export const computeHandler: ResourceTypeHandler = {
  type: COMPUTE_TYPE,
  apiVersions: ML_API_VERSIONS,
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
    if (!workspace) throw new ArmError(404, "ParentResourceNotFound", `Can not perform requested operation on nested resource. Parent resource '${workspaceId ?? ""}' not found.`);
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
};
