// `--record FILE`: every ARM request and response of a run, sanitized, written as a VCR-style YAML
// cassette — the form of the Azure CLI recordings the emulator's conformance tests replay
// (`interactions: [{request: {method, uri, body, headers}, response: {status: {code, message},
// headers, body: {string}}}]`). A pipeline policy on every SDK client collects them; `save` writes the
// file atomically with mode 0600.
//
// What never reaches the file: the Authorization header (and any other credential header), bearer
// tokens anywhere, the values of secret-bearing properties (passwords, keys, connection strings, SAS
// tokens, secrets) in request and response bodies, SAS signatures in URLs, and the literal values of
// the run's secrets (the jump-box password). The subscription id becomes a placeholder (or the id
// given with --record-subscription), and a loopback emulator's address the cloud's ARM endpoint, so a
// local run's cassette reads like one against Azure.

import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";

/** What a cassette says instead of a secret value. */
export const REDACTED = "REDACTED";
/** The subscription id a cassette carries unless --record-subscription says otherwise (the CLI recordings' own). */
export const RECORD_SUBSCRIPTION_PLACEHOLDER = "00000000-0000-0000-0000-000000000000";

/** Headers never recorded: credentials and per-connection noise. */
const DROPPED_HEADERS = new Set(["authorization", "x-ms-authorization-auxiliary", "cookie", "set-cookie", "proxy-authorization", "x-ms-client-request-id"]);

/**
 * Property names whose values are secrets wherever they appear in a body (compared case-insensitively):
 * passwords, account and registry keys, connection strings, SAS tokens, client secrets, tokens.
 */
const SECRET_PROPERTY =
  /^(.*password|.*privatekey.*|.*secret|.*connectionstring|.*sastoken|sas|.*accesstoken|.*refreshtoken|token|primarykey|secondarykey|primarysharedkey|secondarysharedkey|key\d*|keys|instrumentationkey)$/i;

export interface CassetteInteraction {
  request: { method: string; uri: string; body: string | null; headers: Record<string, string[]> };
  response: { status: { code: number; message: string }; headers: Record<string, string[]>; body: { string: string } };
}

export interface RecorderOptions {
  /** The real subscription id of the run (replaced in URIs, headers and bodies). */
  subscriptionId?: string;
  /** What replaces it; default RECORD_SUBSCRIPTION_PLACEHOLDER. */
  subscriptionPlaceholder?: string;
  /** The endpoint the run talks to (a loopback emulator) and the cloud endpoint to write instead. */
  endpoint?: string;
  cloudEndpoint?: string;
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  412: "Precondition Failed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Collects sanitized interactions; one per run (shared by every client of every AzureContext). */
export class ArmRecorder {
  /** Exchanges as sent and received, minus credential headers (never written as they are). */
  private readonly raw: CassetteInteraction[] = [];
  private readonly secrets = new Set<string>();
  private readonly subscriptions = new Set<string>();
  private readonly placeholder: string;
  private readonly endpoint?: string;
  private readonly cloudEndpoint?: string;

  constructor(opts: RecorderOptions = {}) {
    this.placeholder = opts.subscriptionPlaceholder ?? RECORD_SUBSCRIPTION_PLACEHOLDER;
    if (opts.subscriptionId) this.subscriptions.add(opts.subscriptionId);
    this.endpoint = opts.endpoint?.replace(/\/+$/, "");
    this.cloudEndpoint = opts.cloudEndpoint?.replace(/\/+$/, "");
  }

  /** A value that must never appear in the file (e.g. the jump-box password); replaced wherever it shows. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4) this.secrets.add(value);
  }

  /** Another subscription id of the run to replace (the wizard may pick one after the recorder starts). */
  addSubscription(id: string | undefined): void {
    if (id) this.subscriptions.add(id);
  }

