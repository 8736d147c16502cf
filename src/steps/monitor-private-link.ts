// Step 11: the Azure Monitor Private Link Scope with Application Insights and its Log Analytics
// workspace as scoped resources, ingestion and query access modes Private Only, and a private
// endpoint `azuremonitor` in Training registered in the Azure Monitor zones.
// Written through the generic resources API at 2021-07-01-preview: @azure/arm-monitor 7 speaks
// 2019-10-17-preview, which has no accessModeSettings.

import type { GenericResource } from "@azure/arm-resources";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, differsId, putOver, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { PRIVATE_LINK_SCOPE_API_VERSION } from "../resources/kinds/index.js";
import { stringAt } from "../resources/kinds/kind.js";
import { endpointsInParallel } from "../resources/factories/private-endpoint.js";
import { appInsightsId, logAnalyticsId, managedTags, placement, privateLinkScopeId } from "./common.js";
import { endpointTo } from "./private-endpoint.js";
import { chained, writeSeconds } from "../durations.js";

export { PRIVATE_LINK_SCOPE_API_VERSION } from "../resources/kinds/index.js";
export const accessModes = { ingestionAccessMode: "PrivateOnly", queryAccessMode: "PrivateOnly" } as const;

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
    ...arm(kinds.privateLinkScope, azure, id, config.privateLinkScope, "monitoring"),
    diff: (r) =>
      changesOf(
        differs("accessModeSettings.ingestionAccessMode", stringAt(r, "properties", "accessModeSettings", "ingestionAccessMode"), accessModes.ingestionAccessMode),
        differs("accessModeSettings.queryAccessMode", stringAt(r, "properties", "accessModeSettings", "queryAccessMode"), accessModes.queryAccessMode),
      ),
    ...putOver(put),
  };
}

function scopedResourceSpec({ config, azure }: AzureStepContext, name: string, linkedResourceId: string): ResourceSpec<GenericResource> {
  const id = `${privateLinkScopeId(config)}/scopedResources/${name}`;
  const put = async () => (await azure.resources()).resources.beginCreateOrUpdateByIdAndWait(id, PRIVATE_LINK_SCOPE_API_VERSION, { properties: { linkedResourceId } }, azure.lro());
  return {
    ...arm(kinds.privateLinkScopedResource, azure, id, `${config.privateLinkScope}/${name}`, "monitoring"),
    parentId: privateLinkScopeId(config),
    diff: (r) => changesOf(differsId("linkedResourceId", stringAt(r, "properties", "linkedResourceId"), linkedResourceId)),
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

export const monitorPrivateLinkStep = declareStep<AzureStepContext>({
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
  resources: (ctx) => [
    scopeSpec(ctx),
    ...scopedResources(ctx.config).map((s) => scopedResourceSpec(ctx, s.name, s.linkedResourceId)),
    ...endpointsInParallel(ctx.azure, placement(ctx.config), [endpointTo(ctx, ctx.config.privateLinkScope, privateLinkScopeId(ctx.config), "azuremonitor")]),
  ],
});
