// Step 14: build images on the compute cluster (the tutorial's `az ml workspace update -i`), since
// the registry is behind the VNet and cannot build them itself.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { Workspace } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { compare, converge, outcome, planResource, type ResourceSpec } from "./common.js";
import { workspaceResource } from "./workspace.js";
import { writeSeconds } from "../durations.js";

function spec(ctx: AzureStepContext): ResourceSpec<Workspace> {
  const { config, azure } = ctx;
  return {
    ...workspaceResource(ctx),
    diff: (w) => {
      const changes: string[] = [];
      compare(changes, "imageBuildCompute", w.imageBuildCompute, config.computeCluster);
      return changes;
    },
    create: async () => {
      throw new Error(`workspace ${config.workspace} does not exist; the workspace step creates it`);
    },
    update: async () =>
      (await azure.machineLearning()).workspaces.beginUpdateAndWait(config.resourceGroup, config.workspace, { imageBuildCompute: config.computeCluster }, azure.lro()),
  };
}

export async function runImageBuild(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  return { resources: [outcome(await converge(spec(ctx), ctx.azure, io))] };
}

export async function planImageBuild(ctx: AzureStepContext): Promise<PlannedResource[]> {
  const p = await planResource(spec(ctx));
  return [p.action === "create" ? { ...p, action: "update", changes: [`imageBuildCompute → ${ctx.config.computeCluster}`] } : p];
}

export const imageBuildStep: Step<AzureStepContext> = {
  id: "image-build",
  title: "Build images on the compute cluster",
  dependsOn: ["compute-cluster"],
  // a workspace update (imageBuildCompute)
  expectedSeconds: writeSeconds("Microsoft.MachineLearningServices/workspaces", "update"),
  run: runImageBuild,
  plan: planImageBuild,
};
