// The interactive wizard of `secure-aml init`: asks, in the tutorial's order and with its defaults,
// for everything a deployment needs, validating each answer as it is given (rules from
// src/config/fields.ts), shows the plan, asks one confirmation and offers to save the answers.
// Azure is reached only through the injected deps, so the wizard never imports @azure/* and runs
// in tests with a scripted prompt backend. Ctrl-C rejects with SecureAmlError INTERRUPTED (exit 130).

import ipaddr from "ipaddr.js";
import { DEFAULT_PREFIX, FIELDS, checkFieldValue, type FieldSpec } from "../config/fields.js";
import { checkWindowsPassword, DOCKER_BRIDGE_RANGE, PASSWORD_RULE } from "../config/rules.js";
import { validateConfig } from "../config/validate.js";
import type { DeploymentConfig, Secrets } from "../config/types.js";
import type { PlannedResource } from "../engine/types.js";
import { InputError, SecureAmlError } from "../errors.js";
import { renderPlan } from "./plan.js";
import { promptValidator } from "./prompt.js";
import type { PlanEstimate, PromptBackend } from "./types.js";

/** Names that must be unique across Azure (checked with the provider's name-availability API). */
export type GlobalNameKind = "storageAccount" | "keyVault" | "registry";
export const GLOBAL_NAME_KINDS: readonly GlobalNameKind[] = ["storageAccount", "keyVault", "registry"];

export interface NameAvailability {
  available: boolean;
  /** Why not, in Azure's words (e.g. "AlreadyExists"). */
  reason?: string;
  /** A free name to offer instead. */
  suggestion?: string;
}

export interface WizardDeps {
  prompt: PromptBackend;
  /** Where explanations are written (stderr). */
  output: NodeJS.WritableStream;
  /** Signs in (DefaultAzureCredential) and says as whom; rejects with a clear message when no credential is found. */
  signIn?(): Promise<{ account?: string }>;
  listSubscriptions(): Promise<Array<{ id: string; name: string; isDefault?: boolean }>>;
  listLocations(subscriptionId: string): Promise<Array<{ name: string; displayName: string }>>;
  listResourceGroups(subscriptionId: string): Promise<Array<{ name: string; location: string }>>;
  /** Asks the provider; `subscriptionId` is the one chosen so far (checkNameAvailability is a subscription-level call). */
  checkName(kind: GlobalNameKind, name: string, subscriptionId?: string): Promise<NameAvailability>;
  /** Values already given by flags, variables or a config file: used as they are, not asked. */
  given?: Partial<DeploymentConfig>;
  givenSecrets?: Secrets;
  /** The plan shown before the confirmation (read-only calls). Without it, the answers are shown instead. */
  plan?(config: DeploymentConfig, secrets: Secrets): Promise<{ planned: PlannedResource[]; estimate?: PlanEstimate }>;
  /** Saves the answers (config/file.ts writeConfigFile); without it, saving is not offered. */
  saveConfig?(path: string, config: DeploymentConfig): Promise<void>;
  /** Default file name offered for saving; "secure-aml.json". */
  defaultConfigPath?: string;
  /** The command that replays saved answers (with the run's endpoint options); default `secure-aml init --config PATH --yes`. */
  replayCommand?(path: string): string;
}

export interface WizardResult {
  config: DeploymentConfig;
  secrets: Secrets;
  /** False when the person declined the plan: nothing must be created. */
  confirmed: boolean;
  /** Where the answers were saved, when they were. */
  savedTo?: string;
}

// Not a possible resource-group name (colons are not allowed), so it cannot collide with one.
const NEW_GROUP = ":new";

function field(key: keyof DeploymentConfig): FieldSpec {
  const spec = FIELDS.find((f) => f.key === key);
  if (!spec) throw new Error(`no field ${String(key)} in FIELDS`);
  return spec;
}

/** A validator for an inquirer prompt from a field's rules, with the other answers so far. */
function validatorFor(key: keyof DeploymentConfig, answers: Partial<DeploymentConfig>, parse: (s: string) => unknown = (s) => s.trim()) {
  return promptValidator((raw: string) => checkFieldValue(field(key), parse(raw), answers));
}

