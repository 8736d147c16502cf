// `secure-aml plan` as a subprocess against the emulator (spec validation on): read-only (the
// emulator sees no write), creates on an empty world and nothing to do after init, the estimate,
// the training-page NSG rules, `--output json` and `--diagram`.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { emulatorArgs, emulatorForFile, ESCAPE, oneJsonDocument, runCli, tempDir, type ResultDoc } from "./cli-init-fixture.js";

const emulator = emulatorForFile({ validateSpecs: true });

/** Requests that only read: GET, HEAD and the name-availability check (a POST that changes nothing). */
function isRead(entry: { method: string; path: string }): boolean {
  return entry.method === "GET" || entry.method === "HEAD" || (entry.method === "POST" && /\/checkNameAvailability$/i.test(entry.path));
}

/**
 * Plan's promise: it sent nothing but reads, and it read what exists: the resource group, and each
 * resource it planned, except one whose parent it plans to create (planned as created without a read).
 */
async function assertReadOnly(resourceGroupId: string, planned?: ReadonlyArray<{ id: string; action: string }>): Promise<void> {
  const log = await emulator().requestLog();
  assert.deepEqual(
    log.filter((e) => !isRead(e)).map((e) => `${e.method} ${e.path}`),
    [],
    "plan sent nothing but reads",
  );
  const read = new Set(log.filter((e) => e.method === "GET").map((e) => e.path.toLowerCase()));
  assert.ok(read.has(resourceGroupId.toLowerCase()), `plan read ${resourceGroupId}`);
  if (!planned) return;
  const creating = planned.filter((p) => p.action === "create").map((p) => `${p.id.toLowerCase()}/`);
  assert.deepEqual(
    planned.map((p) => p.id.toLowerCase()).filter((id) => !read.has(id) && !creating.some((parent) => id.startsWith(parent))),
    [],
    "plan read each resource it planned",
  );
}

const groupId = (name: string) => `/subscriptions/${emulator().subscriptionId}/resourceGroups/${name}`;

test("plan on an empty world: every resource to create, zero writes, estimate and NSG guidance", async (t) => {
  const dir = await tempDir(t, "plan");
  await emulator().clearRequestLog();
  const result = await runCli(["plan", ...emulatorArgs(emulator(), "planempty", path.join(dir, "state.json"))], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  await assertReadOnly(groupId("planempty-rg"));
  assert.match(result.stdout, /\+ create\s+resourceGroups\s+planempty-rg/);
  assert.match(result.stdout, /\+ create\s+virtualNetworks\s+planempty-vnet/);
  assert.match(result.stdout, /\+ create\s+privateEndpoints/);
  assert.doesNotMatch(result.stdout, /^\s+= exists/m, "nothing exists yet");
  assert.match(result.stdout, /Expected time on Azure: .* \(steps run in parallel where they can; .* one after another\)/);
  assert.match(result.stdout, /The critical path, which sets that estimate: resource-group → .* \(.*\)/);
  assert.match(result.stdout, /AzureMachineLearning port 22/);
  assert.doesNotMatch(result.stdout + result.stderr, ESCAPE);
  await assert.rejects(fs.stat(path.join(dir, "state.json")), "plan writes no state file");
});

test("plan --output json: one document in init's shape; after init every resource is `none`", async (t) => {
  const dir = await tempDir(t, "planjson");
  const state = path.join(dir, "state.json");
  const args = emulatorArgs(emulator(), "planjson", state);

  await emulator().clearRequestLog();
  const before = await runCli(["plan", "--output", "json", ...args], { cwd: dir });
  assert.equal(before.code, 0, before.stderr);
  assert.doesNotMatch(before.stderr, ESCAPE);
  const empty = oneJsonDocument(before.stdout) as ResultDoc;
  assert.equal(empty.command, "plan");
  assert.equal(empty.ok, true);
  assert.equal(empty.counts.writes, 0);
  assert.ok(empty.planned);
  // Everything is a create but the image-build step's setting on the workspace its own step creates.
  assert.deepEqual(
    empty.planned.filter((p) => p.action !== "create").map((p) => `${p.action} ${p.kind} ${p.name}`),
    ["update Microsoft.MachineLearningServices/workspaces planjson-ws"],
  );
  assert.ok(
    empty.resources.every((r) => r.action === "absent"),
    "nothing exists yet",
  );
  assert.ok(empty.estimate && empty.estimate.criticalPathSeconds > 0 && empty.estimate.criticalPathSeconds < empty.estimate.sequentialSeconds);
  await assertReadOnly(groupId("planjson-rg"), empty.planned);

  const init = await runCli(["init", "--yes", "--output", "json", ...args], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  const initDoc = oneJsonDocument(init.stdout) as ResultDoc;
  // What plan announced on the empty world is exactly what init then made (role assignments have no ID before the workspace exists).
  const kindAndName = (rs: ReadonlyArray<{ kind: string; name: string }>) => [...new Set(rs.map((r) => `${r.kind.toLowerCase()} ${r.name}`))].sort();
  assert.deepEqual(kindAndName(empty.planned), kindAndName(initDoc.resources));

  await emulator().clearRequestLog();
  const afterInit = await runCli(["plan", "--output", "json", ...args], { cwd: dir });
  assert.equal(afterInit.code, 0, afterInit.stderr);
  const done = oneJsonDocument(afterInit.stdout) as ResultDoc;
  assert.ok(done.planned);
  const idsOf = (rs: ReadonlyArray<{ id: string }>) => [...new Set(rs.map((r) => r.id.toLowerCase()))].sort();
  assert.deepEqual(idsOf(done.planned), idsOf(initDoc.resources), "plan after init reads exactly what init made");
  for (const p of done.planned) assert.equal(p.action, "none", `${p.kind} ${p.name}`);
  assert.ok(done.resources.every((r) => r.action === "unchanged"));
  // Same shape as init's document.
  assert.deepEqual(
    Object.keys(done)
      .filter((k) => k in initDoc)
      .sort(),
    Object.keys(initDoc).sort(),
  );
  await assertReadOnly(groupId("planjson-rg"), done.planned);

  const text = await runCli(["plan", ...args], { cwd: dir });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /0 resources to create, 0 to update/);
});

test("plan --diagram writes the architecture as Mermaid (and says so for .svg)", async (t) => {
  const dir = await tempDir(t, "diagram");
  const state = path.join(dir, "state.json");
  const mmd = path.join(dir, "arch.mmd");
  const first = await runCli(["plan", "--diagram", mmd, "--no-bastion", ...emulatorArgs(emulator(), "plandiag", state)], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  const text = await fs.readFile(mmd, "utf8");
  assert.match(text, /^flowchart/);
  assert.match(text, /plandiag-vnet/);
  assert.match(text, /Training 172\.16\.0\.0\/24/);
  assert.match(first.stdout, /Switched off: .*--no-bastion/);

  const svg = path.join(dir, "arch.svg");
  const second = await runCli(["plan", "--diagram", svg, ...emulatorArgs(emulator(), "plandiag", state)], { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  assert.match(await fs.readFile(path.join(dir, "arch.mmd"), "utf8"), /^flowchart/);
  assert.match(second.stdout, /SVG needs a Mermaid renderer/);
});
