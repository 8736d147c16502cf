// The one place that knows what Azure's failures mean. Turns what the Azure SDKs and @azure/identity
// throw (RestError from core-rest-pipeline, LRO failures, socket errors, credential errors) into one
// shape: the resource, the operation, ARM's code and message, whether a retry can help (and why) and
// how long ARM asked us to wait. The engine gets `classifyError`/`isRetryable` injected (it imports
// nothing of Azure); commands use `classifyError` for the result document.

import { ExitCode, SecureAmlError, describeError, type ErrorCode, type ErrorInfo } from "../errors.js";

/** Why a failure is worth trying again. */
export type RetryReason = "throttled" | "server" | "network" | "conflict";

export interface ArmErrorInfo extends ErrorInfo {
  resource?: string;
  operation?: string;
  statusCode?: number;
  retryReason?: RetryReason;
}

/** ARM's codes for "too many requests". */
const THROTTLING_CODES = new Set(["TooManyRequests", "SubscriptionRequestsThrottled", "ResourceRequestsThrottled", "TenantRequestsThrottled"]);

/** Server-side codes that come with a 200/4xx envelope, or inside a failed long-running operation. */
const SERVER_CODES = new Set(["InternalServerError", "ServiceUnavailable", "GatewayTimeout", "ServerTimeout", "OperationTimedOut", "InternalError"]);

/**
 * ARM's conflict family: the request was right but something else holds the resource (or a
 * dependency has not caught up yet). Each lasts seconds to minutes on real Azure and goes away by
 * itself. Sources: the Terraform azurerm provider retries `RetryableError`, `StorageAccountOperationInProgress`,
 * `ConflictError` and `InvalidPrivateLinkServiceId` on private endpoints and `PrincipalNotFound` on role
 * assignments; Azure Storage documents `StorageAccountOperationInProgress`, `StorageAccountBeingCreated`
 * and `StorageAccountIsNotProvisioned` as 409s to retry; the network provider answers
 * `AnotherOperationInProgress`, `InUseSubnetCannotBeUpdated`, `ReferencedResourceNotProvisioned` and
 * `PrivateEndpointCannotBeCreatedInSubnetThatIsUpdating` while another write on the VNet runs.
 */
export const CONFLICT_CODES: ReadonlySet<string> = new Set([
  "AnotherOperationInProgress",
  "Conflict_AnotherOperationInProgress",
  "OperationNotAllowed_ConcurrentOperation",
  "CanceledAndSupersededDueToAnotherOperation",
  "RetryableError",
  "ConflictError",
  "StorageAccountOperationInProgress",
  "StorageAccountBeingCreated",
  "StorageAccountIsNotProvisioned",
  "InUseSubnetCannotBeUpdated",
  "InvalidPrivateLinkServiceId",
  "ReferencedResourceNotProvisioned",
  "PrivateEndpointCannotBeCreatedInSubnetThatIsUpdating",
  // A new managed identity takes a while to replicate to Microsoft Entra.
  "PrincipalNotFound",
]);

