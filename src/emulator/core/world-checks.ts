// What the subscription's world (src/emulator/world.ts) refuses or changes before and after a provider
// sees a write: provider registration, the caller's right to assign roles, VM sizes and vCPU quotas, and
// the storage RP's one-private-endpoint-connection-at-a-time contention.
import { vmVcpus } from "../providers/subscription.js";
import { ArmError, type JsonObject, type ResourceRecord } from "../types.js";
import { vmSizeInfo } from "../world.js";
import { isObject, normalizeLocation, sameText } from "./common.js";
import type { EmulatorCore, RequestState } from "./request.js";
import { idKey } from "./routing.js";
import type { OperationRecord } from "./store.js";

type WorldCheckDeps = Pick<EmulatorCore, "world" | "subscriptionWorld" | "registry">;

/**
 * What the world refuses before any provider sees a request: a write into a namespace that is not
 * Registered (409 MissingSubscriptionRegistration), a role assignment the caller may not make (403), a
 * VM whose size the region refuses (409 SkuNotAvailable) or that exceeds the family's vCPU quota (409
 * OperationNotAllowed). Reads and read-only POSTs (checkNameAvailability) pass: see docs/emulator.md.
 */
export function checkWorld(core: WorldCheckDeps, state: RequestState): void {
  const { method, segments } = state;
  if (!["PUT", "PATCH", "DELETE", "POST"].includes(method) || !sameText(segments[0], "subscriptions")) return;
  const last = segments[segments.length - 1] ?? "";
  if (method === "POST" && /^checkNameAvailability$/i.test(last)) return;
  let at = -1;
  for (let index = segments.length - 3; index >= 2; index -= 1) {
    if (sameText(segments[index], "providers")) {
      at = index;
      break;
    }
  }
  // `/subscriptions/{id}/providers/{ns}/register` itself, resource groups and ARM's own routes pass.
  if (at < 0 || (at === 2 && segments.length <= 5 && /^(register|unregister)$/i.test(last))) return;
  const namespace = segments[at + 1]!;
  const provider = core.registry.provider(namespace);
  if (!provider) return; // routing answers InvalidResourceNamespace
  const world = core.subscriptionWorld;
  world.assertRegistered(provider.namespace);
  const type = segments
    .slice(at + 2)
    .filter((_, index) => index % 2 === 0)
    .join("/");
  if (method === "PUT" && sameText(namespace, "Microsoft.Authorization") && sameText(type, "roleAssignments")) {
    world.assertMayAssignRoles(`/${segments.join("/")}`);
  }
  if (method === "PUT" && sameText(namespace, "Microsoft.Compute") && sameText(type, "virtualMachines") && state.body !== undefined) {
    checkVmAllowed(core, `/${segments.join("/")}`, segments[1]!, state.body);
  }
}

function checkVmAllowed(core: WorldCheckDeps, id: string, subscriptionId: string, body: JsonObject): void {
  if (core.world.get(id)) return; // an update keeps its size's cores already counted
  const properties = isObject(body.properties) ? body.properties : {};
  const hardware = isObject(properties.hardwareProfile) ? properties.hardwareProfile : {};
  const size = typeof hardware.vmSize === "string" ? hardware.vmSize : undefined;
  const location = typeof body.location === "string" ? normalizeLocation(body.location) : undefined;
  if (size === undefined || location === undefined) return;
  const world = core.subscriptionWorld;
  if (!world.isSizeAvailable(location, size)) {
    throw new ArmError(
      409,
      "SkuNotAvailable",
      `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size}' is currently not available in location '${location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
    );
  }
  const info = vmSizeInfo(size);
  if (!info) return;
  const used = vmVcpus(core.world, subscriptionId, location);
  const familyUsed = used.get(info.family.toLowerCase()) ?? 0;
  const totalUsed = [...used.values()].reduce((a, b) => a + b, 0);
  for (const [quota, current, label] of [
    [world.limitFor(location, info.family), familyUsed, `${info.family} Cores`],
    [world.limitFor(location, "cores"), totalUsed, "Total Regional Cores"],
  ] as const) {
    if (current + info.vCPUs <= quota) continue;
    throw new ArmError(
      409,
      "OperationNotAllowed",
      `Operation could not be completed as it results in exceeding approved ${label} quota. Additional details - Deployment Model: Resource Manager, Location: ${location}, Current Limit: ${quota}, Current Usage: ${current}, Additional Required: ${info.vCPUs}, (Minimum) New Limit Required: ${current + info.vCPUs}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView/Parameters/ by specifying parameters listed in the 'Details' section for deployment to succeed.`,
    );
  }
}

/**
 * Azure's storage resource provider takes one private-endpoint-connection operation at a time per
 * account: a private endpoint written while another one to the same account is in flight ends Failed
 * with StorageAccountOperationInProgress (the write itself is accepted).
 */
export function applyContention(core: Pick<EmulatorCore, "world" | "subscriptionWorld">, record: ResourceRecord, operation: OperationRecord): void {
  if (!core.subscriptionWorld.settings.storageAccountContention || !sameText(record.type, "Microsoft.Network/privateEndpoints")) return;
  const targets = storageTargetsOf(record);
  if (targets.length === 0) return;
  const busy = core.world
    .listByType("Microsoft.Network/privateEndpoints")
    .some((other) => idKey(other.id) !== idKey(record.id) && other.pendingOperation !== undefined && storageTargetsOf(other).some((t) => targets.includes(t)));
  if (!busy) return;
  operation.failAtEnd = true;
  operation.failure = {
    code: "StorageAccountOperationInProgress",
    message: "Call to Microsoft.Storage/storageAccounts failed. Error message: An operation is currently performing on this storage account that requires exclusive access.",
  };
  core.world.markDirty();
}

/** Lower-cased IDs of the storage accounts a private endpoint connects to. */
function storageTargetsOf(record: ResourceRecord): string[] {
  const properties = isObject(record.body.properties) ? record.body.properties : {};
  const targets: string[] = [];
  for (const key of ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"]) {
    const connections = properties[key];
    if (!Array.isArray(connections)) continue;
    for (const connection of connections) {
      const inner = isObject(connection) && isObject(connection.properties) ? connection.properties : {};
      const target = inner.privateLinkServiceId;
      if (typeof target === "string" && /\/providers\/Microsoft\.Storage\/storageAccounts\//i.test(target)) targets.push(idKey(target));
    }
  }
  return targets;
}
