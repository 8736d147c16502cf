// Retries bounded by time (issue 11), the one error classification and the error-code registry.
// The engine runs on an injected clock whose sleep advances time at once: every wait is asserted
// exactly and no test waits for real.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArmOperationError, CONFLICT_CODES, classifyError, isRetryable, normalizeArmError, signInError } from "../../src/azure/arm-errors.js";
import { AZURE_STEP_ERRORS, retryPolicyFor } from "../../src/commands/step-retry-policy.js";
import { checkFieldValue, fieldByKey } from "../../src/config/fields.js";
import { decideRetry, runSteps, type Clock, type RunStepsOptions } from "../../src/engine/engine.js";
import { readState, type StateHandle } from "../../src/engine/state.js";
import type { EngineEvent, IoHost, Step } from "../../src/engine/types.js";
import { ERROR_CODES, ExitCode, InputError, SecureAmlError, describeError, exitCodeFor, type ErrorInfo } from "../../src/errors.js";
import { newState as newStateIn, recorder } from "../fixtures/engine/in-process.js";

const newState = () => newStateIn("secure-aml-retry-");

/** A clock whose sleep returns at once and moves time forward by what was asked. */
function fakeClock(): Clock & { sleeps: number[]; advance(ms: number): void } {
  let t = 1_700_000_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    sleep: async (ms, signal) => {
      if (signal.aborted) throw signal.reason;
      sleeps.push(ms);
      t += ms;
    },
  };
}

/** ARM's 409 as the SDK throws it (a RestError-shaped object). */
function armRefusal(statusCode: number, code: string, retryAfter?: string): Error & { code: string } {
  const headers = new Map<string, string>(retryAfter !== undefined ? [["retry-after", retryAfter]] : []);
  return Object.assign(new Error(`${code}: refused`), {
    name: "RestError",
    statusCode,
    code,
    details: { error: { code, message: "refused" } },
    response: { headers: { get: (name: string) => headers.get(name.toLowerCase()) } },
  });
}

function retries(events: EngineEvent[]): Array<Extract<EngineEvent, { type: "step-retry" }>> {
  return events.filter((e): e is Extract<EngineEvent, { type: "step-retry" }> => e.type === "step-retry");
}

function options(state: StateHandle, io: IoHost, clock: Clock, extra: Partial<RunStepsOptions> = {}): RunStepsOptions {
  return { concurrency: 1, io, state, clock, random: () => 1, resumeCommand: "secure-aml init", ...AZURE_STEP_ERRORS, ...extra };
}

