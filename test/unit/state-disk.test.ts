// A real full disk and a real read-only file system under the state (a tmpfs of 64 KB, mounted here:
// we run as root; where mounting is not permitted the tests are skipped and say why). The CLI-level
// cases are in test/reliability/state.test.ts.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openState, readState } from "../../src/engine/state.js";
import { SecureAmlError } from "../../src/errors.js";
import { mountTmpfs, remount, unmount } from "../../bench/reliability-state.js";
import { tempDir } from "../fixtures/engine/processes.js";

let root: { path: string; remove: () => Promise<void> };
let mnt = "";
let skip: string | undefined;

before(async () => {
  root = await tempDir("secure-aml-disk-");
  mnt = join(root.path, "mnt");
  await mkdir(mnt);
  skip = mountTmpfs(mnt, "64k");
});
after(async () => {
  if (!skip) unmount(mnt);
  await root.remove();
});

function isStorageError(code: string, errno: string) {
  return (err: unknown) => {
    assert.ok(err instanceof SecureAmlError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.exitCode, 5);
    assert.match(err.message, new RegExp(errno));
    return true;
  };
}

describe("state on a real 64 KB tmpfs", { concurrency: false }, () => {
  it("a save that does not fit fails with exit 4 (ENOSPC); the previous state is intact; a smaller save works again", async (t) => {
    if (skip) return t.skip(skip);
    const path = join(mnt, "state.json");
    const state = await openState(path, { create: true });
    await state.update((s) => (s.meta = { blob: "x".repeat(20_000) }));
    const before = await readFile(path, "utf8");
    await assert.rejects(
      state.update((s) => (s.meta = { blob: "y".repeat(50_000) })),
      isStorageError("STATE_WRITE_FAILED", "ENOSPC"),
    );
    assert.equal(await readFile(path, "utf8"), before, "byte-for-byte the previous state");
    assert.deepEqual((await readdir(mnt)).sort(), ["state.json", "state.json.lock"], "no temp file left behind");
    await state.update((s) => (s.meta = { blob: "z" }));
    await state.close();
    assert.equal((await readState(path))?.meta?.blob, "z");
    await rm(path);
  });

  it("a read-only file system: opening for a run is exit 4 (EROFS), reading still works, nothing changes", async (t) => {
    if (skip) return t.skip(skip);
    const path = join(mnt, "ro-state.json");
    const state = await openState(path, { create: true });
    await state.close();
    const before = await readFile(path, "utf8");
    remount(mnt, "ro");
    try {
      await assert.rejects(openState(path, { create: true }), isStorageError("STATE_LOCK_FAILED", "EROFS"));
      assert.ok(await readState(path), "status and plan can still read it");
      assert.equal(await readFile(path, "utf8"), before);
    } finally {
      remount(mnt, "rw");
    }
  });
});