/** A connection that dropped or timed out: retried. */
const TRANSIENT_SOCKET_CODES = new Set(["ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "REQUEST_SEND_ERROR", "UND_ERR_SOCKET"]);
/**
 * A connection that was refused or a host that does not exist: a wrong --endpoint far more often than
 * a passing fault, so it is reported at once (NETWORK_ERROR) instead of being retried for minutes.
 */
const UNREACHABLE_SOCKET_CODES = new Set(["ECONNREFUSED", "ENOTFOUND"]);

/** @azure/identity's errors for "no usable credential". */
const IDENTITY_ERROR_NAMES = new Set(["CredentialUnavailableError", "AggregateAuthenticationError", "AuthenticationRequiredError"]);

/** The next step printed when no credential is found. */
export const SIGN_IN_NEXT =
  "run `az login` (then re-run), or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET for a service principal; " + "or try everything locally with --local";

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

/** Why retrying can help, from the HTTP status, ARM's code and the socket's error code; undefined: it cannot. */
export function retryReasonOf(statusCode: number | undefined, armCode: string | undefined, socketCode?: string): RetryReason | undefined {
  if (statusCode === undefined && socketCode !== undefined && TRANSIENT_SOCKET_CODES.has(socketCode)) return "network";
  if (statusCode === 429 || (armCode !== undefined && THROTTLING_CODES.has(armCode))) return "throttled";
  if (armCode !== undefined && CONFLICT_CODES.has(armCode)) return "conflict";
  if ((statusCode !== undefined && statusCode >= 500) || (armCode !== undefined && SERVER_CODES.has(armCode))) return "server";
  return undefined;
}

/**
 * Normalises anything thrown by an SDK call. `resource` is the ID or name, `operation` what we
 * were doing ("create storage account"), so that the message stands on its own.
 */
export function normalizeArmError(err: unknown, context: { resource?: string; operation?: string } = {}): ArmErrorInfo {
  if (err instanceof ArmOperationError) return { ...err.info, ...context };
  if (err instanceof SecureAmlError) return { ...err.toInfo(), transient: false, ...context };
  const statusCode = typeof field(err, "statusCode") === "number" ? (field(err, "statusCode") as number) : undefined;
  const lroFailure = lroFailureOf(err);
  const { code, message } = lroFailure ?? armErrorBody(err);
  const response = field(err, "response");
  const retryAfterMs = parseRetryAfter(headerOf(response, "retry-after"));
  const socketCode = str(field(err, "code"));
  const retryReason = retryReasonOf(statusCode, code, socketCode);
  const isSocket = retryReason === "network" || (statusCode === undefined && socketCode !== undefined && UNREACHABLE_SOCKET_CODES.has(socketCode));
  const where = [context.operation, context.resource].filter(Boolean).join(" ");
  const text = message ?? (err instanceof Error ? err.message : String(err));
  const info: ArmErrorInfo = {
    code: isSocket ? "NETWORK_ERROR" : "ARM_ERROR",
    message: `${where ? `${where}: ` : ""}${code && !isSocket ? `${code}: ` : ""}${text}`,
    transient: retryReason !== undefined,
    ...context,
  };
  if (retryReason) info.retryReason = retryReason;
  if (code && !isSocket) info.armCode = code;
  if (statusCode !== undefined) info.statusCode = statusCode;
  if (retryAfterMs !== undefined) info.retryAfterMs = retryAfterMs;
  return info;
}

/** An error carrying ArmErrorInfo, thrown by steps so the engine and UI can show it as is. */
export class ArmOperationError extends SecureAmlError {
  constructor(readonly info: ArmErrorInfo) {
    super(info.code, info.message, ExitCode.failed, info.next, info.armCode);
    this.name = "ArmOperationError";
  }
  override toInfo(): ErrorInfo {
    return errorInfoFields(this.info);
  }
  get transient(): boolean {
    return this.info.transient === true;
  }
  get retryAfterMs(): number | undefined {
    return this.info.retryAfterMs;
  }
}

function errorInfoFields(info: ArmErrorInfo): ErrorInfo {
  const { code, message, armCode, next, transient, retryAfterMs } = info;
  return {
    code,
    message,
    ...(armCode ? { armCode } : {}),
    ...(next ? { next } : {}),
    ...(transient !== undefined ? { transient } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
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

// ---------------------------------------------------------------------------------------------
// Sign-in

/**
 * The one sign-in translator: @azure/identity's "no usable credential" errors (and an earlier
 * NOT_SIGNED_IN) become SecureAmlError NOT_SIGNED_IN with what to run; anything else is undefined.
 */
export function signInError(error: unknown): SecureAmlError | undefined {
  const name = field(error, "name");
  const code = field(error, "code");
  const identity = (typeof name === "string" && IDENTITY_ERROR_NAMES.has(name)) || code === "NOT_SIGNED_IN";
  if (!identity) return undefined;
  return new SecureAmlError(
    "NOT_SIGNED_IN",
    "No Azure credential was found: DefaultAzureCredential tried the environment variables, a managed identity and the Azure CLI login.",
    ExitCode.failed,
    SIGN_IN_NEXT,
  );
}

// ---------------------------------------------------------------------------------------------
// The one classification

function looksLikeSdkError(err: unknown): boolean {
  const name = field(err, "name");
  const code = field(err, "code");
  return (
    name === "RestError" ||
    typeof field(err, "statusCode") === "number" ||
    (typeof code === "string" && (TRANSIENT_SOCKET_CODES.has(code) || UNREACHABLE_SOCKET_CODES.has(code))) ||
    lroFailureOf(err) !== undefined
  );
}

/**
 * Any failure as ErrorInfo: secure-aml's own errors as they are (ArmOperationError with ARM's code,
 * retry flag and Retry-After), interrupts as INTERRUPTED, credential errors as NOT_SIGNED_IN, what the
 * SDKs throw as ARM_ERROR / NETWORK_ERROR, and anything else as `fallback` (STEP_FAILED inside a step,
 * UNEXPECTED around a command). Never a stack trace.
 */
export function classifyError(err: unknown, fallback: ErrorCode = "UNEXPECTED"): ErrorInfo {
  if (err instanceof ArmOperationError) return err.toInfo();
  if (!(err instanceof SecureAmlError)) {
    const signIn = signInError(err);
    if (signIn) return signIn.toInfo();
    if (looksLikeSdkError(err) && !isAbort(err)) return errorInfoFields(normalizeArmError(err));
  }
  return describeError(err, fallback);
}

/** Whether a failure is worth retrying (the engine's `isTransient`). */
export function isRetryable(err: unknown): boolean {
  if (field(err, "transient") === true) return true;
  return classifyError(err, "STEP_FAILED").transient === true;
}
