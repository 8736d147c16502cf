// Contract between the emulator's core (HTTP, routing, store, LRO, faults; src/emulator/*.ts) and
// its resource providers (src/emulator/providers/*.ts). The core owns everything generic to ARM;
// a provider owns the shape and the rules of its resource types. See docs/emulator.md.

/** JSON as it travels on the wire. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** ARM's error envelope content: `{ "error": { "code", "message" } }`, with the HTTP status to send. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Array<{ code: string; message: string; target?: string }>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ArmError";
  }
}

/** A stored resource. `body` is what GET returns (before the provider's optional `view`). */
export interface ResourceRecord {
  /** Canonical ID as first created (casing preserved); the store is keyed case-insensitively. */
  id: string;
  /** Full type, e.g. "Microsoft.Network/virtualNetworks/subnets". */
  type: string;
  name: string;
  /** Resource group name, or undefined for subscription-level or tenant-level resources. */
  resourceGroup?: string;
  subscriptionId: string;
  /** The api-version of the last write. */
  apiVersion: string;
  body: JsonObject;
  /** Set while an operation (create/update/delete) is in flight. */
  pendingOperation?: { id: string; kind: "create" | "update" | "delete" | "action"; endsAt: number };
  createdAt: string;
  updatedAt: string;
}

/** Read and write access to the emulated world, for provider rules and side effects. */
export interface ResourceStore {
  get(id: string): ResourceRecord | undefined;
  /** Every record whose type matches (case-insensitive), optionally below a scope ID prefix. */
  listByType(type: string, scope?: string): ResourceRecord[];
  /** Direct children (one level) of a resource ID, optionally of one child type. */
  children(parentId: string, childType?: string): ResourceRecord[];
  /** Creates or replaces a record immediately (no LRO): for side effects such as DNS A records. */
  upsert(record: Omit<ResourceRecord, "createdAt" | "updatedAt"> & Partial<Pick<ResourceRecord, "createdAt" | "updatedAt">>): ResourceRecord;
  /** Removes a record and everything below it immediately. */
  remove(id: string): void;
  /** Soft-deleted items (key vaults, workspaces): kept by kind and lower-cased name. */
  softDeleted: {
    get(kind: string, name: string): JsonObject | undefined;
    list(kind: string): JsonObject[];
    put(kind: string, name: string, value: JsonObject): void;
    remove(kind: string, name: string): void;
  };
  /** Names held "by someone else" in another tenant (seeded by tests), by kind: "storage", "keyvault", "registry". */
  isTakenElsewhere(kind: string, name: string): boolean;
}

export interface HandlerContext {
  store: ResourceStore;
  subscriptionId: string;
  /** Case-preserving ID of the resource addressed by the request. */
  id: string;
  resourceGroup?: string;
  name: string;
  /** The api-version of the request being handled (for `view`, of the request being answered). */
  apiVersion: string;
  /** A new random GUID (principal IDs, resource GUIDs, etags). */
  guid(): string;
  now(): Date;
  /** Parsed ID helpers. */
  parentId(id: string): string | undefined;
  /**
   * For `onDeleted`: the delete request's query parameters other than api-version (e.g. Log Analytics'
   * `force=true`, Machine Learning's `forceToPurge=true`: purge instead of soft delete). Empty for a cascade.
   */
  deleteQuery?: Record<string, string>;
}

export interface WriteRequest {
  /** The stored record when it already exists (update); undefined on create. */
  existing?: ResourceRecord;
  /** The request body as sent. */
  body: JsonObject;
}

export interface ActionRequest {
  /** The resource the action is on (undefined for provider-level actions). */
  record?: ResourceRecord;
  body: JsonObject;
  /** Query parameters other than api-version. */
  query: Record<string, string>;
}

export interface ActionResponse {
  status: number;
  body?: Json;
  /** When set, the action is long-running and completes after this many realistic seconds. */
  longRunningSeconds?: number;
}

