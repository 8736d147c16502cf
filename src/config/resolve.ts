// Where each value comes from, highest first: command-line flags, SECURE_AML_* variables (and
// AZURE_SUBSCRIPTION_ID), the --config file, prompts (only with a terminal), defaults. The jump-box
// password comes only from SECURE_AML_JUMPBOX_PASSWORD or the masked prompt, never from a flag or file.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { InputError, type InputProblem } from "../errors.js";
import type { DeploymentConfig, RunOptions, Secrets } from "./types.js";
import { FIELDS, flagAttributeName, type FieldSpec } from "./fields.js";
import { loadConfigFile } from "./file.js";
import { PASSWORD_ENV, validateConfig } from "./validate.js";
import { displayStateLocation, stateLocationProblem } from "../state/location.js";
import { TRUSTED_ENDPOINTS_ENV, trustedEndpointsFrom } from "../azure/credential.js";

export type ValueSource = "flag" | "env" | "file" | "prompt" | "default";

export interface ResolvedConfig {
  config: DeploymentConfig;
  secrets: Secrets;
  /** Source of every field (and of "jumpboxPassword" when there is one). */
  sources: Record<string, ValueSource>;
}

export interface ResolveConfigInput {
  /** Parsed flags, keyed by commander's attribute name ("vnetAddressSpace", "subscription", "jumpbox") or the field key. */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  configFile?: string;
  interactive: boolean;
  /** Asks for the required values nobody supplied (interactive only); the UI provides it. */
  ask?: (missing: FieldSpec[]) => Promise<Partial<DeploymentConfig>>;
  /** Masked prompt for the jump-box password (interactive only); the UI provides it. */
  askPassword?: () => Promise<string | undefined>;
  /** Whether the jump-box password is needed (init: true; plan: false). Default true. */
  requirePassword?: boolean;
  /** Defaults that replace the table's (lowest precedence), e.g. the local emulator's subscription. */
  defaults?: Partial<DeploymentConfig>;
  /** Generate a random compliant password when none is given (for the local emulator only). */
  generatePassword?: boolean;
  /** Problems found elsewhere (e.g. run options) to report together with these. */
  extraProblems?: InputProblem[];
}

export interface ConfigPrecheck {
  /** The full resolution, when nothing is left to ask. */
  resolved?: ResolvedConfig;
  /** Required fields still without a value (only when interactive). */
  missing: FieldSpec[];
  /** True when the password still has to be asked (only when interactive). */
  passwordMissing: boolean;
  /** Values gathered so far with their sources (for the wizard to show or edit). */
  partial: Partial<DeploymentConfig>;
  secrets: Secrets;
  sources: Record<string, ValueSource>;
}

// ---------------------------------------------------------------------------------------------

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && !(typeof value === "string" && value === "");
}

function parseBoolean(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(t)) return true;
  if (["false", "0", "no", "off"].includes(t)) return false;
  return undefined;
}

/** Converts a flag or variable (usually text) to the field's type; a string result is the reason it failed. */
function convert(field: FieldSpec, raw: unknown): { value?: unknown; problem?: string } {
  if (field.type === "boolean") {
    if (typeof raw === "boolean") return { value: raw };
    const parsed = typeof raw === "string" ? parseBoolean(raw) : undefined;
    return parsed === undefined ? { problem: "must be true or false" } : { value: parsed };
  }
  if (field.type === "number") {
    if (typeof raw === "number") return { value: raw };
    if (typeof raw === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) return { value: Number(raw) };
    return { problem: "must be a number" };
  }
  return typeof raw === "string" ? { value: raw } : { value: raw };
}

function shown(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function envValue(field: FieldSpec, env: NodeJS.ProcessEnv): { name: string; raw: string } | undefined {
  for (const name of [field.env, ...(field.envAliases ?? [])]) {
    const raw = env[name];
    if (raw !== undefined && raw !== "") return { name, raw };
  }
  return undefined;
}

/** Fills every field without a value from `defaults`, then from the table's derive, until nothing changes. */
function applyDefaults(config: Partial<DeploymentConfig>, sources: Record<string, ValueSource>, overrides: Partial<DeploymentConfig> | undefined): void {
  const record = config as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (record[key] === undefined && value !== undefined) {
      record[key] = value;
      sources[key] = "default";
    }
  }
  // Derived names depend on other values (the suffix on subscription and resource group, which may
  // itself be derived from the prefix), so repeat until a pass adds nothing.
  for (let pass = 0; pass < FIELDS.length; pass++) {
    let changed = false;
    for (const field of FIELDS) {
      if (record[field.key] !== undefined || !field.derive) continue;
      const value = field.derive(config);
      if (value !== undefined) {
        record[field.key] = value;
        sources[field.key] = "default";
        changed = true;
      }
    }
    if (!changed) break;
  }
}

