// Microsoft.Resources: resource groups, and the subscription-level bodies (subscriptions, locations,
// provider registrations) that ARM itself serves. Routing of these paths lives in the core (server.ts),
// because their shapes are not `/providers/{namespace}/...`; the rules and bodies live here.
import { AZURE_REGIONS } from "../../config/regions.js";
import { isObject } from "../core/common.js";
import { ArmError, type EmulatorProvider, type JsonObject, type ResourceTypeHandler } from "../types.js";
import { latencyOf } from "../../durations.js";

export const RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups";

/** The emulated world's single Entra tenant; every subscription belongs to it. */
export const EMULATOR_TENANT_ID = "72f988bf-0000-4000-8000-00000000e111";

/** api-versions ARM accepts for resource groups and the other Microsoft.Resources routes used here. */
export const RESOURCES_API_VERSIONS = [
  "2019-05-01",
  "2019-05-10",
  "2019-07-01",
  "2019-08-01",
  "2019-10-01",
  "2020-06-01",
  "2020-08-01",
  "2020-10-01",
  "2021-01-01",
  "2021-04-01",
  "2022-09-01",
  "2023-07-01",
  "2024-03-01",
  "2024-07-01",
  "2024-11-01",
  "2025-01-01",
  "2025-03-01",
  "2025-04-01",
];

/** api-versions of Microsoft.Resources' subscription routes (GET /subscriptions, /locations). */
export const SUBSCRIPTIONS_API_VERSIONS = ["2016-06-01", "2018-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2021-01-01", "2022-01-01", "2022-12-01"];

// ARM's rule: 1-90 characters, letters (Unicode), digits, underscores, parentheses, hyphens and periods,
// not ending in a period.
const RESOURCE_GROUP_NAME = /^[-\p{L}\p{N}_().]{1,90}$/u;

export const resourceGroupHandler: ResourceTypeHandler = {
  type: RESOURCE_GROUP_TYPE,
  apiVersions: RESOURCES_API_VERSIONS,
  location: "required",
  // PUT is synchronous; DELETE answers 202 with a Location header (ARM's /operationresults route).
  lro: { put: "sync", delete: "async", header: "Location" },
  // Deleting an empty group takes ~15-60 s in Azure (the first poll answers 202 with Retry-After: 15).
  latency: latencyOf(RESOURCE_GROUP_TYPE),
  put(ctx, req) {
    if (!RESOURCE_GROUP_NAME.test(ctx.name) || ctx.name.endsWith(".")) {
      throw new ArmError(
        400,
        "InvalidResourceGroupName",
        `Resource group name '${ctx.name}' is invalid. It can include alphanumeric, underscore, parentheses, hyphen, period (except at end), and Unicode characters that match the allowed characters.`,
      );
    }
    const body: JsonObject = {};
    if (isObject(req.body.tags)) body.tags = req.body.tags;
    else if (req.existing && isObject(req.existing.body.tags) && req.body.tags === undefined) body.tags = req.existing.body.tags;
    if (typeof req.body.managedBy === "string") body.managedBy = req.body.managedBy;
    body.properties = {};
    return body;
  },
  patch(_ctx, req) {
    const body: JsonObject = {};
    const tags = req.body.tags !== undefined ? req.body.tags : req.existing.body.tags;
    if (isObject(tags)) body.tags = tags;
    const managedBy = req.body.managedBy !== undefined ? req.body.managedBy : req.existing.body.managedBy;
    if (typeof managedBy === "string") body.managedBy = managedBy;
    body.properties = {};
    return body;
  },
};

/** The registry entry; resource groups are routed by the core, this makes them part of the catalog. */
export const resourcesProvider: EmulatorProvider = {
  namespace: "Microsoft.Resources",
  types: [resourceGroupHandler],
};

export function subscriptionBody(subscriptionId: string): JsonObject {
  return {
    id: `/subscriptions/${subscriptionId}`,
    authorizationSource: "RoleBased",
    managedByTenants: [],
    subscriptionId,
    tenantId: EMULATOR_TENANT_ID,
    displayName: "secure-aml emulator subscription",
    state: "Enabled",
    subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: "PayAsYouGo_2014-09-01", spendingLimit: "Off" },
  };
}

export function locationsBody(subscriptionId: string): JsonObject {
  return {
    value: AZURE_REGIONS.map((region) => ({
      id: `/subscriptions/${subscriptionId}/locations/${region.name}`,
      name: region.name,
      displayName: region.displayName,
      regionalDisplayName: region.displayName,
      type: "Region",
      metadata: { regionType: "Physical", regionCategory: "Recommended" },
    })),
  };
}

/** GET /subscriptions/{id}/providers/{namespace}: every emulated namespace shows as Registered. */
export function providerRegistrationBody(subscriptionId: string, provider: EmulatorProvider): JsonObject {
  const locations = AZURE_REGIONS.map((region) => region.displayName);
  return {
    id: `/subscriptions/${subscriptionId}/providers/${provider.namespace}`,
    namespace: provider.namespace,
    registrationState: "Registered",
    registrationPolicy: "RegistrationRequired",
    resourceTypes: provider.types.map((handler) => ({
      resourceType: handler.type.slice(provider.namespace.length + 1),
      locations: handler.location === "global" ? ["global"] : handler.location === "none" ? [] : locations,
      apiVersions: [...handler.apiVersions].sort().reverse(),
    })),
  };
}
