// The state: what a deployment was asked to be and how far each step got. It is a cache, not the
// truth (steps re-read Azure), but it is what makes "run it again" resume. Where it lives is a store
// (src/state/): a local file (written all or nothing: temp file, fsync, read back, rename; mode 0600;
// locked on the resolved file) or a blob (leased, ETag-conditional writes). This module never holds
// a secret-looking field in it, and refuses a document (left byte-for-byte untouched) that is not
// valid JSON, fails the shape check or comes from a newer schema: SecureAmlError exit 2 (bad input:
// the person must move or fix it, or upgrade secure-aml), codes STATE_INVALID / STATE_FROM_FUTURE.

import { Ajv } from "ajv";
import { join } from "node:path";
import { ExitCode, SecureAmlError } from "../errors.js";
import type { ResourceOutcome } from "./types.js";
import type { LockOptions } from "./lock.js";
import { FileStateStore, type StateFileOps } from "../state/file-store.js";
import { displayStateLocation, parseStateLocation } from "../state/location.js";
import type { StateStore, StoreSession } from "../state/store.js";
import type { BlobStoreOptions } from "../state/blob-store.js";
import { jsonNestingDepth } from "../config/json-limits.js";

/** A state file nests about 5 levels (steps → step → resources → resource); 32 leaves room to grow. */
const STATE_MAX_DEPTH = 32;

export const STATE_SCHEMA_VERSION = 1;
export const DEFAULT_STATE_PATH = join(".secure-aml", "state.json");

export type StepStatus = "pending" | "running" | "done" | "failed";

export interface StepRecord {
  status: StepStatus;
  /** Attempts over all runs. */
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  outputs: Record<string, string>;
  /** What the step owns, with what its last finished attempt did to each. */
  resources: ResourceOutcome[];
  /** IDs this step ever reported as "created" (kept across runs: proof that secure-aml made them). */
  createdIds?: string[];
  lastError?: { code: string; message: string };
}

export interface DeploymentState {
  schemaVersion: typeof STATE_SCHEMA_VERSION;
  createdAt: string;
  updatedAt: string;
  /** The deployment configuration (never a secret: secret-looking field names are refused). */
  config: Record<string, unknown>;
  steps: Record<string, StepRecord>;
  /** Free-form string facts a command wants to remember (no secrets). */
  meta?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Secret-looking field names

/** Words that mark a field as secret anywhere in its name (camelCase, snake_case or kebab-case). */
const SECRET_WORDS = ["password", "passwd", "pwd", "secret", "token", "credential", "credentials", "connectionstring"];
/** Words that mark a field as secret when they end its name ("storageKey", "accessKeys"; not "keyVault"). */
const SECRET_LAST_WORDS = ["key", "keys"];

function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Whether a field name looks like it holds a secret (password, secret, key(s), token, connectionString...). */
export function isSecretLookingName(name: string): boolean {
  const words = wordsOf(name);
  if (words.length === 0) return false;
  const joined = words.join("");
  if (joined.includes("connectionstring")) return true;
  if (words.some((w) => SECRET_WORDS.includes(w))) return true;
  return SECRET_LAST_WORDS.includes(words[words.length - 1]!);
}

/** Field paths under `value` whose names look secret. */
export function findSecretLookingFields(value: unknown, path = ""): string[] {
  const found: string[] = [];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) found.push(...findSecretLookingFields(item, `${path}[${i}]`));
  } else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (isSecretLookingName(key)) found.push(childPath);
      found.push(...findSecretLookingFields(child, childPath));
    }
  }
  return found;
}

