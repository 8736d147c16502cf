// With --outbound nat-gateway: explicit outbound for the no-public-IP compute, as Microsoft recommends
// now that new subnets lose default outbound access — a Standard static public IP, a NAT gateway using
// it, and the Training and Scoring subnets associated with it (their defaultOutboundAccess is false, set
// by the network step). The subnets belong to the network step; this step only adds the association.

import type { NatGateway, PublicIPAddress, Subnet } from "@azure/arm-network";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, change, changesOf, differs, differsId, putOver, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { SUBNET_SCORING, SUBNET_TRAINING, placed, resourceId, subnetId } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

export function natGatewayName(config: AzureStepContext["config"]): string {
  return `${config.prefix}-nat`;
}
export function natPublicIpName(config: AzureStepContext["config"]): string {
  return `${config.prefix}-nat-pip`;
}
export function natGatewayId(config: AzureStepContext["config"]): string {
  return resourceId(config, "Microsoft.Network", "natGateways", natGatewayName(config));
}
function natPublicIpId(config: AzureStepContext["config"]): string {
  return resourceId(config, "Microsoft.Network", "publicIPAddresses", natPublicIpName(config));
}

/** The subnets whose compute goes out through the gateway. */
export const NAT_SUBNETS = [SUBNET_TRAINING, SUBNET_SCORING] as const;

function publicIpSpec({ config, azure }: AzureStepContext): ResourceSpec<PublicIPAddress> {
  const name = natPublicIpName(config);
  return {
    ...arm(kinds.publicIpAddress, azure, natPublicIpId(config), name, "network"),
    diff: (p) =>
      changesOf(differs("sku", p.sku?.name, "Standard", { immutable: true }), differs("publicIPAllocationMethod", p.publicIPAllocationMethod, "Static", { immutable: true })),
    create: async () =>
      (await azure.network()).publicIPAddresses.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        name,
        { ...placed(config), sku: { name: "Standard", tier: "Regional" }, publicIPAllocationMethod: "Static", publicIPAddressVersion: "IPv4" },
        azure.lro(),
      ),
  };
}

function natGatewaySpec({ config, azure }: AzureStepContext): ResourceSpec<NatGateway> {
  const name = natGatewayName(config);
  const ip = natPublicIpId(config);
  const put = async (existing: NatGateway | undefined) =>
    (await azure.network()).natGateways.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      name,
      {
        ...(existing ?? placed(config)),
        sku: { name: "Standard" },
        publicIpAddresses: [...(existing?.publicIpAddresses ?? []).filter((p) => (p.id ?? "").toLowerCase() !== ip.toLowerCase()), { id: ip }],
      },
      azure.lro(),
    );
  return {
    ...arm(kinds.natGateway, azure, natGatewayId(config), name, "network"),
    diff: (n) =>
      (n.publicIpAddresses ?? []).some((p) => (p.id ?? "").toLowerCase() === ip.toLowerCase())
        ? []
        : [
            change(
              "publicIpAddresses",
              (n.publicIpAddresses ?? []).map((p) => p.id),
              [ip],
            ),
          ],
    ...putOver(put),
  };
}

function associationSpec({ config, azure }: AzureStepContext, subnet: string): ResourceSpec<Subnet> {
  const gateway = natGatewayId(config);
  return {
    ...arm(kinds.subnet, azure, subnetId(config, subnet), subnet, "network"),
    // The subnet itself belongs to the network step, which runs first.
    ownedBy: { step: "network", changes: [change("natGateway.id", undefined, gateway)] },
    diff: (s) => changesOf(differsId("natGateway.id", s.natGateway?.id, gateway)),
    create: () => Promise.reject(new Error(`subnet ${subnet} is the network step's`)),
    update: async (s) =>
      (await azure.network()).subnets.beginCreateOrUpdateAndWait(config.resourceGroup, config.vnetName, subnet, { ...s, natGateway: { id: gateway } }, azure.lro()),
  };
}

export const natGatewayStep = declareStep<AzureStepContext>({
  id: "nat-gateway",
  title: "NAT gateway (explicit outbound)",
  dependsOn: ["network"],
  // the public IP, the gateway, then the two subnet associations one after the other (one VNet)
  expectedSeconds: chained(
    writeSeconds("Microsoft.Network/publicIPAddresses"),
    writeSeconds("Microsoft.Network/natGateways"),
    writeSeconds("Microsoft.Network/virtualNetworks/subnets", "update"),
    writeSeconds("Microsoft.Network/virtualNetworks/subnets", "update"),
  ),
  mutex: "vnet",
  resources: (ctx) => [publicIpSpec(ctx), natGatewaySpec(ctx), ...NAT_SUBNETS.map((s) => associationSpec(ctx, s))],
});
