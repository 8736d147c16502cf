// A private endpoint's connection as its target sees it (the target's privateEndpointConnections).
// Part of the Microsoft.Network provider (network.ts); rules and sources: docs/emulator-network.md.
import { asArray, asObject, asString } from "../core/common.js";
import type { HandlerContext, JsonObject, ResourceRecord, ResourceStore } from "../types.js";
import { clone, lastSegment, propertiesOf, refId, weakEtag } from "./network-common.js";

/** Writes (or refreshes) the endpoint's entry in the target's `properties.privateEndpointConnections`. */
export function writeTargetConnection(ctx: HandlerContext, targetId: string, endpoint: ResourceRecord, state: JsonObject): void {
  const target = ctx.store.get(targetId);
  if (!target) return;
  const body = clone(target.body);
  const properties = asObject(body.properties);
  const connections = asArray(properties.privateEndpointConnections).map((item) => asObject(item));
  const needle = endpoint.id.toLowerCase();
  const index = connections.findIndex((item) => refId(propertiesOf(item).privateEndpoint)?.toLowerCase() === needle);
  const existing = index >= 0 ? connections[index] : undefined;
  const name = asString(existing?.name) ?? lastSegment(asString(existing?.id) ?? "") ?? "";
  const connectionName = name || `${endpoint.name}.${ctx.guid()}`;
  const id = `${target.id}/privateEndpointConnections/${connectionName}`;
  const status = asString(state.status) ?? "Approved";
  const description = asString(state.description) ?? "";
  const type = target.type.toLowerCase();
  // Each RP spells its connection state slightly differently (storage: actionRequired).
  const connectionState: JsonObject =
    type === "microsoft.storage/storageaccounts" ? { status, description, actionRequired: "None" } : { status, description, actionsRequired: "None" };
  const entryProperties: JsonObject = {
    privateEndpoint: { id: endpoint.id },
    privateLinkServiceConnectionState: connectionState,
    provisioningState: "Succeeded",
  };
  const entry: JsonObject =
    type === "microsoft.keyvault/vaults"
      ? { id, etag: weakEtag(ctx.guid()), properties: entryProperties }
      : { id, name: connectionName, type: `${target.type}/privateEndpointConnections`, properties: entryProperties };
  if (index >= 0) connections[index] = entry;
  else connections.push(entry);
  properties.privateEndpointConnections = connections;
  body.properties = properties;
  ctx.store.upsert({ ...target, body });
  // Azure Monitor private link scopes also expose each connection at its own URL (approve/reject there).
  if (CONNECTION_CHILD_TYPES.has(type)) {
    const child = ctx.store.get(id);
    ctx.store.upsert({
      id,
      type: `${target.type}/privateEndpointConnections`,
      name: connectionName,
      resourceGroup: target.resourceGroup,
      subscriptionId: target.subscriptionId,
      apiVersion: target.apiVersion,
      body: clone(entry),
      ...(child ? { createdAt: child.createdAt } : {}),
    });
  }
}

/** Target types whose private endpoint connections are also child resources in the emulator. */
export const CONNECTION_CHILD_TYPES = new Set([
  "microsoft.insights/privatelinkscopes",
  "microsoft.storage/storageaccounts",
  "microsoft.keyvault/vaults",
  "microsoft.containerregistry/registries",
]);

export function removeTargetConnection(store: ResourceStore, targetId: string, endpointId: string): void {
  const target = store.get(targetId);
  if (!target) return;
  const body = clone(target.body);
  const properties = asObject(body.properties);
  const needle = endpointId.toLowerCase();
  const connections = asArray(properties.privateEndpointConnections);
  const kept = connections.filter((item) => refId(propertiesOf(asObject(item)).privateEndpoint)?.toLowerCase() !== needle);
  for (const connection of connections) {
    const item = asObject(connection);
    const childId = asString(item.id);
    if (childId && refId(propertiesOf(item).privateEndpoint)?.toLowerCase() === needle && store.get(childId)) store.remove(childId);
  }
  if (kept.length === connections.length) return;
  properties.privateEndpointConnections = kept;
  body.properties = properties;
  store.upsert({ ...target, body });
}
