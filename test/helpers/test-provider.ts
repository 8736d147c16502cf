// Microsoft.EmulatorTest: a synthetic provider registered only by the tests (test/helpers/emulator-entry.ts,
// `startTestEmulator({ testProvider: true })`), so that the core's
// own tests exercise every generic behaviour (sync and async writes, Azure-AsyncOperation and Location
// headers, child and extension resources, exclusive writes, long-running actions) without depending on
// a real provider's rules. It is not part of Azure and never registered otherwise.
import { isObject } from "../../src/emulator/core/common.js";
import { ArmError, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord } from "../../src/emulator/types.js";

const API_VERSIONS = ["2024-01-01"];

function propertiesOf(body: JsonObject): JsonObject {
  const properties = isObject(body.properties) ? { ...body.properties } : {};
  delete properties.provisioningState;
  return properties;
}

/** Notes each onDeleted call with a sequence number in the soft-deleted list, so tests can check the order. */
function recordDeletion(ctx: HandlerContext, record: ResourceRecord): void {
  const sequence = ctx.store.softDeleted.list("emulatortest-deleted").length;
  ctx.store.softDeleted.put("emulatortest-deleted", record.name, { id: record.id, sequence });
}

export const testProvider: EmulatorProvider = {
  namespace: "Microsoft.EmulatorTest",
  types: [
    {
      // Async PUT/DELETE with Azure-AsyncOperation; exclusive writes (like a VNet).
      type: "Microsoft.EmulatorTest/widgets",
      apiVersions: API_VERSIONS,
      location: "required",
      lro: { put: "async", delete: "async", header: "Azure-AsyncOperation" },
      latency: { create: 60, update: 30, delete: 30 },
      exclusiveWrites: true,
      etag: true,
      put(_ctx, req) {
        const properties = propertiesOf(req.body);
        if (properties.size !== undefined && typeof properties.size !== "number") {
          throw new ArmError(400, "InvalidParameter", "properties.size must be a number.", [
            { code: "InvalidParameter", message: "properties.size must be a number.", target: "properties.size" },
          ]);
        }
        return { properties };
      },
      patch(_ctx, req) {
        const properties = { ...propertiesOf(req.existing.body), ...propertiesOf(req.body) };
        return { tags: isObject(req.body.tags) ? req.body.tags : (req.existing.body.tags ?? null), properties };
      },
      onSucceeded(ctx, record) {
        const properties = isObject(record.body.properties) ? record.body.properties : {};
        if (properties.serial === undefined) {
          ctx.store.upsert({ ...record, body: { ...record.body, properties: { ...properties, serial: ctx.guid() } } });
        }
      },
      onDeleted(ctx, record) {
        recordDeletion(ctx, record);
      },
      actions: {
        restart() {
          return { status: 200, body: { restarted: true }, longRunningSeconds: 20 };
        },
        // A POST action answering synchronously (like listKeys); the value is derived from the ID so the
        // test can predict it without a secret-looking literal in the source.
        listsecrets(ctx) {
          return { status: 200, body: { secret: `derived-from-${ctx.name}` } };
        },
      },
    },
    {
      // Sync child resource (like a subnet).
      type: "Microsoft.EmulatorTest/widgets/parts",
      apiVersions: API_VERSIONS,
      location: "none",
      lro: { put: "sync", delete: "sync" },
      latency: { create: 1, update: 1, delete: 1 },
      exclusiveWrites: true,
      put(_ctx, req) {
        return { properties: propertiesOf(req.body) };
      },
      onDeleted(ctx, record) {
        // Record the deletion order on the world's soft-deleted list so tests can see children go first.
        recordDeletion(ctx, record);
      },
    },
    {
      // Async PUT/DELETE with a Location header (202, no body), like a storage account.
      type: "Microsoft.EmulatorTest/gadgets",
      apiVersions: API_VERSIONS,
      location: "required",
      lro: { put: "async", delete: "async", header: "Location" },
      latency: { create: 30, update: 10, delete: 10 },
      systemData: true,
      put(_ctx, req) {
        return { sku: isObject(req.body.sku) ? req.body.sku : { name: "Standard" }, properties: propertiesOf(req.body) };
      },
      onDeleted(ctx, record) {
        recordDeletion(ctx, record);
      },
    },
    {
      // Global, sync (like a private DNS zone).
      type: "Microsoft.EmulatorTest/globalThings",
      apiVersions: API_VERSIONS,
      location: "global",
      lro: { put: "sync", delete: "sync" },
      latency: { create: 1, update: 1, delete: 1 },
      put(_ctx, req) {
        return { properties: propertiesOf(req.body) };
      },
    },
    {
      // Extension resource without provisioningState (like a role assignment).
      type: "Microsoft.EmulatorTest/notes",
      apiVersions: API_VERSIONS,
      location: "none",
      lro: { put: "sync", delete: "sync" },
      latency: { create: 1, update: 1, delete: 1 },
      provisioningState: false,
      put(ctx, req) {
        return { properties: { ...propertiesOf(req.body), scope: ctx.parentId(ctx.id) ?? null } };
      },
    },
  ],
  routes: [
    {
      // A long-running provider-level action (like purging a deleted vault): 202 + Location, then 200.
      method: "POST",
      path: "Microsoft.EmulatorTest/locations/{location}/archivedThings/{name}/purge",
      apiVersions: API_VERSIONS,
      handle() {
        return { status: 202, longRunningSeconds: 30 };
      },
    },
    {
      method: "POST",
      path: "Microsoft.EmulatorTest/checkNameAvailability",
      apiVersions: API_VERSIONS,
      handle(ctx, _params, req) {
        const name = typeof req.body.name === "string" ? req.body.name : "";
        const taken = ctx.store.isTakenElsewhere("emulatortest", name);
        const body: JsonObject = taken ? { nameAvailable: false, reason: "AlreadyExists" } : { nameAvailable: true };
        return { status: 200, body };
      },
    },
  ],
};
