// The reduced reliability set that runs in CI (`npm test`): a few kill points (init, destroy, stop),
// one fault run, the lock, the whole bad-input corpus, the secrets grep and the token cases. The full set with every figure is
// `npm run reliability` (bench/reliability.ts → docs/reliability.md). No timing assertions here.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import {
  badInputScenario,
  cleanRun,
  crashAnywhere,
  crashDayTwo,
  deploymentSnapshot,
  tokenScenario,
  faultRun,
  lockScenario,
  secretsScenario,
  type Baseline,
} from "../../bench/reliability-checks.js";
import { BAD_INPUTS } from "../../bench/bad-inputs.js";

const options = { log: (line: string) => void process.stderr.write(`# ${line}\n`) };

describe("reliability (CI subset)", { concurrency: false }, () => {
  let baseline: Baseline;

  before(async () => {
    baseline = await cleanRun(options);
  });

  test("the clean run leaves no duplicates and nothing pending", () => {
    assert.ok(baseline.inventory.keys.length > 20, `only ${baseline.inventory.keys.length} resources`);
    assert.deepEqual(baseline.inventory.duplicates, []);
    assert.deepEqual(baseline.inventory.pending, []);
  });

  test("killed after each of the first requests, a rerun converges to the clean inventory", async () => {
    const points = await crashAnywhere({ ...options, baseline, afterRequests: [1, 4, 9, 16, 30], randomKills: 0, timeScale: 0.02, realisticWallMs: 0, seed: 1, maxReruns: 3 });
    for (const point of points) {
      assert.deepEqual(point.extra, [], `${point.label}: extra resources`);
      assert.deepEqual(point.missing, [], `${point.label}: missing resources`);
      assert.deepEqual(point.duplicates, [], `${point.label}: duplicates`);
      assert.deepEqual(point.stateProblems, [], `${point.label}: state file`);
      assert.ok(point.converged, `${point.label}: not converged (${point.rerunErrors.join("; ")})`);
    }
  });

  test("transient 500/503/429/dropped connections at 10% each: init completes and converges", async () => {
    const result = await faultRun({ ...options, baseline, label: "mixed", spec: "seed=3;429:rate=0.1,retry-after=1;500:rate=0.1;503:rate=0.1;drop:rate=0.1" });
    assert.ok(result.faultsInjected > 0, "no fault was injected");
    assert.equal(result.finalExit, 0, result.firstError);
    assert.ok(result.converged, `not converged: ${[...result.extra, ...result.duplicates].join("; ")}`);
  });

  test("a second init on a held state exits 3; the lock of a killed run is recovered", async () => {
    const lock = await lockScenario({ ...options, timeScale: 0.01 });
    assert.ok(lock.firstStillRunning, "the first run ended before the second started: the test proves nothing");
    assert.equal(lock.secondExit, 3, lock.secondMessage);
    assert.ok(lock.recovered, `exits after the kill: ${lock.recoveryExits.join(", ")}`);
    assert.equal(lock.lockFileLeft, false);
  });

  test(`every case of the bad-input corpus (${BAD_INPUTS.length}) exits 2, names field and rule, sends nothing, leaves the state`, async () => {
    const results = await badInputScenario(options);
    assert.deepEqual(
      results.map((r) => r.name),
      BAD_INPUTS.map((c) => c.name),
      "every case of the corpus ran, in order",
    );
    const failures = results
      .filter((r) => !r.ok)
      .map((r) => `${r.name}: exit ${String(r.exit)}, field ${r.namesField}, rule ${r.namesRule}, requests ${r.requests}, state ${r.stateUntouched} — ${r.message}`);
    assert.deepEqual(failures, []);
  });

  test("killed during destroy --purge and stop, a rerun finishes the job and purges nothing foreign", async () => {
    const snapshot = await deploymentSnapshot({ ...options, measure: false });
    try {
      const points = await crashDayTwo({ ...options, snapshot, commands: ["destroy", "stop"], maxAfterRequests: 1, randomKills: 0, timeScale: 0.02, seed: 1 });
      assert.equal(points.length, 2);
      for (const point of points) {
        assert.ok(point.killed, `${point.label}: finished before the kill, the test proves nothing`);
        assert.ok(point.converged, `${point.label}: ${point.problems.join("; ")}`);
      }
    } finally {
      await fs.rm(snapshot.dir, { recursive: true, force: true });
    }
  });

  test("a real token goes only to the cloud or a declared endpoint; loopback by resolved address; the password is not inherited", async () => {
    const cases = await tokenScenario(options);
    assert.ok(cases.length >= 7, `${cases.length} cases`);
    assert.deepEqual(
      cases.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
      [],
    );
  });

  test("no secret in state, stdout, stderr or JSON output; state 0600 in a 0700 directory", async () => {
    const secrets = await secretsScenario(options);
    assert.equal(secrets.runs[secrets.runs.length - 1]?.exit, 0, JSON.stringify(secrets.runs));
    assert.ok(secrets.passwordReachedVm);
    assert.deepEqual(secrets.leaks, []);
    assert.equal(secrets.stateMode, "600");
    assert.equal(secrets.dirMode, "700");
  });
});