function generatedPassword(): string {
  // 24 random URL-safe characters plus one of each character kind: always meets the complexity rule.
  return `${randomBytes(18).toString("base64url")}aZ7!`;
}

// ---------------------------------------------------------------------------------------------

/**
 * Gathers flags, variables and the config file, applies defaults and validates everything given.
 * Throws one InputError with every problem (and, when not interactive, every missing value).
 * When interactive and values are still missing, returns them instead of asking.
 */
export async function precheckConfig(input: ResolveConfigInput): Promise<ConfigPrecheck> {
  const problems: InputProblem[] = [...(input.extraProblems ?? [])];
  const config: Partial<DeploymentConfig> = {};
  const record = config as Record<string, unknown>;
  const sources: Record<string, ValueSource> = {};

  if (isSet(input.flags.jumpboxPassword)) {
    problems.push({
      field: "jumpboxPassword",
      flag: "--jumpbox-password",
      env: PASSWORD_ENV,
      rule: `the password is never taken from a flag (it would stay in shell history and process lists): ` + `set ${PASSWORD_ENV} or run in a terminal to be asked (masked)`,
    });
  }

  let fileValues: Partial<DeploymentConfig> = {};
  if (input.configFile) {
    const loaded = await loadConfigFile(input.configFile);
    problems.push(...loaded.problems);
    fileValues = loaded.values;
  }

  for (const field of FIELDS) {
    const given = [flagAttributeName(field), field.key].map((k) => input.flags[k]);
    if (given.some((v) => typeof v === "string" && v.trim() === "")) {
      // `--prefix ""` is a mistake (an unset variable in a script), not a request for the default.
      problems.push({ field: field.key, flag: field.flag, env: field.env, value: "", rule: "is empty: give a value, or leave the flag out for the default" });
      continue;
    }
    const fromFlag = given.find(isSet);
    const fromEnv = envValue(field, input.env);
    const fromFile = (fileValues as Record<string, unknown>)[field.key];
    let raw: unknown;
    let source: ValueSource;
    let via: { flag?: string; env?: string };
    if (fromFlag !== undefined) [raw, source, via] = [fromFlag, "flag", { flag: field.flag }];
    else if (fromEnv) [raw, source, via] = [fromEnv.raw, "env", { env: fromEnv.name }];
    else if (fromFile !== undefined) [raw, source, via] = [fromFile, "file", { flag: field.flag, env: field.env }];
    else continue;
    const converted = convert(field, raw);
    if (converted.problem) {
      problems.push({ field: field.key, ...via, value: shown(raw), rule: converted.problem });
      continue;
    }
    record[field.key] = converted.value;
    sources[field.key] = source;
  }

  applyDefaults(config, sources, input.defaults);

  const secrets: Secrets = {};
  const passwordFromEnv = input.env[PASSWORD_ENV];
  if (passwordFromEnv !== undefined && passwordFromEnv !== "") {
    secrets.jumpboxPassword = passwordFromEnv;
    sources.jumpboxPassword = "env";
  } else if (input.generatePassword && config.jumpbox !== false) {
    secrets.jumpboxPassword = generatedPassword();
    sources.jumpboxPassword = "default";
  }

  const canAsk = input.interactive;
  const requirePassword = input.requirePassword !== false;
  problems.push(
    ...validateConfig(config, secrets, {
      reportMissing: !canAsk,
      requirePassword: requirePassword && !canAsk,
    }),
  );
  // Type problems found while converting are already listed; drop validateConfig's duplicates.
  const unique = problems.filter((p, i) => problems.findIndex((q) => q.field === p.field && q.rule === p.rule && q.value === p.value) === i);
  if (unique.length > 0) throw new InputError(unique);

  const missing = FIELDS.filter((f) => config[f.key] === undefined && f.required);
  const passwordMissing = requirePassword && config.jumpbox !== false && secrets.jumpboxPassword === undefined;
  if (missing.length > 0 || passwordMissing) return { missing, passwordMissing, partial: config, secrets, sources };
  const resolved = { config: config as DeploymentConfig, secrets, sources };
  return { resolved, missing, passwordMissing, partial: config, secrets, sources };
}

/**
 * Resolves the whole configuration. Non-interactive: one InputError listing every bad and every
 * missing value with the flag and variable that supply it. Interactive: asks for what is missing
 * through `ask` and `askPassword`, then validates the answers.
 */
