// The state lock and atomic writes, with real processes: a second run exits 3 at once naming the
// holder; locks of killed processes are taken over; SIGTERM/SIGINT release it; a writer killed at
// random moments never leaves an unreadable state file.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { lockHolder, lockPathFor, processStartOf } from "../../src/engine/lock.js";
import { openState, readState } from "../../src/engine/state.js";
import { SecureAmlError } from "../../src/errors.js";
import { killAllChildren, runRunner, startRunner, tempDir } from "../fixtures/engine/processes.js";

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  killAllChildren();
  for (const c of cleanups) await c();
});
async function statePathIn(): Promise<string> {
  const d = await tempDir("secure-aml-lock-");
  cleanups.push(d.remove);
  return join(d.path, "state.json");
}

/** The pid of a process that has certainly exited. */
async function deadPid(): Promise<number> {
  const r = startRunner(["try", "--state", await statePathIn()]);
  const pid = r.child.pid as number;
  await r.done;
  return pid;
}

describe("state lock", () => {
  it("a second run exits 3 at once, naming the holder's pid, while the first holds the lock", async () => {
    const path = await statePathIn();
    const holder = startRunner(["hold", "--state", path]);
    const line = await holder.line("HOLDING ");
    const pid = Number(line.split(" ")[1]);
    const second = await runRunner(["try", "--state", path]);
    assert.equal(second.code, 3, second.stderr);
    assert.match(second.stderr, new RegExp(`pid ${pid} `));
    assert.match(second.stderr, /in use by another secure-aml run/);
    assert.equal(holder.child.exitCode, null, "the holder was still running when the second run gave up");
    assert.equal((await lockHolder(path))?.pid, pid);

    holder.child.stdin?.end();
    const first = await holder.done;
    assert.equal(first.code, 0, first.stderr);
    assert.equal(existsSync(lockPathFor(path)), false, "released on normal exit");
    const third = await runRunner(["try", "--state", path]);
    assert.equal(third.code, 0, third.stderr);
  });

  it("in one process, a second open of the same state is refused too", async () => {
    const path = await statePathIn();
    const first = await openState(path, { create: true });
    await assert.rejects(openState(path, { create: true }), (err: unknown) => err instanceof SecureAmlError && err.code === "STATE_LOCKED" && err.exitCode === 3);
    await first.close();
    const again = await openState(path, { create: false });
    await again.close();
  });

  it("takes over the lock of a SIGKILLed run", async () => {
    const path = await statePathIn();
    const holder = startRunner(["hold", "--state", path]);
    await holder.line("HOLDING ");
    holder.child.kill("SIGKILL");
    assert.equal((await holder.done).signal, "SIGKILL");
    assert.equal(existsSync(lockPathFor(path)), true, "a killed process leaves its lock behind");
    assert.equal(await lockHolder(path), undefined, "and it is recognised as stale");
    const next = await runRunner(["try", "--state", path]);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(existsSync(lockPathFor(path)), false);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`releases the lock when ${signal} kills a run that does not handle it`, async () => {
      const path = await statePathIn();
      const holder = startRunner(["hold", "--state", path]);
      await holder.line("HOLDING ");
      holder.child.kill(signal);
      const done = await holder.done;
      assert.equal(done.signal, signal, "the signal still terminates the process");
      assert.equal(existsSync(lockPathFor(path)), false);
    });
  }

  it("on SIGINT handled by the run: saves state, exits 130 and releases the lock", async () => {
    const path = await statePathIn();
    const run = startRunner(["wait-step", "--state", path]);
    await run.line("STEP-RUNNING");
    run.child.kill("SIGINT");
    const done = await run.done;
    assert.equal(done.code, 130, done.stderr);
    assert.match(done.stdout, /"status":"interrupted"/);
    const state = await readState(path);
    assert.equal(state?.steps.waiter?.status, "pending");
    assert.equal(state?.steps.waiter.lastError?.code, "INTERRUPTED");
    assert.equal(state?.steps.after?.status, "pending");
    assert.equal(existsSync(lockPathFor(path)), false);
  });

  it("takes over a lock whose pid is dead or was reused; respects a live one", async () => {
    const path = await statePathIn();
    const lockPath = lockPathFor(path);
    const write = (owner: object) => writeFile(lockPath, JSON.stringify({ hostname: hostname(), startedAt: "2020-01-01T00:00:00Z", nonce: "n", ...owner }));

    await write({ pid: await deadPid() });
    await (await openState(path, { create: true })).close();

    // Our own pid, but a different process start: the pid was recycled.
    await write({ pid: process.pid, processStart: `${processStartOf(process.pid) ?? "1"}0` });
    const reused = await openState(path, { create: true });
    await reused.close();

    // A live holder (the parent of this test process) is respected.
    await write({ pid: process.ppid, processStart: processStartOf(process.ppid) });
    await assert.rejects(
      openState(path, { create: true }),
      (err: unknown) => err instanceof SecureAmlError && err.code === "STATE_LOCKED" && err.message.includes(`pid ${process.ppid} `),
    );
    assert.match(await readFile(lockPath, "utf8"), new RegExp(`"pid":${process.ppid}`), "a live lock is left alone");
  });

  it("a lock from another host is respected while fresh and taken over once stale", async () => {
    const path = await statePathIn();
    const lockPath = lockPathFor(path);
    await writeFile(lockPath, JSON.stringify({ pid: 1, hostname: "some-other-host.invalid", startedAt: "2020-01-01T00:00:00Z", nonce: "n" }));
    await assert.rejects(openState(path, { create: true }), (err: unknown) => err instanceof SecureAmlError && err.code === "STATE_LOCKED" && /some-other-host/.test(err.message));
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(lockPath, old, old);
    const state = await openState(path, { create: true });
    await state.close();
    assert.equal(existsSync(lockPath), false);
  });
});

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("atomic writes", () => {
  it("a writer SIGKILLed at random moments never leaves an unreadable state file", async () => {
    const path = await statePathIn();
    // Kill moments from a seeded generator: a failure names its seed and round, and
    // SECURE_AML_TEST_SEED=<seed> replays the same moments.
    const seed = Number(process.env.SECURE_AML_TEST_SEED ?? 20261130);
    const random = mulberry32(seed);
    let sawSteps = 0;
    for (let round = 0; round < 15; round++) {
      const where = `seed ${seed}, round ${round}`;
      const writer = startRunner(["write-loop", "--state", path]);
      await writer.line("READY");
      await new Promise((r) => setTimeout(r, Math.floor(random() * 40)));
      writer.child.kill("SIGKILL");
      assert.equal((await writer.done).signal, "SIGKILL", where);
      const text = await readFile(path, "utf8");
      const state = await readState(path); // parses and passes the shape check
      assert.ok(state, where);
      assert.ok(text.endsWith("}\n"), `whole file (${where})`);
      sawSteps += Object.keys(state.steps).length;
    }
    assert.ok(sawSteps > 0);
    // The next run (lock taken over) cleans the temp files killed writers left behind.
    const state = await openState(path, { create: false });
    await state.close();
    const names = await readdir(join(path, ".."));
    assert.deepEqual(
      names.filter((n) => n !== "state.json"),
      [],
    );
  });
});
