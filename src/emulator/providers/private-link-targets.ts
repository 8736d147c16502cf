// The target side of Private Link on storage accounts, key vaults and registries: each private endpoint
// connection at its own URL ({target}/privateEndpointConnections/{name}: list, get, approve, reject, delete)
// and the target's `privateLinkResources` (the group IDs and DNS zones a private endpoint needs).
// The connections themselves are made by private endpoints (network-private-endpoints.ts). Rules and messages:
// docs/emulator-services.md ("Private endpoint connections on the target").
import { isObject } from "../core/common.js";
import { ArmError, type ActionResponse, type HandlerContext, type JsonObject, type ResourceRecord, type ResourceTypeHandler } from "../types.js";
import { latencyOf } from "../../durations.js";
import { clone, optionalString, section } from "./service-common.js";

const CONNECTION_STATES = ["Approved", "Rejected", "Pending", "Disconnected"] as const;

export interface ConnectionTypeOptions {
  /** The target's type, e.g. "Microsoft.Storage/storageAccounts". */
  targetType: string;
  apiVersions: string[];
  lro: ResourceTypeHandler["lro"];
  /**
   * Approving an already approved connection is refused (Microsoft.Storage, recorded:
   * 400 InvalidValuesForRequestParameters).
   */
  refuseReapproval?: boolean;
  /** The connection carries ARM's systemData (registries: recorded, and in their spec's ProxyResource). */
  systemData?: boolean;
}

function invalidStatus(): ArmError {
  return new ArmError(400, "InvalidValuesForRequestParameters", "Values for request parameters are invalid: privateLinkServiceConnectionState.status.");
}

/** The connection's state key as each RP spells it (storage: actionRequired; others: actionsRequired). */
function actionKey(targetType: string): "actionRequired" | "actionsRequired" {
  return targetType.toLowerCase() === "microsoft.storage/storageaccounts" ? "actionRequired" : "actionsRequired";
}

/** Copies the connection's state to the target's `properties.privateEndpointConnections` and to the endpoint's connection. */
function mirrorState(ctx: HandlerContext, connection: ResourceRecord, state: JsonObject | undefined): void {
  const targetId = ctx.parentId(connection.id);
  const target = targetId ? ctx.store.get(targetId) : undefined;
  if (target) {
    const body = clone(target.body);
    const properties = section(body, "properties");
    const list = Array.isArray(properties.privateEndpointConnections) ? properties.privateEndpointConnections : [];
    properties.privateEndpointConnections = list.flatMap((item) => {
      if (!isObject(item) || optionalString(item, "id")?.toLowerCase() !== connection.id.toLowerCase()) return [item];
      if (state === undefined) return [];
      const entry = clone(item);
      const entryProperties = section(entry, "properties");
      entryProperties.privateLinkServiceConnectionState = clone(state);
      entry.properties = entryProperties;
      return [entry];
    });
    body.properties = properties;
    ctx.store.upsert({ ...target, body });
  }
  const endpointId = optionalString(section(section(connection.body, "properties"), "privateEndpoint"), "id");
  const endpoint = endpointId ? ctx.store.get(endpointId) : undefined;
  if (!endpoint || !targetId) return;
  const body = clone(endpoint.body);
  const properties = section(body, "properties");
  for (const key of ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"]) {
    const list = properties[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const itemProperties = isObject(item) ? section(item, "properties") : undefined;
      if (!itemProperties || optionalString(itemProperties, "privateLinkServiceId")?.toLowerCase() !== targetId.toLowerCase()) continue;
      // A deleted connection leaves the endpoint Disconnected (it stays, without traffic).
      itemProperties.privateLinkServiceConnectionState = state
        ? clone(state)
        : { status: "Disconnected", description: "Connection deleted by the resource owner.", actionsRequired: "None" };
      if (isObject(item)) item.properties = itemProperties;
    }
  }
  body.properties = properties;
  ctx.store.upsert({ ...endpoint, body });
}

