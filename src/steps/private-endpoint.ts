// Shared by every step that puts a service behind a private endpoint in the Training subnet: the
// endpoint itself and its DNS zone group (which makes Azure write the endpoint's A records into
// the private DNS zones the private-dns step created and linked to the VNet).

import type { PrivateDnsZoneGroup, PrivateEndpoint } from "@azure/arm-network";
import type { PlannedResource, ResourceOutcome, StepIo } from "../engine/types.js";
import type { AzureContext } from "../azure/clients.js";
import type { DeploymentConfig } from "../config/types.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { converge, outcome, planResource, managedTags, SUBNET_TRAINING, privateDnsZoneId, privateEndpointId, sameId, subnetId, type ResourceSpec } from "./common.js";

export interface PrivateEndpointWanted {
  name: string;
  targetId: string;
  groupId: string;
  zones: string[];
}

export const DNS_ZONE_GROUP_NAME = "default";

export function privateEndpointSpec(config: DeploymentConfig, azure: AzureContext, wanted: PrivateEndpointWanted): ResourceSpec<PrivateEndpoint> {
  const id = privateEndpointId(config, wanted.name);
  const subnet = subnetId(config, SUBNET_TRAINING);
  return {
    id,
    kind: "Microsoft.Network/privateEndpoints",
    name: wanted.name,
    group: "training-subnet",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.network()).privateEndpoints.get(config.resourceGroup, wanted.name)),
    provisioningState: (pe) => pe.provisioningState,
    diff: (pe) => {
      const changes: string[] = [];
      if (!sameId(pe.subnet?.id, subnet)) changes.push(`subnet → ${SUBNET_TRAINING}`);
      const conn = [...(pe.privateLinkServiceConnections ?? []), ...(pe.manualPrivateLinkServiceConnections ?? [])][0];
      if (!sameId(conn?.privateLinkServiceId, wanted.targetId)) changes.push(`target → ${wanted.targetId}`);
      const groups = (conn?.groupIds ?? []).map((g) => g.toLowerCase());
      if (groups.length !== 1 || groups[0] !== wanted.groupId.toLowerCase()) changes.push(`sub-resource → ${wanted.groupId}`);
      const status = conn?.privateLinkServiceConnectionState?.status;
      if (status !== undefined && status.toLowerCase() !== "approved") changes.push(`connection ${status} (expected Approved)`);
      return changes;
    },
    create: async () =>
      (await azure.network()).privateEndpoints.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        wanted.name,
        {
          location: config.location,
          tags: managedTags(config),
          subnet: { id: subnet },
          privateLinkServiceConnections: [{ name: wanted.name, privateLinkServiceId: wanted.targetId, groupIds: [wanted.groupId] }],
        },
        azure.lro(),
      ),
  };
}

export function dnsZoneGroupSpec(config: DeploymentConfig, azure: AzureContext, wanted: PrivateEndpointWanted): ResourceSpec<PrivateDnsZoneGroup> {
  const id = `${privateEndpointId(config, wanted.name)}/privateDnsZoneGroups/${DNS_ZONE_GROUP_NAME}`;
  const zoneIds = wanted.zones.map((z) => privateDnsZoneId(config, z));
  return {
    id,
    kind: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
    name: `${wanted.name}/${DNS_ZONE_GROUP_NAME}`,
    group: "private-dns",
    read: async () =>
      getOrUndefined({ resource: id }, async () => (await azure.network()).privateDnsZoneGroups.get(config.resourceGroup, wanted.name, DNS_ZONE_GROUP_NAME)),
    provisioningState: (g) => g.provisioningState,
    diff: (g) => {
      const actual = new Set((g.privateDnsZoneConfigs ?? []).map((c) => (c.privateDnsZoneId ?? "").toLowerCase()));
      const missing = zoneIds.filter((z) => !actual.has(z.toLowerCase()));
      const extra = actual.size - (zoneIds.length - missing.length);
      const changes = missing.map((z) => `zone ${z.split("/").pop()}: missing`);
      if (extra > 0) changes.push(`${extra} unexpected zone(s)`);
      return changes;
    },
    create: async () =>
      (await azure.network()).privateDnsZoneGroups.beginCreateOrUpdateAndWait(
        config.resourceGroup,
        wanted.name,
        DNS_ZONE_GROUP_NAME,
        { privateDnsZoneConfigs: wanted.zones.map((z) => ({ name: z.replace(/\./g, "-"), privateDnsZoneId: privateDnsZoneId(config, z) })) },
        azure.lro(),
      ),
  };
}

/** Converges endpoints (in parallel) and then each one's DNS zone group. */
export async function convergeEndpoints(
  config: DeploymentConfig,
  azure: AzureContext,
  io: StepIo,
  wanted: PrivateEndpointWanted[],
): Promise<ResourceOutcome[]> {
  const results = await Promise.all(
    wanted.map(async (w) => {
      const pe = await converge(privateEndpointSpec(config, azure, w), azure, io);
      const dns = await converge(dnsZoneGroupSpec(config, azure, w), azure, io);
      return [outcome(pe), outcome(dns)];
    }),
  );
  return results.flat();
}

export async function planEndpoints(
  config: DeploymentConfig,
  azure: AzureContext,
  wanted: PrivateEndpointWanted[],
): Promise<PlannedResource[]> {
  const plans = await Promise.all(
    wanted.map(async (w) => [await planResource(privateEndpointSpec(config, azure, w)), await planResource(dnsZoneGroupSpec(config, azure, w))]),
  );
  return plans.flat();
}
