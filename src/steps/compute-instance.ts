// Step 13b: a compute instance in the Training subnet with no public IP.

import type { ComputeResource } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { SecureAmlError } from "../errors.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, differsId, type Change, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { SUBNET_TRAINING, computeId, subnetId, placed } from "./common.js";
import { computeView } from "./compute-common.js";
import { mlComputeWriteSeconds } from "../durations.js";

// Every owned property of a compute instance is fixed at creation.
const fixed = { immutable: true };

function instanceSpec({ config, azure }: AzureStepContext): ResourceSpec<ComputeResource> {
  const drift = (changes: Change[]) =>
    new SecureAmlError(
      "COMPUTE_IMMUTABLE_DRIFT",
      `Compute instance ${config.computeInstance} differs in properties Azure cannot change in place (${changes.map((c) => c.field).join(", ")}); delete it and re-run, or choose another name with --compute-instance.`,
    );
  return {
    ...arm(kinds.mlCompute, azure, computeId(config, config.computeInstance), config.computeInstance, "training-subnet"),
    diff: (c) => {
      const { computeType, props } = computeView(c);
      return changesOf(
        differs("computeType", computeType, "ComputeInstance", fixed),
        differs("vmSize", props?.vmSize, config.instanceVmSize, fixed),
        differsId("subnet.id", props?.subnet?.id, subnetId(config, SUBNET_TRAINING), fixed),
        differs("enableNodePublicIp", props?.enableNodePublicIp ?? true, false, fixed),
      );
    },
    deleteFailed: async () =>
      (await azure.machineLearning()).computeOperations.beginDeleteAndWait(config.resourceGroup, config.workspace, config.computeInstance, "Delete", azure.lro()),
    create: async () =>
      (await azure.machineLearning()).computeOperations.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        config.computeInstance,
        {
          ...placed(config),
          properties: {
            computeType: "ComputeInstance",
            description: "secure-aml compute instance (Training subnet, no public IP)",
            properties: {
              vmSize: config.instanceVmSize,
              subnet: { id: subnetId(config, SUBNET_TRAINING) },
              enableNodePublicIp: false,
              applicationSharingPolicy: "Personal",
              sshSettings: { sshPublicAccess: "Disabled" },
            },
          },
        },
        azure.lro(),
      ),
    immutableDrift: drift,
    // Nothing it owns changes in place (a non-Succeeded state that is not Failed ends here too).
    update: async (_c, changes) => {
      throw drift(changes);
    },
  };
}

export const computeInstanceStep = declareStep<AzureStepContext>({
  id: "compute-instance",
  title: "Compute instance",
  dependsOn: ["workspace-endpoint", "network"],
  expectedSeconds: mlComputeWriteSeconds("ComputeInstance"),
  resources: (ctx) => [instanceSpec(ctx)],
  outputs: ({ config }) => ({ computeInstanceId: computeId(config, config.computeInstance) }),
});
