// Step 3: Azure Bastion — a Standard, static public IP and a Bastion host in AzureBastionSubnet
// (the only way in to the jump box; optional with --no-bastion).

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { BastionHost, PublicIPAddress } from "@azure/arm-network";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { managedTags, SUBNET_BASTION, compare, converge, outcome, planResource, resourceId, sameId, subnetId, type ResourceSpec } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

function publicIpId(config: AzureStepContext["config"]): string {
  return resourceId(config, "Microsoft.Network", "publicIPAddresses", config.bastionPublicIp);
}

function bastionId(config: AzureStepContext["config"]): string {
  return resourceId(config, "Microsoft.Network", "bastionHosts", config.bastionName);
}

function publicIpSpec({ config, azure }: AzureStepContext): ResourceSpec<PublicIPAddress> {
  const id = publicIpId(config);
  return {
    id,
    kind: "Microsoft.Network/publicIPAddresses",
    name: config.bastionPublicIp,
    group: "network",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.network()).publicIPAddresses.get(config.resourceGroup, config.bastionPublicIp)),
    provisioningState: (p) => p.provisioningState,
    diff: (p) => {
      const changes: string[] = [];
      compare(changes, "sku", p.sku?.name, "Standard");
      compare(changes, "publicIPAllocationMethod", p.publicIPAllocationMethod, "Static");
      return changes;
    },
    create: async () =>
      (await azure.network()).publicIPAddresses.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.bastionPublicIp,
        { location: config.location, tags: managedTags(config), sku: { name: "Standard", tier: "Regional" }, publicIPAllocationMethod: "Static", publicIPAddressVersion: "IPv4" },
        azure.lro(),
      ),
  };
}

function bastionSpec({ config, azure }: AzureStepContext): ResourceSpec<BastionHost> {
  const id = bastionId(config);
  const wantedSubnet = subnetId(config, SUBNET_BASTION);
  const wantedIp = publicIpId(config);
  return {
    id,
    kind: "Microsoft.Network/bastionHosts",
    name: config.bastionName,
    group: "network",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.network()).bastionHosts.get(config.resourceGroup, config.bastionName)),
    provisioningState: (b) => b.provisioningState,
    diff: (b) => {
      const ipc = b.ipConfigurations?.[0];
      const changes: string[] = [];
      if (!sameId(ipc?.subnet?.id, wantedSubnet)) changes.push(`subnet → ${SUBNET_BASTION}`);
      if (!sameId(ipc?.publicIPAddress?.id, wantedIp)) changes.push(`public IP → ${config.bastionPublicIp}`);
      return changes;
    },
    create: async () =>
      (await azure.network()).bastionHosts.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.bastionName,
        {
          location: config.location,
          tags: managedTags(config),
          sku: { name: "Basic" },
          ipConfigurations: [{ name: "IpConf", subnet: { id: wantedSubnet }, publicIPAddress: { id: wantedIp } }],
        },
        azure.lro(),
      ),
  };
}

export async function runBastion(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const ip = await converge(publicIpSpec(ctx), ctx.azure, io);
  const host = await converge(bastionSpec(ctx), ctx.azure, io);
  return { resources: [outcome(ip), outcome(host)], outputs: { bastionId: bastionId(ctx.config) } };
}

export async function planBastion(ctx: AzureStepContext): Promise<PlannedResource[]> {
  return Promise.all([planResource(publicIpSpec(ctx)), planResource(bastionSpec(ctx))]);
}

export const bastionStep: Step<AzureStepContext> = {
  id: "bastion",
  title: "Azure Bastion",
  dependsOn: ["network"],
  // the public IP, then the Bastion host
  expectedSeconds: chained(writeSeconds("Microsoft.Network/publicIPAddresses"), writeSeconds("Microsoft.Network/bastionHosts")),
  mutex: "vnet",
  run: runBastion,
  plan: planBastion,
};
