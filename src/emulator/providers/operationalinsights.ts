// Microsoft.OperationalInsights/workspaces (Log Analytics; operationalinsights 2022-10-01, also
// 2023-09-01 and 2025-07-01): sku, retention, public network access for ingestion and query,
// customerId GUID. Rules and messages: docs/emulator-services.md.

import { isObject } from "../core/common.js";
import { ArmError, type ActionResponse, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord } from "../types.js";
import { clone, compact, enumValue, mergePatch, nowIso, optionalBoolean, optionalNumber, optionalString, patchedBody, requireLocation, section, tagsOf } from "./service-common.js";
import { scopedResourcesLinking } from "./insights.js";
import { latencyOf } from "../../durations.js";

export const LOG_ANALYTICS_WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces";

/** @azure/arm-operationalinsights 9 sends 2022-10-01; the specs also hold 2023-09-01 and 2025-07-01. */
const API_VERSIONS = ["2022-10-01", "2020-08-01", "2021-06-01", "2021-12-01-preview", "2023-09-01", "2025-02-01", "2025-07-01"];

const SKUS = ["Free", "Standard", "Premium", "PerNode", "PerGB2018", "Standalone", "CapacityReservation", "LACluster"] as const;
const CAPACITY_LEVELS = [100, 200, 300, 400, 500, 1000, 2000, 5000];
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/;

/** Soft-deleted workspaces, kept by `{subscription}/{resource group}/{name}` (names are unique per resource group). */
const DELETED_KIND = "logAnalyticsWorkspace";
/** "The workspace is kept for 14 days" (Microsoft Learn, "Delete and recover a Log Analytics workspace"). */
const SOFT_DELETE_DAYS = 14;

function deletedKey(subscriptionId: string, resourceGroup: string | undefined, name: string): string {
  return `${subscriptionId}/${resourceGroup ?? ""}/${name}`.toLowerCase();
}

/** The soft-deleted workspace of that name in that resource group, while its 14 days last. */
function softDeletedWorkspace(ctx: Pick<HandlerContext, "store" | "now">, key: string): JsonObject | undefined {
  const entry = ctx.store.softDeleted.get(DELETED_KIND, key);
  if (!entry) return undefined;
  const purgeAt = Date.parse(optionalString(entry, "purgeAt") ?? "");
  if (Number.isFinite(purgeAt) && purgeAt <= ctx.now().getTime()) {
    ctx.store.softDeleted.remove(DELETED_KIND, key);
    return undefined;
  }
  return entry;
}

function invalid(message: string): ArmError {
  return new ArmError(400, "InvalidParameter", message);
}

function build(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  if (!NAME_PATTERN.test(ctx.name)) {
    throw new ArmError(
      400,
      "InvalidWorkspaceName",
      `The workspace name '${ctx.name}' is invalid. It must be 4-63 characters long, contain only letters, digits and hyphens, and start and end with a letter or digit.`,
    );
  }
  const requested = section(request, "properties");
  // Re-creating a soft-deleted workspace (same subscription, resource group and name) recovers it: its
  // customer ID (where agents send data) and creation date come back.
  const recovered = existing ? undefined : softDeletedWorkspace(ctx, deletedKey(ctx.subscriptionId, ctx.resourceGroup, ctx.name));
  const previous = section(existing?.body ?? (recovered ? section(recovered, "workspace") : undefined), "properties");
  const requestedSku = section(requested, "sku");
  const skuName =
    enumValue(optionalString(requestedSku, "name"), SKUS, (v) => invalid(`The SKU '${v}' is not valid. Valid values: ${SKUS.join(", ")}.`)) ??
    optionalString(section(previous, "sku"), "name") ??
    "PerGB2018";
  if (!existing && (skuName === "Free" || skuName === "Standard" || skuName === "Premium" || skuName === "PerNode" || skuName === "Standalone")) {
    // Legacy pricing tiers cannot be chosen for new workspaces.
    throw new ArmError(400, "InvalidSkuForNewWorkspace", `Pricing tier '${skuName}' is a legacy tier that is not available for new workspaces. Use PerGB2018.`);
  }
  const capacity = optionalNumber(requestedSku, "capacityReservationLevel");
  if (skuName === "CapacityReservation" && (capacity === undefined || !CAPACITY_LEVELS.includes(capacity))) {
    throw invalid(`The capacity reservation level must be one of ${CAPACITY_LEVELS.join(", ")} for the CapacityReservation SKU.`);
  }
  const retentionInDays = optionalNumber(requested, "retentionInDays") ?? optionalNumber(previous, "retentionInDays") ?? 30;
  if (!Number.isInteger(retentionInDays) || retentionInDays < 30 || retentionInDays > 730) {
    throw invalid(`The retention period ${retentionInDays} is invalid. For the ${skuName} pricing tier it must be between 30 and 730 days.`);
  }
  const access = (key: string): string =>
    enumValue(optionalString(requested, key), ["Enabled", "Disabled", "SecuredByPerimeter"], (v) =>
      invalid(`The value '${v}' of ${key} is not valid. Valid values: Enabled, Disabled.`),
    ) ??
    optionalString(previous, key) ??
    "Enabled";
  const now = nowIso(ctx);
  const previousSku = section(previous, "sku");
  const capping = mergePatch(section(previous, "workspaceCapping"), section(requested, "workspaceCapping"));
  const features = mergePatch(isObject(previous.features) ? previous.features : { enableLogAccessUsingOnlyResourcePermissions: true }, section(requested, "features"));
  return compact({
    location: requireLocation(request),
    tags: tagsOf(request, existing) ?? {},
    identity: isObject(request.identity) ? clone(request.identity) : existing && isObject(existing.body.identity) ? clone(existing.body.identity) : undefined,
    properties: compact({
      customerId: optionalString(previous, "customerId") ?? ctx.guid(),
      sku: compact({
        name: skuName,
        capacityReservationLevel: skuName === "CapacityReservation" ? capacity : undefined,
        lastSkuUpdate: optionalString(previousSku, "name") === skuName ? (optionalString(previousSku, "lastSkuUpdate") ?? now) : now,
      }),
      retentionInDays,
      workspaceCapping: {
        dailyQuotaGb: isObject(capping) ? (optionalNumber(capping, "dailyQuotaGb") ?? -1) : -1,
        quotaNextResetTime: now,
        dataIngestionStatus: "RespectQuota",
      },
      publicNetworkAccessForIngestion: access("publicNetworkAccessForIngestion"),
      publicNetworkAccessForQuery: access("publicNetworkAccessForQuery"),
      forceCmkForQuery: optionalBoolean(requested, "forceCmkForQuery") ?? optionalBoolean(previous, "forceCmkForQuery"),
      features: isObject(features) ? features : undefined,
      createdDate: optionalString(previous, "createdDate") ?? now,
      modifiedDate: now,
    }),
  });
}

