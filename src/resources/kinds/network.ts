// Microsoft.Network and Microsoft.Network/privateDnsZones kinds.

import type {
  BastionHost,
  NatGateway,
  NetworkInterface,
  NetworkSecurityGroup,
  PrivateDnsZoneGroup,
  PrivateEndpoint,
  PublicIPAddress,
  SecurityRule,
  Subnet,
  VirtualNetwork,
} from "@azure/arm-network";
import type { PrivateZone, VirtualNetworkLink } from "@azure/arm-privatedns";
import { defineKind, groupOf, nameAt } from "./kind.js";

export const virtualNetwork = defineKind<VirtualNetwork>({
  type: "Microsoft.Network/virtualNetworks",
  read: async (azure, id) => (await azure.network()).virtualNetworks.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (v) => v.provisioningState,
});

export const subnet = defineKind<Subnet>({
  type: "Microsoft.Network/virtualNetworks/subnets",
  read: async (azure, id) => (await azure.network()).subnets.get(groupOf(id), nameAt(id, 0), nameAt(id, 1)),
  provisioningState: (s) => s.provisioningState,
});

export const networkSecurityGroup = defineKind<NetworkSecurityGroup>({
  type: "Microsoft.Network/networkSecurityGroups",
  read: async (azure, id) => (await azure.network()).networkSecurityGroups.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (n) => n.provisioningState,
});

export const publicIpAddress = defineKind<PublicIPAddress>({
  type: "Microsoft.Network/publicIPAddresses",
  read: async (azure, id) => (await azure.network()).publicIPAddresses.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (p) => p.provisioningState,
});

export const natGateway = defineKind<NatGateway>({
  type: "Microsoft.Network/natGateways",
  read: async (azure, id) => (await azure.network()).natGateways.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (n) => n.provisioningState,
});

export const bastionHost = defineKind<BastionHost>({
  type: "Microsoft.Network/bastionHosts",
  read: async (azure, id) => (await azure.network()).bastionHosts.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (b) => b.provisioningState,
});

export const privateEndpoint = defineKind<PrivateEndpoint>({
  type: "Microsoft.Network/privateEndpoints",
  read: async (azure, id) => (await azure.network()).privateEndpoints.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (p) => p.provisioningState,
});

export const privateDnsZoneGroup = defineKind<PrivateDnsZoneGroup>({
  type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
  read: async (azure, id) => (await azure.network()).privateDnsZoneGroups.get(groupOf(id), nameAt(id, 0), nameAt(id, 1)),
  provisioningState: (g) => g.provisioningState,
});

export const networkInterface = defineKind<NetworkInterface>({
  type: "Microsoft.Network/networkInterfaces",
  read: async (azure, id) => (await azure.network()).networkInterfaces.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (n) => n.provisioningState,
});

export const privateDnsZone = defineKind<PrivateZone>({
  type: "Microsoft.Network/privateDnsZones",
  read: async (azure, id) => (await azure.privateDns()).privateZones.get(groupOf(id), nameAt(id, 0)),
  provisioningState: (z) => z.provisioningState,
});

export const virtualNetworkLink = defineKind<VirtualNetworkLink>({
  type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
  read: async (azure, id) => (await azure.privateDns()).virtualNetworkLinks.get(groupOf(id), nameAt(id, 0), nameAt(id, 1)),
  provisioningState: (l) => l.provisioningState,
});

export const securityRule = defineKind<SecurityRule>({
  type: "Microsoft.Network/networkSecurityGroups/securityRules",
  read: async (azure, id) => (await azure.network()).securityRules.get(groupOf(id), nameAt(id, 0), nameAt(id, 1)),
  provisioningState: (r) => r.provisioningState,
});
