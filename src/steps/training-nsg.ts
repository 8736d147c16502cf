// Step 15 (training page): with --training-nsg, a network security group on the Training subnet
// with the rules Azure Machine Learning training needs — inbound SSH from the AzureMachineLearning
// service tag for attached VMs/HDInsight, the compute cluster/instance management ports, and the
// outbound service tags that training requires. Rules others add to the NSG are kept.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { NetworkSecurityGroup, SecurityRule, Subnet } from "@azure/arm-network";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { managedTags, SUBNET_TRAINING, converge, outcome, planResource, resourceId, sameId, subnetId, trainingNsgName, type ResourceSpec } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

export interface NsgRule {
  name: string;
  direction: "Inbound" | "Outbound";
  priority: number;
  protocol: "Tcp" | "Udp" | "*";
  source: string;
  destination: string;
  ports: string[];
  /** Why the rule exists (shown by `plan`). */
  reason: string;
}

/** The rules of the training page and the tutorial's compute NSG tip. */
export const trainingNsgRules: NsgRule[] = [
  { name: "AllowAzureMachineLearningSsh", direction: "Inbound", priority: 100, protocol: "*", source: "AzureMachineLearning", destination: "*", ports: ["22"], reason: "attached VM / HDInsight: SSH from Azure Machine Learning" },
  { name: "AllowBatchNodeManagement", direction: "Inbound", priority: 110, protocol: "Tcp", source: "BatchNodeManagement", destination: "*", ports: ["29876-29877"], reason: "compute cluster/instance node management" },
  { name: "AllowAzureMachineLearningCompute", direction: "Inbound", priority: 120, protocol: "Tcp", source: "AzureMachineLearning", destination: "*", ports: ["44224"], reason: "compute instance access" },
  { name: "AllowAzureActiveDirectoryOutbound", direction: "Outbound", priority: 100, protocol: "Tcp", source: "VirtualNetwork", destination: "AzureActiveDirectory", ports: ["80", "443"], reason: "authentication" },
  { name: "AllowAzureMachineLearningOutbound", direction: "Outbound", priority: 110, protocol: "Tcp", source: "VirtualNetwork", destination: "AzureMachineLearning", ports: ["443", "8787", "18881"], reason: "Azure Machine Learning services" },
  { name: "AllowAzureMachineLearningUdpOutbound", direction: "Outbound", priority: 115, protocol: "Udp", source: "VirtualNetwork", destination: "AzureMachineLearning", ports: ["5831"], reason: "Azure Machine Learning services" },
  { name: "AllowBatchNodeManagementOutbound", direction: "Outbound", priority: 120, protocol: "Tcp", source: "VirtualNetwork", destination: "BatchNodeManagement", ports: ["443"], reason: "compute node management" },
  { name: "AllowAzureResourceManagerOutbound", direction: "Outbound", priority: 130, protocol: "Tcp", source: "VirtualNetwork", destination: "AzureResourceManager", ports: ["443"], reason: "Azure Resource Manager" },
  { name: "AllowStorageOutbound", direction: "Outbound", priority: 140, protocol: "Tcp", source: "VirtualNetwork", destination: "Storage", ports: ["443", "445"], reason: "workspace storage" },
  { name: "AllowAzureFrontDoorFrontEndOutbound", direction: "Outbound", priority: 150, protocol: "Tcp", source: "VirtualNetwork", destination: "AzureFrontDoor.FrontEnd", ports: ["443"], reason: "studio" },
  { name: "AllowMicrosoftContainerRegistryOutbound", direction: "Outbound", priority: 160, protocol: "Tcp", source: "VirtualNetwork", destination: "MicrosoftContainerRegistry", ports: ["443"], reason: "Microsoft base images" },
  { name: "AllowAzureFrontDoorFirstPartyOutbound", direction: "Outbound", priority: 170, protocol: "Tcp", source: "VirtualNetwork", destination: "AzureFrontDoor.FirstParty", ports: ["443"], reason: "Microsoft base images" },
  { name: "AllowAzureMonitorOutbound", direction: "Outbound", priority: 180, protocol: "Tcp", source: "VirtualNetwork", destination: "AzureMonitor", ports: ["443"], reason: "metrics and logs" },
];

function toSecurityRule(r: NsgRule): SecurityRule {
  return {
    name: r.name,
    direction: r.direction,
    priority: r.priority,
    protocol: r.protocol,
    access: "Allow",
    sourceAddressPrefix: r.source,
    sourcePortRange: "*",
    destinationAddressPrefix: r.destination,
    ...(r.ports.length === 1 ? { destinationPortRange: r.ports[0] } : { destinationPortRanges: r.ports }),
    description: r.reason,
  };
}