describe("retries bounded by time", () => {
  it("a transient failure is retried with doubling backoff until the budget runs out, then fails with the same code", async () => {
    const { state, path } = await newState();
    const clock = fakeClock();
    const io = recorder();
    let calls = 0;
    const busy: Step<unknown> = {
      id: "endpoint",
      title: "Endpoint",
      dependsOn: [],
      run: async () => {
        calls++;
        throw new ArmOperationError(normalizeArmError(armRefusal(409, "AnotherOperationInProgress"), { resource: "vnet", operation: "create private endpoint" }));
      },
    };
    const retry = { budgetMs: 60_000, baseDelayMs: 2_000, maxDelayMs: 16_000 };
    const summary = await runSteps([busy], {}, options(state, io, clock, { retry }));

    // random() = 1: each wait is its ceiling: 2, 4, 8, 16, 16 s (= 46 s), then 14 s up to the budget's end.
    assert.deepEqual(clock.sleeps, [2_000, 4_000, 8_000, 16_000, 16_000, 14_000]);
    assert.equal(calls, 7);
    assert.deepEqual(
      retries(io.events).map((e) => [e.attempt, e.delayMs, e.error.armCode]),
      [
        [1, 2_000, "AnotherOperationInProgress"],
        [2, 4_000, "AnotherOperationInProgress"],
        [3, 8_000, "AnotherOperationInProgress"],
        [4, 16_000, "AnotherOperationInProgress"],
        [5, 16_000, "AnotherOperationInProgress"],
        [6, 14_000, "AnotherOperationInProgress"],
      ],
    );
    // What is left of the budget once each wait is over (shown on the progress line).
    assert.deepEqual(
      retries(io.events).map((e) => e.budgetLeftMs),
      [58_000, 54_000, 46_000, 30_000, 14_000, 0],
    );
    assert.equal(summary.status, "failed");
    assert.equal(summary.error?.code, "ARM_ERROR");
    assert.equal(summary.error?.armCode, "AnotherOperationInProgress");
    assert.match(summary.error?.message ?? "", /still failing after 1m 00s of retries; the budget is 1m 00s: --retry-timeout/);
    assert.equal(summary.error?.next, "secure-aml init");
    const saved = await readState(path);
    assert.equal(saved?.steps.endpoint?.status, "failed");
    assert.equal(saved?.steps.endpoint?.attempts, 7);
  });

  it("Retry-After is honoured as asked, instead of the backoff", async () => {
    const { state } = await newState();
    const clock = fakeClock();
    const io = recorder();
    let calls = 0;
    const throttled: Step<unknown> = {
      id: "storage",
      title: "Storage",
      dependsOn: [],
      run: async () => {
        calls++;
        if (calls <= 2) throw new ArmOperationError(normalizeArmError(armRefusal(429, "SubscriptionRequestsThrottled", "37")));
        return { resources: [] };
      },
    };
    const summary = await runSteps([throttled], {}, options(state, io, clock, { retry: { budgetMs: 600_000, baseDelayMs: 2_000, maxDelayMs: 60_000 } }));
    assert.equal(summary.status, "succeeded");
    assert.deepEqual(clock.sleeps, [37_000, 37_000]);
    assert.deepEqual(
      retries(io.events).map((e) => e.delayMs),
      [37_000, 37_000],
    );
  });

  it("a Retry-After longer than what is left of the budget ends the retries", async () => {
    const { state } = await newState();
    const clock = fakeClock();
    const io = recorder();
    const throttled: Step<unknown> = {
      id: "storage",
      title: "Storage",
      dependsOn: [],
      run: async () => {
        throw new ArmOperationError(normalizeArmError(armRefusal(429, "TooManyRequests", "120")));
      },
    };
    const summary = await runSteps([throttled], {}, options(state, io, clock, { retry: { budgetMs: 60_000, baseDelayMs: 2_000, maxDelayMs: 60_000 } }));
    assert.equal(summary.status, "failed");
    assert.deepEqual(clock.sleeps, []);
    assert.equal(summary.steps[0]?.attempts, 1);
  });

  it("a permanent failure is not retried, and --retry-timeout 0 turns retries off", async () => {
    for (const [error, retry] of [
      [armRefusal(400, "InvalidParameter"), retryPolicyFor({ retryTimeout: 900 })],
      [armRefusal(409, "AnotherOperationInProgress"), retryPolicyFor({ retryTimeout: 0 })],
    ] as const) {
      const { state } = await newState();
      const clock = fakeClock();
      const io = recorder();
      let calls = 0;
      const step: Step<unknown> = {
        id: "s",
        title: "S",
        dependsOn: [],
        run: async () => {
          calls++;
          throw error;
        },
      };
      const summary = await runSteps([step], {}, options(state, io, clock, { retry }));
      assert.equal(summary.status, "failed");
      assert.equal(calls, 1);
      assert.deepEqual(retries(io.events), []);
      assert.equal(summary.error?.armCode, error.code);
    }
  });

  it("the budget runs from the first failure, and time inside failing attempts counts against it", async () => {
    const { state } = await newState();
    const clock = fakeClock();
    const io = recorder();
    let calls = 0;
    const slow: Step<unknown> = {
      id: "slow",
      title: "Slow",
      dependsOn: [],
      run: async () => {
        calls++;
        clock.advance(50_000); // the attempt itself took 50 s before it failed
        throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
      },
    };
    const summary = await runSteps([slow], {}, options(state, io, clock, { retry: { budgetMs: 120_000, baseDelayMs: 1_000, maxDelayMs: 60_000 } }));
    assert.equal(summary.status, "failed");
    assert.equal(summary.error?.code, "NETWORK_ERROR");
    // The first failure at 50 s starts the 120 s budget (ends at 170 s): waits of 1 s (51 s), 2 s (after
    // the second failure at 101 s) and 4 s (after the third at 153 s); the fourth fails at 207 s: done.
    assert.equal(calls, 4);
    assert.deepEqual(clock.sleeps, [1_000, 2_000, 4_000]);
    assert.match(summary.error?.message ?? "", /still failing after 2m 37s of retries/);
  });

  it("a long operation that then fails transiently is still retried (its own duration costs no budget)", async () => {
    const { state } = await newState();
    const clock = fakeClock();
    const io = recorder();
    let calls = 0;
    const bastion: Step<unknown> = {
      id: "bastion",
      title: "Bastion",
      dependsOn: [],
      run: async () => {
        calls++;
        if (calls === 1) {
          clock.advance(10 * 60_000); // ten minutes of provisioning, then ARM's operation fails with a 5xx
          throw new Error("The long-running operation has failed. InternalServerError. Try again.");
        }
        return { resources: [] };
      },
    };
    const summary = await runSteps([bastion], {}, options(state, io, clock, { retry: { budgetMs: 60_000, baseDelayMs: 2_000, maxDelayMs: 60_000 } }));
    assert.equal(summary.status, "succeeded");
    assert.equal(calls, 2);
    assert.deepEqual(
      retries(io.events).map((e) => [e.delayMs, e.error.armCode]),
      [[2_000, "InternalServerError"]],
    );
  });

  it("the default budget is 15 minutes per step; --retry-timeout / SECURE_AML_RETRY_TIMEOUT is a checked field", () => {
    assert.equal(retryPolicyFor({}).budgetMs, 15 * 60_000);
    assert.equal(retryPolicyFor({ retryTimeout: 30 }).budgetMs, 30_000);
    const field = fieldByKey("retryTimeout");
    assert.ok(field);
    assert.deepEqual([field.flag, field.env, field.derive?.({})], ["--retry-timeout", "SECURE_AML_RETRY_TIMEOUT", 900]);
    assert.deepEqual(checkFieldValue(field, 0, {}), []);
    assert.deepEqual(checkFieldValue(field, 3600, {}), []);
    assert.notDeepEqual(checkFieldValue(field, -1, {}), []);
    assert.notDeepEqual(checkFieldValue(field, 1.5, {}), []);
    assert.notDeepEqual(checkFieldValue(field, 2 * 86_400, {}), []);
  });

  it("decideRetry shortens a backoff that would overrun the budget to end at it", () => {
    const error: ErrorInfo = { code: "ARM_ERROR", message: "busy", armCode: "RetryableError", transient: true };
    const base = { failedAttempt: 5, error, transient: true, policy: { budgetMs: 100_000, baseDelayMs: 2_000, maxDelayMs: 60_000 }, startedAt: 0, random: () => 1 };
    assert.deepEqual(decideRetry({ ...base, now: 10_000 }), { retry: true, delayMs: 32_000 });
    assert.deepEqual(decideRetry({ ...base, now: 90_000 }), { retry: true, delayMs: 10_000 });
    assert.deepEqual(decideRetry({ ...base, now: 100_000 }), { retry: false, why: "budget" });
    assert.deepEqual(decideRetry({ ...base, transient: false, now: 0 }), { retry: false, why: "permanent" });
  });
});