export const operationalInsightsProvider: EmulatorProvider = {
  namespace: "Microsoft.OperationalInsights",
  types: [
    {
      type: LOG_ANALYTICS_WORKSPACE_TYPE,
      apiVersions: API_VERSIONS,
      location: "required",
      // Workspaces_CreateOrUpdate: long-running without async headers (recorded: a create answers 201 Creating and
      // the client reads the workspace; an update answers 200 Succeeded at once); Workspaces_Delete answers 200.
      lro: { put: "async", update: "sync", patch: "sync", delete: "sync" },
      latency: latencyOf(LOG_ANALYTICS_WORKSPACE_TYPE),
      put(ctx, req) {
        const body = build(ctx, req.body, req.existing);
        if (!req.existing) ctx.store.softDeleted.remove(DELETED_KIND, deletedKey(ctx.subscriptionId, ctx.resourceGroup, ctx.name));
        return body;
      },
      onDeleted(ctx, record) {
        // A delete is soft for 14 days unless `force=true` (Workspaces_Delete's `force` parameter).
        if (ctx.deleteQuery?.force?.toLowerCase() === "true") return;
        const deletedAt = ctx.now();
        const workspace = clone(record.body);
        const properties = section(workspace, "properties");
        delete properties.provisioningState;
        workspace.properties = properties;
        ctx.store.softDeleted.put(DELETED_KIND, deletedKey(record.subscriptionId, record.resourceGroup, record.name), {
          subscriptionId: record.subscriptionId,
          id: record.id,
          name: record.name,
          deletedAt: deletedAt.toISOString(),
          purgeAt: new Date(deletedAt.getTime() + SOFT_DELETE_DAYS * 24 * 3600 * 1000).toISOString(),
          workspace,
        });
      },
      patch(ctx, req) {
        const body = patchedBody(req.existing.body, { properties: req.body.properties, identity: req.body.identity }, req.body.tags);
        return build(ctx, body, req.existing);
      },
      view(ctx, record) {
        // privateLinkScopedResources is read-only and reflects the AMPLS scoped resources linking this workspace.
        const body = clone(record.body);
        const properties = section(body, "properties");
        properties.privateLinkScopedResources = scopedResourcesLinking(ctx.store, record.id).map((link) => ({ resourceId: link.scopedResourceId, scopeId: link.scopeId }));
        body.properties = properties;
        return body;
      },
    },
  ],
  routes: [
    {
      // DeletedWorkspaces_List: the subscription's soft-deleted workspaces.
      method: "GET",
      path: "Microsoft.OperationalInsights/deletedWorkspaces",
      apiVersions: API_VERSIONS,
      handle(ctx): ActionResponse {
        const value = ctx.store.softDeleted
          .list(DELETED_KIND)
          .filter((entry) => optionalString(entry, "subscriptionId")?.toLowerCase() === ctx.subscriptionId.toLowerCase())
          .filter((entry) => Date.parse(optionalString(entry, "purgeAt") ?? "") > ctx.now().getTime())
          .map((entry) => ({
            ...section(entry, "workspace"),
            id: optionalString(entry, "id") ?? "",
            name: optionalString(entry, "name") ?? "",
            type: LOG_ANALYTICS_WORKSPACE_TYPE,
          }));
        return { status: 200, body: { value } };
      },
    },
  ],
};
