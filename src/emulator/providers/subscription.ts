// Subscription-level read APIs that answer from the world (src/emulator/world.ts): compute usages
// (Microsoft.Compute/locations/{loc}/usages), resource SKUs (Microsoft.Compute/skus, with Location
// restrictions), Machine Learning usages (Microsoft.MachineLearningServices/locations/{loc}/usages) and the
// caller's permissions (Microsoft.Authorization/permissions, at subscription scope; the resource-group
// scope is routed by the core to `permissionsReply`). Shapes: the specs' examples
// (computeRPCommon.json Usage_List, ResourceSkus_List 2021-07-01, machineLearningServices.json
// Usages_List, Permissions_ListForResourceGroup).
import { AZURE_REGIONS } from "../../config/regions.js";
import { asString, isObject, normalizeLocation } from "../core/common.js";
import type { ActionResponse, EmulatorProvider, Json, JsonObject, ProviderRoute, ResourceStore } from "../types.js";
import { type SubscriptionWorld, VM_SIZES, familyDisplayName, vmSizeInfo } from "../world.js";

/** api-versions of Microsoft.Compute's usages (arm-compute 24 sends 2026-03-01). */
const COMPUTE_USAGE_API_VERSIONS = [
  "2017-12-01",
  "2018-06-01",
  "2019-07-01",
  "2020-06-01",
  "2021-03-01",
  "2021-07-01",
  "2022-03-01",
  "2022-08-01",
  "2022-11-01",
  "2023-03-01",
  "2023-07-01",
  "2023-09-01",
  "2024-03-01",
  "2024-07-01",
  "2024-11-01",
  "2025-04-01",
  "2026-03-01",
];
/** api-versions of Microsoft.Compute/skus (arm-compute 24 sends 2021-07-01). */
const SKU_API_VERSIONS = ["2017-09-01", "2019-04-01", "2021-07-01"];
const ML_API_VERSIONS = ["2022-10-01", "2022-12-01-preview", "2023-04-01", "2023-10-01", "2024-04-01", "2024-10-01", "2025-06-01"];
const PERMISSIONS_API_VERSIONS = ["2015-07-01", "2018-01-01-preview", "2022-04-01"];

/** vCPUs of the world's virtual machines in a region, per lower-cased family. */
export function vmVcpus(store: ResourceStore, subscriptionId: string, location: string): Map<string, number> {
  const used = new Map<string, number>();
  for (const vm of store.listByType("Microsoft.Compute/virtualMachines", `/subscriptions/${subscriptionId}`)) {
    if (normalizeLocation(asString(vm.body.location) ?? "") !== location) continue;
    const properties = isObject(vm.body.properties) ? vm.body.properties : {};
    const hardware = isObject(properties.hardwareProfile) ? properties.hardwareProfile : {};
    const size = vmSizeInfo(asString(hardware.vmSize) ?? "");
    if (size) used.set(size.family.toLowerCase(), (used.get(size.family.toLowerCase()) ?? 0) + size.vCPUs);
  }
  return used;
}

/** Dedicated vCPUs of the world's ML computes in a region: a compute instance's size, a cluster's minimum nodes. */
function mlVcpus(store: ResourceStore, subscriptionId: string, location: string): Map<string, number> {
  const used = new Map<string, number>();
  for (const compute of store.listByType("Microsoft.MachineLearningServices/workspaces/computes", `/subscriptions/${subscriptionId}`)) {
    const properties = isObject(compute.body.properties) ? compute.body.properties : {};
    const workspace = compute.id.split("/computes/")[0] ?? "";
    const where = asString(properties.computeLocation) ?? asString(compute.body.location) ?? asString(store.get(workspace)?.body.location) ?? "";
    if (normalizeLocation(where) !== location) continue;
    const inner = isObject(properties.properties) ? properties.properties : {};
    const size = vmSizeInfo(asString(inner.vmSize) ?? "");
    if (!size) continue;
    const scale = isObject(inner.scaleSettings) ? inner.scaleSettings : {};
    const nodes = asString(properties.computeType) === "AmlCompute" ? (typeof scale.minNodeCount === "number" ? scale.minNodeCount : 0) : 1;
    used.set(size.family.toLowerCase(), (used.get(size.family.toLowerCase()) ?? 0) + nodes * size.vCPUs);
  }
  return used;
}

function knownRegion(location: string): string {
  const name = normalizeLocation(location);
  if (!AZURE_REGIONS.some((r) => r.name === name)) {
    throw Object.assign(new Error(), { notFound: name });
  }
  return name;
}

function usageEntry(value: string, localized: string, current: number, limit: number): JsonObject {
  return { unit: "Count", currentValue: current, limit, name: { value, localizedValue: localized } };
}

function computeUsages(world: SubscriptionWorld, store: ResourceStore, subscriptionId: string, location: string): ActionResponse {
  const used = vmVcpus(store, subscriptionId, location);
  const total = [...used.values()].reduce((a, b) => a + b, 0);
  const vmCount = store
    .listByType("Microsoft.Compute/virtualMachines", `/subscriptions/${subscriptionId}`)
    .filter((vm) => normalizeLocation(asString(vm.body.location) ?? "") === location).length;
  const value: Json[] = [
    usageEntry("availabilitySets", "Availability Sets", 0, 2500),
    usageEntry("cores", "Total Regional vCPUs", total, world.limitFor(location, "cores")),
    usageEntry("virtualMachines", "Virtual Machines", vmCount, 25000),
  ];
  for (const family of world.families(location)) {
    value.push(usageEntry(family, `${familyDisplayName(family)} vCPUs`, used.get(family.toLowerCase()) ?? 0, world.limitFor(location, family)));
  }
  return { status: 200, body: { value } };
}

