// The whole step graph in-process against the emulator, with the real SDK clients: every resource
// of the tutorial and its security properties read back; a converged re-run sends zero writes; a
// deleted resource is recreated; a property switched back behind our back is put back.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import type { DeploymentConfig } from "../../src/config/types.js";
import type { AzureContext } from "../../src/azure/clients.js";
import { allZoneNames } from "../../src/azure/clouds.js";
import { stepsFor } from "../../src/steps/index.js";
import { MANAGED_TAG, READER_ROLE_ID, dnsLinkName, privateEndpointName, shutdownScheduleName, subnetId, trainingNsgName } from "../../src/steps/common.js";
import { roleAssignmentName, readerRoleDefinitionId } from "../../src/steps/storage-endpoint-reader.js";
import { PRIVATE_LINK_SCOPE_API_VERSION } from "../../src/steps/monitor-private-link.js";
import { azureFor, deploy, testConfig, testSecrets } from "./steps-fixture.js";
import { declaredResources, idSet } from "../helpers/declared.js";

function field(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const k of path) cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

const lc = (s: string | undefined) => (s ?? "").toLowerCase();

describe("the step graph against the emulator", () => {
  let emulator: TestEmulator;
  let config: DeploymentConfig;
  let azure: AzureContext;
  /** What the first run created (lower-case IDs, sorted). */
  let deployedIds: string[] = [];

  before(async () => {
    emulator = await startTestEmulator({ validateSpecs: true });
    config = testConfig(emulator.subscriptionId);
    azure = azureFor(emulator, config);
  });
  after(async () => {
    await emulator?.stop();
  });

  it("builds every resource of the tutorial with its security properties", async () => {
    const run = await deploy({ config, secrets: testSecrets, azure });
    deployedIds = idSet(run.resources);
    // Exactly what the steps declare (stepsFor(config) and each step's resources): none dropped, none extra.
    const declared = await declaredResources({ config, secrets: testSecrets, azure }, (id) => run.results.get(id)?.outputs ?? {});
    assert.deepEqual(deployedIds, idSet(declared), "the run reports every declared resource, and only those");
    assert.deepEqual(
      run.resources.filter((r) => r.action === "unchanged"),
      [],
      "a first run finds nothing in place",
    );
    // Only two writes go to something this run created earlier: the NSG onto Training, image builds onto the workspace.
    assert.deepEqual(
      run.resources
        .filter((r) => r.action === "updated")
        .map((r) => r.name)
        .sort(),
      ["Training", config.workspace].sort(),
    );
    const rg = config.resourceGroup;

    // Every write the emulator received went to a resource the run reports, and the client counted it
    // (the counter counts each attempt sent; one lost on a closing kept-alive socket never arrives).
    const log = await emulator.requestLog();
    const writeRequests = log.filter((e) => e.class === "write");
    assert.deepEqual(
      writeRequests.map((e) => e.path.toLowerCase()).filter((p) => !deployedIds.includes(p)),
      [],
      "no write outside the deployment",
    );
    assert.ok(azure.counter.snapshot().writes >= writeRequests.length, `${azure.counter.snapshot().writes} counted, ${writeRequests.length} received`);

    // Azure refuses concurrent endpoint writes on one storage account: the file endpoint is not even
    // read before the blob endpoint's create has finished.
    const blobPath = `/privateEndpoints/${privateEndpointName(config.storageAccount, "blob")}`;
    const filePath = `/privateEndpoints/${privateEndpointName(config.storageAccount, "file")}`;
    const lastBlobEndpointRequest = log.map((e) => e.path.endsWith(blobPath)).lastIndexOf(true);
    const firstFileRequest = log.findIndex((e) => e.path.includes(filePath));
    assert.ok(
      log.some((e) => e.method === "PUT" && e.path.endsWith(blobPath)),
      "the blob endpoint was created",
    );
    assert.ok(firstFileRequest > lastBlobEndpointRequest, `the file endpoint waits for the blob endpoint (${firstFileRequest} > ${lastBlobEndpointRequest})`);

    const group = await (await azure.resources()).resourceGroups.get(rg);
    assert.equal(group.tags?.[MANAGED_TAG], "managed");

    const network = await azure.network();
    const vnet = await network.virtualNetworks.get(rg, config.vnetName);
    assert.deepEqual(vnet.addressSpace?.addressPrefixes, ["172.16.0.0/16"]);
    const subnets = new Map((vnet.subnets ?? []).map((s) => [s.name, s]));
    assert.equal(subnets.get("Training")?.addressPrefix, "172.16.0.0/24");
    assert.equal(subnets.get("Scoring")?.addressPrefix, "172.16.1.0/24");
    assert.equal(subnets.get("AzureBastionSubnet")?.addressPrefix, "172.16.2.0/26");
    assert.equal(subnets.get("Training")?.privateEndpointNetworkPolicies, "Disabled");
    assert.equal(
      lc(subnets.get("Training")?.networkSecurityGroup?.id),
      lc(`/subscriptions/${config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/networkSecurityGroups/${trainingNsgName(config)}`),
    );

    const nsg = await network.networkSecurityGroups.get(rg, trainingNsgName(config));
    const ssh = nsg.securityRules?.find((r) => r.name === "AllowAzureMachineLearningSsh");
    assert.equal(ssh?.sourceAddressPrefix, "AzureMachineLearning");
    assert.equal(ssh?.destinationPortRange, "22");
    assert.equal(ssh?.direction, "Inbound");
    assert.equal(ssh?.access, "Allow");

    const pip = await network.publicIPAddresses.get(rg, config.bastionPublicIp);
    assert.equal(pip.sku?.name, "Standard");
    assert.equal(pip.publicIPAllocationMethod, "Static");
    const bastion = await network.bastionHosts.get(rg, config.bastionName);
    assert.equal(lc(bastion.ipConfigurations?.[0]?.subnet?.id), lc(subnetId(config, "AzureBastionSubnet")));

    const storage = await (await azure.storage()).storageAccounts.getProperties(rg, config.storageAccount);
    assert.equal(storage.sku?.name, "Standard_LRS");
    assert.equal(storage.publicNetworkAccess, "Disabled");
    assert.equal(storage.allowBlobPublicAccess, false);
    assert.equal(storage.minimumTlsVersion, "TLS1_2");

    const vault = await (await azure.keyVault()).vaults.get(rg, config.keyVault);
    assert.equal(vault.properties.publicNetworkAccess, "Disabled");

    const registry = await (await azure.containerRegistry()).registries.get(rg, config.registry);
    assert.equal(registry.sku.name, "Premium");
    assert.equal(registry.adminUserEnabled, true);
    assert.equal(registry.publicNetworkAccess, "Disabled");

    const logs = await (await azure.operationalInsights()).workspaces.get(rg, config.logAnalyticsWorkspace);
    const appi = await (await azure.appInsights()).components.get(rg, config.appInsights);
    assert.equal(lc(appi.workspaceResourceId), lc(logs.id), "Application Insights is workspace-based");

    const ml = await azure.machineLearning();
    const ws = await ml.workspaces.get(rg, config.workspace);
    assert.equal(ws.identity?.type, "SystemAssigned");
    assert.ok(ws.identity?.principalId);
    assert.equal(ws.publicNetworkAccess, "Disabled");
    assert.equal(lc(ws.storageAccount), lc(storage.id));
    assert.equal(lc(ws.keyVault), lc(vault.id));
    assert.equal(lc(ws.containerRegistry), lc(registry.id));
    assert.equal(lc(ws.applicationInsights), lc(appi.id));
    assert.equal(ws.imageBuildCompute, config.computeCluster);

    // Every private endpoint: Training subnet, the right target and sub-resource, a zone group with its zones.
    const endpoints: Array<[string, string | undefined, string, string[]]> = [
      [privateEndpointName(config.storageAccount, "blob"), storage.id, "blob", ["privatelink.blob.core.windows.net"]],
      [privateEndpointName(config.storageAccount, "file"), storage.id, "file", ["privatelink.file.core.windows.net"]],
      [privateEndpointName(config.keyVault, "vault"), vault.id, "vault", ["privatelink.vaultcore.azure.net"]],
      [privateEndpointName(config.registry, "registry"), registry.id, "registry", ["privatelink.azurecr.io"]],
      [privateEndpointName(config.workspace, "amlworkspace"), ws.id, "amlworkspace", ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]],
    ];
    for (const [name, target, groupId, zones] of endpoints) {
      const pe = await network.privateEndpoints.get(rg, name);
      assert.equal(lc(pe.subnet?.id), lc(subnetId(config, "Training")), name);
      const conn = pe.privateLinkServiceConnections?.[0];
      assert.equal(lc(conn?.privateLinkServiceId), lc(target), name);
      assert.deepEqual(conn?.groupIds, [groupId]);
      const zg = await network.privateDnsZoneGroups.get(rg, name, "default");
      const zoneNames = (zg.privateDnsZoneConfigs ?? []).map((c) => (c.privateDnsZoneId ?? "").split("/").pop()).sort();
      assert.deepEqual(zoneNames, [...zones].sort(), name);
    }

    const dns = await azure.privateDns();
    for (const zone of allZoneNames(azure.cloud, false)) {
      const z = await dns.privateZones.get(rg, zone);
      assert.equal(z.location, "global");
      const link = await dns.virtualNetworkLinks.get(rg, zone, dnsLinkName(config));
      assert.equal(lc(link.virtualNetwork?.id), lc(vnet.id), zone);
      assert.equal(link.registrationEnabled, false);
    }

    const auth = await azure.authorization();
    const roleDefinitionId = readerRoleDefinitionId(config.subscriptionId);
    for (const g of ["blob", "file"]) {
      const scope = (await network.privateEndpoints.get(rg, privateEndpointName(config.storageAccount, g))).id ?? "";
      const ra = await auth.roleAssignments.get(scope, roleAssignmentName(scope, ws.identity?.principalId ?? "", roleDefinitionId));
      assert.equal(ra.principalId, ws.identity?.principalId);
      assert.ok(lc(ra.roleDefinitionId).endsWith(READER_ROLE_ID));
      assert.equal(ra.principalType, "ServicePrincipal");
    }

    const resources = await azure.resources();
    const scopeId = `/subscriptions/${config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Insights/privateLinkScopes/${config.privateLinkScope}`;
    const scope = await resources.resources.getById(scopeId, PRIVATE_LINK_SCOPE_API_VERSION);
    assert.equal(field(scope, "properties", "accessModeSettings", "ingestionAccessMode"), "PrivateOnly");
    assert.equal(field(scope, "properties", "accessModeSettings", "queryAccessMode"), "PrivateOnly");
    for (const [name, linked] of [
      [`${config.appInsights}-scoped`, appi.id],
      [`${config.logAnalyticsWorkspace}-scoped`, logs.id],
    ] as const) {
      const sr = await resources.resources.getById(`${scopeId}/scopedResources/${name}`, PRIVATE_LINK_SCOPE_API_VERSION);
      assert.equal(lc(String(field(sr, "properties", "linkedResourceId"))), lc(linked));
    }
    const monitorPe = await network.privateEndpoints.get(rg, privateEndpointName(config.privateLinkScope, "azuremonitor"));
    assert.deepEqual(monitorPe.privateLinkServiceConnections?.[0]?.groupIds, ["azuremonitor"]);
    const monitorZones = (await network.privateDnsZoneGroups.get(rg, monitorPe.name ?? "", "default")).privateDnsZoneConfigs?.map((c) =>
      (c.privateDnsZoneId ?? "").split("/").pop(),
    );
    assert.ok(monitorZones?.includes("privatelink.monitor.azure.com") && monitorZones.includes("privatelink.oms.opinsights.azure.com"));

    const nic = await network.networkInterfaces.get(rg, `${config.jumpboxName}-nic`);
    assert.equal(nic.ipConfigurations?.[0]?.publicIPAddress, undefined, "the jump box has no public IP");
    assert.equal(lc(nic.ipConfigurations?.[0]?.subnet?.id), lc(subnetId(config, "Training")));
    const vm = await (await azure.compute()).virtualMachines.get(rg, config.jumpboxName);
    assert.equal(vm.storageProfile?.imageReference?.offer, "windows-11");
    assert.match(vm.storageProfile?.imageReference?.sku ?? "", /-ent$/);
    assert.equal(vm.osProfile?.adminPassword, undefined, "the password is never read back");
    const schedule = await (await azure.devTestLabs()).globalSchedules.get(rg, shutdownScheduleName(config.jumpboxName));
    assert.equal(schedule.dailyRecurrence?.time, "1900");
    assert.equal(schedule.timeZoneId, "UTC");
    assert.equal(lc(schedule.targetResourceId), lc(vm.id));

    const cluster = await ml.computeOperations.get(rg, config.workspace, config.computeCluster);
    assert.equal(field(cluster, "properties", "computeType"), "AmlCompute");
    assert.equal(field(cluster, "properties", "properties", "scaleSettings", "minNodeCount"), 0);
    assert.equal(field(cluster, "properties", "properties", "enableNodePublicIp"), false);
    assert.equal(lc(String(field(cluster, "properties", "properties", "subnet", "id"))), lc(subnetId(config, "Training")));
    const instance = await ml.computeOperations.get(rg, config.workspace, config.computeInstance);
    assert.equal(field(instance, "properties", "computeType"), "ComputeInstance");
    assert.equal(field(instance, "properties", "properties", "enableNodePublicIp"), false);
    assert.equal(lc(String(field(instance, "properties", "properties", "subnet", "id"))), lc(subnetId(config, "Training")));
  });

  it("a second run on the finished deployment sends zero writes and reports everything unchanged", async () => {
    azure.counter.reset();
    await emulator.clearRequestLog();
    const run = await deploy({ config, secrets: {}, azure });
    assert.equal(azure.counter.snapshot().writes, 0);
    assert.deepEqual(
      run.resources
        .map((r) => r.id.toLowerCase())
        .filter((id, i, all) => all.indexOf(id) === i)
        .sort(),
      deployedIds,
      "the re-run read every resource",
    );
    const writes = (await emulator.requestLog()).filter((e) => !["GET", "HEAD"].includes(e.method) && !/checkNameAvailability/i.test(e.path));
    assert.deepEqual(writes, [], "the emulator saw no write either");
    assert.deepEqual(
      run.resources.filter((r) => r.action !== "unchanged"),
      [],
    );
  });

  it("plan on the finished deployment has nothing to do", async () => {
    const ctx = { config, secrets: {}, azure };
    const planned = (await Promise.all(stepsFor(config).map((s) => s.plan?.(ctx, { signal: new AbortController().signal, progress: () => {}, outputs: () => ({}) }) ?? []))).flat();
    assert.deepEqual([...new Set(planned.map((p) => p.id.toLowerCase()))].sort(), deployedIds, "plan reads exactly what init made");
    assert.deepEqual(
      planned.filter((p) => p.action !== "none"),
      [],
    );
  });

  it("recreates a deleted resource and leaves the rest alone", async () => {
    const network = await azure.network();
    const peName = privateEndpointName(config.registry, "registry");
    await network.privateEndpoints.beginDeleteAndWait(config.resourceGroup, peName, { updateIntervalInMs: 5 });
    await (await azure.devTestLabs()).globalSchedules.delete(config.resourceGroup, shutdownScheduleName(config.jumpboxName));
    const run = await deploy({ config, secrets: {}, azure });
    const changed = run.resources
      .filter((r) => r.action !== "unchanged")
      .map((r) => `${r.action} ${r.name}`)
      .sort();
    assert.deepEqual(changed, [`created ${peName}`, `created ${peName}/default`, `created ${shutdownScheduleName(config.jumpboxName)}`].sort());
    const pe = await network.privateEndpoints.get(config.resourceGroup, peName);
    assert.deepEqual(pe.privateLinkServiceConnections?.[0]?.groupIds, ["registry"]);
  });

  it("puts back a security property switched off behind its back", async () => {
    const acr = await azure.containerRegistry();
    await acr.registries.update(config.resourceGroup, config.registry, { publicNetworkAccess: "Enabled" }, { updateIntervalInMs: 5 });
    assert.equal((await acr.registries.get(config.resourceGroup, config.registry)).publicNetworkAccess, "Enabled");

    const ctx = { config, secrets: {}, azure };
    const { registryStep } = await import("../../src/steps/registry.js");
    const planned = await registryStep.plan?.(ctx, { signal: new AbortController().signal, progress: () => {}, outputs: () => ({}) });
    assert.equal(planned?.[0]?.action, "update");
    assert.deepEqual(planned?.[0]?.changes, [{ field: "publicNetworkAccess", actual: "Enabled", wanted: "Disabled" }]);

    const run = await deploy(ctx);
    const changed = run.resources.filter((r) => r.action !== "unchanged").map((r) => `${r.action} ${r.kind}`);
    assert.deepEqual(changed, ["updated Microsoft.ContainerRegistry/registries"]);
    assert.equal((await acr.registries.get(config.resourceGroup, config.registry)).publicNetworkAccess, "Disabled");
  });

  it("keeps a subnet someone else added to the VNet", async () => {
    const network = await azure.network();
    await network.subnets.beginCreateOrUpdateAndWait(config.resourceGroup, config.vnetName, "Extra", { addressPrefix: "172.16.3.0/24" }, { updateIntervalInMs: 5 });
    // Drift one of ours so that the network step has to write.
    const scoring = await network.subnets.get(config.resourceGroup, config.vnetName, "Scoring");
    await network.subnets.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      config.vnetName,
      "Scoring",
      { ...scoring, privateEndpointNetworkPolicies: "Enabled" },
      { updateIntervalInMs: 5 },
    );
    const run = await deploy({ config, secrets: {}, azure }, ["network"]);
    assert.deepEqual(
      run.resources.filter((r) => r.action === "updated").map((r) => r.name),
      ["Scoring"],
    );
    const names = ((await network.virtualNetworks.get(config.resourceGroup, config.vnetName)).subnets ?? []).map((s) => s.name).sort();
    assert.deepEqual(names, ["AzureBastionSubnet", "Extra", "Scoring", "Training"]);
    const training = await network.subnets.get(config.resourceGroup, config.vnetName, "Training");
    assert.ok(training.networkSecurityGroup?.id, "the Training NSG association survived");
  });
});
