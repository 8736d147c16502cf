// The single source of truth for every DeploymentConfig field: its flag, SECURE_AML_* variable,
// config-file key (= the field key), type, default and rules. The CLI generates init/plan options
// from this table, the config-file schema is built from it, and the wizard asks its questions from it.
// Keep this module light: the CLI imports it to print --help (no ajv, no SDKs here).
import { createRequire } from "node:module";
import type { DeploymentConfig } from "./types.js";
import { isKnownRegion } from "./regions.js";
import {
  checkAdminUsername,
  checkInteger,
  checkName,
  checkObjectId,
  checkShutdownTime,
  checkSubnet,
  checkSubscriptionId,
  checkVmSize,
  checkVnetAddressSpace,
  checkWindowsTimeZone,
  type NameKind,
} from "./rules.js";
import { checkSshPrivateKeyFile } from "./ssh-key.js";
import { checkAttachComputeId, checkAttachedVmName } from "./attach-rules.js";

export type FieldGroup = "basics" | "network" | "names" | "jumpbox" | "compute" | "options";

export interface FieldSpec {
  key: keyof DeploymentConfig;
  /** The flag that changes the default, e.g. "--vnet-address-space"; booleans that default to true use "--no-x". */
  flag: string;
  /** The SECURE_AML_* variable ("true"/"false" for booleans). */
  env: string;
  /** Other variables read after `env` (subscription: AZURE_SUBSCRIPTION_ID). */
  envAliases?: readonly string[];
  description: string;
  type: "string" | "number" | "boolean" | "enum";
  choices?: readonly string[];
  /** No default: must be supplied (flag, variable, file or prompt). */
  required: boolean;
  group: FieldGroup;
  /** The default, possibly computed from other values (usually the prefix); undefined when its inputs are unknown. */
  derive?: (c: Partial<DeploymentConfig>) => string | number | boolean | undefined;
  /** Rule messages for this value (may look at other values); empty when valid. */
  validate?: (value: unknown, all: Partial<DeploymentConfig>) => string[];
  /** Placeholder shown in --help, e.g. "<cidr>". */
  valueName?: string;
  /** May stay without a value: none means its feature is off (e.g. --databricks-workspace). */
  optional?: boolean;
}

export const DEFAULT_PREFIX = "secureaml";

/**
 * How long one step retries transient Azure failures by default. Azure's own conflicts last minutes:
 * a private endpoint holds its VNet and target for one to two minutes, six of them queue on one VNet,
 * and a new identity takes a minute or more to replicate to Microsoft Entra (PrincipalNotFound).
 */
export const DEFAULT_RETRY_TIMEOUT_SECONDS = 900;
const MAX_RETRY_TIMEOUT_SECONDS = 24 * 60 * 60;

/**
 * A short deterministic suffix for globally unique names (storage account, key vault, registry,
 * compute instance): 5 base-36 characters of SHA-256("subscription/resource group", lowercased).
 * The same subscription and resource group always give the same names, so a rerun finds what it
 * created, while two people (or two resource groups) using the default prefix do not collide.
 */
export function globalNameSuffix(subscriptionId: string, resourceGroup: string): string {
  // node:crypto is loaded on first use, not at start-up (--help needs only the table's text).
  const { createHash } = createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  const digest = createHash("sha256").update(`${subscriptionId.toLowerCase()}/${resourceGroup.toLowerCase()}`).digest();
  return digest.readBigUInt64BE(0).toString(36).padStart(5, "0").slice(-5);
}

const SUBNET_DEFAULT_NAME = "default";
/** Azure Databricks VNet injection: each subnet /26 or larger (Microsoft's "Deploy Azure Databricks in your Azure virtual network"). */
export const DATABRICKS_MAX_PREFIX_LENGTH = 26;
const DATABRICKS_MINIMUM_WHY = "Azure Databricks VNet injection needs at least a /26 per subnet";

