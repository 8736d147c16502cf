// The one reporter (src/commands/report.ts): every outcome of a command that ends with an error gives
// the same schema-1 result document on stdout (with --output json) and the exit code of its code.

import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { ArmOperationError, normalizeArmError } from "../../src/azure/arm-errors.js";
import { reportError } from "../../src/commands/report.js";
import { InputError, SecureAmlError } from "../../src/errors.js";
import type { ResultDocument } from "../../src/ui/types.js";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function report(error: unknown, env: NodeJS.ProcessEnv = {}): { code: number; doc: ResultDocument; stderr: string } {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = reportError(error, { io: { stdout, stderr }, env, output: "json", command: "status" });
  return { code, doc: JSON.parse(stdout.text) as ResultDocument, stderr: stderr.text };
}

test("bad input, a lock, an interrupt, an ARM refusal, a sign-in failure and an unknown error: one document shape", () => {
  const arm = new ArmOperationError(
    normalizeArmError(
      Object.assign(new Error("x"), { name: "RestError", statusCode: 403, code: "AuthorizationFailed", details: { error: { code: "AuthorizationFailed", message: "no" } } }),
      { resource: "rg", operation: "read" },
    ),
  );
  const cases: Array<[unknown, number, string, string | undefined]> = [
    [new InputError([{ field: "subscriptionId", flag: "--subscription", rule: "a subscription is required" }]), 2, "BAD_INPUT", undefined],
    [new SecureAmlError("STATE_LOCKED", "held by pid 1", undefined, "wait for it"), 3, "STATE_LOCKED", undefined],
    [Object.assign(new Error("User force closed the prompt"), { name: "ExitPromptError" }), 130, "INTERRUPTED", undefined],
    [arm, 1, "ARM_ERROR", "AuthorizationFailed"],
    [Object.assign(new Error("no credential"), { name: "CredentialUnavailableError" }), 1, "NOT_SIGNED_IN", undefined],
    [new TypeError("x is not a function"), 1, "UNEXPECTED", undefined],
  ];
  for (const [error, exitCode, code, armCode] of cases) {
    const { code: exit, doc, stderr } = report(error);
    assert.equal(exit, exitCode, code);
    assert.deepEqual(
      Object.keys(doc)
        .filter((k) => k !== "next")
        .sort(),
      ["command", "counts", "durations", "errors", "exitCode", "ok", "resources", "schema"],
      code,
    );
    assert.deepEqual([doc.schema, doc.command, doc.ok, doc.exitCode], [1, "status", false, exitCode], code);
    assert.equal(doc.errors.length, 1, code);
    assert.deepEqual([doc.errors[0]?.code, doc.errors[0]?.exitCode, doc.errors[0]?.armCode], [code, exitCode, armCode], code);
    assert.equal(doc.next, doc.errors[0]?.next, code);
    assert.ok(stderr.startsWith("secure-aml: "), code);
    assert.doesNotMatch(stderr, /\n\s+at /, `no stack trace (${code})`);
  }
  assert.equal(report(new SecureAmlError("STATE_LOCKED", "held", undefined, "wait for it")).doc.next, "wait for it");
  assert.match(report(Object.assign(new Error("no credential"), { name: "CredentialUnavailableError" })).stderr, /next: .*az login/);
  assert.match(report(new TypeError("x is not a function"), { SECURE_AML_DEBUG: "1" }).stderr, /\n\s+at /, "the stack of an unknown error with SECURE_AML_DEBUG");
});
