// Step 15 (training page): with --training-nsg, a network security group on the Training subnet
// with the rules Azure Machine Learning training needs — inbound SSH from the AzureMachineLearning
// service tag for attached VMs/HDInsight, the compute cluster/instance management ports, and the
// outbound service tags that training requires. Rules others add to the NSG are kept.
// With --restrict-outbound (the page's "Required public internet access to train models"), the
// outbound rules allow exactly the service tags of Microsoft's list, scoped to the workspace's
// region where the tag has a regional form, and a Deny to Internet below them closes the rest.

import type { NetworkSecurityGroup, SecurityRule, Subnet } from "@azure/arm-network";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, change, changesOf, differsId, putOver, type Change, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { SUBNET_TRAINING, placed, resourceId, subnetId, trainingNsgName } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

export interface NsgRule {
  name: string;
  direction: "Inbound" | "Outbound";
  priority: number;
  protocol: "Tcp" | "Udp" | "*";
  /** Allow unless said otherwise (the restricted-outbound Deny). */
  access?: "Allow" | "Deny";
  source: string;
  destination: string;
  ports: string[];
  /** Why the rule exists (shown by `plan`). */
  reason: string;
}

/** An inbound rule to any address of the subnet (every inbound row below has this shape). */
function inbound(name: string, priority: number, protocol: NsgRule["protocol"], source: string, ports: string[], reason: string): NsgRule {
  return { name, direction: "Inbound", priority, protocol, source, destination: "*", ports, reason };
}

/** An outbound rule from the virtual network (every Allow row below has this shape). */
function outbound(name: string, priority: number, protocol: NsgRule["protocol"], destination: string, ports: string[], reason: string): NsgRule {
  return { name, direction: "Outbound", priority, protocol, source: "VirtualNetwork", destination, ports, reason };
}

/** The rules of the training page and the tutorial's compute NSG tip. */
export const trainingNsgRules: NsgRule[] = [
  inbound("AllowAzureMachineLearningSsh", 100, "*", "AzureMachineLearning", ["22"], "attached VM / HDInsight: SSH from Azure Machine Learning"),
  inbound("AllowBatchNodeManagement", 110, "Tcp", "BatchNodeManagement", ["29876-29877"], "compute cluster/instance node management"),
  inbound("AllowAzureMachineLearningCompute", 120, "Tcp", "AzureMachineLearning", ["44224"], "compute instance access"),
  outbound("AllowAzureActiveDirectoryOutbound", 100, "Tcp", "AzureActiveDirectory", ["80", "443"], "authentication"),
  outbound("AllowAzureMachineLearningOutbound", 110, "Tcp", "AzureMachineLearning", ["443", "8787", "18881"], "Azure Machine Learning services"),
  outbound("AllowAzureMachineLearningUdpOutbound", 115, "Udp", "AzureMachineLearning", ["5831"], "Azure Machine Learning services"),
  outbound("AllowBatchNodeManagementOutbound", 120, "Tcp", "BatchNodeManagement", ["443"], "compute node management"),
  outbound("AllowAzureResourceManagerOutbound", 130, "Tcp", "AzureResourceManager", ["443"], "Azure Resource Manager"),
  outbound("AllowStorageOutbound", 140, "Tcp", "Storage", ["443", "445"], "workspace storage"),
  outbound("AllowAzureFrontDoorFrontEndOutbound", 150, "Tcp", "AzureFrontDoor.FrontEnd", ["443"], "studio"),
  outbound("AllowMicrosoftContainerRegistryOutbound", 160, "Tcp", "MicrosoftContainerRegistry", ["443"], "Microsoft base images"),
  outbound("AllowAzureFrontDoorFirstPartyOutbound", 170, "Tcp", "AzureFrontDoor.FirstParty", ["443"], "Microsoft base images"),
  outbound("AllowAzureMonitorOutbound", 180, "Tcp", "AzureMonitor", ["443"], "metrics and logs"),
];

/**
 * --restrict-outbound: the outbound rules of Microsoft's "Required public internet access to train
 * models" (include machine-learning-public-internet-access.md, MicrosoftDocs/azure-docs), "Required"
 * tab, plus the situational rows this deployment uses; `.region` tags take the workspace's region.
 * Source and the row each rule comes from: docs/verify.md ("restricted-outbound") and README.
 */
