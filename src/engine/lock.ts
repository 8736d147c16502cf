// The lock that keeps two runs off one state file. It is a small file beside the state file
// (`<state>.lock`) created atomically (hard link of a fully written temp file, so a reader never sees
// it half-written) holding the owner's pid, host, start time and the kernel's start tick of that pid
// (so a recycled pid is not mistaken for the owner). A second run finds it and fails at once with
// STATE_LOCKED (exit 3); a lock whose owner is dead (same host: pid gone or reused; other host: not
// refreshed for `staleMs`) is taken over.

import { randomUUID } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, mkdir, readFile, rmdir, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { ExitCode, SecureAmlError } from "../errors.js";

export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** Linux: field 22 of /proc/<pid>/stat, to tell a recycled pid from the owner. */
  processStart?: string;
  /** Unique per acquisition, so a release never removes someone else's lock. */
  nonce: string;
}

export interface LockOptions {
  /** A lock from another host that was not refreshed for this long is stale. Default 30 000 ms. */
  staleMs?: number;
}

export interface StateLock {
  readonly path: string;
  readonly owner: LockOwner;
  readonly released: boolean;
  release(): Promise<void>;
  /** For process 'exit' handlers: synchronous, never throws. */
  releaseSync(): void;
}

const DEFAULT_STALE_MS = 30_000;
/** A takeover guard older than this belongs to a process that died mid-takeover. */
const GUARD_STALE_MS = 5_000;
/** An unreadable lock file younger than this may be a foreign tool writing it; do not steal it. */
const UNREADABLE_GRACE_MS = 2_000;
const TERMINATING_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export function lockPathFor(statePath: string): string {
  return `${statePath}.lock`;
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "string" ? (err as { code: string }).code : undefined;
}

/** The kernel's start tick of a process (Linux), or undefined where /proc is not available. */
export function processStartOf(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: fields after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return fields[19]; // field 22 overall: starttime
  } catch {
    return undefined;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return undefined;
    const o = value as Record<string, unknown>;
    if (typeof o.pid !== "number" || typeof o.hostname !== "string" || typeof o.startedAt !== "string" || typeof o.nonce !== "string") {
      return undefined;
    }
    return {
      pid: o.pid,
      hostname: o.hostname,
      startedAt: o.startedAt,
      nonce: o.nonce,
      processStart: typeof o.processStart === "string" ? o.processStart : undefined,
    };
  } catch {
    return undefined;
  }
}

interface ExistingLock {
  raw: string;
  owner?: LockOwner;
  mtimeMs: number;
}

async function inspect(lockPath: string): Promise<ExistingLock | undefined> {
  try {
    const [raw, st] = await Promise.all([readFile(lockPath, "utf8"), stat(lockPath)]);
    return { raw, owner: parseOwner(raw), mtimeMs: st.mtimeMs };
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === "EPERM"; // exists, owned by someone else
  }
}

/** Whether the holder of an existing lock is still running (so the lock must be respected). */
function isLockHeld(existing: { owner?: LockOwner; mtimeMs: number }, staleMs = DEFAULT_STALE_MS): boolean {
  const age = Date.now() - existing.mtimeMs;
  const owner = existing.owner;
  if (!owner) return age < UNREADABLE_GRACE_MS;
  if (owner.hostname !== hostname()) return age < staleMs; // cannot see the pid: trust the heartbeat
  if (!pidAlive(owner.pid)) return false;
  if (owner.processStart !== undefined) {
    const now = processStartOf(owner.pid);
    if (now !== undefined && now !== owner.processStart) return false; // pid recycled
  }
  return true;
}

function lockedError(statePath: string, lockPath: string, owner: LockOwner | undefined): SecureAmlError {
  const who = owner ? `pid ${owner.pid} on ${owner.hostname}, since ${owner.startedAt}` : "a process whose lock file is unreadable";
  return new SecureAmlError(
    "STATE_LOCKED",
    `The state file ${statePath} is in use by another secure-aml run (${who}). ` + `Wait for it to finish or stop it; if no such run exists, delete ${lockPath}.`,
    ExitCode.locked,
  );
}

