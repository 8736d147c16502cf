// The file store's guarantees (issue 12): a failed write (full disk, short write, read-only) leaves
// the previous state byte-for-byte intact and ends in exit 5; the lock is on the resolved file
// (symlinks) and a hard-linked state is refused; only directories secure-aml creates get mode 0700;
// state files others can write are refused. Failures are injected through StateFileOps here;
// test/unit/state-disk.test.ts does the same on a real 64 KB tmpfs.

import assert from "node:assert/strict";
import { existsSync, type Stats } from "node:fs";
import { chmod, chown, link, mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openState, readState } from "../../src/engine/state.js";
import { ExitCode, InputError, SecureAmlError } from "../../src/errors.js";
import { checkStateFileSafety, nodeFileOps, resolveStatePath, writeStateFile, type StateFileOps } from "../../src/state/file-store.js";
import { resolveRunOptions } from "../../src/config/resolve.js";
import { killAllChildren, runRunner, startRunner, tempDir } from "../fixtures/engine/processes.js";

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  killAllChildren();
  for (const c of cleanups) await c();
});
async function dir(): Promise<string> {
  const d = await tempDir("secure-aml-store-");
  cleanups.push(d.remove);
  return d.path;
}

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** Writes the first half of the text, then fails as the kernel does on a full disk. */
const fullDisk: StateFileOps = {
  ...nodeFileOps,
  async createDurable(path, text) {
    await writeFile(path, text.slice(0, Math.floor(text.length / 2)), { mode: 0o600 });
    throw errnoError("ENOSPC");
  },
};

/** Writes the first half and reports success: the single write() whose short count nobody checked. */
const silentShortWrite: StateFileOps = {
  ...nodeFileOps,
  async createDurable(path, text) {
    await writeFile(path, text.slice(0, Math.floor(text.length / 2)), { mode: 0o600 });
  },
};

const readOnlyRename: StateFileOps = {
  ...nodeFileOps,
  async rename() {
    throw errnoError("EROFS");
  },
};

