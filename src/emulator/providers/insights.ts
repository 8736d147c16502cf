// Microsoft.Insights: Application Insights components (2020-02-02, workspace-based only),
// Azure Monitor Private Link Scopes (global) with accessModeSettings (2021-07-01-preview,
// 2023-06-01-preview; 2019-10-17-preview for @azure/arm-monitor), their scopedResources and
// privateEndpointConnections. Rules and messages: docs/emulator-services.md.

import { isObject, sameId } from "../core/common.js";
import { ArmError, type EmulatorProvider, type HandlerContext, type Json, type JsonObject, type ResourceRecord, type ResourceStore } from "../types.js";
import {
  clone,
  compact,
  editProperties,
  enumValue,
  keptPrivateEndpointConnections,
  nowIso,
  optionalBoolean,
  optionalNumber,
  optionalString,
  parseResourceId,
  requireLocation,
  resolveReference,
  section,
  tagsOf,
} from "./service-common.js";
import { latencyOf } from "../../durations.js";
import { privateLinkResources } from "./private-link-targets.js";

export const COMPONENT_TYPE = "Microsoft.Insights/components";
export const PRIVATE_LINK_SCOPE_TYPE = "Microsoft.Insights/privateLinkScopes";
export const SCOPED_RESOURCE_TYPE = "Microsoft.Insights/privateLinkScopes/scopedResources";
export const SCOPE_CONNECTION_TYPE = "Microsoft.Insights/privateLinkScopes/privateEndpointConnections";
const LOG_ANALYTICS_TYPE = "Microsoft.OperationalInsights/workspaces";

/** @azure/arm-appinsights 5 sends 2020-02-02 for components. */
const COMPONENT_API_VERSIONS = ["2020-02-02", "2020-02-02-preview", "2018-05-01-preview", "2015-05-01"];
/** @azure/arm-monitor 7 sends 2019-10-17-preview; the steps send 2021-07-01-preview through arm-resources. */
const SCOPE_API_VERSIONS = ["2019-10-17-preview", "2021-07-01-preview", "2021-09-01", "2023-06-01-preview"];
const ACCESS_MODES = ["Open", "PrivateOnly"] as const;

/** Resources an AMPLS can scope (the kinds the tutorial links). */
const SCOPABLE_TYPES = [COMPONENT_TYPE, LOG_ANALYTICS_TYPE, "Microsoft.Insights/dataCollectionEndpoints"];

export interface ScopeLink {
  scopeId: string;
  scopedResourceId: string;
}

/** The AMPLS scoped resources whose linkedResourceId is `resourceId` (for the targets' read-only lists). */
export function scopedResourcesLinking(store: ResourceStore, resourceId: string): ScopeLink[] {
  return store
    .listByType(SCOPED_RESOURCE_TYPE)
    .filter((record) => record.pendingOperation?.kind !== "delete" && sameId(optionalString(section(record.body, "properties"), "linkedResourceId"), resourceId))
    .map((record) => ({ scopeId: record.id.replace(/\/scopedResources\/[^/]+$/i, ""), scopedResourceId: record.id }));
}

// ----- Application Insights components -----

