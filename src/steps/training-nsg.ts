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

/** The rules of the training page and the tutorial's compute NSG tip. */
export const trainingNsgRules: NsgRule[] = [
  {
    name: "AllowAzureMachineLearningSsh",
    direction: "Inbound",
    priority: 100,
    protocol: "*",
    source: "AzureMachineLearning",
    destination: "*",
    ports: ["22"],
    reason: "attached VM / HDInsight: SSH from Azure Machine Learning",
  },
  {
    name: "AllowBatchNodeManagement",
    direction: "Inbound",
    priority: 110,
    protocol: "Tcp",
    source: "BatchNodeManagement",
    destination: "*",
    ports: ["29876-29877"],
    reason: "compute cluster/instance node management",
  },
  {
    name: "AllowAzureMachineLearningCompute",
    direction: "Inbound",
    priority: 120,
    protocol: "Tcp",
    source: "AzureMachineLearning",
    destination: "*",
    ports: ["44224"],
    reason: "compute instance access",
  },
  {
    name: "AllowAzureActiveDirectoryOutbound",
    direction: "Outbound",
    priority: 100,
    protocol: "Tcp",
    source: "VirtualNetwork",
    destination: "AzureActiveDirectory",
    ports: ["80", "443"],
    reason: "authentication",
  },
  {
    name: "AllowAzureMachineLearningOutbound",
    direction: "Outbound",
    priority: 110,
    protocol: "Tcp",
    source: "VirtualNetwork",
    destination: "AzureMachineLearning",
    ports: ["443", "8787", "18881"],
    reason: "Azure Machine Learning services",
  },
  {
    name: "AllowAzureMachineLearningUdpOutbound",
    direction: "Outbound",
    priority: 115,
    protocol: "Udp",
    source: "VirtualNetwork",
    destination: "AzureMachineLearning",
    ports: ["5831"],
    reason: "Azure Machine Learning services",
  },
  {
    name: "AllowBatchNodeManagementOutbound",
    direction: "Outbound",
    priority: 120,
    protocol: "Tcp",
    source: "VirtualNetwork",
    destination: "BatchNodeManagement",
    ports: ["443"],
    reason: "compute node management",
  },
  {
    name: "AllowAzureResourceManagerOutbound",
    direction: "Outbound",
    priority: 130,
    protocol: "Tcp",
    source: "VirtualNetwork",
    destination: "AzureResourceManager",
    ports: ["443"],
    reason: "Azure Resource Manager",
  },
  {
    name: "AllowStorageOutbound",
    direction: "Outbound",
    priority: 140,
    protocol: "Tcp",
    source: "VirtualNetwork",
    destination: "Storage",
    ports: ["443", "445"],
    reason: "workspace storage",
  },
  {
    name: "AllowAzureFrontDoorFrontEndOutbound",
    direction: "Outbound",
    priority: 150,
    protocol: "Tcp",
    source: "VirtualNetwork",
    destination: "AzureFrontDoor.FrontEnd",
    ports: ["443"],
    reason: "studio",
  },
  {
    name: "AllowMicrosoftContainerRegistryOutbound",
    direction: "Outbound",
    priority: 160,
    protocol: "Tcp",
    source: "VirtualNetwork",
    destination: "MicrosoftContainerRegistry",
    ports: ["443"],
    reason: "Microsoft base images",
  },
  {
    name: "AllowAzureFrontDoorFirstPartyOutbound",
    direction: "Outbound",
    priority: 170,
    protocol: "Tcp",
    source: "VirtualNetwork",
    destination: "AzureFrontDoor.FirstParty",
    ports: ["443"],
    reason: "Microsoft base images",
  },
  {
    name: "AllowAzureMonitorOutbound",
    direction: "Outbound",
    priority: 180,
    protocol: "Tcp",
    source: "VirtualNetwork",
    destination: "AzureMonitor",
    ports: ["443"],
    reason: "metrics and logs",
  },
];

