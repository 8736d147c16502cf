// What init and plan share: the configuration (resolved already, or asked for in a terminal with
// Azure-backed choices), the up-front cloud check, the steps' estimate and the resume command.

import type { ConfigCommandInput } from "../cli/command-contract.js";
import type { DeploymentConfig } from "../config/types.js";
import type { ResolvedConfig } from "../config/resolve.js";
import { FIELDS, checkFieldValue, flagAttributeName, oppositeFlag, type FieldSpec } from "../config/fields.js";
import { DEFAULT_STATE_PATH } from "../config/resolve.js";
import { SecureAmlError } from "../errors.js";
import type { ErrorInfo, Question } from "../engine/types.js";
import { criticalPath, sequentialSum, defaultToErrorInfo } from "../engine/engine.js";
import type { Step } from "../engine/types.js";
import { allZoneNames, cloudProfile } from "../azure/clouds.js";
import { ArmOperationError, normalizeArmError } from "../azure/arm-errors.js";
import type { UiHost, PlanEstimate } from "../ui/types.js";
import { promptValidator } from "../ui/prompt.js";
import type { CommandRuntime } from "./runtime.js";

/**
 * Refuses a cloud for which a private DNS zone this deployment needs is not published (Azure China
 * and the registry / Azure Monitor zones): InputError, exit 2, before any request.
 */
export function assertCloudSupported(config: DeploymentConfig): void {
  allZoneNames(cloudProfile(config.cloud), config.batchEndpoints);
}

/**
 * The cloud check on what is known before anything is opened (Azure China: exit 2, no request), when
 * the cloud and batch-endpoints choice are known already. Returns what is known of the configuration.
 */
export function assertKnownCloudSupported(input: ConfigCommandInput): Partial<DeploymentConfig> {
  const known = input.precheck.resolved?.config ?? input.precheck.partial;
  if (known.cloud !== undefined && known.batchEndpoints !== undefined) assertCloudSupported(known as DeploymentConfig);
  return known;
}

/** Expected wall time on real Azure: the critical path of the steps' expected durations, and their plain sum. */
export function estimateFor(steps: ReadonlyArray<Step<unknown>>): PlanEstimate & { criticalPath: string[] } {
  const duration = (s: Step<unknown>) => s.expectedSeconds ?? 0;
  const cp = criticalPath(steps, duration);
  return { criticalPathSeconds: cp.seconds, sequentialSeconds: sequentialSum(steps, duration), criticalPath: cp.path };
}

// ---------------------------------------------------------------------------------------------
// Engine error handling for Azure steps

function looksLikeSdkError(err: unknown): boolean {
  const e = err as { name?: unknown; statusCode?: unknown; code?: unknown };
  return e?.name === "RestError" || typeof e?.statusCode === "number" || (typeof e?.code === "string" && /^E[A-Z]+$/.test(e.code));
}

/** Whether a step failure is worth retrying (ARM's transient codes, 429/5xx, socket errors). */
export function isTransientStepError(err: unknown): boolean {
  if (err instanceof ArmOperationError) return err.transient;
  if ((err as { transient?: unknown })?.transient === true) return true;
  if (err instanceof SecureAmlError) return false;
  return looksLikeSdkError(err) && normalizeArmError(err).transient === true;
}

/** How a step failure is shown: the resource, the operation, ARM's code and message. */
export function stepErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof ArmOperationError) {
    const { code, message, armCode, next, transient } = err.info;
    return { code, message, ...(armCode ? { armCode } : {}), ...(next ? { next } : {}), ...(transient !== undefined ? { transient } : {}) };
  }
  if (err instanceof SecureAmlError) return defaultToErrorInfo(err);
  if (looksLikeSdkError(err)) {
    const { code, message, armCode, transient } = normalizeArmError(err);
    return { code, message, ...(armCode ? { armCode } : {}), ...(transient !== undefined ? { transient } : {}) };
  }
  return defaultToErrorInfo(err);
}