function componentBody(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const kind = optionalString(request, "kind");
  if (!kind) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: 'Required property 'kind' not found in JSON.'.");
  const requested = section(request, "properties");
  const previous = section(existing?.body, "properties");
  const applicationType = enumValue(
    optionalString(requested, "Application_Type"),
    ["web", "other"],
    (v) => new ArmError(400, "BadRequest", `The value '${v}' of Application_Type is invalid. Valid values: web, other.`),
  );
  if (!applicationType) throw new ArmError(400, "BadRequest", "The property 'Application_Type' is required.");
  const workspaceId = optionalString(requested, "WorkspaceResourceId") ?? optionalString(previous, "WorkspaceResourceId");
  if (!workspaceId) {
    // Classic (non workspace-based) Application Insights can no longer be created.
    throw new ArmError(
      400,
      "BadRequest",
      "Creation of new Classic Application Insights resources is no longer supported. Set properties.WorkspaceResourceId to a Log Analytics workspace to create a workspace-based resource.",
    );
  }
  if (parseResourceId(workspaceId).type?.toLowerCase() !== LOG_ANALYTICS_TYPE.toLowerCase() || !resolveReference(ctx.store, workspaceId, LOG_ANALYTICS_TYPE)) {
    throw new ArmError(
      400,
      "BadRequest",
      `Workspace '${workspaceId}' was not found or the caller does not have access to it. WorkspaceResourceId must be the resource ID of an existing Log Analytics workspace.`,
    );
  }
  const ingestionMode = enumValue(
    optionalString(requested, "IngestionMode") ?? "LogAnalytics",
    ["ApplicationInsights", "ApplicationInsightsWithDiagnosticSettings", "LogAnalytics"],
    (v) => new ArmError(400, "BadRequest", `The value '${v}' of IngestionMode is invalid.`),
  );
  if (ingestionMode !== "LogAnalytics") {
    throw new ArmError(400, "BadRequest", `IngestionMode '${ingestionMode ?? ""}' is not supported for a workspace-based component; use LogAnalytics.`);
  }
  const access = (key: string): string =>
    enumValue(
      optionalString(requested, key),
      ["Enabled", "Disabled"],
      (v) => new ArmError(400, "BadRequest", `The value '${v}' of ${key} is invalid. Valid values: Enabled, Disabled.`),
    ) ??
    optionalString(previous, key) ??
    "Enabled";
  const instrumentationKey = optionalString(previous, "InstrumentationKey") ?? ctx.guid();
  const appId = optionalString(previous, "AppId") ?? ctx.guid();
  const location = requireLocation(request);
  return compact({
    location,
    tags: tagsOf(request, existing) ?? {},
    kind,
    etag: `"${ctx.guid()}"`,
    properties: compact({
      ApplicationId: ctx.name,
      AppId: appId,
      Name: ctx.name,
      Application_Type: applicationType,
      Flow_Type: optionalString(requested, "Flow_Type") ?? optionalString(previous, "Flow_Type") ?? "Bluefield",
      Request_Source: optionalString(requested, "Request_Source") ?? optionalString(previous, "Request_Source") ?? "rest",
      InstrumentationKey: instrumentationKey,
      // Not a secret for Azure, but the emulator never prints it either.
      ConnectionString: `InstrumentationKey=${instrumentationKey};IngestionEndpoint=https://${location}-0.in.applicationinsights.azure.com/;LiveEndpoint=https://${location}.livediagnostics.monitor.azure.com/;ApplicationId=${appId}`,
      CreationDate: optionalString(previous, "CreationDate") ?? nowIso(ctx),
      TenantId: ctx.subscriptionId,
      SamplingPercentage: optionalNumber(requested, "SamplingPercentage") ?? optionalNumber(previous, "SamplingPercentage"),
      RetentionInDays: optionalNumber(requested, "RetentionInDays") ?? optionalNumber(previous, "RetentionInDays") ?? 90,
      DisableIpMasking: optionalBoolean(requested, "DisableIpMasking") ?? optionalBoolean(previous, "DisableIpMasking"),
      DisableLocalAuth: optionalBoolean(requested, "DisableLocalAuth") ?? optionalBoolean(previous, "DisableLocalAuth") ?? false,
      WorkspaceResourceId: workspaceId,
      IngestionMode: "LogAnalytics",
      publicNetworkAccessForIngestion: access("publicNetworkAccessForIngestion"),
      publicNetworkAccessForQuery: access("publicNetworkAccessForQuery"),
    }),
  });
}

/** Component properties that 2018-05-01-preview (and older) lacks; the 2020-02-02 spec added them. */
const PROPERTIES_SINCE_2020_02_02 = ["DisableLocalAuth", "ForceCustomerStorageForProfiler", "LaMigrationDate", "Name", "WorkspaceResourceId"];

/** api-versions before 2020-02-02 (2018-05-01-preview, 2015-05-01): no workspace-based components, no etag. */
function isPreWorkspaceComponentVersion(apiVersion: string): boolean {
  return apiVersion.slice(0, 10) < "2020-02-02";
}

// ----- Private link scopes -----

function isLegacyScopeVersion(apiVersion: string): boolean {
  return apiVersion === "2019-10-17-preview";
}

