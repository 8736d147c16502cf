// Step 13a: the compute cluster (`cpu-cluster` by default) in the Training subnet, minimum 0 nodes,
// no public IP on its nodes and no public SSH port.

import type { ComputeResource } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { SecureAmlError } from "../errors.js";
import { changesOf, differs, type ResourceSpec } from "../resources/spec.js";
import { SUBNET_TRAINING, subnetId } from "./common.js";
import { computeSpecBase, computeView, declareComputeStep } from "./compute-common.js";

function clusterSpec(ctx: AzureStepContext): ResourceSpec<ComputeResource> {
  const { config, azure } = ctx;
  const scaleSettings = { minNodeCount: config.clusterMinNodes, maxNodeCount: config.clusterMaxNodes, nodeIdleTimeBeforeScaleDown: "PT120S" };
  const base = computeSpecBase(ctx, {
    name: config.computeCluster,
    computeType: "AmlCompute",
    vmSize: config.clusterVmSize,
    sizeOption: "--cluster-vm-size",
    instances: config.clusterMaxNodes,
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
  });
  return {
    ...base,
    diff: (c) => {
      const { props } = computeView(c);
      return [
        ...base.fixedChanges(c),
        ...changesOf(
          differs("scaleSettings.minNodeCount", props?.scaleSettings?.minNodeCount ?? 0, config.clusterMinNodes),
          differs("scaleSettings.maxNodeCount", props?.scaleSettings?.maxNodeCount, config.clusterMaxNodes),
        ),
      ];
    },
    immutableDrift: (changes) =>
      new SecureAmlError(
        "COMPUTE_IMMUTABLE_DRIFT",
        `Compute cluster ${config.computeCluster} differs in properties Azure cannot change in place (${changes.map((c) => c.field).join(", ")}); delete the cluster and re-run, or choose another name with --compute-cluster.`,
      ),
    // Only the scale settings change in place.
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

export const computeClusterStep = declareComputeStep("compute-cluster", "Compute cluster", "AmlCompute", clusterSpec);
