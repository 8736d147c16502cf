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
 * omitted). The emulator acts as an idealized resource provider that knows when the operation will be done
 * and asks the client to come back then: `ceil(seconds left)`, never later than ARM would ask (ARM's usual
 * value scaled like the durations, when that is at least 1 s). Why ceil and why once the header is sent it
 * keeps being sent: the SDK poller keeps the LAST Retry-After as its interval when a later answer has none
 * (and treats `Retry-After: 0` as absent), so a `floor` that leaves a fraction of a second to run would
 * make the client wait a whole second interval again. So:
 * - an operation with less than `FIRST_RETRY_AFTER_MIN_MS` left that has sent none yet sends none: the
 *   client polls at its own short interval for that brief remainder (a few dozen polls at most);
 * - otherwise `ceil(seconds left)`, capped by ARM's scaled value, at least 1.
 * At time scale 1 a long operation sees ARM's 10 s until its last stretch; at 0.02 (ARM's 10 s rounds to 0)
 * a 12 s Bastion is polled about twice instead of hundreds of times, ending at most a second late.
 */
export const FIRST_RETRY_AFTER_MIN_MS = 2_000;

export function retryAfterSeconds(settings: LatencySettings, remainingMs: number, armSeconds = ARM_RETRY_AFTER_SECONDS, alreadySent = false): number | undefined {
  if (settings.profile === "none" || remainingMs <= 0) return undefined;
  if (!alreadySent && remainingMs < FIRST_RETRY_AFTER_MIN_MS) return undefined;
  const scaledArm = Math.round(armSeconds * settings.timeScale);
  const untilDone = Math.ceil(remainingMs / 1000);
  return Math.max(1, scaledArm >= 1 ? Math.min(scaledArm, untilDone) : untilDone);
}
