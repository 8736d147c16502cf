// One HTTPS request from arrival to answer: the path as ARM reads it, the body size limit, the
// /_emulator/ routes, completing due operations, the request log, injected faults, the ARM pipeline
// (dispatch.ts), persisting the world, response validation and the error envelope.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { InjectedFault } from "../faults.js";
import { ArmError } from "../types.js";
import { isObject, sameText } from "./common.js";
import { dispatch } from "./dispatch.js";
import { acceptedByProvider } from "./findings.js";
import { introspect } from "./introspection.js";
import { armErrorBody, classify, type EmulatorCore, type Reply, type RequestLogEntry, type RequestState } from "./request.js";
import { MAX_REQUEST_BODY_BYTES, readBody, send } from "./wire.js";

const MAX_LOG_ENTRIES = 20_000;

/** The last MAX_LOG_ENTRIES requests, for /_emulator/requests (tests count writes and polls with it). */
export class RequestLog {
  readonly entries: RequestLogEntry[] = [];

  append(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > MAX_LOG_ENTRIES) this.entries.splice(0, this.entries.length - MAX_LOG_ENTRIES);
  }

  clear(): void {
    this.entries.length = 0;
  }
}

export async function handleRequest(core: EmulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  // Concatenated rather than resolved: the SDKs' by-ID operations send "//subscriptions/..." (their
  // template is "/{resourceId}"), which URL resolution would read as a host name. ARM collapses slashes.
  const url = new URL(`https://127.0.0.1${req.url ?? "/"}`);
  url.pathname = url.pathname.replace(/\/{2,}/g, "/");
  let segments: string[];
  try {
    segments = url.pathname
      .split("/")
      .filter(Boolean)
      .map((segment) => decodeURIComponent(segment));
  } catch {
    segments = url.pathname.split("/").filter(Boolean);
  }
  const { text: rawBody, tooLarge } = await readBody(req, MAX_REQUEST_BODY_BYTES);
  if (tooLarge) {
    const requestClass = classify(method, segments);
    const logEntry: RequestLogEntry = {
      time: new Date().toISOString(),
      method,
      path: url.pathname,
      apiVersion: url.searchParams.get("api-version") ?? undefined,
      status: 413,
      class: requestClass,
      errorCode: "RequestEntityTooLarge",
    };
    core.requestLog.append(logEntry);
    send(
      res,
      errorReply(core, new ArmError(413, "RequestEntityTooLarge", `The request content was too large and exceeded the allowed limit of ${MAX_REQUEST_BODY_BYTES} bytes.`)),
      method,
    );
    return;
  }
  if (sameText(segments[0], "_emulator")) {
    let reply: Reply;
    try {
      reply = await introspect(core, method, segments.slice(1), rawBody, url);
    } catch (error) {
      reply = errorReply(core, error);
    }
    send(res, reply, method);
    return;
  }
  core.operations.advance();
  const requestClass = classify(method, segments);
  const apiVersion = url.searchParams.get("api-version") ?? undefined;
  const logEntry: RequestLogEntry = { time: new Date().toISOString(), method, path: url.pathname, apiVersion, status: 0, class: requestClass };
  core.requestLog.append(logEntry);

  const fault = core.faults.onRequest({ method, path: url.pathname, requestClass });
  if (fault) {
    answerFault(fault, res, logEntry, method);
    return;
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
  const state: RequestState = { method, url, segments, apiVersion, body: undefined, rawBody, headers, requestClass, logEntry };
  let reply: Reply;
  try {
    reply = await dispatch(core, state);
  } catch (error) {
    reply = errorReply(core, error);
  }
  try {
    core.world.saveIfDirty();
  } catch (error) {
    core.log(`emulator: could not save the world: ${(error as Error).message}`);
    reply = errorReply(core, new ArmError(500, "InternalServerError", "The emulator could not persist its state."));
  }
  if (core.findings.enabled && !state.skipResponseValidation && requestClass !== "poll") {
    await core.findings.validateResponse(state, reply);
  }
  if (state.nameRuleErrors && acceptedByProvider(reply)) core.findings.recordLeniency(state, reply, state.nameRuleErrors);
  logEntry.status = reply.status;
  if (reply.status >= 400 && isObject(reply.body) && isObject(reply.body.error) && typeof reply.body.error.code === "string") {
    logEntry.errorCode = reply.body.error.code;
  }
  send(res, reply, method);
}

/** ARM's error envelope for an ArmError; anything else is the emulator's own bug, logged and answered 500. */
function errorReply(core: Pick<EmulatorCore, "log">, error: unknown): Reply {
  if (error instanceof ArmError) return { status: error.status, body: armErrorBody(error), headers: error.headers };
  core.log(`emulator: internal error: ${(error as Error)?.stack ?? String(error)}`);
  return {
    status: 500,
    body: armErrorBody(new ArmError(500, "InternalServerError", `The emulator failed while handling the request: ${(error as Error)?.message ?? String(error)}`)),
  };
}

/** An injected fault answers in ARM's words (429 throttling, 500, 503) or drops the connection. */
function answerFault(fault: InjectedFault, res: ServerResponse, logEntry: RequestLogEntry, method: string): void {
  logEntry.fault = fault.kind;
  if (fault.kind === "drop") {
    logEntry.status = 0;
    res.socket?.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) headers["Retry-After"] = String(fault.retryAfterSeconds);
  let error: ArmError;
  if (fault.kind === "429") {
    error = new ArmError(
      429,
      "SubscriptionRequestsThrottled",
      `Number of '${logEntry.class === "read" || logEntry.class === "poll" ? "read" : "write"}' requests for subscription exceeded. Please try after '${fault.retryAfterSeconds ?? 1}' seconds.`,
    );
  } else if (fault.kind === "503") {
    error = new ArmError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later.");
  } else {
    error = new ArmError(500, "InternalServerError", "Encountered internal server error. Diagnostic information: injected fault.");
  }
  logEntry.status = error.status;
  logEntry.errorCode = error.code;
  send(res, { status: error.status, body: armErrorBody(error), headers }, method);
}
