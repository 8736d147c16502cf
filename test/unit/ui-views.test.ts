import { test } from "node:test";
import assert from "node:assert/strict";
import type { DeploymentConfig } from "../../src/config/types.js";
import type { Change, PlannedResource } from "../../src/engine/types.js";
import { groupPlan, planSection, renderPlan } from "../../src/ui/plan.js";
import { renderDiagram } from "../../src/ui/diagram.js";
import { renderSummary } from "../../src/ui/summary.js";
import { hasControlCharacters } from "../../src/ui/format.js";
import { SUBNET_TRAINING, privateEndpointName } from "../../src/steps/common.js";
import { declaredOffline } from "../helpers/declared.js";

const SUB = "00000000-0000-0000-0000-000000000001";
const RG = `/subscriptions/${SUB}/resourceGroups/aml-rg`;

function tutorialConfig(overrides: Partial<DeploymentConfig> = {}): DeploymentConfig {
  return {
    cloud: "AzureCloud",
    subscriptionId: SUB,
    resourceGroup: "aml-rg",
    location: "eastus",
    prefix: "aml",
    vnetName: "aml-vnet",
    vnetAddressSpace: "172.16.0.0/16",
    trainingSubnet: "172.16.0.0/24",
    scoringSubnet: "172.16.1.0/24",
    bastionSubnet: "172.16.2.0/26",
    storageAccount: "amlstabcde",
    keyVault: "aml-kv-abcde",
    registry: "amlacrabcde",
    workspace: "aml-ws",
    logAnalyticsWorkspace: "aml-logs",
    appInsights: "aml-appi",
    privateLinkScope: "aml-ampls",
    bastionName: "aml-bastion",
    bastionPublicIp: "aml-bastion-pip",
    jumpbox: true,
    jumpboxName: "aml-jump",
    jumpboxAdmin: "azureuser",
    jumpboxSize: "Standard_D2s_v3",
    jumpboxShutdownTime: "1900",
    jumpboxShutdownTimeZone: "UTC",
    bastion: true,
    computeCluster: "cpu-cluster",
    clusterVmSize: "Standard_DS3_v2",
    clusterMinNodes: 0,
    clusterMaxNodes: 2,
    computeInstance: "aml-ci-abcde",
    instanceVmSize: "Standard_DS3_v2",
    batchEndpoints: false,
    trainingNsg: false,
    restrictOutbound: false,
    databricks: false,
    defaultSubnet: "172.16.8.0/24",
    databricksPublicSubnet: "172.16.9.0/24",
    databricksPrivateSubnet: "172.16.10.0/24",
    keyVaultSoftDeleted: "fail",
    ...overrides,
  };
}

/**
 * The plan fixture from the product's own declarations (stepsFor(config) and each step's resources), so
 * the views see the IDs, names and groups `plan` really produces.
 */
async function declaredPlan(config: DeploymentConfig): Promise<PlannedResource[]> {
  return (await declaredOffline(config)).map((d) => ({ id: d.id, kind: d.kind, name: d.name, group: d.group, action: "create" as const }));
}

const config = tutorialConfig();
const DECLARED = await declaredPlan(config);

/** A resource the deployment declares (fails when the product makes no such kind and name). */
function planned(kind: string, name: string, action: PlannedResource["action"] = "create", changes?: Change[]): PlannedResource {
  const found = DECLARED.find((d) => d.kind === kind && d.name === name);
  assert.ok(found, `the deployment declares no ${kind} named ${name}: ${DECLARED.map((d) => d.name).join(", ")}`);
  return changes ? { ...found, action, changes } : { ...found, action };
}

/** A kind secure-aml never makes, to see how the view places the unknown. */
function foreign(kind: string, name: string, group: string): PlannedResource {
  return { id: `${RG}/providers/${kind}/${name}`, kind, name, action: "create", group };
}

const blobEndpoint = privateEndpointName(config.storageAccount, "blob");
const trainingSubnet = SUBNET_TRAINING;
const readerOnBlob = `Reader on ${blobEndpoint}`;

