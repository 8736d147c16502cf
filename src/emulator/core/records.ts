// Stored records as the core writes and shows them: the handler context, the fields the core owns on
// every write (id, name, type, location, tags, etag, systemData, provisioningState), the view a client
// sees, and the record's effective location (its own, else its nearest located ancestor's).
import { randomUUID } from "node:crypto";
import type { HandlerContext, Json, JsonObject, ResourceRecord, ResourceTypeHandler } from "../types.js";
import { isObject, normalizeLocation } from "./common.js";
import type { ProviderRegistry } from "./registry.js";
import { parentIdOf, resourceGroupIdOf, resourceGroupOfId, subscriptionOfId } from "./routing.js";
import type { World } from "./store.js";

export class Records {
  constructor(
    private readonly world: World,
    private readonly registry: Pick<ProviderRegistry, "handlerFor">,
  ) {}

  context(subscriptionId: string, id: string, name: string, resourceGroup: string | undefined, apiVersion: string): HandlerContext {
    return {
      store: this.world,
      subscriptionId,
      id,
      resourceGroup,
      name,
      apiVersion,
      guid: () => randomUUID(),
      now: () => new Date(),
      parentId: (childId: string) => parentIdOf(childId),
    };
  }

  /** A record's handler context at the api-version of its last write (side effects after the request). */
  contextOf(record: ResourceRecord): HandlerContext {
    return this.context(record.subscriptionId, record.id, record.name, record.resourceGroup, record.apiVersion);
  }

  resourceGroup(subscriptionId: string, name: string): ResourceRecord | undefined {
    return this.world.get(resourceGroupIdOf(subscriptionId, name));
  }

  /** The resource group's name as created (its casing), for a resource ID inside it. */
  resourceGroupNameOf(id: string): string | undefined {
    const subscription = subscriptionOfId(id);
    const group = resourceGroupOfId(id);
    if (subscription === undefined || group === undefined) return undefined;
    return this.resourceGroup(subscription, group)?.name ?? group;
  }

  /** Stores a write: the handler's body plus the fields the core owns (id, name, type, location, tags, etag, systemData, provisioningState). */
  storeWrite(
    handler: ResourceTypeHandler,
    ctx: HandlerContext,
    existing: ResourceRecord | undefined,
    handlerBody: JsonObject,
    location: string | undefined,
    requestBody: JsonObject,
    provisioningState: string,
  ): ResourceRecord {
    const { id: _id, name: _name, type: _type, ...rest } = handlerBody;
    const body: JsonObject = { id: ctx.id, name: ctx.name, type: handler.type };
    if (handler.location !== "none") {
      const storedLocation = rest.location ?? location ?? existing?.body.location;
      if (storedLocation !== undefined) body.location = storedLocation;
      const tags = rest.tags !== undefined ? rest.tags : requestBody.tags !== undefined ? requestBody.tags : existing?.body.tags;
      if (isObject(tags ?? undefined)) body.tags = tags ?? {};
    }
    delete rest.location;
    delete rest.tags;
    if (handler.etag) body.etag = `W/"${ctx.guid()}"`;
    Object.assign(body, rest);
    if (handler.provisioningState !== false) {
      const properties = isObject(body.properties) ? { ...body.properties } : {};
      properties.provisioningState = provisioningState;
      body.properties = properties;
    }
    if (handler.systemData) {
      const now = ctx.now().toISOString();
      const previous = isObject(existing?.body.systemData) ? existing?.body.systemData : undefined;
      body.systemData = {
        createdBy: (previous?.createdBy as Json | undefined) ?? "emulator-user@example.com",
        createdByType: (previous?.createdByType as Json | undefined) ?? "User",
        createdAt: (previous?.createdAt as Json | undefined) ?? now,
        lastModifiedBy: "emulator-user@example.com",
        lastModifiedByType: "User",
        lastModifiedAt: now,
      };
    }
    return this.world.upsert({
      id: ctx.id,
      type: handler.type,
      name: ctx.name,
      resourceGroup: ctx.resourceGroup,
      subscriptionId: ctx.subscriptionId,
      apiVersion: ctx.apiVersion,
      body,
      pendingOperation: undefined,
    });
  }

  /**
   * The body a client sees, rendered for `apiVersion`: the api-version of the request being answered (a
   * record written at a newer version must not show a property an older version's spec lacks), or the
   * record's own write version when no request is being answered (introspection).
   */
  viewOf(record: ResourceRecord, apiVersion: string | undefined): JsonObject {
    const handler = this.registry.handlerFor(record.type);
    if (!handler?.view) return record.body;
    const ctx = this.context(record.subscriptionId, record.id, record.name, record.resourceGroup, apiVersion || record.apiVersion);
    return handler.view(ctx, record);
  }

  setProvisioningState(record: ResourceRecord, state: string): ResourceRecord {
    const handler = this.registry.handlerFor(record.type);
    const body = { ...record.body };
    if (handler?.provisioningState !== false) {
      const properties = isObject(body.properties) ? { ...body.properties } : {};
      properties.provisioningState = state;
      body.properties = properties;
    }
    return this.world.upsert({ ...record, body });
  }

  /** The record's region, else its nearest ancestor's; "global" when none has one (operation URLs carry it). */
  locationOf(record: ResourceRecord): string {
    let current: ResourceRecord | undefined = record;
    while (current) {
      const location = current.body.location;
      if (typeof location === "string" && location !== "") return normalizeLocation(location);
      const parent = parentIdOf(current.id);
      current = parent !== undefined ? this.world.get(parent) : undefined;
    }
    return "global";
  }
}
