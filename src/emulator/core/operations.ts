// ARM's long-running operations: starting one (with the fault injector's say on whether it ends
// Failed), the URLs a client polls (Azure-AsyncOperation status, Location results, the resource
// groups' own /operationresults), Retry-After, completing operations as their end time passes, and
// what each poll answers. Operations carry absolute end times in the world file, so they survive a restart.
import { randomUUID } from "node:crypto";
import type { FaultInjector } from "../faults.js";
import { operationDurationMs, RESOURCE_GROUP_RETRY_AFTER_SECONDS, retryAfterSeconds, type LatencySettings } from "../latency.js";
import { RESOURCE_GROUP_TYPE } from "../providers/resources.js";
import { ArmError, type JsonObject, type ResourceRecord, type ResourceTypeHandler } from "../types.js";
import { normalizeLocation, sameText } from "./common.js";
import type { Records } from "./records.js";
import type { ProviderRegistry } from "./registry.js";
import { armErrorBody, OPERATION_RESULTS_SEGMENT, OPERATION_STATUS_SEGMENT, type Reply, type RequestState } from "./request.js";
import type { OperationRecord, World } from "./store.js";

export interface OperationsDeps {
  world: World;
  records: Records;
  registry: Pick<ProviderRegistry, "handlerFor">;
  faults: FaultInjector;
  latency: LatencySettings;
  endpoint(): string;
  log(line: string): void;
}

export class Operations {
  constructor(private readonly deps: OperationsDeps) {}

  /** Starts an operation on a record; the record shows `provisioningState` (when given) and the pending operation. */
  start(
    state: RequestState,
    kind: OperationRecord["kind"],
    record: ResourceRecord,
    handler: ResourceTypeHandler,
    realisticSeconds: number,
    provisioningState?: string,
  ): OperationRecord {
    const { world, records } = this.deps;
    const now = Date.now();
    const failAtEnd = this.failAtEnd(state);
    const operation: OperationRecord = {
      id: randomUUID(),
      kind,
      resourceId: record.id,
      resourceType: record.type,
      subscriptionId: record.subscriptionId,
      namespace: handler.type.split("/")[0]!,
      location: records.locationOf(record),
      apiVersion: state.apiVersion ?? record.apiVersion,
      startedAt: now,
      endsAt: now + operationDurationMs(this.deps.latency, realisticSeconds),
      status: "InProgress",
      failAtEnd: failAtEnd || undefined,
    };
    world.operations.set(operation.id, operation);
    const updated = provisioningState !== undefined ? records.setProvisioningState(record, provisioningState) : record;
    world.upsert({ ...(world.get(updated.id) ?? updated), pendingOperation: { id: operation.id, kind, endsAt: operation.endsAt } });
    world.markDirty();
    return operation;
  }

  /** A long-running provider-route operation (no record): completes with the route's result after the latency. */
  startDetached(state: RequestState, subscriptionId: string, namespace: string, realisticSeconds: number): OperationRecord {
    const now = Date.now();
    const failAtEnd = this.failAtEnd(state);
    const locationSegment = state.segments.findIndex((segment) => sameText(segment, "locations"));
    const location = locationSegment >= 0 && state.segments[locationSegment + 1] ? normalizeLocation(state.segments[locationSegment + 1]!) : "global";
    const operation: OperationRecord = {
      id: randomUUID(),
      kind: "action",
      resourceId: state.url.pathname,
      resourceType: `${namespace}/providerAction`,
      subscriptionId,
      namespace,
      location,
      apiVersion: state.apiVersion ?? "",
      startedAt: now,
      endsAt: now + operationDurationMs(this.deps.latency, realisticSeconds),
      status: "InProgress",
      failAtEnd: failAtEnd || undefined,
      detached: true,
    };
    this.deps.world.operations.set(operation.id, operation);
    this.deps.world.markDirty();
    return operation;
  }