/** The tutorial's subnets, checked before the Databricks ones. */
function tutorialSubnets(all: Partial<DeploymentConfig>): Array<{ name: string; value: unknown }> {
  return [
    { name: "Training", value: all.trainingSubnet },
    { name: "Scoring", value: all.scoringSubnet },
    { name: "AzureBastionSubnet", value: all.bastionSubnet },
  ];
}

function fromPrefix(make: (prefix: string) => string): (c: Partial<DeploymentConfig>) => string | undefined {
  return (c) => (c.prefix ? make(c.prefix) : undefined);
}

function withSuffix(make: (prefix: string, suffix: string) => string): (c: Partial<DeploymentConfig>) => string | undefined {
  return (c) => (c.prefix && c.subscriptionId && c.resourceGroup ? make(c.prefix, globalNameSuffix(c.subscriptionId, c.resourceGroup)) : undefined);
}

const name = (kind: NameKind) => (value: unknown) => checkName(kind, value);

/** "--vnet-address-space" → "SECURE_AML_VNET_ADDRESS_SPACE"; "--no-jumpbox" → "SECURE_AML_JUMPBOX". */
function envFor(flag: string): string {
  return (
    "SECURE_AML_" +
    flag
      .replace(/^--(no-)?/, "")
      .replace(/-/g, "_")
      .toUpperCase()
  );
}

type Spec = Omit<FieldSpec, "env" | "required"> & { env?: string; required?: boolean };
/** A field whose variable follows from its flag; optional unless it says otherwise. */
const spec = (s: Spec): FieldSpec => ({ ...s, env: s.env ?? envFor(s.flag), required: s.required ?? false });

/** A resource name: text, "<name>" in --help, checked by the naming rules of `kind`. */
function nameField({ kind, ...s }: Omit<Spec, "type" | "valueName" | "validate"> & { kind: NameKind }): FieldSpec {
  return spec({ ...s, type: "string", valueName: "<name>", validate: name(kind) });
}

/** An on/off switch with its usual value. */
function switchField({ byDefault, ...s }: Omit<Spec, "type" | "derive"> & { byDefault: boolean }): FieldSpec {
  return spec({ ...s, type: "boolean", derive: () => byDefault });
}

/** A VM size: text, "<size>" in --help. */
function vmSizeField(s: Omit<Spec, "type" | "valueName" | "validate">): FieldSpec {
  return spec({ ...s, type: "string", valueName: "<size>", validate: (v) => checkVmSize(v) });
}

