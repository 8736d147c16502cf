// Latency profiles. "none": operations still go through their asynchronous shape (201/202 + Creating)
// but complete at the next request. "realistic": each handler's real-world duration (seconds, sources in
// docs/emulator.md) multiplied by the time scale.

export type LatencyProfile = "none" | "realistic";

export interface LatencySettings {
  profile: LatencyProfile;
  /** Multiplier applied to realistic durations, e.g. 0.01; must be > 0. */
  timeScale: number;
}

/**
 * ARM's usual Retry-After on 202 answers and operation polls (Microsoft.Network and most RPs send 10;
 * Microsoft.Resources sends 15 for resource-group deletes).
 */
export const ARM_RETRY_AFTER_SECONDS = 10;
export const RESOURCE_GROUP_RETRY_AFTER_SECONDS = 15;

export function operationDurationMs(settings: LatencySettings, realisticSeconds: number): number {
  if (settings.profile === "none") return 0;
  return Math.max(0, Math.round(realisticSeconds * settings.timeScale * 1000));
}

/**
 * Retry-After in whole seconds, scaled like the durations; undefined (header omitted) when it rounds to 0.
 * Why omitted rather than 0: the SDK poller treats `Retry-After: 0` as absent and would fall back to its
 * default 2 s interval, while without the header it uses the caller's `updateIntervalInMs`.
 */
export function retryAfterSeconds(settings: LatencySettings, armSeconds = ARM_RETRY_AFTER_SECONDS): number | undefined {
  if (settings.profile === "none") return undefined;
  const scaled = Math.round(armSeconds * settings.timeScale);
  return scaled >= 1 ? scaled : undefined;
}
