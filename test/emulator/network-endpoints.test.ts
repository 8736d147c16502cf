// Private endpoints, DNS zone groups and private DNS zones, driven through @azure/arm-network and
// @azure/arm-privatedns (targets created with their own SDKs) against the emulator, spec validation on.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PrivateEndpoint } from "@azure/arm-network";
import { POLL, REGION, createTutorialVnet, rejectsWithCode, specFindingLines, startNetworkFixture, subnetIdOf, type NetworkFixture } from "./network-fixture.js";
import { recordNameFor } from "../../src/emulator/providers/network.js";

let fixture: NetworkFixture;
const TENANT = "00000000-0000-0000-0000-000000000001";

before(async () => {
  fixture = await startNetworkFixture();
});

after(async () => {
  await fixture?.emulator.stop();
});

async function storageAccount(rg: string, name: string): Promise<string> {
  const { StorageManagementClient } = await import("@azure/arm-storage");
  const client = new StorageManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
  const account = await client.storageAccounts.beginCreateAndWait(
    rg,
    name,
    { location: REGION, kind: "StorageV2", sku: { name: "Standard_LRS" }, publicNetworkAccess: "Disabled", minimumTlsVersion: "TLS1_2", allowBlobPublicAccess: false },
    POLL,
  );
  return account.id ?? "";
}

async function registry(rg: string, name: string, sku: "Basic" | "Premium"): Promise<string> {
  const { ContainerRegistryManagementClient } = await import("@azure/arm-containerregistry");
  const client = new ContainerRegistryManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
  const created = await client.registries.create(rg, name, { location: REGION, sku: { name: sku }, adminUserEnabled: true }, POLL);
  return created.id ?? "";
}

async function vault(rg: string, name: string): Promise<string> {
  const { KeyVaultManagementClient } = await import("@azure/arm-keyvault");
  const client = new KeyVaultManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
  const created = await client.vaults.createOrUpdate(
    rg,
    name,
    { location: REGION, properties: { tenantId: TENANT, sku: { family: "A", name: "standard" }, accessPolicies: [] } },
    POLL,
  );
  return created.id ?? "";
}

async function zoneWithLink(rg: string, zone: string): Promise<string> {
  const created = await fixture.dns.privateZones.beginCreateOrUpdateAndWait(rg, zone, { location: "global" }, POLL);
  const vnetId = `/subscriptions/${fixture.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/vnet`;
  await fixture.dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(rg, zone, "link", { location: "global", virtualNetwork: { id: vnetId }, registrationEnabled: false }, POLL);
  return created.id ?? "";
}

function endpointBody(subnetId: string, targetId: string, groupIds: string[], location = REGION): PrivateEndpoint {
  return {
    location,
    subnet: { id: subnetId },
    privateLinkServiceConnections: [{ name: "connection", privateLinkServiceId: targetId, groupIds }],
  };
}

