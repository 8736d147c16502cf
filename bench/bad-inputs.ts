// The bad-input corpus: every case must exit 2, name the field and the rule, send no ARM request and
// leave the state file byte-for-byte as it was. Used by bench/reliability.ts and the CI subset.

export interface BadInputCase {
  name: string;
  /** Flags added to (or replacing) the base init command line. */
  args?: string[];
  /** Arguments appended verbatim (a flag given a second time, a contradicting switch). */
  extraArgs?: string[];
  /** Flags (with their value) removed from the base command line. */
  dropFlags?: string[];
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
  kind: "name" | "cidr" | "password" | "admin" | "scalar" | "config-file" | "env" | "state-file" | "run-option" | "vm-size" | "empty" | "repeated" | "endpoint";
}

export const VALID_PASSWORD = "Reliab1lity-Corpus-Pw";

/** A valid (empty) state document: the canary whose bytes must not change. */
export function canaryState(): string {
  return `${JSON.stringify({ schemaVersion: 1, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:00.000Z", config: {}, steps: {} }, null, 2)}\n`;
}

const long = (n: number, ch = "a"): string => ch.repeat(n);

/** Cases that each give one flag a bad value, as rows of [name, flag, value, field, rule]. */
function oneBadFlag(kind: BadInputCase["kind"], rows: ReadonlyArray<[name: string, flag: string, value: string, field: string, rule: string]>): BadInputCase[] {
  return rows.map(([name, flag, value, field, rule]) => ({ kind, name, args: [flag, value], field, rule }));
}

/** Cases that set SECURE_AML_JUMPBOX_PASSWORD to a bad value (null: unset), as rows of [name, password, rule]. */
function badPasswordVariable(rows: ReadonlyArray<[name: string, password: string | null, rule: string]>): BadInputCase[] {
  return rows.map(([name, password, rule]) => ({ kind: "password", name, env: { SECURE_AML_JUMPBOX_PASSWORD: password }, field: "jumpboxPassword", rule }));
}

