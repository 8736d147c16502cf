// Turns what the Azure SDKs throw (RestError from core-rest-pipeline, LRO failures, socket errors)
// into one shape: the resource, the operation, ARM's code and message, whether a retry can help
// and how long ARM asked us to wait.

import type { ErrorInfo } from "../engine/types.js";
import { SecureAmlError } from "../errors.js";

export interface ArmErrorInfo extends ErrorInfo {
  resource?: string;
  operation?: string;
  statusCode?: number;
  retryAfterMs?: number;
}

const TRANSIENT_CODES = new Set([
  "AnotherOperationInProgress",
  "RetryableError",
  "TooManyRequests",
  "ServerTimeout",
  "InternalServerError",
  "ServiceUnavailable",
  "GatewayTimeout",
  "OperationNotAllowed_ConcurrentOperation",
  "Conflict_AnotherOperationInProgress",
  "InUseSubnetCannotBeUpdated",
  "ReferencedResourceNotProvisioned",
  "PrivateEndpointCannotBeCreatedInSubnetThatIsUpdating",
  // A new managed identity takes a while to replicate to Microsoft Entra.
  "PrincipalNotFound",
]);

const TRANSIENT_SOCKET_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENOTFOUND", "REQUEST_SEND_ERROR", "UND_ERR_SOCKET"]);

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" ? (obj as Record<string, unknown>)[key] : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** Seconds or HTTP-date → milliseconds; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function headerOf(response: unknown, name: string): string | undefined {
  const headers = field(response, "headers");
  const get = field(headers, "get");
  if (typeof get === "function") return str((get as (n: string) => unknown).call(headers, name));
  return str(field(headers, name));
}

/** ARM's `{ error: { code, message } }` from a RestError (details, response body or the error itself). */
function armErrorBody(err: unknown): { code?: string; message?: string } {
  const details = field(err, "details");
  const fromDetails = field(details, "error") ?? details;
  let code = str(field(fromDetails, "code"));
  let message = str(field(fromDetails, "message"));
  if (!code) {
    const body = str(field(field(err, "response"), "bodyAsText"));
    if (body) {
      try {
        const parsed: unknown = JSON.parse(body);
        const e = field(parsed, "error") ?? parsed;
        code = str(field(e, "code"));
        message = message ?? str(field(e, "message"));
      } catch {
        /* not JSON */
      }
    }
  }
  return { code: code ?? str(field(err, "code")), message: message ?? str(field(err, "message")) };
}

/**
 * core-lro reports an operation that ended `Failed` as a plain Error whose message is
 * "The long-running operation has failed. CODE. MESSAGE" (no status, no body). Recover ARM's code from
 * it so that a failed operation with a transient code (InternalServerError, ...) is retried like the
 * same error answered synchronously.
 */
function lroFailureOf(err: unknown): { code?: string; message?: string } | undefined {
  if (!(err instanceof Error) || field(err, "statusCode") !== undefined) return undefined;
  const match = /^The long-running operation has failed\. ([A-Za-z0-9_.]+)\. ([\s\S]*)$/.exec(err.message);
  return match ? { code: match[1], message: match[2] } : undefined;
}

/**
 * Normalises anything thrown by an SDK call. `resource` is the ID or name, `operation` what we
 * were doing ("create storage account"), so that the message stands on its own.
 */
export function normalizeArmError(err: unknown, context: { resource?: string; operation?: string } = {}): ArmErrorInfo {
  if (err instanceof SecureAmlError) {
    return { code: err.code, message: err.message, armCode: err.armCode, next: err.next, transient: false, ...context };
  }
  const statusCode = typeof field(err, "statusCode") === "number" ? (field(err, "statusCode") as number) : undefined;
  const lroFailure = lroFailureOf(err);
  const { code, message } = lroFailure ?? armErrorBody(err);
  const response = field(err, "response");
  const retryAfterMs = parseRetryAfter(headerOf(response, "retry-after"));
  const socketCode = str(field(err, "code"));
  const isSocket = statusCode === undefined && socketCode !== undefined && TRANSIENT_SOCKET_CODES.has(socketCode);
  const transient =
    isSocket ||
    statusCode === 429 ||
    (statusCode !== undefined && statusCode >= 500) ||
    (code !== undefined && TRANSIENT_CODES.has(code));
  const where = [context.operation, context.resource].filter(Boolean).join(" ");
  const text = message ?? (err instanceof Error ? err.message : String(err));
  const info: ArmErrorInfo = {
    code: isSocket ? "NETWORK_ERROR" : "ARM_ERROR",
    message: `${where ? `${where}: ` : ""}${code && !isSocket ? `${code}: ` : ""}${text}`,
    transient,
    ...context,
  };
  if (code && !isSocket) info.armCode = code;
  if (statusCode !== undefined) info.statusCode = statusCode;
  if (retryAfterMs !== undefined) info.retryAfterMs = retryAfterMs;
  return info;
}

/** An error carrying ArmErrorInfo, thrown by steps so the engine and UI can show it as is. */
export class ArmOperationError extends SecureAmlError {
  constructor(readonly info: ArmErrorInfo) {
    super(info.code, info.message, 1, info.next, info.armCode);
    this.name = "ArmOperationError";
  }
  get transient(): boolean {
    return this.info.transient === true;
  }
  get retryAfterMs(): number | undefined {
    return this.info.retryAfterMs;
  }
}

export function isNotFound(err: unknown): boolean {
  if (field(err, "statusCode") === 404) return true;
  const code = armErrorBody(err).code;
  return code === "ResourceNotFound" || code === "ResourceGroupNotFound" || code === "NotFound" || code === "ParentResourceNotFound";
}

/** Runs an SDK call, rethrowing failures as ArmOperationError with context. */
export async function armCall<T>(context: { resource: string; operation: string }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ArmOperationError) throw err;
    if (isAbort(err)) throw err;
    throw new ArmOperationError(normalizeArmError(err, context));
  }
}

/** GET that returns undefined on 404. */
export async function getOrUndefined<T>(context: { resource: string; operation?: string }, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    if (isAbort(err)) throw err;
    throw new ArmOperationError(normalizeArmError(err, { resource: context.resource, operation: context.operation ?? "read" }));
  }
}

export function isAbort(err: unknown): boolean {
  return field(err, "name") === "AbortError";
}
