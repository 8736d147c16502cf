// Private DNS zone groups: the A records of an endpoint's names in its private DNS zones.
// Part of the Microsoft.Network provider (network.ts); rules and sources: docs/emulator-network.md.
import { asArray, asObject, asString, sameText } from "../core/common.js";
import type { HandlerContext, Json, JsonObject, ResourceRecord, ResourceStore, ResourceTypeHandler } from "../types.js";
import { ASYNC_LRO, NETWORK_API_VERSIONS, badRequest, clone, invalidReference, lastSegment, propertiesOf, resourceGroupNameOf, weakEtag } from "./network-common.js";
import { latencyOf } from "../../durations.js";
import { A_RECORD, PRIVATE_DNS_ZONE, ZONE_GROUP, ZONE_GROUP_RECORD_TTL, requireRecord } from "./network-shared.js";

// Private DNS zone groups: the A records of an endpoint's names in its private DNS zones

/**
 * Public DNS suffixes a privatelink zone answers for, when the zone name is not simply
 * "privatelink." + the public suffix (Key Vault: vault.azure.net is served by privatelink.vaultcore.azure.net).
 */
export const ZONE_ALIASES: Record<string, readonly string[]> = {
  "privatelink.vaultcore.azure.net": ["vault.azure.net"],
  "privatelink.vaultcore.usgovcloudapi.net": ["vault.usgovcloudapi.net"],
  "privatelink.vaultcore.azure.cn": ["vault.azure.cn"],
};

/** The record name for `fqdn` in `zoneName`, or undefined when the zone does not serve that name. */
export function recordNameFor(fqdn: string, zoneName: string): string | undefined {
  const zone = zoneName.toLowerCase().replace(/\.$/, "");
  const name = fqdn.toLowerCase().replace(/\.$/, "");
  const suffixes = [zone.replace(/^privatelink\./, ""), ...(ZONE_ALIASES[zone] ?? [])];
  for (const suffix of suffixes) {
    if (name.endsWith(`.${suffix}`)) {
      const label = name.slice(0, name.length - suffix.length - 1);
      if (label.length > 0) return label;
    }
  }
  return undefined;
}

export interface PlannedRecord {
  zoneId: string;
  zoneName: string;
  recordName: string;
  addresses: string[];
}

export function plannedRecordsFromGroup(groupBody: JsonObject): PlannedRecord[] {
  const planned: PlannedRecord[] = [];
  for (const config of asArray(propertiesOf(groupBody).privateDnsZoneConfigs)) {
    const properties = propertiesOf(asObject(config));
    const zoneId = asString(properties.privateDnsZoneId) ?? "";
    for (const recordSet of asArray(properties.recordSets)) {
      const item = asObject(recordSet);
      planned.push({
        zoneId,
        zoneName: lastSegment(zoneId),
        recordName: asString(item.recordSetName) ?? "",
        addresses: asArray(item.ipAddresses).filter((value): value is string => typeof value === "string"),
      });
    }
  }
  return planned;
}

export function aRecordId(zoneId: string, recordName: string): string {
  return `${zoneId}/A/${recordName}`;
}

/** Removes `addresses` from an A record; the record goes when it has none left. */
export function removeAddresses(store: ResourceStore, zoneId: string, recordName: string, addresses: readonly string[]): void {
  const record = store.get(aRecordId(zoneId, recordName));
  if (!record) return;
  const drop = new Set(addresses);
  const properties = propertiesOf(record.body);
  const kept = asArray(properties.aRecords).filter((item) => !drop.has(asString(asObject(item).ipv4Address) ?? ""));
  if (kept.length === 0) {
    store.remove(record.id);
    return;
  }
  store.upsert({ ...record, body: { ...clone(record.body), properties: { ...clone(properties), aRecords: kept } } });
}

export function removeZoneGroupRecords(store: ResourceStore, groupBody: JsonObject): void {
  for (const planned of plannedRecordsFromGroup(groupBody)) removeAddresses(store, planned.zoneId, planned.recordName, planned.addresses);
}

/** Fallback when an endpoint's zone groups are already gone: its names and addresses in every zone. */
export function removeRecordsOfEndpoint(store: ResourceStore, endpoint: ResourceRecord): void {
  const configs = asArray(propertiesOf(endpoint.body).customDnsConfigs).map((item) => asObject(item));
  if (configs.length === 0) return;
  for (const zone of store.listByType(PRIVATE_DNS_ZONE)) {
    for (const config of configs) {
      const recordName = recordNameFor(asString(config.fqdn) ?? "", zone.name);
      if (!recordName) continue;
      const addresses = asArray(config.ipAddresses).filter((value): value is string => typeof value === "string");
      removeAddresses(store, zone.id, recordName, addresses);
    }
  }
}

