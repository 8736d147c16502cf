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
 * Retry-After (whole seconds) on an answer about an operation that is still running, or undefined (header
 * omitted). The emulator acts as an idealized resource provider that knows when the operation will be done:
 * it asks the client to come back then, `floor(remaining seconds)`, but never later than ARM would, i.e.
 * capped by ARM's usual value scaled like the durations when that is at least 1 s. At time scale 1 this is
 * ARM's figure for any operation longer than it; at small scales (ARM's 10 s × 0.02 rounds to 0) it spares
 * the client from falling back to its own, much shorter, interval for the whole operation (a poll flood).
 * Omitted below 1 s rather than sent as 0: the SDK poller treats `Retry-After: 0` as absent and would fall
 * back to its default 2 s interval, while without the header it uses the caller's `updateIntervalInMs`.
 */
export function retryAfterSeconds(settings: LatencySettings, remainingMs: number, armSeconds = ARM_RETRY_AFTER_SECONDS): number | undefined {
  if (settings.profile === "none") return undefined;
  const scaledArm = Math.round(armSeconds * settings.timeScale);
  const untilDone = Math.floor(Math.max(0, remainingMs) / 1000);
  const seconds = scaledArm >= 1 ? Math.min(scaledArm, untilDone) : untilDone;
  return seconds >= 1 ? seconds : undefined;
}