export const FIELDS: readonly FieldSpec[] = [
  // --- basics -------------------------------------------------------------------------------
  spec({
    key: "subscriptionId",
    flag: "--subscription",
    envAliases: ["AZURE_SUBSCRIPTION_ID"],
    description: "Azure subscription id (GUID) to deploy into",
    type: "string",
    required: true,
    group: "basics",
    valueName: "<id>",
    validate: (v) => checkSubscriptionId(v),
  }),
  spec({
    key: "prefix",
    flag: "--prefix",
    description: `short prefix every derived name starts from (default "${DEFAULT_PREFIX}")`,
    type: "string",
    group: "basics",
    valueName: "<prefix>",
    derive: () => DEFAULT_PREFIX,
    validate: name("prefix"),
  }),
  nameField({
    key: "resourceGroup",
    flag: "--resource-group",
    description: "resource group to create or reuse (default <prefix>-rg)",
    group: "basics",
    derive: fromPrefix((p) => `${p}-rg`),
    kind: "resourceGroup",
  }),
  spec({
    key: "location",
    flag: "--location",
    description: "Azure region, e.g. eastus (must offer Azure Machine Learning)",
    type: "string",
    required: true,
    group: "basics",
    valueName: "<region>",
    validate: (v, all) =>
      typeof v === "string" && isKnownRegion(v, all.cloud ?? "AzureCloud")
        ? []
        : [`unknown region for ${all.cloud ?? "AzureCloud"}; use a programmatic name such as eastus or westeurope (\`az account list-locations -o table\`)`],
  }),
  spec({
    key: "cloud",
    flag: "--cloud",
    description: "Azure cloud",
    type: "enum",
    choices: ["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"],
    group: "basics",
    valueName: "<cloud>",
    derive: () => "AzureCloud",
  }),

  // --- network ------------------------------------------------------------------------------
  nameField({
    key: "vnetName",
    flag: "--vnet-name",
    description: "virtual network name (default <prefix>-vnet)",
    group: "network",
    derive: fromPrefix((p) => `${p}-vnet`),
    kind: "virtualNetwork",
  }),
  spec({
    key: "vnetAddressSpace",
    flag: "--vnet-address-space",
    description: "VNet address space (never 172.17.0.0/16, the Docker bridge range)",
    type: "string",
    group: "network",
    valueName: "<cidr>",
    derive: () => "172.16.0.0/16",
    validate: (v) => checkVnetAddressSpace(v),
  }),
  spec({
    key: "trainingSubnet",
    flag: "--training-subnet",
    description: "Training subnet: workspace, its services' private endpoints, compute, jump box",
    type: "string",
    group: "network",
    valueName: "<cidr>",
    derive: () => "172.16.0.0/24",
    validate: (v, all) => checkSubnet(v, { name: "Training", maxPrefixLength: 29, vnetAddressSpace: all.vnetAddressSpace, earlier: [] }),
  }),
  spec({
    key: "scoringSubnet",
    flag: "--scoring-subnet",
    description: "Scoring subnet, for endpoints deployed later",
    type: "string",
    group: "network",
    valueName: "<cidr>",
    derive: () => "172.16.1.0/24",
    validate: (v, all) =>
      checkSubnet(v, {
        name: "Scoring",
        maxPrefixLength: 29,
        vnetAddressSpace: all.vnetAddressSpace,
        earlier: [{ name: "Training", value: all.trainingSubnet }],
      }),
  }),
  spec({
    key: "bastionSubnet",
    flag: "--bastion-subnet",
    description: "AzureBastionSubnet (/26 or larger)",
    type: "string",
    group: "network",
    valueName: "<cidr>",
    derive: () => "172.16.2.0/26",
    // Checked even with --no-bastion: the range is reserved so Bastion can be added later.
    validate: (v, all) =>
      checkSubnet(v, {
        name: "AzureBastionSubnet",
        maxPrefixLength: 26,
        vnetAddressSpace: all.vnetAddressSpace,
        earlier: [
          { name: "Training", value: all.trainingSubnet },
          { name: "Scoring", value: all.scoringSubnet },
        ],
      }),
  }),

  // Training page, Azure Databricks: checked only with --databricks (the ranges are not reserved otherwise).
  spec({
    key: "defaultSubnet",
    flag: "--default-subnet",
    description: 'with --databricks: the "default" subnet the training page also requires',
    type: "string",
    group: "network",
    valueName: "<cidr>",
    derive: () => "172.16.8.0/24",
    validate: (v, all) => checkSubnet(v, { name: SUBNET_DEFAULT_NAME, maxPrefixLength: 29, vnetAddressSpace: all.vnetAddressSpace, earlier: tutorialSubnets(all) }),
  }),
  spec({
    key: "databricksPublicSubnet",
    flag: "--databricks-public-subnet",
    description: "with --databricks: the databricks-public (host) subnet, /26 or larger",
    type: "string",
    group: "network",
    valueName: "<cidr>",
    derive: () => "172.16.9.0/24",
    validate: (v, all) =>
      checkSubnet(v, {
        name: "databricks-public",
        maxPrefixLength: DATABRICKS_MAX_PREFIX_LENGTH,
        minimumWhy: DATABRICKS_MINIMUM_WHY,
        vnetAddressSpace: all.vnetAddressSpace,
        earlier: [...tutorialSubnets(all), { name: SUBNET_DEFAULT_NAME, value: all.defaultSubnet }],
      }),
  }),
  spec({
    key: "databricksPrivateSubnet",
    flag: "--databricks-private-subnet",
    description: "with --databricks: the databricks-private (container) subnet, /26 or larger",
    type: "string",
    group: "network",
    valueName: "<cidr>",
    derive: () => "172.16.10.0/24",
    validate: (v, all) =>
      checkSubnet(v, {
        name: "databricks-private",
        maxPrefixLength: DATABRICKS_MAX_PREFIX_LENGTH,
        minimumWhy: DATABRICKS_MINIMUM_WHY,
        vnetAddressSpace: all.vnetAddressSpace,
        earlier: [...tutorialSubnets(all), { name: SUBNET_DEFAULT_NAME, value: all.defaultSubnet }, { name: "databricks-public", value: all.databricksPublicSubnet }],
      }),
  }),

  spec({
    key: "outbound",
    flag: "--outbound",
    description:
      "outbound internet for the no-public-IP compute: default (the subnets' default outbound access, set explicitly; free) or nat-gateway (a NAT gateway on Training and Scoring, Microsoft's recommendation; billed hourly)",
    type: "enum",
    choices: ["default", "nat-gateway"],
    group: "network",
    valueName: "<mode>",
    derive: () => "default",
  }),
  switchField({
    key: "bastion",
    flag: "--no-bastion",
    description: "skip Azure Bastion (then reach the jump box another way)",
    group: "network",
    byDefault: true,
  }),

  // --- names --------------------------------------------------------------------------------
  nameField({
    key: "storageAccount",
    flag: "--storage-account",
    description: "storage account (global; default <prefix>st<suffix>)",
    group: "names",
    derive: withSuffix((p, s) => `${p}st${s}`),
    kind: "storageAccount",
  }),
  nameField({
    key: "keyVault",
    flag: "--key-vault",
    description: "key vault (global; default <prefix>-kv-<suffix>)",
    group: "names",
    derive: withSuffix((p, s) => `${p}-kv-${s}`),
    kind: "keyVault",
  }),
  nameField({
    key: "registry",
    flag: "--registry",
    description: "container registry, Premium SKU (global; default <prefix>acr<suffix>)",
    group: "names",
    derive: withSuffix((p, s) => `${p}acr${s}`),
    kind: "containerRegistry",
  }),
  nameField({
    key: "workspace",
    flag: "--workspace",
    description: "Azure Machine Learning workspace (default <prefix>-ws)",
    group: "names",
    derive: fromPrefix((p) => `${p}-ws`),
    kind: "mlWorkspace",
  }),
  nameField({
    key: "logAnalyticsWorkspace",
    flag: "--log-analytics-workspace",
    description: "Log Analytics workspace behind Application Insights (default <prefix>-logs)",
    group: "names",
    derive: fromPrefix((p) => `${p}-logs`),
    kind: "logAnalyticsWorkspace",
  }),
  nameField({
    key: "appInsights",
    flag: "--app-insights",
    description: "Application Insights component (default <prefix>-appi)",
    group: "names",
    derive: fromPrefix((p) => `${p}-appi`),
    kind: "appInsights",
  }),
  nameField({
    key: "privateLinkScope",
    flag: "--private-link-scope",
    description: "Azure Monitor private link scope (default <prefix>-ampls)",
    group: "names",
    derive: fromPrefix((p) => `${p}-ampls`),
    kind: "privateLinkScope",
  }),
  nameField({
    key: "bastionName",
    flag: "--bastion-name",
    description: "Bastion host (default <prefix>-bastion)",
    group: "names",
    derive: fromPrefix((p) => `${p}-bastion`),
    kind: "bastionHost",
  }),
  nameField({
    key: "bastionPublicIp",
    flag: "--bastion-public-ip",
    description: "Bastion's public IP address resource (default <prefix>-bastion-pip)",
    group: "names",
    derive: fromPrefix((p) => `${p}-bastion-pip`),
    kind: "publicIp",
  }),

  // --- jump box -----------------------------------------------------------------------------
  switchField({
    key: "jumpbox",
    flag: "--no-jumpbox",
    description: "skip the Windows 11 jump box VM",
    group: "jumpbox",
    byDefault: true,
  }),
  nameField({
    key: "jumpboxName",
    flag: "--jumpbox-name",
    description: "jump box VM and Windows computer name, at most 15 characters (default <prefix>-jump)",
    group: "jumpbox",
    derive: fromPrefix((p) => `${p}-jump`),
    kind: "windowsVm",
  }),
  spec({
    key: "jumpboxAdmin",
    flag: "--jumpbox-admin",
    description: 'jump box administrator user name (default "azureuser"; password from SECURE_AML_JUMPBOX_PASSWORD or the prompt)',
    type: "string",
    group: "jumpbox",
    valueName: "<user>",
    derive: () => "azureuser",
    validate: (v) => checkAdminUsername(v),
  }),
  vmSizeField({
    key: "jumpboxSize",
    flag: "--jumpbox-size",
    description: "jump box VM size (default Standard_D2s_v3: 2 vCPU, 8 GiB, offered in every region)",
    group: "jumpbox",
    derive: () => "Standard_D2s_v3",
  }),
  spec({
    key: "jumpboxShutdownTime",
    flag: "--jumpbox-shutdown-time",
    description: "daily auto-shutdown time of the jump box, HHmm (default 1900)",
    type: "string",
    group: "jumpbox",
    valueName: "<HHmm>",
    derive: () => "1900",
    validate: (v) => checkShutdownTime(v),
  }),
  spec({
    key: "jumpboxShutdownTimeZone",
    flag: "--jumpbox-shutdown-timezone",
    description: 'Windows time-zone id of the shutdown time (default "UTC")',
    type: "string",
    group: "jumpbox",
    valueName: "<tz>",
    derive: () => "UTC",
    validate: (v) => checkWindowsTimeZone(v),
  }),

  spec({
    key: "jumpboxSecurityType",
    flag: "--jumpbox-security-type",
    description: "jump box security type: Standard (the tutorial's) or TrustedLaunch (secure boot and vTPM); fixed at creation",
    type: "enum",
    choices: ["Standard", "TrustedLaunch"],
    group: "jumpbox",
    valueName: "<type>",
    derive: () => "Standard",
  }),
  switchField({
    key: "windowsClientLicense",
    flag: "--no-windows-client-license",
    description:
      'do not declare the jump box\'s Windows licence (licenseType "Windows_Client"); by default init declares, as the portal asks, that you have eligible Windows 10/11 licences with multitenant hosting rights',
    group: "jumpbox",
    byDefault: true,
  }),

  // --- compute ------------------------------------------------------------------------------
  nameField({
    key: "computeCluster",
    flag: "--compute-cluster",
    description: "compute cluster name (default cpu-cluster, as in the tutorial)",
    group: "compute",
    derive: () => "cpu-cluster",
    kind: "computeCluster",
  }),
  vmSizeField({
    key: "clusterVmSize",
    flag: "--cluster-vm-size",
    description: "compute cluster node size (default Standard_DS3_v2, studio's default)",
    group: "compute",
    derive: () => "Standard_DS3_v2",
  }),
  spec({
    key: "clusterMinNodes",
    flag: "--cluster-min-nodes",
    description: "minimum cluster nodes (default 0: the cluster costs nothing when idle)",
    type: "number",
    group: "compute",
    valueName: "<n>",
    derive: () => 0,
    validate: (v) => checkInteger(v, 0),
  }),
  spec({
    key: "clusterMaxNodes",
    flag: "--cluster-max-nodes",
    description: "maximum cluster nodes (default 2)",
    type: "number",
    group: "compute",
    valueName: "<n>",
    derive: () => 2,
    validate: (v, all) => {
      const problems = checkInteger(v, 1);
      if (problems.length === 0 && typeof all.clusterMinNodes === "number" && (v as number) < all.clusterMinNodes) {
        problems.push(`must be ≥ the minimum node count (${all.clusterMinNodes})`);
      }
      return problems;
    },
  }),
  nameField({
    key: "computeInstance",
    flag: "--compute-instance",
    description: "compute instance name, unique in the region (default <prefix>-ci-<suffix>)",
    group: "compute",
    derive: withSuffix((p, s) => `${p}-ci-${s}`),
    kind: "computeInstance",
  }),
  spec({
    key: "computeInstanceUser",
    flag: "--compute-instance-user",
    description: "Microsoft Entra object id of the person the compute instance is assigned to (default: the signed-in person; required when signed in as a service principal)",
    type: "string",
    group: "compute",
    valueName: "<object-id>",
    validate: (v) => checkObjectId(v),
  }),
  spec({
    key: "computeInstanceIdleShutdown",
    flag: "--compute-instance-idle-shutdown",
    description: "minutes of inactivity after which the compute instance shuts down (default 60, the studio's; 0 = never); set at creation",
    type: "number",
    group: "compute",
    valueName: "<minutes>",
    derive: () => 60,
    validate: (v) => {
      const problems = checkInteger(v, 0);
      if (problems.length === 0 && v !== 0 && ((v as number) < 15 || (v as number) > 20160)) problems.push("must be 0 (off) or between 15 minutes and 14 days (20160)");
      return problems;
    },
  }),
  vmSizeField({
    key: "instanceVmSize",
    flag: "--instance-vm-size",
    description: "compute instance size (default Standard_DS3_v2)",
    group: "compute",
    derive: () => "Standard_DS3_v2",
  }),

  // --- options ------------------------------------------------------------------------------
  switchField({
    key: "batchEndpoints",
    flag: "--batch-endpoints",
    description: "add queue and table private endpoints on storage (batch endpoints, ParallelRunStep)",
    group: "options",
    byDefault: false,
  }),
  spec({
    key: "trainingNsg",
    flag: "--training-nsg",
    description: "create an NSG on the Training subnet with the rules the training page requires (on with --restrict-outbound)",
    type: "boolean",
    group: "options",
    derive: (c) => c.restrictOutbound === true,
  }),
  spec({
    key: "restrictOutbound",
    flag: "--restrict-outbound",
    description: "Training NSG: allow outbound only to the service tags training needs, deny the rest of the internet",
    type: "boolean",
    group: "options",
    derive: () => false,
    validate: (v, all) =>
      v === true && all.trainingNsg === false ? ["--restrict-outbound writes its rules on the Training subnet's NSG: drop --no-training-nsg (SECURE_AML_TRAINING_NSG=false)"] : [],
  }),
  spec({
    key: "databricks",
    flag: "--databricks",
    description: "add the default, databricks-public and databricks-private subnets (delegated, with the Databricks NSG) for Azure Databricks",
    type: "boolean",
    group: "options",
    derive: (c) => typeof c.databricksWorkspace === "string" && c.databricksWorkspace !== "",
  }),
  spec({
    key: "databricksWorkspace",
    flag: "--databricks-workspace",
    description: "also create this Azure Databricks workspace, injected into the VNet, no public IP on its clusters",
    type: "string",
    group: "options",
    valueName: "<name>",
    optional: true,
    validate: (v, all) => [
      ...checkName("databricksWorkspace", v),
      ...(all.databricks === false ? ["--databricks-workspace needs the Databricks subnets: drop --no-databricks (SECURE_AML_DATABRICKS=false)"] : []),
    ],
  }),
  nameField({
    key: "databricksManagedResourceGroup",
    flag: "--databricks-managed-resource-group",
    description: "resource group Azure Databricks creates and manages for the workspace (default databricks-rg-<workspace>)",
    group: "options",
    derive: (c) => (c.databricksWorkspace ? `databricks-rg-${c.databricksWorkspace}` : undefined),
    optional: true,
    kind: "resourceGroup",
  }),
  spec({
    key: "keyVaultSoftDeleted",
    flag: "--key-vault-soft-deleted",
    description: "when a soft-deleted vault holds the key vault name: fail, recover it, or purge it (default fail)",
    type: "enum",
    choices: ["fail", "recover", "purge"],
    group: "options",
    valueName: "<action>",
    derive: () => "fail",
  }),
  spec({
    key: "retryTimeout",
    flag: "--retry-timeout",
    description: "seconds one step keeps retrying what Azure says may pass (throttling, 5xx, dropped connections, another operation in progress) before it fails (default 900)",
    type: "number",
    group: "options",
    valueName: "<seconds>",
    derive: () => DEFAULT_RETRY_TIMEOUT_SECONDS,
    validate: (v) => {
      const problems = checkInteger(v, 0);
      if (problems.length === 0 && (v as number) > MAX_RETRY_TIMEOUT_SECONDS) problems.push(`must be ≤ ${MAX_RETRY_TIMEOUT_SECONDS} (a day)`);
      return problems;
    },
  }),

  // --- attached compute (training page) -----------------------------------------------------
  spec({
    key: "attachedVm",
    flag: "--attached-vm",
    description: "create an Ubuntu VM with this name in Training (no public IP, SSH key login) and attach it to the workspace",
    type: "string",
    group: "compute",
    valueName: "<name>",
    validate: (v, all) => [
      ...checkAttachedVmName(v),
      ...(all.attachedVmSshKeyPath === undefined ? ["needs --attached-vm-ssh-key PATH (the SSH private key Azure Machine Learning logs in with)"] : []),
      ...(all.attachCompute !== undefined ? ["cannot be combined with --attach-compute (create a VM or attach an existing one)"] : []),
    ],
  }),
  spec({
    key: "attachCompute",
    flag: "--attach-compute",
    description: "attach an existing VM or HDInsight cluster (its resource ID) to the workspace as a compute target",
    type: "string",
    group: "compute",
    valueName: "<resource-id>",
    validate: (v, all) => [
      ...checkAttachComputeId(v, all.subscriptionId),
      ...(all.attachedVmSshKeyPath === undefined ? ["needs --attached-vm-ssh-key PATH (the SSH private key Azure Machine Learning logs in with)"] : []),
    ],
  }),
  spec({
    key: "attachedVmSshKeyPath",
    flag: "--attached-vm-ssh-key",
    description: "SSH private key file for --attached-vm/--attach-compute (public key from PATH.pub or derived); sent only in the attach request",
    type: "string",
    group: "compute",
    valueName: "<path>",
    validate: (v) => checkSshPrivateKeyFile(v),
  }),
  spec({
    key: "attachedVmAdmin",
    flag: "--attached-vm-admin",
    description: 'SSH user of the attached VM (default "azureuser")',
    type: "string",
    group: "compute",
    valueName: "<user>",
    derive: () => "azureuser",
    validate: (v) => checkAdminUsername(v),
  }),
  vmSizeField({
    key: "attachedVmSize",
    flag: "--attached-vm-size",
    description: "attached VM size (default Standard_DS3_v2)",
    group: "compute",
    derive: () => "Standard_DS3_v2",
  }),
];

