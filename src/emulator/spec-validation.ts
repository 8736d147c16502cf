// Validates the emulator's requests and responses against Microsoft's ARM OpenAPI specs with oav's
// LiveValidator, offline. Behaviour, the api-version rule and oav's quirks: docs/emulator-spec-validation.md.
//
// oav is a devDependency: on a user's machine neither it nor the spec folder exists, and then
// loadSpecValidator returns undefined (validation off). So oav is loaded only at run time, never imported.
import { createRequire } from "node:module";
import { statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LiveValidator, LiveValidationIssue, LiveValidationResult } from "oav";
import type { SpecFinding, SpecValidator } from "./types.js";

type OavModule = typeof import("oav");
type OperationSearcher = LiveValidator["operationSearcher"];
type PotentialOperations = ReturnType<OperationSearcher["getPotentialOperations"]>;
type OperationMatch = PotentialOperations["matches"][number];
type ValidationRequest = Parameters<OperationSearcher["getPotentialOperations"]>[0];
type OperationContext = NonNullable<Parameters<LiveValidator["validateLiveRequest"]>[2]>;

/** Code of the single "unverified" finding returned for a request that no spec describes. */
export const NO_SPEC = "NO_SPEC";

/**
 * Codes that may only reflect the gap between an older spec and the newer api-version the SDK speaks:
 * a property or enum value added later, or a property that became writable. When the spec is older
 * than the request these are "unverified"; every other code stays an error (issue 3's rule).
 */
const CODES_UNVERIFIED_WHEN_SPEC_IS_OLDER: ReadonlySet<string> = new Set([
  "OBJECT_ADDITIONAL_PROPERTIES",
  "ENUM_MISMATCH",
  "ENUM_CASE_MISMATCH",
  "DISCRIMINATOR_VALUE_NOT_FOUND",
  "READONLY_PROPERTY_NOT_ALLOWED_IN_REQUEST",
]);

/**
 * The spec folder: `SECURE_AML_ARM_SPECS` when set (the `specification` folder itself or its parent),
 * else the copy kept in the repository, `specs/arm/specification` (SPEC_ROOT_IN_REPO); undefined when absent
 * (an installed package ships neither the specs nor oav).
 */
export function findSpecRoot(): string | undefined {
  const fromEnv = process.env.SECURE_AML_ARM_SPECS;
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    const given = path.resolve(fromEnv);
    const nested = path.join(given, "specification");
    if (isDirectory(nested)) return nested;
    return isDirectory(given) ? given : undefined;
  }
  // This file runs from dist/src/emulator/, so the project root is three levels up.
  const projectRoot = fileURLToPath(new URL("../../../", import.meta.url));
  const candidate = path.resolve(projectRoot, SPEC_ROOT_IN_REPO);
  return isDirectory(candidate) ? candidate : undefined;
}

/** Where the repository keeps its copy of Microsoft's specs, relative to the project root (specs/arm/MANIFEST.md). */
export const SPEC_ROOT_IN_REPO = "specs/arm/specification";

const validatorsByRoot = new Map<string, Promise<OavSpecValidator | undefined>>();

/**
 * Loads every spec under `specRoot` (default: findSpecRoot()) into oav's LiveValidator (~2 s).
 * Returns undefined when the folder or the oav package is missing: validation is then off, and the
 * caller says so. One validator per folder per process (later calls share it).
 */
export function loadSpecValidator(specRoot?: string): Promise<SpecValidator | undefined> {
  const root = specRoot ?? findSpecRoot();
  if (root === undefined || !isDirectory(root)) return Promise.resolve(undefined);
  const key = path.resolve(root);
  let loading = validatorsByRoot.get(key);
  if (loading === undefined) {
    loading = createValidator(key);
    validatorsByRoot.set(key, loading);
    // A failed load must not be cached forever: a later call may retry.
    loading.catch(() => validatorsByRoot.delete(key));
  }
  return loading;
}

