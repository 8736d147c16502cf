// Per-cloud endpoints and the private DNS zone names private endpoints need. Zone names come from
// Microsoft's "Azure Private Endpoint private DNS zone values" page (Commercial, Government, China).
// A cloud for which a zone this deployment needs is not published is refused before any request.

import type { CloudName } from "../config/types.js";
import { InputError } from "../errors.js";

/** The private-link sub-resources (group IDs) this deployment creates endpoints for. */
export type PrivateLinkGroup = "blob" | "file" | "queue" | "table" | "vault" | "registry" | "amlworkspace" | "azuremonitor";

export interface CloudProfile {
  name: CloudName;
  /** Resource Manager endpoint, without a trailing slash. */
  armEndpoint: string;
  /** Token audience for Resource Manager. */
  armScope: string;
  /** Microsoft Entra authority host for DefaultAzureCredential. */
  authorityHost: string;
  /**
   * Zone names per private-link group; undefined when Microsoft publishes none for that cloud. A group
   * may need more zones than one private DNS zone group holds (MAX_ZONES_PER_ZONE_GROUP): Azure
   * Government's azuremonitor has 6; the endpoint factory splits those over endpoints.
   */
  privateDnsZones: Record<PrivateLinkGroup, string[] | undefined>;
}

const commercial: CloudProfile = {
  name: "AzureCloud",
  armEndpoint: "https://management.azure.com",
  armScope: "https://management.azure.com/.default",
  authorityHost: "https://login.microsoftonline.com",
  privateDnsZones: {
    blob: ["privatelink.blob.core.windows.net"],
    file: ["privatelink.file.core.windows.net"],
    queue: ["privatelink.queue.core.windows.net"],
    table: ["privatelink.table.core.windows.net"],
    vault: ["privatelink.vaultcore.azure.net"],
    registry: ["privatelink.azurecr.io"],
    amlworkspace: ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"],
    azuremonitor: [
      "privatelink.monitor.azure.com",
      "privatelink.oms.opinsights.azure.com",
      "privatelink.ods.opinsights.azure.com",
      "privatelink.agentsvc.azure-automation.net",
      "privatelink.blob.core.windows.net",
    ],
  },
};

const government: CloudProfile = {
  name: "AzureUSGovernment",
  armEndpoint: "https://management.usgovcloudapi.net",
  armScope: "https://management.usgovcloudapi.net/.default",
  authorityHost: "https://login.microsoftonline.us",
  privateDnsZones: {
    blob: ["privatelink.blob.core.usgovcloudapi.net"],
    file: ["privatelink.file.core.usgovcloudapi.net"],
    queue: ["privatelink.queue.core.usgovcloudapi.net"],
    table: ["privatelink.table.core.usgovcloudapi.net"],
    vault: ["privatelink.vaultcore.usgovcloudapi.net"],
    registry: ["privatelink.azurecr.us"],
    amlworkspace: ["privatelink.api.ml.azure.us", "privatelink.notebooks.usgovcloudapi.net"],
    azuremonitor: [
      "privatelink.monitor.azure.us",
      "privatelink.adx.monitor.azure.us",
      "privatelink.oms.opinsights.azure.us",
      "privatelink.ods.opinsights.azure.us",
      "privatelink.agentsvc.azure-automation.us",
      "privatelink.blob.core.usgovcloudapi.net",
    ],
  },
};

// Azure China (21Vianet). Checked against Microsoft's "Azure Private Endpoint private DNS zone values"
// (China table: storage, vault privatelink.vaultcore.azure.cn, ML privatelink.api.ml.azure.cn +
// privatelink.notebooks.chinacloudapi.cn) and its docs.azure.cn edition (Container Registry
// privatelink.azurecr.cn). Azure Monitor: the China names of the five commercial zones
// (monitor.azure.cn, oms/ods.opinsights.azure.cn, agentsvc.azure-automation.cn, blob) as the China
// table publishes them for Microsoft.Insights/privateLinkScopes.
const china: CloudProfile = {
  name: "AzureChinaCloud",
  armEndpoint: "https://management.chinacloudapi.cn",
  armScope: "https://management.chinacloudapi.cn/.default",
  authorityHost: "https://login.chinacloudapi.cn",
  privateDnsZones: {
    blob: ["privatelink.blob.core.chinacloudapi.cn"],
    file: ["privatelink.file.core.chinacloudapi.cn"],
    queue: ["privatelink.queue.core.chinacloudapi.cn"],
    table: ["privatelink.table.core.chinacloudapi.cn"],
    vault: ["privatelink.vaultcore.azure.cn"],
    registry: ["privatelink.azurecr.cn"],
    amlworkspace: ["privatelink.api.ml.azure.cn", "privatelink.notebooks.chinacloudapi.cn"],
    azuremonitor: [
      "privatelink.monitor.azure.cn",
      "privatelink.oms.opinsights.azure.cn",
      "privatelink.ods.opinsights.azure.cn",
      "privatelink.agentsvc.azure-automation.cn",
      "privatelink.blob.core.chinacloudapi.cn",
    ],
  },
};

/**
 * "Each DNS zone group can support up to 5 DNS zones" and "Adding multiple DNS zone groups to a single
 * Private Endpoint is not supported" (Microsoft, "Azure Private Endpoint private DNS zone values",
 * Private DNS zone group). Azure answers a sixth zone config with 400 InvalidPrivateDnsZoneConfigCount.
 */
export const MAX_ZONES_PER_ZONE_GROUP = 5;

const profiles: Record<CloudName, CloudProfile> = {
  AzureCloud: commercial,
  AzureUSGovernment: government,
  AzureChinaCloud: china,
};

export function cloudProfile(name: CloudName): CloudProfile {
  return profiles[name];
}

/** The groups a deployment needs (queue/table only with batch endpoints). */
export function requiredGroups(batchEndpoints: boolean): PrivateLinkGroup[] {
  const groups: PrivateLinkGroup[] = ["blob", "file", "vault", "registry", "amlworkspace", "azuremonitor"];
  if (batchEndpoints) groups.push("queue", "table");
  return groups;
}

/**
 * Zone names for the groups, refusing the cloud (exit 2, before any request) when one is unknown.
 * Throws InputError naming the cloud and the missing groups.
 */
export function zonesFor(cloud: CloudProfile, groups: PrivateLinkGroup[]): Record<PrivateLinkGroup, string[]> {
  const missing = groups.filter((g) => cloud.privateDnsZones[g] === undefined);
  if (missing.length > 0) {
    throw new InputError([
      {
        field: "cloud",
        flag: "--cloud",
        env: "SECURE_AML_CLOUD",
        value: cloud.name,
        rule:
          `Microsoft publishes no private DNS zone for the private-link sub-resource(s) ${missing.join(", ")} in ${cloud.name}, ` +
          `so secure-aml cannot build this deployment there; use another cloud`,
      },
    ]);
  }
  const out = {} as Record<PrivateLinkGroup, string[]>;
  for (const g of groups) out[g] = cloud.privateDnsZones[g] ?? [];
  return out;
}

/** Every distinct zone name a deployment needs, sorted. */
export function allZoneNames(cloud: CloudProfile, batchEndpoints: boolean): string[] {
  const zones = zonesFor(cloud, requiredGroups(batchEndpoints));
  return [...new Set(Object.values(zones).flat())].sort();
}
