// Replays recordings of real Azure traffic (VCR cassettes, test/fixtures/recordings/) against the emulator
// and compares what the emulator answers with what Azure answered: status codes, long-running-operation
// header patterns, provisioningState, response body keys and error codes. Used by conformance.test.ts and
// by `node dist/test/emulator/conformance-report.js` (writes docs/emulator-conformance.md).
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import { parse as parseYaml } from "yaml";

/** One recorded request and the answer Azure gave it. */
export interface Interaction {
  method: string;
  uri: string;
  requestBody: string | null;
  requestHeaders: Record<string, string>;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

interface CassetteEntry {
  request?: { body?: unknown; headers?: Record<string, unknown>; method?: string; uri?: string };
  response?: { body?: { string?: unknown }; headers?: Record<string, unknown>; status?: { code?: unknown } };
}

function firstHeaderValues(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== null) out[name.toLowerCase()] = String(first);
  }
  return out;
}

/** Reads a VCR cassette (the Azure CLI's recording format). */
export function loadCassette(file: string): Interaction[] {
  const parsed = parseYaml(fs.readFileSync(file, "utf8")) as { interactions?: CassetteEntry[] } | null;
  return (parsed?.interactions ?? []).map((entry) => ({
    method: String(entry.request?.method ?? "GET").toUpperCase(),
    uri: String(entry.request?.uri ?? ""),
    requestBody: typeof entry.request?.body === "string" ? entry.request.body : null,
    requestHeaders: firstHeaderValues(entry.request?.headers),
    status: Number(entry.response?.status?.code ?? 0),
    responseHeaders: firstHeaderValues(entry.response?.headers),
    responseBody: typeof entry.response?.body?.string === "string" ? entry.response.body.string : "",
  }));
}

export type Metric = "status" | "lro" | "provisioningState" | "bodyKeys" | "errorCode";
export const METRICS: readonly Metric[] = ["status", "lro", "provisioningState", "bodyKeys", "errorCode"];

/** What one answer looks like, reduced to the compared facets. */
export interface AnswerFacets {
  status: number;
  /** "AO+L", "AO", "L" or "none": which of Azure-AsyncOperation / Location the answer carried. */
  lro: string;
  provisioningState?: string;
  /** Top-level keys and `properties.*` keys of the body (of its first element for a list). */
  bodyKeys?: string[];
  errorCode?: string;
  /** The error message (diagnostics only, not compared). */
  errorMessage?: string;
}

export interface ComparedInteraction {
  file: string;
  index: number;
  method: string;
  /** The path as recorded, without host and query. */
  path: string;
  resourceType: string;
  recordedApiVersion?: string;
  sentApiVersion?: string;
  recorded: AnswerFacets;
  emulator: AnswerFacets;
  /** Why the interaction is left out of the figures (a type the emulator does not serve, or one depending on it). */
  outOfScope?: string;
  /** Per metric: undefined = not applicable; for bodyKeys: recorded keys present / recorded keys. */
  scores: Partial<Record<Metric, { matched: number; total: number }>>;
}

export interface SkippedInteraction {
  file: string;
  index: number;
  method: string;
  uri: string;
  reason: string;
}

export interface ReplayResult {
  compared: ComparedInteraction[];
  skipped: SkippedInteraction[];
  /** Resource groups the replay created because the recording's test made them outside the recording. */
  preparedResourceGroups: string[];
  /**
   * Resources the test made outside the recording (first seen in a GET that Azure answered 200), created
   * from the body Azure returned before that GET is replayed.
   */
  preparedResources: string[];
  /** Directory principals the recording's test made through Microsoft Graph (not replayed), registered in the emulator. */
  preparedPrincipals: string[];
}

/** The recordings' own (redacted) subscription; each replay runs in a subscription of its own. */
export const RECORDED_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";

export interface ReplayTarget {
  endpoint: string;
  caCert: string;
}

/** A resource type the emulator deliberately does not serve (secure-aml never uses it), and why. */
export interface NotEmulatedType {
  type: string;
  reason: string;
}

