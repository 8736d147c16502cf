// Step 2: the virtual network and its Training, Scoring and AzureBastionSubnet subnets.
// Subnets are written one by one from what was read (never by re-PUTting the VNet with a subnet
// list of our own), so subnets and properties others added — an NSG association, delegations,
// a subnet someone else created — survive every re-run.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { Subnet, VirtualNetwork } from "@azure/arm-network";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import {
  managedTags,
  SUBNET_BASTION,
  SUBNET_SCORING,
  SUBNET_TRAINING,
  compare,
  converge,
  outcome,
  planResource,
  subnetId,
  vnetId,
  type ResourceSpec,
} from "./common.js";
import { writeSeconds } from "../durations.js";

interface WantedSubnet {
  name: string;
  prefix: string;
  /** Private endpoints live in Training; their network policies stay off there (the portal's default for PE subnets). */
  privateEndpointNetworkPolicies?: "Disabled" | "Enabled";
}

export function wantedSubnets(config: AzureStepContext["config"]): WantedSubnet[] {
  return [
    { name: SUBNET_TRAINING, prefix: config.trainingSubnet, privateEndpointNetworkPolicies: "Disabled" },
    { name: SUBNET_SCORING, prefix: config.scoringSubnet, privateEndpointNetworkPolicies: "Disabled" },
    { name: SUBNET_BASTION, prefix: config.bastionSubnet },
  ];
}

function prefixOf(s: Subnet): string | undefined {
  return s.addressPrefix ?? s.addressPrefixes?.[0];
}

function vnetSpec({ config, azure }: AzureStepContext): ResourceSpec<VirtualNetwork> {
  const id = vnetId(config);
  return {
    id,
    kind: "Microsoft.Network/virtualNetworks",
    name: config.vnetName,
    group: "network",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.network()).virtualNetworks.get(config.resourceGroup, config.vnetName)),
    provisioningState: (v) => v.provisioningState,
    diff: (v) => {
      const prefixes = v.addressSpace?.addressPrefixes ?? [];
      return prefixes.includes(config.vnetAddressSpace) ? [] : [`addressSpace: add ${config.vnetAddressSpace}`];
    },
    create: async () =>
      (await azure.network()).virtualNetworks.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.vnetName,
        {
          location: config.location,
          tags: managedTags(config),
          addressSpace: { addressPrefixes: [config.vnetAddressSpace] },
          subnets: wantedSubnets(config).map((s) => ({
            name: s.name,
            addressPrefix: s.prefix,
            ...(s.privateEndpointNetworkPolicies ? { privateEndpointNetworkPolicies: s.privateEndpointNetworkPolicies } : {}),
          })),
        },
        azure.lro(),
      ),
    // Keep everything that is there (subnets included), only add the address space.
    update: async (v) =>
      (await azure.network()).virtualNetworks.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.vnetName,
        { ...v, addressSpace: { ...v.addressSpace, addressPrefixes: [...(v.addressSpace?.addressPrefixes ?? []), config.vnetAddressSpace] } },
        azure.lro(),
      ),
  };
}

function subnetSpec({ config, azure }: AzureStepContext, wanted: WantedSubnet): ResourceSpec<Subnet> {
  const id = subnetId(config, wanted.name);
  const put = async (existing: Subnet | undefined) =>
    (await azure.network()).subnets.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      config.vnetName,
      wanted.name,
      {
        ...(existing ?? {}),
        addressPrefix: wanted.prefix,
        addressPrefixes: undefined,
        ...(wanted.privateEndpointNetworkPolicies ? { privateEndpointNetworkPolicies: wanted.privateEndpointNetworkPolicies } : {}),
      },
      azure.lro(),
    );
  return {
    id,
    kind: "Microsoft.Network/virtualNetworks/subnets",
    name: wanted.name,
    group: "network",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.network()).subnets.get(config.resourceGroup, config.vnetName, wanted.name)),
    provisioningState: (s) => s.provisioningState,
    diff: (s) => {
      const changes: string[] = [];
      compare(changes, "addressPrefix", prefixOf(s), wanted.prefix);
      if (wanted.privateEndpointNetworkPolicies) compare(changes, "privateEndpointNetworkPolicies", s.privateEndpointNetworkPolicies, wanted.privateEndpointNetworkPolicies);
      return changes;
    },
    create: () => put(undefined),
    update: (s) => put(s),
  };
}

export async function runNetwork(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const vnet = await converge(vnetSpec(ctx), ctx.azure, io);
  const subnets = [];
  for (const s of wantedSubnets(ctx.config)) {
    const o = outcome(await converge(subnetSpec(ctx, s), ctx.azure, io));
    // Subnets written as part of a new VNet were created by this run, not found as wanted.
    subnets.push(vnet.action === "created" && o.action === "unchanged" ? { ...o, action: "created" as const } : o);
  }
  return {
    resources: [outcome(vnet), ...subnets],
    outputs: {
      vnetId: vnetId(ctx.config),
      trainingSubnetId: subnetId(ctx.config, SUBNET_TRAINING),
      scoringSubnetId: subnetId(ctx.config, SUBNET_SCORING),
      bastionSubnetId: subnetId(ctx.config, SUBNET_BASTION),
    },
  };
}

export async function planNetwork(ctx: AzureStepContext): Promise<PlannedResource[]> {
  const vnet = await planResource(vnetSpec(ctx));
  if (vnet.action === "create") {
    return [vnet, ...wantedSubnets(ctx.config).map((s) => ({ id: subnetId(ctx.config, s.name), kind: "Microsoft.Network/virtualNetworks/subnets", name: s.name, group: "network", action: "create" as const }))];
  }
  const subnets = await Promise.all(wantedSubnets(ctx.config).map((s) => planResource(subnetSpec(ctx, s))));
  return [vnet, ...subnets];
}

export const networkStep: Step<AzureStepContext> = {
  id: "network",
  title: "Virtual network and subnets",
  dependsOn: ["resource-group"],
  // the VNet, its subnets written inline
  expectedSeconds: writeSeconds("Microsoft.Network/virtualNetworks"),
  mutex: "vnet",
  run: runNetwork,
  plan: planNetwork,
};
