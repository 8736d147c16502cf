// The state backend interface: where the engine's state document lives and how a run locks it. The
// engine's state module (src/engine/state.ts) parses, checks and redacts the document; a store only
// moves its text, under a lock. Two stores: a local file (src/state/file-store.ts) and a blob in
// Azure Storage (src/state/blob-store.ts, loaded only when --state is a blob URL).

import { ExitCode, SecureAmlError } from "../errors.js";

export interface StoreLockOptions {
  /** Create what the state needs (directory, container, an empty document) when it is missing. */
  create: boolean;
  /** File lock: a lock from another host not refreshed for this long is stale (default 30 000 ms). */
  staleMs?: number;
}

/** A run's hold on the state: the document as it was when the lock was taken, and the only way to write it. */
export interface StoreSession {
  /** The document when the lock was taken; undefined when there was none. */
  readonly text: string | undefined;
  /**
   * Replaces the document, all or nothing: on any failure the previous document is intact and a
   * SecureAmlError is thrown (STATE_WRITE_FAILED exit 5, STATE_CONFLICT exit 3).
   */
  write(text: string): Promise<void>;
  /** Gives up the lock (idempotent). */
  release(): Promise<void>;
}

export interface StateStore {
  /** What a person is shown: the resolved file path or the blob URL (never a credential). */
  readonly location: string;
  /** The document without taking the lock (status, plan, audit); undefined when there is none. */
  read(): Promise<string | undefined>;
  /** Takes the lock (STATE_LOCKED exit 3 while another run holds it) and reads the document. */
  acquire(options: StoreLockOptions): Promise<StoreSession>;
  /** A session that reads and writes without any lock (callers that only read: plan). */
  unlocked(options: StoreLockOptions): Promise<StoreSession>;
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
  EIO: "an input/output error",
  EMFILE: "too many open files",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
};

function nextFor(errno: string | undefined, where: string): string {
  switch (errno) {
    case "ENOSPC":
    case "EDQUOT":
      return `free space where the state lives (df -h ${where}), then run the same command again`;
    case "EROFS":
      return `run again with --state pointing at a writable location, or remount ${where} read-write`;
    case "EACCES":
    case "EPERM":
      return `make ${where} writable for this user (ls -ld ${where}), or run again with --state pointing at a writable location`;
    default:
      return `fix the cause above, then run the same command again`;
  }
}

/**
 * The error for a state that could not be written (or read) where it lives. The message says the
 * previous state is intact: every store writes all-or-nothing.
 */
export function stateStorageError(what: "write" | "read" | "lock", location: string, err: unknown, where = location): SecureAmlError {
  if (err instanceof SecureAmlError) return err;
  const errno = errnoOf(err);
  const detail = errno ? `${ERRNO_WORDS[errno] ?? "the system refused"} (${errno})` : err instanceof Error ? err.message : String(err);
  const verb = what === "write" ? "save the state to" : what === "read" ? "read the state at" : "lock the state at";
  const tail = what === "write" ? " The previous state is intact; nothing was lost." : "";
  return new SecureAmlError(
    what === "write" ? "STATE_WRITE_FAILED" : what === "read" ? "STATE_READ_FAILED" : "STATE_LOCK_FAILED",
    `Could not ${verb} ${location}: ${detail}.${tail}`,
    ExitCode.stateStorage,
    nextFor(errno, where),
  );
}