function parseWholeNumber(s: string): unknown {
  return /^\s*\d+\s*$/.test(s) ? Number(s.trim()) : s;
}

/**
 * Subnet defaults inside the chosen address space, laid out as the tutorial does (Training the
 * first /24, Scoring the next /24, AzureBastionSubnet a /26 after them); the tutorial's values
 * when the space is its 172.16.0.0/16 or too small for this layout.
 */
export function subnetDefaults(vnetAddressSpace: string | undefined): { training: string; scoring: string; bastion: string } {
  const fallback = {
    training: String(field("trainingSubnet").derive?.({}) ?? "172.16.0.0/24"),
    scoring: String(field("scoringSubnet").derive?.({}) ?? "172.16.1.0/24"),
    bastion: String(field("bastionSubnet").derive?.({}) ?? "172.16.2.0/26"),
  };
  if (!vnetAddressSpace || !ipaddr.IPv4.isValidCIDRFourPartDecimal(vnetAddressSpace)) return fallback;
  const [address, length] = ipaddr.IPv4.parseCIDR(vnetAddressSpace);
  if (length > 22) return fallback;
  const base = address.toByteArray().reduce((n, b) => n * 256 + b, 0);
  const at = (offset: number, prefix: number) => {
    const n = base + offset;
    return `${[24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".")}/${prefix}`;
  };
  return { training: at(0, 24), scoring: at(256, 24), bastion: at(512, 26) };
}

const NAME_KEYS: ReadonlyArray<keyof DeploymentConfig> = [
  "vnetName",
  "storageAccount",
  "keyVault",
  "registry",
  "workspace",
  "logAnalyticsWorkspace",
  "appInsights",
  "privateLinkScope",
  "bastionName",
  "bastionPublicIp",
  "jumpboxName",
  "computeCluster",
  "computeInstance",
];

const NAME_LABELS: Readonly<Partial<Record<keyof DeploymentConfig, string>>> = {
  vnetName: "Virtual network",
  storageAccount: "Storage account (global)",
  keyVault: "Key vault (global)",
  registry: "Container registry (global)",
  workspace: "ML workspace",
  logAnalyticsWorkspace: "Log Analytics",
  appInsights: "Application Insights",
  privateLinkScope: "Monitor private link scope",
  bastionName: "Bastion",
  bastionPublicIp: "Bastion public IP",
  jumpboxName: "Jump box VM",
  computeCluster: "Compute cluster",
  computeInstance: "Compute instance",
};

function isGlobal(key: keyof DeploymentConfig): key is GlobalNameKind {
  return (GLOBAL_NAME_KINDS as readonly string[]).includes(key);
}

