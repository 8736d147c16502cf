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
  const writes = doc.interactions.filter((i) => i.request.method === "PUT");
  // Every exchange of the run: a request on each resource the run reports (it reads each before deciding),
  // and every PUT on one of them. Compared by path, the subscription as the recording names it.
  const state = JSON.parse(await fs.readFile(path.join(dir, "state.json"), "utf8")) as { steps: Record<string, { resources?: Array<{ id: string }> }> };
  const asRecorded = (id: string) => id.split(LOCAL_SUBSCRIPTION_ID).join(RECORD_SUBSCRIPTION_PLACEHOLDER).toLowerCase();
  const reported = new Set(Object.values(state.steps).flatMap((step) => (step.resources ?? []).map((r) => asRecorded(r.id))));
  // Calls by full ID (generic resources, role assignments) send "//subscriptions/..."; ARM reads it as one slash.
  const pathOf = (i: CassetteInteraction) => new URL(i.request.uri).pathname.replace(/\/{2,}/g, "/").toLowerCase();
  const touched = new Set(doc.interactions.map(pathOf));
  assert.deepEqual(
    [...reported].filter((id) => !touched.has(id)),
    [],
    "a recorded exchange for each resource of the run",
  );
  assert.deepEqual(
    writes.map(pathOf).filter((p) => !reported.has(p)),
    [],
    "every recorded PUT is on a resource of the run",
  );
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
