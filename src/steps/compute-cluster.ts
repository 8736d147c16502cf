// Step 13a: the compute cluster (`cpu-cluster` by default) in the Training subnet, minimum 0 nodes,
// no public IP on its nodes and no public SSH port.

import type { ComputeResource } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { SecureAmlError } from "../errors.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, differsId, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { SUBNET_TRAINING, computeId, placed, subnetId } from "./common.js";
import { computeView } from "./compute-common.js";
import { mlComputeWriteSeconds } from "../durations.js";

const fixed = { immutable: true };

function clusterSpec({ config, azure }: AzureStepContext): ResourceSpec<ComputeResource> {
  const scaleSettings = { minNodeCount: config.clusterMinNodes, maxNodeCount: config.clusterMaxNodes, nodeIdleTimeBeforeScaleDown: "PT120S" };
  return {
    ...arm(kinds.mlCompute, azure, computeId(config, config.computeCluster), config.computeCluster, "training-subnet"),
    diff: (c) => {
      const { computeType, props } = computeView(c);
      return changesOf(
        differs("computeType", computeType, "AmlCompute", fixed),
        differs("vmSize", props?.vmSize, config.clusterVmSize, fixed),
        differsId("subnet.id", props?.subnet?.id, subnetId(config, SUBNET_TRAINING), fixed),
        differs("enableNodePublicIp", props?.enableNodePublicIp ?? true, false, fixed),
        differs("scaleSettings.minNodeCount", props?.scaleSettings?.minNodeCount ?? 0, config.clusterMinNodes),
        differs("scaleSettings.maxNodeCount", props?.scaleSettings?.maxNodeCount, config.clusterMaxNodes),
      );
    },
    deleteFailed: async () =>
      (await azure.machineLearning()).computeOperations.beginDeleteAndWait(config.resourceGroup, config.workspace, config.computeCluster, "Delete", azure.lro()),
    create: async () =>
      (await azure.machineLearning()).computeOperations.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        config.computeCluster,
        {
          ...placed(config),
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
    immutableDrift: (changes) =>
      new SecureAmlError(
        "COMPUTE_IMMUTABLE_DRIFT",
        `Compute cluster ${config.computeCluster} differs in properties Azure cannot change in place (${changes.map((c) => c.field).join(", ")}); delete the cluster and re-run, or choose another name with --compute-cluster.`,
      ),
    update: async () =>
      (await azure.machineLearning()).computeOperations.beginUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        config.computeCluster,
        { properties: { scaleSettings } },
        azure.lro(),
      ),
  };
}

export const computeClusterStep = declareStep<AzureStepContext>({
  id: "compute-cluster",
  title: "Compute cluster",
  dependsOn: ["workspace-endpoint", "network"],
  expectedSeconds: mlComputeWriteSeconds("AmlCompute"),
  resources: (ctx) => [clusterSpec(ctx)],
  outputs: ({ config }) => ({ computeClusterId: computeId(config, config.computeCluster) }),
});
