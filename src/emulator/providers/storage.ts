// Microsoft.Storage/storageAccounts: globally unique names, kind/sku, network and TLS properties,
// async create (202 + Location, as StorageAccounts_Create in storage 2023-05-01), PATCH, listKeys.
// Rules and messages: docs/emulator-services.md.

import { isObject } from "../core/common.js";
import { ArmError, type ActionResponse, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord, type ResourceStore } from "../types.js";
import {
  clone,
  compact,
  enumValue,
  keptPrivateEndpointConnections,
  mergePatch,
  nowIso,
  optionalBoolean,
  optionalString,
  otherHolderOfName,
  randomAccountKey,
  requireLocation,
  section,
  tagsOf,
} from "./service-common.js";
import { latencyOf } from "../../durations.js";
import { connectionHandler, privateLinkResources } from "./private-link-targets.js";

export const STORAGE_ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts";

/** storage 2023-05-01 (spec) and @azure/arm-storage 20 (2025-08-01), plus versions in between that tools send. */
// 2019-06-01: the Azure CLI recordings (test/fixtures/recordings); Azure still accepts it.
const API_VERSIONS = ["2019-06-01", "2023-05-01", "2023-01-01", "2023-04-01", "2024-01-01", "2025-01-01", "2025-06-01", "2025-08-01"];

const SKU_NAMES = ["Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS", "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS"] as const;
const KINDS = ["Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage"] as const;
const TLS_VERSIONS = ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"] as const;
const PUBLIC_NETWORK_ACCESS = ["Enabled", "Disabled", "SecuredByPerimeter"] as const;
const ACCESS_TIERS = ["Hot", "Cool", "Premium", "Cold"] as const;
const DEFAULT_ACTIONS = ["Allow", "Deny"] as const;

const NAME_PATTERN = /^[a-z0-9]{3,24}$/;

export function storageNameInvalidMessage(name: string): string {
  return `${name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`;
}

function alreadyTakenMessage(name: string): string {
  return `The storage account named ${name} is already taken.`;
}

function invalidValues(parameter: string): ArmError {
  return new ArmError(400, "InvalidValuesForRequestParameters", `Values for request parameters are invalid: ${parameter}.`);
}

/** Who else holds this name: someone in another tenant (seeded), or another resource in this world. */
function nameHolder(store: ResourceStore, name: string, selfId: string): "elsewhere" | ResourceRecord | undefined {
  if (store.isTakenElsewhere("storage", name)) return "elsewhere";
  return otherHolderOfName(store, STORAGE_ACCOUNT_TYPE, name, selfId);
}

function checkName(ctx: HandlerContext): void {
  if (!NAME_PATTERN.test(ctx.name)) {
    throw new ArmError(400, "AccountNameInvalid", storageNameInvalidMessage(ctx.name));
  }
  const holder = nameHolder(ctx.store, ctx.name, ctx.id);
  if (holder === undefined) return;
  if (holder !== "elsewhere" && holder.subscriptionId.toLowerCase() === ctx.subscriptionId.toLowerCase()) {
    // Azure's answer when the same subscription already has the name in another resource group.
    throw new ArmError(409, "StorageAccountInAnotherResourceGroup", `The account ${ctx.name} is already in another resource group in this subscription.`);
  }
  throw new ArmError(409, "StorageAccountAlreadyTaken", alreadyTakenMessage(ctx.name));
}

function endpoints(name: string, kind: string): JsonObject {
  if (kind === "FileStorage") return { file: `https://${name}.file.core.windows.net/` };
  if (kind === "BlockBlobStorage" || kind === "BlobStorage") {
    return { blob: `https://${name}.blob.core.windows.net/`, dfs: `https://${name}.dfs.core.windows.net/`, web: `https://${name}.z13.web.core.windows.net/` };
  }
  return {
    blob: `https://${name}.blob.core.windows.net/`,
    queue: `https://${name}.queue.core.windows.net/`,
    table: `https://${name}.table.core.windows.net/`,
    file: `https://${name}.file.core.windows.net/`,
    web: `https://${name}.z13.web.core.windows.net/`,
    dfs: `https://${name}.dfs.core.windows.net/`,
  };
}