  /**
   * An accepted write whose precondition failed (`acceptedWrites` types): a detached operation that
   * touches no record (the resource stays as it was, or absent) and fails with PreconditionFailed at once.
   */
  startFailedPrecondition(
    state: RequestState,
    handler: ResourceTypeHandler,
    target: { id: string; subscriptionId: string; apiVersion: string },
    existing: ResourceRecord | undefined,
    message: string,
  ): OperationRecord {
    const now = Date.now();
    const operation: OperationRecord = {
      id: randomUUID(),
      kind: existing ? "update" : "create",
      resourceId: target.id,
      resourceType: handler.type,
      subscriptionId: target.subscriptionId,
      namespace: handler.type.split("/")[0]!,
      location: existing ? this.deps.records.locationOf(existing) : "global",
      apiVersion: state.apiVersion ?? target.apiVersion,
      startedAt: now,
      endsAt: now,
      status: "InProgress",
      detached: true,
      failAtEnd: true,
      error: { code: "PreconditionFailed", message },
    };
    this.deps.world.operations.set(operation.id, operation);
    this.deps.world.markDirty();
    return operation;
  }

  /** Whether the fault injector fails this request's operation at its end (noted in the request log). */
  private failAtEnd(state: RequestState): boolean {
    const failAtEnd = this.deps.faults.onOperationStart({ method: state.method, path: state.url.pathname, requestClass: state.requestClass });
    if (failAtEnd) state.logEntry.fault = "fail";
    return failAtEnd;
  }

  get(operationId: string): OperationRecord | undefined {
    return this.deps.world.operations.get(operationId);
  }

  url(operation: OperationRecord, shape: "status" | "results" | "resourceGroup"): string {
    const endpoint = this.deps.endpoint();
    const query = `?api-version=${encodeURIComponent(operation.apiVersion)}`;
    if (shape === "resourceGroup") return `${endpoint}/subscriptions/${operation.subscriptionId}/operationresults/${operation.id}${query}`;
    const segment = shape === "status" ? OPERATION_STATUS_SEGMENT : OPERATION_RESULTS_SEGMENT;
    return `${endpoint}/subscriptions/${operation.subscriptionId}/providers/${operation.namespace}/locations/${operation.location}/${segment}/${operation.id}${query}`;
  }

  /** Retry-After for an answer about a running operation (see `retryAfterSeconds`); nothing when it is 0. */
  setRetryAfter(headers: Record<string, string>, operation: OperationRecord, armSeconds?: number): void {
    const seconds = retryAfterSeconds(this.deps.latency, operation.endsAt - Date.now(), armSeconds, operation.retryAfterSent === true);
    if (seconds === undefined) return;
    headers["Retry-After"] = String(seconds);
    operation.retryAfterSent = true;
  }

  /** Completes every operation whose end time has passed, in end-time order. */
  advance(now = Date.now()): void {
    const { world } = this.deps;
    const due = [...world.operations.values()].filter((operation) => operation.status === "InProgress" && operation.endsAt <= now);
    due.sort((a, b) => a.endsAt - b.endsAt);
    for (const operation of due) this.finish(operation, now);
    if (due.length > 0) world.saveIfDirty();
  }

  private finish(operation: OperationRecord, now: number): void {
    const { world, records } = this.deps;
    operation.finishedAt = now;
    world.markDirty();
    if (operation.detached) {
      if (operation.failAtEnd) {
        operation.status = "Failed";
        // A detached operation may carry its own error (a failed precondition on a private DNS zone).
        operation.error ??= { code: "InternalServerError", message: "An unexpected error occurred while processing the operation (fault injected by the emulator)." };
      } else operation.status = "Succeeded";
      return;
    }
    const record = world.get(operation.resourceId);
    const owned = record?.pendingOperation?.id === operation.id;
    if (!record || !owned) {
      // The resource went away (or another write replaced this operation): the operation is moot.
      operation.status = operation.kind === "delete" ? "Succeeded" : "Canceled";
      return;
    }
    const handler = this.deps.registry.handlerFor(record.type);
    if (operation.failAtEnd) {
      operation.status = "Failed";
      operation.error = operation.failure ?? {
        code: "InternalServerError",
        message: "An unexpected error occurred while processing the operation (fault injected by the emulator).",
      };
      const failed = records.setProvisioningState(record, "Failed");
      world.upsert({ ...failed, pendingOperation: undefined });
      return;
    }
    if (operation.kind === "delete") {
      this.deleteNow(record, operation.deleteQuery);
      operation.status = "Succeeded";
      return;
    }
    const cleared = world.upsert({ ...record, pendingOperation: undefined });
    const succeeded = operation.kind === "action" ? cleared : records.setProvisioningState(cleared, "Succeeded");
    operation.status = "Succeeded";
    if (operation.kind !== "action" && handler) {
      try {
        this.runSucceeded(handler, succeeded);
      } catch (error) {
        operation.status = "Failed";
        operation.error = error instanceof ArmError ? { code: error.code, message: error.message } : { code: "InternalServerError", message: String(error) };
        records.setProvisioningState(world.get(succeeded.id) ?? succeeded, "Failed");
      }
    }
  }