function ruleDiff(actual: SecurityRule | undefined, wanted: NsgRule): string | undefined {
  if (!actual) return `rule ${wanted.name}: missing`;
  const ports = actual.destinationPortRange ? [actual.destinationPortRange] : (actual.destinationPortRanges ?? []);
  const same =
    actual.direction === wanted.direction &&
    actual.priority === wanted.priority &&
    (actual.protocol ?? "").toLowerCase() === wanted.protocol.toLowerCase() &&
    actual.access === "Allow" &&
    (actual.sourceAddressPrefix ?? "").toLowerCase() === wanted.source.toLowerCase() &&
    (actual.destinationAddressPrefix ?? "").toLowerCase() === wanted.destination.toLowerCase() &&
    [...ports].sort().join(",") === [...wanted.ports].sort().join(",");
  return same ? undefined : `rule ${wanted.name}: differs`;
}

function nsgId(config: AzureStepContext["config"]): string {
  return resourceId(config, "Microsoft.Network", "networkSecurityGroups", trainingNsgName(config));
}

function nsgSpec({ config, azure }: AzureStepContext): ResourceSpec<NetworkSecurityGroup> {
  const id = nsgId(config);
  const name = trainingNsgName(config);
  const put = async (existing: NetworkSecurityGroup | undefined) => {
    const ours = new Set(trainingNsgRules.map((r) => r.name.toLowerCase()));
    const others = (existing?.securityRules ?? []).filter((r) => !ours.has((r.name ?? "").toLowerCase()));
    return (await azure.network()).networkSecurityGroups.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      name,
      { ...(existing ?? { location: config.location, tags: managedTags(config) }), securityRules: [...others, ...trainingNsgRules.map(toSecurityRule)] },
      azure.lro(),
    );
  };
  return {
    id,
    kind: "Microsoft.Network/networkSecurityGroups",
    name,
    group: "training-subnet",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.network()).networkSecurityGroups.get(config.resourceGroup, name)),
    provisioningState: (n) => n.provisioningState,
    diff: (n) => {
      const byName = new Map((n.securityRules ?? []).map((r) => [(r.name ?? "").toLowerCase(), r]));
      return trainingNsgRules.map((w) => ruleDiff(byName.get(w.name.toLowerCase()), w)).filter((c): c is string => c !== undefined);
    },
    create: () => put(undefined),
    update: (n) => put(n),
  };
}

function associationSpec({ config, azure }: AzureStepContext): ResourceSpec<Subnet> {
  const id = subnetId(config, SUBNET_TRAINING);
  const put = async (existing: Subnet) =>
    (await azure.network()).subnets.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      config.vnetName,
      SUBNET_TRAINING,
      { ...existing, networkSecurityGroup: { id: nsgId(config) } },
      azure.lro(),
    );
  return {
    id,
    kind: "Microsoft.Network/virtualNetworks/subnets",
    name: SUBNET_TRAINING,
    group: "training-subnet",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.network()).subnets.get(config.resourceGroup, config.vnetName, SUBNET_TRAINING)),
    provisioningState: (s) => s.provisioningState,
    diff: (s) => (sameId(s.networkSecurityGroup?.id, nsgId(config)) ? [] : [`networkSecurityGroup: ${s.networkSecurityGroup?.id ?? "(none)"} → ${trainingNsgName(config)}`]),
    // The subnet itself belongs to the network step, which runs first.
    create: async () => {
      throw new Error(`subnet ${SUBNET_TRAINING} of ${config.vnetName} does not exist; the network step creates it`);
    },
    update: (s) => put(s),
  };
}

export async function runTrainingNsg(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const nsg = await converge(nsgSpec(ctx), ctx.azure, io);
  const assoc = await converge(associationSpec(ctx), ctx.azure, io);
  return { resources: [outcome(nsg), outcome(assoc)], outputs: { trainingNsgId: nsgId(ctx.config) } };
}

export async function planTrainingNsg(ctx: AzureStepContext): Promise<PlannedResource[]> {
  const nsg = await planResource(nsgSpec(ctx));
  const assoc = await planResource(associationSpec(ctx));
  return [nsg, assoc.action === "create" ? { ...assoc, action: "update", changes: [`networkSecurityGroup → ${trainingNsgName(ctx.config)}`] } : assoc];
}

export const trainingNsgStep: Step<AzureStepContext> = {
  id: "training-nsg",
  title: "Training subnet network security group",
  dependsOn: ["network"],
  // the NSG, then the Training subnet's association
  expectedSeconds: chained(writeSeconds("Microsoft.Network/networkSecurityGroups"), writeSeconds("Microsoft.Network/virtualNetworks/subnets", "update")),
  mutex: "vnet",
  run: runTrainingNsg,
  plan: planTrainingNsg,
};
