// Step 11: the Azure Monitor Private Link Scope with Application Insights and its Log Analytics
// workspace as scoped resources, ingestion and query access modes Private Only, and a private
// endpoint `azuremonitor` in Training registered in the Azure Monitor zones.
// Written through the generic resources API at 2021-07-01-preview: @azure/arm-monitor 7 speaks
// 2019-10-17-preview, which has no accessModeSettings.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { GenericResource } from "@azure/arm-resources";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { zonesFor } from "../azure/clouds.js";
import { managedTags, appInsightsId, converge, logAnalyticsId, outcome, planResource, privateEndpointName, privateLinkScopeId, sameId, type ResourceSpec } from "./common.js";
import { convergeEndpoints, planEndpoints, type PrivateEndpointWanted } from "./private-endpoint.js";
import { chained, writeSeconds } from "../durations.js";

export const PRIVATE_LINK_SCOPE_API_VERSION = "2021-07-01-preview";
export const accessModes = { ingestionAccessMode: "PrivateOnly", queryAccessMode: "PrivateOnly" } as const;

function prop(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}

function stringProp(obj: unknown, ...path: string[]): string | undefined {
  const v = prop(obj, ...path);
  return typeof v === "string" ? v : undefined;
}

function scopeSpec({ config, azure }: AzureStepContext): ResourceSpec<GenericResource> {
  const id = privateLinkScopeId(config);
  const put = async (existing: GenericResource | undefined) =>
    (await azure.resources()).resources.beginCreateOrUpdateByIdAndWait(
      id,
      PRIVATE_LINK_SCOPE_API_VERSION,
      {
        location: "global",
        tags: existing?.tags ?? managedTags(config),
        // Every other property of a scope is read-only.
        properties: { accessModeSettings: { ...accessModes, exclusions: [] } },
      },
      azure.lro(),
    );
  return {
    id,
    kind: "Microsoft.Insights/privateLinkScopes",
    name: config.privateLinkScope,
    group: "monitoring",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.resources()).resources.getById(id, PRIVATE_LINK_SCOPE_API_VERSION)),
    provisioningState: (r) => stringProp(r, "properties", "provisioningState"),
    diff: (r) => {
      const changes: string[] = [];
      const ingestion = stringProp(r, "properties", "accessModeSettings", "ingestionAccessMode");
      const query = stringProp(r, "properties", "accessModeSettings", "queryAccessMode");
      if (ingestion !== accessModes.ingestionAccessMode) changes.push(`ingestionAccessMode: ${ingestion ?? "(unset)"} → PrivateOnly`);
      if (query !== accessModes.queryAccessMode) changes.push(`queryAccessMode: ${query ?? "(unset)"} → PrivateOnly`);
      return changes;
    },
    create: () => put(undefined),
    update: (r) => put(r),
  };
}

function scopedResourceSpec({ config, azure }: AzureStepContext, name: string, linkedResourceId: string): ResourceSpec<GenericResource> {
  const id = `${privateLinkScopeId(config)}/scopedResources/${name}`;
  const put = async () =>
    (await azure.resources()).resources.beginCreateOrUpdateByIdAndWait(id, PRIVATE_LINK_SCOPE_API_VERSION, { properties: { linkedResourceId } }, azure.lro());
  return {
    id,
    kind: "Microsoft.Insights/privateLinkScopes/scopedResources",
    name: `${config.privateLinkScope}/${name}`,
    group: "monitoring",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.resources()).resources.getById(id, PRIVATE_LINK_SCOPE_API_VERSION)),
    provisioningState: (r) => stringProp(r, "properties", "provisioningState"),
    diff: (r) => (sameId(stringProp(r, "properties", "linkedResourceId"), linkedResourceId) ? [] : [`linkedResourceId → ${linkedResourceId}`]),
    create: put,
    update: put,
  };
}

export function scopedResources(config: AzureStepContext["config"]): Array<{ name: string; linkedResourceId: string }> {
  return [
    { name: `${config.appInsights}-scoped`, linkedResourceId: appInsightsId(config) },
    { name: `${config.logAnalyticsWorkspace}-scoped`, linkedResourceId: logAnalyticsId(config) },
  ];
}

function endpoint({ config, azure }: AzureStepContext): PrivateEndpointWanted[] {
  return [
    {
      name: privateEndpointName(config.privateLinkScope, "azuremonitor"),
      targetId: privateLinkScopeId(config),
      groupId: "azuremonitor",
      zones: zonesFor(azure.cloud, ["azuremonitor"]).azuremonitor,
    },
  ];
}

export async function runMonitorPrivateLink(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const scope = await converge(scopeSpec(ctx), ctx.azure, io);
  const scoped = [];
  for (const s of scopedResources(ctx.config)) scoped.push(outcome(await converge(scopedResourceSpec(ctx, s.name, s.linkedResourceId), ctx.azure, io)));
  const pe = await convergeEndpoints(ctx.config, ctx.azure, io, endpoint(ctx));
  return { resources: [outcome(scope), ...scoped, ...pe], outputs: { privateLinkScopeId: privateLinkScopeId(ctx.config) } };
}

export async function planMonitorPrivateLink(ctx: AzureStepContext): Promise<PlannedResource[]> {
  const scope = await planResource(scopeSpec(ctx));
  const scoped = await Promise.all(scopedResources(ctx.config).map((s) => planResource(scopedResourceSpec(ctx, s.name, s.linkedResourceId))));
  return [scope, ...scoped, ...(await planEndpoints(ctx.config, ctx.azure, endpoint(ctx)))];
}

export const monitorPrivateLinkStep: Step<AzureStepContext> = {
  id: "monitor-private-link",
  title: "Azure Monitor private link scope",
  dependsOn: ["monitoring", "network", "private-dns"],
  // the scope, its two scoped resources one after the other, then the endpoint and its DNS zone group
  expectedSeconds: chained(
    writeSeconds("Microsoft.Insights/privateLinkScopes"),
    writeSeconds("Microsoft.Insights/privateLinkScopes/scopedResources"),
    writeSeconds("Microsoft.Insights/privateLinkScopes/scopedResources"),
    writeSeconds("Microsoft.Network/privateEndpoints"),
    writeSeconds("Microsoft.Network/privateEndpoints/privateDnsZoneGroups"),
  ),
  run: runMonitorPrivateLink,
  plan: planMonitorPrivateLink,
};
