// Shared by the compute cluster and compute instance steps: reading a workspace compute's inner
// properties and its type.

import type { ComputeResource, AmlComputeProperties, ComputeInstanceProperties } from "@azure/arm-machinelearning";

export type ComputeProps = (AmlComputeProperties & ComputeInstanceProperties) | undefined;

/** The inner `properties.properties` of a compute, and its type and state. */
export function computeView(c: ComputeResource): { computeType?: string; state?: string; props: ComputeProps } {
  const outer = c.properties as { computeType?: string; provisioningState?: string; properties?: unknown } | undefined;
  return { computeType: outer?.computeType, state: outer?.provisioningState, props: outer?.properties as ComputeProps };
}