const PLAN: PlannedResource[] = [
  planned("Microsoft.Storage/storageAccounts", config.storageAccount),
  planned("Microsoft.Network/privateDnsZones", "privatelink.blob.core.windows.net"),
  planned("Microsoft.Network/privateEndpoints", blobEndpoint),
  planned("Microsoft.Network/virtualNetworks", config.vnetName, "update", [{ field: "addressSpace", actual: "10.0.0.0/16", wanted: "172.16.0.0/16" }]),
  planned("Microsoft.Network/virtualNetworks/subnets", trainingSubnet),
  planned("Microsoft.Resources/resourceGroups", config.resourceGroup, "none"),
  planned("Microsoft.MachineLearningServices/workspaces", config.workspace),
  planned("Microsoft.MachineLearningServices/workspaces/computes", config.computeCluster),
  planned("Microsoft.Network/bastionHosts", config.bastionName),
  planned("Microsoft.Compute/virtualMachines", config.jumpboxName),
  planned("Microsoft.Insights/components", config.appInsights),
  planned("Microsoft.Authorization/roleAssignments", readerOnBlob),
  foreign("Contoso.Widgets/things", "odd", "training-subnet"),
  foreign("Contoso.Widgets/others", "odder", "nowhere-known"),
];

test("plan grouping follows the tutorial's architecture", () => {
  const sections = new Map(groupPlan(PLAN).map((g) => [g.id, g.resources.map((r) => r.name)]));
  assert.deepEqual([...sections.keys()], ["resource-group", "network", "training", "services", "dns", "access", "global", "other"]);
  assert.deepEqual(sections.get("network"), ["aml-vnet", trainingSubnet]);
  assert.deepEqual(sections.get("training"), [blobEndpoint, config.computeCluster, "aml-jump", "odd"]);
  assert.deepEqual(sections.get("services"), ["amlstabcde", "aml-ws"]);
  assert.deepEqual(sections.get("dns"), ["privatelink.blob.core.windows.net"]);
  assert.deepEqual(sections.get("access"), ["aml-bastion"]);
  assert.deepEqual(sections.get("global"), ["aml-appi", readerOnBlob]);
  assert.deepEqual(sections.get("other"), ["odder"]);
  // A kind is classified case-insensitively, the longest known prefix winning.
  assert.equal(planSection({ kind: "microsoft.machinelearningservices/workspaces/computes", group: "" }), "training");
  assert.equal(planSection({ kind: "Microsoft.Network/privateDnsZones/virtualNetworkLinks", group: "" }), "dns");
});

test("renderPlan lists every resource with kind, name and action, the changes, totals and the estimate", () => {
  const text = renderPlan(PLAN, { criticalPathSeconds: 1500, sequentialSeconds: 3600 });
  assert.equal(hasControlCharacters(text), false);
  for (const p of PLAN) assert.ok(text.includes(p.name), `missing ${p.name}`);
  assert.match(text, /Virtual network and its subnets/);
  assert.match(text, /In the Training subnet/);
  assert.match(text, /Private DNS zones/);
  assert.match(text, /\+ create\s+storageAccounts\s+amlstabcde/);
  assert.match(text, /~ update\s+virtualNetworks\s+aml-vnet\n\s+~ addressSpace: 10\.0\.0\.0\/16 → 172\.16\.0\.0\/16/);
  assert.match(text, /= exists\s+resourceGroups\s+aml-rg/);
  assert.match(text, /12 resources to create, 1 to update, 1 already as wanted\./);
  assert.match(text, /~25 min/);
  assert.match(text, /~60 min one after another/);
  // Network comes before Training, which comes before the DNS zones.
  assert.ok(text.indexOf("aml-vnet") < text.indexOf(blobEndpoint));
  assert.ok(text.indexOf(blobEndpoint) < text.indexOf("privatelink.blob.core.windows.net"));
  assert.match(renderPlan([]), /Nothing to do\./);
});

