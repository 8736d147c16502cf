// Bytes on the wire: reading a request body within ARM's size limit, and writing a reply with the
// headers every ARM answer carries. Response validation (findings.ts) uses `wireResponse` too, so what
// is validated is exactly what the client receives.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { Json } from "../types.js";

/**
 * ARM refuses a request body over 4 MB (Microsoft's ARM template limits: "template ... can't exceed
 * 4 MB", "The parameter file is also limited to 4 MB"; the front door answers 413
 * RequestEntityTooLarge). The emulator does the same, and never holds more than the limit in memory.
 */
export const MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      // Past the limit the rest is read and dropped (so the client gets the answer), never kept.
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => resolve({ text: tooLarge ? "" : Buffer.concat(chunks).toString("utf8"), tooLarge }));
    req.on("error", reject);
  });
}

/**
 * The headers and payload exactly as `send` puts them on the wire. Response validation uses the same
 * function, so what is validated is what the client receives (a body always goes with
 * `Content-Type: application/json`; oav would read a body without it as application/octet-stream).
 */
export function wireResponse(reply: { status: number; body?: Json; headers?: Record<string, string> }, method: string): { headers: Record<string, string>; payload?: string } {
  const headers: Record<string, string> = { "x-ms-request-id": randomUUID(), ...(reply.headers ?? {}) };
  headers["x-ms-correlation-request-id"] = headers["x-ms-request-id"]!;
  let payload: string | undefined;
  if (reply.body !== undefined && reply.status !== 204 && method !== "HEAD") {
    payload = JSON.stringify(reply.body);
    headers["Content-Type"] = "application/json; charset=utf-8";
    headers["Content-Length"] = String(Buffer.byteLength(payload));
  } else {
    headers["Content-Length"] = "0";
  }
  return payload === undefined ? { headers } : { headers, payload };
}

export function send(res: ServerResponse, reply: { status: number; body?: Json; headers?: Record<string, string> }, method: string): void {
  if (res.destroyed) return;
  const { headers, payload } = wireResponse(reply, method);
  res.writeHead(reply.status, headers);
  res.end(payload);
}