/** `{target}/privateEndpointConnections`: approve or reject (PUT), read, delete. Never created here: a private endpoint creates it. */
export function connectionHandler(options: ConnectionTypeOptions): ResourceTypeHandler {
  const type = `${options.targetType}/privateEndpointConnections`;
  return {
    type,
    apiVersions: options.apiVersions,
    location: "none",
    lro: options.lro,
    systemData: options.systemData,
    latency: latencyOf(type),
    put(_ctx, req) {
      if (!req.existing) {
        throw new ArmError(
          404,
          "PrivateEndpointConnectionNotFound",
          "A private endpoint connection is created by creating a private endpoint to the resource; it can only be approved or rejected here.",
        );
      }
      const requested = section(section(req.body, "properties"), "privateLinkServiceConnectionState");
      const status = optionalString(requested, "status");
      if (status === undefined || !(CONNECTION_STATES as readonly string[]).includes(status)) throw invalidStatus();
      const current = optionalString(section(section(req.existing.body, "properties"), "privateLinkServiceConnectionState"), "status");
      // A rejected connection is final: the endpoint's owner must make a new one.
      if (current === "Rejected" && status !== "Rejected") throw invalidStatus();
      if (options.refuseReapproval && current === "Approved" && status === "Approved") throw invalidStatus();
      const body = clone(req.existing.body);
      const properties = section(body, "properties");
      delete properties.provisioningState;
      properties.privateLinkServiceConnectionState = {
        status,
        description: optionalString(requested, "description") ?? "",
        [actionKey(options.targetType)]: "None",
      };
      body.properties = properties;
      delete body.id;
      delete body.name;
      delete body.type;
      return body;
    },
    onSucceeded(ctx, record) {
      mirrorState(ctx, record, section(section(record.body, "properties"), "privateLinkServiceConnectionState"));
    },
    onDeleted(ctx, record) {
      mirrorState(ctx, record, undefined);
    },
  };
}

interface LinkResource {
  groupId: string;
  requiredMembers: string[];
  requiredZoneNames: string[];
}

const STORAGE_SERVICES = ["blob", "table", "queue", "file", "web", "dfs"];

function linkResourcesOf(record: ResourceRecord): LinkResource[] {
  const location = optionalString(record.body, "location") ?? "";
  switch (record.type.toLowerCase()) {
    case "microsoft.storage/storageaccounts":
      return STORAGE_SERVICES.map((service) => ({
        groupId: service,
        requiredMembers: [service],
        requiredZoneNames: [`privatelink.${service}.core.windows.net`],
      }));
    case "microsoft.keyvault/vaults":
      return [{ groupId: "vault", requiredMembers: ["default"], requiredZoneNames: ["privatelink.vaultcore.azure.net"] }];
    case "microsoft.containerregistry/registries":
      return [{ groupId: "registry", requiredMembers: ["registry", `registry_data_${location}`], requiredZoneNames: ["privatelink.azurecr.io"] }];
    case "microsoft.insights/privatelinkscopes":
      return [
        {
          groupId: "azuremonitor",
          requiredMembers: ["api", "global.in.ai", "profiler", "live", "snapshot", "diagservices-query", "global.handler.control"],
          requiredZoneNames: [
            "privatelink.monitor.azure.com",
            "privatelink.oms.opinsights.azure.com",
            "privatelink.ods.opinsights.azure.com",
            "privatelink.agentsvc.azure-automation.net",
            "privatelink.blob.core.windows.net",
          ],
        },
      ];
    default:
      return [];
  }
}

/** GET {target}/privateLinkResources: `{ value: [{ id, name, type, properties: { groupId, requiredMembers, requiredZoneNames } }] }`. */
export function privateLinkResources(_ctx: HandlerContext, req: { record?: ResourceRecord }): ActionResponse {
  const record = req.record;
  if (!record) throw new ArmError(404, "ResourceNotFound", "The resource was not found.");
  return {
    status: 200,
    body: {
      value: linkResourcesOf(record).map((resource) => ({
        id: `${record.id}/privateLinkResources/${resource.groupId}`,
        name: resource.groupId,
        type: `${record.type}/privateLinkResources`,
        properties: { groupId: resource.groupId, requiredMembers: resource.requiredMembers, requiredZoneNames: resource.requiredZoneNames },
      })),
    },
  };
}