function accessModeSettings(value: JsonObject): JsonObject {
  const mode = (key: string, source: JsonObject): string => {
    const result = enumValue(
      optionalString(source, key),
      ACCESS_MODES,
      (v) => new ArmError(400, "InvalidAccessMode", `The value '${v}' of accessModeSettings.${key} is invalid. Valid values: Open, PrivateOnly.`),
    );
    if (!result) throw new ArmError(400, "InvalidAccessMode", `accessModeSettings.${key} is required. Valid values: Open, PrivateOnly.`);
    return result;
  };
  const exclusions = Array.isArray(value.exclusions)
    ? value.exclusions.filter(isObject).map((exclusion) =>
        compact({
          privateEndpointConnectionName: optionalString(exclusion, "privateEndpointConnectionName"),
          queryAccessMode: exclusion.queryAccessMode === undefined ? undefined : mode("queryAccessMode", exclusion),
          ingestionAccessMode: exclusion.ingestionAccessMode === undefined ? undefined : mode("ingestionAccessMode", exclusion),
        }),
      )
    : [];
  return { queryAccessMode: mode("queryAccessMode", value), ingestionAccessMode: mode("ingestionAccessMode", value), exclusions };
}

function scopeBody(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const requested = section(request, "properties");
  const previous = section(existing?.body, "properties");
  let settings: JsonObject;
  if (isObject(requested.accessModeSettings)) settings = accessModeSettings(requested.accessModeSettings);
  else if (isObject(previous.accessModeSettings)) settings = clone(previous.accessModeSettings);
  else if (isLegacyScopeVersion(ctx.apiVersion)) settings = { queryAccessMode: "Open", ingestionAccessMode: "Open", exclusions: [] };
  else throw new ArmError(400, "InvalidRequestContent", "The request content was invalid: properties.accessModeSettings is required.");
  return compact({
    location: requireLocation(request),
    tags: tagsOf(request, existing) ?? {},
    properties: { accessModeSettings: settings, privateEndpointConnections: keptPrivateEndpointConnections(existing) },
  });
}

function scopedResourceBody(ctx: HandlerContext, request: JsonObject): JsonObject {
  const linkedResourceId = optionalString(section(request, "properties"), "linkedResourceId");
  if (!linkedResourceId) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid: properties.linkedResourceId is required.");
  const linkedType = parseResourceId(linkedResourceId).type ?? "";
  if (!SCOPABLE_TYPES.some((type) => type.toLowerCase() === linkedType.toLowerCase())) {
    throw new ArmError(
      400,
      "BadRequest",
      `The resource '${linkedResourceId}' can't be added to an Azure Monitor Private Link Scope. Supported types: Log Analytics workspaces, Application Insights components and data collection endpoints.`,
    );
  }
  if (!resolveReference(ctx.store, linkedResourceId, linkedType)) {
    throw new ArmError(
      400,
      "BadRequest",
      `The linked resource '${linkedResourceId}' was not found. The resource must exist before it can be added to an Azure Monitor Private Link Scope.`,
    );
  }
  const duplicate = ctx.store
    .children(ctx.parentId(ctx.id) ?? "", SCOPED_RESOURCE_TYPE)
    .find((record) => !sameId(record.id, ctx.id) && sameId(optionalString(section(record.body, "properties"), "linkedResourceId"), linkedResourceId));
  if (duplicate) {
    throw new ArmError(409, "Conflict", `The resource '${linkedResourceId}' is already linked to this private link scope by the scoped resource '${duplicate.name}'.`);
  }
  return { properties: { linkedResourceId } };
}

/** Adds the read-only list of AMPLS links to a component or workspace view. */
function withScopeLinks(ctx: HandlerContext, record: ResourceRecord, key: string, resourceKey: string, scopeKey: string): JsonObject {
  return editProperties(clone(record.body), (properties) => {
    properties[key] = scopedResourcesLinking(ctx.store, record.id).map((link) => ({ [resourceKey]: link.scopedResourceId, [scopeKey]: link.scopeId }));
  });
}

/** UpdateTags: only tags change (replaced, or emptied when the request has none). */
function withReplacedTags(existing: ResourceRecord, requestedTags: Json | undefined): JsonObject {
  const body = clone(existing.body);
  body.tags = isObject(requestedTags) ? clone(requestedTags) : {};
  return body;
}

