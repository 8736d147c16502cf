// Shared by the compute cluster and compute instance steps: a workspace compute in the Training
// subnet with no public IP on its nodes — how to read its inner properties, the properties both kinds
// fix at creation, the delete of a failed create, and the create.

import type { ComputeResource, AmlComputeProperties, ComputeInstanceProperties } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import * as kinds from "../resources/kinds/index.js";
import { arm, changesOf, differs, differsId, type Change, type ResourceSpec } from "../resources/spec.js";
import { SUBNET_TRAINING, computeId, placed, subnetId } from "./common.js";
import { mlComputeLatency, mlComputeWriteSeconds } from "../durations.js";
import { declareStep } from "../resources/reconcile.js";

/**
 * What a compute needs at boot: the workspace endpoint, and the endpoints (with their DNS zone groups,
 * which the endpoint steps write last) of the storage, key vault and registry its nodes mount, read and
 * pull from. A node that boots before those names resolve privately fails its setup.
 */
export const COMPUTE_DEPENDS_ON: string[] = ["workspace-endpoint", "storage-endpoints", "key-vault-endpoint", "registry-endpoint", "network"];

/**
 * A compute step: its one compute, after every endpoint the compute uses at boot (COMPUTE_DEPENDS_ON), expected
 * to take its compute type's create time (an instance boots its VM at creation; a cluster at 0 nodes allocates none).
 */
export function declareComputeStep(id: string, title: string, computeType: "AmlCompute" | "ComputeInstance", spec: (ctx: AzureStepContext) => ResourceSpec<ComputeResource>) {
  return declareStep<AzureStepContext>({ id, title, dependsOn: [...COMPUTE_DEPENDS_ON], expectedSeconds: mlComputeWriteSeconds(computeType), resources: (ctx) => [spec(ctx)] });
}

export type ComputeProps = (AmlComputeProperties & ComputeInstanceProperties) | undefined;

/** The inner `properties.properties` of a compute, and its type and state. */
export function computeView(c: ComputeResource): { computeType?: string; state?: string; props: ComputeProps } {
  const outer = c.properties as { computeType?: string; provisioningState?: string; properties?: unknown } | undefined;
  return { computeType: outer?.computeType, state: outer?.provisioningState, props: outer?.properties as ComputeProps };
}

export interface ComputeWanted {
  name: string;
  computeType: "AmlCompute" | "ComputeInstance";
  vmSize: string;
  /** The option that sets `vmSize` ("--cluster-vm-size"), for preflight's fix. */
  sizeOption: string;
  /** How many nodes at most (a cluster's maximum; 1 for an instance): what the ML vCPU quota must hold. */
  instances: number;
  /** The create body's `properties` (computeType, description and the kind's own properties), or how to make it at create time. */
  properties: NonNullable<ComputeResource["properties"]> | (() => Promise<NonNullable<ComputeResource["properties"]>>);
  /**
   * Write through the generic resources API at this api-version instead of the SDK's (2022-10-01), for
   * properties the SDK cannot send (the instance's idleTimeBeforeShutdown, from 2023-04-01).
   */
  apiVersion?: string;
}

const fixed = { immutable: true };

/** Everything of a compute spec but its diff and update; `fixedChanges` are the differences Azure cannot make in place. */
export function computeSpecBase(
  { config, azure }: AzureStepContext,
  wanted: ComputeWanted,
): Pick<ResourceSpec<ComputeResource>, "id" | "kind" | "name" | "group" | "read" | "provisioningState" | "deleteFailed" | "create" | "seconds" | "capacity"> & {
  fixedChanges(c: ComputeResource): Change[];
} {
  const ml = async () => (await azure.machineLearning()).computeOperations;
  return {
    ...arm(kinds.mlCompute, azure, computeId(config, wanted.name), wanted.name, "training-subnet"),
    seconds: mlComputeLatency(wanted.computeType),
    capacity: {
      vmSize: wanted.vmSize,
      instances: wanted.instances,
      quota: "machineLearning",
      sizeOption: wanted.sizeOption,
      what: wanted.computeType === "AmlCompute" ? `compute cluster ${wanted.name} (${wanted.instances} nodes at most)` : `compute instance ${wanted.name}`,
    },
    fixedChanges: (c) => {
      const { computeType, props } = computeView(c);
      return changesOf(
        differs("computeType", computeType, wanted.computeType, fixed),
        differs("vmSize", props?.vmSize, wanted.vmSize, fixed),
        differsId("subnet.id", props?.subnet?.id, subnetId(config, SUBNET_TRAINING), fixed),
        differs("enableNodePublicIp", props?.enableNodePublicIp ?? true, false, fixed),
      );
    },
    // Azure cannot provision a failed compute again in place.
    deleteFailed: async () => (await ml()).beginDeleteAndWait(config.resourceGroup, config.workspace, wanted.name, "Delete", azure.lro()),
    create: async () => {
      const properties = typeof wanted.properties === "function" ? await wanted.properties() : wanted.properties;
      if (wanted.apiVersion !== undefined) {
        const id = computeId(config, wanted.name);
        return (await azure.resources()).resources.beginCreateOrUpdateByIdAndWait(id, wanted.apiVersion, { ...placed(config), properties: { ...properties } }, azure.lro());
      }
      return (await ml()).beginCreateOrUpdateAndWait(config.resourceGroup, config.workspace, wanted.name, { ...placed(config), properties }, azure.lro());
    },
  };
}
