// Value rules for every kind of input, each returning the list of broken rules in plain words
// (empty when the value is valid). The name rules come from Microsoft's "Naming rules and
// restrictions for Azure resources" (learn.microsoft.com/azure/azure-resource-manager/management/
// resource-name-rules, 2025 revision); the admin-name and password rules from the compute API's
// osProfile documentation and the VM FAQ. Network rules use ipaddr.js for all address maths.
import { VM_SIZE_RULE, isKnownVmSizeName } from "./vm-sizes.js";
import { createRequire } from "node:module";
import type { IPv4 } from "ipaddr.js";

// ipaddr.js is loaded on first use, not at start-up: the CLI imports these rules to print --help.
const requireLazily = createRequire(import.meta.url);
let ipaddrModule: typeof import("ipaddr.js") | undefined;
function ipaddr(): typeof import("ipaddr.js") {
  ipaddrModule ??= requireLazily("ipaddr.js") as typeof import("ipaddr.js");
  return ipaddrModule;
}

// ---------------------------------------------------------------------------------------------
// Names

interface NameCheck {
  /** True when the value satisfies this part of the rule. */
  ok: (value: string) => boolean;
  /** What is wrong, e.g. "ends with a hyphen". */
  violation: string;
}

export interface NameRule {
  /** Resource kind as a person says it, e.g. "storage account". */
  kind: string;
  min: number;
  max: number;
  /** One allowed character. */
  allowed: RegExp;
  /** The whole rule in words, shown with every failure. */
  text: string;
  checks?: readonly NameCheck[];
}

const alnum = /^[A-Za-z0-9]$/;
const startsAlnum: NameCheck = { ok: (v) => /^[A-Za-z0-9]/.test(v), violation: "does not start with a letter or digit" };
const startsLetter: NameCheck = { ok: (v) => /^[A-Za-z]/.test(v), violation: "does not start with a letter" };
const endsAlnum: NameCheck = { ok: (v) => /[A-Za-z0-9]$/.test(v), violation: "does not end with a letter or digit" };
const endsAlnumOrUnderscore: NameCheck = {
  ok: (v) => /[A-Za-z0-9_]$/.test(v),
  violation: "does not end with a letter, digit or underscore",
};
const noDoubleHyphen: NameCheck = { ok: (v) => !v.includes("--"), violation: "contains consecutive hyphens" };
const notEndingPeriod: NameCheck = { ok: (v) => !v.endsWith("."), violation: "ends with a period" };
const notEndingPeriodOrSpace: NameCheck = { ok: (v) => !/[. ]$/.test(v), violation: "ends with a period or space" };

// Network resources (virtualNetworks, bastionHosts, publicIPAddresses) share one naming rule.
function networkNameRule(kind: string, min: number, max: number): NameRule {
  return {
    kind,
    min,
    max,
    allowed: /^[A-Za-z0-9_.-]$/,
    text: `${min}-${max} characters: letters, digits, underscores, periods and hyphens; start with a letter or digit; end with a letter, digit or underscore`,
    checks: [startsAlnum, endsAlnumOrUnderscore],
  };
}

// Microsoft.Insights components: anything but %&\?/ and control characters.
// eslint-disable-next-line no-control-regex
const insightsChars = /^[^%&\\?/\u0000-\u001f\u007f]$/u;
const insightsText = "1-260 characters; not %, &, \\, ?, / or control characters; must not end with a space or period";