function mlUsages(world: SubscriptionWorld, store: ResourceStore, subscriptionId: string, location: string): ActionResponse {
  const used = mlVcpus(store, subscriptionId, location);
  const value: Json[] = world.families(location).map((family) => ({
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.MachineLearningServices/locations/${location}/usages/${family}`,
    amlWorkspaceLocation: location,
    type: "Microsoft.MachineLearningServices/vmFamily/usages",
    unit: "Count",
    currentValue: used.get(family.toLowerCase()) ?? 0,
    limit: world.limitFor(location, family),
    name: { value: family, localizedValue: `${familyDisplayName(family)} Cluster Dedicated vCPUs` },
  }));
  return { status: 200, body: { value } };
}

/** `$filter=location eq 'eastus'` (the only filter ResourceSkus_List supports). */
function filterLocation(filter: string | undefined): string | undefined {
  const match = /^\s*location\s+eq\s+'([^']+)'\s*$/i.exec(filter ?? "");
  return match ? normalizeLocation(match[1]!) : undefined;
}

function resourceSkus(world: SubscriptionWorld, filter: string | undefined): ActionResponse {
  const only = filterLocation(filter);
  const regions = only !== undefined ? AZURE_REGIONS.filter((r) => r.name === only) : AZURE_REGIONS;
  const value: Json[] = [];
  for (const r of regions) {
    for (const size of VM_SIZES) {
      const restrictions: Json[] = world.isSizeAvailable(r.name, size.name)
        ? []
        : [{ type: "Location", values: [r.name], restrictionInfo: { locations: [r.name] }, reasonCode: "NotAvailableForSubscription" }];
      value.push({
        resourceType: "virtualMachines",
        name: size.name,
        tier: "Standard",
        size: size.name.replace(/^Standard_/, ""),
        family: size.family,
        locations: [r.name],
        locationInfo: [{ location: r.name, zones: ["1", "2", "3"], zoneDetails: [] }],
        capabilities: [
          { name: "vCPUs", value: String(size.vCPUs) },
          { name: "MemoryGB", value: String(size.memoryGB) },
          { name: "vCPUsAvailable", value: String(size.vCPUs) },
        ],
        restrictions,
      });
    }
  }
  return { status: 200, body: { value } };
}

function locationRoute(path: string, apiVersions: string[], answer: (location: string, ctx: { store: ResourceStore; subscriptionId: string }) => ActionResponse): ProviderRoute {
  return {
    method: "GET",
    path,
    apiVersions,
    handle(ctx, params) {
      let location: string;
      try {
        location = knownRegion(params.location ?? "");
      } catch {
        return {
          status: 404,
          body: { error: { code: "NoRegisteredProviderFound", message: `No registered resource provider found for location '${params.location ?? ""}'.` } },
        };
      }
      return answer(location, ctx);
    },
  };
}

/**
 * The route-only providers of the world's read APIs. Their namespaces are also served by the resource
 * providers (compute.ts, machinelearning.ts, authorization.ts); the core keeps the first provider of a
 * namespace for its catalog and takes routes from every one.
 */
export function subscriptionWorldProviders(world: SubscriptionWorld): EmulatorProvider[] {
  return [
    {
      namespace: "Microsoft.Compute",
      types: [],
      routes: [
        locationRoute("Microsoft.Compute/locations/{location}/usages", COMPUTE_USAGE_API_VERSIONS, (location, ctx) =>
          computeUsages(world, ctx.store, ctx.subscriptionId, location),
        ),
        { method: "GET", path: "Microsoft.Compute/skus", apiVersions: SKU_API_VERSIONS, handle: (_ctx, _params, req) => resourceSkus(world, req.query.$filter) },
      ],
    },
    {
      namespace: "Microsoft.MachineLearningServices",
      types: [],
      routes: [
        locationRoute("Microsoft.MachineLearningServices/locations/{location}/usages", ML_API_VERSIONS, (location, ctx) =>
          mlUsages(world, ctx.store, ctx.subscriptionId, location),
        ),
      ],
    },
    {
      namespace: "Microsoft.Authorization",
      types: [],
      routes: [
        { method: "GET", path: "Microsoft.Authorization/permissions", apiVersions: PERMISSIONS_API_VERSIONS, handle: () => ({ status: 200, body: world.permissionsBody() }) },
      ],
    },
  ];
}

export { PERMISSIONS_API_VERSIONS };

/** GET /subscriptions/{id}/providers[/{ns}] and POST .../register: a namespace with its registration state. */
export function providerBody(subscriptionId: string, provider: EmulatorProvider, registrationState: string): JsonObject {
  const locations = AZURE_REGIONS.map((r) => r.displayName);
  return {
    id: `/subscriptions/${subscriptionId}/providers/${provider.namespace}`,
    namespace: provider.namespace,
    registrationState,
    registrationPolicy: "RegistrationRequired",
    resourceTypes: provider.types.map((handler) => ({
      resourceType: handler.type.slice(provider.namespace.length + 1),
      locations: handler.location === "global" ? ["global"] : handler.location === "none" ? [] : locations,
      apiVersions: [...handler.apiVersions].sort().reverse(),
    })),
  };
}