async function createValidator(specRoot: string): Promise<OavSpecValidator | undefined> {
  const oav = requireOav();
  if (oav === undefined) return undefined;
  const loadProblems: string[] = [];
  const liveValidator = new oav.LiveValidator(
    {
      directory: specRoot,
      swaggerPathsPattern: ["**/*.json"],
      isPathCaseSensitive: false,
      git: { shouldClone: false },
      // oav's default builds every validator "in background": a setTimeout(0) loop (utils.waitUntilLowLoad)
      // that compiles all specs for ~25 s of CPU and keeps the process alive meanwhile. Off: each
      // operation's validator is compiled on its first use instead.
      loadValidatorInBackground: false,
      loadValidatorInInitialize: false,
      // Checks LRO status codes and that a 202 carries Location or Azure-AsyncOperation.
      isArmCall: true,
    },
    // Giving a log callback keeps oav's messages off the console (stdout carries the emulator's JSON line).
    (message, level) => {
      if ((level === "error" || level === "warn") && !message.startsWith("Unable to find provider for path")) {
        loadProblems.push(message.split("\n")[0]!);
      }
    },
  );
  await liveValidator.initialize();
  if (liveValidator.operationSearcher.cache.size === 0) return undefined;
  return new OavSpecValidator(oav, liveValidator, loadProblems);
}

function requireOav(): OavModule | undefined {
  const require = createRequire(import.meta.url);
  let oav: OavModule;
  try {
    oav = require("oav") as OavModule;
  } catch (error) {
    // Not installed (a user's machine): validation off. Any other failure is a real problem to surface.
    const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
    if (code === "MODULE_NOT_FOUND" && error instanceof Error && error.message.includes("'oav'")) return undefined;
    throw error;
  }
  // oav's own winston logger writes to stdout from a few places that bypass the LiveValidator's log
  // callback (the JSON-pointer helpers in util/utils.js). Silence it: findings are returned, not logged.
  try {
    const logging: unknown = require("oav/dist/lib/util/logging.js");
    if (typeof logging === "object" && logging !== null && "log" in logging) {
      const logger: unknown = logging.log;
      if (typeof logger === "object" && logger !== null) (logger as { silent: boolean }).silent = true;
    }
  } catch {
    // An oav without that module has nothing to silence.
  }
  return oav;
}

interface ResolvedOperation {
  kind: "resolved";
  /** Handed to oav, which deletes its operationMatch after use: build a fresh one per validation. */
  context: OperationContext;
  operation: OperationMatch["operation"];
  /** The request URL with its api-version replaced by the spec's. */
  url: string;
  specApiVersion: string;
  exact: boolean;
}

interface Unresolved {
  kind: "unresolved";
  finding: SpecFinding;
}

/** A SpecValidator on oav; also reports which spec files oav could not load. */
export class OavSpecValidator implements SpecValidator {
  constructor(
    private readonly oav: OavModule,
    private readonly liveValidator: LiveValidator,
    /** Warnings and errors oav logged while loading the specs (a spec it skipped, a broken $ref...). */
    readonly loadProblems: readonly string[],
  ) {}

  async validateRequest(input: { method: string; url: string; headers: Record<string, string>; body: unknown }): Promise<SpecFinding[]> {
    const resolved = this.resolve(input.method, input.url);
    if (resolved.kind === "unresolved") return [resolved.finding];
    const result = await this.liveValidator.validateLiveRequest(
      { url: resolved.url, method: input.method, headers: { ...input.headers }, body: toPayload(input.body) },
      {},
      resolved.context,
    );
    return toFindings(result, resolved);
  }

  async validateResponse(input: { method: string; url: string; status: number; headers: Record<string, string>; body: unknown }): Promise<SpecFinding[]> {
    const resolved = this.resolve(input.method, input.url);
    if (resolved.kind === "unresolved") return [resolved.finding];
    const result = await this.liveValidator.validateLiveResponse(
      { statusCode: String(input.status), headers: { ...input.headers }, body: toPayload(input.body) },
      { url: resolved.url, method: input.method },
      {},
      resolved.context,
    );
    const findings = toFindings(result, resolved).map((finding) => undocumentedErrorStatus(finding, input.status, resolved));
    const lroHeaderFinding = missingLroHeader(resolved, input.status, input.headers);
    if (lroHeaderFinding !== undefined) findings.push(lroHeaderFinding);
    return findings;
  }

