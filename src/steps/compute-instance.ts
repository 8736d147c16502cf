// Step 13b: a compute instance in the Training subnet with no public IP, assigned to one person
// (personalComputeInstanceSettings.assignedUser: --compute-instance-user, by default the signed-in
// person — the command fills it in before any write, see src/azure/signed-in.ts).

import type { ComputeResource } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import { ExitCode, SecureAmlError } from "../errors.js";
import { subscriptionTenantId } from "../azure/clients.js";
import { changesOf, differs, type Change, type ResourceSpec } from "../resources/spec.js";
import { SUBNET_TRAINING, subnetId } from "./common.js";
import { computeSpecBase, computeView, declareComputeStep } from "./compute-common.js";

/** The ML api-version the instance is written at: the first stable one with idleTimeBeforeShutdown is 2023-04-01. */
export const COMPUTE_INSTANCE_API_VERSION = "2024-04-01";

/** ISO-8601 duration of the idle shutdown ("PT60M"), or undefined when it is off (0). */
export function idleShutdownDuration(minutes: number | undefined): string | undefined {
  const m = minutes ?? 60;
  return m > 0 ? `PT${m}M` : undefined;
}

function instanceSpec(ctx: AzureStepContext): ResourceSpec<ComputeResource> {
  const { config, azure } = ctx;
  const user = config.computeInstanceUser;
  // Set at creation (the instance takes no in-place update here).
  const idle = idleShutdownDuration(config.computeInstanceIdleShutdown);
  const drift = (changes: Change[]) =>
    new SecureAmlError(
      "COMPUTE_IMMUTABLE_DRIFT",
      `Compute instance ${config.computeInstance} differs in properties Azure cannot change in place (${changes.map((c) => c.field).join(", ")}); delete it and re-run, or choose another name with --compute-instance (or give its assigned user with --compute-instance-user).`,
    );
  const base = computeSpecBase(ctx, {
    name: config.computeInstance,
    computeType: "ComputeInstance",
    vmSize: config.instanceVmSize,
    sizeOption: "--instance-vm-size",
    instances: 1,
    apiVersion: COMPUTE_INSTANCE_API_VERSION,
    // The tenant of the assigned user is the subscription's (read once, at create time).
    properties: async () => ({
      computeType: "ComputeInstance",
      description: "secure-aml compute instance (Training subnet, no public IP)",
      properties: {
        vmSize: config.instanceVmSize,
        subnet: { id: subnetId(config, SUBNET_TRAINING) },
        enableNodePublicIp: false,
        applicationSharingPolicy: "Personal",
        sshSettings: { sshPublicAccess: "Disabled" },
        ...(idle !== undefined ? { idleTimeBeforeShutdown: idle } : {}),
        ...(user !== undefined ? { personalComputeInstanceSettings: { assignedUser: { objectId: user, tenantId: await subscriptionTenantId(azure) } } } : {}),
      },
    }),
  });
  return {
    ...base,
    beforeCreate: async () => {
      if (user === undefined) {
        throw new SecureAmlError(
          "COMPUTE_INSTANCE_USER_MISSING",
          `The compute instance ${config.computeInstance} does not exist yet and no person to assign it to is known; give --compute-instance-user OBJECT_ID (or SECURE_AML_COMPUTE_INSTANCE_USER).`,
          ExitCode.badInput,
        );
      }
    },
    // Every property it owns is fixed at creation. An instance made before it had an assigned user keeps none.
    diff: (c) => {
      const assigned = computeView(c).props?.personalComputeInstanceSettings?.assignedUser?.objectId;
      return [
        ...base.fixedChanges(c),
        ...(assigned !== undefined && user !== undefined
          ? changesOf(differs("personalComputeInstanceSettings.assignedUser.objectId", assigned.toLowerCase(), user.toLowerCase(), { immutable: true }))
          : []),
      ];
    },
    immutableDrift: drift,
    // Nothing changes in place (a non-Succeeded state that is not Failed ends here too).
    update: async (_c, changes) => {
      throw drift(changes);
    },
  };
}

export const computeInstanceStep = declareComputeStep("compute-instance", "Compute instance", "ComputeInstance", instanceSpec);
