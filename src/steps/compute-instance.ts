// Step 13b: a compute instance in the Training subnet with no public IP.

import type { ComputeResource } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { SecureAmlError } from "../errors.js";
import { declareStep } from "../resources/reconcile.js";
import type { Change, ResourceSpec } from "../resources/spec.js";
import { SUBNET_TRAINING, computeId, subnetId } from "./common.js";
import { COMPUTE_DEPENDS_ON, computeSpecBase } from "./compute-common.js";
import { mlComputeWriteSeconds } from "../durations.js";

function instanceSpec(ctx: AzureStepContext): ResourceSpec<ComputeResource> {
  const { config } = ctx;
  const drift = (changes: Change[]) =>
    new SecureAmlError(
      "COMPUTE_IMMUTABLE_DRIFT",
      `Compute instance ${config.computeInstance} differs in properties Azure cannot change in place (${changes.map((c) => c.field).join(", ")}); delete it and re-run, or choose another name with --compute-instance.`,
    );
  const base = computeSpecBase(ctx, {
    name: config.computeInstance,
    computeType: "ComputeInstance",
    vmSize: config.instanceVmSize,
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
  });
  return {
    ...base,
    // Every property it owns is fixed at creation.
    diff: (c) => base.fixedChanges(c),
    immutableDrift: drift,
    // Nothing changes in place (a non-Succeeded state that is not Failed ends here too).
    update: async (_c, changes) => {
      throw drift(changes);
    },
  };
}

export const computeInstanceStep = declareStep<AzureStepContext>({
  id: "compute-instance",
  title: "Compute instance",
  dependsOn: [...COMPUTE_DEPENDS_ON],
  expectedSeconds: mlComputeWriteSeconds("ComputeInstance"),
  // the instance boots its VM at creation (the cluster, at 0 nodes, allocates none)
  resources: (ctx) => [instanceSpec(ctx)],
  outputs: ({ config }) => ({ computeInstanceId: computeId(config, config.computeInstance) }),
});