export async function resolveConfig(input: ResolveConfigInput): Promise<ResolvedConfig> {
  const pre = await precheckConfig(input);
  if (pre.resolved) return pre.resolved;

  const config: Partial<DeploymentConfig> = { ...pre.partial };
  const sources: Record<string, ValueSource> = { ...pre.sources };
  const secrets: Secrets = { ...pre.secrets };
  if (pre.missing.length > 0 && input.ask) {
    const answers = await input.ask(pre.missing);
    for (const [key, value] of Object.entries(answers)) {
      if (value === undefined) continue;
      const record = config as Record<string, unknown>;
      // An answer replaces a derived default (the wizard may edit names) but never a flag, variable or file value.
      if (record[key] === undefined || sources[key] === "default") {
        record[key] = value;
        sources[key] = "prompt";
      }
    }
    // Names derived from answered values (e.g. the suffix from the subscription) are computed now.
    for (const field of FIELDS) {
      if (sources[field.key] === "default" && field.derive) {
        delete (config as Record<string, unknown>)[field.key];
        delete sources[field.key];
      }
    }
    applyDefaults(config, sources, input.defaults);
  }
  if (pre.passwordMissing && input.interactive && input.askPassword) {
    const password = await input.askPassword();
    if (password !== undefined && password !== "") {
      secrets.jumpboxPassword = password;
      sources.jumpboxPassword = "prompt";
    }
  }

  const problems = validateConfig(config, secrets, { reportMissing: true, requirePassword: input.requirePassword !== false });
  if (problems.length > 0) throw new InputError(problems);
  return { config: config as DeploymentConfig, secrets, sources };
}

// ---------------------------------------------------------------------------------------------
// Run options (how a command reaches ARM and reports)

const DEFAULT_CONCURRENCY = 8;
/** Upper bound of --concurrency: the step graph has about 25 steps, and ARM throttles a burst of writes. */
export const MAX_CONCURRENCY = 64;
export const DEFAULT_STATE_PATH = ".secure-aml/state.json";

export interface TerminalInfo {
  stdin?: boolean;
  stderr?: boolean;
}

function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== "" && ci.toLowerCase() !== "false" && ci !== "0";
}