export function fieldByKey(key: string): FieldSpec | undefined {
  return FIELDS.find((f) => f.key === key);
}

/** The property commander stores a flag under: "--no-jumpbox" → "jumpbox", "--jumpbox-shutdown-timezone" → "jumpboxShutdownTimezone". */
export function flagAttributeName(field: FieldSpec): string {
  return field.flag.replace(/^--(no-)?/, "").replace(/-([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase());
}

/** The flag that sets a boolean to the opposite of its usual flag: "--no-jumpbox" ↔ "--jumpbox". */
export function oppositeFlag(field: FieldSpec): string | undefined {
  if (field.type !== "boolean") return undefined;
  return field.flag.startsWith("--no-") ? `--${field.flag.slice(5)}` : `--no-${field.flag.slice(2)}`;
}

/** Every value check of one field (type, choices and the field's own rules); empty when valid. */
export function checkFieldValue(field: FieldSpec, value: unknown, all: Partial<DeploymentConfig>): string[] {
  switch (field.type) {
    case "boolean":
      if (typeof value !== "boolean") return ["must be true or false"];
      break;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return ["must be a number"];
      break;
    case "enum":
      if (typeof value !== "string" || !(field.choices ?? []).includes(value)) return [`must be one of: ${(field.choices ?? []).join(", ")}`];
      break;
    case "string":
      if (typeof value !== "string") return ["must be text"];
      break;
  }
  return field.validate ? field.validate(value, all) : [];
}
