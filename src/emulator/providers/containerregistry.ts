// Microsoft.ContainerRegistry/registries (containerregistry 2023-07-01): globally unique names
// (5-50 alphanumerics), SKUs, publicNetworkAccess Disabled only on Premium, admin user and
// listCredentials, async create/update/delete. Rules and messages: docs/emulator-services.md.

import { isObject } from "../core/common.js";
import { ArmError, type ActionResponse, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord } from "../types.js";
import {
  clone,
  compact,
  enumValue,
  keptPrivateEndpointConnections,
  nowIso,
  optionalBoolean,
  optionalString,
  otherHolderOfName,
  patchedBody,
  randomRegistryPassword,
  requireLocation,
  section,
  tagsOf,
} from "./service-common.js";
import { latencyOf } from "../../durations.js";
import { connectionHandler, privateLinkResources } from "./private-link-targets.js";

export const REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries";

/** containerregistry 2023-07-01 (spec) and @azure/arm-containerregistry 12 (2025-11-01), plus versions in between. */
// 2019-12-01-preview and 2020-11-01-preview: the Azure CLI recordings (test/fixtures/recordings); Azure still accepts them.
const API_VERSIONS = ["2019-12-01-preview", "2020-11-01-preview", "2023-07-01", "2023-01-01-preview", "2023-11-01-preview", "2024-11-01-preview", "2025-04-01", "2025-11-01"];

const SKUS = ["Classic", "Basic", "Standard", "Premium"] as const;
const NAME_PATTERN = /^[a-zA-Z0-9]{5,50}$/;

export const REGISTRY_NAME_RULE = "Resource name may contain alpha numeric characters only and must be between 5 and 50 characters.";

function alreadyInUseMessage(name: string): string {
  return `The registry DNS name ${name.toLowerCase()}.azurecr.io is already in use. You can check if the name is already claimed using following API: https://docs.microsoft.com/en-us/rest/api/containerregistry/registries/checknameavailability`;
}

/** The SKU name of a registry record ("Basic" | "Standard" | "Premium" | "Classic"): private endpoints need "Premium". */
export function registrySkuOf(record: ResourceRecord): string | undefined {
  return optionalString(section(record.body, "sku"), "name");
}

function checkName(ctx: HandlerContext): void {
  if (!NAME_PATTERN.test(ctx.name)) throw new ArmError(400, "InvalidResourceName", REGISTRY_NAME_RULE);
  if (ctx.store.isTakenElsewhere("registry", ctx.name) || otherHolderOfName(ctx.store, REGISTRY_TYPE, ctx.name, ctx.id)) {
    throw new ArmError(409, "AlreadyInUse", alreadyInUseMessage(ctx.name));
  }
}

function build(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const skuName = enumValue(
    optionalString(section(request, "sku"), "name"),
    SKUS,
    (v) => new ArmError(400, "InvalidSku", `The SKU '${v}' is not valid. Valid values are Basic, Standard and Premium.`),
  );
  if (!skuName) throw new ArmError(400, "InvalidSku", "The registry SKU is required. Valid values are Basic, Standard and Premium.");
  if (skuName === "Classic" && !existing)
    throw new ArmError(400, "ClassicSkuNotSupported", "Creating a registry with the Classic SKU is no longer supported. Use Basic, Standard or Premium.");
  const requested = section(request, "properties");
  const previous = section(existing?.body, "properties");
  const publicNetworkAccess =
    enumValue(
      optionalString(requested, "publicNetworkAccess"),
      ["Enabled", "Disabled"],
      (v) => new ArmError(400, "InvalidPublicNetworkAccess", `The value '${v}' of publicNetworkAccess is not valid. Valid values are Enabled and Disabled.`),
    ) ??
    optionalString(previous, "publicNetworkAccess") ??
    "Enabled";
  if (publicNetworkAccess === "Disabled" && skuName !== "Premium") {
    throw new ArmError(
      400,
      "DisablingPublicNetworkAccessNotSupported",
      `Disabling public network access is not supported for the SKU ${skuName}. For more information, please visit https://aka.ms/acr/private-link.`,
    );
  }
  const networkRuleSet = isObject(requested.networkRuleSet) ? clone(requested.networkRuleSet) : isObject(previous.networkRuleSet) ? clone(previous.networkRuleSet) : undefined;
  if (
    networkRuleSet &&
    skuName !== "Premium" &&
    (optionalString(networkRuleSet, "defaultAction") === "Deny" || (Array.isArray(networkRuleSet.ipRules) && networkRuleSet.ipRules.length > 0))
  ) {
    throw new ArmError(400, "NetworkRuleNotSupported", `Network rules are not supported for the SKU ${skuName}. For more information, please visit https://aka.ms/acr/vnet.`);
  }
  const dataEndpointEnabled = optionalBoolean(requested, "dataEndpointEnabled") ?? optionalBoolean(previous, "dataEndpointEnabled") ?? false;
  if (dataEndpointEnabled && skuName !== "Premium") {
    throw new ArmError(400, "DataEndpointNotSupported", `Dedicated data endpoints are not supported for the SKU ${skuName}.`);
  }
  const location = requireLocation(request);
  const created = optionalString(previous, "creationDate") ?? nowIso(ctx);
  return compact({
    location,
    tags: tagsOf(request, existing) ?? {},
    sku: { name: skuName, tier: skuName },
    identity: isObject(request.identity) ? clone(request.identity) : existing && isObject(existing.body.identity) ? clone(existing.body.identity) : undefined,
    properties: compact({
      loginServer: `${ctx.name.toLowerCase()}.azurecr.io`,
      creationDate: created,
      adminUserEnabled: optionalBoolean(requested, "adminUserEnabled") ?? optionalBoolean(previous, "adminUserEnabled") ?? false,
      networkRuleSet: networkRuleSet ?? (skuName === "Premium" ? { defaultAction: "Allow", ipRules: [] } : undefined),
      policies: isObject(requested.policies)
        ? clone(requested.policies)
        : isObject(previous.policies)
          ? clone(previous.policies)
          : {
              quarantinePolicy: { status: "disabled" },
              trustPolicy: { type: "Notary", status: "disabled" },
              retentionPolicy: { days: 7, lastUpdatedTime: created, status: "disabled" },
              exportPolicy: { status: "enabled" },
            },
      encryption: isObject(requested.encryption) ? clone(requested.encryption) : isObject(previous.encryption) ? clone(previous.encryption) : { status: "disabled" },
      dataEndpointEnabled,
      dataEndpointHostNames: [],
      privateEndpointConnections: keptPrivateEndpointConnections(existing),
      publicNetworkAccess,
      networkRuleBypassOptions:
        enumValue(
          optionalString(requested, "networkRuleBypassOptions"),
          ["AzureServices", "None"],
          (v) => new ArmError(400, "InvalidNetworkRuleBypassOptions", `The value '${v}' of networkRuleBypassOptions is not valid.`),
        ) ??
        optionalString(previous, "networkRuleBypassOptions") ??
        "AzureServices",
      zoneRedundancy: optionalString(requested, "zoneRedundancy") ?? optionalString(previous, "zoneRedundancy") ?? "Disabled",
      anonymousPullEnabled: optionalBoolean(requested, "anonymousPullEnabled") ?? optionalBoolean(previous, "anonymousPullEnabled") ?? false,
    }),
  });
}