export function restrictedOutboundRules(location: string, cloud: string): NsgRule[] {
  return [
    outbound("AllowAzureActiveDirectoryOutbound", 100, "Tcp", "AzureActiveDirectory", ["80", "443"], "required: authentication with Microsoft Entra ID"),
    outbound("AllowAzureMachineLearningOutbound", 110, "Tcp", "AzureMachineLearning", ["443", "18881"], "required: Azure Machine Learning services (18881: notebook intellisense)"),
    outbound("AllowAzureMachineLearningUdpOutbound", 115, "Udp", "AzureMachineLearning", ["5831"], "required: compute instance create/update/delete"),
    outbound("AllowBatchNodeManagementOutbound", 120, "*", `BatchNodeManagement.${location}`, ["443"], "required: Azure Batch back end of compute instances/clusters"),
    outbound("AllowAzureResourceManagerOutbound", 130, "Tcp", "AzureResourceManager", ["443"], "required: Azure Resource Manager"),
    outbound("AllowStorageOutbound", 140, "Tcp", `Storage.${location}`, ["443"], "required: storage of compute clusters and instances"),
    // "AzureFrontDoor.FrontEnd: not needed in Microsoft Azure operated by 21Vianet" (the same include).
    ...(cloud === "AzureChinaCloud" ? [] : [outbound("AllowAzureFrontDoorFrontEndOutbound", 150, "Tcp", "AzureFrontDoor.FrontEnd", ["443"], "required: studio and AutoML images")]),
    outbound("AllowMicrosoftContainerRegistryOutbound", 160, "Tcp", `MicrosoftContainerRegistry.${location}`, ["443"], "required: Microsoft's Docker images"),
    outbound("AllowAzureFrontDoorFirstPartyOutbound", 170, "Tcp", "AzureFrontDoor.FirstParty", ["443"], "required: MicrosoftContainerRegistry depends on it"),
    outbound("AllowAzureMonitorOutbound", 180, "Tcp", "AzureMonitor", ["443"], "situational: metrics, logs and support-incident logging"),
    outbound("AllowAzureContainerRegistryOutbound", 190, "Tcp", `AzureContainerRegistry.${location}`, ["443"], "situational: custom and modified Docker images (image builds)"),
    outbound("AllowAzureKeyVaultOutbound", 200, "Tcp", `AzureKeyVault.${location}`, ["443"], "situational: key vault of the Azure Batch service (high-business-impact workspaces)"),
    {
      name: DENY_INTERNET_RULE,
      direction: "Outbound",
      priority: DENY_INTERNET_PRIORITY,
      protocol: "*",
      access: "Deny",
      source: "*",
      destination: "Internet",
      ports: ["*"],
      reason: "restricted outbound: everything else to the internet is denied",
    },
  ];
}

/** The Deny that closes the internet under --restrict-outbound: below every Allow of ours, above Azure's defaults (65000+). */
export const DENY_INTERNET_RULE = "DenyInternetOutbound";
export const DENY_INTERNET_PRIORITY = 4000;

/** The rules this deployment wants on the Training NSG. */
export function trainingNsgRulesFor(config: Pick<AzureStepContext["config"], "restrictOutbound" | "location" | "cloud">): NsgRule[] {
  if (!config.restrictOutbound) return trainingNsgRules;
  return [...trainingNsgRules.filter((r) => r.direction === "Inbound"), ...restrictedOutboundRules(config.location, config.cloud)];
}

/** Every rule name secure-aml has ever written on the Training NSG (a switch between the two sets drops the other's). */
function ourRuleNames(config: Parameters<typeof trainingNsgRulesFor>[0]): Set<string> {
  return new Set([...trainingNsgRules, ...restrictedOutboundRules(config.location, config.cloud)].map((r) => r.name.toLowerCase()));
}

function toSecurityRule(r: NsgRule): SecurityRule {
  return {
    name: r.name,
    direction: r.direction,
    priority: r.priority,
    protocol: r.protocol,
    access: r.access ?? "Allow",
    sourceAddressPrefix: r.source,
    sourcePortRange: "*",
    destinationAddressPrefix: r.destination,
    ...(r.ports.length === 1 ? { destinationPortRange: r.ports[0] } : { destinationPortRanges: r.ports }),
    description: r.reason,
  };
}

