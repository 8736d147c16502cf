// Spec-finding bookkeeping: with --validate-specs every accepted request body and every response is
// checked against Microsoft's REST specs (src/emulator/spec-validation.ts, loaded on demand); findings are
// kept for /_emulator/spec-findings and logged. Request-body errors refuse the request (400); name-rule
// errors do not, but a provider that accepts such a name is recorded as too lenient.
import type { Json, SpecFinding, SpecValidator } from "../types.js";
import { ArmError } from "../types.js";
import { isObject } from "./common.js";
import type { Reply, RequestState } from "./request.js";
import { wireResponse } from "./wire.js";

export interface SpecFindingEntry {
  time: string;
  direction: "request" | "response";
  method: string;
  path: string;
  apiVersion?: string;
  status?: number;
  findings: SpecFinding[];
}

/** Finding code recorded when a provider accepted a request whose names break the spec's rules. */
export const LENIENT_NAME_RULE = "EMULATOR_LENIENT_NAME_RULE";

/** A finding on a name rule that the resource provider, not ARM, enforces (see RequestState.nameRuleErrors). */
export function isNameRuleFinding(finding: SpecFinding): boolean {
  if (finding.path.startsWith(".path.")) return true;
  return finding.path === "$.name" && /_CheckNameAvailability$/i.test(finding.operationId ?? "");
}

/** Whether the provider's answer accepted the request (a 2xx, and for checkNameAvailability: the name is available). */
export function acceptedByProvider(reply: Reply): boolean {
  if (reply.status >= 400) return false;
  return !(isObject(reply.body) && reply.body.nameAvailable === false);
}

export class SpecFindings {
  /** Every finding since start (or the last DELETE /_emulator/spec-findings). */
  readonly entries: SpecFindingEntry[] = [];

  constructor(
    private readonly validator: SpecValidator | undefined,
    private readonly log: (line: string) => void,
    private readonly endpoint: () => string,
  ) {}

  get enabled(): boolean {
    return this.validator !== undefined;
  }

  private requestUrl(state: RequestState): string {
    return `${this.endpoint()}${state.url.pathname}${state.url.search}`;
  }

  /** Validates a request body; throws 400 InvalidRequestContent on errors other than name rules. */
  async validateRequest(state: RequestState): Promise<void> {
    if (!this.validator || state.body === undefined) return;
    const findings = await this.validator.validateRequest({ method: state.method, url: this.requestUrl(state), headers: state.headers, body: state.body });
    if (findings.length === 0) return;
    this.record({ time: new Date().toISOString(), direction: "request", method: state.method, path: state.url.pathname, apiVersion: state.apiVersion, findings });
    const nameRuleErrors = findings.filter((finding) => finding.severity === "error" && isNameRuleFinding(finding));
    if (nameRuleErrors.length > 0) state.nameRuleErrors = nameRuleErrors;
    const errors = findings.filter((finding) => finding.severity === "error" && !isNameRuleFinding(finding));
    if (errors.length === 0) return;
    state.skipResponseValidation = true;
    throw new ArmError(
      400,
      "InvalidRequestContent",
      `The request content was invalid against the REST API specification: ${errors.map((finding) => `${finding.path}: ${finding.message}`).join("; ")}`,
      errors.map((finding) => ({ code: finding.code, message: finding.message, target: finding.path })),
    );
  }

  async validateResponse(state: RequestState, reply: Reply): Promise<void> {
    if (!this.validator) return;
    try {
      const wire = wireResponse(reply, state.method);
      const findings = await this.validator.validateResponse({
        method: state.method,
        url: this.requestUrl(state),
        status: reply.status,
        headers: Object.fromEntries(Object.entries(wire.headers).map(([key, value]) => [key.toLowerCase(), value])),
        // The body as the client parses it (none for HEAD and 204).
        body: wire.payload === undefined ? undefined : (JSON.parse(wire.payload) as Json),
      });
      if (findings.length > 0) {
        this.recordResponse(state, reply, findings);
      }
    } catch (error) {
      this.log(`emulator: response validation failed: ${(error as Error).message}`);
    }
  }

  /** The provider accepted a name Azure's spec forbids: an emulator bug that tests must see. */
  recordLeniency(state: RequestState, reply: Reply, nameRuleErrors: SpecFinding[]): void {
    this.recordResponse(
      state,
      reply,
      nameRuleErrors.map((finding) => ({
        severity: "error",
        code: LENIENT_NAME_RULE,
        message: `The emulator accepted (HTTP ${reply.status}) a name that breaks the spec (${finding.code}: ${finding.message}); Azure's resource provider refuses it with its own error code, so the emulator's provider is too lenient.`,
        path: finding.path,
        operationId: finding.operationId,
        specApiVersion: finding.specApiVersion,
      })),
    );
  }

  private recordResponse(state: RequestState, reply: Reply, findings: SpecFindingEntry["findings"]): void {
    this.record({
      time: new Date().toISOString(),
      direction: "response",
      method: state.method,
      path: state.url.pathname,
      apiVersion: state.apiVersion,
      status: reply.status,
      findings,
    });
  }

  clear(): void {
    this.entries.length = 0;
  }

  private record(entry: SpecFindingEntry): void {
    this.entries.push(entry);
    for (const finding of entry.findings) {
      this.log(
        `spec ${finding.severity} (${entry.direction} ${entry.method} ${entry.path} api-version=${entry.apiVersion ?? "?"}${entry.status !== undefined ? ` status=${entry.status}` : ""}): ${finding.code} at ${finding.path}: ${finding.message}`,
      );
    }
  }
}

/** Loads src/emulator/spec-validation.ts if present; a missing module or specs folder turns validation off. */
export async function loadValidator(log: (line: string) => void): Promise<{ validator?: SpecValidator; note: string }> {
  const modulePath = "../spec-validation.js";
  let loaded: unknown;
  try {
    loaded = await import(modulePath);
  } catch (error) {
    return { note: `spec validation off: the validation module could not be loaded (${(error as Error).message})` };
  }
  const module = loaded as { findSpecRoot?: unknown; loadSpecValidator?: unknown };
  if (typeof module.findSpecRoot !== "function" || typeof module.loadSpecValidator !== "function") {
    return { note: "spec validation off: the validation module does not export findSpecRoot/loadSpecValidator" };
  }
  const root = (module.findSpecRoot as () => string | undefined)();
  if (root === undefined) return { note: "spec validation off: Microsoft's ARM specs folder was not found" };
  try {
    const validator = await (module.loadSpecValidator as (specRoot?: string) => Promise<SpecValidator | undefined>)(root);
    if (!validator) return { note: `spec validation off: no validator could be built from ${root}` };
    return { validator, note: `spec validation on (specs: ${root})` };
  } catch (error) {
    log(`emulator: spec validator failed to load: ${(error as Error).stack ?? String(error)}`);
    return { note: `spec validation off: the validator failed to load (${(error as Error).message})` };
  }
}
