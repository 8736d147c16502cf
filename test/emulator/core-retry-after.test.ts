// Retry-After of the emulator on a running operation: ceil(seconds left), capped by ARM's value × time
// scale when that is ≥ 1 s; not sent for an operation under 2 s that has sent none (docs/emulator.md).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ARM_RETRY_AFTER_SECONDS, RESOURCE_GROUP_RETRY_AFTER_SECONDS, retryAfterSeconds, type LatencySettings } from "../../src/emulator/latency.js";

const scaled = (timeScale: number): LatencySettings => ({ profile: "realistic", timeScale });

describe("emulator Retry-After", () => {
  it("asks a client to come back when the operation can be done, at small time scales", () => {
    // ARM's 10 s × 0.02 rounds to 0: the time left decides.
    assert.equal(retryAfterSeconds(scaled(0.02), 3_500), 4, "come back when it is surely done, not a fraction early");
    assert.equal(retryAfterSeconds(scaled(0.02), 12_060), 13);
    assert.equal(retryAfterSeconds(scaled(0.02), 2_000), 2);
  });

  it("keeps sending one once sent, since the SDK poller would otherwise keep the last interval", () => {
    assert.equal(retryAfterSeconds(scaled(0.02), 400, ARM_RETRY_AFTER_SECONDS, true), 1);
    assert.equal(retryAfterSeconds(scaled(0.02), 1_500, ARM_RETRY_AFTER_SECONDS, true), 2);
    assert.equal(retryAfterSeconds(scaled(0.02), 0, ARM_RETRY_AFTER_SECONDS, true), undefined, "done: nothing to wait for");
  });

  it("sends nothing for a brief operation that has sent none, or one that is over", () => {
    assert.equal(retryAfterSeconds(scaled(0.02), 400), undefined);
    assert.equal(retryAfterSeconds(scaled(0.02), 1_999), undefined);
    assert.equal(retryAfterSeconds(scaled(0.02), 0), undefined);
    assert.equal(retryAfterSeconds(scaled(0.02), -50), undefined);
  });

  it("is ARM's figure at time scale 1, and never later than ARM would ask", () => {
    assert.equal(retryAfterSeconds(scaled(1), 600_000), ARM_RETRY_AFTER_SECONDS);
    assert.equal(retryAfterSeconds(scaled(1), 600_000), 10);
    assert.equal(retryAfterSeconds(scaled(1), 600_000, RESOURCE_GROUP_RETRY_AFTER_SECONDS), 15);
    assert.equal(retryAfterSeconds(scaled(1), 4_200), 5, "an operation about to end asks for less than ARM's 10");
    assert.equal(retryAfterSeconds(scaled(0.5), 600_000), 5, "ARM's value scales with the durations");
    assert.equal(retryAfterSeconds(scaled(0.5), 2_500), 3);
  });

  it("sends nothing with the latency profile none", () => {
    assert.equal(retryAfterSeconds({ profile: "none", timeScale: 1 }, 600_000), undefined);
  });
});
