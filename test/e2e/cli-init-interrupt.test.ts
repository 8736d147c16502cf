// Runs of `secure-aml init` that are stopped mid-way, against an emulator with realistic latencies
// scaled down (a full run takes seconds): the lock keeps a second run off the same state (exit 3),
// Ctrl-C exits 130 with the resume command, and a run killed with SIGKILL resumes to the same end
// state with nothing duplicated.

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  declaredByState,
  emulatorArgs,
  emulatorForFile,
  oneJsonDocument,
  resourcesIn,
  runCli,
  startCli,
  stateSteps,
  tempDir,
  waitFor,
  type ResultDoc,
} from "./cli-init-fixture.js";

const emulator = emulatorForFile({ latency: "realistic", timeScale: 0.02, validateSpecs: false });

async function someStepsDone(state: string, atLeast: number): Promise<boolean> {
  const steps = Object.values(await stateSteps(state));
  return steps.filter((s) => s.status === "done").length >= atLeast;
}

/** Counts of what duplication would show: private endpoints and role assignments of one deployment. */
async function duplicationCounts(resourceGroup: string): Promise<{ privateEndpoints: string[]; roleAssignments: number }> {
  const resources = await resourcesIn(emulator(), resourceGroup);
  return {
    // Names carry a per-deployment suffix; the private-link group ends each name ("pe-...-blob").
    privateEndpoints: resources
      .filter((r) => r.type === "microsoft.network/privateendpoints")
      .map((r) => (r.id.split("/").pop() ?? "").split("-").pop() ?? "")
      .sort(),
    roleAssignments: resources.filter((r) => r.type === "microsoft.authorization/roleassignments").length,
  };
}

let reference: { privateEndpoints: string[]; roleAssignments: number } | undefined;

test("an uninterrupted run (the reference for what a finished deployment holds)", async (t) => {
  const dir = await tempDir(t, "ref");
  const statePath = path.join(dir, "s.json");
  const result = await runCli(["init", "--yes", "--output", "json", ...emulatorArgs(emulator(), "cliref", statePath)], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.equal((oneJsonDocument(result.stdout) as ResultDoc).ok, true);
  reference = await duplicationCounts("cliref-rg");
  // Exactly what the steps declare: one endpoint per private-link group, one assignment per declared role.
  const declared = await declaredByState(emulator(), statePath);
  assert.deepEqual(
    reference.privateEndpoints,
    declared
      .filter((d) => d.kind === "Microsoft.Network/privateEndpoints")
      .map((d) => d.name.split("-").pop() ?? "")
      .sort(),
  );
  // The tutorial's endpoints: storage (blob, file), key vault, registry, workspace, Azure Monitor.
  assert.deepEqual(reference.privateEndpoints, ["amlworkspace", "azuremonitor", "blob", "file", "registry", "vault"]);
  assert.equal(reference.roleAssignments, declared.filter((d) => d.kind === "Microsoft.Authorization/roleAssignments").length);
});

test("a second init on the same state exits 3 while the first runs; Ctrl-C then exits 130 with the resume command", async (t) => {
  const dir = await tempDir(t, "lock");
  const state = path.join(dir, "state.json");
  const args = ["init", "--yes", ...emulatorArgs(emulator(), "clilock", state)];
  const first = startCli(args, { cwd: dir });
  t.after(() => {
    if (first.child.exitCode === null) first.child.kill("SIGKILL");
  });
  await waitFor("the first run to start its steps", () => someStepsDone(state, 1));

  const second = await runCli(args, { cwd: dir });
  assert.equal(second.code, 3, second.stderr);
  assert.match(second.stderr, /lock|another/i);

  first.child.kill("SIGINT");
  const ended = await first.done;
  assert.equal(ended.code, 130, ended.stderr);
  assert.match(ended.stderr, /next: secure-aml init --state \S+state\.json/);
  const steps = Object.values(await stateSteps(state));
  assert.ok(
    steps.every((s) => s.status !== "running"),
    "no step is left recorded as running",
  );

  const resumed = await runCli([...args, "--output", "json"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  const counts = await duplicationCounts("clilock-rg");
  assert.ok(reference, "the reference run ran first");
  assert.deepEqual(counts, reference);
});

test("init killed with SIGKILL mid-run resumes to the same end state with nothing duplicated", async (t) => {
  const dir = await tempDir(t, "kill");
  const state = path.join(dir, "state.json");
  const args = ["init", "--yes", ...emulatorArgs(emulator(), "clikill", state)];
  const first = startCli(args, { cwd: dir });
  t.after(() => {
    if (first.child.exitCode === null) first.child.kill("SIGKILL");
  });
  // Kill while private endpoints and role assignments are being made.
  await waitFor("private endpoints to be under way", async () => (await duplicationCounts("clikill-rg")).privateEndpoints.length >= 1);
  first.child.kill("SIGKILL");
  const killed = await first.done;
  assert.equal(killed.signal, "SIGKILL");

  const resumed = await runCli([...args, "--output", "json"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = oneJsonDocument(resumed.stdout) as ResultDoc;
  assert.equal(doc.ok, true);
  assert.ok(
    doc.resources.some((r) => r.action === "unchanged"),
    "what the killed run made is found, not made again",
  );

  const again = await runCli([...args, "--output", "json"], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.equal((oneJsonDocument(again.stdout) as ResultDoc).counts.writes, 0);

  const counts = await duplicationCounts("clikill-rg");
  assert.ok(reference, "the reference run ran first");
  assert.deepEqual(counts, reference);
});