export async function runWizard(deps: WizardDeps): Promise<WizardResult> {
  const given = deps.given ?? {};
  const answers: Partial<DeploymentConfig> = { ...given };
  const secrets: Secrets = { ...deps.givenSecrets };
  const { prompt } = deps;
  const say = (text = "") => {
    deps.output.write(text + "\n");
  };
  const has = (key: keyof DeploymentConfig) => given[key] !== undefined;
  const defaultOf = (key: keyof DeploymentConfig): unknown => field(key).derive?.(answers);
  answers.cloud ??= "AzureCloud";

  say("secure-aml builds the network-isolated Azure Machine Learning workspace of Microsoft's tutorial.");
  say("Every answer has the tutorial's default: press Enter to keep it. Ctrl-C stops without creating anything.");
  say();

  // --- sign-in and subscription ------------------------------------------------------------
  if (deps.signIn) {
    const who = await deps.signIn();
    say(who.account ? `Signed in as ${who.account}.` : "Signed in.");
  }
  if (!has("subscriptionId")) {
    const subscriptions = await deps.listSubscriptions();
    if (subscriptions.length === 0) {
      throw new SecureAmlError(
        "NO_SUBSCRIPTION",
        "The signed-in account sees no Azure subscription. Sign in with an account that has one (`az login`), or pass --subscription.",
        2,
      );
    }
    answers.subscriptionId = await prompt.select({
      message: "Subscription",
      choices: subscriptions.map((s) => ({ value: s.id, name: `${s.name} (${s.id})` })),
      default: (subscriptions.find((s) => s.isDefault) ?? subscriptions[0])?.id,
    });
  }
  const subscriptionId = answers.subscriptionId ?? "";

  // --- resource group and region ------------------------------------------------------------
  let existingGroupLocation: string | undefined;
  if (!has("resourceGroup")) {
    const groups = await deps.listResourceGroups(subscriptionId);
    const proposed = field("resourceGroup").derive?.({ prefix: given.prefix ?? DEFAULT_PREFIX });
    const choice = await prompt.select({
      message: "Resource group",
      choices: [
        { value: NEW_GROUP, name: "Create a new resource group", description: "recommended: destroy can then remove everything at once" },
        ...groups.map((g) => ({ value: g.name, name: `${g.name} (${g.location})`, description: "use this existing group" })),
      ],
      default: NEW_GROUP,
    });
    if (choice === NEW_GROUP) {
      const validate = validatorFor("resourceGroup", answers);
      answers.resourceGroup = (
        await prompt.input({ message: "Name of the new resource group", default: typeof proposed === "string" ? proposed : undefined, validate })
      ).trim();
    } else {
      answers.resourceGroup = choice;
    }
    existingGroupLocation = groups.find((g) => g.name.toLowerCase() === answers.resourceGroup?.toLowerCase())?.location;
  }

  if (!has("location")) {
    const offered = await deps.listLocations(subscriptionId);
    const withAml = offered.filter((l) => checkFieldValue(field("location"), l.name, answers).length === 0);
    const choices = (withAml.length > 0 ? withAml : offered).slice().sort((a, b) => a.displayName.localeCompare(b.displayName));
    if (choices.length === 0) {
      throw new SecureAmlError("NO_REGION", "The subscription offers no region; pass --location.", 2);
    }
    const preferred = [existingGroupLocation, "eastus"].find((l) => l && choices.some((c) => c.name === l));
    answers.location = await prompt.select({
      message: existingGroupLocation ? `Region (the resource group is in ${existingGroupLocation})` : "Region (only regions that offer Azure Machine Learning)",
      choices: choices.map((c) => ({ value: c.name, name: `${c.displayName} (${c.name})` })),
      default: preferred ?? choices[0]?.name,
    });
  }

  // --- prefix and names ---------------------------------------------------------------------
  if (!has("prefix")) {
    answers.prefix = (
      await prompt.input({
        message: "Name prefix (every resource name is proposed from it)",
        default: DEFAULT_PREFIX,
        validate: validatorFor("prefix", answers),
      })
    ).trim();
  }
  const nameKeys = NAME_KEYS.filter((k) => !has(k));
  for (const key of nameKeys) {
    const value = defaultOf(key);
    if (value !== undefined) (answers as Record<string, unknown>)[key] = value;
  }

  const availabilityCheck = (key: GlobalNameKind) => async (raw: string): Promise<string | true> => {
    const value = raw.trim();
    const ruled = validatorFor(key, answers)(value);
    if (ruled !== true) return ruled;
    let verdict: NameAvailability;
    try {
      verdict = await deps.checkName(key, value, answers.subscriptionId);
    } catch {
      return true; // The check is a courtesy; the deployment reports a taken name precisely anyway.
    }
    if (verdict.available) return true;
    return `"${value}" is not available${verdict.reason ? ` (${verdict.reason})` : ""}${verdict.suggestion ? `; "${verdict.suggestion}" is free` : ""}`;
  };

  const taken = new Map<GlobalNameKind, NameAvailability>();
  for (const key of nameKeys.filter(isGlobal)) {
    const value = answers[key];
    if (typeof value !== "string") continue;
    try {
      const verdict = await deps.checkName(key, value, answers.subscriptionId);
      if (!verdict.available) taken.set(key, verdict);
    } catch {
      // Unknown availability is not a reason to stop the wizard.
    }
  }

  if (nameKeys.length > 0) {
    say();
    say("Proposed names:");
    for (const key of nameKeys) {
      const mark = isGlobal(key) ? (taken.has(key as GlobalNameKind) ? "  ← taken" : "  ✓ free") : "";
      say(`  ${(NAME_LABELS[key] ?? key).padEnd(28)} ${String(answers[key])}${mark}`);
    }
    for (const [key, verdict] of taken) {
      say(`The ${NAME_LABELS[key] ?? key} name "${String(answers[key])}" is taken${verdict.reason ? ` (${verdict.reason})` : ""}.`);
      answers[key] = (
        await prompt.input({
          message: `${NAME_LABELS[key] ?? key} name`,
          default: verdict.suggestion,
          validate: availabilityCheck(key),
        })
      ).trim();
    }
    const keep = await prompt.confirm({ message: "Use these names?", default: true });
    if (!keep) {
      for (const key of nameKeys) {
        const current = answers[key];
        (answers as Record<string, unknown>)[key] = (
          await prompt.input({
            message: `${NAME_LABELS[key] ?? key} name`,
            default: typeof current === "string" ? current : undefined,
            validate: isGlobal(key) ? availabilityCheck(key) : validatorFor(key, answers),
          })
        ).trim();
      }
    }
  }

  // --- address ranges -----------------------------------------------------------------------
  const rangeKeys = (["vnetAddressSpace", "trainingSubnet", "scoringSubnet", "bastionSubnet"] as const).filter((k) => !has(k));
  if (rangeKeys.length > 0) {
    say();
    say("Address ranges. The tutorial uses 172.16.0.0/16 with three subnets: Training (workspace, private endpoints,");
    say("compute, jump box), Scoring (for endpoints later) and AzureBastionSubnet (at least /26, Bastion's own subnet).");
    say(`Avoid ${DOCKER_BRIDGE_RANGE}: Docker uses it inside every compute node, so addresses there would never leave the`);
    say("node and training jobs and image builds would fail. Also avoid ranges your own network uses if you will connect it.");
  }
  for (const key of rangeKeys) {
    let proposed: string | undefined;
    if (key === "vnetAddressSpace") proposed = String(defaultOf(key) ?? "172.16.0.0/16");
    else {
      const d = subnetDefaults(answers.vnetAddressSpace);
      proposed = key === "trainingSubnet" ? d.training : key === "scoringSubnet" ? d.scoring : d.bastion;
    }
    const label = { vnetAddressSpace: "VNet address space", trainingSubnet: "Training subnet", scoringSubnet: "Scoring subnet", bastionSubnet: "AzureBastionSubnet (/26 or larger)" }[key];
    answers[key] = (await prompt.input({ message: label, default: proposed, validate: validatorFor(key, answers) })).trim();
  }

  // --- options ------------------------------------------------------------------------------
  say();
  if (!has("jumpbox")) {
    answers.jumpbox = await prompt.confirm({
      message: "Create the jump box (a Windows 11 VM in the Training subnet, no public IP, to reach studio)?",
      default: true,
    });
  }
  if (answers.jumpbox !== false) {
    if (!has("jumpboxAdmin")) {
      answers.jumpboxAdmin = (
        await prompt.input({ message: "Jump box administrator name", default: String(defaultOf("jumpboxAdmin") ?? "azureuser"), validate: validatorFor("jumpboxAdmin", answers) })
      ).trim();
    }
    if (secrets.jumpboxPassword === undefined) {
      say(`The jump box password is never saved or printed. Azure requires ${PASSWORD_RULE}.`);
      for (;;) {
        const first = await prompt.password({
          message: "Jump box administrator password",
          validate: promptValidator(checkWindowsPassword),
        });
        const again = await prompt.password({ message: "The same password again" });
        if (again === first) {
          secrets.jumpboxPassword = first;
          break;
        }
        say("The two passwords differ; please type them again.");
      }
    }
    if (!has("jumpboxSize")) {
      answers.jumpboxSize = (
        await prompt.input({ message: "Jump box VM size", default: String(defaultOf("jumpboxSize")), validate: validatorFor("jumpboxSize", answers) })
      ).trim();
    }
    if (!has("jumpboxShutdownTime")) {
      answers.jumpboxShutdownTime = (
        await prompt.input({
          message: `Daily auto-shutdown time of the jump box, HHmm (${String(answers.jumpboxShutdownTimeZone ?? defaultOf("jumpboxShutdownTimeZone"))})`,
          default: String(defaultOf("jumpboxShutdownTime")),
          validate: validatorFor("jumpboxShutdownTime", answers),
        })
      ).trim();
    }
  }
  if (!has("bastion")) {
    answers.bastion = await prompt.confirm({
      message: "Create Azure Bastion (browser access to the jump box; billed by the hour while it exists)?",
      default: true,
    });
    if (!answers.bastion && answers.jumpbox !== false) {
      say("Without Bastion the jump box has no way in from the internet: you will need a VPN or ExpressRoute into the VNet.");
    }
  }
  if (!has("clusterVmSize")) {
    answers.clusterVmSize = (
      await prompt.input({ message: `Compute cluster (${String(answers.computeCluster)}) node size`, default: String(defaultOf("clusterVmSize")), validate: validatorFor("clusterVmSize", answers) })
    ).trim();
  }
  if (!has("clusterMinNodes")) {
    const raw = await prompt.input({
      message: "Minimum cluster nodes (0 costs nothing while idle)",
      default: String(defaultOf("clusterMinNodes")),
      validate: validatorFor("clusterMinNodes", answers, parseWholeNumber),
    });
    answers.clusterMinNodes = Number(raw.trim());
  }
  if (!has("clusterMaxNodes")) {
    const raw = await prompt.input({
      message: "Maximum cluster nodes",
      default: String(Math.max(Number(defaultOf("clusterMaxNodes") ?? 2), answers.clusterMinNodes ?? 0, 1)),
      validate: validatorFor("clusterMaxNodes", answers, parseWholeNumber),
    });
    answers.clusterMaxNodes = Number(raw.trim());
  }
  if (!has("instanceVmSize")) {
    answers.instanceVmSize = (
      await prompt.input({ message: `Compute instance (${String(answers.computeInstance)}) size`, default: String(defaultOf("instanceVmSize")), validate: validatorFor("instanceVmSize", answers) })
    ).trim();
  }
  if (!has("batchEndpoints")) {
    answers.batchEndpoints = await prompt.confirm({
      message: "Add queue and table private endpoints on storage (needed for batch endpoints and ParallelRunStep)?",
      default: false,
    });
  }

  // --- everything else from the defaults, then the whole configuration checked once more -------
  for (const spec of FIELDS) {
    if (answers[spec.key] === undefined) {
      const value = spec.derive?.(answers);
      if (value !== undefined) (answers as Record<string, unknown>)[spec.key] = value;
    }
  }
  const problems = validateConfig(answers, secrets, { requirePassword: answers.jumpbox !== false });
  if (problems.length > 0) throw new InputError(problems);
  const config = answers as DeploymentConfig;

  // --- plan and confirmation ----------------------------------------------------------------
  say();
  if (deps.plan) {
    say("Checking what already exists (read-only)…");
    const { planned, estimate } = await deps.plan(config, secrets);
    say();
    deps.output.write(renderPlan(planned, estimate));
  } else {
    say(`Deployment "${config.workspace}" in ${config.resourceGroup} (${config.location}), VNet ${config.vnetAddressSpace}.`);
  }
  say();
  const confirmed = await prompt.confirm({ message: "Create these resources now?", default: true });

  // --- save the answers ---------------------------------------------------------------------
  let savedTo: string | undefined;
  if (deps.saveConfig) {
    const save = await prompt.confirm({ message: "Save these answers to a config file for the next run (no password is saved)?", default: true });
    if (save) {
      const path = (await prompt.input({ message: "Config file", default: deps.defaultConfigPath ?? "secure-aml.json", validate: (v) => (v.trim() ? true : "a file name is needed") })).trim();
      await deps.saveConfig(path, config);
      savedTo = path;
      say(`Saved. Replay without questions: ${deps.replayCommand ? deps.replayCommand(path) : `secure-aml init --config ${path} --yes`}`);
      if (config.jumpbox) say("(set SECURE_AML_JUMPBOX_PASSWORD for the jump box password when you do)");
    }
  }
  return { config, secrets, confirmed, savedTo };
}