/** The not-emulated type an interaction addresses or references (in its path or request body), if any. */
export function notEmulatedTypeOf(resourceType: string, pathname: string, requestBody: string | null, notEmulated: readonly NotEmulatedType[]): NotEmulatedType | undefined {
  const haystack = `${pathname}\n${requestBody ?? ""}`.toLowerCase();
  return notEmulated.find((entry) => {
    if (entry.type.toLowerCase() === resourceType.toLowerCase()) return true;
    const [namespace, ...types] = entry.type.toLowerCase().split("/");
    const needle = `/providers/${namespace}/${types.join("/[^/]+/")}/`;
    return new RegExp(needle).test(haystack);
  });
}

const MANAGEMENT_HOST = "management.azure.com";
const POLL_SEGMENT = /\/(operations|operationStatuses|operationResults|asyncoperations|privateDnsOperationStatuses|privateDnsOperationResults)\//i;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

function send(target: ReplayTarget, method: string, pathAndQuery: string, body: string | null, extraHeaders: Record<string, string>): Promise<RawAnswer> {
  const url = new URL(target.endpoint + pathAndQuery);
  const headers: Record<string, string> = { authorization: "Bearer conformance-replay", accept: "application/json", ...extraHeaders };
  if (body !== null) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const request = https.request({ method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers, ca: target.caCert, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const answerHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === "string") answerHeaders[name.toLowerCase()] = value;
        resolve({ status: response.statusCode ?? 0, headers: answerHeaders, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    request.on("error", reject);
    if (body !== null) request.write(body);
    request.end();
  });
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lroPattern(headers: Record<string, string>): string {
  const asyncOperation = headers["azure-asyncoperation"] !== undefined;
  const location = headers["location"] !== undefined;
  if (asyncOperation && location) return "AO+L";
  if (asyncOperation) return "AO";
  if (location) return "L";
  return "none";
}

function bodyKeys(body: unknown): string[] | undefined {
  let subject = body;
  if (isRecord(subject) && Array.isArray(subject.value)) subject = subject.value[0];
  if (!isRecord(subject)) return undefined;
  const keys = Object.keys(subject).filter((key) => key !== "properties");
  if (isRecord(subject.properties)) for (const key of Object.keys(subject.properties)) keys.push(`properties.${key}`);
  return keys.sort();
}

function facets(status: number, headers: Record<string, string>, text: string): AnswerFacets {
  const body = parseJson(text);
  const out: AnswerFacets = { status, lro: lroPattern(headers) };
  if (isRecord(body)) {
    if (status >= 400 && isRecord(body.error) && typeof body.error.code === "string") {
      out.errorCode = body.error.code;
      if (typeof body.error.message === "string") out.errorMessage = body.error.message;
    }
    if (status < 400) {
      if (isRecord(body.properties) && typeof body.properties.provisioningState === "string") out.provisioningState = body.properties.provisioningState;
      out.bodyKeys = bodyKeys(body);
    }
  }
  return out;
}

/**
 * The resource type a path addresses, e.g. "Microsoft.Network/virtualNetworks/subnets" (a collection or an
 * action is filed under its type: ".../storageAccounts/sa/listKeys" → "Microsoft.Storage/storageAccounts/listKeys").
 */
export function resourceTypeOf(pathname: string): string {
  const segments = pathname.split("/").filter(Boolean);
  const lower = segments.map((segment) => segment.toLowerCase());
  const providersAt = lower.lastIndexOf("providers");
  if (providersAt < 0) {
    if (lower.includes("resourcegroups")) return lower.length > 4 ? `Microsoft.Resources/resourceGroups/${segments[4]}` : "Microsoft.Resources/resourceGroups";
    if (lower[2] === "resources") return "Microsoft.Resources/resources";
    return "Microsoft.Resources/subscriptions";
  }
  const rest = segments.slice(providersAt + 1);
  if (rest.length <= 1) return "Microsoft.Resources/providers";
  const typeParts = [rest[0]];
  for (let i = 1; i < rest.length; i += 2) typeParts.push(rest[i]!);
  return typeParts.join("/");
}

function apiVersionOf(uri: string): string | undefined {
  return new URL(uri).searchParams.get("api-version") ?? undefined;
}

function dateValue(version: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(version);
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : 0;
}

/** The supported api-version closest in date to `wanted` (ties: the later; stable before preview). */
export function nearestApiVersion(wanted: string, supported: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of supported) {
    const distance = Math.abs(dateValue(candidate) - dateValue(wanted)) + (candidate.includes("preview") ? 1 : 0);
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate > best)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

const API_VERSION_ERRORS = new Set(["NoRegisteredProviderFound", "InvalidApiVersionParameter"]);

function supportedVersionsFrom(text: string): string[] {
  const body = parseJson(text);
  const message = isRecord(body) && isRecord(body.error) && typeof body.error.message === "string" ? body.error.message : "";
  const supportedPart = message.slice(message.search(/supported (api-)?versions/i));
  return [...new Set(supportedPart.match(/\d{4}-\d{2}-\d{2}(-preview)?/g) ?? [])];
}

/** The resource group a recorded URI addresses itself (not something inside it), if any. */
function resourceGroupPathOf(uri: string): string | undefined {
  const match = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)\/?$/i.exec(new URL(uri).pathname);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

function resourceGroupOf(pathname: string): string | undefined {
  const match = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/?]+)/i.exec(pathname);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

function locationIn(body: string | null): string | undefined {
  const parsed = parseJson(body ?? "");
  if (!isRecord(parsed) || typeof parsed.location !== "string" || parsed.location.toLowerCase() === "global") return undefined;
  return withoutCanaryRegions(parsed.location);
}

function withApiVersion(pathAndQuery: string, version: string): string {
  const url = new URL(`https://host${pathAndQuery}`);
  url.searchParams.set("api-version", version);
  return url.pathname + url.search;
}

/** Canary regions (not offered to customers, not emulated) are replayed in the region they shadow. */
const CANARY_REGIONS: ReadonlyArray<[RegExp, string]> = [
  [/centraluseuap/gi, "centralus"],
  [/eastus2euap/gi, "eastus2"],
];

function withoutCanaryRegions(text: string): string {
  return CANARY_REGIONS.reduce((current, [pattern, region]) => current.replace(pattern, region), text);
}

/**
 * Basic SKU public IPs were retired after the recordings were made (no new one since 31 March 2025): a
 * recorded public IP write is replayed as the Standard, static address Azure requires today.
 */
function withoutRetiredSkus(pathname: string, body: string | null): string | null {
  if (body === null || !/\/providers\/Microsoft\.Network\/publicIPAddresses\/[^/]+$/i.test(pathname)) return body;
  const parsed = parseJson(body);
  if (!isRecord(parsed)) return body;
  const sku = isRecord(parsed.sku) ? parsed.sku : {};
  if (sku.name !== undefined && sku.name !== "Basic") return body;
  const properties = isRecord(parsed.properties) ? parsed.properties : {};
  return JSON.stringify({ ...parsed, sku: { ...sku, name: "Standard" }, properties: { ...properties, publicIPAllocationMethod: "Static" } });
}

const FORWARDED_HEADERS = ["if-match", "if-none-match"];

/** Polls the emulator's own Azure-AsyncOperation / Location until the operation it started is over. */
async function settle(target: ReplayTarget, answer: RawAnswer): Promise<void> {
  const pollUrl = answer.headers["azure-asyncoperation"] ?? answer.headers["location"];
  if (!pollUrl || !pollUrl.startsWith(target.endpoint)) return;
  for (let attempt = 0; attempt < 20; attempt++) {
    const poll = await send(target, "GET", pollUrl.slice(target.endpoint.length), null, {});
    const body = parseJson(poll.text);
    const status = isRecord(body) && typeof body.status === "string" ? body.status : undefined;
    if (poll.status !== 202 && (status === undefined || !/^(InProgress|Running|Accepted|Creating|Updating|Deleting)$/i.test(status))) return;
  }
}

/** The recorded bodies of the Python SDK sometimes hold the repr of bytes (`b'{...}'`): the JSON inside. */
function unwrapPythonBytes(body: string): string {
  const match = /^b'([\s\S]*)'$/.exec(body);
  return match ? match[1]!.replace(/\\'/g, "'").replace(/\\\\/g, "\\") : body;
}

/** Names Azure assigns (private endpoint connections): the recorded name and the emulator's for the same thing. */
const SERVER_ASSIGNED = /\/privateEndpointConnections\/([^/"?\\]+)/gi;

function assignedNames(text: string): string[] {
  return [...new Set([...text.matchAll(SERVER_ASSIGNED)].map((match) => match[1]!))];
}

/** Pairs the server-assigned names of a recorded answer with the emulator's for the same request (in order). */
function learnAliases(aliases: Map<string, string>, recordedText: string, emulatorText: string): void {
  const emulatorNames = assignedNames(emulatorText);
  const known = new Set([...aliases.values()].map((value) => value.toLowerCase()));
  const recordedNew = assignedNames(recordedText).filter((name) => !aliases.has(name) && !emulatorNames.includes(name));
  const emulatorNew = emulatorNames.filter((name) => !known.has(name.toLowerCase()) && !recordedText.includes(name));
  if (recordedNew.length === 0 || recordedNew.length !== emulatorNew.length) return;
  recordedNew.forEach((name, i) => {
    aliases.set(name, emulatorNew[i]!);
  });
}

function withAliases(text: string, aliases: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [recorded, emulator] of aliases) out = out.split(recorded).join(emulator);
  return out;
}

/** The resource paths a path is in, outermost first (".../vaults/v/privateEndpointConnections/c" → vault, connection). */
function resourcePathsOf(pathname: string): string[] {
  const segments = pathname.replace(/\/$/, "").split("/");
  const out: string[] = [];
  for (let end = segments.length; end > 0; end--) {
    const candidate = segments.slice(0, end).join("/");
    if (isResourcePath(candidate)) out.unshift(candidate);
  }
  return out;
}

/** A path that names one resource (not a collection, not an action): an even number of segments after the provider namespace. */
function isResourcePath(pathname: string): boolean {
  const segments = pathname.split("/").filter(Boolean);
  const providersAt = segments.map((segment) => segment.toLowerCase()).lastIndexOf("providers");
  if (providersAt < 0) return false;
  const rest = segments.length - providersAt - 2;
  return rest >= 2 && rest % 2 === 0;
}

const READ_ONLY_TOP_LEVEL = ["id", "name", "type", "etag", "systemData"];

/**
 * Sends a request; when the emulator refuses its api-version, sends it again at the supported api-version
 * nearest in date (the recordings use the api-versions of their day).
 */
async function sendAtSupportedApiVersion(
  target: ReplayTarget,
  method: string,
  pathAndQuery: string,
  body: string | null,
  headers: Record<string, string>,
): Promise<{ answer: RawAnswer; apiVersion?: string; pathAndQuery: string }> {
  const answer = await send(target, method, pathAndQuery, body, headers);
  const recordedApiVersion = new URL(`https://host${pathAndQuery}`).searchParams.get("api-version");
  if (answer.status !== 400 || recordedApiVersion === null) return { answer, pathAndQuery };
  const errorBody = parseJson(answer.text);
  const code = isRecord(errorBody) && isRecord(errorBody.error) ? errorBody.error.code : undefined;
  if (typeof code !== "string" || !API_VERSION_ERRORS.has(code)) return { answer, pathAndQuery };
  const nearest = nearestApiVersion(recordedApiVersion, supportedVersionsFrom(answer.text));
  if (nearest === undefined) return { answer, pathAndQuery };
  const moved = withApiVersion(pathAndQuery, nearest);
  return { answer: await send(target, method, moved, body, headers), apiVersion: nearest, pathAndQuery: moved };
}

/** Creates a resource the recording's test made beforehand, from the body Azure returned for it; true when created. */
async function prepareResource(target: ReplayTarget, pathAndQuery: string, recordedBody: string): Promise<boolean> {
  const existing = await sendAtSupportedApiVersion(target, "GET", pathAndQuery, null, {});
  if (existing.answer.status !== 404) return false;
  const body = parseJson(withoutCanaryRegions(recordedBody));
  if (!isRecord(body)) return false;
  for (const key of READ_ONLY_TOP_LEVEL) delete body[key];
  const created = await send(target, "PUT", existing.pathAndQuery, JSON.stringify(body), {});
  await settle(target, created);
  if (process.env.REPLAY_DEBUG && created.status >= 300) process.stderr.write(`prepare ${pathAndQuery}: ${created.status} ${created.text}\n`);
  return created.status < 300;
}

/**
 * Replays one cassette's management-plane requests in order. Polls of Azure's operation URLs are not
 * replayed (the emulator's own are polled instead); resource groups the test made outside the recording
 * are created first.
 */
export async function replayCassette(
  target: ReplayTarget,
  file: string,
  interactions: readonly Interaction[],
  subscriptionId: string,
  notEmulated: readonly NotEmulatedType[] = [],
): Promise<ReplayResult> {
  const result: ReplayResult = { compared: [], skipped: [], preparedResourceGroups: [], preparedResources: [], preparedPrincipals: [] };
  const seenResources = new Set<string>();
  const aliases = new Map<string, string>();
  /** Resources whose creation referenced a not-emulated type (e.g. an endpoint to a private link service), with that type. */
  const tainted = new Map<string, string>();
  const knownGroups = new Set<string>();
  const pollUrls = new Set<string>();
  const name = path.basename(file);
  for (const [index, interaction] of interactions.entries()) {
    const skip = (reason: string) => result.skipped.push({ file: name, index, method: interaction.method, uri: interaction.uri, reason });
    const url = new URL(interaction.uri);
    if (url.host !== MANAGEMENT_HOST) {
      skip(`not management plane (${url.host})`);
      // A principal Microsoft Graph created for the test: the emulator's directory gets it too.
      const made = parseJson(interaction.responseBody);
      const objectId = isRecord(made) ? (made.objectId ?? made.id) : undefined;
      if (/graph\./.test(url.host) && interaction.method === "POST" && interaction.status < 300 && typeof objectId === "string") {
        const principalType = isRecord(made) && typeof made.objectType === "string" ? made.objectType : "ServicePrincipal";
        const seeded = await send(target, "POST", "/_emulator/principals", JSON.stringify({ principalId: objectId, principalType }), {});
        if (seeded.status === 204) result.preparedPrincipals.push(`${name}: ${objectId}`);
      }
      continue;
    }
    const recordedPollHeaders = [interaction.responseHeaders["azure-asyncoperation"], interaction.responseHeaders["location"]];
    if (pollUrls.has(interaction.uri) || (interaction.method === "GET" && POLL_SEGMENT.test(url.pathname))) {
      skip("poll of Azure's operation URL (the emulator's own operation is polled instead)");
      continue;
    }
    for (const header of recordedPollHeaders) if (header) pollUrls.add(header);
    if (/\/providers\/Microsoft\.Resources\/deployments\//i.test(url.pathname)) {
      skip("ARM template deployment (not emulated)");
      continue;
    }
    const inOurSubscription = (text: string) => text.split(RECORDED_SUBSCRIPTION_ID).join(subscriptionId);
    const pathname = inOurSubscription(url.pathname);
    const group = resourceGroupOf(pathname);
    const isGroupItself = group !== undefined && /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/?$/i.test(pathname);
    if (group !== undefined && !knownGroups.has(group.toLowerCase())) {
      knownGroups.add(group.toLowerCase());
      const createdHere = isGroupItself && interaction.method === "PUT";
      if (!createdHere && !(interaction.status === 404 && /ResourceGroupNotFound/.test(interaction.responseBody))) {
        // The group as Azure showed it (location and the test framework's tags), else a location the recording uses.
        const shown = interactions.find(
          (candidate) => candidate.method === "GET" && candidate.status === 200 && resourceGroupPathOf(candidate.uri)?.toLowerCase() === group.toLowerCase(),
        );
        const shownBody = shown ? parseJson(shown.responseBody) : undefined;
        const location =
          (isRecord(shownBody) && typeof shownBody.location === "string" ? shownBody.location : undefined) ??
          interactions.map((candidate) => locationIn(candidate.requestBody)).find((found) => found !== undefined) ??
          "westus";
        const tags = isRecord(shownBody) && isRecord(shownBody.tags) ? shownBody.tags : undefined;
        const created = await send(
          target,
          "PUT",
          `/subscriptions/${subscriptionId}/resourcegroups/${encodeURIComponent(group)}?api-version=2021-04-01`,
          JSON.stringify({ location: withoutCanaryRegions(location), tags }),
          {},
        );
        if (created.status >= 300) throw new Error(`${name}: could not create resource group ${group} (${location}): ${created.status} ${created.text}`);
        result.preparedResourceGroups.push(`${name}: ${group}`);
      }
    }
    const headers: Record<string, string> = {};
    for (const header of FORWARDED_HEADERS) if (interaction.requestHeaders[header] !== undefined) headers[header] = interaction.requestHeaders[header]!;
    const recordedApiVersion = apiVersionOf(interaction.uri);
    const pathAndQuery = withAliases(withoutCanaryRegions(pathname + url.search), aliases);
    const recordedBody = interaction.requestBody === null ? null : withAliases(withoutCanaryRegions(inOurSubscription(unwrapPythonBytes(interaction.requestBody))), aliases);
    const requestBody = interaction.method === "PUT" ? withoutRetiredSkus(url.pathname, recordedBody) : recordedBody;
    // The resource addressed and its ancestors: one the test made before the recording is created from the
    // first answer Azure gave to a GET of it.
    for (const resourcePath of resourcePathsOf(url.pathname)) {
      const key = resourcePath.toLowerCase();
      if (seenResources.has(key)) continue;
      seenResources.add(key);
      const first = interactions.find((candidate) => candidate.uri.includes(MANAGEMENT_HOST) && new URL(candidate.uri).pathname.toLowerCase() === key);
      if (first?.method !== "GET" || first.status !== 200) continue;
      const firstUrl = new URL(first.uri);
      const prepared = await prepareResource(target, withAliases(inOurSubscription(firstUrl.pathname) + firstUrl.search, aliases), inOurSubscription(first.responseBody));
      if (prepared) result.preparedResources.push(`${name}: ${resourcePath}`);
    }
    const sent = await sendAtSupportedApiVersion(target, interaction.method, pathAndQuery, requestBody, headers);
    const answer = sent.answer;
    const sentApiVersion = sent.apiVersion ?? recordedApiVersion;
    await settle(target, answer);
    learnAliases(aliases, interaction.responseBody, answer.text);
    const recorded = facets(interaction.status, interaction.responseHeaders, interaction.responseBody);
    const emulator = facets(answer.status, answer.headers, answer.text);
    const resourceType = resourceTypeOf(url.pathname);
    const excluded = notEmulatedTypeOf(resourceType, url.pathname, interaction.requestBody, notEmulated);
    const resourceKey = url.pathname.toLowerCase().replace(/\/$/, "");
    if (excluded && interaction.method === "PUT") tainted.set(resourceKey, excluded.type);
    const taintedBy = [...tainted].find(([key]) => resourceKey === key || resourceKey.startsWith(`${key}/`))?.[1];
    result.compared.push({
      outOfScope: excluded?.type ?? taintedBy,
      file: name,
      index,
      method: interaction.method,
      path: url.pathname,
      resourceType,
      recordedApiVersion,
      sentApiVersion,
      recorded,
      emulator,
      scores: score(interaction.method, recorded, emulator),
    });
  }
  return result;
}

function one(matched: boolean): { matched: number; total: number } {
  return { matched: matched ? 1 : 0, total: 1 };
}

function score(method: string, recorded: AnswerFacets, emulator: AnswerFacets): ComparedInteraction["scores"] {
  const scores: ComparedInteraction["scores"] = { status: one(recorded.status === emulator.status) };
  const isWrite = method !== "GET" && method !== "HEAD";
  if (isWrite && recorded.status < 400) scores.lro = one(recorded.lro === emulator.lro);
  if (recorded.provisioningState !== undefined) scores.provisioningState = one(recorded.provisioningState === emulator.provisioningState);
  if (recorded.bodyKeys !== undefined && recorded.bodyKeys.length > 0) {
    const present = new Set(emulator.bodyKeys ?? []);
    scores.bodyKeys = { matched: recorded.bodyKeys.filter((key) => present.has(key)).length, total: recorded.bodyKeys.length };
  }
  if (recorded.errorCode !== undefined) scores.errorCode = one(recorded.errorCode === emulator.errorCode);
  return scores;
}

export interface Figure {
  matched: number;
  total: number;
}

export type Figures = Partial<Record<Metric, Figure>>;

export interface ConformanceSummary {
  overall: Figures;
  byType: Record<string, Figures>;
}

function add(figures: Figures, metric: Metric, value: { matched: number; total: number }): void {
  const figure = figures[metric] ?? { matched: 0, total: 0 };
  figures[metric] = figure;
  figure.matched += value.matched;
  figure.total += value.total;
}

export function summarize(compared: readonly ComparedInteraction[]): ConformanceSummary {
  const summary: ConformanceSummary = { overall: {}, byType: {} };
  for (const item of compared) {
    if (item.outOfScope !== undefined) continue;
    const typeFigures = summary.byType[item.resourceType] ?? {};
    summary.byType[item.resourceType] = typeFigures;
    for (const metric of METRICS) {
      const value = item.scores[metric];
      if (!value) continue;
      add(summary.overall, metric, value);
      add(typeFigures, metric, value);
    }
  }
  return summary;
}

export function percent(figure: Figure | undefined): number | undefined {
  if (!figure || figure.total === 0) return undefined;
  return Math.round((figure.matched / figure.total) * 1000) / 10;
}

/** One metric on which the emulator answered differently from Azure. */
export interface Difference {
  file: string;
  index: number;
  method: string;
  path: string;
  resourceType: string;
  metric: Metric;
  recorded: string;
  emulator: string;
}

function describe(metric: Metric, facet: AnswerFacets, other: AnswerFacets): string {
  switch (metric) {
    case "status":
      return String(facet.status) + (facet.errorCode ? ` ${facet.errorCode}` : "");
    case "lro":
      return facet.lro;
    case "provisioningState":
      return facet.provisioningState ?? "(none)";
    case "errorCode":
      return facet.errorCode ?? "(none)";
    case "bodyKeys": {
      const mine = new Set(facet.bodyKeys ?? []);
      const missing = (other.bodyKeys ?? []).filter((key) => !mine.has(key));
      return missing.length > 0 ? `lacks ${missing.join(", ")}` : "all keys";
    }
  }
}

export function differences(compared: readonly ComparedInteraction[]): Difference[] {
  const out: Difference[] = [];
  for (const item of compared) {
    if (item.outOfScope !== undefined) continue;
    for (const metric of METRICS) {
      const value = item.scores[metric];
      if (!value || value.matched === value.total) continue;
      out.push({
        file: item.file,
        index: item.index,
        method: item.method,
        path: item.path,
        resourceType: item.resourceType,
        metric,
        recorded: metric === "bodyKeys" ? `${value.total} keys` : describe(metric, item.recorded, item.emulator),
        emulator: describe(metric, item.emulator, item.recorded),
      });
    }
  }
  return out;
}