/** Run options and every problem with them (for reporting together with the configuration's). */
export function checkRunOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, isTTY: boolean | TerminalInfo): { options: RunOptions; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const tty = typeof isTTY === "boolean" ? { stdin: isTTY, stderr: isTTY } : isTTY;
  const pick = (flag: string, variable: string): { raw?: unknown; flagged: boolean } => {
    if (isSet(flags[flag])) return { raw: flags[flag], flagged: true };
    if (isSet(env[variable])) return { raw: env[variable], flagged: false };
    return { flagged: false };
  };
  const bool = (flag: string, variable: string, name: string): boolean => {
    const { raw } = pick(flag, variable);
    if (raw === undefined) return false;
    if (typeof raw === "boolean") return raw;
    const parsed = parseBoolean(String(raw));
    if (parsed === undefined) problems.push({ field: name, flag: `--${name}`, env: variable, value: String(raw), rule: "must be true or false" });
    return parsed ?? false;
  };

  const local = bool("local", "SECURE_AML_LOCAL", "local");
  const yes = bool("yes", "SECURE_AML_YES", "yes");

  const endpointPick = pick("endpoint", "SECURE_AML_ARM_ENDPOINT");
  let endpoint: string | undefined;
  if (endpointPick.raw !== undefined) {
    const text = String(endpointPick.raw);
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== "https:") {
      problems.push({
        field: "endpoint",
        flag: "--endpoint",
        env: "SECURE_AML_ARM_ENDPOINT",
        value: text,
        rule: "must be an https:// URL (the Azure SDKs refuse to send tokens over http)",
      });
    } else if (local && endpointPick.flagged) {
      problems.push({
        field: "endpoint",
        flag: "--endpoint",
        env: "SECURE_AML_ARM_ENDPOINT",
        value: text,
        rule: "--local starts its own emulator; give either --local or --endpoint, not both",
      });
    } else if (!local) {
      endpoint = text.replace(/\/+$/, "");
    }
  }

  // --trust-endpoint (repeatable) and SECURE_AML_TRUSTED_ENDPOINTS: https URLs only.
  const trustedEndpoints = trustedEndpointsFrom(flags.trustEndpoint, env);
  for (const trusted of trustedEndpoints) {
    let ok = false;
    try {
      ok = new URL(trusted).protocol === "https:";
    } catch {
      ok = false;
    }
    if (!ok)
      problems.push({
        field: "trustEndpoint",
        flag: "--trust-endpoint",
        env: TRUSTED_ENDPOINTS_ENV,
        value: trusted,
        rule: "must be an https:// URL (an ARM endpoint you trust with your Azure token)",
      });
  }

  // A flag given with an empty value is a mistake, not "use the default".
  for (const [flag, name, variable] of [
    ["endpoint", "endpoint", "SECURE_AML_ARM_ENDPOINT"],
    ["caCert", "ca-cert", "SECURE_AML_CA_CERT"],
    ["concurrency", "concurrency", "SECURE_AML_CONCURRENCY"],
    ["output", "output", "SECURE_AML_OUTPUT"],
    ["state", "state", "SECURE_AML_STATE"],
    ["config", "config", "SECURE_AML_CONFIG"],
    ["subscription", "subscription", "SECURE_AML_SUBSCRIPTION"],
    ["resourceGroup", "resource-group", "SECURE_AML_RESOURCE_GROUP"],
  ] as const) {
    if (typeof flags[flag] === "string" && (flags[flag] as string).trim() === "") {
      problems.push({ field: flag, flag: `--${name}`, env: variable, value: "", rule: "is empty: give a value, or leave the flag out for the default" });
    }
  }

  const caPick = pick("caCert", "SECURE_AML_CA_CERT");
  let caCert: string | undefined;
  if (caPick.raw !== undefined) {
    caCert = String(caPick.raw);
    if (!existsSync(caCert)) {
      problems.push({ field: "caCert", flag: "--ca-cert", env: "SECURE_AML_CA_CERT", value: caCert, rule: "file not found (a PEM file of the CA)" });
    }
  }

  let concurrency = DEFAULT_CONCURRENCY;
  const concurrencyPick = pick("concurrency", "SECURE_AML_CONCURRENCY");
  if (concurrencyPick.raw !== undefined) {
    const text = String(concurrencyPick.raw).trim();
    const n = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
      problems.push({
        field: "concurrency",
        flag: "--concurrency",
        env: "SECURE_AML_CONCURRENCY",
        value: text.length > 40 ? `${text.slice(0, 40)}...` : text,
        rule: `must be a whole number from 1 to ${MAX_CONCURRENCY} (1 runs steps strictly in order; more than there are steps gains nothing)`,
      });
    } else concurrency = n;
  }

  let output: RunOptions["output"] = "text";
  const outputPick = pick("output", "SECURE_AML_OUTPUT");
  if (outputPick.raw !== undefined) {
    const text = String(outputPick.raw);
    if (text === "text" || text === "json") output = text;
    else problems.push({ field: "output", flag: "--output", env: "SECURE_AML_OUTPUT", value: text, rule: "must be text or json" });
  }

  const statePick = pick("state", "SECURE_AML_STATE");
  const statePath = statePick.raw !== undefined ? String(statePick.raw) : DEFAULT_STATE_PATH;
  const stateProblem = statePick.raw !== undefined ? stateLocationProblem(statePath) : undefined;
  if (stateProblem !== undefined) problems.push({ field: "state", flag: "--state", env: "SECURE_AML_STATE", value: displayStateLocation(statePath), rule: stateProblem });

  const recordPick = pick("record", "SECURE_AML_RECORD");
  const record = recordPick.raw !== undefined ? String(recordPick.raw) : undefined;
  const recordSubscriptionPick = pick("recordSubscription", "SECURE_AML_RECORD_SUBSCRIPTION");
  let recordSubscription: string | undefined;
  if (recordSubscriptionPick.raw !== undefined) {
    const text = String(recordSubscriptionPick.raw);
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) recordSubscription = text;
    else
      problems.push({
        field: "recordSubscription",
        flag: "--record-subscription",
        env: "SECURE_AML_RECORD_SUBSCRIPTION",
        value: text,
        rule: "must be a GUID (the subscription id the recording shows)",
      });
  }

  const terminal = tty.stdin === true && tty.stderr === true && !isCi(env);
  const noColorVar = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  const color = flags.color !== false && !noColorVar && tty.stderr === true && !isCi(env);

  return {
    options: {
      endpoint,
      ...(trustedEndpoints.length > 0 ? { trustedEndpoints } : {}),
      caCert,
      local,
      concurrency,
      statePath,
      output,
      yes,
      color,
      interactive: terminal && !yes,
      ...(record !== undefined ? { record } : {}),
      ...(recordSubscription !== undefined ? { recordSubscription } : {}),
    },
    problems,
  };
}

/** RunOptions from flags and variables; throws InputError listing every bad value. */
export function resolveRunOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, isTTY: boolean | TerminalInfo): RunOptions {
  const { options, problems } = checkRunOptions(flags, env, isTTY);
  if (problems.length > 0) throw new InputError(problems);
  return options;
}
