// `/subscriptions/{id}/resourceGroups[/{name}[/...]]`: the resource groups themselves (synchronous PUT,
// a DELETE answered 202 with ARM's /operationresults Location), their generic resource list and the
// caller's permissions on them; anything deeper is a resource route below the group.
import { RESOURCE_GROUP_RETRY_AFTER_SECONDS } from "../latency.js";
import { RESOURCE_GROUP_TYPE, resourceGroupHandler, RESOURCES_API_VERSIONS } from "../providers/resources.js";
import { PERMISSIONS_API_VERSIONS } from "../providers/subscription.js";
import { ArmError } from "../types.js";
import { sameText } from "./common.js";
import { genericList } from "./listing.js";
import { invalidRequestUri, requireApiVersion, requireMethod, requireTypeApiVersion, resourceGroupNotFound, type Reply, type RequestState } from "./request.js";
import { resourceRoute } from "./resource-route.js";
import { parseResourcePath, resourceGroupIdOf, subscriptionIdOf } from "./routing.js";
import { checkLocation } from "./write-checks.js";

type Core = Parameters<typeof resourceRoute>[0];

/** `rest`: the path after `resourceGroups`. */
export async function resourceGroupRoute(core: Core, state: RequestState, subscriptionId: string, rest: string[]): Promise<Reply> {
  const { method } = state;
  const apiVersion = state.apiVersion ?? "";
  if (rest.length === 0) {
    requireMethod(method, ["GET"]);
    requireApiVersion(apiVersion, RESOURCES_API_VERSIONS);
    const groups = core.world.listByType(RESOURCE_GROUP_TYPE, subscriptionIdOf(subscriptionId));
    return { status: 200, body: { value: groups.map((record) => core.records.viewOf(record, apiVersion)) } };
  }
  const groupName = rest[0]!;
  if (rest.length === 1) return resourceGroupItem(core, state, subscriptionId, groupName);
  const group = core.records.resourceGroup(subscriptionId, groupName);
  const groupId = group?.id ?? resourceGroupIdOf(subscriptionId, groupName);
  if (rest.length === 2 && sameText(rest[1], "resources")) {
    requireMethod(method, ["GET"]);
    requireApiVersion(apiVersion, RESOURCES_API_VERSIONS);
    if (!group) throw resourceGroupNotFound(groupName);
    return { status: 200, body: { value: genericList(core, group.id) } };
  }
  if (!sameText(rest[1], "providers")) throw invalidRequestUri(state);
  if (rest.length === 4 && sameText(rest[2], "Microsoft.Authorization") && sameText(rest[3], "permissions")) {
    // Permissions_ListForResourceGroup: the caller's permissions, from the world.
    requireMethod(method, ["GET"]);
    requireTypeApiVersion(apiVersion, { type: "Microsoft.Authorization/permissions", apiVersions: PERMISSIONS_API_VERSIONS });
    if (!group) throw resourceGroupNotFound(groupName);
    return { status: 200, body: core.subscriptionWorld.permissionsBody() };
  }
  const resourcePath = parseResourcePath(groupId, rest.slice(1));
  if (!resourcePath) throw invalidRequestUri(state);
  return resourceRoute(core, state, subscriptionId, resourcePath);
}

async function resourceGroupItem(core: Core, state: RequestState, subscriptionId: string, groupName: string): Promise<Reply> {
  const { method } = state;
  const { world, records, operations } = core;
  const apiVersion = state.apiVersion ?? "";
  requireMethod(method, ["GET", "HEAD", "PUT", "PATCH", "DELETE"]);
  requireApiVersion(apiVersion, RESOURCES_API_VERSIONS);
  const existing = records.resourceGroup(subscriptionId, groupName);
  const id = existing?.id ?? resourceGroupIdOf(subscriptionId, groupName);
  const ctx = records.context(subscriptionId, id, existing?.name ?? groupName, existing?.name ?? groupName, apiVersion);
  switch (method) {
    case "HEAD":
      return { status: existing ? 204 : 404 };
    case "GET":
      if (!existing) throw resourceGroupNotFound(groupName);
      return { status: 200, body: records.viewOf(existing, apiVersion) };
    case "PUT": {
      const body = state.body ?? {};
      await core.findings.validateRequest(state);
      if (existing?.pendingOperation?.kind === "delete") {
        throw new ArmError(409, "ResourceGroupBeingDeleted", `The resource group '${existing.name}' is in deprovisioning state and cannot perform this operation.`);
      }
      const location = checkLocation(resourceGroupHandler, body, existing, "resource group");
      if (existing && location !== undefined && existing.body.location !== location) {
        throw new ArmError(
          409,
          "InvalidResourceGroupLocation",
          `Invalid resource group location '${location}'. The Resource group already exists in location '${String(existing.body.location)}'.`,
        );
      }
      const stored = await resourceGroupHandler.put(ctx, { existing, body });
      const record = records.storeWrite(resourceGroupHandler, ctx, existing, stored, location, body, "Succeeded");
      return { status: existing ? 200 : 201, body: records.viewOf(record, apiVersion) };
    }
    case "PATCH": {
      if (!existing) throw resourceGroupNotFound(groupName);
      await core.findings.validateRequest(state);
      const patch = resourceGroupHandler.patch;
      if (!patch) throw new ArmError(405, "MethodNotAllowed", "PATCH is not supported.");
      const stored = await patch(ctx, { existing, body: state.body ?? {} });
      const record = records.storeWrite(resourceGroupHandler, ctx, existing, stored, undefined, state.body ?? {}, "Succeeded");
      return { status: 200, body: records.viewOf(record, apiVersion) };
    }
    case "DELETE": {
      if (!existing) throw resourceGroupNotFound(groupName);
      const running = existing.pendingOperation?.kind === "delete" ? world.operations.get(existing.pendingOperation.id) : undefined;
      const operation = running ?? operations.start(state, "delete", existing, resourceGroupHandler, resourceGroupHandler.latency.delete, "Deleting");
      const headers: Record<string, string> = {
        Location: operations.url(operation, "resourceGroup"),
      };
      operations.setRetryAfter(headers, operation, RESOURCE_GROUP_RETRY_AFTER_SECONDS);
      return { status: 202, headers };
    }
  }
  throw new ArmError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`);
}
