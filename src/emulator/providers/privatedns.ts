// Microsoft.Network private DNS (its own RP and spec, api-version 2020-06-01): zones, their virtual
// network links and A record sets. Zones and links are global resources.
import { asArray, asObject, asString, isObject, sameText } from "../core/common.js";
import { ArmError, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord, type ResourceTypeHandler } from "../types.js";
import ipaddr from "ipaddr.js";
import { PRIVATE_DNS_LRO, PRIVATE_DNS_API_VERSIONS, badRequest, clone, locationAndTags, patchBase, propertiesOf, refId } from "./network-common.js";
import { latencyOf } from "../../durations.js";

const ZONE = "Microsoft.Network/privateDnsZones";
const LINK = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
const A_RECORD = "Microsoft.Network/privateDnsZones/A";
const VNET = "Microsoft.Network/virtualNetworks";

/** Azure's limits per private DNS zone (Azure subscription and service limits: Azure DNS). */
const MAX_RECORD_SETS = 25000;
const MAX_LINKS = 1000;
const MAX_LINKS_WITH_REGISTRATION = 100;

function trackedBase(ctx: HandlerContext, body: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const result = locationAndTags(body, existing);
  result.etag = ctx.guid();
  return result;
}

/** A DNS name as Azure DNS accepts it: 2 to 34 labels of 1-63 letters, digits, hyphens or underscores; 253 characters at most. */
function checkZoneName(name: string): void {
  const labels = name.replace(/\.$/, "").split(".");
  const valid = name.length <= 253 && labels.length >= 2 && labels.length <= 34 && labels.every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label));
  if (!valid) {
    throw badRequest(
      "BadRequest",
      `The zone name '${name}' is invalid. A private DNS zone name must have at least two labels, each of 1-63 letters, digits, hyphens or underscores.`,
    );
  }
}

function zoneView(ctx: HandlerContext, record: ResourceRecord): JsonObject {
  const body = clone(record.body);
  const properties = asObject(body.properties);
  const links = ctx.store.children(record.id, LINK);
  // Every zone has its SOA record set besides the ones written to it.
  properties.numberOfRecordSets = ctx.store.children(record.id, A_RECORD).length + 1;
  properties.numberOfVirtualNetworkLinks = links.length;
  properties.numberOfVirtualNetworkLinksWithRegistration = links.filter((link) => propertiesOf(link.body).registrationEnabled === true).length;
  body.properties = properties;
  return body;
}

const zoneHandler: ResourceTypeHandler = {
  type: ZONE,
  apiVersions: PRIVATE_DNS_API_VERSIONS,
  location: "global",
  lro: PRIVATE_DNS_LRO,
  latency: latencyOf(ZONE),
  put(ctx, req) {
    checkZoneName(ctx.name);
    const body = trackedBase(ctx, req.body, req.existing);
    body.properties = {
      maxNumberOfRecordSets: MAX_RECORD_SETS,
      numberOfRecordSets: 1,
      maxNumberOfVirtualNetworkLinks: MAX_LINKS,
      numberOfVirtualNetworkLinks: 0,
      maxNumberOfVirtualNetworkLinksWithRegistration: MAX_LINKS_WITH_REGISTRATION,
      numberOfVirtualNetworkLinksWithRegistration: 0,
      internalId: asString(propertiesOf(req.existing?.body).internalId) ?? Buffer.from(`${ctx.id.toLowerCase()};${ctx.guid()}`).toString("base64"),
    };
    return body;
  },
  patch(ctx, req) {
    const body = patchBase(req.existing, req.body.tags);
    body.etag = ctx.guid();
    return body;
  },
  beforeDelete(ctx, record) {
    // Azure refuses to delete a zone that still has virtual network links.
    const links = ctx.store.children(record.id, LINK);
    if (links.length > 0) {
      throw new ArmError(
        409,
        "CannotDeleteResource",
        `The private DNS zone ${record.name} cannot be deleted because it has ${links.length} virtual network link(s): ${links.map((link) => link.name).join(", ")}. Delete the links first.`,
      );
    }
  },
  view: zoneView,
};

