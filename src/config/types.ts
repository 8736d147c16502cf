// The typed description of one deployment. Every field here has a flag, a SECURE_AML_* variable and
// a config-file key of the same meaning (see src/config/fields.ts). Nothing secret lives here:
// the jump-box password travels separately as `Secrets` and is never written to state or output.

export type CloudName = "AzureCloud" | "AzureUSGovernment" | "AzureChinaCloud";

export interface DeploymentConfig {
  cloud: CloudName;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  /** Short prefix that every derived name starts from (lowercase letters and digits). */
  prefix: string;

  vnetName: string;
  vnetAddressSpace: string; // 172.16.0.0/16
  trainingSubnet: string; // 172.16.0.0/24, subnet name "Training"
  scoringSubnet: string; // 172.16.1.0/24, subnet name "Scoring"
  bastionSubnet: string; // 172.16.2.0/26, subnet name "AzureBastionSubnet"

  storageAccount: string;
  keyVault: string;
  registry: string;
  workspace: string;
  logAnalyticsWorkspace: string;
  appInsights: string;
  privateLinkScope: string;
  bastionName: string;
  bastionPublicIp: string;

  jumpbox: boolean;
  jumpboxName: string; // Azure VM name; also the Windows computer name (<= 15 chars)
  jumpboxAdmin: string;
  jumpboxSize: string;
  jumpboxShutdownTime: string; // "HHmm", e.g. "1900"
  jumpboxShutdownTimeZone: string; // Windows time-zone id, e.g. "UTC"

  bastion: boolean;

  computeCluster: string;
  clusterVmSize: string;
  clusterMinNodes: number; // 0, as the tutorial recommends
  clusterMaxNodes: number;
  computeInstance: string;
  instanceVmSize: string;

  /** Adds queue and table private endpoints on the storage account. */
  batchEndpoints: boolean;
  /** Creates an NSG on the Training subnet with the rules the training page requires. */
  trainingNsg: boolean;
  /** What to do when the key vault name is held by a soft-deleted vault. */
  keyVaultSoftDeleted: "fail" | "recover" | "purge";

  /** Training page: an Ubuntu VM created in Training and attached to the workspace as a compute target. */
  attachedVm?: string;
  /** PATH of the SSH private key for the attached VM or --attach-compute (the public key: PATH.pub or derived). Only the path is stored. */
  attachedVmSshKeyPath?: string;
  /** The attached VM's (or attached resource's) SSH user; default "azureuser". */
  attachedVmAdmin?: string;
  /** The attached VM's size; default Standard_DS3_v2. */
  attachedVmSize?: string;
  /** Training page: the resource ID of an existing VM or HDInsight cluster to attach instead. */
  attachCompute?: string;
}

/** Values that must never be stored or printed. */
export interface Secrets {
  jumpboxPassword?: string;
}

/** How a command reaches ARM and reports; not part of the deployment. */
export interface RunOptions {
  /** ARM endpoint; default is the cloud's public endpoint. */
  endpoint?: string;
  /** PEM file of the CA that signs the endpoint's certificate (the local emulator's). */
  caCert?: string;
  /** Start a local emulator for the duration of the command. */
  local: boolean;
  concurrency: number;
  statePath: string;
  output: "text" | "json";
  yes: boolean;
  color: boolean;
  /** True when stdin and stderr are terminals and CI is not set. */
  interactive: boolean;
}