export interface ResourceTypeHandler {
  /** Full type, e.g. "Microsoft.Network/virtualNetworks/subnets" (matched case-insensitively). */
  type: string;
  /** api-versions ARM accepts for this type (the SDKs' versions and the specs' versions). */
  apiVersions: string[];
  /** "required": regional resource; "global": location must be "global"; "none": child resource without location. */
  location: "required" | "global" | "none";
  /**
   * How writes complete. "sync": 200/201 with a final body; "async": 201/200 with provisioningState
   * Creating/Updating and an Azure-AsyncOperation (or Location) header, Succeeded after the latency.
   */
  lro: {
    put: "sync" | "async";
    delete: "sync" | "async";
    /**
     * PATCH completion when it differs from PUT (default: as `put`). E.g. StorageAccounts_Update,
     * Vaults_Update and Workspaces_Update (Log Analytics) answer 200 synchronously while their PUT is long-running.
     */
    patch?: "sync" | "async";
    /**
     * HTTP status of a PUT that creates (default 201). Components_CreateOrUpdate (Application Insights)
     * lists only 200, and the SDK rejects any other status; Workspaces_CreateOrUpdate (Machine Learning) lists 200/202.
     */
    createStatus?: 200 | 201 | 202;
    header?: "Azure-AsyncOperation" | "Location";
    /**
     * PUT on an existing resource when it differs from a create (default: as `put`). Vaults_CreateOrUpdate
     * answers a create with `RegisteringDns` and polls, an update with 200 `Succeeded` at once.
     */
    update?: "sync" | "async";
    /**
     * Async writes are answered 202 with no body and both `Azure-AsyncOperation` and `Location` (private DNS
     * zones and links, Private Link Scope connections), as recorded; a failed precondition then fails the
     * operation (PreconditionFailed) instead of the request.
     */
    acceptedWrites?: boolean;
    /** A delete's 202 carries only `Location` (registries' private endpoint connections), not both headers. */
    deleteHeader?: "Location";
    /** `provisioningState` while a write runs (default Creating / Updating): Microsoft.Network answers a create `Updating`. */
    pendingState?: { create?: string; update?: string };
  };
  /** Realistic durations in seconds on real Azure, from src/durations.ts (sources there and in docs/emulator.md). */
  latency: { create: number; update: number; delete: number };
  /**
   * Durations that depend on the resource's body (e.g. an ML compute: an AmlCompute cluster vs a
   * ComputeInstance). Called with the body as stored (after `put`/`patch`; the stored body for a delete);
   * undefined falls back to `latency`.
   */
  latencyFor?(body: JsonObject): { create: number; update: number; delete: number } | undefined;
  /** Writes to this resource while it (or its parent) has an operation in flight fail with AnotherOperationInProgress. */
  exclusiveWrites?: boolean;
  /**
   * Whether the core manages `properties.provisioningState` (default true). Set false for types whose
   * spec has no provisioningState (e.g. role assignments, private DNS record sets); their writes must be "sync".
   */
  provisioningState?: boolean;
  /** The core sets a fresh weak `etag` (W/"guid") on every write (default false: set it only where the spec has it). */
  etag?: boolean;
  /** The core maintains ARM's `systemData` (createdAt/By, lastModifiedAt/By) (default false: only where the spec has it). */
  systemData?: boolean;
  /**
   * Validates a PUT and returns the body to store (without provisioningState, id, name, type: the core
   * adds those). Throw ArmError to refuse.
   */
  put(ctx: HandlerContext, req: WriteRequest): JsonObject | Promise<JsonObject>;
  /** PATCH semantics; default (when absent) is 405 MethodNotAllowed. */
  patch?(ctx: HandlerContext, req: WriteRequest & { existing: ResourceRecord }): JsonObject | Promise<JsonObject>;
  /** Refuse a delete (e.g. InUseSubnetCannotBeDeleted). */
  beforeDelete?(ctx: HandlerContext, record: ResourceRecord): void;
  /** Side effects once a create/update reaches Succeeded (DNS A records, principal IDs, ...). */
  onSucceeded?(ctx: HandlerContext, record: ResourceRecord): void;
  /** Side effects after a delete completes (soft delete, cleaning references). */
  onDeleted?(ctx: HandlerContext, record: ResourceRecord): void;
  /**
   * Composes the body a client sees (e.g. a VNet shows its subnet child records inline). `ctx.apiVersion` is
   * the api-version of the request being answered (not `record.apiVersion`, the last write's): drop what that
   * version's spec lacks.
   */
  view?(ctx: HandlerContext, record: ResourceRecord): JsonObject;
  /** POST {resourceId}/{action}, by lower-cased action name. */
  actions?: Record<string, (ctx: HandlerContext, req: ActionRequest) => ActionResponse | Promise<ActionResponse>>;
}

/**
 * POST or GET on a provider path that is not a resource: `/subscriptions/{sub}/providers/{ns}/{...}`,
 * e.g. Microsoft.Storage/checkNameAvailability, Microsoft.KeyVault/deletedVaults,
 * Microsoft.KeyVault/locations/{loc}/deletedVaults/{name}/purge.
 */
export interface ProviderRoute {
  method: "GET" | "POST" | "DELETE";
  /** Path after `/subscriptions/{sub}/providers/`, with `{name}` placeholders, matched case-insensitively. */
  path: string;
  apiVersions: string[];
  handle(ctx: Omit<HandlerContext, "id" | "name" | "resourceGroup">, params: Record<string, string>, req: ActionRequest): ActionResponse | Promise<ActionResponse>;
}

export interface EmulatorProvider {
  namespace: string; // "Microsoft.Network"
  types: ResourceTypeHandler[];
  routes?: ProviderRoute[];
}

/** One finding of Microsoft's spec validation (oav LiveValidator) on a request or response. */
export interface SpecFinding {
  /** "error": fails the request (400 InvalidRequestContent) or the test; "unverified": logged only. */
  severity: "error" | "unverified";
  code: string; // oav's code, e.g. OBJECT_ADDITIONAL_PROPERTIES, INVALID_TYPE
  message: string;
  /** JSON path in the payload, e.g. "$.properties.addressSpace". */
  path: string;
  operationId?: string;
  /** The spec api-version validated against (may be older than the request's). */
  specApiVersion?: string;
}

export interface SpecValidator {
  validateRequest(input: { method: string; url: string; headers: Record<string, string>; body: unknown }): Promise<SpecFinding[]>;
  validateResponse(input: { method: string; url: string; status: number; headers: Record<string, string>; body: unknown }): Promise<SpecFinding[]>;
}
