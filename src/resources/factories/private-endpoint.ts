// A private endpoint in a subnet and its DNS zone group (which makes Azure write the endpoint's A
// records into the private DNS zones), for any target and sub-resource.

import type { PrivateDnsZoneGroup, PrivateEndpoint } from "@azure/arm-network";
import type { AzureContext } from "../../azure/clients.js";
import * as kinds from "../kinds/index.js";
import { arm, change, compareId, parallel, type Change, type ResourceSpec, type Sequence } from "../spec.js";
import { idIn, type Placement } from "./placement.js";
import { MAX_ZONES_PER_ZONE_GROUP } from "../../azure/clouds.js";

export const DNS_ZONE_GROUP_NAME = "default";

export interface PrivateEndpointWanted {
  name: string;
  /** The resource the endpoint connects to. */
  targetId: string;
  /** Its sub-resource: "blob", "vault", "amlworkspace", ... */
  groupId: string;
  subnetId: string;
  /** Private DNS zone IDs the zone group registers the endpoint in. */
  zoneIds: string[];
}

export function privateEndpointSpec(azure: AzureContext, at: Placement, wanted: PrivateEndpointWanted): ResourceSpec<PrivateEndpoint> {
  const id = idIn(at, "Microsoft.Network", "privateEndpoints", wanted.name);
  return {
    ...arm(kinds.privateEndpoint, azure, id, wanted.name, "training-subnet"),
    diff: (pe) => {
      const changes: Change[] = [];
      compareId(changes, "subnet", pe.subnet?.id, wanted.subnetId);
      const conn = [...(pe.privateLinkServiceConnections ?? []), ...(pe.manualPrivateLinkServiceConnections ?? [])][0];
      compareId(changes, "privateLinkServiceId", conn?.privateLinkServiceId, wanted.targetId);
      const groups = (conn?.groupIds ?? []).map((g) => g.toLowerCase());
      if (groups.length !== 1 || groups[0] !== wanted.groupId.toLowerCase()) changes.push(change("groupIds", conn?.groupIds, [wanted.groupId]));
      const status = conn?.privateLinkServiceConnectionState?.status;
      if (status !== undefined && status.toLowerCase() !== "approved") changes.push(change("connectionState", status, "Approved"));
      return changes;
    },
    create: async () =>
      (await azure.network()).privateEndpoints.beginCreateOrUpdateAndWait(
        at.resourceGroup,
        wanted.name,
        {
          location: at.location,
          tags: { ...at.tags },
          subnet: { id: wanted.subnetId },
          privateLinkServiceConnections: [{ name: wanted.name, privateLinkServiceId: wanted.targetId, groupIds: [wanted.groupId] }],
        },
        azure.lro(),
      ),
  };
}

export function dnsZoneGroupSpec(azure: AzureContext, at: Placement, wanted: PrivateEndpointWanted): ResourceSpec<PrivateDnsZoneGroup> {
  const endpointId = idIn(at, "Microsoft.Network", "privateEndpoints", wanted.name);
  const id = `${endpointId}/privateDnsZoneGroups/${DNS_ZONE_GROUP_NAME}`;
  return {
    ...arm(kinds.privateDnsZoneGroup, azure, id, `${wanted.name}/${DNS_ZONE_GROUP_NAME}`, "private-dns"),
    parentId: endpointId,
    diff: (g) => {
      const actual = (g.privateDnsZoneConfigs ?? []).map((c) => c.privateDnsZoneId ?? "");
      const has = new Set(actual.map((z) => z.toLowerCase()));
      const wants = new Set(wanted.zoneIds.map((z) => z.toLowerCase()));
      const same = has.size === wants.size && [...wants].every((z) => has.has(z));
      return same ? [] : [change("privateDnsZoneConfigs", actual.map(lastSegment), wanted.zoneIds.map(lastSegment))];
    },
    create: async () =>
      (await azure.network()).privateDnsZoneGroups.beginCreateOrUpdateAndWait(
        at.resourceGroup,
        wanted.name,
        DNS_ZONE_GROUP_NAME,
        { privateDnsZoneConfigs: wanted.zoneIds.map((z) => ({ name: lastSegment(z).replace(/\./g, "-"), privateDnsZoneId: z })) },
        azure.lro(),
      ),
  };
}

function lastSegment(id: string): string {
  return id.split("/").pop() ?? id;
}

/**
 * One endpoint per at most MAX_ZONES_PER_ZONE_GROUP zones. An endpoint has one zone group and a group
 * holds at most 5 zones, so a sub-resource with more zones (azuremonitor in Azure Government: 6) gets a
 * second endpoint to the same target, `<name>-2`, whose zone group registers the remaining zones: every
 * name then resolves to one endpoint's addresses, and each endpoint reaches the same target.
 */
export function splitOverZoneGroups(wanted: PrivateEndpointWanted): PrivateEndpointWanted[] {
  if (wanted.zoneIds.length <= MAX_ZONES_PER_ZONE_GROUP) return [wanted];
  const parts: PrivateEndpointWanted[] = [];
  for (let i = 0; i < wanted.zoneIds.length; i += MAX_ZONES_PER_ZONE_GROUP) {
    const index = parts.length;
    parts.push({ ...wanted, name: index === 0 ? wanted.name : `${wanted.name}-${index + 1}`, zoneIds: wanted.zoneIds.slice(i, i + MAX_ZONES_PER_ZONE_GROUP) });
  }
  return parts;
}

/**
 * Endpoints to different targets: all at once, each one then its zone group. The endpoints a split
 * (splitOverZoneGroups) makes to one target go one after another, like any endpoints to one target.
 */
export function endpointsInParallel(azure: AzureContext, at: Placement, wanted: PrivateEndpointWanted[]): Sequence {
  return [
    parallel(
      ...wanted.map((w) => {
        const parts = splitOverZoneGroups(w);
        return parts.length === 1 ? [privateEndpointSpec(azure, at, w), dnsZoneGroupSpec(azure, at, w)] : endpointsOneAfterAnother(azure, at, parts);
      }),
    ),
  ];
}

/**
 * Endpoints to ONE target (a storage account's blob and file): Azure fails concurrent endpoint writes on
 * one account (StorageAccountOperationInProgress), so the endpoints go one after another; each one's
 * zone group runs beside the next endpoint.
 */
export function endpointsOneAfterAnother(azure: AzureContext, at: Placement, wanted: PrivateEndpointWanted[]): Sequence {
  const [first, ...rest] = wanted.flatMap(splitOverZoneGroups);
  if (!first) return [];
  const zoneGroup = dnsZoneGroupSpec(azure, at, first);
  return [privateEndpointSpec(azure, at, first), rest.length > 0 ? parallel(zoneGroup, endpointsOneAfterAnother(azure, at, rest)) : zoneGroup];
}