  /** The handler's side effects once a write reached Succeeded (synchronously or at the operation's end). */
  runSucceeded(handler: ResourceTypeHandler, record: ResourceRecord): void {
    if (!handler.onSucceeded) return;
    handler.onSucceeded(this.deps.records.contextOf(record), record);
  }

  /** Deletes a record and everything below it now, calling each handler's onDeleted, children first. */
  deleteNow(record: ResourceRecord, deleteQuery?: Record<string, string>): void {
    const { world, records, registry } = this.deps;
    const doomed = [...world.descendants(record.id), record];
    for (const item of doomed) {
      const current = world.get(item.id);
      if (!current) continue;
      world.remove(current.id);
      const handler = registry.handlerFor(current.type);
      if (handler?.onDeleted) {
        try {
          const ctx = records.contextOf(current);
          // The query applies to the resource the request named, not to its children.
          if (deleteQuery && current.id === record.id) ctx.deleteQuery = deleteQuery;
          handler.onDeleted(ctx, current);
        } catch (error) {
          this.deps.log(`emulator: onDeleted of ${current.id} failed: ${(error as Error).message}`);
        }
      }
    }
  }

  /** GET .../operationStatuses/{id}: the Azure-AsyncOperation poll. */
  status(operationId: string, subscriptionId: string): Reply {
    const operation = this.owned(operationId, subscriptionId);
    const body: JsonObject = {
      id: `/subscriptions/${operation.subscriptionId}/providers/${operation.namespace}/locations/${operation.location}/${OPERATION_STATUS_SEGMENT}/${operation.id}`,
      name: operation.id,
      status: operation.status,
      startTime: new Date(operation.startedAt).toISOString(),
    };
    if (operation.finishedAt !== undefined) body.endTime = new Date(operation.finishedAt).toISOString();
    if (operation.error) body.error = { code: operation.error.code, message: operation.error.message };
    const headers: Record<string, string> = {};
    if (operation.status === "InProgress") {
      this.setRetryAfter(headers, operation);
    }
    return { status: 200, body, headers };
  }

  /** GET .../operationResults/{id} (and a resource group's /operationresults/{id}): the Location poll. */
  result(operationId: string, subscriptionId: string): Reply {
    const operation = this.owned(operationId, subscriptionId);
    if (operation.status === "InProgress") {
      const headers: Record<string, string> = {};
      const isGroup = sameText(operation.resourceType, RESOURCE_GROUP_TYPE);
      headers.Location = this.url(operation, isGroup ? "resourceGroup" : "results");
      this.setRetryAfter(headers, operation, isGroup ? RESOURCE_GROUP_RETRY_AFTER_SECONDS : undefined);
      return { status: 202, headers };
    }
    if (operation.status === "Failed") {
      const error = operation.error ?? { code: "InternalServerError", message: "The operation failed." };
      // 400 rather than 500: the SDK's retry policy would re-poll a 5xx several times before failing.
      return { status: 400, body: armErrorBody(new ArmError(400, error.code, error.message)) };
    }
    if (operation.kind === "delete") return { status: 204 };
    if (operation.kind === "action") {
      // 200 even without a result: the TypeSpec-generated SDKs (arm-keyvault 5, arm-compute 24) accept only the
      // statuses the operation's spec lists for a poll (200/202 for actions), not 204.
      return operation.result === undefined || operation.result === null ? { status: 200 } : { status: operation.resultStatus ?? 200, body: operation.result };
    }
    const record = this.deps.world.get(operation.resourceId);
    if (!record) return { status: 204 };
    // Rendered for the api-version of the request that started the operation (the poll URL carries it).
    return { status: 200, body: this.deps.records.viewOf(record, operation.apiVersion) };
  }

  /** The operation, when it exists in this subscription; another subscription's is not found. */
  private owned(operationId: string, subscriptionId: string): OperationRecord {
    const operation = this.deps.world.operations.get(operationId);
    if (!operation || !sameText(operation.subscriptionId, subscriptionId)) {
      throw new ArmError(404, "OperationNotFound", `The operation '${operationId}' could not be found.`);
    }
    return operation;
  }
}
