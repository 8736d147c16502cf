// The configuration asked for in a terminal when values are missing, with choices from what the
// signed-in account can see: its subscriptions, a subscription's regions and resource groups.

import type { ConfigCommandInput } from "../cli/command-contract.js";
import type { DeploymentConfig } from "../config/types.js";
import type { ResolvedConfig } from "../config/resolve.js";
import { checkFieldValue, type FieldSpec } from "../config/fields.js";
import type { Question } from "../engine/types.js";
import type { UiHost } from "../ui/types.js";
import { promptValidator } from "../ui/prompt.js";
import type { CommandRuntime } from "./runtime.js";
import { resolveConfig } from "../config/resolve.js";
import { LOCAL_DEFAULTS } from "../config/local.js";
import { checkPasswordAgainstDeployment, checkWindowsPassword } from "../config/rules.js";

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
export async function resolveInteractively(input: ConfigCommandInput, runtime: CommandRuntime, requirePassword: boolean): Promise<ResolvedConfig> {
  if (input.precheck.resolved) return input.precheck.resolved;
  const ui: UiHost = runtime.ui;
  const ask = async (missing: FieldSpec[]): Promise<Partial<DeploymentConfig>> => {
    const answers: Partial<DeploymentConfig> = {};
    const known = { ...input.precheck.partial };
    for (const field of missing) {
      const choice = await azureChoiceFor(runtime, field, known);
      const value = choice ? String(await ui.request({ kind: "select", id: field.key, ...choice })) : String(await ui.request(questionFor(field, known))).trim();
      (answers as Record<string, unknown>)[field.key] = field.type === "number" ? Number(value) : value;
      (known as Record<string, unknown>)[field.key] = (answers as Record<string, unknown>)[field.key];
    }
    return answers;
  };
  const askPassword = async (): Promise<string | undefined> => {
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