test("renderDiagram draws the VNet, its three subnets, the endpoints in Training, their services and zones", () => {
  const text = renderDiagram(tutorialConfig());
  assert.match(text, /^flowchart /);
  assert.match(text, /subgraph vnet\["VNet aml-vnet<br\/>172\.16\.0\.0\/16"\]/);
  assert.match(text, /subgraph training\["Training 172\.16\.0\.0\/24"\]/);
  assert.match(text, /subgraph scoring\["Scoring 172\.16\.1\.0\/24"\]/);
  assert.match(text, /subgraph bastionsubnet\["AzureBastionSubnet 172\.16\.2\.0\/26"\]/);
  for (const group of ["blob", "file", "vault", "registry", "amlworkspace", "azuremonitor"]) {
    assert.match(text, new RegExp(`pe_${group}\\["private endpoint: ${group}"\\]`));
  }
  assert.match(text, /pe_blob --> storage/);
  assert.match(text, /pe_amlworkspace --> workspace/);
  assert.match(text, /pe_azuremonitor --> ampls/);
  for (const zone of [
    "privatelink.blob.core.windows.net",
    "privatelink.api.azureml.ms",
    "privatelink.notebooks.azure.net",
    "privatelink.vaultcore.azure.net",
    "privatelink.azurecr.io",
    "privatelink.monitor.azure.com",
  ]) {
    assert.ok(text.includes(`{{"${zone}"}}`), `zone ${zone} missing`);
  }
  // The blob zone is shared by storage and Azure Monitor: drawn once.
  assert.equal(text.split(`"privatelink.blob.core.windows.net"`).length - 1, 1);
  assert.match(text, /jumpbox\["jump box VM aml-jump/);
  assert.match(text, /bastion\["Azure Bastion aml-bastion"\]/);
  assert.match(text, /bastion -->\|RDP\| jumpbox/);
  assert.match(text, /cluster\["compute cluster cpu-cluster<br\/>Standard_DS3_v2, 0-2 nodes"\]/);
  assert.match(text, /instance\["compute instance aml-ci-abcde/);
  assert.doesNotMatch(text, /pe_queue|pe_table/);

  const batch = renderDiagram(tutorialConfig({ batchEndpoints: true, jumpbox: false, bastion: false }));
  assert.match(batch, /pe_queue --> storage/);
  assert.match(batch, /pe_table --> storage/);
  assert.match(batch, /privatelink\.queue\.core\.windows\.net/);
  assert.doesNotMatch(batch, /jumpbox\[/);
  assert.doesNotMatch(batch, /bastion\["Azure Bastion/);
  assert.doesNotMatch(text, /attachedvm|attached\[/, "no attached compute unless asked");

  // Training page: the attached VM in Training, or an existing VM/HDInsight attached.
  const attached = renderDiagram(tutorialConfig({ attachedVm: "trainvm" }));
  assert.match(
    attached,
    /subgraph training[\s\S]*attachedvm\["attached Ubuntu VM trainvm<br\/>Standard_DS3_v2, SSH key, no public IP<br\/>NSG: AzureMachineLearning → 22"\][\s\S]*?end/,
  );
  assert.match(attached, /attachedvm -\.attached compute \(SSH 22\)\.-> workspace/);
  const existing = renderDiagram(tutorialConfig({ attachCompute: `${RG}/providers/Microsoft.HDInsight/clusters/spark1` }));
  assert.match(existing, /attached\["existing HDInsight cluster spark1/);
  assert.match(existing, /attached -\.attached compute \(SSH 22\)\.-> workspace/);
});

test("renderSummary: portal links, the way to studio, how to stop and how to tear down", () => {
  const outcome = (p: PlannedResource, action: "created" | "unchanged") => ({ id: p.id, kind: p.kind, name: p.name, action });
  const resources = [
    outcome(planned("Microsoft.Resources/resourceGroups", config.resourceGroup), "created"),
    outcome(planned("Microsoft.MachineLearningServices/workspaces", config.workspace), "created"),
    outcome(planned("Microsoft.Compute/virtualMachines", config.jumpboxName), "unchanged"),
  ];
  const text = renderSummary({ config, resources, durationMs: 1_450_000, commandSuffix: "--config secure-aml.json" });
  assert.equal(hasControlCharacters(text), false);
  assert.match(text, /2 created, 1 unchanged/);
  assert.match(text, /24m 10s/);
  assert.ok(text.includes(`https://portal.azure.com/#@/resource${RG}/providers/Microsoft.MachineLearningServices/workspaces/aml-ws`));
  assert.ok(text.includes(`https://portal.azure.com/#@/resource${RG}/providers/Microsoft.Compute/virtualMachines/aml-jump`));
  assert.match(text, /Connect, then Bastion/);
  assert.match(text, /https:\/\/ml\.azure\.com/);
  assert.match(text, /secure-aml stop --config secure-aml\.json/);
  assert.match(text, /secure-aml destroy --config secure-aml\.json/);
  assert.match(text, /19:00 \(UTC\)/);

  const local = renderSummary({ config, resources, local: true });
  assert.doesNotMatch(local, /portal\.azure\.com/);
  assert.match(local, /local emulator/);
  const noBastion = renderSummary({ config: tutorialConfig({ bastion: false }), resources });
  assert.match(noBastion, /VPN or\s+ExpressRoute/);
});
