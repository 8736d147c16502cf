// Step 2: the virtual network and its Training, Scoring and AzureBastionSubnet subnets.
// Subnets are written one by one from what was read (never by re-PUTting the VNet with a subnet
// list of our own), so subnets and properties others added — an NSG association, delegations,
// a subnet someone else created — survive every re-run.

import type { Subnet, VirtualNetwork } from "@azure/arm-network";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, change, changesOf, differs, putOver, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { SUBNET_BASTION, SUBNET_SCORING, SUBNET_TRAINING, subnetId, vnetId, placed } from "./common.js";
import { writeSeconds } from "../durations.js";

export interface WantedSubnet {
  name: string;
  prefix: string;
  /** Private endpoints live in Training; their network policies stay off there (the portal's default for PE subnets). */
  privateEndpointNetworkPolicies?: "Disabled" | "Enabled";
  /**
   * Whether VMs without a public IP get Azure's default outbound access. Written explicitly on Training
   * and Scoring (newer network api-versions make new subnets private): true with --outbound default,
   * false with --outbound nat-gateway (the NAT gateway step gives them explicit outbound).
   */
  defaultOutboundAccess?: boolean;
}

export function wantedSubnets(config: AzureStepContext["config"]): WantedSubnet[] {
  const defaultOutboundAccess = config.outbound !== "nat-gateway";
  return [
    { name: SUBNET_TRAINING, prefix: config.trainingSubnet, privateEndpointNetworkPolicies: "Disabled", defaultOutboundAccess },
    { name: SUBNET_SCORING, prefix: config.scoringSubnet, privateEndpointNetworkPolicies: "Disabled", defaultOutboundAccess },
    { name: SUBNET_BASTION, prefix: config.bastionSubnet },
  ];
}

function prefixOf(s: Subnet): string | undefined {
  return s.addressPrefix ?? s.addressPrefixes?.[0];
}

function vnetSpec({ config, azure }: AzureStepContext): ResourceSpec<VirtualNetwork> {
  return {
    ...arm(kinds.virtualNetwork, azure, vnetId(config), config.vnetName, "network"),
    diff: (v) => {
      const prefixes = v.addressSpace?.addressPrefixes ?? [];
      return prefixes.includes(config.vnetAddressSpace) ? [] : [change("addressSpace.addressPrefixes", prefixes, [...prefixes, config.vnetAddressSpace])];
    },
    create: async () =>
      (await azure.network()).virtualNetworks.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.vnetName,
        {
          ...placed(config),
          addressSpace: { addressPrefixes: [config.vnetAddressSpace] },
          subnets: wantedSubnets(config).map((s) => ({
            name: s.name,
            addressPrefix: s.prefix,
            ...(s.privateEndpointNetworkPolicies ? { privateEndpointNetworkPolicies: s.privateEndpointNetworkPolicies } : {}),
            ...(s.defaultOutboundAccess !== undefined ? { defaultOutboundAccess: s.defaultOutboundAccess } : {}),
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

/**
 * Writes one subnet of the VNet over what is there (other properties others set are kept), with its one
 * address prefix (addressPrefixes cleared) and the properties this step owns.
 */
export async function writeSubnet({ config, azure }: AzureStepContext, existing: Subnet | undefined, name: string, prefix: string, owned: Subnet): Promise<Subnet> {
  return (await azure.network()).subnets.beginCreateOrUpdateAndWait(
    config.resourceGroup,
    config.vnetName,
    name,
    { ...(existing ?? {}), addressPrefix: prefix, addressPrefixes: undefined, ...owned },
    azure.lro(),
  );
}

function subnetSpec(ctx: AzureStepContext, wanted: WantedSubnet): ResourceSpec<Subnet> {
  const { config, azure } = ctx;
  const put = async (existing: Subnet | undefined) =>
    writeSubnet(ctx, existing, wanted.name, wanted.prefix, {
      ...(wanted.privateEndpointNetworkPolicies ? { privateEndpointNetworkPolicies: wanted.privateEndpointNetworkPolicies } : {}),
      ...(wanted.defaultOutboundAccess !== undefined ? { defaultOutboundAccess: wanted.defaultOutboundAccess } : {}),
    });
  return {
    ...arm(kinds.subnet, azure, subnetId(config, wanted.name), wanted.name, "network"),
    // The VNet's first PUT carries the subnets inline.
    parentId: vnetId(config),
    createdWithParent: true,
    diff: (s) =>
      changesOf(
        differs("addressPrefix", prefixOf(s), wanted.prefix),
        wanted.privateEndpointNetworkPolicies ? differs("privateEndpointNetworkPolicies", s.privateEndpointNetworkPolicies, wanted.privateEndpointNetworkPolicies) : undefined,
        // A subnet that does not say has default outbound access (subnets made before the property existed).
        wanted.defaultOutboundAccess !== undefined ? differs("defaultOutboundAccess", s.defaultOutboundAccess ?? true, wanted.defaultOutboundAccess) : undefined,
      ),
    ...putOver(put),
  };
}

export const networkStep = declareStep<AzureStepContext>({
  id: "network",
  title: "Virtual network and subnets",
  dependsOn: ["resource-group"],
  // the VNet, its subnets written inline
  expectedSeconds: writeSeconds("Microsoft.Network/virtualNetworks"),
  mutex: "vnet",
  resources: (ctx) => [vnetSpec(ctx), ...wantedSubnets(ctx.config).map((s) => subnetSpec(ctx, s))],
});
