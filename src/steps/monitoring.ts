// Step 7: a Log Analytics workspace and a workspace-based Application Insights component (the
// tutorial migrates classic Application Insights to workspace-based; we create it that way).

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { Workspace as LogAnalyticsWorkspace } from "@azure/arm-operationalinsights";
import type { ApplicationInsightsComponent } from "@azure/arm-appinsights";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { managedTags, appInsightsId, compare, converge, logAnalyticsId, outcome, planResource, sameId, type ResourceSpec } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

function logAnalyticsSpec({ config, azure }: AzureStepContext): ResourceSpec<LogAnalyticsWorkspace> {
  const id = logAnalyticsId(config);
  return {
    id,
    kind: "Microsoft.OperationalInsights/workspaces",
    name: config.logAnalyticsWorkspace,
    group: "monitoring",
    read: async () =>
      getOrUndefined({ resource: id }, async () => (await azure.operationalInsights()).workspaces.get(config.resourceGroup, config.logAnalyticsWorkspace)),
    provisioningState: (w) => w.provisioningState,
    diff: (w) => {
      const changes: string[] = [];
      compare(changes, "sku", w.sku?.name, "PerGB2018");
      return changes;
    },
    create: async () =>
      (await azure.operationalInsights()).workspaces.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.logAnalyticsWorkspace,
        { location: config.location, tags: managedTags(config), sku: { name: "PerGB2018" }, retentionInDays: 30 },
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
  const id = appInsightsId(config);
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
    id,
    kind: "Microsoft.Insights/components",
    name: config.appInsights,
    group: "monitoring",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.appInsights()).components.get(config.resourceGroup, config.appInsights)),
    provisioningState: (c) => c.provisioningState,
    diff: (c) => {
      const changes: string[] = [];
      if (!sameId(c.workspaceResourceId, logAnalyticsId(config))) changes.push(`workspaceResourceId: ${c.workspaceResourceId ?? "(classic)"} → ${config.logAnalyticsWorkspace}`);
      compare(changes, "applicationType", c.applicationType, "web");
      return changes;
    },
    create: () => put(undefined),
    update: (c) => put(c),
  };
}

export async function runMonitoring(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const la = await converge(logAnalyticsSpec(ctx), ctx.azure, io);
  const ai = await converge(appInsightsSpec(ctx), ctx.azure, io);
  return {
    resources: [outcome(la), outcome(ai)],
    outputs: { logAnalyticsWorkspaceId: logAnalyticsId(ctx.config), appInsightsId: appInsightsId(ctx.config) },
  };
}

export async function planMonitoring(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return Promise.all([planResource(logAnalyticsSpec(ctx)), planResource(appInsightsSpec(ctx))]);
}

export const monitoringStep: Step<AzureStepContext> = {
  id: "monitoring",
  title: "Log Analytics and Application Insights",
  dependsOn: ["resource-group"],
  // Log Analytics, then Application Insights over it
  expectedSeconds: chained(writeSeconds("Microsoft.OperationalInsights/workspaces"), writeSeconds("Microsoft.Insights/components")),
  run: runMonitoring,
  plan: planMonitoring,
};