// ---------------------------------------------------------------------------------------------
// The resume command

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=,+%-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/**
 * The command that re-runs this deployment: `secure-aml init --state <path>` plus every deployment
 * flag and run option that was given on the command line (values from variables and the config
 * file come back by themselves). Never contains the password.
 */
export function resumeCommand(input: ConfigCommandInput, command = "init"): string {
  const parts = ["secure-aml", command, "--state", shellQuote(input.run.statePath)];
  if (input.configFile) parts.push("--config", shellQuote(input.configFile));
  if (input.run.local) parts.push("--local");
  const flags = input.flags;
  if (isSet(flags.endpoint) && input.run.endpoint) parts.push("--endpoint", shellQuote(input.run.endpoint));
  if (isSet(flags.caCert) && input.run.caCert) parts.push("--ca-cert", shellQuote(input.run.caCert));
  for (const field of FIELDS) {
    const value = flags[flagAttributeName(field)];
    if (!isSet(value)) continue;
    if (field.type === "boolean") {
      const on = value === true || value === "true";
      const flagTurnsOn = !field.flag.startsWith("--no-");
      parts.push(on === flagTurnsOn ? field.flag : (oppositeFlag(field) as string));
    } else {
      parts.push(field.flag, shellQuote(String(value)));
    }
  }
  if (isSet(flags.concurrency)) parts.push("--concurrency", String(input.run.concurrency));
  if (command === "init" && input.run.yes) parts.push("--yes");
  if (isSet(flags.output) && input.run.output === "json") parts.push("--output", "json");
  return parts.join(" ");
}

/** Arguments that make a day-two command address the same state (for the summary's commands). */
export function commandSuffix(input: ConfigCommandInput): string {
  const parts: string[] = [];
  if (input.run.statePath !== DEFAULT_STATE_PATH && input.run.statePath !== "./" + DEFAULT_STATE_PATH) parts.push("--state", shellQuote(input.run.statePath));
  if (input.run.local) parts.push("--local");
  if (input.run.endpoint) parts.push("--endpoint", shellQuote(input.run.endpoint));
  if (input.run.caCert) parts.push("--ca-cert", shellQuote(input.run.caCert));
  return parts.join(" ");
}

// ---------------------------------------------------------------------------------------------
// The configuration, asked for in a terminal when values are missing

/** A placeholder subscription for clients used only to list subscriptions (the URL names none). */
const LISTING_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

/** The subscriptions the signed-in account can see (enabled ones), for the wizard's choice. */
export async function listSubscriptions(runtime: CommandRuntime): Promise<Array<{ id: string; name: string }>> {
  const client = await runtime.azureFor(LISTING_SUBSCRIPTION).subscriptions();
  const subscriptions: Array<{ id: string; name: string }> = [];
  for await (const s of client.subscriptions.list()) {
    if (s.subscriptionId && (s.state === undefined || s.state === "Enabled")) {
      subscriptions.push({ id: s.subscriptionId, name: s.displayName ?? s.subscriptionId });
    }
  }
  return subscriptions;
}

/** The regions a subscription offers (physical regions), for the wizard's choice. */
export async function listLocations(runtime: CommandRuntime, subscriptionId: string): Promise<Array<{ name: string; displayName: string }>> {
  const client = await runtime.azureFor(subscriptionId).subscriptions();
  const locations: Array<{ name: string; displayName: string }> = [];
  for await (const l of client.subscriptions.listLocations(subscriptionId)) {
    if (l.name && l.metadata?.regionType !== "Logical") locations.push({ name: l.name, displayName: l.displayName ?? l.name });
  }
  return locations;
}