describe("private endpoints", () => {
  it("to a storage blob: Approved, a NIC, an IP from the subnet, and a connection on the account", async () => {
    const rg = await fixture.resourceGroup("rg-pe-blob");
    await createTutorialVnet(fixture, rg);
    const training = subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training");
    const accountId = await storageAccount(rg, "stblobpe01");
    const endpoint = await fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe-blob", endpointBody(training, accountId, ["blob"]), POLL);
    assert.equal(endpoint.provisioningState, "Succeeded");
    assert.equal(endpoint.privateLinkServiceConnections?.[0]?.privateLinkServiceConnectionState?.status, "Approved");
    assert.equal(endpoint.networkInterfaces?.length, 1);
    assert.deepEqual(endpoint.customDnsConfigs, [{ fqdn: "stblobpe01.blob.core.windows.net", ipAddresses: ["172.16.0.4"] }]);

    const nicName = endpoint.networkInterfaces?.[0]?.id?.split("/").pop() ?? "";
    const nic = await fixture.network.networkInterfaces.get(rg, nicName);
    assert.equal(nic.ipConfigurations?.[0]?.privateIPAddress, "172.16.0.4");
    assert.equal(nic.privateEndpoint?.id, endpoint.id);

    const { StorageManagementClient } = await import("@azure/arm-storage");
    const storage = new StorageManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
    const account = await storage.storageAccounts.getProperties(rg, "stblobpe01");
    assert.equal(account.privateEndpointConnections?.length, 1);
    assert.equal(account.privateEndpointConnections?.[0]?.privateEndpoint?.id, endpoint.id);
    assert.equal(account.privateEndpointConnections?.[0]?.privateLinkServiceConnectionState?.status, "Approved");

    // A second endpoint in the same subnet gets the next address; a re-PUT keeps its own.
    const file = await fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe-file", endpointBody(training, accountId, ["file"]), POLL);
    assert.deepEqual(file.customDnsConfigs?.[0]?.ipAddresses, ["172.16.0.5"]);
    const again = await fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe-blob", endpointBody(training, accountId, ["blob"]), POLL);
    assert.deepEqual(again.customDnsConfigs?.[0]?.ipAddresses, ["172.16.0.4"]);

    // The subnet is in use: a VNet PUT dropping it fails.
    await rejectsWithCode(
      fixture.network.virtualNetworks.beginCreateOrUpdateAndWait(
        rg,
        "vnet",
        {
          location: REGION,
          addressSpace: { addressPrefixes: ["172.16.0.0/16"] },
          subnets: [
            { name: "Scoring", addressPrefix: "172.16.1.0/24" },
            { name: "AzureBastionSubnet", addressPrefix: "172.16.2.0/26" },
          ],
        },
        POLL,
      ),
      "InUseSubnetCannotBeDeleted",
      400,
    );

    // Deleting the endpoint removes its NIC and its connection on the account.
    await fixture.network.privateEndpoints.beginDeleteAndWait(rg, "pe-blob", POLL);
    await rejectsWithCode(fixture.network.networkInterfaces.get(rg, nicName), "ResourceNotFound", 404);
    const afterDelete = await storage.storageAccounts.getProperties(rg, "stblobpe01");
    assert.deepEqual(
      afterDelete.privateEndpointConnections?.map((connection) => connection.privateEndpoint?.id),
      [file.id],
    );
  });

  it("refuses a subnet in another region, a missing target and wrong group IDs", async () => {
    const rg = await fixture.resourceGroup("rg-pe-rules");
    await createTutorialVnet(fixture, rg);
    const training = subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training");
    const accountId = await storageAccount(rg, "strulespe01");
    await rejectsWithCode(
      fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe", endpointBody(training, accountId, ["blob"], "westeurope"), POLL),
      "InvalidResourceReference",
      400,
    );
    await rejectsWithCode(
      fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe", endpointBody(subnetIdOf(fixture.subscriptionId, rg, "vnet", "Nope"), accountId, ["blob"]), POLL),
      "InvalidResourceReference",
      400,
    );
    await rejectsWithCode(
      fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe", endpointBody(training, accountId.replace("strulespe01", "stmissing01"), ["blob"]), POLL),
      "PrivateLinkServiceNotFound",
      400,
    );
    await rejectsWithCode(
      fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe", endpointBody(training, accountId, ["vault"]), POLL),
      "InvalidValuesForRequestParameters",
      400,
    );
    await rejectsWithCode(
      fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe", endpointBody(training, accountId, ["blob", "file"]), POLL),
      "OnlyOneGroupIdPermitted",
      400,
    );
  });

  it("a registry must be Premium; its endpoint serves the login server and the data endpoint", async () => {
    const rg = await fixture.resourceGroup("rg-pe-acr");
    await createTutorialVnet(fixture, rg);
    const training = subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training");
    const basicId = await registry(rg, "crbasicpe01", "Basic");
    await rejectsWithCode(
      fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe-basic", endpointBody(training, basicId, ["registry"]), POLL),
      "PrivateEndpointNotSupportedForSku",
      400,
    );
    const premiumId = await registry(rg, "crpremiumpe01", "Premium");
    const endpoint = await fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe-acr", endpointBody(training, premiumId, ["registry"]), POLL);
    assert.deepEqual(
      endpoint.customDnsConfigs?.map((config) => config.fqdn),
      ["crpremiumpe01.azurecr.io", `crpremiumpe01.${REGION}.data.azurecr.io`],
    );
    const zoneId = await zoneWithLink(rg, "privatelink.azurecr.io");
    await fixture.network.privateDnsZoneGroups.beginCreateOrUpdateAndWait(rg, "pe-acr", "default", { privateDnsZoneConfigs: [{ name: "acr", privateDnsZoneId: zoneId }] }, POLL);
    const login = await fixture.dns.recordSets.get(rg, "privatelink.azurecr.io", "A", "crpremiumpe01");
    const data = await fixture.dns.recordSets.get(rg, "privatelink.azurecr.io", "A", `crpremiumpe01.${REGION}.data`);
    assert.deepEqual(login.aRecords, [{ ipv4Address: endpoint.customDnsConfigs?.[0]?.ipAddresses?.[0] }]);
    assert.deepEqual(data.aRecords, [{ ipv4Address: endpoint.customDnsConfigs?.[1]?.ipAddresses?.[0] }]);
  });
});