describe("state writes", () => {
  it("a state file that cannot be written fails the step with STATE_WRITE_FAILED and the resume command (not retried)", async () => {
    const { state } = await newState();
    const io = recorder();
    let calls = 0;
    const update = state.update.bind(state);
    let writes = 0;
    // The register write and the attempt's "running" write succeed; the "done" write finds the disk full.
    state.update = (mutate) => (++writes === 3 ? Promise.reject(Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" })) : update(mutate));
    const step: Step<unknown> = { id: "s", title: "S", dependsOn: [], run: async () => (calls++, { resources: [] }) };
    const summary = await runSteps([step], {}, options(state, io, fakeClock()));
    assert.equal(summary.status, "failed");
    assert.equal(calls, 1);
    assert.equal(summary.error?.code, "STATE_WRITE_FAILED");
    assert.match(summary.error?.message ?? "", /no space left/);
    assert.equal(summary.error?.next, "secure-aml init");
  });
});

describe("one classification of errors", () => {
  it("throttling, 5xx, dropped connections and every conflict-family code are retryable; other ARM codes are not", () => {
    assert.equal(normalizeArmError(armRefusal(429, "SubscriptionRequestsThrottled", "3")).retryReason, "throttled");
    assert.equal(normalizeArmError(armRefusal(429, "SubscriptionRequestsThrottled", "3")).retryAfterMs, 3_000);
    assert.equal(normalizeArmError(armRefusal(503, "ServiceUnavailable")).retryReason, "server");
    assert.equal(normalizeArmError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })).retryReason, "network");
    // A refused connection is a wrong endpoint more often than a fault: reported at once, not retried.
    const refused = classifyError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }), "STEP_FAILED");
    assert.deepEqual([refused.code, refused.transient], ["NETWORK_ERROR", false]);
    for (const code of [
      "AnotherOperationInProgress",
      "RetryableError",
      "StorageAccountOperationInProgress",
      "ConflictError",
      "PrincipalNotFound",
      "InUseSubnetCannotBeUpdated",
      "InvalidPrivateLinkServiceId",
      "ReferencedResourceNotProvisioned",
    ]) {
      assert.ok(CONFLICT_CODES.has(code), code);
      const info = classifyError(armRefusal(code === "PrincipalNotFound" ? 400 : 409, code), "STEP_FAILED");
      assert.equal(info.transient, true, code);
      assert.equal(info.armCode, code);
      assert.equal(isRetryable(armRefusal(409, code)), true, code);
    }
    // The same code inside a long-running operation that ended Failed.
    assert.equal(classifyError(new Error("The long-running operation has failed. StorageAccountOperationInProgress. Busy."), "STEP_FAILED").transient, true);
    for (const [status, code] of [
      [400, "InvalidParameter"],
      [409, "StorageAccountAlreadyTaken"],
      [403, "AuthorizationFailed"],
      [409, "MissingSubscriptionRegistration"],
    ] as const) {
      assert.equal(isRetryable(armRefusal(status, code)), false, code);
    }
  });

  it("secure-aml's own errors keep their code; interrupts, sign-in errors and unknown errors get theirs", () => {
    assert.deepEqual(classifyError(new SecureAmlError("NAME_TAKEN", "taken", undefined, "use another name")), { code: "NAME_TAKEN", message: "taken", next: "use another name" });
    assert.equal(classifyError(Object.assign(new Error("aborted"), { name: "AbortError" })).code, "INTERRUPTED");
    assert.equal(classifyError(Object.assign(new Error("none"), { name: "CredentialUnavailableError" })).code, "NOT_SIGNED_IN");
    assert.match(signInError(Object.assign(new Error("x"), { name: "AggregateAuthenticationError" }))?.next ?? "", /az login/);
    assert.equal(signInError(new Error("something else")), undefined);
    assert.deepEqual(classifyError(new Error("boom")), { code: "UNEXPECTED", message: "boom" });
    assert.deepEqual(classifyError(new Error("boom"), "STEP_FAILED"), { code: "STEP_FAILED", message: "boom" });
    assert.equal(describeError(Object.assign(new Error("x"), { code: "NOT_A_REGISTERED_CODE" })).code, "UNEXPECTED");
  });
});