export function writeARecord(ctx: HandlerContext, planned: PlannedRecord): void {
  const id = aRecordId(planned.zoneId, planned.recordName);
  const existing = ctx.store.get(id);
  const zone = ctx.store.get(planned.zoneId);
  const zoneName = zone?.name ?? planned.zoneName;
  ctx.store.upsert({
    id: existing?.id ?? id,
    type: A_RECORD,
    name: planned.recordName,
    resourceGroup: resourceGroupNameOf(planned.zoneId),
    subscriptionId: ctx.subscriptionId,
    apiVersion: "2020-06-01",
    body: {
      id: existing?.id ?? id,
      name: planned.recordName,
      type: A_RECORD,
      etag: ctx.guid(),
      properties: {
        metadata: {},
        ttl: ZONE_GROUP_RECORD_TTL,
        fqdn: `${planned.recordName}.${zoneName}.`,
        isAutoRegistered: false,
        aRecords: planned.addresses.map((ipv4Address) => ({ ipv4Address })),
      },
    },
    ...(existing ? { createdAt: existing.createdAt } : {}),
  });
}

export const zoneGroupHandler: ResourceTypeHandler = {
  type: ZONE_GROUP,
  apiVersions: NETWORK_API_VERSIONS,
  location: "none",
  lro: ASYNC_LRO,
  latency: latencyOf(ZONE_GROUP),
  put(ctx, req) {
    const endpointId = ctx.parentId(ctx.id) ?? "";
    const endpoint = requireRecord(ctx.store, endpointId, ctx.id);
    const others = ctx.store.children(endpoint.id, ZONE_GROUP).filter((group) => !sameText(group.id, ctx.id));
    if (others.length > 0) {
      throw badRequest("OnlyOnePrivateDnsZoneGroupAllowed", `Private endpoint ${endpoint.id} already has the private DNS zone group ${others[0]?.id ?? ""}; only one is allowed.`);
    }
    const configs = asArray(propertiesOf(req.body).privateDnsZoneConfigs);
    if (configs.length === 0 || configs.length > 5) {
      throw badRequest("InvalidPrivateDnsZoneConfigCount", `Private DNS zone group ${ctx.id} must have between 1 and 5 private DNS zone configurations; it has ${configs.length}.`);
    }
    const dnsConfigs = asArray(propertiesOf(endpoint.body).customDnsConfigs).map((item) => asObject(item));
    const seenZones = new Set<string>();
    const privateDnsZoneConfigs = configs.map((item, index) => {
      const config = asObject(item);
      const name = asString(config.name) ?? `config${index + 1}`;
      const zoneId = asString(propertiesOf(config).privateDnsZoneId);
      const zone = requireRecord(ctx.store, zoneId, ctx.id);
      if (!sameText(zone.type, PRIVATE_DNS_ZONE)) throw invalidReference(zone.id, ctx.id);
      if (seenZones.has(zone.id.toLowerCase())) {
        throw badRequest("DuplicatePrivateDnsZoneIds", `Private DNS zone ${zone.id} is listed more than once in ${ctx.id}.`);
      }
      seenZones.add(zone.id.toLowerCase());
      const recordSets: Json[] = [];
      for (const dnsConfig of dnsConfigs) {
        const fqdn = asString(dnsConfig.fqdn) ?? "";
        const recordName = recordNameFor(fqdn, zone.name);
        if (!recordName) continue;
        recordSets.push({
          recordType: "A",
          recordSetName: recordName,
          fqdn: `${recordName}.${zone.name}`,
          provisioningState: "Succeeded",
          ttl: ZONE_GROUP_RECORD_TTL,
          ipAddresses: clone(asArray(dnsConfig.ipAddresses)),
        });
      }
      return { name, properties: { privateDnsZoneId: zone.id, recordSets } };
    });
    const body: JsonObject = { etag: weakEtag(ctx.guid()), properties: { privateDnsZoneConfigs } };
    // An update that drops a zone or a name removes what the previous version wrote.
    if (req.existing) {
      const next = new Set(plannedRecordsFromGroup(body).map((planned) => aRecordId(planned.zoneId, planned.recordName).toLowerCase()));
      for (const planned of plannedRecordsFromGroup(req.existing.body)) {
        if (!next.has(aRecordId(planned.zoneId, planned.recordName).toLowerCase())) removeAddresses(ctx.store, planned.zoneId, planned.recordName, planned.addresses);
      }
    }
    return body;
  },
  onSucceeded(ctx, record) {
    for (const planned of plannedRecordsFromGroup(record.body)) writeARecord(ctx, planned);
  },
  // Azure's zone group (and its spec) has id, name, etag and properties, but no type.
  view(_ctx, record) {
    const body = clone(record.body);
    delete body.type;
    return body;
  },
  onDeleted(ctx, record) {
    removeZoneGroupRecords(ctx.store, record.body);
  },
};
