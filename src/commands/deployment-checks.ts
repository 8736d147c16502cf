// What init and plan check and estimate before they touch anything: the cloud publishes every private
// DNS zone this deployment needs (Azure China: exit 2, no request), and the steps' expected wall time.

import type { ConfigCommandInput } from "../cli/command-contract.js";
import type { DeploymentConfig } from "../config/types.js";
import { criticalPath, sequentialSum } from "../engine/graph.js";
import type { Step } from "../engine/types.js";
import { allZoneNames, cloudProfile } from "../azure/clouds.js";
import type { PlanEstimate } from "../ui/types.js";

/**
 * Refuses a cloud for which a private DNS zone this deployment needs is not published (Azure China
 * and the registry / Azure Monitor zones): InputError, exit 2, before any request.
 */
export function assertCloudSupported(config: DeploymentConfig): void {
  allZoneNames(cloudProfile(config.cloud), config.batchEndpoints);
}

/**
 * The cloud check on what is known before anything is opened (Azure China: exit 2, no request), when
 * the cloud and batch-endpoints choice are known already. Returns what is known of the configuration.
 */
export function assertKnownCloudSupported(input: ConfigCommandInput): Partial<DeploymentConfig> {
  const known = input.precheck.resolved?.config ?? input.precheck.partial;
  if (known.cloud !== undefined && known.batchEndpoints !== undefined) assertCloudSupported(known as DeploymentConfig);
  return known;
}

/** Expected wall time on real Azure: the critical path of the steps' expected durations, and their plain sum. */
export function estimateFor(steps: ReadonlyArray<Step<unknown>>): PlanEstimate & { criticalPath: string[] } {
  const duration = (s: Step<unknown>) => s.expectedSeconds ?? 0;
  const cp = criticalPath(steps, duration);
  return { criticalPathSeconds: cp.seconds, sequentialSeconds: sequentialSum(steps, duration), criticalPath: cp.path };
}
