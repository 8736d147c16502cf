// Step 3: Azure Bastion — a Standard, static public IP and a Bastion host in AzureBastionSubnet
// (the only way in to the jump box; optional with --no-bastion).

import type { BastionHost, PublicIPAddress } from "@azure/arm-network";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, differsId, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { SUBNET_BASTION, resourceId, subnetId, placed } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

function publicIpId(config: AzureStepContext["config"]): string {
  return resourceId(config, "Microsoft.Network", "publicIPAddresses", config.bastionPublicIp);
}

function bastionId(config: AzureStepContext["config"]): string {
  return resourceId(config, "Microsoft.Network", "bastionHosts", config.bastionName);
}

function publicIpSpec({ config, azure }: AzureStepContext): ResourceSpec<PublicIPAddress> {
  return {
    ...arm(kinds.publicIpAddress, azure, publicIpId(config), config.bastionPublicIp, "network"),
    diff: (p) => changesOf(differs("sku", p.sku?.name, "Standard"), differs("publicIPAllocationMethod", p.publicIPAllocationMethod, "Static")),
    create: async () =>
      (await azure.network()).publicIPAddresses.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        config.bastionPublicIp,
        { ...placed(config), sku: { name: "Standard", tier: "Regional" }, publicIPAllocationMethod: "Static", publicIPAddressVersion: "IPv4" },
        azure.lro(),
      ),
  };
}

function bastionSpec({ config, azure }: AzureStepContext): ResourceSpec<BastionHost> {
  const wantedSubnet = subnetId(config, SUBNET_BASTION);
  const wantedIp = publicIpId(config);
  const host: BastionHost = {
    ...placed(config),
    sku: { name: "Basic" },
    ipConfigurations: [{ name: "IpConf", subnet: { id: wantedSubnet }, publicIPAddress: { id: wantedIp } }],
  };
  return {
    ...arm(kinds.bastionHost, azure, bastionId(config), config.bastionName, "network"),
    diff: (b) => {
      const ipc = b.ipConfigurations?.[0];
      return changesOf(differsId("ipConfigurations.subnet", ipc?.subnet?.id, wantedSubnet), differsId("ipConfigurations.publicIPAddress", ipc?.publicIPAddress?.id, wantedIp));
    },
    create: async () => (await azure.network()).bastionHosts.beginCreateOrUpdateAndWait(config.resourceGroup, config.bastionName, host, azure.lro()),
  };
}

export const bastionStep = declareStep<AzureStepContext>({
  id: "bastion",
  title: "Azure Bastion",
  dependsOn: ["network"],
  // the public IP, then the Bastion host
  expectedSeconds: chained(writeSeconds("Microsoft.Network/publicIPAddresses"), writeSeconds("Microsoft.Network/bastionHosts")),
  mutex: "vnet",
  resources: (ctx) => [publicIpSpec(ctx), bastionSpec(ctx)],
});
