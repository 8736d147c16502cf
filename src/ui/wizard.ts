// The interactive wizard of `secure-aml init`, the short path: at most five questions (subscription,
// region, name prefix, the jump-box password, and whether to keep the tutorial's settings), everything
// else derived from them, then a review that shows every value, the plan's size and the estimated cost,
// and lets the person change any value (names, ranges, sizes, features) and come back, then confirm.
// Every answer is validated as it is given (rules from src/config/fields.ts). Azure is reached only
// through the injected deps, so the wizard never imports @azure/* and runs in tests with a scripted
// prompt backend. Ctrl-C rejects with SecureAmlError INTERRUPTED (exit 130).

import ipaddr from "ipaddr.js";
import { DEFAULT_PREFIX, FIELDS, checkFieldValue, type FieldSpec } from "../config/fields.js";
import { checkWindowsPassword, DOCKER_BRIDGE_RANGE, PASSWORD_RULE } from "../config/rules.js";
import { validateConfig } from "../config/validate.js";
import type { DeploymentConfig, Secrets } from "../config/types.js";
import type { PlannedResource } from "../engine/types.js";
import { InputError, SecureAmlError } from "../errors.js";
import { renderCost, type CostEstimate } from "../pricing/estimate.js";
import { formatEstimate, plural } from "./format.js";
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

/** A soft-deleted key vault that holds a name. */
export interface DeletedKeyVault {
  name: string;
  location: string;
  /** When it was deleted (ISO), if Azure says. */
  deletionDate?: string;
  purgeProtection?: boolean;
  /** True only when the state file proves this deployment created it (its id is among the created ids). */
  owned: boolean;
}

export interface WizardDeps {
  prompt: PromptBackend;
  /** Where explanations are written (stderr). */
  output: NodeJS.WritableStream;
  /** Signs in (DefaultAzureCredential) and says as whom; rejects with a clear message when no credential is found. */
  signIn?(): Promise<{ account?: string }>;
  /** `isDefault`: the az CLI's current subscription (~/.azure/azureProfile.json), proposed first. */
  listSubscriptions(): Promise<Array<{ id: string; name: string; isDefault?: boolean }>>;
  listLocations(subscriptionId: string): Promise<Array<{ name: string; displayName: string }>>;
  listResourceGroups(subscriptionId: string): Promise<Array<{ name: string; location: string }>>;
  /** Asks the provider; `subscriptionId` is the one chosen so far (checkNameAvailability is a subscription-level call). */
  checkName(kind: GlobalNameKind, name: string, subscriptionId?: string): Promise<NameAvailability>;
  /** The soft-deleted key vault holding `name` in the subscription, if any (and whether this deployment owns it). */
  findDeletedKeyVault?(subscriptionId: string, name: string): Promise<DeletedKeyVault | undefined>;
  /** Values already given by flags, variables or a config file: used as they are, not asked. */
  given?: Partial<DeploymentConfig>;
  givenSecrets?: Secrets;
  /** The plan and its cost for the review (read-only calls). Without it, the review shows the values only. */
  plan?(config: DeploymentConfig, secrets: Secrets): Promise<{ planned: PlannedResource[]; estimate?: PlanEstimate; cost?: CostEstimate }>;
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
  /** False when the person cancelled in the review: nothing must be created. */
  confirmed: boolean;
  /** Where the answers were saved, when they were. */
  savedTo?: string;
  /** How the jump-box password was had: typed in the wizard, or given (the environment). */
  passwordSource?: "prompt" | "given";
}

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