export const NAME_RULES = {
  // Char.IsLetterOrDigit categories (Lu, Ll, Lt, Lm, Lo, Nd) plus _ - . ( )
  resourceGroup: {
    kind: "resource group",
    min: 1,
    max: 90,
    allowed: /^[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nd}_\-.()]$/u,
    text: "1-90 characters: letters, digits, underscores, hyphens, periods and parentheses; must not end with a period",
    checks: [notEndingPeriod],
  },
  virtualNetwork: networkNameRule("virtual network", 2, 64),
  storageAccount: {
    kind: "storage account",
    min: 3,
    max: 24,
    allowed: /^[a-z0-9]$/,
    text: "3-24 characters: lowercase letters and digits only; globally unique",
  },
  keyVault: {
    kind: "key vault",
    min: 3,
    max: 24,
    allowed: /^[A-Za-z0-9-]$/,
    text: "3-24 characters: letters, digits and hyphens; start with a letter; end with a letter or digit; no consecutive hyphens; globally unique",
    checks: [startsLetter, endsAlnum, noDoubleHyphen],
  },
  containerRegistry: {
    kind: "container registry",
    min: 5,
    max: 50,
    allowed: alnum,
    text: "5-50 characters: letters and digits only; globally unique",
  },
  mlWorkspace: {
    kind: "machine learning workspace",
    min: 3,
    max: 33,
    allowed: /^[A-Za-z0-9_-]$/,
    text: "3-33 characters: letters, digits, hyphens and underscores; start with a letter or digit",
    checks: [startsAlnum],
  },
  // AML compute: 3-32 for AmlCompute clusters, 3-24 for compute instances (resource-name-rules);
  // the studio additionally requires the first character to be a letter.
  computeCluster: {
    kind: "compute cluster",
    min: 3,
    max: 32,
    allowed: /^[A-Za-z0-9-]$/,
    text: "3-32 characters: letters, digits and hyphens; start with a letter",
    checks: [startsLetter],
  },
  computeInstance: {
    kind: "compute instance",
    min: 3,
    max: 24,
    allowed: /^[A-Za-z0-9-]$/,
    text: "3-24 characters: letters, digits and hyphens; start with a letter; unique among compute instances in the region",
    checks: [startsLetter],
  },
  // The jump box's resource name is also its Windows computer name, so the host-name rule applies:
  // 1-15 characters, none of ~!@#$%^&*()=+_[]{}\|;:.'",<>/? or spaces, no trailing hyphen, not all digits.
  windowsVm: {
    kind: "jump box (Windows computer)",
    min: 1,
    max: 15,
    allowed: /^[A-Za-z0-9-]$/,
    text: "1-15 characters: letters, digits and hyphens (no spaces or ~!@#$%^&*()=+_[]{}\\|;:.'\",<>/?); must not end with a hyphen or be only digits",
    checks: [
      { ok: (v) => !v.endsWith("-"), violation: "ends with a hyphen" },
      { ok: (v) => !/^\d+$/.test(v), violation: "is only digits" },
    ],
  },
  logAnalyticsWorkspace: {
    kind: "Log Analytics workspace",
    min: 4,
    max: 63,
    allowed: /^[A-Za-z0-9-]$/,
    text: "4-63 characters: letters, digits and hyphens; start and end with a letter or digit",
    checks: [startsAlnum, endsAlnum],
  },
  appInsights: {
    kind: "Application Insights component",
    min: 1,
    max: 260,
    allowed: insightsChars,
    text: insightsText,
    checks: [notEndingPeriodOrSpace],
  },
  // Azure publishes no separate rule for microsoft.insights/privateLinkScopes; the provider's
  // general Microsoft.Insights rule (as for components) is applied.
  privateLinkScope: {
    kind: "Azure Monitor private link scope",
    min: 1,
    max: 260,
    allowed: insightsChars,
    text: insightsText,
    checks: [notEndingPeriodOrSpace],
  },
  // resource-name-rules, Microsoft.Databricks/workspaces: 3-64 alphanumerics, underscores and hyphens.
  databricksWorkspace: {
    kind: "Azure Databricks workspace",
    min: 3,
    max: 64,
    allowed: /^[A-Za-z0-9_-]$/,
    text: "3-64 characters: letters, digits, underscores and hyphens",
  },
  bastionHost: networkNameRule("Bastion host", 1, 80),
  publicIp: networkNameRule("public IP address", 1, 80),
  // Our own rule: the prefix must leave every derived name valid for its kind (the shortest
  // maximum is the jump box's 15 characters: prefix + "-jump").
  prefix: {
    kind: "name prefix",
    min: 2,
    max: 10,
    allowed: /^[a-z0-9]$/,
    text: "2-10 characters: lowercase letters and digits; start with a letter (every derived name must fit its kind's rule)",
    checks: [{ ok: (v) => /^[a-z]/.test(v), violation: "does not start with a lowercase letter" }],
  },
} as const satisfies Record<string, NameRule>;

export type NameKind = keyof typeof NAME_RULES;

