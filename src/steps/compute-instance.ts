// Step 13b: a compute instance in the Training subnet with no public IP.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { ComputeResource } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { SecureAmlError } from "../errors.js";
import { managedTags, SUBNET_TRAINING, compare, computeId, converge, outcome, planResource, sameId, subnetId, type ResourceSpec } from "./common.js";
import { computeView } from "./compute-common.js";
import { mlComputeWriteSeconds } from "../durations.js";

function spec({ config, azure }: AzureStepContext): ResourceSpec<ComputeResource> {
  const id = computeId(config, config.computeInstance);
  return {
    id,
    kind: "Microsoft.MachineLearningServices/workspaces/computes",
    name: config.computeInstance,
    group: "training-subnet",
    read: async () =>
      getOrUndefined({ resource: id }, async () => (await azure.machineLearning()).computeOperations.get(config.resourceGroup, config.workspace, config.computeInstance)),
    provisioningState: (c) => computeView(c).state,
    diff: (c) => {
      const { computeType, props } = computeView(c);
      const changes: string[] = [];
      compare(changes, "computeType", computeType, "ComputeInstance");
      compare(changes, "vmSize", props?.vmSize, config.instanceVmSize);
      if (!sameId(props?.subnet?.id, subnetId(config, SUBNET_TRAINING))) changes.push(`subnet → ${SUBNET_TRAINING}`);
      compare(changes, "enableNodePublicIp", props?.enableNodePublicIp ?? true, false);
      return changes;
    },
    deleteFailed: async () =>
      (await azure.machineLearning()).computeOperations.beginDeleteAndWait(config.resourceGroup, config.workspace, config.computeInstance, "Delete", azure.lro()),
    create: async () =>
      (await azure.machineLearning()).computeOperations.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.workspace,
        config.computeInstance,
        {
          location: config.location,
          tags: managedTags(config),
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
    // Every owned property of a compute instance is fixed at creation.
    update: async (_c, changes) => {
      throw new SecureAmlError(
        "COMPUTE_IMMUTABLE_DRIFT",
        `Compute instance ${config.computeInstance} differs in properties Azure cannot change in place (${changes.join("; ")}); delete it and re-run, or choose another name with --compute-instance.`,
      );
    },
  };
}

export async function runComputeInstance(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const result = await converge(spec(ctx), ctx.azure, io);
  return { resources: [outcome(result)], outputs: { computeInstanceId: computeId(ctx.config, ctx.config.computeInstance) } };
}

export async function planComputeInstance(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return [await planResource(spec(ctx))];
}

export const computeInstanceStep: Step<AzureStepContext> = {
  id: "compute-instance",
  title: "Compute instance",
  dependsOn: ["workspace-endpoint", "network"],
  expectedSeconds: mlComputeWriteSeconds("ComputeInstance"),
  run: runComputeInstance,
  plan: planComputeInstance,
};
