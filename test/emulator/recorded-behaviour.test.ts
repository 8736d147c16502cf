// Rules that the recordings of real Azure traffic (test/fixtures/recordings, docs/emulator-conformance.md)
// showed the emulator lacked, each driven through the real SDK clients, spec validation on.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { POLL, REGION, createTutorialVnet, rejectsWithCode, specFindingLines, startNetworkFixture, subnetIdOf, type NetworkFixture } from "./network-fixture.js";

let fixture: NetworkFixture;
const TENANT = "00000000-0000-0000-0000-000000000001";

before(async () => {
  fixture = await startNetworkFixture();
});

after(async () => {
  await fixture?.emulator.stop();
});

async function storageClient() {
  const { StorageManagementClient } = await import("@azure/arm-storage");
  return new StorageManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
}

async function endpointTo(rg: string, name: string, targetId: string, groupId: string, manual = false) {
  const connection = [{ name: `${name}-connection`, privateLinkServiceId: targetId, groupIds: [groupId] }];
  return fixture.network.privateEndpoints.beginCreateOrUpdateAndWait(
    rg,
    name,
    {
      location: REGION,
      subnet: { id: subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training") },
      ...(manual ? { manualPrivateLinkServiceConnections: connection } : { privateLinkServiceConnections: connection }),
    },
    POLL,
  );
}

describe("private DNS writes (recorded: 202, no body, Azure-AsyncOperation and Location)", () => {
  it("answers a zone PUT 202 with both headers and no body; the SDK still gets the zone", async () => {
    const rg = await fixture.resourceGroup("rg-dns-202");
    const raw = await fixture.emulator.raw(
      "PUT",
      `/subscriptions/${fixture.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net?api-version=2024-06-01`,
      {
        body: { location: "global" },
      },
    );
    assert.equal(raw.status, 202);
    assert.ok(raw.headers["azure-asyncoperation"], "Azure-AsyncOperation header");
    assert.ok(raw.headers["location"], "Location header");
    assert.equal(raw.body, undefined);
    const zone = await fixture.dns.privateZones.beginCreateOrUpdateAndWait(rg, "privatelink.blob.core.windows.net", { location: "global" }, POLL);
    assert.equal(zone.provisioningState, "Succeeded");
    await createTutorialVnet(fixture, rg);
    const link = await fixture.dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(
      rg,
      "privatelink.blob.core.windows.net",
      "link",
      { location: "global", virtualNetwork: { id: subnetIdOf(fixture.subscriptionId, rg, "vnet", "x").replace("/subnets/x", "") } },
      POLL,
    );
    assert.equal(link.virtualNetworkLinkState, "Completed");
  });
});

describe("If-Match / If-None-Match", () => {
  it("private DNS zones: a stale If-Match is accepted (202) and the operation fails PreconditionFailed; the zone is unchanged", async () => {
    const rg = await fixture.resourceGroup("rg-preconditions");
    const zone = await fixture.dns.privateZones.beginCreateOrUpdateAndWait(rg, "privatelink.dfs.core.windows.net", { location: "global", tags: { v: "1" } }, POLL);
    // The poller reports the failed operation's code in its message (the error object carries no code).
    await assert.rejects(
      fixture.dns.privateZones.beginUpdateAndWait(rg, "privatelink.dfs.core.windows.net", { tags: { v: "2" } }, { ...POLL, ifMatch: "00000000-0000-0000-0000-000000000000" }),
      /PreconditionFailed/,
    );
    await assert.rejects(
      fixture.dns.privateZones.beginCreateOrUpdateAndWait(rg, "privatelink.dfs.core.windows.net", { location: "global" }, { ...POLL, ifNoneMatch: "*" }),
      /PreconditionFailed/,
    );
    const after = await fixture.dns.privateZones.get(rg, "privatelink.dfs.core.windows.net");
    assert.deepEqual(after.tags, { v: "1" });
    const updated = await fixture.dns.privateZones.beginUpdateAndWait(rg, "privatelink.dfs.core.windows.net", { tags: { v: "3" } }, { ...POLL, ifMatch: zone.etag });
    assert.deepEqual(updated.tags, { v: "3" });
  });

  it("record sets (synchronous): 412 PreconditionFailed at once", async () => {
    const rg = await fixture.resourceGroup("rg-preconditions-sync");
    await fixture.dns.privateZones.beginCreateOrUpdateAndWait(rg, "privatelink.queue.core.windows.net", { location: "global" }, POLL);
    const record = { ttl: 10, aRecords: [{ ipv4Address: "10.0.0.4" }] };
    const created = await fixture.dns.recordSets.createOrUpdate(rg, "privatelink.queue.core.windows.net", "A", "sa", record, { ifNoneMatch: "*" });
    assert.ok(created.etag);
    await rejectsWithCode(fixture.dns.recordSets.createOrUpdate(rg, "privatelink.queue.core.windows.net", "A", "sa", record, { ifNoneMatch: "*" }), "PreconditionFailed", 412);
    await rejectsWithCode(fixture.dns.recordSets.createOrUpdate(rg, "privatelink.queue.core.windows.net", "A", "sa", record, { ifMatch: '"stale"' }), "PreconditionFailed", 412);
    await rejectsWithCode(fixture.dns.recordSets.createOrUpdate(rg, "privatelink.queue.core.windows.net", "A", "other", record, { ifMatch: "*" }), "PreconditionFailed", 412);
    const again = await fixture.dns.recordSets.createOrUpdate(rg, "privatelink.queue.core.windows.net", "A", "sa", { ...record, ttl: 20 }, { ifMatch: created.etag });
    assert.equal(again.ttl, 20);
  });
});

describe("private endpoint connections on the target", () => {
  it("storage: list, reject, no re-approval (recorded 400), privateLinkResources; the endpoint sees the state", async () => {
    const rg = await fixture.resourceGroup("rg-target-storage");
    await createTutorialVnet(fixture, rg);
    const storage = await storageClient();
    const account = await storage.storageAccounts.beginCreateAndWait(rg, "sttargetpe01", { location: REGION, kind: "StorageV2", sku: { name: "Standard_LRS" } }, POLL);
    const resources = await storage.privateLinkResources.listByStorageAccount(rg, "sttargetpe01");
    const blob = resources.value?.find((resource) => resource.groupId === "blob");
    assert.deepEqual(blob?.requiredZoneNames, ["privatelink.blob.core.windows.net"]);
    const endpoint = await endpointTo(rg, "pe-st", account.id ?? "", "blob");
    const recordedVersion = await fixture.emulator.raw("GET", `${endpoint.id ?? ""}?api-version=2020-07-01`);
    assert.match(
      String((recordedVersion.body as { properties?: { resourceGuid?: string } }).properties?.resourceGuid),
      /^[0-9a-f-]{36}$/,
      "private endpoints carry a resourceGuid",
    );

    const connections = [];
    for await (const connection of storage.privateEndpointConnections.list(rg, "sttargetpe01")) connections.push(connection);
    assert.equal(connections.length, 1);
    const name = connections[0]?.name ?? "";
    assert.equal(connections[0]?.privateLinkServiceConnectionState?.status, "Approved");
    await rejectsWithCode(
      storage.privateEndpointConnections.put(rg, "sttargetpe01", name, { privateLinkServiceConnectionState: { status: "Approved", description: "again" } }),
      "InvalidValuesForRequestParameters",
      400,
    );
    const rejected = await storage.privateEndpointConnections.put(rg, "sttargetpe01", name, { privateLinkServiceConnectionState: { status: "Rejected", description: "no" } });
    assert.equal(rejected.privateLinkServiceConnectionState?.status, "Rejected");
    const seen = await fixture.network.privateEndpoints.get(rg, "pe-st");
    assert.equal(seen.privateLinkServiceConnections?.[0]?.privateLinkServiceConnectionState?.status, "Rejected");
    const listed = await storage.storageAccounts.getProperties(rg, "sttargetpe01");
    assert.equal(listed.privateEndpointConnections?.[0]?.privateLinkServiceConnectionState?.status, "Rejected");
    await rejectsWithCode(
      storage.privateEndpointConnections.put(rg, "sttargetpe01", name, { privateLinkServiceConnectionState: { status: "Approved" } }),
      "InvalidValuesForRequestParameters",
      400,
    );
    await storage.privateEndpointConnections.delete(rg, "sttargetpe01", name);
    const disconnected = await fixture.network.privateEndpoints.get(rg, "pe-st");
    assert.equal(disconnected.privateLinkServiceConnections?.[0]?.privateLinkServiceConnectionState?.status, "Disconnected");
    const remaining = [];
    for await (const connection of storage.privateEndpointConnections.list(rg, "sttargetpe01")) remaining.push(connection);
    assert.equal(remaining.length, 0);
  });

  it("registry: a manual connection is Pending until approved on the registry; created synchronously (recorded 200)", async () => {
    const rg = await fixture.resourceGroup("rg-target-acr");
    await createTutorialVnet(fixture, rg);
    const { ContainerRegistryManagementClient } = await import("@azure/arm-containerregistry");
    const acr = new ContainerRegistryManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
    const raw = await fixture.emulator.raw(
      "PUT",
      `/subscriptions/${fixture.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerRegistry/registries/crtargetpe01?api-version=2025-11-01`,
      {
        body: { location: REGION, sku: { name: "Premium" } },
      },
    );
    assert.equal(raw.status, 200);
    assert.equal((raw.body as { properties?: { provisioningState?: string } }).properties?.provisioningState, "Succeeded");
    assert.equal(raw.headers["azure-asyncoperation"], undefined);
    const registry = await acr.registries.get(rg, "crtargetpe01");
    const resources = [];
    for await (const resource of acr.registries.listPrivateLinkResources(rg, "crtargetpe01")) resources.push(resource);
    assert.deepEqual(resources[0]?.properties?.requiredMembers, ["registry", `registry_data_${REGION}`]);
    await endpointTo(rg, "pe-cr", registry.id ?? "", "registry", true);
    const connections = [];
    for await (const connection of acr.privateEndpointConnections.list(rg, "crtargetpe01")) connections.push(connection);
    assert.equal(connections[0]?.privateLinkServiceConnectionState?.status, "Pending");
    const approved = await acr.privateEndpointConnections.beginCreateOrUpdateAndWait(
      rg,
      "crtargetpe01",
      connections[0]?.name ?? "",
      { privateLinkServiceConnectionState: { status: "Approved", description: "ok" } },
      POLL,
    );
    assert.equal(approved.privateLinkServiceConnectionState?.status, "Approved");
    const endpoint = await fixture.network.privateEndpoints.get(rg, "pe-cr");
    assert.equal(endpoint.manualPrivateLinkServiceConnections?.[0]?.privateLinkServiceConnectionState?.status, "Approved");
    await acr.privateEndpointConnections.beginDeleteAndWait(rg, "crtargetpe01", connections[0]?.name ?? "", POLL);
    const after = [];
    for await (const connection of acr.privateEndpointConnections.list(rg, "crtargetpe01")) after.push(connection);
    assert.equal(after.length, 0);
  });

  it("key vault: connections listed and rejected on the vault; privateLinkResources", async () => {
    const rg = await fixture.resourceGroup("rg-target-kv");
    await createTutorialVnet(fixture, rg);
    const { KeyVaultManagementClient } = await import("@azure/arm-keyvault");
    const kv = new KeyVaultManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
    const vault = await kv.vaults.createOrUpdate(
      rg,
      "kv-target-pe01",
      { location: REGION, properties: { tenantId: TENANT, sku: { family: "A", name: "standard" }, accessPolicies: [] } },
      POLL,
    );
    const resources = await kv.privateLinkResources.listByVault(rg, "kv-target-pe01");
    assert.deepEqual(resources.value?.[0]?.requiredZoneNames, ["privatelink.vaultcore.azure.net"]);
    await endpointTo(rg, "pe-kv", vault.id ?? "", "vault");
    const connections = [];
    for await (const connection of kv.privateEndpointConnections.listByResource(rg, "kv-target-pe01")) connections.push(connection);
    assert.equal(connections.length, 1);
    const name = connections[0]?.id?.split("/").pop() ?? "";
    const rejected = await kv.privateEndpointConnections.put(rg, "kv-target-pe01", name, { privateLinkServiceConnectionState: { status: "Rejected" } });
    assert.equal(rejected.privateLinkServiceConnectionState?.status, "Rejected");
  });
});

describe("public IP addresses", () => {
  it("refuses a new Basic SKU address as Azure does since its retirement (the SKU a request without one gets)", async () => {
    const rg = await fixture.resourceGroup("rg-basic-ip");
    await rejectsWithCode(
      fixture.network.publicIPAddresses.beginCreateOrUpdateAndWait(rg, "pip-basic", { location: REGION, sku: { name: "Basic" }, publicIPAllocationMethod: "Dynamic" }, POLL),
      "IPv4BasicSkuPublicIpCountLimitReached",
      400,
    );
    await rejectsWithCode(
      fixture.network.publicIPAddresses.beginCreateOrUpdateAndWait(rg, "pip-default", { location: REGION }, POLL),
      "IPv4BasicSkuPublicIpCountLimitReached",
      400,
    );
    const standard = await fixture.network.publicIPAddresses.beginCreateOrUpdateAndWait(
      rg,
      "pip-standard",
      { location: REGION, sku: { name: "Standard" }, publicIPAllocationMethod: "Static" },
      POLL,
    );
    assert.equal(standard.provisioningState, "Succeeded");
  });

  it("a network create answers provisioningState Updating (recorded), then Succeeded", async () => {
    const rg = await fixture.resourceGroup("rg-updating");
    const raw = await fixture.emulator.raw(
      "PUT",
      `/subscriptions/${fixture.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/networkSecurityGroups/nsg?api-version=2024-05-01`,
      {
        body: { location: REGION },
      },
    );
    assert.equal(raw.status, 201);
    assert.equal((raw.body as { properties?: { provisioningState?: string } }).properties?.provisioningState, "Updating");
    const nsg = await fixture.network.networkSecurityGroups.get(rg, "nsg");
    assert.equal(nsg.provisioningState, "Succeeded");
  });
});

describe("api-versions of the recordings (Azure still accepts them)", () => {
  it("accepts the recorded versions and still refuses unknown ones", async () => {
    const rg = await fixture.resourceGroup("rg-old-versions");
    const base = `/subscriptions/${fixture.subscriptionId}/resourceGroups/${rg}/providers`;
    for (const [path, version] of [
      ["Microsoft.Network/virtualNetworks", "2020-07-01"],
      ["Microsoft.Network/privateDnsZones", "2018-09-01"],
      ["Microsoft.Storage/storageAccounts", "2019-06-01"],
      ["Microsoft.KeyVault/vaults", "2019-09-01"],
      ["Microsoft.ContainerRegistry/registries", "2019-12-01-preview"],
      ["Microsoft.OperationalInsights/workspaces", "2020-08-01"],
    ] as const) {
      const answer = await fixture.emulator.raw("GET", `${base}/${path}?api-version=${version}`);
      assert.equal(answer.status, 200, `${path} at ${version}: ${JSON.stringify(answer.body)}`);
    }
    const refused = await fixture.emulator.raw("GET", `${base}/Microsoft.Network/virtualNetworks?api-version=2015-01-01`);
    assert.equal(refused.status, 400);
    assert.equal((refused.body as { error?: { code?: string } }).error?.code, "NoRegisteredProviderFound");
  });
});

describe("Microsoft's spec", () => {
  it("finds no error in any request or response of this file", async () => {
    assert.deepEqual(await specFindingLines(fixture, "error"), []);
  });
});
