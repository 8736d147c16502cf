// The state in a local file. What it guarantees:
// - Writes are all or nothing: a temp file beside the state is written in full (a short write is
//   continued, an error thrown), flushed (fsync), read back and compared, then renamed over the
//   state, and the directory is flushed. A full disk, a read-only or unwritable directory leaves the
//   previous state byte-for-byte intact and ends in STATE_WRITE_FAILED (exit 5), never in silence.
// - The lock is taken on the resolved file: symbolic links (of the file or of any directory on its
//   path) are followed first, so two runs through two names of one file meet at one lock. A state
//   with more than one hard link is refused (exit 2): hard links cannot share a lock file, and an
//   atomic rename would split them into two diverging files anyway.
// - Only directories secure-aml creates are given mode 0700; an existing directory (a `.secure-aml`
//   that is a symlink to a shared place, /tmp) keeps its mode.
// - Like ssh with keys, a state file owned by another user (other than root) or writable by group or
//   others is refused (exit 2): whoever can write it can change what `destroy` believes it created;
//   so is a directory every user may write to without the sticky bit (anyone could replace the file).

import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, open, readFile, readdir, readlink, realpath, rename, stat, unlink } from "node:fs/promises";
import type { Stats } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { ExitCode, SecureAmlError, type ErrorCode } from "../errors.js";
import { acquireLock } from "../engine/lock.js";
import { stateStorageError, type StateStore, type StoreLockOptions, type StoreSession } from "./store.js";

/** The file operations a write uses; tests replace them to inject failures (a full disk, a short write). */
export interface StateFileOps {
  /** Creates `path` (which must not exist) holding exactly `text`, mode 0600, flushed to disk. */
  createDurable(path: string, text: string): Promise<void>;
  readFile(path: string): Promise<string>;
  rename(from: string, to: string): Promise<void>;
}

export const nodeFileOps: StateFileOps = {
  async createDurable(path, text) {
    const handle = await open(path, "wx", 0o600);
    try {
      // FileHandle.writeFile continues after a short write and throws the error that stopped it
      // (ENOSPC...), unlike a single write() whose short count is easy to ignore.
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  readFile: (path) => readFile(path, "utf8"),
  rename: (from, to) => rename(from, to),
};

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * The path a state file really has: symbolic links of the file and of its directories resolved. A
 * missing file keeps its name in its resolved directory; a dangling link resolves to its target.
 */
export async function resolveStatePath(path: string, depth = 0): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch (err) {
    if (errnoCode(err) !== "ENOENT") throw err;
  }
  const link = await lstat(absolute).catch(() => undefined);
  if (link?.isSymbolicLink()) {
    if (depth > 32) throw Object.assign(new Error(`too many symbolic links at ${absolute}`), { code: "ELOOP" });
    return resolveStatePath(resolve(dirname(absolute), await readlink(absolute)), depth + 1);
  }
  const dir = await realpath(dirname(absolute)).catch(() => undefined);
  return dir === undefined ? absolute : join(dir, basename(absolute));
}

/**
 * Creates `dir` and its missing parents with mode 0700 (chmod after mkdir, which the umask may have
 * loosened). A directory that already exists is never touched: it may be shared.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // mkdir created `first` and everything below it on the way to `dir`.
  const rel = relative(first, dir);
  const created = [first, ...(rel === "" ? [] : rel.split(sep).map((_, i, parts) => join(first, ...parts.slice(0, i + 1))))];
  for (const path of created) {
    const st = await lstat(path);
    if (st.isDirectory() && (st.mode & 0o777) !== 0o700) await chmod(path, 0o700);
  }
}

function badState(code: ErrorCode, message: string, next: string): SecureAmlError {
  return new SecureAmlError(code, message, ExitCode.badInput, next);
}

/** Refuses a state file that others could have written, or that has a second name. */
export function checkStateFileSafety(path: string, st: Stats, uid: number | undefined = process.getuid?.()): void {
  if (st.isDirectory()) {
    throw badState("STATE_IS_DIRECTORY", `--state names ${path}, which is a directory; it must name a file.`, `run again with --state ${join(path, "state.json")}`);
  }
  if (!st.isFile()) {
    throw badState("STATE_NOT_A_FILE", `--state names ${path}, which is not a regular file.`, "run again with --state naming a regular file");
  }
  if (st.nlink > 1) {
    throw badState(
      "STATE_HARD_LINKED",
      `The state file ${path} has ${st.nlink} hard links. Runs through different names could not share one lock, and each save replaces the file, which would split the names into diverging copies.`,
      `keep one name and make the others symbolic links: ln -sf ${path} <other-name>`,
    );
  }
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
    throw badState(
      "STATE_FOREIGN_OWNER",
      `The state file ${path} belongs to another user (uid ${st.uid}); secure-aml only uses state files of the user running it (or root), as ssh does with keys: whoever owns it can change what secure-aml believes it created.`,
      `copy it to a file of your own and use that: cp ${path} <your-file> && secure-aml <command> --state <your-file>`,
    );
  }
  // Windows reports every file as 0666 and has no uid: its ACLs are not read here.
  if (process.platform !== "win32" && (st.mode & 0o022) !== 0) {
    const who = [(st.mode & 0o020) !== 0 ? "its group" : "", (st.mode & 0o002) !== 0 ? "other users" : ""].filter(Boolean).join(" and ");
    throw badState(
      "STATE_WRITABLE_BY_OTHERS",
      `The state file ${path} is writable by ${who} (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}); whoever can write it can change what secure-aml believes it created.`,
      `check its content, then: chmod 600 ${path}`,
    );
  }
}

