// Microsoft.Network/natGateways: explicit outbound for subnets whose compute has no public IP
// (`--outbound nat-gateway`). Rules, from the NAT gateway REST spec and Microsoft's NAT gateway docs:
// SKU Standard only; the public IP addresses must exist, be Standard and Static, and be in the gateway's
// region; one public IP serves one NAT gateway; the subnets that use a gateway are shown on it
// (`subnets`, read-only); a gateway still used by a subnet cannot be deleted (InUseNatGatewayCannotBeDeleted).
// Kept in its own file and registered beside the network provider (providers/index.ts).

import { asArray, asObject, asString, sameRegion, sameText } from "../core/common.js";
import type { EmulatorProvider, HandlerContext, JsonObject, ResourceRecord, ResourceTypeHandler, WriteRequest } from "../types.js";
import { ASYNC_LRO, NETWORK_API_VERSIONS, badRequest, clone, invalidReference, locationAndTags, patchBase, propertiesOf, refId, weakEtag } from "./network-common.js";
import { latencyOf } from "../../durations.js";

export const NAT_GATEWAY = "Microsoft.Network/natGateways";
const PUBLIC_IP = "Microsoft.Network/publicIPAddresses";
const SUBNET = "Microsoft.Network/virtualNetworks/subnets";

/** Subnets whose natGateway is `gatewayId`. */
function subnetsUsing(ctx: Pick<HandlerContext, "store">, gatewayId: string): string[] {
  return ctx.store
    .listByType(SUBNET)
    .filter((subnet) => sameText(refId(propertiesOf(subnet.body).natGateway), gatewayId))
    .map((subnet) => subnet.id);
}

const natGatewayHandler: ResourceTypeHandler = {
  type: NAT_GATEWAY,
  apiVersions: NETWORK_API_VERSIONS,
  location: "required",
  lro: ASYNC_LRO,
  latency: latencyOf(NAT_GATEWAY),
  put(ctx: HandlerContext, req: WriteRequest): JsonObject {
    const input = propertiesOf(req.body);
    const sku = asString(asObject(req.body.sku).name) ?? "Standard";
    if (sku !== "Standard") throw badRequest("NatGatewaySkuNotSupported", `NAT gateway ${ctx.id}: SKU '${sku}' is not supported; use Standard.`);
    const body = locationAndTags(req.body, req.existing);
    const location = asString(body.location) ?? "";
    const publicIpAddresses = asArray(input.publicIpAddresses).map((item) => {
      const id = refId(item);
      const ip = id ? ctx.store.get(id) : undefined;
      if (!ip || !id || !sameText(ip.type, PUBLIC_IP)) throw invalidReference(id ?? "(missing id)", ctx.id);
      const ipSku = asString(asObject(ip.body.sku).name) ?? "Basic";
      if (ipSku !== "Standard" || asString(propertiesOf(ip.body).publicIPAllocationMethod) !== "Static") {
        throw badRequest("NatGatewayCannotUseBasicPublicIp", `NAT gateway ${ctx.id} needs Standard, Static public IP addresses; ${ip.id} is ${ipSku}.`);
      }
      if (!sameRegion(asString(ip.body.location), location)) {
        throw badRequest("NatGatewayAndPublicIpNotInSameRegion", `Public IP address ${ip.id} is not in the region of NAT gateway ${ctx.id} (${location}).`);
      }
      for (const other of ctx.store.listByType(NAT_GATEWAY).filter((r: ResourceRecord) => !sameText(r.id, ctx.id))) {
        if (asArray(propertiesOf(other.body).publicIpAddresses).some((ref) => sameText(refId(ref), ip.id))) {
          throw badRequest("PublicIpAddressInUseByAnotherNatGateway", `Public IP address ${ip.id} is already used by NAT gateway ${other.id}.`);
        }
      }
      return { id: ip.id };
    });
    body.etag = weakEtag(ctx.guid());
    body.sku = { name: "Standard" };
    if (Array.isArray(req.body.zones)) body.zones = clone(req.body.zones);
    body.properties = {
      idleTimeoutInMinutes: typeof input.idleTimeoutInMinutes === "number" ? input.idleTimeoutInMinutes : 4,
      publicIpAddresses,
      resourceGuid: asString(propertiesOf(req.existing?.body).resourceGuid) ?? ctx.guid(),
    };
    return body;
  },
  patch(ctx, req) {
    const body = patchBase(req.existing, req.body.tags);
    body.etag = weakEtag(ctx.guid());
    return body;
  },
  beforeDelete(ctx, record) {
    const users = subnetsUsing(ctx, record.id);
    if (users.length > 0) {
      throw badRequest("InUseNatGatewayCannotBeDeleted", `NAT gateway ${record.id} is in use by subnet ${users[0] ?? ""} and cannot be deleted.`);
    }
  },
  view(ctx, record) {
    const body = clone(record.body);
    const subnets = subnetsUsing(ctx, record.id).map((id) => ({ id }));
    if (subnets.length > 0) asObject(body.properties).subnets = subnets;
    return body;
  },
};

/** Registered beside networkProvider (same namespace, its own type). */
export const natGatewayProvider: EmulatorProvider = { namespace: "Microsoft.Network", types: [natGatewayHandler] };