/** Checks a name against one kind's rule; returns one message naming every violation and the rule. */
export function checkName(kind: NameKind, value: unknown): string[] {
  const rule: NameRule = NAME_RULES[kind];
  if (typeof value !== "string") return [`must be text (${rule.kind} name: ${rule.text})`];
  const reasons: string[] = [];
  const length = [...value].length;
  if (length < rule.min || length > rule.max) reasons.push(`is ${length} characters long`);
  const bad = [...new Set([...value].filter((ch) => !rule.allowed.test(ch)))];
  if (bad.length > 0) reasons.push(`contains ${bad.map((ch) => JSON.stringify(ch)).join(", ")}`);
  if (length > 0) for (const check of rule.checks ?? []) if (!check.ok(value)) reasons.push(check.violation);
  if (reasons.length === 0) return [];
  return [`${rule.kind} name ${reasons.join(", ")}; Azure requires ${rule.text}`];
}

// ---------------------------------------------------------------------------------------------
// Jump-box administrator and password (compute API osProfile rules for Windows)

/** Names Azure refuses for a Windows VM administrator (osProfile.adminUsername, case-insensitive). */
export const RESERVED_ADMIN_NAMES: readonly string[] = [
  "administrator",
  "admin",
  "user",
  "user1",
  "test",
  "user2",
  "test1",
  "user3",
  "admin1",
  "1",
  "123",
  "a",
  "actuser",
  "adm",
  "admin2",
  "aspnet",
  "backup",
  "console",
  "david",
  "guest",
  "john",
  "owner",
  "root",
  "server",
  "sql",
  "support",
  "support_388945a0",
  "sys",
  "test2",
  "test3",
  "user4",
  "user5",
];

export function checkAdminUsername(value: unknown): string[] {
  const rule = 'Azure requires 1-20 characters, not ending in ".", none of " / \\ [ ] : ; | = , + * ? < > @, and not a reserved name such as "admin" or "administrator"';
  if (typeof value !== "string") return [`must be text; ${rule}`];
  const reasons: string[] = [];
  if (value.length < 1 || value.length > 20) reasons.push(`is ${value.length} characters long`);
  if (value.endsWith(".")) reasons.push('ends with "."');
  // eslint-disable-next-line no-control-regex
  const bad = [...new Set([...value].filter((ch) => /["/\\[\]:;|=,+*?<>@\s\u0000-\u001f]/.test(ch)))];
  if (bad.length > 0) reasons.push(`contains ${bad.map((ch) => JSON.stringify(ch)).join(", ")}`);
  if (RESERVED_ADMIN_NAMES.includes(value.toLowerCase())) reasons.push("is a reserved administrator name");
  return reasons.length === 0 ? [] : [`administrator name ${reasons.join(", ")}; ${rule}`];
}

/** Passwords Azure refuses outright for a VM administrator (exact match). */
export const DISALLOWED_PASSWORDS: readonly string[] = [
  "abc@123",
  "P@$$w0rd",
  "P@ssw0rd",
  "P@ssword123",
  "Pa$$word",
  "pass@word1",
  "Password!",
  "Password1",
  "Password22",
  "iloveyou!",
];

export const PASSWORD_RULE =
  "12-123 characters with at least 3 of: a lowercase letter, an uppercase letter, a digit, a special character; not one of the common passwords Azure refuses";

/**
 * Windows VM administrator password. The compute API accepts 8 characters, but the portal and the
 * VM FAQ require 12-123 for Windows; the stricter rule is used so a password never works here and
 * fails elsewhere. Messages never contain the password.
 */
export function checkWindowsPassword(value: unknown): string[] {
  if (typeof value !== "string") return [`must be text; Azure requires ${PASSWORD_RULE}`];
  const reasons: string[] = [];
  if (value.length < 12 || value.length > 123) reasons.push(`is ${value.length} characters long`);
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[\W_]/].filter((re) => re.test(value)).length;
  if (classes < 3) reasons.push(`has only ${classes} of the 4 character kinds`);
  if (DISALLOWED_PASSWORDS.includes(value)) reasons.push("is on Azure's list of refused passwords");
  return reasons.length === 0 ? [] : [`password ${reasons.join(", ")}; Azure requires ${PASSWORD_RULE}`];
}

/**
 * What Azure (Windows) refuses in a password beyond complexity, and what secure-aml must refuse to
 * keep the secret out of output and state: a control character or line break; the admin's name
 * inside it (Windows checks the account name case-insensitively when it is 3 characters or more);
 * a value equal to a name of this deployment (the name would then be redacted everywhere it is
 * printed or stored, and the password printed wherever the name is). Never echoes the password.
 */
export function checkPasswordAgainstDeployment(password: unknown, config: Record<string, unknown>): string[] {
  if (typeof password !== "string") return [];
  const reasons: string[] = [];
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(password)) reasons.push("contains a control character or line break");
  const admin = config.jumpboxAdmin;
  if (typeof admin === "string" && admin.length >= 3 && password.toLowerCase().includes(admin.toLowerCase())) {
    reasons.push(`contains the administrator name "${admin}", which Azure refuses`);
  }
  const lowered = password.toLowerCase();
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "string" && value !== "" && value.toLowerCase() === lowered) {
      reasons.push(`is the same as ${key}, a name of this deployment that secure-aml prints and stores`);
    }
  }
  return reasons.length === 0 ? [] : [`password ${reasons.join("; ")}: choose another`];
}

