// The bad-input corpus: every case must exit 2, name the field and the rule, send no ARM request and
// leave the state file byte-for-byte as it was. Used by bench/reliability.ts and the CI subset.

export interface BadInputCase {
  name: string;
  /** Flags added to (or replacing) the base init command line. */
  args?: string[];
  /** Environment changes; a value of null removes the variable. */
  env?: Record<string, string | null>;
  /** Contents of a --config file written for the case (string: raw text). */
  configFile?: string | Record<string, unknown> | unknown[];
  /** --config path that does not exist. */
  missingConfigFile?: boolean;
  /** Contents of the state file before the run (default: a valid empty state). */
  stateFile?: string;
  /** What the message must name (field key, flag or "state file"). */
  field: string;
  /** The rule: a fragment (case-insensitive regular expression) the message must contain. */
  rule: string;
  kind: "name" | "cidr" | "password" | "admin" | "scalar" | "config-file" | "env" | "state-file" | "run-option";
}

export const VALID_PASSWORD = "Reliab1lity-Corpus-Pw";

/** A valid (empty) state document: the canary whose bytes must not change. */
export function canaryState(): string {
  return `${JSON.stringify({ schemaVersion: 1, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:00.000Z", config: {}, steps: {} }, null, 2)}\n`;
}

const long = (n: number, ch = "a"): string => ch.repeat(n);