/**
 * Refuses a state directory that anyone may write to without the sticky bit: anyone could replace
 * the state file there (rename over it). /tmp (1777) is fine: only the owner may replace a file.
 */
export function checkStateDirSafety(dir: string, st: Stats): void {
  if (process.platform === "win32") return;
  if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
    throw badState(
      "STATE_DIR_WRITABLE_BY_OTHERS",
      `The state's directory ${dir} is writable by every user without the sticky bit (mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")}): anyone could replace the state file there.`,
      `keep the state in a directory of your own (--state <dir>/state.json), or: chmod o-w ${dir}`,
    );
  }
}

/** Temp files of writers killed mid-write: ours (`state.json.tmp-<pid>-<hex>`) and write-file-atomic's (`state.json.<digits>`). */
async function removeLeftoverTempFiles(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix) && /^(\d+|tmp-\d+-[0-9a-f]+)$/.test(n.slice(prefix.length))).map((n) => unlink(join(dir, n)).catch(() => undefined)));
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename durable; some platforms cannot open or fsync a directory, which is fine.
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}

/** Writes `text` to `target` all or nothing (see the file comment); throws STATE_WRITE_FAILED (exit 5). */
export async function writeStateFile(target: string, text: string, ops: StateFileOps = nodeFileOps): Promise<void> {
  const dir = dirname(target);
  const temp = join(dir, `${basename(target)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  let renamed = false;
  try {
    await ops.createDurable(temp, text);
    const back = await ops.readFile(temp);
    if (back !== text) {
      throw new SecureAmlError(
        "STATE_WRITE_FAILED",
        `Could not save the state to ${target}: the file read back differs from what was written (${Buffer.byteLength(back)} of ${Buffer.byteLength(text)} bytes). The previous state is intact; nothing was lost.`,
        ExitCode.stateStorage,
        `check the disk (df -h ${dir}), then run the same command again`,
      );
    }
    await ops.rename(temp, target);
    renamed = true;
    await fsyncDir(dir);
  } catch (err) {
    throw stateStorageError("write", target, err, dir);
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

export interface FileStoreOptions {
  ops?: StateFileOps;
}

export class FileStateStore implements StateStore {
  readonly #given: string;
  readonly #ops: StateFileOps;
  #resolved: string | undefined;

  constructor(path: string, options: FileStoreOptions = {}) {
    this.#given = resolve(path);
    this.#ops = options.ops ?? nodeFileOps;
  }

  get location(): string {
    return this.#resolved ?? this.#given;
  }

  async #resolve(): Promise<string> {
    try {
      this.#resolved = await resolveStatePath(this.#given);
    } catch (err) {
      throw stateStorageError("read", this.#given, err);
    }
    return this.#resolved;
  }

  /** The file's text after the safety checks, or undefined when it does not exist. */
  async #readChecked(path: string): Promise<string | undefined> {
    let st: Stats;
    try {
      st = await stat(path);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw stateStorageError("read", path, err);
    }
    checkStateFileSafety(path, st);
    try {
      return await readFile(path, "utf8");
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw stateStorageError("read", path, err);
    }
  }

  async read(): Promise<string | undefined> {
    return this.#readChecked(await this.#resolve());
  }

  async #prepare(options: StoreLockOptions): Promise<string> {
    if (options.create) {
      try {
        await ensurePrivateDir(dirname(this.#given));
      } catch (err) {
        throw stateStorageError("write", this.#given, err, dirname(this.#given));
      }
    }
    const path = await this.#resolve();
    // A directory named by --state is bad input, found before any lock file is made beside it.
    const st = await stat(path).catch(() => undefined);
    if (st?.isDirectory()) checkStateFileSafety(path, st);
    const dirStat = await stat(dirname(path)).catch(() => undefined);
    if (dirStat) checkStateDirSafety(dirname(path), dirStat);
    return path;
  }

  #session(path: string, text: string | undefined, release: () => Promise<void>): StoreSession {
    const ops = this.#ops;
    return {
      text,
      write: (next) => writeStateFile(path, next, ops),
      release,
    };
  }

  async acquire(options: StoreLockOptions): Promise<StoreSession> {
    const path = await this.#prepare(options);
    let lock: Awaited<ReturnType<typeof acquireLock>>;
    try {
      lock = await acquireLock(path, { staleMs: options.staleMs });
    } catch (err) {
      if (err instanceof SecureAmlError) throw err;
      if (errnoCode(err) === "ENOENT") return this.#missing(path);
      throw stateStorageError("lock", path, err, dirname(path));
    }
    try {
      const text = await this.#readChecked(path);
      if (text === undefined && !options.create) this.#missing(path);
      await removeLeftoverTempFiles(path);
      return this.#session(path, text, () => lock.release());
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  async unlocked(options: StoreLockOptions): Promise<StoreSession> {
    const path = await this.#prepare(options);
    const text = await this.#readChecked(path);
    if (text === undefined && !options.create) this.#missing(path);
    return this.#session(path, text, async () => undefined);
  }

  #missing(path: string): never {
    throw new SecureAmlError("STATE_NOT_FOUND", `No state file at ${path}: nothing has been deployed from here (pass --state to point at another file).`, ExitCode.badInput);
  }
}