function isCode(code: string, exitCode: number) {
  return (err: unknown) => {
    assert.ok(err instanceof SecureAmlError, `expected a SecureAmlError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.exitCode, exitCode);
    return true;
  };
}

/** A state with a saved step, then the byte-exact text of its file. */
async function savedState(d: string): Promise<{ path: string; before: string }> {
  const path = join(d, "state.json");
  const state = await openState(path, { create: true });
  await state.update((s) => {
    s.steps.network = { status: "done", attempts: 1, outputs: { vnetId: "/subscriptions/x/vnet" }, resources: [] };
  });
  await state.close();
  return { path, before: await readFile(path, "utf8") };
}

describe("file store: a failed write loses nothing", () => {
  for (const [name, ops, errno] of [
    ["a full disk (ENOSPC mid-write)", fullDisk, "ENOSPC"],
    ["a short write reported as success", silentShortWrite, undefined],
    ["a read-only file system at rename (EROFS)", readOnlyRename, "EROFS"],
  ] as const) {
    it(`${name}: the save rejects with exit 4, the previous state is byte-for-byte intact, no temp file is left`, async () => {
      const d = await dir();
      const { path, before } = await savedState(d);
      const state = await openState(path, { create: false, fileOps: ops });
      await assert.rejects(
        state.update((s) => {
          s.steps.network!.outputs.more = "x".repeat(5000);
        }),
        (err: unknown) => {
          isCode("STATE_WRITE_FAILED", ExitCode.stateStorage)(err);
          const e = err as SecureAmlError;
          assert.match(e.message, /previous state is intact/);
          if (errno) assert.match(e.message, new RegExp(errno));
          assert.ok(e.next && e.next.length > 0, "names the next thing to do");
          return true;
        },
      );
      await state.close();
      assert.equal(await readFile(path, "utf8"), before);
      assert.deepEqual((await readdir(d)).sort(), ["state.json"], "no temp or lock file left");
      const reopened = await readState(path);
      assert.equal(reopened?.steps.network?.outputs.vnetId, "/subscriptions/x/vnet");
    });
  }

  it("a later save after the disk has room again writes everything, including what the failed save carried", async () => {
    const d = await dir();
    const { path } = await savedState(d);
    let failNext = true;
    const flaky: StateFileOps = {
      ...nodeFileOps,
      async createDurable(p, text) {
        if (failNext) {
          failNext = false;
          throw errnoError("ENOSPC");
        }
        return nodeFileOps.createDurable(p, text);
      },
    };
    const state = await openState(path, { create: false, fileOps: flaky });
    await assert.rejects(
      state.update((s) => (s.steps.network!.outputs.a = "1")),
      isCode("STATE_WRITE_FAILED", 5),
    );
    await state.update((s) => (s.steps.network!.outputs.b = "2"));
    await state.close();
    const saved = await readState(path);
    assert.deepEqual(saved?.steps.network?.outputs, { vnetId: "/subscriptions/x/vnet", a: "1", b: "2" });
  });

  it("writeStateFile on a missing directory is exit 4 with the errno, nothing created", async () => {
    const d = await dir();
    await assert.rejects(writeStateFile(join(d, "missing", "state.json"), "{}\n"), isCode("STATE_WRITE_FAILED", 5));
    assert.equal(existsSync(join(d, "missing")), false);
  });

  it("a first save that fails (init on a full disk) leaves no state file and exits 4", async () => {
    const d = await dir();
    const path = join(d, "state.json");
    await assert.rejects(openState(path, { create: true, fileOps: fullDisk }), isCode("STATE_WRITE_FAILED", 5));
    assert.deepEqual(await readdir(d), [], "no state, temp or lock file");
  });
});

describe("file store: --state naming a directory", () => {
  it("is exit 2 from openState and readState, and a bad-input problem for the state option", async () => {
    const d = await dir();
    await assert.rejects(openState(d, { create: true }), isCode("STATE_IS_DIRECTORY", 2));
    await assert.rejects(readState(d), isCode("STATE_IS_DIRECTORY", 2));
    assert.equal(existsSync(`${d}.lock`), false, "no lock file beside it");
    assert.throws(
      () => resolveRunOptions({ state: d }, {}, false),
      (err: unknown) => err instanceof InputError && err.problems.some((p) => p.field === "state" && /directory/.test(p.rule)),
    );
  });
});

describe("file store: the lock is on the resolved file", () => {
  it("a symlink to the state and the state itself share one lock (in one process)", async () => {
    const d = await dir();
    const real = join(d, "state.json");
    const alias = join(d, "alias.json");
    await symlink(real, alias);
    const first = await openState(alias, { create: true });
    assert.equal(first.path, real, "the handle names the resolved file");
    assert.equal(existsSync(`${real}.lock`), true);
    await assert.rejects(openState(real, { create: true }), isCode("STATE_LOCKED", 3));
    await assert.rejects(openState(alias, { create: true }), isCode("STATE_LOCKED", 3));
    await first.close();
    const again = await openState(real, { create: false });
    await again.close();
  });

  it("a symlinked directory on the path and a dangling symlink resolve to the same file", async () => {
    const d = await dir();
    await mkdir(join(d, "shared"));
    await symlink(join(d, "shared"), join(d, "linkdir"));
    await symlink(join(d, "shared", "state.json"), join(d, "dangling.json"));
    const expected = join(d, "shared", "state.json");
    assert.equal(await resolveStatePath(join(d, "linkdir", "state.json")), expected);
    assert.equal(await resolveStatePath(join(d, "dangling.json")), expected);
    const held = await openState(join(d, "dangling.json"), { create: true });
    await assert.rejects(openState(join(d, "linkdir", "state.json"), { create: true }), isCode("STATE_LOCKED", 3));
    await held.close();
  });

  it("two processes through a symlink: the second exits 3 while the first holds the lock (3 of 3 rounds)", async () => {
    for (let round = 0; round < 3; round++) {
      const d = await dir();
      const real = join(d, "state.json");
      const alias = join(d, "alias.json");
      await symlink(real, alias);
      const holder = startRunner(["hold", "--state", round % 2 === 0 ? alias : real]);
      await holder.line("HOLDING ");
      const second = await runRunner(["try", "--state", round % 2 === 0 ? real : alias]);
      assert.equal(second.code, 3, second.stderr);
      assert.match(second.stderr, /in use by another secure-aml run/);
      holder.child.stdin?.end();
      assert.equal((await holder.done).code, 0);
    }
  });

  it("a state file with a second hard link is refused (exit 2), untouched, no lock left", async () => {
    const d = await dir();
    const { path, before } = await savedState(d);
    await link(path, join(d, "other.json"));
    for (const name of [path, join(d, "other.json")]) {
      await assert.rejects(openState(name, { create: true }), (err: unknown) => {
        isCode("STATE_HARD_LINKED", 2)(err);
        assert.match((err as SecureAmlError).next ?? "", /ln -sf/);
        return true;
      });
    }
    assert.equal(await readFile(path, "utf8"), before);
    assert.equal(existsSync(`${path}.lock`) || existsSync(join(d, "other.json.lock")), false);
  });
});

describe("file store: directory modes", () => {
  it("a directory it creates gets 0700 (with every parent it creates)", async () => {
    const d = await dir();
    const path = join(d, "a", "b", ".secure-aml", "state.json");
    const state = await openState(path, { create: true });
    await state.close();
    for (const sub of ["a", "a/b", "a/b/.secure-aml"]) assert.equal((await stat(join(d, sub))).mode & 0o777, 0o700, sub);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(d)).mode & 0o777, 0o700, "the existing parent is unchanged (mkdtemp made it 0700)");
  });

  it("a .secure-aml that is a symlink to a shared directory keeps that directory's mode", async () => {
    const d = await dir();
    const shared = join(d, "shared");
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const work = join(d, "work");
    await mkdir(work);
    await symlink(shared, join(work, ".secure-aml"));
    const state = await openState(join(work, ".secure-aml", "state.json"), { create: true });
    await state.close();
    assert.equal((await stat(shared)).mode & 0o7777, 0o1777, "not chmod'ed");
    assert.equal(existsSync(join(shared, "state.json")), true);
  });

  it("an existing .secure-aml directory of mode 0755 is left as it is", async () => {
    const d = await dir();
    await mkdir(join(d, ".secure-aml"));
    await chmod(join(d, ".secure-aml"), 0o755);
    const state = await openState(join(d, ".secure-aml", "state.json"), { create: true });
    await state.close();
    assert.equal((await stat(join(d, ".secure-aml"))).mode & 0o777, 0o755);
  });
});

describe("file store: a state file others can write is refused (as ssh refuses keys)", () => {
  it("group- or world-writable: exit 2 naming the mode and chmod 600, file untouched", async () => {
    for (const mode of [0o620, 0o602, 0o666]) {
      const d = await dir();
      const { path, before } = await savedState(d);
      await chmod(path, mode);
      await assert.rejects(openState(path, { create: false }), (err: unknown) => {
        isCode("STATE_WRITABLE_BY_OTHERS", 2)(err);
        assert.match((err as SecureAmlError).message, new RegExp(`mode 0${mode.toString(8)}`));
        assert.match((err as SecureAmlError).next ?? "", /chmod 600/);
        return true;
      });
      await assert.rejects(readState(path), isCode("STATE_WRITABLE_BY_OTHERS", 2));
      assert.equal(await readFile(path, "utf8"), before);
      assert.equal(existsSync(`${path}.lock`), false, "lock released after the refusal");
    }
  });

  it("a directory every user may write to without the sticky bit is refused (exit 2); /tmp-like 1777 is fine", async () => {
    const d = await dir();
    const open777 = join(d, "open");
    await mkdir(open777);
    await chmod(open777, 0o777);
    await assert.rejects(openState(join(open777, "state.json"), { create: true }), isCode("STATE_DIR_WRITABLE_BY_OTHERS", 2));
    assert.deepEqual(await readdir(open777), [], "nothing written there");
    await chmod(open777, 0o1777);
    const state = await openState(join(open777, "state.json"), { create: true });
    await state.close();
    assert.equal((await stat(open777)).mode & 0o7777, 0o1777);
  });

  it("owned by another user: exit 2 (a real chown when running as root, and the rule itself)", async () => {
    const fake = (uid: number, mode = 0o100600) => ({ uid, mode, nlink: 1, isDirectory: () => false, isFile: () => true }) as unknown as Stats;
    assert.throws(() => checkStateFileSafety("/s.json", fake(1234), 1000), isCode("STATE_FOREIGN_OWNER", 2));
    assert.doesNotThrow(() => checkStateFileSafety("/s.json", fake(1000), 1000), "own file");
    assert.doesNotThrow(() => checkStateFileSafety("/s.json", fake(0), 1000), "root's file, as ssh accepts");
    assert.doesNotThrow(() => checkStateFileSafety("/s.json", fake(1000, 0o100644), 1000), "readable by others is fine: no secret in it");
    if (process.getuid?.() === 0) {
      const d = await dir();
      const { path } = await savedState(d);
      await chown(path, 4321, 4321);
      await assert.rejects(openState(path, { create: false }), isCode("STATE_FOREIGN_OWNER", 2));
    }
  });
});
