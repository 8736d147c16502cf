// Issue 12's state cases with the real CLI against the emulator (bench/reliability-state.ts, the same
// functions `npm run reliability` reports): a real full disk and a read-only one (a tmpfs; skipped,
// with the reason, where mounting is not permitted), --state naming a directory, two runs through a
// symlink, a hard-linked state, a shared `.secure-aml` directory, state files others can write or own.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { diskFullScenario, lockCasesScenario, stateCases } from "../../bench/reliability-state.js";

const options = { log: (line: string) => void process.stderr.write(`# ${line}\n`) };

describe("reliability: the state file", { concurrency: false }, () => {
  test("disk full, read-only, symlink and hard-link locks, shared directory, foreign state", async (t) => {
    const disk = await diskFullScenario(options);
    const lock = await lockCasesScenario({ ...options, timeScale: 0.02, rounds: 3 });
    const cases = stateCases(disk, lock);
    assert.equal(cases.length, 8);
    for (const c of cases) {
      if (c.skipped) {
        t.diagnostic(`${c.name}: skipped: ${c.skipped}`);
        continue;
      }
      assert.ok(c.ok, `${c.name}: ${c.detail}`);
    }
    // The figures themselves, so that a case cannot pass vacuously.
    assert.deepEqual(lock.symlinkSecondExits, [3, 3, 3]);
    assert.deepEqual(lock.hardLinkExits, [2, 2]);
    if (!disk.skipped) {
      assert.equal(disk.fullExit, 5);
      assert.equal(disk.fullCode, "STATE_WRITE_FAILED");
      assert.equal(disk.resumeExit, 0);
      assert.equal(disk.readOnlyExit, 5);
    }
  });
});