describe("private DNS zone groups", () => {
  it("write A records into the zones, and remove them when the group or the endpoint goes", async () => {
    const rg = await fixture.resourceGroup("rg-zonegroup");
    await createTutorialVnet(fixture, rg);
    const training = subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training");
    const accountId = await storageAccount(rg, "stzonegrp01");
    const vaultId = await vault(rg, "kv-zonegrp-01");
    const blobZone = await zoneWithLink(rg, "privatelink.blob.core.windows.net");
    const vaultZone = await zoneWithLink(rg, "privatelink.vaultcore.azure.net");

    const blob = await fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe-blob", endpointBody(training, accountId, ["blob"]), POLL);
    const group = await fixture.network.privateDnsZoneGroups.beginCreateOrUpdateAndWait(
      rg,
      "pe-blob",
      "default",
      { privateDnsZoneConfigs: [{ name: "blob", privateDnsZoneId: blobZone }] },
      POLL,
    );
    assert.equal(group.provisioningState, "Succeeded");
    assert.equal(group.privateDnsZoneConfigs?.[0]?.recordSets?.[0]?.recordSetName, "stzonegrp01");
    const record = await fixture.dns.recordSets.get(rg, "privatelink.blob.core.windows.net", "A", "stzonegrp01");
    assert.deepEqual(record.aRecords, [{ ipv4Address: blob.customDnsConfigs?.[0]?.ipAddresses?.[0] }]);
    assert.equal(record.fqdn, "stzonegrp01.privatelink.blob.core.windows.net.");
    const zone = await fixture.dns.privateZones.get(rg, "privatelink.blob.core.windows.net");
    assert.equal(zone.numberOfRecordSets, 2);
    assert.equal(zone.numberOfVirtualNetworkLinks, 1);

    await fixture.network.privateDnsZoneGroups.beginDeleteAndWait(rg, "pe-blob", "default", POLL);
    await rejectsWithCode(fixture.dns.recordSets.get(rg, "privatelink.blob.core.windows.net", "A", "stzonegrp01"), "ResourceNotFound", 404);

    // Key Vault's names (vault.azure.net) live in privatelink.vaultcore.azure.net.
    const kv = await fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe-kv", endpointBody(training, vaultId, ["vault"]), POLL);
    await fixture.network.privateDnsZoneGroups.beginCreateOrUpdateAndWait(
      rg,
      "pe-kv",
      "default",
      { privateDnsZoneConfigs: [{ name: "vault", privateDnsZoneId: vaultZone }] },
      POLL,
    );
    const vaultRecord = await fixture.dns.recordSets.get(rg, "privatelink.vaultcore.azure.net", "A", "kv-zonegrp-01");
    assert.deepEqual(vaultRecord.aRecords, [{ ipv4Address: kv.customDnsConfigs?.[0]?.ipAddresses?.[0] }]);
    await fixture.network.privateEndpoints.beginDeleteAndWait(rg, "pe-kv", POLL);
    await rejectsWithCode(fixture.dns.recordSets.get(rg, "privatelink.vaultcore.azure.net", "A", "kv-zonegrp-01"), "ResourceNotFound", 404);
  });

  it("refuses a zone that does not exist", async () => {
    const rg = await fixture.resourceGroup("rg-zonegroup-missing");
    await createTutorialVnet(fixture, rg);
    const accountId = await storageAccount(rg, "stzonemiss01");
    await fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(
      rg,
      "pe",
      endpointBody(subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training"), accountId, ["blob"]),
      POLL,
    );
    const missingZone = `/subscriptions/${fixture.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net`;
    await rejectsWithCode(
      fixture.network.privateDnsZoneGroups.beginCreateOrUpdateAndWait(rg, "pe", "default", { privateDnsZoneConfigs: [{ name: "blob", privateDnsZoneId: missingZone }] }, POLL),
      "InvalidResourceReference",
      400,
    );
  });

  it("derives record names for each target's names", () => {
    assert.equal(recordNameFor("acct.blob.core.windows.net", "privatelink.blob.core.windows.net"), "acct");
    assert.equal(recordNameFor("acct.blob.core.windows.net", "privatelink.file.core.windows.net"), undefined);
    assert.equal(recordNameFor("kv1.vault.azure.net", "privatelink.vaultcore.azure.net"), "kv1");
    assert.equal(recordNameFor("0f1e.workspace.eastus.api.azureml.ms", "privatelink.api.azureml.ms"), "0f1e.workspace.eastus");
    assert.equal(recordNameFor("ml-ws-eastus-0f1e.eastus.notebooks.azure.net", "privatelink.notebooks.azure.net"), "ml-ws-eastus-0f1e.eastus");
    assert.equal(recordNameFor("cr1.eastus.data.azurecr.io", "privatelink.azurecr.io"), "cr1.eastus.data");
    assert.equal(recordNameFor("api.monitor.azure.com", "privatelink.monitor.azure.com"), "api");
  });
});

describe("private DNS zones and links", () => {
  it("links need an existing VNet, once per zone, registration off by default", async () => {
    const rg = await fixture.resourceGroup("rg-dns");
    await createTutorialVnet(fixture, rg);
    const zone = await fixture.dns.privateZones.beginCreateOrUpdateAndWait(rg, "privatelink.api.azureml.ms", { location: "global" }, POLL);
    assert.equal(zone.provisioningState, "Succeeded");
    assert.equal(zone.location, "global");
    const vnetId = `/subscriptions/${fixture.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/vnet`;
    const link = await fixture.dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(
      rg,
      "privatelink.api.azureml.ms",
      "link",
      { location: "global", virtualNetwork: { id: vnetId }, registrationEnabled: false },
      POLL,
    );
    assert.equal(link.registrationEnabled, false);
    assert.equal(link.virtualNetworkLinkState, "Completed");
    await rejectsWithCode(
      fixture.dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(rg, "privatelink.api.azureml.ms", "link2", { location: "global", virtualNetwork: { id: vnetId } }, POLL),
      "Conflict",
      409,
    );
    await rejectsWithCode(
      fixture.dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(
        rg,
        "privatelink.api.azureml.ms",
        "link3",
        { location: "global", virtualNetwork: { id: vnetId.replace("/vnet", "/missing") } },
        POLL,
      ),
      "BadRequest",
      400,
    );
  });

  it("zones are global: a regional location is refused", async () => {
    const rg = await fixture.resourceGroup("rg-dns-region");
    await assert.rejects(
      fixture.dns.privateZones.beginCreateOrUpdateAndWait(rg, "privatelink.file.core.windows.net", { location: REGION }, POLL),
      (error: unknown) => (error as { statusCode?: number }).statusCode === 400,
    );
  });
});

describe("Microsoft's spec", () => {
  it("finds no error in any request or response of this file", async () => {
    assert.deepEqual(await specFindingLines(fixture, "error"), []);
  });
});