function ruleDiff(actual: SecurityRule | undefined, wanted: NsgRule): Change | undefined {
  if (!actual) return change(`securityRules.${wanted.name}`, undefined, wanted.reason);
  const ports = actual.destinationPortRange ? [actual.destinationPortRange] : (actual.destinationPortRanges ?? []);
  const same =
    actual.direction === wanted.direction &&
    actual.priority === wanted.priority &&
    (actual.protocol ?? "").toLowerCase() === wanted.protocol.toLowerCase() &&
    actual.access === (wanted.access ?? "Allow") &&
    (actual.sourceAddressPrefix ?? "").toLowerCase() === wanted.source.toLowerCase() &&
    (actual.destinationAddressPrefix ?? "").toLowerCase() === wanted.destination.toLowerCase() &&
    [...ports].sort().join(",") === [...wanted.ports].sort().join(",");
  return same ? undefined : change(`securityRules.${wanted.name}`, describeRule(actual), describeRule(toSecurityRule(wanted)));
}

/** The compared part of a rule, as data for the plan view. */
function describeRule(r: SecurityRule): Record<string, unknown> {
  const ports = r.destinationPortRange ? [r.destinationPortRange] : (r.destinationPortRanges ?? []);
  return { direction: r.direction, priority: r.priority, protocol: r.protocol, access: r.access, source: r.sourceAddressPrefix, destination: r.destinationAddressPrefix, ports };
}

function nsgId(config: AzureStepContext["config"]): string {
  return resourceId(config, "Microsoft.Network", "networkSecurityGroups", trainingNsgName(config));
}

function nsgSpec({ config, azure }: AzureStepContext): ResourceSpec<NetworkSecurityGroup> {
  const name = trainingNsgName(config);
  const put = async (existing: NetworkSecurityGroup | undefined) => {
    const ours = ourRuleNames(config);
    const others = (existing?.securityRules ?? []).filter((r) => !ours.has((r.name ?? "").toLowerCase()));
    return (await azure.network()).networkSecurityGroups.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      name,
      { ...(existing ?? placed(config)), securityRules: [...others, ...trainingNsgRulesFor(config).map(toSecurityRule)] },
      azure.lro(),
    );
  };
  return {
    ...arm(kinds.networkSecurityGroup, azure, nsgId(config), name, "training-subnet"),
    diff: (n) => {
      const byName = new Map((n.securityRules ?? []).map((r) => [(r.name ?? "").toLowerCase(), r]));
      const wanted = trainingNsgRulesFor(config);
      const wantedNames = new Set(wanted.map((r) => r.name.toLowerCase()));
      // A rule of ours that this configuration no longer wants (after --restrict-outbound is switched) is removed.
      const stale = [...ourRuleNames(config)]
        .filter((name) => !wantedNames.has(name) && byName.has(name))
        .map((name) => change(`securityRules.${byName.get(name)?.name ?? name}`, "present", undefined));
      return [...wanted.map((w) => ruleDiff(byName.get(w.name.toLowerCase()), w)).filter((c): c is Change => c !== undefined), ...stale];
    },
    ...putOver(put),
  };
}

function associationSpec({ config, azure }: AzureStepContext): ResourceSpec<Subnet> {
  const put = async (existing: Subnet) =>
    (await azure.network()).subnets.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      config.vnetName,
      SUBNET_TRAINING,
      { ...existing, networkSecurityGroup: { id: nsgId(config) } },
      azure.lro(),
    );
  return {
    ...arm(kinds.subnet, azure, subnetId(config, SUBNET_TRAINING), SUBNET_TRAINING, "training-subnet"),
    // The subnet itself belongs to the network step, which runs first.
    ownedBy: { step: "network", changes: [change("networkSecurityGroup.id", undefined, nsgId(config))] },
    diff: (s) => changesOf(differsId("networkSecurityGroup.id", s.networkSecurityGroup?.id, nsgId(config))),
    create: () => Promise.reject(new Error(`subnet ${SUBNET_TRAINING} is the network step's`)),
    update: (s) => put(s),
  };
}

export const trainingNsgStep = declareStep<AzureStepContext>({
  id: "training-nsg",
  title: "Training subnet network security group",
  dependsOn: ["network"],
  // the NSG, then the Training subnet's association
  expectedSeconds: chained(writeSeconds("Microsoft.Network/networkSecurityGroups"), writeSeconds("Microsoft.Network/virtualNetworks/subnets", "update")),
  mutex: "vnet",
  resources: (ctx) => [nsgSpec(ctx), associationSpec(ctx)],
});
