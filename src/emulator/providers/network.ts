// Microsoft.Network as the secure-workspace tutorial uses it: virtual networks and subnets, public IPs,
// Bastion, NICs, NSGs, private endpoints and their DNS zone groups. Each rule below is one Azure enforces,
// with Azure's error code; see docs/emulator-network.md for the table and the sources.
import type { EmulatorProvider } from "../types.js";
import { zoneGroupHandler } from "./network-dns-zone-groups.js";
import { nicHandler } from "./network-interfaces.js";
import { privateEndpointHandler } from "./network-private-endpoints.js";
import { publicIpHandler, bastionHandler } from "./network-public-ips.js";
import { nsgHandler, securityRuleHandler } from "./network-security-groups.js";
import { virtualNetworkHandler, subnetHandler } from "./network-vnets.js";

// Derivation of record names from a target's names (used by the tests and the zone groups).
export { recordNameFor } from "./network-dns-zone-groups.js";
export const networkProvider: EmulatorProvider = {
  namespace: "Microsoft.Network",
  types: [virtualNetworkHandler, subnetHandler, publicIpHandler, bastionHandler, nicHandler, nsgHandler, securityRuleHandler, privateEndpointHandler, zoneGroupHandler],
};
