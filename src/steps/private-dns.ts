// Step 9: the private DNS zones (global resources) every private endpoint needs, each linked to the
// VNet without auto-registration. Zone names depend on the cloud (src/azure/clouds.ts).

import type { PrivateZone, VirtualNetworkLink } from "@azure/arm-privatedns";
import type { AzureStepContext } from "./context.js";
import { allZoneNames } from "../azure/clouds.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, differsId, parallel, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { dnsLinkName, managedTags, privateDnsZoneId, vnetId } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

function zoneSpec({ config, azure }: AzureStepContext, zone: string): ResourceSpec<PrivateZone> {
  return {
    ...arm(kinds.privateDnsZone, azure, privateDnsZoneId(config, zone), zone, "private-dns"),
    diff: () => [],
    create: async () =>
      (await azure.privateDns()).privateZones.beginCreateOrUpdateAndWait(config.resourceGroup, zone, { location: "global", tags: managedTags(config) }, azure.lro()),
  };
}

function linkSpec({ config, azure }: AzureStepContext, zone: string): ResourceSpec<VirtualNetworkLink> {
  const name = dnsLinkName(config);
  const put = async () =>
    (await azure.privateDns()).virtualNetworkLinks.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      zone,
      name,
      { location: "global", tags: managedTags(config), virtualNetwork: { id: vnetId(config) }, registrationEnabled: false },
      azure.lro(),
    );
  return {
    ...arm(kinds.virtualNetworkLink, azure, `${privateDnsZoneId(config, zone)}/virtualNetworkLinks/${name}`, `${zone}/${name}`, "private-dns"),
    parentId: privateDnsZoneId(config, zone),
    diff: (l) => changesOf(differsId("virtualNetwork.id", l.virtualNetwork?.id, vnetId(config)), differs("registrationEnabled", l.registrationEnabled ?? false, false)),
    create: put,
    update: put,
  };
}

function zones(ctx: AzureStepContext): string[] {
  return allZoneNames(ctx.azure.cloud, ctx.config.batchEndpoints);
}

export const privateDnsStep = declareStep<AzureStepContext>({
  id: "private-dns",
  title: "Private DNS zones",
  dependsOn: ["network"],
  // zones in parallel, each zone then its VNet link
  expectedSeconds: chained(writeSeconds("Microsoft.Network/privateDnsZones"), writeSeconds("Microsoft.Network/privateDnsZones/virtualNetworkLinks")),
  resources: (ctx) => [parallel(...zones(ctx).map((zone) => [zoneSpec(ctx, zone), linkSpec(ctx, zone)]))],
});