export const BAD_INPUTS: readonly BadInputCase[] = [
  // ---- names of each kind
  { kind: "name", name: "storage account with uppercase and underscore", args: ["--storage-account", "Bad_Name"], field: "storageAccount", rule: "lowercase letters and digits" },
  { kind: "name", name: "storage account too short", args: ["--storage-account", "ab"], field: "storageAccount", rule: "3-24" },
  { kind: "name", name: "storage account too long", args: ["--storage-account", long(25)], field: "storageAccount", rule: "3-24" },
  { kind: "name", name: "key vault starting with a digit", args: ["--key-vault", "1vault"], field: "keyVault", rule: "start with a letter" },
  { kind: "name", name: "key vault with a double hyphen", args: ["--key-vault", "kv--double"], field: "keyVault", rule: "consecutive hyphens" },
  { kind: "name", name: "key vault ending with a hyphen", args: ["--key-vault", "kv-end-"], field: "keyVault", rule: "end with a letter or digit" },
  { kind: "name", name: "registry with a hyphen", args: ["--registry", "acr-with-hyphen"], field: "registry", rule: "letters and digits" },
  { kind: "name", name: "registry too short", args: ["--registry", "abc"], field: "registry", rule: "5-50" },
  { kind: "name", name: "workspace starting with a hyphen", args: ["--workspace", "-ws"], field: "workspace", rule: "start with a letter or digit" },
  { kind: "name", name: "workspace too long", args: ["--workspace", long(34)], field: "workspace", rule: "3-33" },
  { kind: "name", name: "compute cluster starting with a digit", args: ["--compute-cluster", "1cluster"], field: "computeCluster", rule: "start with a letter" },
  { kind: "name", name: "compute instance with an underscore", args: ["--compute-instance", "ci_under"], field: "computeInstance", rule: "letters, digits and hyphens" },
  { kind: "name", name: "compute instance too long", args: ["--compute-instance", long(25, "c")], field: "computeInstance", rule: "3-24" },
  { kind: "name", name: "jump box name over 15 characters", args: ["--jumpbox-name", "jump-box-name-too-long"], field: "jumpboxName", rule: "1-15" },
  { kind: "name", name: "jump box name only digits", args: ["--jumpbox-name", "12345"], field: "jumpboxName", rule: "only digits" },
  { kind: "name", name: "jump box name ending with a hyphen", args: ["--jumpbox-name", "jump-"], field: "jumpboxName", rule: "hyphen" },
  { kind: "name", name: "Log Analytics workspace too short", args: ["--log-analytics-workspace", "abc"], field: "logAnalyticsWorkspace", rule: "4-63" },
  { kind: "name", name: "Log Analytics workspace starting with a hyphen", args: ["--log-analytics-workspace", "-logs"], field: "logAnalyticsWorkspace", rule: "start and end with a letter or digit" },
  { kind: "name", name: "Application Insights ending with a period", args: ["--app-insights", "appi."], field: "appInsights", rule: "period" },
  { kind: "name", name: "virtual network starting with a hyphen", args: ["--vnet-name", "-vnet"], field: "vnetName", rule: "2-64|start" },
  { kind: "name", name: "resource group ending with a period", args: ["--resource-group", "rg."], field: "resourceGroup", rule: "period" },
  { kind: "name", name: "resource group too long", args: ["--resource-group", long(91, "r")], field: "resourceGroup", rule: "1-90" },
  { kind: "name", name: "prefix with a space and punctuation", args: ["--prefix", "Bad Prefix!"], field: "prefix", rule: "." },
  // ---- CIDRs, overlaps, out of range, Docker
  { kind: "cidr", name: "address space /33", args: ["--vnet-address-space", "10.0.0.0/33"], field: "vnetAddressSpace", rule: "CIDR" },
  { kind: "cidr", name: "address space with host bits", args: ["--vnet-address-space", "10.0.0.1/16"], field: "vnetAddressSpace", rule: "not a network address" },
  { kind: "cidr", name: "address space not a CIDR", args: ["--vnet-address-space", "not-a-cidr"], field: "vnetAddressSpace", rule: "CIDR" },
  { kind: "cidr", name: "address space is the Docker range", args: ["--vnet-address-space", "172.17.0.0/16"], field: "vnetAddressSpace", rule: "Docker" },
  { kind: "cidr", name: "address space containing the Docker range", args: ["--vnet-address-space", "172.16.0.0/12"], field: "vnetAddressSpace", rule: "Docker" },
  { kind: "cidr", name: "address space in loopback", args: ["--vnet-address-space", "127.0.0.0/16"], field: "vnetAddressSpace", rule: "loopback" },
  { kind: "cidr", name: "address space /30 too small", args: ["--vnet-address-space", "10.0.0.0/30"], field: "vnetAddressSpace", rule: "/29" },
  { kind: "cidr", name: "training subnet outside the address space", args: ["--training-subnet", "10.0.0.0/24"], field: "trainingSubnet", rule: "not inside" },
  { kind: "cidr", name: "scoring subnet overlapping training", args: ["--scoring-subnet", "172.16.0.0/24"], field: "scoringSubnet", rule: "overlaps" },
  { kind: "cidr", name: "bastion subnet /27 too small", args: ["--bastion-subnet", "172.16.2.0/27"], field: "bastionSubnet", rule: "/26" },
  { kind: "cidr", name: "bastion subnet overlapping training", args: ["--bastion-subnet", "172.16.0.0/26"], field: "bastionSubnet", rule: "overlaps" },
  { kind: "cidr", name: "training subnet /30 too small", args: ["--training-subnet", "172.16.0.0/30"], field: "trainingSubnet", rule: "/29" },
  { kind: "cidr", name: "scoring subnet /33", args: ["--scoring-subnet", "172.16.1.0/33"], field: "scoringSubnet", rule: "CIDR" },
  { kind: "cidr", name: "training subnet in the Docker range", args: ["--vnet-address-space", "10.0.0.0/8", "--training-subnet", "172.17.0.0/24"], field: "trainingSubnet", rule: "not inside|Docker" },
  // ---- passwords (never echoed)
  { kind: "password", name: "password too short", env: { SECURE_AML_JUMPBOX_PASSWORD: "Sh0rt-pw!" }, field: "jumpboxPassword", rule: "characters long" },
  { kind: "password", name: "password with one character kind", env: { SECURE_AML_JUMPBOX_PASSWORD: "alllowercaseletters" }, field: "jumpboxPassword", rule: "character kinds" },
  { kind: "password", name: "password too long", env: { SECURE_AML_JUMPBOX_PASSWORD: `${long(124)}A1` }, field: "jumpboxPassword", rule: "characters long" },
  { kind: "password", name: "password on Azure's refused list", env: { SECURE_AML_JUMPBOX_PASSWORD: "P@ssword123" }, field: "jumpboxPassword", rule: "refused|characters long" },
  { kind: "password", name: "password missing", env: { SECURE_AML_JUMPBOX_PASSWORD: null }, field: "jumpboxPassword", rule: "required" },
  { kind: "password", name: "password given as a flag", args: ["--jumpbox-password", "Flag-Given-Pw-123"], field: "jumpboxPassword", rule: "flag|SECURE_AML_JUMPBOX_PASSWORD" },
  // ---- reserved or invalid administrator names
  { kind: "admin", name: "admin name admin", args: ["--jumpbox-admin", "admin"], field: "jumpboxAdmin", rule: "reserved" },
  { kind: "admin", name: "admin name Administrator", args: ["--jumpbox-admin", "Administrator"], field: "jumpboxAdmin", rule: "reserved" },
  { kind: "admin", name: "admin name root", args: ["--jumpbox-admin", "root"], field: "jumpboxAdmin", rule: "reserved" },
  { kind: "admin", name: "admin name with a slash", args: ["--jumpbox-admin", "bad/name"], field: "jumpboxAdmin", rule: "contains" },
  { kind: "admin", name: "admin name ending with a period", args: ["--jumpbox-admin", "name."], field: "jumpboxAdmin", rule: "ends with" },
  { kind: "admin", name: "admin name over 20 characters", args: ["--jumpbox-admin", long(21, "u")], field: "jumpboxAdmin", rule: "characters long" },
  // ---- other values
  { kind: "scalar", name: "unknown region", args: ["--location", "mars"], field: "location", rule: "unknown region" },
  { kind: "scalar", name: "subscription not a GUID", args: ["--subscription", "not-a-guid"], field: "subscriptionId", rule: "GUID" },
  { kind: "scalar", name: "negative minimum nodes", args: ["--cluster-min-nodes", "-1"], field: "clusterMinNodes", rule: "." },
  { kind: "scalar", name: "maximum nodes not a number", args: ["--cluster-max-nodes", "abc"], field: "clusterMaxNodes", rule: "number|integer" },
  { kind: "scalar", name: "shutdown time 2500", args: ["--jumpbox-shutdown-time", "2500"], field: "jumpboxShutdownTime", rule: "HHmm|time" },
  { kind: "scalar", name: "unknown time zone", args: ["--jumpbox-shutdown-timezone", "Mars/Olympus"], field: "jumpboxShutdownTimeZone", rule: "time zone|time-zone" },
  { kind: "scalar", name: "unknown cloud", args: ["--cloud", "MoonCloud"], field: "cloud", rule: "AzureCloud" },
  { kind: "scalar", name: "unknown soft-delete choice", args: ["--key-vault-soft-deleted", "ignore"], field: "keyVaultSoftDeleted", rule: "fail|recover|purge" },
  { kind: "scalar", name: "VM size not a size", args: ["--jumpbox-size", "tiny"], field: "jumpboxSize", rule: "Standard_|size" },
  // ---- run options
  { kind: "run-option", name: "concurrency 0", args: ["--concurrency", "0"], field: "concurrency", rule: "≥ 1|at least 1|whole number" },
  { kind: "run-option", name: "plain-http endpoint", args: ["--endpoint", "http://127.0.0.1:9"], field: "endpoint", rule: "https" },
  { kind: "run-option", name: "missing CA file", args: ["--ca-cert", "/nonexistent/ca.pem"], field: "caCert", rule: "not found" },
  // ---- config files
  { kind: "config-file", name: "config file not JSON", configFile: "{ not json", field: "config", rule: "not valid JSON" },
  { kind: "config-file", name: "config file with an unknown key", configFile: { vnetAdressSpace: "172.16.0.0/16" }, field: "vnetAdressSpace", rule: "unknown key" },
  { kind: "config-file", name: "config file with a wrong number type", configFile: { clusterMaxNodes: "four" }, field: "clusterMaxNodes", rule: "number|integer" },
  { kind: "config-file", name: "config file with a wrong boolean type", configFile: { jumpbox: "yes" }, field: "jumpbox", rule: "boolean" },
  { kind: "config-file", name: "config file holding an array", configFile: [], field: "config", rule: "object" },
  { kind: "config-file", name: "config file holding a password", configFile: { jumpboxPassword: "In-A-File-Pw-123" }, field: "jumpboxPassword", rule: "." },
  { kind: "config-file", name: "config file with an invalid CIDR", configFile: { vnetAddressSpace: "172.17.0.0/16" }, field: "vnetAddressSpace", rule: "Docker" },
  { kind: "config-file", name: "config file not found", missingConfigFile: true, field: "config", rule: "not found" },
  // ---- variables
  { kind: "env", name: "bad CIDR in a variable", env: { SECURE_AML_VNET_ADDRESS_SPACE: "172.16.0.0/99" }, field: "vnetAddressSpace", rule: "CIDR" },
  { kind: "env", name: "bad boolean in a variable", env: { SECURE_AML_JUMPBOX: "maybe" }, field: "jumpbox", rule: "true or false" },
  // ---- state files
  { kind: "state-file", name: "state file from the future", stateFile: `${JSON.stringify({ schemaVersion: 99, createdAt: "x", updatedAt: "x", config: {}, steps: {} })}\n`, field: "state file", rule: "newer" },
  { kind: "state-file", name: "truncated state file", stateFile: canaryState().slice(0, 40), field: "state file", rule: "not valid JSON" },
  { kind: "state-file", name: "empty state file", stateFile: "", field: "state file", rule: "empty|not valid JSON" },
  { kind: "state-file", name: "state file holding an array", stateFile: "[]\n", field: "state file", rule: "object|shape" },
  { kind: "state-file", name: "state file with a secret-looking field", stateFile: `${JSON.stringify({ schemaVersion: 1, createdAt: "x", updatedAt: "x", config: { jumpboxPassword: "x" }, steps: {} })}\n`, field: "state file", rule: "secret" },
];