export const BAD_INPUTS: readonly BadInputCase[] = [
  // ---- names of each kind
  ...oneBadFlag("name", [
    ["storage account with uppercase and underscore", "--storage-account", "Bad_Name", "storageAccount", "lowercase letters and digits"],
    ["storage account too short", "--storage-account", "ab", "storageAccount", "3-24"],
    ["storage account too long", "--storage-account", long(25), "storageAccount", "3-24"],
    ["key vault starting with a digit", "--key-vault", "1vault", "keyVault", "start with a letter"],
    ["key vault with a double hyphen", "--key-vault", "kv--double", "keyVault", "consecutive hyphens"],
    ["key vault ending with a hyphen", "--key-vault", "kv-end-", "keyVault", "end with a letter or digit"],
    ["registry with a hyphen", "--registry", "acr-with-hyphen", "registry", "letters and digits"],
    ["registry too short", "--registry", "abc", "registry", "5-50"],
    ["workspace starting with a hyphen", "--workspace", "-ws", "workspace", "start with a letter or digit"],
    ["workspace too long", "--workspace", long(34), "workspace", "3-33"],
    ["compute cluster starting with a digit", "--compute-cluster", "1cluster", "computeCluster", "start with a letter"],
    ["compute instance with an underscore", "--compute-instance", "ci_under", "computeInstance", "letters, digits and hyphens"],
    ["compute instance too long", "--compute-instance", long(25, "c"), "computeInstance", "3-24"],
    ["jump box name over 15 characters", "--jumpbox-name", "jump-box-name-too-long", "jumpboxName", "1-15"],
    ["jump box name only digits", "--jumpbox-name", "12345", "jumpboxName", "only digits"],
    ["jump box name ending with a hyphen", "--jumpbox-name", "jump-", "jumpboxName", "hyphen"],
    ["Log Analytics workspace too short", "--log-analytics-workspace", "abc", "logAnalyticsWorkspace", "4-63"],
    ["Log Analytics workspace starting with a hyphen", "--log-analytics-workspace", "-logs", "logAnalyticsWorkspace", "start and end with a letter or digit"],
    ["Application Insights ending with a period", "--app-insights", "appi.", "appInsights", "period"],
    ["virtual network starting with a hyphen", "--vnet-name", "-vnet", "vnetName", "2-64|start"],
    ["resource group ending with a period", "--resource-group", "rg.", "resourceGroup", "period"],
    ["resource group too long", "--resource-group", long(91, "r"), "resourceGroup", "1-90"],
    ["prefix with a space and punctuation", "--prefix", "Bad Prefix!", "prefix", "."],
  ]),
  // ---- CIDRs, overlaps, out of range, Docker
  ...oneBadFlag("cidr", [
    ["address space /33", "--vnet-address-space", "10.0.0.0/33", "vnetAddressSpace", "CIDR"],
    ["address space with host bits", "--vnet-address-space", "10.0.0.1/16", "vnetAddressSpace", "not a network address"],
    ["address space not a CIDR", "--vnet-address-space", "not-a-cidr", "vnetAddressSpace", "CIDR"],
    ["address space is the Docker range", "--vnet-address-space", "172.17.0.0/16", "vnetAddressSpace", "Docker"],
    ["address space containing the Docker range", "--vnet-address-space", "172.16.0.0/12", "vnetAddressSpace", "Docker"],
    ["address space in loopback", "--vnet-address-space", "127.0.0.0/16", "vnetAddressSpace", "loopback"],
    ["address space /30 too small", "--vnet-address-space", "10.0.0.0/30", "vnetAddressSpace", "/29"],
    ["training subnet outside the address space", "--training-subnet", "10.0.0.0/24", "trainingSubnet", "not inside"],
    ["scoring subnet overlapping training", "--scoring-subnet", "172.16.0.0/24", "scoringSubnet", "overlaps"],
    ["bastion subnet /27 too small", "--bastion-subnet", "172.16.2.0/27", "bastionSubnet", "/26"],
    ["bastion subnet overlapping training", "--bastion-subnet", "172.16.0.0/26", "bastionSubnet", "overlaps"],
    ["training subnet /30 too small", "--training-subnet", "172.16.0.0/30", "trainingSubnet", "/29"],
    ["scoring subnet /33", "--scoring-subnet", "172.16.1.0/33", "scoringSubnet", "CIDR"],
  ]),
  {
    kind: "cidr",
    name: "training subnet in the Docker range",
    args: ["--vnet-address-space", "10.0.0.0/8", "--training-subnet", "172.17.0.0/24"],
    field: "trainingSubnet",
    rule: "not inside|Docker",
  },
  // ---- passwords (never echoed)
  ...badPasswordVariable([
    ["password too short", "Sh0rt-pw!", "characters long"],
    ["password with one character kind", "alllowercaseletters", "character kinds"],
    ["password too long", `${long(124)}A1`, "characters long"],
    ["password on Azure's refused list", "P@ssword123", "refused|characters long"],
    ["password missing", null, "required"],
  ]),
  { kind: "password", name: "password given as a flag", args: ["--jumpbox-password", "Flag-Given-Pw-123"], field: "jumpboxPassword", rule: "flag|SECURE_AML_JUMPBOX_PASSWORD" },
  // ---- reserved or invalid administrator names
  ...oneBadFlag("admin", [
    ["admin name admin", "--jumpbox-admin", "admin", "jumpboxAdmin", "reserved"],
    ["admin name Administrator", "--jumpbox-admin", "Administrator", "jumpboxAdmin", "reserved"],
    ["admin name root", "--jumpbox-admin", "root", "jumpboxAdmin", "reserved"],
    ["admin name with a slash", "--jumpbox-admin", "bad/name", "jumpboxAdmin", "contains"],
    ["admin name ending with a period", "--jumpbox-admin", "name.", "jumpboxAdmin", "ends with"],
    ["admin name over 20 characters", "--jumpbox-admin", long(21, "u"), "jumpboxAdmin", "characters long"],
  ]),
  // ---- other values
  ...oneBadFlag("scalar", [
    ["unknown region", "--location", "mars", "location", "unknown region"],
    ["subscription not a GUID", "--subscription", "not-a-guid", "subscriptionId", "GUID"],
    ["negative minimum nodes", "--cluster-min-nodes", "-1", "clusterMinNodes", "."],
    ["maximum nodes not a number", "--cluster-max-nodes", "abc", "clusterMaxNodes", "number|integer"],
    ["shutdown time 2500", "--jumpbox-shutdown-time", "2500", "jumpboxShutdownTime", "HHmm|time"],
    ["unknown time zone", "--jumpbox-shutdown-timezone", "Mars/Olympus", "jumpboxShutdownTimeZone", "time zone|time-zone"],
    ["unknown cloud", "--cloud", "MoonCloud", "cloud", "AzureCloud"],
    ["unknown soft-delete choice", "--key-vault-soft-deleted", "ignore", "keyVaultSoftDeleted", "fail|recover|purge"],
    ["VM size not a size", "--jumpbox-size", "tiny", "jumpboxSize", "Standard_|size"],
  ]),
  // ---- run options
  ...oneBadFlag("run-option", [
    ["concurrency 0", "--concurrency", "0", "concurrency", "≥ 1|at least 1|whole number"],
    ["plain-http endpoint", "--endpoint", "http://127.0.0.1:9", "endpoint", "https"],
    ["missing CA file", "--ca-cert", "/nonexistent/ca.pem", "caCert", "not found"],
  ]),
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
  {
    kind: "state-file",
    name: "state file from the future",
    stateFile: `${JSON.stringify({ schemaVersion: 99, createdAt: "x", updatedAt: "x", config: {}, steps: {} })}\n`,
    field: "state file",
    rule: "newer",
  },
  { kind: "state-file", name: "truncated state file", stateFile: canaryState().slice(0, 40), field: "state file", rule: "not valid JSON" },
  { kind: "state-file", name: "empty state file", stateFile: "", field: "state file", rule: "empty|not valid JSON" },
  { kind: "state-file", name: "state file holding an array", stateFile: "[]\n", field: "state file", rule: "object|shape" },
  {
    kind: "state-file",
    name: "state file with a secret-looking field",
    stateFile: `${JSON.stringify({ schemaVersion: 1, createdAt: "x", updatedAt: "x", config: { jumpboxPassword: "x" }, steps: {} })}\n`,
    field: "state file",
    rule: "secret",
  },
  // ---- issue 12: sizes that do not exist, empty flags, repeated flags, caps, nesting, passwords Azure
  // refuses, endpoints that would receive a real token
  ...oneBadFlag("vm-size", [
    ["jump box size that does not exist", "--jumpbox-size", "Standard_NOPE", "jumpboxSize", "family one of"],
    ["cluster size of an unknown family", "--cluster-vm-size", "Standard_Q8_v3", "clusterVmSize", "family one of"],
    ["instance size of an unknown version", "--instance-vm-size", "Standard_D4s_v9", "instanceVmSize", "family one of"],
    ["Basic tier with a D size", "--jumpbox-size", "Basic_D2", "jumpboxSize", "family one of"],
    ["constrained vCPUs above the size", "--cluster-vm-size", "Standard_E4-8ds_v5", "clusterVmSize", "constrained"],
    ["VM size with a shell character", "--jumpbox-size", "Standard_D2s_v3;reboot", "jumpboxSize", "family one of"],
    ["VM size with 4-digit vCPUs", "--instance-vm-size", "Standard_D1024s_v5", "instanceVmSize", "family one of"],
  ]),
  ...oneBadFlag("empty", [
    ["empty prefix", "--prefix", "", "prefix", "is empty"],
    ["empty location", "--location", "", "location", "is empty"],
    ["empty resource group", "--resource-group", "", "resource", "is empty"],
    ["empty workspace name", "--workspace", "", "workspace", "is empty"],
    ["empty jump box size", "--jumpbox-size", "", "jumpboxSize", "is empty"],
    ["empty endpoint", "--endpoint", "", "endpoint", "is empty"],
    ["empty concurrency", "--concurrency", "", "concurrency", "is empty"],
    ["empty state path", "--state", "", "state", "is empty"],
    ["empty output", "--output", "", "output", "is empty"],
  ]),
  { kind: "repeated", name: "location given twice, different values", extraArgs: ["--location", "westeurope"], field: "location", rule: "given twice with different values" },
  { kind: "repeated", name: "prefix given twice, different values", extraArgs: ["--prefix", "one", "--prefix", "two"], field: "prefix", rule: "given twice with different values" },
  {
    kind: "repeated",
    name: "subscription given twice, different values",
    extraArgs: ["--subscription", "00000000-0000-4000-8000-0000000000ff"],
    field: "subscription",
    rule: "given twice with different values",
  },
  {
    kind: "repeated",
    name: "endpoint given twice, different values",
    extraArgs: ["--endpoint", "https://127.0.0.1:1"],
    field: "endpoint",
    rule: "given twice with different values",
  },
  {
    kind: "repeated",
    name: "concurrency given twice, different values",
    extraArgs: ["--concurrency", "2", "--concurrency", "3"],
    field: "concurrency",
    rule: "given twice with different values",
  },
  {
    kind: "repeated",
    name: "jump box size given twice, different values",
    extraArgs: ["--jumpbox-size", "Standard_D2s_v3", "--jumpbox-size", "Standard_D4s_v3"],
    field: "jumpbox-size",
    rule: "given twice with different values",
  },
  { kind: "repeated", name: "--bastion with --no-bastion", extraArgs: ["--bastion", "--no-bastion"], field: "bastion", rule: "contradictory" },
  { kind: "repeated", name: "--jumpbox with --no-jumpbox", extraArgs: ["--no-jumpbox", "--jumpbox"], field: "jumpbox", rule: "contradictory" },
  ...oneBadFlag("run-option", [
    ["concurrency 10^12", "--concurrency", "1000000000000", "concurrency", "from 1 to 64"],
    ["concurrency 65", "--concurrency", "65", "concurrency", "from 1 to 64"],
    ["concurrency negative", "--concurrency", "-5", "concurrency", "from 1 to 64"],
    ["concurrency a fraction", "--concurrency", "1.5", "concurrency", "from 1 to 64"],
    ["concurrency in exponent form", "--concurrency", "1e3", "concurrency", "from 1 to 64"],
  ]),
  { kind: "run-option", name: "concurrency 10^20 in a variable", env: { SECURE_AML_CONCURRENCY: "100000000000000000000" }, field: "concurrency", rule: "from 1 to 64" },
  { kind: "config-file", name: "config file nested 50,000 levels", configFile: `{"prefix":${"[".repeat(50_000)}${"]".repeat(50_000)}}`, field: "config", rule: "nested more than" },
  { kind: "config-file", name: "config file nested 5 levels in a value", configFile: { prefix: { a: { b: { c: { d: 1 } } } } }, field: "config", rule: "nested more than" },
  { kind: "config-file", name: "config file of 300 KB", configFile: { prefix: long(300_000) }, field: "config", rule: "larger than" },
  {
    kind: "state-file",
    name: "state file nested 100,000 levels",
    stateFile: `{"schemaVersion":1,"createdAt":"x","updatedAt":"x","steps":{},"config":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`,
    field: "state file",
    rule: "nested more than",
  },
  ...badPasswordVariable([
    ["password containing the admin name", "Azureuser-Horse-Battery-9", "administrator name"],
    ["password with a line break", "Correct-Horse\nBattery-9", "control character or line break"],
    ["password with a tab", "Correct-Horse\tBattery-9", "control character or line break"],
    ["password with an escape character", "Correct-Horse\u001bBattery-9", "control character or line break"],
  ]),
  {
    kind: "password",
    name: "password equal to the resource group",
    args: ["--resource-group", "Pw-Equals-Group-9"],
    env: { SECURE_AML_JUMPBOX_PASSWORD: "Pw-Equals-Group-9" },
    field: "jumpboxPassword",
    rule: "same as resourceGroup",
  },
  {
    kind: "password",
    name: "password equal to the VNet name",
    args: ["--vnet-name", "Vnet-Equals-Pw-7"],
    env: { SECURE_AML_JUMPBOX_PASSWORD: "Vnet-Equals-Pw-7" },
    field: "jumpboxPassword",
    rule: "same as vnetName",
  },
  ...oneBadFlag("endpoint", [
    ["remote endpoint not declared trusted", "--endpoint", "https://192.0.2.10", "endpoint", "--trust-endpoint"],
    // IP literals only: judging a host name means resolving it, and the corpus sends nothing off the machine.
    ["remote endpoint on another port", "--endpoint", "https://198.51.100.7:8443", "endpoint", "--trust-endpoint"],
    ["remote IPv6 endpoint", "--endpoint", "https://[2001:db8::1]", "endpoint", "--trust-endpoint"],
    ["unspecified address 0.0.0.0", "--endpoint", "https://0.0.0.0:8443", "endpoint", "--trust-endpoint"],
    ["trusted endpoint over http", "--trust-endpoint", "http://192.0.2.10", "trustEndpoint", "https"],
  ]),
  {
    kind: "endpoint",
    name: "remote endpoint from the environment",
    dropFlags: ["--endpoint"],
    env: { SECURE_AML_ARM_ENDPOINT: "https://192.0.2.11:8443" },
    field: "endpoint",
    rule: "--trust-endpoint",
  },
  {
    kind: "endpoint",
    name: "static test token for a trusted remote endpoint",
    args: ["--endpoint", "https://192.0.2.12", "--trust-endpoint", "https://192.0.2.12"],
    env: { SECURE_AML_CREDENTIAL: "static" },
    field: "credential",
    rule: "static test token",
  },
];