/** What each value is called on screen (the review and the edit menu). */
export const FIELD_LABELS: Readonly<Record<keyof DeploymentConfig, string>> = {
  cloud: "Cloud",
  subscriptionId: "Subscription",
  location: "Region",
  prefix: "Name prefix",
  resourceGroup: "Resource group",
  vnetName: "Virtual network",
  vnetAddressSpace: "VNet address space",
  trainingSubnet: "Training subnet",
  scoringSubnet: "Scoring subnet",
  bastionSubnet: "AzureBastionSubnet",
  storageAccount: "Storage account (global)",
  keyVault: "Key vault (global)",
  registry: "Container registry (global)",
  workspace: "ML workspace",
  logAnalyticsWorkspace: "Log Analytics",
  appInsights: "Application Insights",
  privateLinkScope: "Monitor private link scope",
  bastionName: "Bastion",
  bastionPublicIp: "Bastion public IP",
  bastion: "Create Azure Bastion",
  jumpbox: "Create the jump box",
  jumpboxName: "Jump box VM",
  jumpboxAdmin: "Jump box administrator",
  jumpboxSize: "Jump box VM size",
  jumpboxShutdownTime: "Jump box daily shutdown (HHmm)",
  jumpboxShutdownTimeZone: "Shutdown time zone",
  computeCluster: "Compute cluster",
  clusterVmSize: "Cluster node size",
  clusterMinNodes: "Cluster minimum nodes",
  clusterMaxNodes: "Cluster maximum nodes",
  computeInstance: "Compute instance",
  instanceVmSize: "Compute instance size",
  batchEndpoints: "Queue and table private endpoints (batch endpoints)",
  trainingNsg: "NSG on the Training subnet",
  keyVaultSoftDeleted: "If a soft-deleted vault holds the key vault name",
  retryTimeout: "Retry budget per step (seconds)",
  deploymentId: "Deployment id (set by the first init; not a setting)",
  databricks: "Azure Databricks subnets in the VNet",
  databricksWorkspace: "Azure Databricks workspace (empty: none)",
  databricksManagedResourceGroup: "Databricks managed resource group",
  defaultSubnet: "default subnet (required by Databricks)",
  databricksPublicSubnet: "databricks-public subnet",
  databricksPrivateSubnet: "databricks-private subnet",
  restrictOutbound: "Restrict Training's outbound to the service tags training needs",
  outbound: "Outbound internet for the compute (default or nat-gateway)",
  jumpboxSecurityType: "Jump box security type",
  windowsClientLicense: "Windows client licence attestation (multitenant hosting rights)",
  computeInstanceUser: "Compute instance owner (object id; default: you)",
  computeInstanceIdleShutdown: "Compute instance idle shutdown (minutes, 0 = off)",
  attachedVm: "Attached Ubuntu VM for training (empty: none)",
  attachedVmSshKeyPath: "SSH private key file for the attached compute",
  attachedVmAdmin: "Attached VM SSH user",
  attachedVmSize: "Attached VM size",
  attachCompute: "Existing VM / HDInsight cluster to attach (resource id)",
};

/** The review's sections, in the tutorial's order; every field appears in exactly one. */
const REVIEW_SECTIONS: ReadonlyArray<{ title: string; keys: ReadonlyArray<keyof DeploymentConfig> }> = [
  { title: "Where", keys: ["subscriptionId", "location", "prefix", "resourceGroup"] },
  { title: "Network", keys: ["vnetName", "vnetAddressSpace", "trainingSubnet", "scoringSubnet", "bastionSubnet"] },
  { title: "Names", keys: ["storageAccount", "keyVault", "registry", "workspace", "logAnalyticsWorkspace", "appInsights", "privateLinkScope"] },
  {
    title: "Remote access",
    keys: [
      "bastion",
      "bastionName",
      "bastionPublicIp",
      "jumpbox",
      "jumpboxName",
      "jumpboxAdmin",
      "jumpboxSize",
      "jumpboxSecurityType",
      "windowsClientLicense",
      "jumpboxShutdownTime",
      "jumpboxShutdownTimeZone",
    ],
  },
  {
    title: "Compute",
    keys: [
      "computeCluster",
      "clusterVmSize",
      "clusterMinNodes",
      "clusterMaxNodes",
      "computeInstance",
      "instanceVmSize",
      "computeInstanceUser",
      "computeInstanceIdleShutdown",
      "outbound",
    ],
  },
  {
    title: "Training page",
    keys: [
      "restrictOutbound",
      "databricks",
      "databricksWorkspace",
      "databricksManagedResourceGroup",
      "defaultSubnet",
      "databricksPublicSubnet",
      "databricksPrivateSubnet",
      "attachedVm",
      "attachCompute",
      "attachedVmSshKeyPath",
      "attachedVmAdmin",
      "attachedVmSize",
    ],
  },
  { title: "Features", keys: ["batchEndpoints", "trainingNsg", "keyVaultSoftDeleted", "cloud", "retryTimeout"] },
];