  /**
   * Finds the operation for a method and URL, and the spec api-version to check it against: the
   * request's own when a spec of it describes the path, else the newest older one, else the nearest newer.
   */
  private resolve(method: string, url: string): ResolvedOperation | Unresolved {
    const unresolved = (message: string, code = NO_SPEC): Unresolved => ({
      kind: "unresolved",
      finding: { severity: "unverified", code, message, path: "$" },
    });
    let parsed: ValidationRequest;
    let requestedApiVersion: string | null;
    try {
      parsed = this.oav.parseValidationRequest(url, method, "", "");
      requestedApiVersion = new URL(url, "https://management.azure.com").searchParams.get("api-version");
    } catch (error) {
      return unresolved(`Cannot parse ${method} ${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const where = `${method.toUpperCase()} ${parsed.pathStr ?? url}`;
    if (requestedApiVersion === null || requestedApiVersion === "") {
      return unresolved(`No spec checked for ${where}: the request has no api-version.`);
    }
    const cache = this.liveValidator.operationSearcher.cache;
    // Paths with a provider namespace are looked up only under it: the generic resources API (bucketed
    // under oav's "unknown" provider) would otherwise match every resource ID with a loose schema.
    const versions = cache.get(parsed.providerNamespace);
    if (versions === undefined) {
      return unresolved(`No spec in the folder describes provider ${parsed.providerNamespace} (${where}).`);
    }
    const candidates: Array<{ apiVersion: string; matches: OperationMatch[]; request: ValidationRequest }> = [];
    for (const apiVersion of versions.keys()) {
      const request: ValidationRequest = { ...parsed, apiVersion };
      const found = this.liveValidator.operationSearcher.getPotentialOperations(request);
      // Templates made only of parameters ("/{roleAssignmentId}", "/{resourceId}") match any URL at
      // all, e.g. GET /subscriptions; they describe lookups by full ID, not the path asked for.
      const matches = found.matches.filter((m) => hasLiteralSegment(m.operation._path._pathTemplate));
      if (matches.length > 0) candidates.push({ apiVersion, matches, request });
    }
    const chosen = chooseApiVersion(
      requestedApiVersion,
      candidates.map((c) => c.apiVersion),
    );
    const candidate = candidates.find((c) => c.apiVersion === chosen);
    if (chosen === undefined || candidate === undefined) {
      return unresolved(`No spec describes ${where} at any api-version.`);
    }
    const mostSpecific = mostLiteralTemplates(candidate.matches);
    if (mostSpecific.length > 1) {
      const ids = mostSpecific.map((m) => m.operation.operationId).join(", ");
      return unresolved(`Several spec operations match ${where} at ${chosen} (${ids}); not validated.`, "MULTIPLE_OPERATIONS_FOUND");
    }
    const match = mostSpecific[0]!;
    const context: OperationContext = {
      apiVersion: chosen,
      operationId: match.operation.operationId ?? "",
      validationRequest: candidate.request,
      operationMatch: match,
    };
    return {
      kind: "resolved",
      context,
      operation: match.operation,
      url: withApiVersion(url, chosen),
      specApiVersion: chosen,
      exact: chosen === requestedApiVersion.toLowerCase(),
    };
  }
}

/**
 * The api-version to validate against, from those whose specs describe the path: the requested one,
 * else the newest older one, else the oldest newer one. oav keys versions lower-cased.
 */
export function chooseApiVersion(requested: string, available: readonly string[]): string | undefined {
  const wanted = requested.toLowerCase();
  if (available.includes(wanted)) return wanted;
  const sorted = [...available].sort(compareApiVersions);
  const older = sorted.filter((v) => compareApiVersions(v, wanted) < 0);
  if (older.length > 0) return older[older.length - 1];
  return sorted.find((v) => compareApiVersions(v, wanted) > 0);
}

/** Orders "YYYY-MM-DD[-suffix]" by date; on the same date a preview comes before the stable version. */
export function compareApiVersions(a: string, b: string): number {
  const dateA = a.slice(0, 10);
  const dateB = b.slice(0, 10);
  if (dateA !== dateB) return dateA < dateB ? -1 : 1;
  const suffixA = a.slice(10);
  const suffixB = b.slice(10);
  if (suffixA === suffixB) return 0;
  if (suffixA === "") return 1;
  if (suffixB === "") return -1;
  return suffixA < suffixB ? -1 : 1;
}

function withApiVersion(url: string, apiVersion: string): string {
  const parsed = new URL(url, "https://management.azure.com");
  parsed.searchParams.set("api-version", apiVersion);
  // Keep a relative URL relative: oav only reads the path and query.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? parsed.toString() : `${parsed.pathname}${parsed.search}`;
}

/** oav's payload type is an object; a copy, because oav's transforms may rewrite values in place. */
function toPayload(body: unknown): Record<string, unknown> | undefined {
  if (body === undefined || body === null || body === "") return undefined;
  return structuredClone(body) as Record<string, unknown>;
}

function toFindings(result: LiveValidationResult, resolved: ResolvedOperation): SpecFinding[] {
  const operationId = resolved.context.operationId;
  const specApiVersion = resolved.specApiVersion;
  const findings = result.errors.map(
    (issue): SpecFinding => ({
      severity: !resolved.exact && CODES_UNVERIFIED_WHEN_SPEC_IS_OLDER.has(issue.code) ? "unverified" : "error",
      code: issue.code,
      message: issue.message,
      path: payloadPath(issue),
      operationId,
      specApiVersion,
    }),
  );
  if (result.runtimeException !== undefined) {
    // oav itself failed (not a finding on the payload): nothing was verified.
    findings.push({
      severity: "unverified",
      code: result.runtimeException.code,
      message: result.runtimeException.message.split("\n")[0]!,
      path: "$",
      operationId,
      specApiVersion,
    });
  }
  return findings;
}

/**
 * An error answer (4xx/5xx) to an operation whose spec lists no `default` (error) response, e.g.
 * StorageAccounts_Create: the spec does not describe Azure's errors there, so oav's INVALID_RESPONSE_CODE
 * says nothing about the emulator. Such a finding is "unverified". (With a `default` response, oav
 * validates the error body against it, and those findings stay errors.)
 */
function undocumentedErrorStatus(finding: SpecFinding, status: number, resolved: ResolvedOperation): SpecFinding {
  if (finding.code !== "INVALID_RESPONSE_CODE" || status < 400 || resolved.operation.responses.default !== undefined) return finding;
  return { ...finding, severity: "unverified", message: `${finding.message} (the spec lists no error response for this operation; not checked)` };
}

/**
 * oav checks the LRO headers only for responses that have a schema (utils: validateLroOperation runs
 * inside `if (rsp.schema !== undefined)`), so a 202 without a body, the usual DELETE answer, escapes.
 * ARM requires Location or Azure-AsyncOperation on every 202 of a long-running operation.
 */
function missingLroHeader(resolved: ResolvedOperation, status: number, headers: Record<string, string>): SpecFinding | undefined {
  const operation = resolved.operation;
  if (operation["x-ms-long-running-operation"] !== true || status !== 202) return undefined;
  const response = operation.responses["202"];
  if (response === undefined || response.schema !== undefined) return undefined; // oav covers those
  const names = new Set(
    Object.entries(headers)
      .filter(([, value]) => value !== "")
      .map(([name]) => name.toLowerCase()),
  );
  if (names.has("location") || names.has("azure-asyncoperation")) return undefined;
  return {
    severity: "error",
    code: "LRO_RESPONSE_HEADER",
    message: "A 202 response of a long-running operation must carry a Location or Azure-AsyncOperation header.",
    path: ".headers",
    operationId: resolved.context.operationId,
    specApiVersion: resolved.specApiVersion,
  };
}

/**
 * oav's path regexes ignore a path parameter's enum, so ".../privateDnsZones/{zone}/virtualNetworkLinks/{name}"
 * and ".../privateDnsZones/{zone}/{recordType}/{name}" both match a link's URL. Like ARM's routing, the
 * template with more literal segments wins.
 */
function mostLiteralTemplates(matches: readonly OperationMatch[]): OperationMatch[] {
  const literalCount = (m: OperationMatch): number => m.operation._path._pathTemplate.split("/").filter(isLiteralSegment).length;
  const best = Math.max(...matches.map(literalCount));
  return matches.filter((m) => literalCount(m) === best);
}

function isLiteralSegment(segment: string): boolean {
  return segment !== "" && !/^\{[^}]+\}$/.test(segment);
}

function hasLiteralSegment(pathTemplate: string): boolean {
  return pathTemplate.split("/").some(isLiteralSegment);
}

/** "$.properties.x" for body findings; ".headers.name" / ".query.name" / ".path.name" for the others. */
function payloadPath(issue: LiveValidationIssue): string {
  const first = issue.jsonPathsInPayload[0];
  if (first === undefined || first === "" || first === ".body") return "$";
  if (first.startsWith(".body")) return "$" + first.slice(".body".length);
  return first;
}

function isDirectory(candidate: string): boolean {
  try {
    return statSync(candidate).isDirectory();
  } catch {
    return false;
  }
}