function validNetworkAcls(value: JsonObject): JsonObject {
  const defaultAction = enumValue(optionalString(value, "defaultAction"), DEFAULT_ACTIONS, () => invalidValues("networkAcls.defaultAction"));
  if (!defaultAction) throw invalidValues("networkAcls.defaultAction");
  return {
    bypass: optionalString(value, "bypass") ?? "AzureServices",
    virtualNetworkRules: Array.isArray(value.virtualNetworkRules) ? clone(value.virtualNetworkRules) : [],
    ipRules: Array.isArray(value.ipRules) ? clone(value.ipRules) : [],
    ...(Array.isArray(value.resourceAccessRules) ? { resourceAccessRules: clone(value.resourceAccessRules) } : {}),
    defaultAction,
  };
}

/** Validates the writable shape (sku, kind, properties) and returns the body to store. */
function buildAccount(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const skuName = enumValue(optionalString(section(request, "sku"), "name"), SKU_NAMES, () => invalidValues("sku.name"));
  if (!skuName) throw invalidValues("sku");
  const kind = enumValue(optionalString(request, "kind"), KINDS, () => invalidValues("kind"));
  if (!kind) throw invalidValues("kind");
  if ((kind === "FileStorage" || kind === "BlockBlobStorage") && !skuName.startsWith("Premium_")) {
    throw new ArmError(400, "InvalidValuesForRequestParameters", `Values for request parameters are invalid: kind, sku. The kind ${kind} requires a Premium SKU.`);
  }
  const requested = section(request, "properties");
  const previous = section(existing?.body, "properties");
  const minimumTlsVersion = enumValue(optionalString(requested, "minimumTlsVersion"), TLS_VERSIONS, () => invalidValues("minimumTlsVersion"));
  const publicNetworkAccess = enumValue(optionalString(requested, "publicNetworkAccess"), PUBLIC_NETWORK_ACCESS, () => invalidValues("publicNetworkAccess"));
  const accessTier = enumValue(optionalString(requested, "accessTier"), ACCESS_TIERS, () => invalidValues("accessTier"));
  const networkAcls = isObject(requested.networkAcls) ? validNetworkAcls(requested.networkAcls) : undefined;
  const created = optionalString(previous, "creationTime") ?? nowIso(ctx);
  const keyCreation = isObject(previous.keyCreationTime) ? clone(previous.keyCreationTime) : { key1: created, key2: created };
  const location = requireLocation(request);

  const properties: JsonObject = {
    // Writable properties: request value, else the stored one (Create on an existing account updates it), else Azure's default.
    ...pickWritable(previous),
    ...pickWritable(requested),
    keyCreationTime: keyCreation,
    privateEndpointConnections: keptPrivateEndpointConnections(existing),
    minimumTlsVersion: minimumTlsVersion ?? optionalString(previous, "minimumTlsVersion") ?? "TLS1_0",
    allowBlobPublicAccess: optionalBoolean(requested, "allowBlobPublicAccess") ?? optionalBoolean(previous, "allowBlobPublicAccess") ?? false,
    supportsHttpsTrafficOnly: optionalBoolean(requested, "supportsHttpsTrafficOnly") ?? optionalBoolean(previous, "supportsHttpsTrafficOnly") ?? true,
    networkAcls:
      networkAcls ?? (isObject(previous.networkAcls) ? clone(previous.networkAcls) : { bypass: "AzureServices", virtualNetworkRules: [], ipRules: [], defaultAction: "Allow" }),
    encryption: {
      services: {
        file: { keyType: "Account", enabled: true, lastEnabledTime: created },
        blob: { keyType: "Account", enabled: true, lastEnabledTime: created },
      },
      keySource: "Microsoft.Storage",
    },
    primaryEndpoints: endpoints(ctx.name, kind),
    primaryLocation: location,
    statusOfPrimary: "available",
    creationTime: created,
  };
  const publicAccess = publicNetworkAccess ?? optionalString(previous, "publicNetworkAccess");
  if (publicAccess) properties.publicNetworkAccess = publicAccess;
  if (kind !== "Storage" && kind !== "FileStorage")
    properties.accessTier = accessTier ?? optionalString(previous, "accessTier") ?? (skuName.startsWith("Premium_") ? "Premium" : "Hot");

  return compact({
    location,
    tags: tagsOf(request, existing) ?? {},
    sku: { name: skuName, tier: skuName.startsWith("Premium_") ? "Premium" : "Standard" },
    kind,
    identity: isObject(request.identity) ? clone(request.identity) : existing && isObject(existing.body.identity) ? clone(existing.body.identity) : undefined,
    properties,
  });
}

