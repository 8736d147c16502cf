// Which deployment a day-two command (status, verify, stop, start, destroy) works on: the state file
// first (it records the configuration init used, hence every derived name), else --subscription and
// --resource-group (or their variables). Every bad or missing value exits 2 before any request.

import type { CommandInput } from "../cli/command-contract.js";
import type { CloudName, DeploymentConfig } from "../config/types.js";
import { LOCAL_SUBSCRIPTION_ID } from "../config/local.js";
import { checkName, checkSubscriptionId } from "../config/rules.js";
import { readState, type DeploymentState } from "../engine/state.js";
import { InputError, type InputProblem } from "../errors.js";
import { sameText } from "../audit/ids.js";

export interface DeploymentTarget {
  subscriptionId: string;
  resourceGroup: string;
  cloud: CloudName;
  /** Where subscription and resource group came from. */
  source: "state" | "flags";
  /** The configuration init recorded, when the state file describes this resource group. */
  config?: Partial<DeploymentConfig>;
  /** The state file, when there is one for this resource group. */
  state?: DeploymentState;
  statePath: string;
}

const CLOUDS: readonly CloudName[] = ["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"];

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** The recorded configuration, keeping only values of the expected primitive types. */
function configFromState(state: DeploymentState | undefined): Partial<DeploymentConfig> | undefined {
  if (!state) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(state.config)) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[key] = value;
  }
  return out as Partial<DeploymentConfig>;
}

/** Resolves the target of a day-two command; throws InputError (exit 2) listing every problem. */
export async function resolveTarget(input: CommandInput): Promise<DeploymentTarget> {
  const { flags, env, run } = input;
  const problems: InputProblem[] = [];
  const state = await readState(run.statePath);
  const recorded = configFromState(state);

  const subscriptionFlag = text(flags.subscription) ?? text(env.SECURE_AML_SUBSCRIPTION) ?? text(env.AZURE_SUBSCRIPTION_ID);
  const groupFlag = text(flags.resourceGroup) ?? text(env.SECURE_AML_RESOURCE_GROUP);

  const recordedGroup = text(recorded?.resourceGroup);
  const recordedSubscription = text(recorded?.subscriptionId);
  const resourceGroup = groupFlag ?? recordedGroup;
  const subscriptionId =
    text(flags.subscription) ??
    (groupFlag === undefined || sameText(groupFlag, recordedGroup) ? recordedSubscription : undefined) ??
    subscriptionFlag ??
    (run.local ? LOCAL_SUBSCRIPTION_ID : undefined);

  if (resourceGroup === undefined) {
    problems.push({
      field: "resourceGroup",
      flag: "--resource-group",
      env: "SECURE_AML_RESOURCE_GROUP",
      rule: `required: there is no state file at ${run.statePath} (pass --state to point at one, or name the resource group)`,
    });
  } else {
    for (const rule of checkName("resourceGroup", resourceGroup))
      problems.push({ field: "resourceGroup", flag: "--resource-group", env: "SECURE_AML_RESOURCE_GROUP", value: resourceGroup, rule });
  }
  if (subscriptionId === undefined) {
    problems.push({
      field: "subscriptionId",
      flag: "--subscription",
      env: "AZURE_SUBSCRIPTION_ID",
      rule: "required: the subscription that holds the resource group (`az account show --query id -o tsv`)",
    });
  } else {
    for (const rule of checkSubscriptionId(subscriptionId))
      problems.push({ field: "subscriptionId", flag: "--subscription", env: "AZURE_SUBSCRIPTION_ID", value: subscriptionId, rule });
  }
  if (problems.length > 0 || resourceGroup === undefined || subscriptionId === undefined) throw new InputError(problems);

  // The state file describes this deployment only when it names the same group and subscription.
  const matches = recordedGroup !== undefined && sameText(recordedGroup, resourceGroup) && (recordedSubscription === undefined || sameText(recordedSubscription, subscriptionId));
  const recordedCloud = text(recorded?.cloud);
  const cloud = matches && recordedCloud && (CLOUDS as readonly string[]).includes(recordedCloud) ? (recordedCloud as CloudName) : "AzureCloud";
  return {
    subscriptionId,
    resourceGroup,
    cloud,
    source: matches && groupFlag === undefined ? "state" : "flags",
    config: matches ? recorded : undefined,
    state: matches ? state : undefined,
    statePath: run.statePath,
  };
}