async function createExclusive(lockPath: string, content: string, nonce: string): Promise<void> {
  const temp = `${lockPath}.${process.pid}.${nonce}.tmp`;
  await writeFile(temp, content, { mode: 0o600, flag: "wx" });
  try {
    await link(temp, lockPath); // atomic, fails with EEXIST, and the lock is complete when it appears
  } catch (err) {
    const code = errnoCode(err);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EOPNOTSUPP") throw err;
    // File systems without hard links: exclusive create, then write (a reader may see it empty briefly).
    await writeFile(lockPath, content, { mode: 0o600, flag: "wx" });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Removes a stale lock, but only if it is still the very lock judged stale (guarded against racers). */
async function removeStale(lockPath: string, judged: ExistingLock): Promise<void> {
  const guard = `${lockPath}.takeover`;
  for (let tries = 0; ; tries++) {
    try {
      await mkdir(guard, { mode: 0o700 });
      break;
    } catch (err) {
      if (errnoCode(err) !== "EEXIST") throw err;
      const st = await stat(guard).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > GUARD_STALE_MS) await rmdir(guard).catch(() => undefined);
      if (tries > 200) return; // someone else is taking over; the caller re-inspects
      await sleep(10);
    }
  }
  try {
    const now = await inspect(lockPath);
    if (now && now.raw === judged.raw) await unlink(lockPath).catch(() => undefined);
  } finally {
    await rmdir(guard).catch(() => undefined);
  }
}

/**
 * Takes the lock of `statePath` or throws SecureAmlError STATE_LOCKED (exit 3) naming the holder.
 * Never waits for a live holder.
 */
export async function acquireLock(statePath: string, options: LockOptions = {}): Promise<StateLock> {
  const lockPath = lockPathFor(statePath);
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    processStart: processStartOf(process.pid),
    nonce: randomUUID(),
  };
  const content = `${JSON.stringify(owner)}\n`;
  let lastSeen: LockOwner | undefined;
  for (let round = 0; round < 10; round++) {
    try {
      await createExclusive(lockPath, content, owner.nonce);
      return new HeldLock(lockPath, owner, staleMs);
    } catch (err) {
      if (errnoCode(err) !== "EEXIST") throw err;
    }
    const existing = await inspect(lockPath);
    if (!existing) continue; // released meanwhile
    lastSeen = existing.owner;
    if (isLockHeld(existing, staleMs)) throw lockedError(statePath, lockPath, existing.owner);
    await removeStale(lockPath, existing);
  }
  throw lockedError(statePath, lockPath, lastSeen);
}

/** Who holds the lock of `statePath` now, if anyone (a live holder only). */
export async function lockHolder(statePath: string, staleMs = DEFAULT_STALE_MS): Promise<LockOwner | undefined> {
  const existing = await inspect(lockPathFor(statePath));
  return existing && isLockHeld(existing, staleMs) ? existing.owner : undefined;
}

// One set of process listeners for all held locks (a process may hold several: tests, two states).
// Locks are released on process exit, and when SIGINT/SIGTERM/SIGHUP would kill the process (no
// other handler for that signal: then the signal is re-raised so the process still dies). When the
// CLI handles the signal itself, it saves state and releases through StateHandle.close().
const heldLocks = new Set<HeldLock>();
const signalListeners = new Map<NodeJS.Signals, () => void>();

function releaseAllSync(): void {
  for (const lock of [...heldLocks]) lock.releaseSync();
}

function onTerminatingSignal(signal: NodeJS.Signals): void {
  // signal-exit (used by write-file-atomic while it writes) also listens; it re-raises only when it
  // is alone. Count it out so that "nobody else handles this signal" is judged correctly.
  const signalExit = (globalThis as Record<symbol, unknown>)[Symbol.for("signal-exit emitter")];
  const signalExitCount =
    typeof signalExit === "object" && signalExit !== null && typeof (signalExit as { count?: unknown }).count === "number" ? (signalExit as { count: number }).count : 0;
  const others = process.listenerCount(signal) - 1 - signalExitCount;
  if (others > 0) return; // the CLI handles it and releases the locks once its run has saved state
  releaseAllSync();
  detachProcessListeners();
  process.kill(process.pid, signal); // our listener is gone: the default action (death) now applies
}

function attachProcessListeners(): void {
  if (heldLocks.size !== 1) return; // already attached for an earlier lock
  process.on("exit", releaseAllSync);
  for (const signal of TERMINATING_SIGNALS) {
    const listener = () => onTerminatingSignal(signal);
    signalListeners.set(signal, listener);
    process.on(signal, listener);
  }
}

function detachProcessListeners(): void {
  process.removeListener("exit", releaseAllSync);
  for (const [signal, listener] of signalListeners) process.removeListener(signal, listener);
  signalListeners.clear();
}

class HeldLock implements StateLock {
  #released = false;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(
    readonly path: string,
    readonly owner: LockOwner,
    staleMs: number,
  ) {
    // Refresh mtime so a run on another host (shared disk) can tell a live lock from a stale one.
    this.#heartbeat = setInterval(
      () => {
        const now = new Date();
        utimes(this.path, now, now).catch(() => undefined);
      },
      Math.max(1_000, Math.floor(staleMs / 3)),
    );
    this.#heartbeat.unref();
    heldLocks.add(this);
    attachProcessListeners();
  }

  get released(): boolean {
    return this.#released;
  }

  #detach(): void {
    this.#released = true;
    clearInterval(this.#heartbeat);
    heldLocks.delete(this);
    if (heldLocks.size === 0) detachProcessListeners();
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#detach();
    const existing = await inspect(this.path).catch(() => undefined);
    if (existing?.owner?.nonce === this.owner.nonce) await unlink(this.path).catch(() => undefined);
  }

  releaseSync(): void {
    if (this.#released) return;
    this.#detach();
    try {
      if (parseOwner(readFileSync(this.path, "utf8"))?.nonce === this.owner.nonce) unlinkSync(this.path);
    } catch {
      // already gone or unreadable: nothing of ours to remove
    }
  }
}
