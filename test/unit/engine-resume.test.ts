// Crash anywhere, resume to the same end: a real process running a small step graph is SIGKILLed at
// each step boundary (start saved, before the effect, after the effect, done saved), then rerun. Every
// time the end must be the same: each step's one marker (no duplicates), all steps done, valid state.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readState, type StepRecord } from "../../src/engine/state.js";
import { killAllChildren, runRunner, tempDir } from "../fixtures/engine/processes.js";

const STEP_IDS = ["network", "storage", "vault", "workspace", "extra"];
const BOUNDARIES = STEP_IDS.length * 4;

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  killAllChildren();
  for (const c of cleanups) await c();
});

async function assertConverged(dir: string): Promise<void> {
  const markers = await readdir(join(dir, "markers"));
  for (const id of STEP_IDS) {
    const mine = markers.filter((m) => m.startsWith(`${id}--`));
    assert.equal(mine.length, 1, `exactly one marker for ${id}, got ${JSON.stringify(mine)}`);
  }
  assert.equal(markers.length, STEP_IDS.length, `no stray markers: ${JSON.stringify(markers)}`);
  const state = await readState(join(dir, "state.json"));
  assert.ok(state, "state file exists");
  for (const id of STEP_IDS) {
    const record: StepRecord | undefined = state.steps[id];
    assert.equal(record?.status, "done", `step ${id} done`);
    assert.ok(markers.includes(record.outputs.name!), `output of ${id} names its marker`);
    // "created" is only known when the run that created it lived to save it (a kill between the
    // effect and the save leaves the rerun seeing "unchanged"), but it never names anything else.
    if (record.createdIds !== undefined) assert.deepEqual(record.createdIds, [`/markers/${record.outputs.name}`], `createdIds of ${id}`);
  }
  const workspace = await readFile(join(dir, "markers", state.steps.workspace!.outputs.name!), "utf8");
  assert.equal(workspace, `workspace storage=${state.steps.storage!.outputs.name} vault=${state.steps.vault!.outputs.name}`);
  assert.equal(existsSync(join(dir, "state.json.lock")), false, "lock released");
  const leftovers = (await readdir(dir)).filter((n) => n.startsWith("state.json."));
  assert.deepEqual(leftovers, [], "no temp files left");
}

for (const concurrency of [1, 3]) {
  describe(`SIGKILL at every step boundary, concurrency ${concurrency}`, () => {
    it(`resumes to the same end from each of ${BOUNDARIES} kill points`, async () => {
      const seen = new Set<string>();
      const killPoint = async (killAt: number) => {
        const dir = await tempDir();
        cleanups.push(dir.remove);
        const args = ["graph", "--state", join(dir.path, "state.json"), "--markers", join(dir.path, "markers"), "--concurrency", String(concurrency)];
        const killed = await runRunner([...args, "--kill-at", String(killAt)]);
        assert.equal(killed.signal, "SIGKILL", `kill point ${killAt} reached (stderr: ${killed.stderr})`);
        // The state file is valid at every kill point, whatever it records.
        const mid = await readState(join(dir.path, "state.json"));
        assert.ok(mid);
        seen.add(JSON.stringify(Object.values(mid.steps).map((s) => s.status)));
        const rerun = await runRunner(args);
        assert.equal(rerun.code, 0, `rerun after kill point ${killAt}: ${rerun.stderr}${rerun.stdout}`);
        await assertConverged(dir.path);
        await dir.remove();
      };
      // Kill points are independent (own directories): a few at a time, since most of the wait is fsync.
      const points = Array.from({ length: BOUNDARIES }, (_, i) => i + 1);
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let p = points.shift(); p !== undefined; p = points.shift()) await killPoint(p);
        }),
      );
      assert.ok(seen.size > 3, "kill points left the state in different places");
    });
  });
}

describe("kill, kill again, then finish", () => {
  it("converges after a chain of kills at later and later points", async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const args = ["graph", "--state", join(dir.path, "state.json"), "--markers", join(dir.path, "markers"), "--concurrency", "2"];
    for (const killAt of [2, 5, 9, 14, 19]) {
      const killed = await runRunner([...args, "--kill-at", String(killAt)]);
      assert.equal(killed.signal, "SIGKILL");
    }
    const rerun = await runRunner(args);
    assert.equal(rerun.code, 0, rerun.stderr);
    await assertConverged(dir.path);
  });

  it("a permanent failure exits 1 with the resume command, and the rerun finishes", async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const args = ["graph", "--state", join(dir.path, "state.json"), "--markers", join(dir.path, "markers"), "--concurrency", "1"];
    const failed = await runRunner([...args, "--fail", "vault"]);
    assert.equal(failed.code, 1, failed.stderr);
    const out = JSON.parse(failed.stdout.trim().split("\n").pop() as string) as {
      summary: { failedStep: string; error: { code: string; next: string }; steps: Array<{ id: string; status: string; reason?: string }> };
    };
    assert.equal(out.summary.failedStep, "vault");
    assert.equal(out.summary.error.code, "STEP_FAILED");
    assert.match(out.summary.error.next, /^runner graph --state /);
    const byId = Object.fromEntries(out.summary.steps.map((s) => [s.id, s]));
    assert.equal(byId.workspace!.status, "skipped");
    assert.equal(byId.extra!.status, "skipped");
    const state = await readState(join(dir.path, "state.json"));
    assert.equal(state?.steps.vault?.status, "failed");
    assert.deepEqual(state?.steps.vault.lastError, { code: "STEP_FAILED", message: "step vault fails on purpose" });
    assert.equal(state?.steps.network?.status, "done");
    const rerun = await runRunner(args);
    assert.equal(rerun.code, 0, rerun.stderr);
    await assertConverged(dir.path);
  });
});