/**
 * --restrict-outbound: the outbound rules of Microsoft's "Required public internet access to train
 * models" (include machine-learning-public-internet-access.md, MicrosoftDocs/azure-docs), "Required"
 * tab, plus the situational rows this deployment uses; `.region` tags take the workspace's region.
 * Source and the row each rule comes from: docs/verify.md ("restricted-outbound") and README.
 */
export function restrictedOutboundRules(location: string, cloud: string): NsgRule[] {
  const rules: NsgRule[] = [
    {
      name: "AllowAzureActiveDirectoryOutbound",
      direction: "Outbound",
      priority: 100,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: "AzureActiveDirectory",
      ports: ["80", "443"],
      reason: "required: authentication with Microsoft Entra ID",
    },
    {
      name: "AllowAzureMachineLearningOutbound",
      direction: "Outbound",
      priority: 110,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: "AzureMachineLearning",
      ports: ["443", "18881"],
      reason: "required: Azure Machine Learning services (18881: notebook intellisense)",
    },
    {
      name: "AllowAzureMachineLearningUdpOutbound",
      direction: "Outbound",
      priority: 115,
      protocol: "Udp",
      source: "VirtualNetwork",
      destination: "AzureMachineLearning",
      ports: ["5831"],
      reason: "required: compute instance create/update/delete",
    },
    {
      name: "AllowBatchNodeManagementOutbound",
      direction: "Outbound",
      priority: 120,
      protocol: "*",
      source: "VirtualNetwork",
      destination: `BatchNodeManagement.${location}`,
      ports: ["443"],
      reason: "required: Azure Batch back end of compute instances/clusters",
    },
    {
      name: "AllowAzureResourceManagerOutbound",
      direction: "Outbound",
      priority: 130,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: "AzureResourceManager",
      ports: ["443"],
      reason: "required: Azure Resource Manager",
    },
    {
      name: "AllowStorageOutbound",
      direction: "Outbound",
      priority: 140,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: `Storage.${location}`,
      ports: ["443"],
      reason: "required: storage of compute clusters and instances",
    },
    {
      name: "AllowMicrosoftContainerRegistryOutbound",
      direction: "Outbound",
      priority: 160,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: `MicrosoftContainerRegistry.${location}`,
      ports: ["443"],
      reason: "required: Microsoft's Docker images",
    },
    {
      name: "AllowAzureFrontDoorFirstPartyOutbound",
      direction: "Outbound",
      priority: 170,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: "AzureFrontDoor.FirstParty",
      ports: ["443"],
      reason: "required: MicrosoftContainerRegistry depends on it",
    },
    {
      name: "AllowAzureMonitorOutbound",
      direction: "Outbound",
      priority: 180,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: "AzureMonitor",
      ports: ["443"],
      reason: "situational: metrics, logs and support-incident logging",
    },
    {
      name: "AllowAzureContainerRegistryOutbound",
      direction: "Outbound",
      priority: 190,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: `AzureContainerRegistry.${location}`,
      ports: ["443"],
      reason: "situational: custom and modified Docker images (image builds)",
    },
    {
      name: "AllowAzureKeyVaultOutbound",
      direction: "Outbound",
      priority: 200,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: `AzureKeyVault.${location}`,
      ports: ["443"],
      reason: "situational: key vault of the Azure Batch service (high-business-impact workspaces)",
    },
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
  // "AzureFrontDoor.FrontEnd: not needed in Microsoft Azure operated by 21Vianet" (the same include).
  if (cloud !== "AzureChinaCloud") {
    rules.splice(6, 0, {
      name: "AllowAzureFrontDoorFrontEndOutbound",
      direction: "Outbound",
      priority: 150,
      protocol: "Tcp",
      source: "VirtualNetwork",
      destination: "AzureFrontDoor.FrontEnd",
      ports: ["443"],
      reason: "required: studio and AutoML images",
    });
  }
  return rules;
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
  outputs: ({ config }) => ({ trainingNsgId: nsgId(config) }),
});
