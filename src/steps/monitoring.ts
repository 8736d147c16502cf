// Step 7: a Log Analytics workspace and a workspace-based Application Insights component (the
// tutorial migrates classic Application Insights to workspace-based; we create it that way).

import type { Workspace as LogAnalyticsWorkspace } from "@azure/arm-operationalinsights";
import type { ApplicationInsightsComponent } from "@azure/arm-appinsights";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, differsId, putOver, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { appInsightsId, logAnalyticsId, managedTags, placed } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

function logAnalyticsSpec({ config, azure }: AzureStepContext): ResourceSpec<LogAnalyticsWorkspace> {
  return {
    ...arm(kinds.logAnalyticsWorkspace, azure, logAnalyticsId(config), config.logAnalyticsWorkspace, "monitoring"),
    diff: (w) => changesOf(differs("sku", w.sku?.name, "PerGB2018")),
    create: async () =>
      (await azure.operationalInsights()).workspaces.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.logAnalyticsWorkspace,
        { ...placed(config), sku: { name: "PerGB2018" }, retentionInDays: 30 },
        azure.lro(),
      ),
    update: async (w) =>
      (await azure.operationalInsights()).workspaces.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.logAnalyticsWorkspace,
        { ...w, sku: { name: "PerGB2018" } },
        azure.lro(),
      ),
  };
}

function appInsightsSpec({ config, azure }: AzureStepContext): ResourceSpec<ApplicationInsightsComponent> {
  const put = async (existing: ApplicationInsightsComponent | undefined) =>
    (await azure.appInsights()).components.createOrUpdate(config.resourceGroup, config.appInsights, {
      ...(existing ?? { tags: managedTags(config) }),
      location: existing?.location ?? config.location,
      kind: "web",
      applicationType: "web",
      workspaceResourceId: logAnalyticsId(config),
      ingestionMode: "LogAnalytics",
    });
  return {
    ...arm(kinds.appInsightsComponent, azure, appInsightsId(config), config.appInsights, "monitoring"),
    diff: (c) => changesOf(differsId("workspaceResourceId", c.workspaceResourceId, logAnalyticsId(config)), differs("applicationType", c.applicationType, "web")),
    ...putOver(put),
  };
}

export const monitoringStep = declareStep<AzureStepContext>({
  id: "monitoring",
  title: "Log Analytics and Application Insights",
  dependsOn: ["resource-group"],
  // Log Analytics, then Application Insights over it
  expectedSeconds: chained(writeSeconds("Microsoft.OperationalInsights/workspaces"), writeSeconds("Microsoft.Insights/components")),
  resources: (ctx) => [logAnalyticsSpec(ctx), appInsightsSpec(ctx)],
});