export const insightsProvider: EmulatorProvider = {
  namespace: "Microsoft.Insights",
  types: [
    {
      type: COMPONENT_TYPE,
      apiVersions: COMPONENT_API_VERSIONS,
      location: "required",
      // Components_CreateOrUpdate: 200 only (also on create), synchronous.
      lro: { put: "sync", delete: "sync", createStatus: 200 },
      latency: latencyOf(COMPONENT_TYPE),
      put(ctx, req) {
        return componentBody(ctx, req.body, req.existing);
      },
      patch(_ctx, req) {
        // Components_UpdateTags: only tags change.
        return withReplacedTags(req.existing, req.body.tags);
      },
      view(ctx, record) {
        const body = withScopeLinks(ctx, record, "PrivateLinkScopedResources", "ResourceId", "ScopeId");
        if (isPreWorkspaceComponentVersion(ctx.apiVersion)) {
          // Answer in that version's shape: it predates workspace-based components and these properties.
          delete body.etag;
          editProperties(body, (properties) => {
            for (const key of PROPERTIES_SINCE_2020_02_02) delete properties[key];
          });
        }
        return body;
      },
    },
    {
      type: PRIVATE_LINK_SCOPE_TYPE,
      apiVersions: SCOPE_API_VERSIONS,
      location: "global",
      // PrivateLinkScopes_CreateOrUpdate: 200/201 synchronous; delete: the spec allows 202, Azure answers 200 (recorded).
      lro: { put: "sync", delete: "sync" },
      actions: { privatelinkresources: privateLinkResources },
      latency: latencyOf(PRIVATE_LINK_SCOPE_TYPE),
      put(ctx, req) {
        return scopeBody(ctx, req.body, req.existing);
      },
      patch(_ctx, req) {
        return withReplacedTags(req.existing, req.body.tags);
      },
      view(ctx, record) {
        const body = clone(record.body);
        if (isLegacyScopeVersion(ctx.apiVersion)) {
          // 2019-10-17-preview has no accessModeSettings; answer in that version's shape.
          editProperties(body, (properties) => {
            delete properties.accessModeSettings;
          });
        }
        return body;
      },
    },
    {
      type: SCOPED_RESOURCE_TYPE,
      apiVersions: SCOPE_API_VERSIONS,
      location: "none",
      // PrivateLinkScopedResources_CreateOrUpdate: long-running, answered 200 without async headers and
      // provisioningState Provisioning (the client re-reads it); _Delete answers 200 at once (recorded).
      lro: { put: "async", delete: "sync", createStatus: 200, pendingState: { create: "Provisioning" } },
      latency: latencyOf(SCOPED_RESOURCE_TYPE),
      put(ctx, req) {
        return scopedResourceBody(ctx, req.body);
      },
    },
    {
      type: SCOPE_CONNECTION_TYPE,
      apiVersions: SCOPE_API_VERSIONS,
      location: "none",
      // PrivateEndpointConnections_CreateOrUpdate (approve/reject) and _Delete: 202, no body, Azure-AsyncOperation and Location (recorded).
      lro: { put: "async", delete: "async", header: "Azure-AsyncOperation", acceptedWrites: true },
      latency: latencyOf(SCOPE_CONNECTION_TYPE),
      put(_ctx, req) {
        if (!req.existing) {
          throw new ArmError(
            404,
            "PrivateEndpointConnectionNotFound",
            "A private endpoint connection is created by creating a private endpoint to the scope; it can only be approved or rejected here.",
          );
        }
        const state = section(section(req.body, "properties"), "privateLinkServiceConnectionState");
        const status = enumValue(
          optionalString(state, "status"),
          ["Approved", "Rejected", "Pending", "Disconnected"],
          (v) => new ArmError(400, "BadRequest", `The connection status '${v}' is invalid. Valid values: Approved, Rejected.`),
        );
        const body = clone(req.existing.body);
        const properties = section(body, "properties");
        if (status) properties.privateLinkServiceConnectionState = { status, description: optionalString(state, "description") ?? "", actionsRequired: "None" };
        body.properties = properties;
        return body;
      },
    },
  ],
};