/** Writable boolean/string properties that round-trip as sent (the rest is computed above). */
const ROUND_TRIP_PROPERTIES = [
  "allowSharedKeyAccess",
  "isHnsEnabled",
  "isSftpEnabled",
  "isLocalUserEnabled",
  "isNfsV3Enabled",
  "allowCrossTenantReplication",
  "defaultToOAuthAuthentication",
  "largeFileSharesState",
  "allowedCopyScope",
  "dnsEndpointType",
];

function pickWritable(source: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const key of ROUND_TRIP_PROPERTIES) if (source[key] !== undefined && source[key] !== null) result[key] = clone(source[key]);
  return result;
}

export const storageProvider: EmulatorProvider = {
  namespace: "Microsoft.Storage",
  types: [
    {
      type: STORAGE_ACCOUNT_TYPE,
      apiVersions: API_VERSIONS,
      location: "required",
      // StorageAccounts_Create answers 202 with a Location header on create (spec: 200, 202).
      lro: { put: "async", patch: "sync", delete: "sync", header: "Location" },
      latency: latencyOf(STORAGE_ACCOUNT_TYPE),
      put(ctx, req) {
        checkName(ctx);
        return buildAccount(ctx, req.body, req.existing);
      },
      patch(ctx, req) {
        // StorageAccounts_Update: sku, tags, identity, properties; kind and location are not updatable here.
        const current = req.existing.body;
        const patched = mergePatch(current, req.body);
        const merged: JsonObject = isObject(patched) ? patched : clone(current);
        merged.kind = current.kind ?? null;
        merged.location = current.location ?? null;
        if (req.body.tags !== undefined) merged.tags = isObject(req.body.tags) ? clone(req.body.tags) : {};
        return buildAccount(ctx, merged, req.existing);
      },
      actions: {
        privatelinkresources: privateLinkResources,
        listkeys(_ctx, req) {
          if (!req.record) throw new ArmError(404, "ResourceNotFound", "The storage account was not found.");
          const created = section(section(req.record.body, "properties"), "keyCreationTime");
          // Keys are secrets: generated per call, never stored in the body, never logged.
          return {
            status: 200,
            body: {
              keys: [
                { keyName: "key1", value: randomAccountKey(), permissions: "FULL", creationTime: optionalString(created, "key1") ?? new Date().toISOString() },
                { keyName: "key2", value: randomAccountKey(), permissions: "FULL", creationTime: optionalString(created, "key2") ?? new Date().toISOString() },
              ],
            },
          };
        },
      },
    },
    // Approve/reject answer 200 at once, delete too (recorded); approving twice is refused.
    connectionHandler({ targetType: STORAGE_ACCOUNT_TYPE, apiVersions: API_VERSIONS, lro: { put: "sync", delete: "sync" }, refuseReapproval: true }),
  ],
  routes: [
    {
      method: "POST",
      path: "Microsoft.Storage/checkNameAvailability",
      apiVersions: API_VERSIONS,
      handle(ctx, _params, req): ActionResponse {
        const name = optionalString(req.body, "name") ?? "";
        const type = optionalString(req.body, "type");
        if (type !== undefined && type.toLowerCase() !== STORAGE_ACCOUNT_TYPE.toLowerCase()) {
          throw invalidValues("type");
        }
        if (!NAME_PATTERN.test(name)) {
          return { status: 200, body: { nameAvailable: false, reason: "AccountNameInvalid", message: storageNameInvalidMessage(name) } };
        }
        const taken = ctx.store.isTakenElsewhere("storage", name) || otherHolderOfName(ctx.store, STORAGE_ACCOUNT_TYPE, name, "") !== undefined;
        if (taken) return { status: 200, body: { nameAvailable: false, reason: "AlreadyExists", message: alreadyTakenMessage(name) } };
        return { status: 200, body: { nameAvailable: true } };
      },
    },
  ],
};
