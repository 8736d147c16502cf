// Preflight on a re-run (src/preflight/scope.ts), through the real CLI, SDK clients and emulator: what the
// state file proves done is not checked again, what is left to write is, and a state that no longer
// describes Azure (the resource group deleted behind its back) proves nothing.
// - converged re-run: none of preflight's subscription reads (providers, SKUs, usages, permissions,
//   soft-deleted names), no write;
// - a step left unfinished whose VM is gone: its size and quota are read again before the first write;
// - the resource group deleted while the state says every step is done: the full preflight runs, and
//   the key vault the deletion soft-deleted is reported (exit 4, nothing written).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import type { RequestLogEntry } from "../helpers/emulator.js";
import { COMPUTE_INSTANCE_API_VERSION } from "../../src/steps/compute-instance.js";
import { emulatorArgs, emulatorForFile, oneJsonDocument, runCli, tempDir, type ResultDoc } from "./cli-init-fixture.js";

/** A request that changes the world: PUT/PATCH/DELETE, or a POST other than a name check. */
function isWrite(entry: RequestLogEntry): boolean {
  if (["PUT", "PATCH", "DELETE"].includes(entry.method)) return true;
  return entry.method === "POST" && !/\/checkNameAvailability$/i.test(entry.path);
}

/** The subscription-level reads only preflight sends. */
const PREFLIGHT_READS: Array<[string, RegExp]> = [
  ["providers list", /^\/subscriptions\/[^/]+\/providers$/i],
  ["resource SKUs", /\/providers\/Microsoft\.Compute\/skus$/i],
  ["compute usages", /\/providers\/Microsoft\.Compute\/locations\/[^/]+\/usages$/i],
  ["Machine Learning usages", /\/providers\/Microsoft\.MachineLearningServices\/locations\/[^/]+\/usages$/i],
  ["permissions", /\/providers\/Microsoft\.Authorization\/permissions$/i],
  ["deleted vault", /\/providers\/Microsoft\.KeyVault\/locations\/[^/]+\/deletedVaults\//i],
  ["deleted workspaces", /\/providers\/Microsoft\.OperationalInsights\/deletedWorkspaces$/i],
];

function preflightReads(log: readonly RequestLogEntry[]): string[] {
  return PREFLIGHT_READS.filter(([, pattern]) => log.some((e) => e.method === "GET" && pattern.test(e.path))).map(([what]) => what);
}

interface StateFile {
  config: { resourceGroup: string; computeInstance: string; workspace: string };
  steps: Record<string, { status: string; resources: Array<{ id: string; kind: string }> }>;
}

describe("preflight on a re-run checks only what is left to write", () => {
  const emulator = emulatorForFile({ validateSpecs: true });

  it("converged: no preflight read and no write; an unfinished step whose compute is gone: its size and quota are read before the first write", async (t) => {
    const dir = await tempDir(t, "preflight-rerun");
    const statePath = path.join(dir, "state.json");
    const args = ["init", "--yes", "--output", "json", ...emulatorArgs(emulator(), "rerun1", statePath)];
    const first = await runCli(args, { cwd: dir });
    assert.equal(first.code, 0, first.stderr);

    await emulator().clearRequestLog();
    const converged = await runCli(args, { cwd: dir });
    assert.equal(converged.code, 0, converged.stderr);
    const convergedLog = await emulator().requestLog();
    assert.deepEqual(convergedLog.filter(isWrite), [], "the converged re-run writes nothing");
    assert.deepEqual(preflightReads(convergedLog), [], "every step is proven done: nothing to check");
    assert.equal((oneJsonDocument(converged.stdout) as ResultDoc).ok, true);

    // As if the run had stopped before the compute instance: the step not done, the instance not there.
    const state = JSON.parse(await fs.readFile(statePath, "utf8")) as StateFile;
    const instance = state.steps["compute-instance"]?.resources.find((r) => /\/computes\//i.test(r.id));
    assert.ok(instance, "the state names the compute instance");
    const { credential, subscriptionId, clientOptions } = emulator();
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    const resources = new ResourceManagementClient(credential, subscriptionId, clientOptions);
    await resources.resources.beginDeleteByIdAndWait(instance.id, COMPUTE_INSTANCE_API_VERSION, { updateIntervalInMs: 5 });
    const unfinished = state.steps["compute-instance"];
    assert.ok(unfinished);
    unfinished.status = "pending";
    await fs.writeFile(statePath, JSON.stringify(state, null, 2));

    await emulator().clearRequestLog();
    const resumed = await runCli(args, { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    const log = await emulator().requestLog();
    const firstWrite = log.findIndex(isWrite);
    assert.ok(firstWrite > 0, "the compute instance is created again");
    const beforeWrite = log.slice(0, firstWrite);
    const checked = preflightReads(beforeWrite);
    for (const what of ["providers list", "resource SKUs", "Machine Learning usages"])
      assert.ok(checked.includes(what), `${what} read before the first write (read: ${checked.join(", ")})`);
    assert.ok(!checked.includes("compute usages"), "no virtual machine to create: the compute quota is not read");
    assert.ok(
      log.filter(isWrite).every((e) => e.path.toLowerCase().startsWith(instance.id.toLowerCase())),
      "only the compute instance is written",
    );
  });

  it("the resource group deleted behind the state's back: the full preflight runs and names the soft-deleted key vault", async (t) => {
    const dir = await tempDir(t, "preflight-rerun-gone");
    const statePath = path.join(dir, "state.json");
    const args = ["init", "--yes", "--output", "json", "--no-bastion", ...emulatorArgs(emulator(), "rerun2", statePath)];
    const first = await runCli(args, { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const state = JSON.parse(await fs.readFile(statePath, "utf8")) as StateFile;
    assert.ok(Object.values(state.steps).every((s) => s.status === "done"));

    const { credential, subscriptionId, clientOptions } = emulator();
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    await new ResourceManagementClient(credential, subscriptionId, clientOptions).resourceGroups.beginDeleteAndWait(state.config.resourceGroup, { updateIntervalInMs: 5 });

    await emulator().clearRequestLog();
    const rerun = await runCli(args, { cwd: dir });
    assert.equal(rerun.code, 4, rerun.stderr);
    const doc = oneJsonDocument(rerun.stdout) as ResultDoc;
    assert.deepEqual(
      doc.errors.map((e) => e.code),
      ["PREFLIGHT_SOFT_DELETED_KEY_VAULT"],
    );
    const log = await emulator().requestLog();
    assert.deepEqual(log.filter(isWrite), [], "nothing written");
    const checked = preflightReads(log);
    for (const what of ["providers list", "resource SKUs", "compute usages", "Machine Learning usages", "permissions", "deleted vault", "deleted workspaces"]) {
      assert.ok(checked.includes(what), `${what} read (read: ${checked.join(", ")})`);
    }
  });
});
