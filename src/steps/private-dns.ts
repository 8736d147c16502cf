// Step 9: the private DNS zones (global resources) every private endpoint needs, each linked to the
// VNet without auto-registration. Zone names depend on the cloud (src/azure/clouds.ts).

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { PrivateZone, VirtualNetworkLink } from "@azure/arm-privatedns";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { allZoneNames } from "../azure/clouds.js";
import { managedTags, compare, converge, dnsLinkName, outcome, planResource, privateDnsZoneId, sameId, vnetId, type ResourceSpec } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

function zoneSpec({ config, azure }: AzureStepContext, zone: string): ResourceSpec<PrivateZone> {
  const id = privateDnsZoneId(config, zone);
  return {
    id,
    kind: "Microsoft.Network/privateDnsZones",
    name: zone,
    group: "private-dns",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.privateDns()).privateZones.get(config.resourceGroup, zone)),
    provisioningState: (z) => z.provisioningState,
    diff: () => [],
    create: async () =>
      (await azure.privateDns()).privateZones.beginCreateOrUpdateAndWait(config.resourceGroup, zone, { location: "global", tags: managedTags(config) }, azure.lro()),
  };
}

function linkSpec({ config, azure }: AzureStepContext, zone: string): ResourceSpec<VirtualNetworkLink> {
  const name = dnsLinkName(config);
  const id = `${privateDnsZoneId(config, zone)}/virtualNetworkLinks/${name}`;
  const put = async () =>
    (await azure.privateDns()).virtualNetworkLinks.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      zone,
      name,
      { location: "global", tags: managedTags(config), virtualNetwork: { id: vnetId(config) }, registrationEnabled: false },
      azure.lro(),
    );
  return {
    id,
    kind: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    name: `${zone}/${name}`,
    group: "private-dns",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.privateDns()).virtualNetworkLinks.get(config.resourceGroup, zone, name)),
    provisioningState: (l) => l.provisioningState,
    diff: (l) => {
      const changes: string[] = [];
      if (!sameId(l.virtualNetwork?.id, vnetId(config))) changes.push(`virtualNetwork → ${config.vnetName}`);
      compare(changes, "registrationEnabled", l.registrationEnabled ?? false, false);
      return changes;
    },
    create: put,
    update: put,
  };
}

export async function runPrivateDns(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const zones = allZoneNames(ctx.azure.cloud, ctx.config.batchEndpoints);
  // Zones are independent of each other; a zone and its link are not.
  const perZone = await Promise.all(
    zones.map(async (zone) => {
      const z = await converge(zoneSpec(ctx, zone), ctx.azure, io);
      const l = await converge(linkSpec(ctx, zone), ctx.azure, io);
      return [outcome(z), outcome(l)];
    }),
  );
  return { resources: perZone.flat(), outputs: { zones: zones.join(",") } };
}

export async function planPrivateDns(ctx: AzureStepContext): Promise<PlannedResource[]> {
  const zones = allZoneNames(ctx.azure.cloud, ctx.config.batchEndpoints);
  const perZone = await Promise.all(
    zones.map(async (zone) => {
      const z = await planResource(zoneSpec(ctx, zone));
      const l = z.action === "create" ? { ...(await linkPlanned(ctx, zone)), action: "create" as const } : await planResource(linkSpec(ctx, zone));
      return [z, l];
    }),
  );
  return perZone.flat();
}

async function linkPlanned(ctx: AzureStepContext, zone: string): Promise<PlannedResource> {
  const s = linkSpec(ctx, zone);
  return { id: s.id, kind: s.kind, name: s.name, group: s.group, action: "create" };
}

export const privateDnsStep: Step<AzureStepContext> = {
  id: "private-dns",
  title: "Private DNS zones",
  dependsOn: ["network"],
  // zones in parallel, each zone then its VNet link
  expectedSeconds: chained(writeSeconds("Microsoft.Network/privateDnsZones"), writeSeconds("Microsoft.Network/privateDnsZones/virtualNetworkLinks")),
  run: runPrivateDns,
  plan: planPrivateDns,
};
