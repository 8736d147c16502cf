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
  /**
   * How the no-public-IP compute reaches the internet: "default" (Training and Scoring keep default
   * outbound access, written explicitly as defaultOutboundAccess: true) or "nat-gateway" (a NAT gateway
   * on both, defaultOutboundAccess: false). Default "default".
   */
  outbound?: "default" | "nat-gateway";

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
  /** The jump box's securityProfile.securityType (default Standard, as the tutorial says); fixed at creation. */
  jumpboxSecurityType?: "Standard" | "TrustedLaunch";
  /** Send licenseType "Windows_Client" (the multitenant hosting rights attestation the portal asks for); default true. */
  windowsClientLicense?: boolean;

  bastion: boolean;

  computeCluster: string;
  clusterVmSize: string;
  clusterMinNodes: number; // 0, as the tutorial recommends
  clusterMaxNodes: number;
  computeInstance: string;
  instanceVmSize: string;
  /**
   * Object id of the person the compute instance is assigned to. Unset in flags/files: the command fills
   * it in from the signed-in person's token before any write (src/azure/signed-in.ts).
   */
  computeInstanceUser?: string;
  /** Idle minutes before the compute instance shuts down (idleTimeBeforeShutdown); 0 = never; default 60. */
  computeInstanceIdleShutdown?: number;

  /** Adds queue and table private endpoints on the storage account. */
  batchEndpoints: boolean;
  /** Creates an NSG on the Training subnet with the rules the training page requires. */
  trainingNsg: boolean;
  /**
   * Training page, Azure Databricks: the `default`, `databricks-public` and `databricks-private` subnets
   * (the last two delegated to Microsoft.Databricks/workspaces, behind the Databricks NSG) in this VNet.
   */
  databricks: boolean;
  defaultSubnet: string; // 172.16.8.0/24, subnet name "default"
  databricksPublicSubnet: string; // 172.16.9.0/24, subnet name "databricks-public"
  databricksPrivateSubnet: string; // 172.16.10.0/24, subnet name "databricks-private"
  /** Also create this VNet-injected Azure Databricks workspace (no public IP on its clusters). */
  databricksWorkspace?: string;
  /** The workspace's managed resource group (Azure creates and deletes it with the workspace). */
  databricksManagedResourceGroup?: string;
  /** Training NSG: allow only the service tags training needs outbound, deny the rest of the internet. */
  restrictOutbound: boolean;
  /** What to do when the key vault name is held by a soft-deleted vault. */
  keyVaultSoftDeleted: "fail" | "recover" | "purge";
  /** Seconds one step keeps retrying transient Azure failures (throttling, 5xx, ARM's conflict family). */
  retryTimeout?: number;

  /**
   * Not a setting: the id the first `init` gives this deployment (kept in the state's
   * meta.deploymentId) and stamps on everything it creates (tag secure-aml-deployment, see
   * managedTags in src/steps/common.ts). Destroy, stop, start and purge act only on what carries it.
   */
  deploymentId?: string;

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
  /**
   * Endpoints the person declared trusted with their real Azure token (--trust-endpoint, repeatable,
   * and SECURE_AML_TRUSTED_ENDPOINTS). Without it a real token goes only to the cloud's ARM endpoint.
   */
  trustedEndpoints?: string[];
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
  /** --record FILE: write every ARM request and response of the run there, sanitized (a YAML cassette). */
  record?: string;
  /** --record-subscription ID: the subscription id the cassette shows instead of the real one. */
  recordSubscription?: string;
}