export const containerRegistryProvider: EmulatorProvider = {
  namespace: "Microsoft.ContainerRegistry",
  types: [
    {
      type: REGISTRY_TYPE,
      apiVersions: API_VERSIONS,
      location: "required",
      // Registries_Create/Update/Delete: the spec allows long-running answers, but Azure answers them 200 at once
      // (recorded: create 200 Succeeded without async headers, delete 200).
      lro: { put: "sync", delete: "sync", createStatus: 200 },
      // Registries carry ARM's systemData (recorded; in the 2023-07-01 spec's Resource).
      systemData: true,
      latency: latencyOf(REGISTRY_TYPE),
      put(ctx, req) {
        checkName(ctx);
        return build(ctx, req.body, req.existing);
      },
      patch(ctx, req) {
        const merged = patchedBody(req.existing.body, { sku: req.body.sku, identity: req.body.identity, properties: req.body.properties }, req.body.tags);
        return build(ctx, merged, req.existing);
      },
      actions: {
        privatelinkresources: privateLinkResources,
        listcredentials(_ctx, req) {
          if (!req.record) throw new ArmError(404, "ResourceNotFound", "The registry was not found.");
          if (optionalBoolean(section(req.record.body, "properties"), "adminUserEnabled") !== true) {
            throw new ArmError(
              400,
              "AdminUserDisabled",
              `Admin user is disabled for the registry '${req.record.name}'. Enable the admin user (properties.adminUserEnabled) to list its credentials.`,
            );
          }
          // Passwords are secrets: generated per call, never stored, never logged.
          return {
            status: 200,
            body: {
              username: req.record.name,
              passwords: [
                { name: "password", value: randomRegistryPassword() },
                { name: "password2", value: randomRegistryPassword() },
              ],
            },
          };
        },
      },
    },
    // Approve/reject: 201 + Azure-AsyncOperation; delete: 202 + Location only (recorded).
    connectionHandler({
      targetType: REGISTRY_TYPE,
      apiVersions: API_VERSIONS,
      lro: { put: "async", delete: "async", header: "Azure-AsyncOperation", deleteHeader: "Location" },
      systemData: true,
    }),
  ],
  routes: [
    {
      method: "POST",
      path: "Microsoft.ContainerRegistry/checkNameAvailability",
      apiVersions: API_VERSIONS,
      handle(ctx, _params, req): ActionResponse {
        const name = optionalString(req.body, "name") ?? "";
        const type = optionalString(req.body, "type");
        if (type === undefined || type.toLowerCase() !== REGISTRY_TYPE.toLowerCase()) {
          throw new ArmError(400, "InvalidResourceType", `The resource type '${type ?? ""}' is not valid. Allowed value: ${REGISTRY_TYPE}.`);
        }
        if (!NAME_PATTERN.test(name)) return { status: 200, body: { nameAvailable: false, reason: "Invalid", message: REGISTRY_NAME_RULE } };
        if (ctx.store.isTakenElsewhere("registry", name) || otherHolderOfName(ctx.store, REGISTRY_TYPE, name, "")) {
          return { status: 200, body: { nameAvailable: false, reason: "AlreadyExists", message: `The registry ${name} is already in use.` } };
        }
        return { status: 200, body: { nameAvailable: true } };
      },
    },
  ],
};
