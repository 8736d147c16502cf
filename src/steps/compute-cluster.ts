// Step 13a: the compute cluster (`cpu-cluster` by default) in the Training subnet, minimum 0 nodes,
// no public IP on its nodes and no public SSH port.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { ComputeResource } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { SecureAmlError } from "../errors.js";
import { managedTags, SUBNET_TRAINING, compare, computeId, converge, outcome, planResource, sameId, subnetId, type ResourceSpec } from "./common.js";
import { computeView } from "./compute-common.js";
import { mlComputeWriteSeconds } from "../durations.js";

const IMMUTABLE = "(set at creation)";

function spec({ config, azure }: AzureStepContext): ResourceSpec<ComputeResource> {
  const id = computeId(config, config.computeCluster);
  const scaleSettings = { minNodeCount: config.clusterMinNodes, maxNodeCount: config.clusterMaxNodes, nodeIdleTimeBeforeScaleDown: "PT120S" };
  return {
    id,
    kind: "Microsoft.MachineLearningServices/workspaces/computes",
    name: config.computeCluster,
    group: "training-subnet",
    read: async () =>
      getOrUndefined({ resource: id }, async () => (await azure.machineLearning()).computeOperations.get(config.resourceGroup, config.workspace, config.computeCluster)),
    provisioningState: (c) => computeView(c).state,
    diff: (c) => {
      const { computeType, props } = computeView(c);
      const changes: string[] = [];
      compare(changes, `computeType ${IMMUTABLE}`, computeType, "AmlCompute");
      compare(changes, `vmSize ${IMMUTABLE}`, props?.vmSize, config.clusterVmSize);
      if (!sameId(props?.subnet?.id, subnetId(config, SUBNET_TRAINING))) changes.push(`subnet ${IMMUTABLE} → ${SUBNET_TRAINING}`);
      compare(changes, `enableNodePublicIp ${IMMUTABLE}`, props?.enableNodePublicIp ?? true, false);
      compare(changes, "scaleSettings.minNodeCount", props?.scaleSettings?.minNodeCount ?? 0, config.clusterMinNodes);
      compare(changes, "scaleSettings.maxNodeCount", props?.scaleSettings?.maxNodeCount, config.clusterMaxNodes);
      return changes;
    },
    deleteFailed: async () =>
      (await azure.machineLearning()).computeOperations.beginDeleteAndWait(config.resourceGroup, config.workspace, config.computeCluster, "Delete", azure.lro()),
    create: async () =>
      (await azure.machineLearning()).computeOperations.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        config.computeCluster,
        {
          location: config.location,
          tags: managedTags(config),
          properties: {
            computeType: "AmlCompute",
            description: "secure-aml training cluster (Training subnet, no public IP)",
            properties: {
              osType: "Linux",
              vmSize: config.clusterVmSize,
              vmPriority: "Dedicated",
              scaleSettings,
              subnet: { id: subnetId(config, SUBNET_TRAINING) },
              enableNodePublicIp: false,
              remoteLoginPortPublicAccess: "Disabled",
              isolatedNetwork: false,
            },
          },
        },
        azure.lro(),
      ),
    update: async (_c, changes) => {
      const fixed = changes.filter((c) => c.includes(IMMUTABLE));
      if (fixed.length > 0) {
        throw new SecureAmlError(
          "COMPUTE_IMMUTABLE_DRIFT",
          `Compute cluster ${config.computeCluster} differs in properties Azure cannot change in place (${fixed.join("; ")}); delete the cluster and re-run, or choose another name with --compute-cluster.`,
        );
      }
      return (await azure.machineLearning()).computeOperations.beginUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        config.computeCluster,
        { properties: { scaleSettings } },
        azure.lro(),
      );
    },
  };
}

export async function runComputeCluster(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const result = await converge(spec(ctx), ctx.azure, io);
  return { resources: [outcome(result)], outputs: { computeClusterId: computeId(ctx.config, ctx.config.computeCluster) } };
}

export async function planComputeCluster(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return [await planResource(spec(ctx))];
}

export const computeClusterStep: Step<AzureStepContext> = {
  id: "compute-cluster",
  title: "Compute cluster",
  dependsOn: ["workspace-endpoint", "network"],
  expectedSeconds: mlComputeWriteSeconds("AmlCompute"),
  run: runComputeCluster,
  plan: planComputeCluster,
};