/** Throws SecureAmlError STATE_SECRET_FIELD (exit 2) when `value` has a secret-looking field. */
function assertNoSecretFields(value: unknown, what = "config"): void {
  const found = findSecretLookingFields(value);
  if (found.length > 0) {
    throw new SecureAmlError(
      "STATE_SECRET_FIELD",
      `Refusing to store ${what} in the state file: field${found.length === 1 ? "" : "s"} ${found.join(", ")} ` +
        `look${found.length === 1 ? "s" : ""} secret (password, secret, key, token, connection string). Secrets are never written to state.`,
      ExitCode.badInput,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Shape check

const resourceSchema = {
  type: "object",
  required: ["id", "kind", "name", "action"],
  additionalProperties: false,
  properties: {
    id: { type: "string" },
    kind: { type: "string" },
    name: { type: "string" },
    action: { enum: ["created", "updated", "unchanged", "deleted", "absent"] },
  },
} as const;

const stepSchema = {
  type: "object",
  required: ["status", "attempts", "outputs", "resources"],
  additionalProperties: false,
  properties: {
    status: { enum: ["pending", "running", "done", "failed"] },
    attempts: { type: "integer", minimum: 0 },
    startedAt: { type: "string" },
    finishedAt: { type: "string" },
    durationMs: { type: "number", minimum: 0 },
    outputs: { type: "object", additionalProperties: { type: "string" } },
    resources: { type: "array", items: resourceSchema },
    createdIds: { type: "array", items: { type: "string" } },
    lastError: {
      type: "object",
      required: ["code", "message"],
      additionalProperties: false,
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
} as const;

const stateSchema = {
  type: "object",
  required: ["schemaVersion", "createdAt", "updatedAt", "config", "steps"],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: STATE_SCHEMA_VERSION },
    createdAt: { type: "string" },
    updatedAt: { type: "string" },
    config: { type: "object" },
    steps: { type: "object", additionalProperties: stepSchema },
    meta: { type: "object", additionalProperties: { type: "string" } },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validateShape = ajv.compile<DeploymentState>(stateSchema);

function invalid(path: string, why: string): SecureAmlError {
  return new SecureAmlError(
    "STATE_INVALID",
    `The state file ${path} cannot be used: ${why}. It was left untouched; fix it or move it aside (or pass --state with another file), then run again.`,
    ExitCode.badInput,
  );
}

/** Parses and checks a state document; throws STATE_INVALID / STATE_FROM_FUTURE (exit 2). */
export function parseStateDocument(text: string, path: string): DeploymentState {
  // Checked on the text, before anything walks it recursively (a deeply nested file: exit 2, no stack trace).
  if (jsonNestingDepth(text, STATE_MAX_DEPTH + 1) > STATE_MAX_DEPTH) throw invalid(path, `it is nested more than ${STATE_MAX_DEPTH} levels deep, deeper than a state file ever is`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = text.trim() === "" ? "the file is empty" : `not valid JSON (${err instanceof Error ? err.message : String(err)})`;
    throw invalid(path, detail);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(path, "it is not a JSON object");
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version === "number" && Number.isInteger(version) && version > STATE_SCHEMA_VERSION) {
    throw new SecureAmlError(
      "STATE_FROM_FUTURE",
      `The state file ${path} was written by a newer secure-aml (schema ${version}; this version reads schema ${STATE_SCHEMA_VERSION}). ` +
        `It was left untouched; upgrade secure-aml to continue this deployment.`,
      ExitCode.badInput,
    );
  }
  if (!validateShape(value)) {
    const problems = (validateShape.errors ?? [])
      .slice(0, 10)
      .map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`)
      .join("; ");
    throw invalid(path, `it does not have the expected shape (${problems})`);
  }
  const secretFields = findSecretLookingFields(value.config).map((f) => `config.${f}`);
  for (const [id, step] of Object.entries(value.steps)) {
    secretFields.push(...findSecretLookingFields(step.outputs).map((f) => `steps.${id}.outputs.${f}`));
  }
  if (secretFields.length > 0) throw invalid(path, `it has secret-looking fields (${secretFields.join(", ")})`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// The handle

export interface OpenStateOptions {
  /** Create the file (and its directory) when missing; otherwise a missing file is STATE_NOT_FOUND. */
  create: boolean;
  /** Take the state's lock (default true). Without it the handle must only be read. */
  lock?: boolean;
  lockOptions?: LockOptions;
  /** Values (the jump-box password...) that must never reach the file: replaced by "[redacted]". */
  secretValues?: string[];
  /** File state: the file operations a write uses (tests inject a full disk). */
  fileOps?: StateFileOps;
  /** Blob state: lease and wait settings, and where the connection string is read. */
  blob?: BlobStoreOptions;
}

function emptyState(): DeploymentState {
  const now = new Date().toISOString();
  return { schemaVersion: STATE_SCHEMA_VERSION, createdAt: now, updatedAt: now, config: {}, steps: {} };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export class StateHandle {
  #data: DeploymentState;
  #writing: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #closed = false;
  readonly #secretValues: string[];
  readonly #session: StoreSession | undefined;

  constructor(
    /** Where the state lives (resolved file path or blob URL); undefined for an in-memory state (tests, benchmarks). */
    readonly path: string | undefined,
    data: DeploymentState,
    /** The store's session (the lock and the only way to write); undefined: nothing is written. */
    session: StoreSession | undefined,
    secretValues: string[] = [],
  ) {
    this.#data = data;
    this.#session = session;
    this.#secretValues = secretValues.filter((v) => v.length > 0);
  }

  /** The current state (read it; change it through `update`). */
  get data(): Readonly<DeploymentState> {
    return this.#data;
  }

  step(id: string): StepRecord | undefined {
    return this.#data.steps[id];
  }

  /** Replaces the stored configuration (deep copy); refuses secret-looking fields. Call `save` after. */
  setConfig(config: object): void {
    assertNoSecretFields(config, "the configuration");
    this.#data.config = clone(config) as Record<string, unknown>;
  }

  /** Applies `mutate` to the state and saves it. */
  async update(mutate: (state: DeploymentState) => void): Promise<void> {
    mutate(this.#data);
    await this.save();
  }

  /**
   * Writes the current state, all or nothing (see the store). Concurrent calls are serialized and
   * coalesced: a call made while a write is running waits for one more write that includes its
   * changes. A failed write rejects (STATE_WRITE_FAILED exit 5, STATE_CONFLICT exit 3) and leaves
   * the previous state intact; the next save writes the whole document again.
   */
  save(): Promise<void> {
    if (this.#closed) return Promise.reject(new SecureAmlError("STATE_CLOSED", "The state handle was closed."));
    if (this.#queued) return this.#queued;
    const queued = this.#writing
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#writeNow();
      });
    this.#queued = queued;
    this.#writing = queued;
    return queued;
  }

  async #writeNow(): Promise<void> {
    assertNoSecretFields(this.#data.config, "the configuration");
    for (const [id, step] of Object.entries(this.#data.steps)) assertNoSecretFields(step.outputs, `outputs of step ${id}`);
    this.#data.updatedAt = new Date().toISOString();
    let text = `${JSON.stringify(this.#data, null, 2)}\n`;
    for (const secret of this.#secretValues) {
      const escaped = JSON.stringify(secret).slice(1, -1);
      text = text.split(escaped).join("[redacted]");
    }
    if (!this.#session) return;
    await this.#session.write(text);
  }

  /** Waits for pending writes and releases the lock. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#writing.catch(() => undefined);
    } finally {
      this.#closed = true;
      await this.#session?.release();
    }
  }
}

/**
 * The store `path` names: a blob URL (team state; the blob SDK is loaded only then) or a file path.
 * A malformed URL is STATE_LOCATION_INVALID (exit 2).
 */
export async function stateStoreFor(path: string, options: Pick<OpenStateOptions, "fileOps" | "blob"> = {}): Promise<StateStore> {
  const location = parseStateLocation(path);
  if ("problem" in location) {
    throw new SecureAmlError("STATE_LOCATION_INVALID", `--state ${JSON.stringify(displayStateLocation(path))} ${location.problem}.`, ExitCode.badInput);
  }
  if (location.kind === "blob") {
    const { BlobStateStore } = await import("../state/blob-store.js");
    return new BlobStateStore(location, options.blob);
  }
  return new FileStateStore(location.path, { ops: options.fileOps });
}

/**
 * Opens the state for a run: takes its lock (STATE_LOCKED, exit 3, when another run holds it), then
 * reads and checks it (STATE_INVALID / STATE_FROM_FUTURE, exit 2, left untouched; a file others can
 * write or with several hard links, exit 2), or creates it when missing and `create` is set
 * (STATE_NOT_FOUND, exit 2, otherwise). A state that cannot be read or written where it lives is
 * exit 5 (STATE_WRITE_FAILED...). `path` is a file path or a blob URL. Call `close()` when done.
 */
export async function openState(path: string, options: OpenStateOptions): Promise<StateHandle> {
  const store = await stateStoreFor(path, options);
  const storeOptions = { create: options.create, staleMs: options.lockOptions?.staleMs };
  const session = options.lock === false ? await store.unlocked(storeOptions) : await store.acquire(storeOptions);
  try {
    let handle: StateHandle;
    if (session.text === undefined) {
      handle = new StateHandle(store.location, emptyState(), session, options.secretValues);
      await handle.save();
    } else {
      handle = new StateHandle(store.location, parseStateDocument(session.text, store.location), session, options.secretValues);
    }
    return handle;
  } catch (err) {
    await session.release();
    throw err;
  }
}

/** Reads a state (file or blob) without locking or writing (status, plan). Undefined when it does not exist. */
export async function readState(path: string, options: Pick<OpenStateOptions, "blob"> = {}): Promise<DeploymentState | undefined> {
  const store = await stateStoreFor(path, options);
  const text = await store.read();
  return text === undefined ? undefined : parseStateDocument(text, store.location);
}