/** The resource groups of a subscription (name and region), for the wizard's "new or existing" choice. */
export async function listResourceGroups(runtime: CommandRuntime, subscriptionId: string): Promise<Array<{ name: string; location: string }>> {
  const client = await runtime.azureFor(subscriptionId).resources();
  const groups: Array<{ name: string; location: string }> = [];
  for await (const group of client.resourceGroups.list()) {
    if (group.name) groups.push({ name: group.name, location: group.location });
  }
  return groups.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A choice from what the account can see, for a missing subscription (its subscriptions) or region
 * (the subscription's regions that offer Azure Machine Learning); undefined when nothing could be listed.
 */
async function azureChoiceFor(
  runtime: CommandRuntime,
  field: FieldSpec,
  known: Partial<DeploymentConfig>,
): Promise<{ message: string; choices: Array<{ value: string; name: string }>; default?: string } | undefined> {
  if (field.key === "subscriptionId") {
    const subscriptions = await listSubscriptions(runtime).catch(() => []);
    if (subscriptions.length === 0) return undefined;
    return { message: "Subscription to deploy into", choices: subscriptions.map((s) => ({ value: s.id, name: `${s.name} (${s.id})` })) };
  }
  if (field.key === "location" && known.subscriptionId) {
    const locations = await listLocations(runtime, known.subscriptionId).catch(() => []);
    const usable = locations.filter((l) => checkFieldValue(field, l.name, known).length === 0);
    if (usable.length === 0) return undefined;
    return {
      message: "Region",
      choices: usable.map((l) => ({ value: l.name, name: `${l.displayName} (${l.name})` })),
      default: usable.some((l) => l.name === "eastus") ? "eastus" : undefined,
    };
  }
  return undefined;
}

function questionFor(field: FieldSpec, partial: Partial<DeploymentConfig>): Question {
  const validate = promptValidator((text: string) => checkFieldValue(field, text.trim(), partial));
  return { kind: "input", id: field.key, message: `${field.description} (${field.flag})`, validate };
}

/**
 * Resolves the configuration: precheck's result when complete; otherwise (a terminal) asks for what
 * is missing — the subscription and region from what the account can see, then the masked password.
 * The answers are validated like flags; a bad final result throws InputError (exit 2).
 */
export async function resolveInteractively(
  input: ConfigCommandInput,
  runtime: CommandRuntime,
  requirePassword: boolean,
): Promise<ResolvedConfig> {
  if (input.precheck.resolved) return input.precheck.resolved;
  const ui: UiHost = runtime.ui;
  const { resolveConfig } = await import("./../config/resolve.js");
  const { LOCAL_DEFAULTS } = await import("../config/local.js");
  const ask = async (missing: FieldSpec[]): Promise<Partial<DeploymentConfig>> => {
    const answers: Partial<DeploymentConfig> = {};
    const known = { ...input.precheck.partial };
    for (const field of missing) {
      const choice = await azureChoiceFor(runtime, field, known);
      const value = choice
        ? String(await ui.request({ kind: "select", id: field.key, ...choice }))
        : String(await ui.request(questionFor(field, known))).trim();
      (answers as Record<string, unknown>)[field.key] = field.type === "number" ? Number(value) : value;
      (known as Record<string, unknown>)[field.key] = (answers as Record<string, unknown>)[field.key];
    }
    return answers;
  };
  const askPassword = async (): Promise<string | undefined> => {
    const { checkPasswordAgainstDeployment, checkWindowsPassword } = await import("../config/rules.js");
    // Refused on the spot: what Azure refuses, and a value equal to a name of this deployment.
    const known = input.precheck.partial as Record<string, unknown>;
    const answer = await ui.request({
      kind: "password",
      id: "jumpboxPassword",
      message: "Password for the jump box's administrator (masked; never stored)",
      validate: promptValidator((value: unknown) => [...checkWindowsPassword(value), ...checkPasswordAgainstDeployment(value, known)]),
    });
    return typeof answer === "string" ? answer : undefined;
  };
  return resolveConfig({
    flags: input.flags,
    env: input.env,
    configFile: input.configFile,
    interactive: true,
    ask,
    askPassword,
    requirePassword,
    defaults: input.run.local ? LOCAL_DEFAULTS : undefined,
    generatePassword: input.run.local,
  });
}
