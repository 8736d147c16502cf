// Step 14: build images on the compute cluster (the tutorial's `az ml workspace update -i`), since
// the registry is behind the VNet and cannot build them itself.

import type { Workspace } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { change, changesOf, differs, type ResourceSpec } from "../resources/spec.js";
import { workspaceResource } from "./workspace.js";
import { writeSeconds } from "../durations.js";

function imageBuildSpec(ctx: AzureStepContext): ResourceSpec<Workspace> {
  const { config, azure } = ctx;
  const update = async () =>
    (await azure.machineLearning()).workspaces.beginUpdateAndWait(config.resourceGroup, config.workspace, { imageBuildCompute: config.computeCluster }, azure.lro());
  return {
    ...workspaceResource(ctx),
    // The workspace step creates the workspace; this step only sets one property of it.
    ownedBy: { step: "workspace", changes: [change("imageBuildCompute", undefined, config.computeCluster)] },
    diff: (w) => changesOf(differs("imageBuildCompute", w.imageBuildCompute, config.computeCluster)),
    create: update,
    update,
  };
}

export const imageBuildStep = declareStep<AzureStepContext>({
  id: "image-build",
  title: "Build images on the compute cluster",
  dependsOn: ["compute-cluster"],
  // a workspace update (imageBuildCompute)
  expectedSeconds: writeSeconds("Microsoft.MachineLearningServices/workspaces", "update"),
  resources: (ctx) => [imageBuildSpec(ctx)],
});