describe("the error-code registry", () => {
  it("every code has an exit code of the documented set and a description; errors default to their code's exit code", () => {
    const allowed = new Set<number>(Object.values(ExitCode));
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[A-Z][A-Z0-9_]+$/);
      assert.ok(allowed.has(spec.exitCode), code);
      assert.ok(spec.description.length > 10, code);
    }
    assert.equal(new SecureAmlError("STATE_LOCKED", "locked").exitCode, ExitCode.locked);
    assert.equal(new SecureAmlError("INTERRUPTED", "stop").exitCode, ExitCode.interrupted);
    assert.equal(exitCodeFor("BAD_INPUT"), 2);
  });

  it("an error knows its JSON: code, message, exit code, next, and for bad input every problem", () => {
    const input = new InputError([{ field: "vnetAddressSpace", flag: "--vnet-address-space", value: "10.0.0.0/33", rule: "must be a CIDR" }]);
    const json = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
    assert.deepEqual(json, {
      code: "BAD_INPUT",
      message: input.message,
      exitCode: 2,
      problems: [{ field: "vnetAddressSpace", flag: "--vnet-address-space", value: "10.0.0.0/33", rule: "must be a CIDR" }],
    });
    assert.deepEqual(JSON.parse(JSON.stringify(new SecureAmlError("STATE_LOCKED", "held", undefined, "wait"))), {
      code: "STATE_LOCKED",
      message: "held",
      exitCode: 3,
      next: "wait",
    });
  });
});