// ---------------------------------------------------------------------------------------------
// Other scalar values

export function checkSubscriptionId(value: unknown): string[] {
  const ok = typeof value === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
  return ok ? [] : ["subscription id must be a GUID such as 00000000-0000-0000-0000-000000000000 (see `az account list -o table`)"];
}

/** A Microsoft Entra object id (the compute instance's assigned user). */
export function checkObjectId(value: unknown): string[] {
  const ok = typeof value === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
  return ok
    ? []
    : ["must be a Microsoft Entra object id (a GUID), e.g. from `az ad signed-in-user show --query id -o tsv` or `az ad user show --id someone@example.com --query id -o tsv`"];
}

export function checkVmSize(value: unknown): string[] {
  return typeof value === "string" && isKnownVmSizeName(value) ? [] : [VM_SIZE_RULE];
}

export function checkShutdownTime(value: unknown): string[] {
  const ok = typeof value === "string" && /^([01]\d|2[0-3])[0-5]\d$/.test(value);
  return ok ? [] : ['must be a 24-hour time written HHmm, e.g. "1900" for 7 pm'];
}

/** A Windows time-zone id as DevTest Labs schedules expect ("UTC", "W. Europe Standard Time"). */
export function checkWindowsTimeZone(value: unknown): string[] {
  const ok = typeof value === "string" && /^[A-Za-z][A-Za-z0-9 .()+-]{1,63}$/.test(value);
  return ok ? [] : ['must be a Windows time-zone id such as "UTC" or "Pacific Standard Time" (`tzutil /l` lists them)'];
}

export function checkInteger(value: unknown, min: number): string[] {
  if (typeof value !== "number" || !Number.isInteger(value)) return [`must be a whole number ≥ ${min}`];
  return value < min ? [`must be ≥ ${min}`] : [];
}

// ---------------------------------------------------------------------------------------------
// Address ranges (IPv4 CIDR; the tutorial's network is IPv4 only)

export interface Ipv4Cidr {
  address: IPv4;
  prefixLength: number;
  text: string;
}

/** The Docker bridge network's default range: the tutorial warns that a VNet using it breaks. */
export const DOCKER_BRIDGE_RANGE = "172.17.0.0/16";

/** Ranges Azure does not allow in a virtual network's address space (VNet FAQ). */
const AZURE_FORBIDDEN_RANGES: readonly { cidr: string; why: string }[] = [
  { cidr: "224.0.0.0/4", why: "multicast" },
  { cidr: "255.255.255.255/32", why: "broadcast" },
  { cidr: "127.0.0.0/8", why: "loopback" },
  { cidr: "169.254.0.0/16", why: "link-local" },
  { cidr: "168.63.129.16/32", why: "Azure's internal DNS, DHCP and health-probe address" },
];

/** Parses "a.b.c.d/n" strictly; returns the reason when it is not a usable network prefix. */
export function parseIpv4Cidr(value: unknown): { cidr?: Ipv4Cidr; problem?: string } {
  if (typeof value !== "string" || !ipaddr().IPv4.isValidCIDRFourPartDecimal(value.trim()) || value.trim() !== value) {
    return { problem: 'must be an IPv4 range in CIDR notation such as "172.16.0.0/16"' };
  }
  const [address, prefixLength] = ipaddr().IPv4.parseCIDR(value);
  const network = ipaddr().IPv4.networkAddressFromCIDR(value).toString();
  if (network !== address.toString()) {
    // Azure rejects a prefix with host bits set (InvalidCIDRNotation) instead of rounding it.
    return { problem: `is not a network address: for /${prefixLength} the range starts at ${network}, so write "${network}/${prefixLength}"` };
  }
  return { cidr: { address, prefixLength, text: value } };
}