const PASSWORD_KEY = ":password";
const DONE_KEY = ":back";
const CREATE = "create";
const CREATE_AND_SAVE = "create-save";
const EDIT = "edit";
const CANCEL = "cancel";

function isGlobal(key: keyof DeploymentConfig): key is GlobalNameKind {
  return (GLOBAL_NAME_KINDS as readonly string[]).includes(key);
}

function shownValue(value: unknown): string {
  if (value === true) return "yes";
  if (value === false) return "no";
  return value === undefined ? "—" : String(value);
}

/** The values whose defaults follow from others (names from the prefix, subnets from the address space). */
function rederive(answers: Partial<DeploymentConfig>, fixed: ReadonlySet<keyof DeploymentConfig>): void {
  const record = answers as Record<string, unknown>;
  for (const spec of FIELDS) if (!fixed.has(spec.key) && spec.derive) delete record[spec.key];
  // Subnets follow the address space the person chose.
  const subnets = subnetDefaults(answers.vnetAddressSpace);
  if (!fixed.has("trainingSubnet")) answers.trainingSubnet = subnets.training;
  if (!fixed.has("scoringSubnet")) answers.scoringSubnet = subnets.scoring;
  if (!fixed.has("bastionSubnet")) answers.bastionSubnet = subnets.bastion;
  for (let pass = 0; pass < 4; pass++) {
    for (const spec of FIELDS) {
      if (record[spec.key] !== undefined || !spec.derive) continue;
      const value = spec.derive(answers);
      if (value !== undefined) record[spec.key] = value;
    }
  }
  if (!fixed.has("clusterMaxNodes") && answers.clusterMinNodes !== undefined && answers.clusterMaxNodes !== undefined && answers.clusterMaxNodes < answers.clusterMinNodes) {
    answers.clusterMaxNodes = Math.max(answers.clusterMinNodes, 1);
  }
}

