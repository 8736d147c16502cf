// `--record FILE` end to end (a whole `init --local` recorded, then the file searched for what must
// never be in it), and what that run sent for the jump box (security type, licence) and the compute
// instance (its assigned person) — through the CLI, the real SDK clients and the bundled emulator.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { LOCAL_SUBSCRIPTION_ID, LOCAL_USER_OBJECT_ID } from "../../src/config/local.js";
import { RECORD_SUBSCRIPTION_PLACEHOLDER, type CassetteInteraction } from "../../src/azure/record.js";
import { STATIC_TEST_TOKEN } from "../../src/azure/credential.js";
import { PASSWORD, cleanEnv, runCli, tempDir } from "./cli-init-fixture.js";

function bodyOf(i: CassetteInteraction): Record<string, unknown> {
  return i.request.body ? (JSON.parse(i.request.body) as Record<string, unknown>) : {};
}

test("init --local --record writes a sanitized cassette of every ARM exchange, mode 0600, without the password or a token", async (t) => {
  const dir = await tempDir(t, "record");
  const cassette = path.join(dir, "run.yaml");
  const result = await runCli(
    [
      "init",
      "--local",
      "--yes",
      "--state",
      path.join(dir, "state.json"),
      "--record",
      cassette,
      "--jumpbox-security-type",
      "TrustedLaunch",
      "--compute-instance-idle-shutdown",
      "90",
      "--output",
      "json",
    ],
    { cwd: dir, env: cleanEnv(), timeoutMs: 600_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  const stat = await fs.stat(cassette);
  assert.equal(stat.mode & 0o777, 0o600, "only its owner may read the recording");
  const text = await fs.readFile(cassette, "utf8");
  assert.ok(!text.includes(PASSWORD), "the jump-box password is not in the recording");
  assert.ok(!/bearer/i.test(text), "no bearer token");
  assert.ok(!text.includes(STATIC_TEST_TOKEN), "not even the test token");
  assert.ok(!text.includes(LOCAL_SUBSCRIPTION_ID), "the subscription id is replaced");
  assert.ok(!/127\.0\.0\.1/.test(text), "the emulator's address reads as the cloud's endpoint");

  const doc = parseYaml(text) as { interactions: CassetteInteraction[] };
  assert.ok(doc.interactions.length > 50, `every exchange of the run (${doc.interactions.length})`);
  const writes = doc.interactions.filter((i) => i.request.method === "PUT");
  assert.ok(writes.length > 20);
  for (const i of doc.interactions) {
    assert.ok(!Object.keys(i.request.headers).some((h) => /^authorization$/i.test(h)), "no Authorization header");
    assert.match(i.request.uri, /^https:\/\/management\.azure\.com\//);
    assert.equal(typeof i.response.status.code, "number");
    assert.equal(typeof i.response.body.string, "string");
  }
  assert.ok(doc.interactions.some((i) => i.request.uri.includes(`/subscriptions/${RECORD_SUBSCRIPTION_PLACEHOLDER}/`)));

  // The jump box: its security type and the Windows client licence, and the password replaced.
  const vmPut = writes.find((i) => /\/providers\/Microsoft\.Compute\/virtualMachines\/[^/?]+\?/.test(i.request.uri));
  assert.ok(vmPut, "the jump box was recorded");
  const vm = bodyOf(vmPut).properties as Record<string, unknown>;
  assert.deepEqual(vm.securityProfile, { securityType: "TrustedLaunch", uefiSettings: { secureBootEnabled: true, vTpmEnabled: true } });
  assert.equal(vm.licenseType, "Windows_Client");
  assert.equal((vm.osProfile as { adminPassword?: string }).adminPassword, "REDACTED");

  // The compute instance: assigned to the --local run's person, in the subscription's tenant.
  const ciPut = writes.find((i) => /\/computes\/[^/?]+\?/.test(i.request.uri) && i.request.body?.includes("ComputeInstance"));
  assert.ok(ciPut, "the compute instance was recorded");
  const assigned = (bodyOf(ciPut) as { properties?: { properties?: { personalComputeInstanceSettings?: { assignedUser?: { objectId?: string; tenantId?: string } } } } }).properties
    ?.properties?.personalComputeInstanceSettings?.assignedUser;
  assert.equal(assigned?.objectId, LOCAL_USER_OBJECT_ID);
  assert.match(assigned?.tenantId ?? "", /^[0-9a-f-]{36}$/);
  // Idle shutdown, at an api-version that has it.
  assert.equal((bodyOf(ciPut) as { properties?: { properties?: { idleTimeBeforeShutdown?: string } } }).properties?.properties?.idleTimeBeforeShutdown, "PT90M");
  assert.match(ciPut.request.uri, /api-version=2024-04-01/);
});

test("bad --compute-instance-user, --compute-instance-idle-shutdown and --record-subscription values exit 2 naming the flag, before anything starts", async (t) => {
  const dir = await tempDir(t, "record-bad");
  const user = await runCli(["init", "--local", "--yes", "--state", path.join(dir, "s.json"), "--compute-instance-user", "alice"], { cwd: dir, env: cleanEnv() });
  assert.equal(user.code, 2, user.stderr);
  assert.match(user.stderr, /--compute-instance-user/);
  const sub = await runCli(["plan", "--local", "--state", path.join(dir, "s.json"), "--record", path.join(dir, "r.yaml"), "--record-subscription", "nope"], {
    cwd: dir,
    env: cleanEnv(),
  });
  assert.equal(sub.code, 2, sub.stderr);
  assert.match(sub.stderr, /--record-subscription/);
  await assert.rejects(fs.stat(path.join(dir, "r.yaml")), "nothing was recorded");
  const idle = await runCli(["init", "--local", "--yes", "--state", path.join(dir, "s.json"), "--compute-instance-idle-shutdown", "5"], { cwd: dir, env: cleanEnv() });
  assert.equal(idle.code, 2, idle.stderr);
  assert.match(idle.stderr, /--compute-instance-idle-shutdown/);
});
