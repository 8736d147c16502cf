// `plan --diagram`: the architecture as a Mermaid flowchart — the VNet and its three subnets, the
// private endpoints in Training and the services they link to, the private DNS zones, Bastion, the
// jump box and the computes. Derived from the configuration alone (no Azure calls).

import { cloudProfile, requiredGroups, type PrivateLinkGroup } from "../azure/clouds.js";
import type { DeploymentConfig } from "../config/types.js";

/** Text safe inside a Mermaid "..." label. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/[<>]/g, (c) => (c === "<" ? "#lt;" : "#gt;"));
}

interface Endpoint {
  group: PrivateLinkGroup;
  id: string;
  service: string;
}

export function renderDiagram(config: DeploymentConfig): string {
  const profile = cloudProfile(config.cloud);
  const groups = requiredGroups(config.batchEndpoints);
  const endpoints: Endpoint[] = groups.map((group) => {
    const service =
      group === "blob" || group === "file" || group === "queue" || group === "table"
        ? "storage"
        : group === "vault"
          ? "keyvault"
          : group === "registry"
            ? "registry"
            : group === "amlworkspace"
              ? "workspace"
              : "ampls";
    return { group, id: `pe_${group}`, service };
  });

  const out: string[] = ["flowchart LR"];
  out.push(`  subgraph vnet["VNet ${label(config.vnetName)}<br/>${label(config.vnetAddressSpace)}"]`);
  out.push("    direction TB");
  out.push(`    subgraph training["Training ${label(config.trainingSubnet)}"]`);
  for (const e of endpoints) out.push(`      ${e.id}["private endpoint: ${e.group}"]`);
  if (config.jumpbox) out.push(`      jumpbox["jump box VM ${label(config.jumpboxName)}<br/>${label(config.jumpboxSize)}, no public IP"]`);
  out.push(`      cluster["compute cluster ${label(config.computeCluster)}<br/>${label(config.clusterVmSize)}, ${config.clusterMinNodes}-${config.clusterMaxNodes} nodes"]`);
  out.push(`      instance["compute instance ${label(config.computeInstance)}<br/>${label(config.instanceVmSize)}"]`);
  // Training page: an attached Ubuntu VM behind its own NSG (inbound AzureMachineLearning → 22).
  if (config.attachedVm) {
    out.push(
      `      attachedvm["attached Ubuntu VM ${label(config.attachedVm)}<br/>${label(config.attachedVmSize ?? "Standard_DS3_v2")}, SSH key, no public IP<br/>NSG: AzureMachineLearning → 22"]`,
    );
  }
  out.push("    end");
  out.push(`    subgraph scoring["Scoring ${label(config.scoringSubnet)}"]`);
  out.push(`      scoring_free["(for endpoints later)"]`);
  out.push("    end");
  if (config.databricks) {
    // Training page, Azure Databricks: the default subnet and the two delegated subnets behind the Databricks NSG.
    out.push(`    subgraph defaultsubnet["default ${label(config.defaultSubnet)}"]`);
    out.push(`      default_free["(required by the training page)"]`);
    out.push("    end");
    out.push(`    subgraph dbxpublic["databricks-public ${label(config.databricksPublicSubnet)}<br/>delegated to Microsoft.Databricks/workspaces"]`);
    out.push(`      dbx_hosts["Databricks cluster hosts${config.databricksWorkspace ? ", no public IP" : ""}"]`);
    out.push("    end");
    out.push(`    subgraph dbxprivate["databricks-private ${label(config.databricksPrivateSubnet)}<br/>delegated to Microsoft.Databricks/workspaces"]`);
    out.push(`      dbx_containers["Databricks cluster containers"]`);
    out.push("    end");
    out.push(`    dbx_nsg{{"NSG ${label(config.vnetName)}-databricks-nsg<br/>(rules added by Azure Databricks)"}}`);
    out.push("    dbx_nsg -.on.-> dbxpublic");
    out.push("    dbx_nsg -.on.-> dbxprivate");
  }
  out.push(`    subgraph bastionsubnet["AzureBastionSubnet ${label(config.bastionSubnet)}"]`);
  if (config.bastion) out.push(`      bastion["Azure Bastion ${label(config.bastionName)}"]`);
  else out.push(`      bastion_none["(no Bastion)"]`);
  out.push("    end");
  out.push("  end");

  out.push(`  storage[("storage account ${label(config.storageAccount)}")]`);
  out.push(`  keyvault["key vault ${label(config.keyVault)}"]`);
  out.push(`  registry["container registry ${label(config.registry)}"]`);
  out.push(`  workspace["Azure ML workspace ${label(config.workspace)}"]`);
  out.push(`  ampls["Azure Monitor private link scope ${label(config.privateLinkScope)}"]`);
  out.push(`  appinsights["Application Insights ${label(config.appInsights)}"]`);
  out.push(`  loganalytics["Log Analytics ${label(config.logAnalyticsWorkspace)}"]`);
  if (config.databricks && config.databricksWorkspace) {
    out.push(`  databricks["Azure Databricks ${label(config.databricksWorkspace)}<br/>VNet-injected, no private endpoint"]`);
    out.push(`  databricks_mrg[("managed resource group ${label(config.databricksManagedResourceGroup ?? "")}<br/>(Azure's)")]`);
    out.push("  databricks -.clusters in.-> dbx_hosts");
    out.push("  databricks -.owns.-> databricks_mrg");
  }
  if (config.trainingNsg) {
    out.push(`  training_nsg{{"NSG ${label(config.vnetName)}-training-nsg${config.restrictOutbound ? "<br/>outbound: training service tags only, Internet denied" : ""}"}}`);
    out.push("  training_nsg -.on.-> training");
  }

  for (const e of endpoints) out.push(`  ${e.id} --> ${e.service}`);
  out.push("  workspace -.uses.-> storage");
  out.push("  workspace -.uses.-> keyvault");
  out.push("  workspace -.uses.-> registry");
  out.push("  workspace -.uses.-> appinsights");
  out.push("  appinsights -.-> loganalytics");
  out.push("  ampls -.scopes.-> appinsights");
  out.push("  cluster -.builds images for.-> workspace");
  out.push("  instance -.-> workspace");
  if (config.attachedVm) out.push("  attachedvm -.attached compute (SSH 22).-> workspace");
  if (config.attachCompute) {
    const name = config.attachCompute.replace(/\/+$/, "").split("/").pop() ?? "";
    const kind = /\/Microsoft\.HDInsight\/clusters\//i.test(config.attachCompute) ? "HDInsight cluster" : "VM";
    out.push(`  attached["existing ${kind} ${label(name)}<br/>NSG: AzureMachineLearning → 22"]`);
    out.push("  attached -.attached compute (SSH 22).-> workspace");
  }

  // One node per distinct zone (Azure Monitor shares the blob zone with storage).
  const zoneIds = new Map<string, string>();
  out.push(`  subgraph dns["private DNS zones (linked to the VNet)"]`);
  for (const e of endpoints) {
    for (const zone of profile.privateDnsZones[e.group] ?? []) {
      if (!zoneIds.has(zone)) {
        const id = `zone_${zoneIds.size + 1}`;
        zoneIds.set(zone, id);
        out.push(`    ${id}{{"${label(zone)}"}}`);
      }
    }
  }
  out.push("  end");
  for (const e of endpoints) {
    for (const zone of profile.privateDnsZones[e.group] ?? []) out.push(`  ${e.id} -.A record.-> ${zoneIds.get(zone)}`);
  }
  out.push("  dns -.linked.-> vnet");

  if (config.bastion) {
    out.push(`  you(["you, in a browser"]) -->|HTTPS| bastion`);
    if (config.jumpbox) out.push("  bastion -->|RDP| jumpbox");
  }
  if (config.jumpbox) out.push(`  jumpbox -->|"ml.azure.com"| pe_amlworkspace`);
  return out.join("\n") + "\n";
}