export async function runWizard(deps: WizardDeps): Promise<WizardResult> {
  const given = deps.given ?? {};
  const answers: Partial<DeploymentConfig> = { ...given };
  const secrets: Secrets = { ...deps.givenSecrets };
  let passwordSource: WizardResult["passwordSource"] = secrets.jumpboxPassword !== undefined ? "given" : undefined;
  // Values the person chose (given, answered or edited): never re-derived behind their back.
  const fixed = new Set<keyof DeploymentConfig>(Object.keys(given) as Array<keyof DeploymentConfig>);
  const { prompt } = deps;
  const say = (text = "") => {
    deps.output.write(text + "\n");
  };
  answers.cloud ??= "AzureCloud";

  say("secure-aml builds the network-isolated Azure Machine Learning workspace of Microsoft's tutorial.");
  say("A few questions, then a review of everything (names, ranges, sizes, cost) where any value can be changed.");
  say("Press Enter to keep a proposed answer. Ctrl-C stops without creating anything.");
  say();

  if (deps.signIn) {
    const who = await deps.signIn();
    say(who.account ? `Signed in as ${who.account}.` : "Signed in.");
  }

  let subscriptions: Array<{ id: string; name: string; isDefault?: boolean }> | undefined;
  const chooseSubscription = async (current?: string): Promise<string> => {
    subscriptions ??= await deps.listSubscriptions();
    if (subscriptions.length === 0) {
      throw new SecureAmlError(
        "NO_SUBSCRIPTION",
        "The signed-in account sees no Azure subscription. Sign in with an account that has one (`az login`), or pass --subscription.",
        2,
        "az login   (then re-run secure-aml init)",
      );
    }
    return prompt.select({
      message: "Subscription",
      choices: subscriptions.map((s) => ({ value: s.id, name: `${s.name} (${s.id})${s.isDefault ? " — the az CLI's current one" : ""}` })),
      default: current ?? (subscriptions.find((s) => s.isDefault) ?? subscriptions[0])?.id,
    });
  };
  const chooseRegion = async (current?: string): Promise<string> => {
    const offered = await deps.listLocations(answers.subscriptionId ?? "");
    const withAml = offered.filter((l) => checkFieldValue(field("location"), l.name, answers).length === 0);
    const choices = (withAml.length > 0 ? withAml : offered).slice().sort((a, b) => a.displayName.localeCompare(b.displayName));
    if (choices.length === 0) throw new SecureAmlError("NO_REGION", "The subscription offers no region; pass --location.", 2);
    const preferred = [current, "eastus"].find((l) => l && choices.some((c) => c.name === l));
    return prompt.select({
      message: "Region (only regions that offer Azure Machine Learning)",
      choices: choices.map((c) => ({ value: c.name, name: `${c.displayName} (${c.name})` })),
      default: preferred ?? choices[0]?.name,
    });
  };
  const askPassword = async (): Promise<void> => {
    say(`The jump box password is never saved or printed. Azure requires ${PASSWORD_RULE}.`);
    secrets.jumpboxPassword = await prompt.password({ message: "Jump box administrator password", validate: promptValidator(checkWindowsPassword) });
    passwordSource = "prompt";
  };

  // --- the five questions -------------------------------------------------------------------
  if (answers.subscriptionId === undefined) {
    answers.subscriptionId = await chooseSubscription();
    fixed.add("subscriptionId");
  }
  if (answers.location === undefined) {
    answers.location = await chooseRegion();
    fixed.add("location");
  }
  if (answers.prefix === undefined) {
    answers.prefix = (
      await prompt.input({ message: "Name prefix (every resource name is made from it)", default: DEFAULT_PREFIX, validate: validatorFor("prefix", answers) })
    ).trim();
    fixed.add("prefix");
  }
  if (answers.jumpbox !== false && secrets.jumpboxPassword === undefined) await askPassword();
  let editFirst = false;
  const optionKeys: ReadonlyArray<keyof DeploymentConfig> = [
    "vnetAddressSpace",
    "jumpbox",
    "bastion",
    "jumpboxSize",
    "clusterVmSize",
    "instanceVmSize",
    "clusterMaxNodes",
    "batchEndpoints",
  ];
  if (optionKeys.some((k) => !fixed.has(k))) {
    editFirst = !(await prompt.confirm({
      message: `Use the tutorial's settings for the rest (VNet 172.16.0.0/16, jump box and Bastion on, ${String(field("clusterVmSize").derive?.({}))} compute)? You can still change any value in the review`,
      default: true,
    }));
  }
  rederive(answers, fixed);

  // --- global names: taken ones replaced by a free suggestion, a soft-deleted vault handled --------
  const availabilityCheck =
    (key: GlobalNameKind) =>
    async (raw: string): Promise<string | true> => {
      const value = raw.trim();
      const ruled = validatorFor(key, answers)(value);
      if (ruled !== true) return ruled;
      if (key === "keyVault" && deps.findDeletedKeyVault && answers.subscriptionId) {
        const deleted = await deps.findDeletedKeyVault(answers.subscriptionId, value).catch(() => undefined);
        if (deleted && !deleted.owned) return `"${value}" is held by a soft-deleted key vault that this deployment did not create; choose another name`;
        if (deleted) return true; // handled right after: recover or purge
      }
      let verdict: NameAvailability;
      try {
        verdict = await deps.checkName(key, value, answers.subscriptionId);
      } catch {
        return true; // The check is a courtesy; the deployment reports a taken name precisely anyway.
      }
      if (verdict.available) return true;
      return `"${value}" is not available${verdict.reason ? ` (${verdict.reason})` : ""}${verdict.suggestion ? `; "${verdict.suggestion}" is free` : ""}`;
    };

  const settleSoftDeletedVault = async (): Promise<void> => {
    if (!deps.findDeletedKeyVault || !answers.subscriptionId || !answers.keyVault) return;
    const deleted = await deps.findDeletedKeyVault(answers.subscriptionId, answers.keyVault).catch(() => undefined);
    if (!deleted) return;
    const when = deleted.deletionDate ? ` on ${deleted.deletionDate.slice(0, 10)}` : "";
    if (!deleted.owned) {
      say(`The key vault name "${deleted.name}" is held by a soft-deleted vault${when} that this deployment did not create; choose another name.`);
      answers.keyVault = (await prompt.input({ message: `${FIELD_LABELS.keyVault} name`, validate: availabilityCheck("keyVault") })).trim();
      fixed.add("keyVault");
      return settleSoftDeletedVault();
    }
    say(`The key vault "${deleted.name}" of this deployment was deleted${when} and is soft-deleted in ${deleted.location}; Azure keeps its name until it is purged.`);
    const choice = await prompt.select({
      message: "Soft-deleted key vault",
      choices: [
        { value: "recover", name: "Recover it (its secrets come back)" },
        ...(deleted.purgeProtection ? [] : [{ value: "purge", name: "Purge it for good and create a new one" }]),
        { value: "rename", name: "Use another name" },
      ],
      default: "recover",
    });
    if (choice === "rename") {
      answers.keyVault = (await prompt.input({ message: `${FIELD_LABELS.keyVault} name`, validate: availabilityCheck("keyVault") })).trim();
      fixed.add("keyVault");
      return settleSoftDeletedVault();
    }
    answers.keyVaultSoftDeleted = choice === "purge" ? "purge" : "recover";
    fixed.add("keyVaultSoftDeleted");
  };

  const replaceTakenNames = async (): Promise<void> => {
    for (const key of GLOBAL_NAME_KINDS) {
      const value = answers[key];
      if (typeof value !== "string" || fixed.has(key)) continue;
      if (key === "keyVault" && deps.findDeletedKeyVault && answers.subscriptionId) {
        const deleted = await deps.findDeletedKeyVault(answers.subscriptionId, value).catch(() => undefined);
        if (deleted) continue; // settleSoftDeletedVault decides
      }
      let verdict: NameAvailability;
      try {
        verdict = await deps.checkName(key, value, answers.subscriptionId);
      } catch {
        continue; // Unknown availability is not a reason to stop the wizard.
      }
      if (verdict.available) continue;
      if (verdict.suggestion) {
        say(`The ${FIELD_LABELS[key]} name "${value}" is taken${verdict.reason ? ` (${verdict.reason})` : ""}; proposing "${verdict.suggestion}" instead.`);
        answers[key] = verdict.suggestion;
      } else {
        say(`The ${FIELD_LABELS[key]} name "${value}" is taken${verdict.reason ? ` (${verdict.reason})` : ""}.`);
        answers[key] = (await prompt.input({ message: `${FIELD_LABELS[key]} name`, validate: availabilityCheck(key) })).trim();
      }
      fixed.add(key);
    }
    await settleSoftDeletedVault();
  };
  await replaceTakenNames();

  // --- editing one value ---------------------------------------------------------------------
  const editValue = async (key: keyof DeploymentConfig): Promise<void> => {
    const spec = field(key);
    const current = answers[key];
    const label = FIELD_LABELS[key];
    let value: unknown;
    if (key === "subscriptionId") value = await chooseSubscription(answers.subscriptionId);
    else if (key === "location") value = await chooseRegion(answers.location);
    else if (spec.type === "boolean") value = await prompt.confirm({ message: `${label}?`, default: current === true });
    else if (spec.type === "enum") {
      value = await prompt.select({
        message: label,
        choices: (spec.choices ?? []).map((c) => ({ value: c, name: c })),
        default: typeof current === "string" ? current : undefined,
      });
    } else if (spec.type === "number") {
      value = Number((await prompt.input({ message: label, default: shownValue(current), validate: validatorFor(key, answers, parseWholeNumber) })).trim());
    } else {
      if (key === "vnetAddressSpace") {
        say(`Avoid ${DOCKER_BRIDGE_RANGE}: Docker uses it inside every compute node. Also avoid ranges your own network uses if you will connect it.`);
      }
      const validate = isGlobal(key) ? availabilityCheck(key) : validatorFor(key, answers);
      value = (await prompt.input({ message: label, default: typeof current === "string" ? current : undefined, validate })).trim();
    }
    (answers as Record<string, unknown>)[key] = value;
    fixed.add(key);
    // A new prefix, subscription or resource group changes the names made from them (unless chosen).
    rederive(answers, fixed);
    if (["prefix", "subscriptionId", "resourceGroup", "keyVault", "storageAccount", "registry"].includes(key)) await replaceTakenNames();
    if (key === "jumpbox" && value === true && secrets.jumpboxPassword === undefined) await askPassword();
  };

  const editMenu = async (): Promise<void> => {
    for (;;) {
      const choices: Array<{ value: string; name: string; description?: string }> = [];
      for (const section of REVIEW_SECTIONS) {
        for (const key of section.keys) {
          if (answers.jumpbox === false && key.startsWith("jumpbox") && key !== "jumpbox") continue;
          if (answers.bastion === false && (key === "bastionName" || key === "bastionPublicIp")) continue;
          if (answers.databricks !== true && key.startsWith("databricks") && key !== "databricks") continue;
          if (answers.databricks !== true && key === "defaultSubnet") continue;
          // The label first: typing its start jumps to it (inquirer's select searches by prefix).
          choices.push({ value: key, name: `${FIELD_LABELS[key]}: ${shownValue(answers[key])}`, description: section.title });
        }
      }
      if (answers.jumpbox !== false)
        choices.push({ value: PASSWORD_KEY, name: `Jump box password: ${secrets.jumpboxPassword ? "set (hidden)" : "not set"}`, description: "Remote access" });
      choices.unshift({ value: DONE_KEY, name: "← Back to the review" });
      const key = await prompt.select({ message: "Change which value? (type its first letters to jump to it)", choices, default: DONE_KEY });
      if (key === DONE_KEY) return;
      if (key === PASSWORD_KEY) await askPassword();
      else await editValue(key as keyof DeploymentConfig);
    }
  };

  // --- the review ----------------------------------------------------------------------------
  const review = async (): Promise<string[]> => {
    const problems = validateConfig(answers, secrets, { requirePassword: answers.jumpbox !== false });
    // Whether the resource group exists (and where): reusing one is fine, but says so.
    const groups = await deps.listResourceGroups(answers.subscriptionId ?? "").catch(() => []);
    say();
    say("Review (nothing has been created yet):");
    for (const section of REVIEW_SECTIONS) {
      say(`  ${section.title}`);
      for (const key of section.keys) {
        if (answers.jumpbox === false && key.startsWith("jumpbox") && key !== "jumpbox") continue;
        if (answers.bastion === false && (key === "bastionName" || key === "bastionPublicIp")) continue;
        if (answers.databricks !== true && (key === "defaultSubnet" || (key.startsWith("databricks") && key !== "databricks"))) continue;
        let note = "";
        if (key === "subscriptionId") note = subscriptions?.find((s) => s.id === answers.subscriptionId)?.name ?? "";
        if (key === "resourceGroup") {
          const existing = groups.find((g) => g.name.toLowerCase() === answers.resourceGroup?.toLowerCase());
          note = existing ? `exists, in ${existing.location}` : "new";
        }
        say(`    ${FIELD_LABELS[key].padEnd(50)} ${shownValue(answers[key])}${note ? `  (${note})` : ""}`);
      }
      if (section.title === "Remote access" && answers.jumpbox !== false) {
        say(
          `    ${"Jump box password".padEnd(50)} ${secrets.jumpboxPassword === undefined ? "not set" : passwordSource === "given" ? "from SECURE_AML_JUMPBOX_PASSWORD" : "typed (hidden, never saved)"}`,
        );
      }
    }
    for (const p of problems) say(`  ! ${FIELD_LABELS[p.field as keyof DeploymentConfig] ?? p.field}: ${p.rule}`);
    if (problems.length === 0 && deps.plan) {
      say();
      say("Checking what already exists (read-only)…");
      const { planned, estimate, cost } = await deps.plan(answers as DeploymentConfig, secrets);
      const creates = planned.filter((p) => p.action === "create").length;
      const updates = planned.filter((p) => p.action === "update").length;
      say(
        `Plan: ${plural(creates, "resource")} to create, ${updates} to update, ${planned.length - creates - updates} already as wanted` +
          (estimate && creates + updates > 0 ? `; ${formatEstimate(estimate.criticalPathSeconds)} on Azure.` : "."),
      );
      if (cost) deps.output.write(renderCost(cost));
    }
    say();
    return problems.map((p) => `${p.field}: ${p.rule}`);
  };

  if (editFirst) await editMenu();
  let decision: string;
  for (;;) {
    const problems = await review();
    const choices = [
      ...(problems.length === 0 ? [{ value: CREATE, name: "Create it" }] : []),
      ...(problems.length === 0 && deps.saveConfig
        ? [{ value: CREATE_AND_SAVE, name: `Create it, and save these answers to ${deps.defaultConfigPath ?? "secure-aml.json"} (no password)` }]
        : []),
      { value: EDIT, name: "Change a value" },
      { value: CANCEL, name: "Cancel (nothing is created)" },
    ];
    decision = await prompt.select({ message: "Create these resources now?", choices, default: problems.length === 0 ? CREATE : EDIT });
    if (decision === EDIT) {
      await editMenu();
      continue;
    }
    break;
  }
  if (decision === CANCEL) return { config: answers as DeploymentConfig, secrets, confirmed: false, passwordSource };

  const problems = validateConfig(answers, secrets, { requirePassword: answers.jumpbox !== false });
  if (problems.length > 0) throw new InputError(problems);
  const config = answers as DeploymentConfig;

  let savedTo: string | undefined;
  if (decision === CREATE_AND_SAVE && deps.saveConfig) {
    const path = deps.defaultConfigPath ?? "secure-aml.json";
    await deps.saveConfig(path, config);
    savedTo = path;
    say(`Saved. Replay without questions: ${deps.replayCommand ? deps.replayCommand(path) : `secure-aml init --config ${path} --yes`}`);
    if (config.jumpbox) say("(set SECURE_AML_JUMPBOX_PASSWORD for the jump box password when you do)");
  }
  return { config, secrets, confirmed: true, savedTo, passwordSource };
}

