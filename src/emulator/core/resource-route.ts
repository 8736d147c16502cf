// A request on a resource ID (below a resource group, a subscription or another resource): the type's
// handler is found by the ID, the api-version, scope and parent are checked, and the write is completed
// synchronously or as a long-running operation as the handler's `lro` says. Also `{resourceId}/{action}`.
import { ArmError, type ActionRequest, type HandlerContext, type JsonObject, type ResourceRecord, type ResourceTypeHandler } from "../types.js";
import { listCollection } from "./listing.js";
import {
  invalidRequestUri,
  queryOf,
  requireMethod,
  requireTypeApiVersion,
  resourceGroupNotFound,
  resourceNotFound,
  type EmulatorCore,
  type Reply,
  type RequestState,
} from "./request.js";
import { buildResourceId, fullType, parentIdOf, resourceGroupOfId, subscriptionOfId, type ResourcePath } from "./routing.js";
import type { OperationRecord } from "./store.js";
import { applyContention } from "./world-checks.js";
import { checkExclusive, checkLocation, failedPrecondition } from "./write-checks.js";

type Core = Pick<EmulatorCore, "world" | "subscriptionWorld" | "registry" | "records" | "operations" | "findings" | "endpoint">;

export async function resourceRoute(core: Core, state: RequestState, subscriptionId: string, resourcePath: ResourcePath): Promise<Reply> {
  const { method } = state;
  const apiVersion = state.apiVersion ?? "";
  const provider = core.registry.provider(resourcePath.namespace);
  if (!provider) throw new ArmError(400, "InvalidResourceNamespace", `The resource namespace '${resourcePath.namespace}' is invalid.`);
  if (resourcePath.types.length === 0) throw invalidRequestUri(state);
  const { scopeId, namespace, types, names } = resourcePath;
  const isCollection = names.length < types.length;
  const handler = core.registry.handlerFor(fullType(resourcePath));
  if (isCollection && !handler && types.length >= 2) {
    // `{resourceId}/{action}`: POST actions (and GET sub-resources such as privateLinkResources).
    const ownerTypes = types.slice(0, -1);
    const ownerHandler = core.registry.handlerFor(`${namespace}/${ownerTypes.join("/")}`);
    const actionName = types[types.length - 1]!;
    if (ownerHandler?.actions?.[actionName.toLowerCase()] && (method === "POST" || method === "GET")) {
      const ownerId = buildResourceId(scopeId, namespace, ownerTypes, names);
      return action(core, state, subscriptionId, ownerHandler, scopeId, ownerId, actionName);
    }
  }
  if (!handler) {
    throw new ArmError(
      400,
      "InvalidResourceType",
      `The resource type '${types.join("/")}' could not be found in the namespace '${provider.namespace}' for api version '${apiVersion}'.`,
    );
  }
  requireTypeApiVersion(apiVersion, handler, typeof state.body?.location === "string" ? state.body.location : undefined);
  await requireScope(core, scopeId);
  if (isCollection) {
    requireMethod(method, ["GET"]);
    return listCollection(core, resourcePath, handler, apiVersion);
  }
  const requestedId = buildResourceId(scopeId, namespace, types, names);
  const parentId = parentIdOf(requestedId);
  const parent = parentId !== undefined && types.length > 1 ? core.world.get(parentId) : undefined;
  if (types.length > 1 && !parent) {
    if (method === "GET" || method === "HEAD") throw resourceNotFound(parentId ?? requestedId);
    if (method === "DELETE") return { status: 204 };
    throw new ArmError(404, "ParentResourceNotFound", `Can not perform requested operation on nested resource. Parent resource '${names.slice(0, -1).join("/")}' not found.`);
  }
  const existing = core.world.get(requestedId);
  // A new resource's ID keeps the casing its parent (or scope) was created with.
  const parentRecord = parentId !== undefined ? core.world.get(parentId) : undefined;
  const canonicalId = parentRecord && parentId !== undefined ? parentRecord.id + requestedId.slice(parentId.length) : requestedId;
  const id = existing?.id ?? canonicalId;
  const name = existing?.name ?? names[names.length - 1]!;
  const ctx = core.records.context(subscriptionId, id, name, core.records.resourceGroupNameOf(id), apiVersion);
  switch (method) {
    case "GET":
      if (!existing) throw resourceNotFound(requestedId);
      return { status: 200, body: core.records.viewOf(existing, apiVersion) };
    case "HEAD":
      return { status: existing ? 204 : 404 };
    case "PUT":
      return putResource(core, state, handler, ctx, existing);
    case "PATCH":
      if (!existing) throw resourceNotFound(requestedId);
      return patchResource(core, state, handler, ctx, existing);
    case "DELETE":
      return deleteResource(core, state, handler, ctx, existing);
    default:
      throw new ArmError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`);
  }
}

/** The scope of a resource (resource group or, for an extension resource, the resource it extends) must exist. */
async function requireScope(core: Pick<Core, "world" | "records">, scopeId: string): Promise<void> {
  const subscription = subscriptionOfId(scopeId);
  const group = resourceGroupOfId(scopeId);
  if (subscription !== undefined && group !== undefined && !core.records.resourceGroup(subscription, group)) {
    throw resourceGroupNotFound(group);
  }
  const isSubscriptionOrGroup = scopeId.split("/").filter(Boolean).length <= 4;
  if (!isSubscriptionOrGroup && !core.world.get(scopeId)) throw resourceNotFound(scopeId);
}

async function putResource(core: Core, state: RequestState, handler: ResourceTypeHandler, ctx: HandlerContext, existing: ResourceRecord | undefined): Promise<Reply> {
  if (state.body === undefined) {
    throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: 'the request body is empty'.");
  }
  const group = ctx.resourceGroup !== undefined ? core.records.resourceGroup(ctx.subscriptionId, ctx.resourceGroup) : undefined;
  if (group?.pendingOperation?.kind === "delete") {
    throw new ArmError(409, "ResourceGroupBeingDeleted", `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`);
  }
  await core.findings.validateRequest(state);
  checkExclusive(core, handler, ctx.id, existing);
  const location = checkLocation(handler, state.body, existing);
  const failed = failedPrecondition(state, existing);
  if (failed) return preconditionFailed(core, state, handler, ctx, existing, failed);
  const stored = await handler.put(ctx, { existing, body: state.body });
  return completeWrite(core, state, handler, ctx, existing, stored, location, state.body, existing ? "update" : "create");
}

async function patchResource(core: Core, state: RequestState, handler: ResourceTypeHandler, ctx: HandlerContext, existing: ResourceRecord): Promise<Reply> {
  if (!handler.patch) {
    throw new ArmError(405, "MethodNotAllowed", `The resource type '${handler.type}' does not support PATCH.`);
  }
  await core.findings.validateRequest(state);
  checkExclusive(core, handler, ctx.id, existing);
  const failed = failedPrecondition(state, existing);
  if (failed) return preconditionFailed(core, state, handler, ctx, existing, failed);
  const stored = await handler.patch(ctx, { existing, body: state.body ?? {} });
  return completeWrite(core, state, handler, ctx, existing, stored, undefined, state.body ?? {}, "update", true);
}

/** 412 PreconditionFailed; for `acceptedWrites` types (private DNS), a 202 whose operation fails with it. */
function preconditionFailed(core: Core, state: RequestState, handler: ResourceTypeHandler, ctx: HandlerContext, existing: ResourceRecord | undefined, message: string): Reply {
  if (!handler.lro.acceptedWrites || handler.lro.put === "sync") throw new ArmError(412, "PreconditionFailed", message);
  const operation = core.operations.startFailedPrecondition(state, handler, ctx, existing, message);
  const headers: Record<string, string> = { "Azure-AsyncOperation": core.operations.url(operation, "status"), Location: core.operations.url(operation, "results") };
  return { status: 202, headers };
}

function completeWrite(
  core: Core,
  state: RequestState,
  handler: ResourceTypeHandler,
  ctx: HandlerContext,
  existing: ResourceRecord | undefined,
  stored: JsonObject,
  location: string | undefined,
  requestBody: JsonObject,
  kind: "create" | "update",
  isPatch = false,
): Reply {
  const { records, operations } = core;
  const mode = isPatch ? (handler.lro.patch ?? handler.lro.put) : kind === "update" ? (handler.lro.update ?? handler.lro.put) : handler.lro.put;
  const header = handler.lro.header;
  if (mode === "sync" || handler.provisioningState === false) {
    const record = records.storeWrite(handler, ctx, existing, stored, location, requestBody, "Succeeded");
    operations.runSucceeded(handler, record);
    const after = core.world.get(record.id) ?? record;
    return { status: kind === "create" ? (handler.lro.createStatus ?? 201) : 200, body: records.viewOf(after, ctx.apiVersion) };
  }
  const pending = kind === "create" ? (handler.lro.pendingState?.create ?? "Creating") : (handler.lro.pendingState?.update ?? "Updating");
  const record = records.storeWrite(handler, ctx, existing, stored, location, requestBody, pending);
  const latency = latencyOf(handler, record.body);
  const operation = operations.start(state, kind, record, handler, kind === "create" ? latency.create : latency.update);
  applyContention(core, record, operation);
  const headers: Record<string, string> = {};
  operations.setRetryAfter(headers, operation);
  const body = records.viewOf(core.world.get(record.id) ?? record, ctx.apiVersion);
  if (header === "Location") {
    headers.Location = operations.url(operation, "results");
    // Location-style RPs (e.g. StorageAccounts_Create) answer 202 without a body unless told otherwise.
    if (kind === "create" && handler.lro.createStatus !== undefined) return { status: handler.lro.createStatus, body, headers };
    return { status: 202, headers };
  }
  // Azure-AsyncOperation: the poller follows the header. No header: the poller re-reads the resource until its
  // provisioningState is terminal (e.g. Vaults_CreateOrUpdate).
  if (header === "Azure-AsyncOperation") headers["Azure-AsyncOperation"] = operations.url(operation, "status");
  if (handler.lro.acceptedWrites) return { status: 202, headers: { ...headers, Location: operations.url(operation, "results") } };
  return { status: kind === "create" ? (handler.lro.createStatus ?? 201) : 200, body, headers };
}

async function deleteResource(core: Core, state: RequestState, handler: ResourceTypeHandler, ctx: HandlerContext, existing: ResourceRecord | undefined): Promise<Reply> {
  if (!existing) return { status: 204 };
  if (existing.pendingOperation?.kind === "delete") {
    const operation = core.operations.get(existing.pendingOperation.id);
    if (operation) return deleteAccepted(core, handler, operation);
  }
  checkExclusive(core, handler, existing.id, existing);
  handler.beforeDelete?.(ctx, existing);
  if (handler.lro.delete === "sync") {
    core.operations.deleteNow(existing, queryOf(state));
    return { status: 200 };
  }
  const operation = core.operations.start(state, "delete", existing, handler, latencyOf(handler, existing.body).delete, "Deleting");
  operation.deleteQuery = queryOf(state);
  return deleteAccepted(core, handler, operation);
}

/** The realistic durations of a write to this record: per body where the handler says so, else per type. */
function latencyOf(handler: ResourceTypeHandler, body: JsonObject): { create: number; update: number; delete: number } {
  return handler.latencyFor?.(body) ?? handler.latency;
}

function deleteAccepted(core: Pick<Core, "operations">, handler: ResourceTypeHandler, operation: OperationRecord): Reply {
  const headers: Record<string, string> = { Location: core.operations.url(operation, "results") };
  if (handler.lro.header === "Azure-AsyncOperation" && handler.lro.deleteHeader !== "Location") headers["Azure-AsyncOperation"] = core.operations.url(operation, "status");
  core.operations.setRetryAfter(headers, operation);
  return { status: 202, headers };
}

/** POST (or GET) `{resourceId}/{action}`: the handler's action, long-running when it says so. */
async function action(core: Core, state: RequestState, subscriptionId: string, handler: ResourceTypeHandler, scopeId: string, ownerId: string, actionName: string): Promise<Reply> {
  const apiVersion = state.apiVersion ?? "";
  requireTypeApiVersion(apiVersion, handler);
  await requireScope(core, scopeId);
  const record = core.world.get(ownerId);
  if (!record) throw resourceNotFound(ownerId);
  const run = handler.actions?.[actionName.toLowerCase()];
  if (!run) throw new ArmError(404, "InvalidResourceType", `The resource type '${actionName}' could not be found.`);
  await core.findings.validateRequest(state);
  const ctx = core.records.context(subscriptionId, record.id, record.name, core.records.resourceGroupNameOf(record.id), apiVersion);
  const request: ActionRequest = { record, body: state.body ?? {}, query: queryOf(state) };
  const response = await run(ctx, request);
  if (response.longRunningSeconds === undefined) return { status: response.status, body: response.body };
  const operation = core.operations.start(state, "action", record, handler, response.longRunningSeconds);
  operation.result = response.body ?? null;
  operation.resultStatus = response.status === 202 ? 200 : response.status;
  const headers: Record<string, string> = { Location: core.operations.url(operation, "results") };
  core.operations.setRetryAfter(headers, operation);
  return { status: 202, headers };
}
