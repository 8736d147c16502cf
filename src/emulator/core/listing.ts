// Lists: a type's collection (`GET .../{type}` below a scope or a parent) and ARM's generic resource list
// (`GET /subscriptions/{id}/resources`, `GET .../resourceGroups/{rg}/resources`).
import { RESOURCE_GROUP_TYPE } from "../providers/resources.js";
import type { Json, JsonObject, ResourceRecord, ResourceTypeHandler } from "../types.js";
import { sameText } from "./common.js";
import { resourceNotFound, type EmulatorCore, type Reply } from "./request.js";
import { buildResourceId, idKey, parentIdOf, resourceGroupOfId, type ResourcePath } from "./routing.js";

export function listCollection(core: Pick<EmulatorCore, "world" | "records">, resourcePath: ResourcePath, handler: ResourceTypeHandler, apiVersion: string): Reply {
  const { scopeId, namespace, types, names } = resourcePath;
  let records: ResourceRecord[];
  if (types.length === 1) {
    records = core.world.listByType(handler.type, scopeId);
  } else {
    const parentId = buildResourceId(scopeId, namespace, types.slice(0, -1), names);
    if (!core.world.get(parentId)) throw resourceNotFound(parentId);
    records = core.world.children(parentId, handler.type);
  }
  return { status: 200, body: { value: records.map((record) => core.records.viewOf(record, apiVersion)) } };
}

/** ARM's generic list shows tracked (located) top-level resources below `scope`: no groups, children or extensions. */
export function genericList(core: Pick<EmulatorCore, "world" | "registry">, scope: string): Json[] {
  return core.world
    .all()
    .filter((record) => {
      if (sameText(record.type, RESOURCE_GROUP_TYPE) || core.registry.handlerFor(record.type)?.location === "none") return false;
      const parent = parentIdOf(record.id);
      if (parent === undefined || resourceGroupOfId(record.id) === undefined) return false;
      const parentIsGroup = parent.split("/").filter(Boolean).length === 4;
      return parentIsGroup && idKey(record.id).startsWith(idKey(scope) + "/");
    })
    .map((record) => {
      const entry: JsonObject = { id: record.id, name: record.name, type: record.type };
      for (const key of ["location", "tags", "kind", "sku", "identity", "managedBy"]) {
        const value = record.body[key];
        if (value !== undefined) entry[key] = value;
      }
      return entry;
    });
}