// ---------------------------------------------------------------------------------------------
// Resuming a deployment the state file records

export interface SavedDeployment {
  config: Partial<DeploymentConfig>;
  stepsDone: number;
  stepsTotal: number;
  /** When the state was last written (ISO). */
  updatedAt: string;
  /** Set when `destroy` removed it. */
  destroyedAt?: string;
  statePath: string;
}

export type ResumeChoice = "resume" | "new" | "cancel";

function ago(iso: string, now: number): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 0) return iso;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 90) return `${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hours ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** What the state file records, in one paragraph: the first screen of `init` when there is one. */
export function describeSavedDeployment(saved: SavedDeployment, now = Date.now()): string {
  const c = saved.config;
  const status = saved.destroyedAt
    ? `destroyed ${ago(saved.destroyedAt, now)}`
    : saved.stepsDone >= saved.stepsTotal
      ? `complete (${saved.stepsDone}/${saved.stepsTotal} steps done)`
      : `${saved.stepsDone}/${saved.stepsTotal} steps done`;
  return [
    `Found a deployment in ${saved.statePath}:`,
    `  workspace "${shownValue(c.workspace)}" in resource group ${shownValue(c.resourceGroup)} (${shownValue(c.location)})`,
    `  subscription ${shownValue(c.subscriptionId)}`,
    `  ${status}; last run ${ago(saved.updatedAt, now)} (${saved.updatedAt})`,
  ].join("\n");
}

/**
 * The first screen of `init` when a state file records a deployment: what it found, and the choice to
 * resume it with its saved answers (default), start a different deployment, or stop. The password is
 * asked again (it is never saved) unless given.
 */
export async function offerResume(
  deps: { prompt: PromptBackend; output: NodeJS.WritableStream; now?: () => number },
  saved: SavedDeployment,
  options: { needsPassword: boolean },
): Promise<{ choice: ResumeChoice; secrets: Secrets }> {
  deps.output.write(describeSavedDeployment(saved, deps.now?.() ?? Date.now()) + "\n\n");
  const finished = !saved.destroyedAt && saved.stepsDone >= saved.stepsTotal;
  const choice = (await deps.prompt.select({
    message: "What now?",
    choices: [
      {
        value: "resume",
        name: saved.destroyedAt ? "Build it again with the same answers" : finished ? "Check it and repair what drifted (same answers)" : "Resume it with the saved answers",
      },
      { value: "new", name: "Start a different deployment (with its own state file)" },
      { value: "cancel", name: "Stop here" },
    ],
    default: "resume",
  })) as ResumeChoice;
  const secrets: Secrets = {};
  if (choice === "resume" && options.needsPassword) {
    deps.output.write("The jump box password is not kept between runs; type it again (or set SECURE_AML_JUMPBOX_PASSWORD).\n");
    secrets.jumpboxPassword = await deps.prompt.password({ message: "Jump box administrator password", validate: promptValidator(checkWindowsPassword) });
  }
  return { choice, secrets };
}
