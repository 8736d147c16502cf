// The emulated world: resource records, soft-deleted items, names taken elsewhere and operations,
// persisted as one JSON file in the data directory and rewritten atomically after every mutation.
import fs from "node:fs";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { Json, JsonObject, ResourceRecord, ResourceStore } from "../types.js";
import { sameText } from "./common.js";
import { idKey, isAtOrBelow, parentIdOf } from "./routing.js";

export type OperationStatus = "InProgress" | "Succeeded" | "Failed" | "Canceled";

/** A long-running operation, with an absolute end time so that it survives a restart. */
export interface OperationRecord {
  id: string;
  kind: "create" | "update" | "delete" | "action";
  /** Case-preserving ID of the resource (or resource group) the operation acts on. */
  resourceId: string;
  resourceType: string;
  subscriptionId: string;
  namespace: string;
  location: string;
  apiVersion: string;
  startedAt: number;
  endsAt: number;
  status: OperationStatus;
  /** A Retry-After was sent for it: the client now waits whole seconds, so every later answer carries one. */
  retryAfterSent?: boolean;
  /** Injected fault: the operation ends Failed instead of Succeeded. */
  failAtEnd?: boolean;
  error?: { code: string; message: string };
  /** With failAtEnd: the error the operation ends with (default InternalServerError), e.g. StorageAccountOperationInProgress. */
  failure?: { code: string; message: string };
  /** Result of a long-running action, returned by its Location poll once done. */
  result?: Json;
  resultStatus?: number;
  finishedAt?: number;
  /** A delete's query parameters (other than api-version), handed to the handler's onDeleted. */
  deleteQuery?: Record<string, string>;
  /** A provider-route operation (e.g. purging a deleted vault) not attached to any record. */
  detached?: boolean;
}

interface WorldFile {
  version: 1;
  records: ResourceRecord[];
  softDeleted: Record<string, Record<string, JsonObject>>;
  takenNames: Record<string, string[]>;
  operations: OperationRecord[];
}

const WORLD_FILE = "world.json";
/** Finished operations are kept this long for late polls, then dropped. */
const FINISHED_OPERATION_RETENTION_MS = 24 * 3600 * 1000;

export class World implements ResourceStore {
  private readonly records = new Map<string, ResourceRecord>();
  private readonly softDeletedItems = new Map<string, Map<string, JsonObject>>();
  private readonly takenNames = new Map<string, Set<string>>();
  readonly operations = new Map<string, OperationRecord>();
  private dirty = false;

  constructor(private readonly file: string | undefined) {}

  static load(dataDir: string): World {
    const file = path.join(dataDir, WORLD_FILE);
    const world = new World(file);
    if (!fs.existsSync(file)) return world;
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as WorldFile;
    if (parsed.version !== 1) throw new Error(`${file}: unknown world file version ${String(parsed.version)}`);
    for (const record of parsed.records) world.records.set(idKey(record.id), record);
    for (const [kind, items] of Object.entries(parsed.softDeleted)) {
      world.softDeletedItems.set(kind, new Map(Object.entries(items)));
    }
    for (const [kind, names] of Object.entries(parsed.takenNames)) world.takenNames.set(kind, new Set(names));
    for (const operation of parsed.operations) world.operations.set(operation.id, operation);
    return world;
  }

  markDirty(): void {
    this.dirty = true;
  }

  /** Writes the world if anything changed since the last save (atomically: temp file + rename). */
  saveIfDirty(): void {
    if (!this.dirty || this.file === undefined) return;
    this.dirty = false;
    const now = Date.now();
    for (const [id, operation] of this.operations) {
      if (operation.finishedAt !== undefined && now - operation.finishedAt > FINISHED_OPERATION_RETENTION_MS) this.operations.delete(id);
    }
    const content: WorldFile = {
      version: 1,
      records: [...this.records.values()],
      softDeleted: Object.fromEntries([...this.softDeletedItems].map(([kind, items]) => [kind, Object.fromEntries(items)])),
      takenNames: Object.fromEntries([...this.takenNames].map(([kind, names]) => [kind, [...names]])),
      operations: [...this.operations.values()],
    };
    writeFileAtomic.sync(this.file, JSON.stringify(content, null, 1) + "\n", { mode: 0o600 });
  }

  // ----- ResourceStore -----

  get(id: string): ResourceRecord | undefined {
    return this.records.get(idKey(id));
  }

  all(): ResourceRecord[] {
    return [...this.records.values()];
  }

  listByType(type: string, scope?: string): ResourceRecord[] {
    return this.all().filter((record) => sameText(record.type, type) && (scope === undefined || isAtOrBelow(record.id, scope)));
  }

  children(parentId: string, childType?: string): ResourceRecord[] {
    const parentKey = idKey(parentId);
    return this.all().filter((record) => {
      const parent = parentIdOf(record.id);
      return parent !== undefined && idKey(parent) === parentKey && (childType === undefined || sameText(record.type, childType));
    });
  }

  /** Every record strictly below `id`, deepest first (the order deletes run in). */
  descendants(id: string): ResourceRecord[] {
    const key = idKey(id);
    return this.all()
      .filter((record) => idKey(record.id).startsWith(key + "/"))
      .sort((a, b) => b.id.split("/").length - a.id.split("/").length);
  }

  upsert(record: Omit<ResourceRecord, "createdAt" | "updatedAt"> & Partial<Pick<ResourceRecord, "createdAt" | "updatedAt">>): ResourceRecord {
    const existing = this.get(record.id);
    const now = new Date().toISOString();
    const stored: ResourceRecord = {
      ...record,
      id: existing?.id ?? record.id,
      createdAt: record.createdAt ?? existing?.createdAt ?? now,
      updatedAt: record.updatedAt ?? now,
    };
    this.records.set(idKey(stored.id), stored);
    this.dirty = true;
    return stored;
  }

  remove(id: string): void {
    const key = idKey(id);
    for (const recordKey of [...this.records.keys()]) {
      if (recordKey === key || recordKey.startsWith(key + "/")) this.records.delete(recordKey);
    }
    this.dirty = true;
  }

  readonly softDeleted = {
    get: (kind: string, name: string): JsonObject | undefined => this.softDeletedItems.get(kind)?.get(name.toLowerCase()),
    list: (kind: string): JsonObject[] => [...(this.softDeletedItems.get(kind)?.values() ?? [])],
    put: (kind: string, name: string, value: JsonObject): void => {
      let items = this.softDeletedItems.get(kind);
      if (items === undefined) {
        items = new Map();
        this.softDeletedItems.set(kind, items);
      }
      items.set(name.toLowerCase(), value);
      this.dirty = true;
    },
    remove: (kind: string, name: string): void => {
      this.softDeletedItems.get(kind)?.delete(name.toLowerCase());
      this.dirty = true;
    },
  };

  isTakenElsewhere(kind: string, name: string): boolean {
    return this.takenNames.get(kind.toLowerCase())?.has(name.toLowerCase()) ?? false;
  }

  seedTakenName(kind: string, name: string): void {
    const key = kind.toLowerCase();
    let names = this.takenNames.get(key);
    if (names === undefined) {
      names = new Set();
      this.takenNames.set(key, names);
    }
    names.add(name.toLowerCase());
    this.dirty = true;
  }

  listTakenNames(): Record<string, string[]> {
    return Object.fromEntries([...this.takenNames].map(([kind, names]) => [kind, [...names]]));
  }

  softDeletedDump(): Record<string, JsonObject[]> {
    return Object.fromEntries([...this.softDeletedItems].map(([kind, items]) => [kind, [...items.values()]]));
  }
}
