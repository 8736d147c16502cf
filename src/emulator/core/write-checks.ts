// ARM's generic rules on a write, checked before the provider sees it: the location (required, a real
// region or "global", unchanged on update), exclusive writes (AnotherOperationInProgress while the
// resource, an ancestor or a child is busy) and the If-Match / If-None-Match preconditions.
import { AZURE_REGIONS } from "../../config/regions.js";
import { ArmError, type JsonObject, type ResourceRecord, type ResourceTypeHandler } from "../types.js";
import { normalizeLocation } from "./common.js";
import { OPERATION_STATUS_SEGMENT, type EmulatorCore, type RequestState } from "./request.js";
import { parentIdOf } from "./routing.js";

/**
 * Location rules for a PUT; returns the normalised location (undefined for "none" types). `what` names a
 * resource group in the messages, which also keeps the resource-group route's own location-change error.
 */
export function checkLocation(handler: ResourceTypeHandler, body: JsonObject, existing: ResourceRecord | undefined, what?: string): string | undefined {
  if (handler.location === "none") return undefined;
  const given = body.location;
  if (typeof given !== "string" || given.trim() === "") {
    throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
  }
  const location = normalizeLocation(given);
  if (handler.location === "global") {
    if (location !== "global") {
      throw new ArmError(
        400,
        "LocationNotAvailableForResourceType",
        `The provided location '${given}' is not available for resource type '${handler.type}'. List of available regions for the resource type is 'global'.`,
      );
    }
  } else if (!AZURE_REGIONS.some((region) => region.name === location)) {
    throw new ArmError(
      400,
      "LocationNotAvailableForResourceType",
      `The provided location '${given}' is not available for ${what ?? `resource type '${handler.type}'`}. List of available regions for the resource type is '${AZURE_REGIONS.map((region) => region.name).join(",")}'.`,
    );
  }
  if (existing && what === undefined) {
    const current = existing.body.location;
    if (typeof current === "string" && normalizeLocation(current) !== location) {
      throw new ArmError(
        400,
        "InvalidResourceLocation",
        `The resource '${existing.name}' already exists in location '${current}' in resource group '${existing.resourceGroup ?? ""}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`,
      );
    }
  }
  return location;
}

type ExclusiveDeps = Pick<EmulatorCore, "world" | "records" | "endpoint">;

/** AnotherOperationInProgress for exclusive types while the resource, an ancestor or a child is busy. */
export function checkExclusive(core: ExclusiveDeps, handler: ResourceTypeHandler, id: string, existing: ResourceRecord | undefined): void {
  if (existing?.pendingOperation?.kind === "delete") {
    throw anotherOperation(core, existing, existing.pendingOperation.id);
  }
  if (!handler.exclusiveWrites) return;
  const busy: ResourceRecord[] = [];
  if (existing?.pendingOperation) busy.push(existing);
  let ancestor = parentIdOf(id);
  while (ancestor !== undefined && ancestor.split("/").filter(Boolean).length > 4) {
    const record = core.world.get(ancestor);
    if (record?.pendingOperation) busy.push(record);
    ancestor = parentIdOf(ancestor);
  }
  for (const child of core.world.children(id)) if (child.pendingOperation) busy.push(child);
  const first = busy[0];
  if (first?.pendingOperation) throw anotherOperation(core, first, first.pendingOperation.id);
}

function anotherOperation(core: ExclusiveDeps, record: ResourceRecord, operationId: string): ArmError {
  return new ArmError(
    409,
    "AnotherOperationInProgress",
    `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${core.endpoint()}/subscriptions/${record.subscriptionId}/providers/${record.type.split("/")[0]}/locations/${core.records.locationOf(record)}/${OPERATION_STATUS_SEGMENT}/${operationId}?api-version=${record.apiVersion}.`,
    [{ code: "AnotherOperationInProgress", message: `Operation ${operationId} on resource '${record.id}' is in progress.` }],
  );
}

/**
 * `If-None-Match: *` on an existing resource, `If-Match` on a missing one or with another etag: the
 * message of the failed precondition (ARM's PreconditionFailed), else undefined.
 */
export function failedPrecondition(state: RequestState, existing: ResourceRecord | undefined): string | undefined {
  const ifNoneMatch = state.headers["if-none-match"]?.trim();
  const ifMatch = state.headers["if-match"]?.trim();
  const bare = (etag: string) => etag.replace(/^W\//, "").replace(/^"|"$/g, "");
  if (ifNoneMatch === "*" && existing) return `The resource '${existing.name}' already exists (If-None-Match: *).`;
  if (ifMatch === undefined || ifMatch === "") return undefined;
  if (!existing) return `The resource does not exist (If-Match: ${ifMatch}).`;
  if (ifMatch === "*") return undefined;
  const current = existing.body.etag;
  if (typeof current === "string" && bare(current) !== bare(ifMatch)) {
    return `The resource '${existing.name}' has been modified (etag mismatch): If-Match ${ifMatch}, current ${current}.`;
  }
  return undefined;
}
