// Retry-After of the emulator on a running operation: min(ARM's value × time scale when ≥ 1 s,
// floor(seconds left of this operation)), sent only when ≥ 1 (docs/emulator.md, "Retry-After").
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ARM_RETRY_AFTER_SECONDS, RESOURCE_GROUP_RETRY_AFTER_SECONDS, retryAfterSeconds, type LatencySettings } from "../../src/emulator/latency.js";

const scaled = (timeScale: number): LatencySettings => ({ profile: "realistic", timeScale });

describe("emulator Retry-After", () => {
  it("asks a client to come back when the operation can be done, at small time scales", () => {
    // ARM's 10 s × 0.02 rounds to 0: the time left decides.
    assert.equal(retryAfterSeconds(scaled(0.02), 3_500), 3);
    assert.equal(retryAfterSeconds(scaled(0.02), 12_060), 12);
    assert.equal(retryAfterSeconds(scaled(0.02), 1_000), 1);
  });

  it("sends nothing when less than a second is left, or the operation is over", () => {
    assert.equal(retryAfterSeconds(scaled(0.02), 400), undefined);
    assert.equal(retryAfterSeconds(scaled(0.02), 999), undefined);
    assert.equal(retryAfterSeconds(scaled(0.02), 0), undefined);
    assert.equal(retryAfterSeconds(scaled(0.02), -50), undefined);
  });

  it("is ARM's figure at time scale 1, and never later than ARM would ask", () => {
    assert.equal(retryAfterSeconds(scaled(1), 600_000), ARM_RETRY_AFTER_SECONDS);
    assert.equal(retryAfterSeconds(scaled(1), 600_000), 10);
    assert.equal(retryAfterSeconds(scaled(1), 600_000, RESOURCE_GROUP_RETRY_AFTER_SECONDS), 15);
    assert.equal(retryAfterSeconds(scaled(1), 4_200), 4, "an operation about to end asks for less than ARM's 10");
    assert.equal(retryAfterSeconds(scaled(0.5), 600_000), 5, "ARM's value scales with the durations");
    assert.equal(retryAfterSeconds(scaled(0.5), 2_500), 2);
  });

  it("sends nothing with the latency profile none", () => {
    assert.equal(retryAfterSeconds({ profile: "none", timeScale: 1 }, 600_000), undefined);
  });
});