  /** Scrubs free text: the run's literal secrets, bearer tokens, SAS signatures, the subscription id and the emulator's address. */
  scrubText(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    // JSON escapes a password's quotes and backslashes: replace the escaped form too.
    for (const secret of this.secrets) {
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) out = out.split(escaped).join(REDACTED);
    }
    out = out.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, `Bearer ${REDACTED}`);
    out = out.replace(/([?&](?:sig|se|skoid|sktid|skt|ske|sks|skv)=)[^&"'\s]+/gi, `$1${REDACTED}`);
    for (const id of this.subscriptions) out = out.replace(new RegExp(escapeRegExp(id), "gi"), this.placeholder);
    if (this.endpoint && this.cloudEndpoint) out = out.split(this.endpoint).join(this.cloudEndpoint);
    return out;
  }

  /** A body with every secret-bearing property's value replaced (JSON), then scrubbed as text. */
  scrubBody(body: string | undefined | null): string {
    if (body === undefined || body === null || body === "") return "";
    let text = body;
    try {
      text = JSON.stringify(redactSecretProperties(JSON.parse(body) as unknown));
    } catch {
      // Not JSON: text rules only.
    }
    return this.scrubText(text);
  }

  private headersOf(raw: Iterable<[string, string]>): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, value] of raw) {
      if (DROPPED_HEADERS.has(name.toLowerCase())) continue;
      out[name] = [value];
    }
    return out;
  }

  /**
   * Keeps one exchange. Credential headers are dropped at once; the rest is scrubbed when the cassette is
   * written (subscriptions and secrets learnt later in the run are then known too).
   */
  record(request: PipelineRequest, response: PipelineResponse | undefined, error?: unknown): void {
    const body = typeof request.body === "string" ? request.body : undefined;
    const status = response?.status ?? 0;
    this.raw.push({
      request: { method: request.method, uri: request.url, body: body ?? null, headers: this.headersOf(request.headers) },
      response: response
        ? { status: { code: status, message: STATUS_TEXT[status] ?? "" }, headers: this.headersOf(response.headers), body: { string: response.bodyAsText ?? "" } }
        : { status: { code: 0, message: `no response: ${String((error as Error)?.message ?? error)}` }, headers: {}, body: { string: "" } },
    });
  }

  private scrubHeaders(headers: Record<string, string[]>): Record<string, string[]> {
    return Object.fromEntries(Object.entries(headers).map(([name, values]) => [name, values.map((v) => this.scrubText(v))]));
  }

  /** The recorded exchanges, sanitized: what the file holds. */
  get interactions(): CassetteInteraction[] {
    return this.raw.map((i) => ({
      request: {
        method: i.request.method,
        uri: this.scrubText(i.request.uri),
        body: i.request.body === null ? null : this.scrubBody(i.request.body),
        headers: this.scrubHeaders(i.request.headers),
      },
      response: {
        status: { code: i.response.status.code, message: this.scrubText(i.response.status.message) },
        headers: this.scrubHeaders(i.response.headers),
        body: { string: this.scrubBody(i.response.body.string) },
      },
    }));
  }

  /** The pipeline policy (per retry: each attempt the SDK makes is one interaction, as Azure saw it). */
  policy(): PipelinePolicy {
    return {
      name: "secureAmlRecorder",
      sendRequest: async (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
        let response: PipelineResponse;
        try {
          response = await next(request);
        } catch (error) {
          const withResponse = (error as { response?: PipelineResponse }).response;
          this.record(request, withResponse, error);
          throw error;
        }
        this.record(request, response);
        return response;
      },
    };
  }

  /** The cassette as YAML text. */
  async toYaml(): Promise<string> {
    const { stringify } = await import("yaml");
    return stringify({ interactions: this.interactions }, { lineWidth: 0 });
  }

  /** Writes the cassette atomically (a temporary file renamed over `path`), readable only by its owner. */
  async save(path: string): Promise<void> {
    const { default: writeFileAtomic } = await import("write-file-atomic");
    await writeFileAtomic(path, await this.toYaml(), { mode: 0o600 });
  }
}

/** A copy of a parsed JSON body with the value of every secret-bearing property replaced by REDACTED. */
export function redactSecretProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecretProperties);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_PROPERTY.test(key) && inner !== null && inner !== undefined && inner !== "" ? REDACTED : redactSecretProperties(inner);
  }
  return out;
}