const linkHandler: ResourceTypeHandler = {
  type: LINK,
  apiVersions: PRIVATE_DNS_API_VERSIONS,
  location: "global",
  lro: PRIVATE_DNS_LRO,
  latency: latencyOf(LINK),
  put(ctx, req) {
    const input = propertiesOf(req.body);
    const vnetId = refId(input.virtualNetwork);
    const vnet = vnetId ? ctx.store.get(vnetId) : undefined;
    if (!vnetId || !vnet || !sameText(vnet.type, VNET)) {
      throw badRequest("BadRequest", `Virtual network resource not found for '${vnetId ?? "(missing properties.virtualNetwork.id)"}'.`);
    }
    if (req.existing && !sameText(refId(propertiesOf(req.existing.body).virtualNetwork), vnet.id)) {
      throw badRequest("BadRequest", `The virtual network of link ${ctx.name} cannot be changed.`);
    }
    const zoneId = ctx.parentId(ctx.id) ?? "";
    const needle = vnet.id.toLowerCase();
    const duplicate = ctx.store.children(zoneId, LINK).find((link) => !sameText(link.id, ctx.id) && refId(propertiesOf(link.body).virtualNetwork)?.toLowerCase() === needle);
    if (duplicate) {
      throw new ArmError(
        409,
        "Conflict",
        `A virtual network cannot be linked to the same private DNS zone more than once. Virtual network ${vnet.id} is already linked to zone ${zoneId.split("/").pop() ?? ""} by link ${duplicate.name}.`,
      );
    }
    const registrationEnabled = input.registrationEnabled === true;
    if (registrationEnabled) {
      // A virtual network can auto-register its VMs in one private zone only.
      const other = ctx.store
        .listByType(LINK)
        .find(
          (link) => !sameText(link.id, ctx.id) && propertiesOf(link.body).registrationEnabled === true && refId(propertiesOf(link.body).virtualNetwork)?.toLowerCase() === needle,
        );
      if (other) {
        throw new ArmError(
          409,
          "Conflict",
          `Virtual network ${vnet.id} already has auto-registration enabled through link ${other.id}; only one registration zone is allowed per virtual network.`,
        );
      }
    }
    const body = trackedBase(ctx, req.body, req.existing);
    body.properties = {
      virtualNetwork: { id: vnet.id },
      registrationEnabled,
      virtualNetworkLinkState: "Completed",
    };
    return body;
  },
  patch(ctx, req) {
    const body = patchBase(req.existing, req.body.tags);
    const properties = asObject(body.properties);
    const input = propertiesOf(req.body);
    if (typeof input.registrationEnabled === "boolean") properties.registrationEnabled = input.registrationEnabled;
    body.properties = properties;
    body.etag = ctx.guid();
    return body;
  },
};

/** Record sets carry no provisioningState in the private DNS spec. */
function recordView(_ctx: HandlerContext, record: ResourceRecord): JsonObject {
  const body = clone(record.body);
  const properties = asObject(body.properties);
  delete properties.provisioningState;
  body.properties = properties;
  return body;
}

function recordProperties(ctx: HandlerContext, input: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const zoneName = (ctx.parentId(ctx.id) ?? "").split("/").pop() ?? "";
  const aRecords = asArray(input.aRecords).map((item) => {
    const address = asString(asObject(item).ipv4Address) ?? "";
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) {
      throw badRequest("BadRequest", `The IPv4 address '${address}' of record set ${ctx.name} is invalid.`);
    }
    return { ipv4Address: address };
  });
  const ttl = input.ttl === undefined ? (asObject(existing?.body.properties).ttl ?? 3600) : input.ttl;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 0 || ttl > 2147483647) {
    throw badRequest("BadRequest", `The TTL of record set ${ctx.name} must be an integer between 0 and 2147483647.`);
  }
  return {
    metadata: isObject(input.metadata) ? clone(input.metadata) : {},
    ttl,
    fqdn: `${ctx.name === "@" ? "" : `${ctx.name}.`}${zoneName}.`,
    isAutoRegistered: false,
    aRecords,
  };
}

const aRecordHandler: ResourceTypeHandler = {
  type: A_RECORD,
  apiVersions: PRIVATE_DNS_API_VERSIONS,
  location: "none",
  lro: { put: "sync", delete: "sync" },
  latency: latencyOf(A_RECORD),
  // The private DNS spec's RecordSet has no provisioningState.
  provisioningState: false,
  put(ctx, req) {
    return { etag: ctx.guid(), properties: recordProperties(ctx, propertiesOf(req.body), req.existing) };
  },
  patch(ctx, req) {
    const current = propertiesOf(req.existing.body);
    const input = propertiesOf(req.body);
    const merged: JsonObject = { ...clone(current), ...clone(input) };
    return { etag: ctx.guid(), properties: recordProperties(ctx, merged, req.existing) };
  },
  view: recordView,
};

export const privateDnsProvider: EmulatorProvider = {
  namespace: "Microsoft.Network",
  types: [zoneHandler, linkHandler, aRecordHandler],
};