/** CIDR blocks are either nested or disjoint, so they overlap exactly when one contains the other's start. */
export function cidrOverlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.address.match(b.address, b.prefixLength) || b.address.match(a.address, a.prefixLength);
}

export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefixLength >= outer.prefixLength && inner.address.match(outer.address, outer.prefixLength);
}

function known(cidr: string): Ipv4Cidr {
  const parsed = parseIpv4Cidr(cidr).cidr;
  if (!parsed) throw new Error(`bad built-in range ${cidr}`);
  return parsed;
}

const dockerWhy = (what: string): string =>
  `${what} overlaps ${DOCKER_BRIDGE_RANGE}, the Docker bridge network's default range: the tutorial warns that ` +
  "Azure Machine Learning compute and image builds fail when the VNet uses it; choose another private range such as 172.16.0.0/16";

/** Rules for the VNet address space on its own. */
export function checkVnetAddressSpace(value: unknown): string[] {
  const { cidr, problem } = parseIpv4Cidr(value);
  if (!cidr) return [problem ?? "invalid"];
  const problems: string[] = [];
  if (cidr.prefixLength < 2 || cidr.prefixLength > 29) problems.push("must be between /2 and /29 (Azure's supported IPv4 sizes)");
  for (const forbidden of AZURE_FORBIDDEN_RANGES) {
    if (cidrOverlaps(cidr, known(forbidden.cidr))) {
      problems.push(`overlaps ${forbidden.cidr} (${forbidden.why}), which Azure does not allow in a virtual network`);
    }
  }
  if (cidrOverlaps(cidr, known(DOCKER_BRIDGE_RANGE))) problems.push(dockerWhy("the address space"));
  return problems;
}

export interface SubnetContext {
  /** Subnet name as Azure knows it ("Training", "Scoring", "AzureBastionSubnet"). */
  name: string;
  /** Largest allowed prefix length (smallest subnet): 29 for ordinary subnets, 26 for Bastion. */
  maxPrefixLength: number;
  vnetAddressSpace?: unknown;
  /** Why the minimum size is what it is, when it is not Azure's smallest subnet (Databricks: /26). */
  minimumWhy?: string;
  /** Subnets checked before this one: an overlap is reported once, on the later subnet. */
  earlier: readonly { name: string; value: unknown }[];
}

export function checkSubnet(value: unknown, ctx: SubnetContext): string[] {
  const { cidr, problem } = parseIpv4Cidr(value);
  if (!cidr) return [problem ?? "invalid"];
  const problems: string[] = [];
  if (cidr.prefixLength > ctx.maxPrefixLength) {
    problems.push(
      ctx.name === "AzureBastionSubnet"
        ? `AzureBastionSubnet must be /26 or larger (Azure Bastion needs at least 64 addresses); /${cidr.prefixLength} is too small`
        : ctx.minimumWhy
          ? `${ctx.name} must be /${ctx.maxPrefixLength} or larger (${ctx.minimumWhy}); /${cidr.prefixLength} is too small`
          : `${ctx.name} must be /${ctx.maxPrefixLength} or larger (Azure's smallest subnet); /${cidr.prefixLength} is too small`,
    );
  }
  const vnet = parseIpv4Cidr(ctx.vnetAddressSpace).cidr;
  if (vnet && !cidrContains(vnet, cidr)) problems.push(`${ctx.name} ${cidr.text} is not inside the address space ${vnet.text}`);
  for (const other of ctx.earlier) {
    const otherCidr = parseIpv4Cidr(other.value).cidr;
    if (otherCidr && cidrOverlaps(cidr, otherCidr)) problems.push(`${ctx.name} ${cidr.text} overlaps the ${other.name} subnet ${otherCidr.text}`);
  }
  if (cidrOverlaps(cidr, known(DOCKER_BRIDGE_RANGE))) problems.push(dockerWhy(`${ctx.name} ${cidr.text}`));
  return problems;
}
