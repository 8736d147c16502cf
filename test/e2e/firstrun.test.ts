// A first real run (issue 11): zone groups that never exceed Azure's 5 zones (US Government's Azure
// Monitor has 6), Azure China's published zones, computes that wait for every endpoint they boot
// against — each through the real SDK clients against the emulator.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { MAX_ZONES_PER_ZONE_GROUP, allZoneNames, cloudProfile, zonesFor } from "../../src/azure/clouds.js";
import { splitOverZoneGroups } from "../../src/resources/factories/private-endpoint.js";
import { stepById } from "../../src/steps/index.js";
import { privateEndpointName } from "../../src/steps/common.js";
import type { CloudName } from "../../src/config/types.js";
import { signedInFromToken, withComputeInstanceUser } from "../../src/azure/signed-in.js";
import { ArmRecorder, REDACTED, RECORD_SUBSCRIPTION_PLACEHOLDER } from "../../src/azure/record.js";
import { STATIC_TEST_TOKEN } from "../../src/azure/credential.js";
import { LOCAL_USER_OBJECT_ID } from "../../src/config/local.js";
import { InputError } from "../../src/errors.js";
import { COMPUTE_INSTANCE_API_VERSION, idleShutdownDuration } from "../../src/steps/compute-instance.js";
import { natGatewayId, natGatewayName, natPublicIpName } from "../../src/steps/nat-gateway.js";
import { azureFor, deploy, testConfig, testSecrets } from "./steps-fixture.js";

describe("private DNS zone groups hold at most 5 zones in every cloud", () => {
  it("splits a sub-resource with more zones over endpoints to the same target", () => {
    const zoneIds = ["a", "b", "c", "d", "e", "f"].map((z) => `/zones/${z}`);
    const parts = splitOverZoneGroups({ name: "pe-x-azuremonitor", targetId: "/t", groupId: "azuremonitor", subnetId: "/s", zoneIds });
    assert.deepEqual(
      parts.map((p) => p.name),
      ["pe-x-azuremonitor", "pe-x-azuremonitor-2"],
    );
    assert.deepEqual(
      parts.flatMap((p) => p.zoneIds),
      zoneIds,
      "every zone is registered exactly once",
    );
    assert.ok(parts.every((p) => p.zoneIds.length <= MAX_ZONES_PER_ZONE_GROUP && p.targetId === "/t"));
    const one = splitOverZoneGroups({ name: "pe-y-blob", targetId: "/t", groupId: "blob", subnetId: "/s", zoneIds: ["/zones/a"] });
    assert.equal(one.length, 1);
    assert.equal(one[0]?.name, "pe-y-blob");
  });

  it("US Government's Azure Monitor really has 6 zones (the case the split is for)", () => {
    assert.equal(zonesFor(cloudProfile("AzureUSGovernment"), ["azuremonitor"]).azuremonitor.length, 6);
  });

  for (const cloud of ["AzureUSGovernment", "AzureChinaCloud"] as CloudName[]) {
    describe(`${cloud} against the emulator`, () => {
      let emulator: TestEmulator;
      before(async () => {
        emulator = await startTestEmulator({ validateSpecs: true });
      });
      after(async () => {
        await emulator?.stop();
      });

      it("creates every zone and an endpoint set whose zone groups cover every zone, none with more than 5", async () => {
        const prefix = cloud === "AzureChinaCloud" ? "cn" : "gov";
        const config = testConfig(emulator.subscriptionId, { prefix, cloud });
        const azure = azureFor(emulator, config);
        await deploy({ config, secrets: testSecrets, azure }, ["resource-group", "network", "private-dns", "monitoring", "monitor-private-link", "registry", "registry-endpoint"]);
        const network = await azure.network();
        const endpoints = [];
        for await (const pe of network.privateEndpoints.list(config.resourceGroup)) endpoints.push(pe);
        const registered = new Set<string>();
        for (const pe of endpoints) {
          for await (const group of network.privateDnsZoneGroups.list(pe.name ?? "", config.resourceGroup)) {
            const zones = (group.privateDnsZoneConfigs ?? []).map((c) => (c.privateDnsZoneId ?? "").split("/").pop() ?? "");
            assert.ok(zones.length >= 1 && zones.length <= MAX_ZONES_PER_ZONE_GROUP, `${pe.name}: ${zones.length} zones`);
            for (const z of zones) registered.add(`${pe.privateLinkServiceConnections?.[0]?.groupIds?.[0]}:${z}`);
          }
        }
        const wanted = zonesFor(cloudProfile(cloud), ["azuremonitor", "registry"]);
        for (const [group, zones] of Object.entries(wanted)) for (const z of zones) assert.ok(registered.has(`${group}:${z}`), `${group} registered in ${z}`);
        const monitorEndpoints = endpoints.filter((pe) => pe.name?.startsWith(privateEndpointName(config.privateLinkScope, "azuremonitor")));
        assert.equal(monitorEndpoints.length, cloud === "AzureUSGovernment" ? 2 : 1);
        const zonesInGroup = [];
        for await (const z of (await azure.privateDns()).privateZones.listByResourceGroup(config.resourceGroup)) zonesInGroup.push(z.name);
        assert.deepEqual(zonesInGroup.sort(), allZoneNames(cloudProfile(cloud), false));
        // A converged re-run writes nothing.
        azure.counter.reset();
        await deploy({ config, secrets: testSecrets, azure }, ["private-dns", "monitor-private-link", "registry-endpoint"]);
        assert.equal(azure.counter.snapshot().writes, 0);
      });
    });
  }
});

describe("computes wait for every endpoint they boot against", () => {
  for (const id of ["compute-cluster", "compute-instance"]) {
    it(`${id} depends on the storage, key vault, registry and workspace endpoints`, () => {
      const step = stepById(id);
      for (const dep of ["storage-endpoints", "key-vault-endpoint", "registry-endpoint", "workspace-endpoint"]) assert.ok(step?.dependsOn.includes(dep), `${id} waits for ${dep}`);
    });
  }
});

describe("the compute instance's person", () => {
  const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;
  const credentialFor = (token: string) => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 60_000 }) });
  const PERSON = "11111111-2222-4333-8444-555555555555";
  const base = () => testConfig("00000000-0000-4000-8000-000000000001", { computeInstanceUser: undefined });

  it("reads a person and an application from the token's claims", () => {
    assert.deepEqual(signedInFromToken(jwt({ upn: "ada@example.com", oid: PERSON, scp: "user_impersonation" })), { kind: "user", objectId: PERSON });
    assert.deepEqual(signedInFromToken(jwt({ idtyp: "app", oid: PERSON })), { kind: "app", objectId: PERSON });
    assert.equal(signedInFromToken(jwt({ oid: PERSON })).kind, "app", "neither upn nor scp: an application");
    assert.equal(signedInFromToken("not-a-jwt").kind, "unknown");
  });

  it("defaults to the signed-in person, keeps an explicit one, and picks the local person for the emulator's token", async () => {
    const person = await withComputeInstanceUser(base(), { credential: credentialFor(jwt({ upn: "ada@example.com", oid: PERSON })), scope: "s", loopback: false });
    assert.equal(person.computeInstanceUser, PERSON);
    const explicit = await withComputeInstanceUser({ ...base(), computeInstanceUser: PERSON }, { credential: credentialFor(jwt({ idtyp: "app" })), scope: "s", loopback: false });
    assert.equal(explicit.computeInstanceUser, PERSON);
    const local = await withComputeInstanceUser(base(), { credential: credentialFor(STATIC_TEST_TOKEN), scope: "s", loopback: true });
    assert.equal(local.computeInstanceUser, LOCAL_USER_OBJECT_ID);
  });

  it("signed in as a service principal without --compute-instance-user: exit 2 naming the flag", async () => {
    await assert.rejects(
      withComputeInstanceUser(base(), { credential: credentialFor(jwt({ idtyp: "app", oid: PERSON, appid: "x" })), scope: "s", loopback: false }),
      (e: unknown) => e instanceof InputError && e.exitCode === 2 && e.problems[0]?.flag === "--compute-instance-user" && /service principal/.test(e.message),
    );
  });
});

describe("--record sanitizing", () => {
  it("drops credentials and redacts secrets in bodies, URLs and headers", () => {
    const sub = "12345678-1234-4234-8234-123456789012";
    const recorder = new ArmRecorder({ subscriptionId: sub, endpoint: "https://127.0.0.1:9999", cloudEndpoint: "https://management.azure.com" });
    recorder.addSecret('Pa$$word"1');
    const body = JSON.stringify({
      properties: { osProfile: { adminPassword: 'Pa$$word"1', adminUsername: "azureuser" }, keys: [{ value: "k" }], primaryConnectionString: "AccountKey=abc", note: 'Pa$$word"1' },
    });
    const headers = new Map([
      ["Authorization", "Bearer eyJ.a.b"],
      ["Content-Type", "application/json"],
      ["x-ms-async", "https://127.0.0.1:9999/x?sig=SECRETSIG&se=2030"],
    ]);
    const request = {
      method: "PUT",
      url: `https://127.0.0.1:9999/subscriptions/${sub}/resourceGroups/rg?api-version=1`,
      body,
      headers: { [Symbol.iterator]: () => headers.entries() },
    };
    const response = { status: 200, headers: { [Symbol.iterator]: () => headers.entries() }, bodyAsText: JSON.stringify({ access_token: "t", connectionString: "c", name: "ok" }) };
    recorder.record(request as never, response as never);
    const [i] = recorder.interactions;
    assert.ok(i);
    const text = JSON.stringify(i);
    for (const leak of ["Pa$$word", "Bearer eyJ", "SECRETSIG", sub, "AccountKey=abc", "127.0.0.1"]) assert.ok(!text.includes(leak), `no ${leak}`);
    assert.ok(!Object.keys(i.request.headers).includes("Authorization"));
    assert.equal(i.request.uri, `https://management.azure.com/subscriptions/${RECORD_SUBSCRIPTION_PLACEHOLDER}/resourceGroups/rg?api-version=1`);
    const sent = JSON.parse(i.request.body ?? "{}") as { properties: { osProfile: { adminPassword: string; adminUsername: string } } };
    assert.equal(sent.properties.osProfile.adminPassword, REDACTED);
    assert.equal(sent.properties.osProfile.adminUsername, "azureuser", "what is not secret stays");
    assert.equal((JSON.parse(i.response.body.string) as { name: string }).name, "ok");
  });
});

describe("outbound made explicit for the no-public-IP compute", () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startTestEmulator({ validateSpecs: true });
  });
  after(async () => {
    await emulator?.stop();
  });

  it("--outbound default writes defaultOutboundAccess: true on Training and Scoring", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "obd" });
    const azure = azureFor(emulator, config);
    await deploy({ config, secrets: testSecrets, azure }, ["resource-group", "network"]);
    for (const name of ["Training", "Scoring"]) {
      const subnet = await (await azure.network()).subnets.get(config.resourceGroup, config.vnetName, name);
      assert.equal(subnet.defaultOutboundAccess, true, name);
      assert.equal(subnet.natGateway, undefined);
    }
  });

  it("--outbound nat-gateway: a Standard static IP, a NAT gateway, both subnets on it and private; the re-run writes nothing", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "obn", outbound: "nat-gateway" });
    const azure = azureFor(emulator, config);
    const run = await deploy({ config, secrets: testSecrets, azure }, ["resource-group", "network", "nat-gateway"]);
    assert.ok(run.results.has("nat-gateway"));
    const network = await azure.network();
    const gateway = await network.natGateways.get(config.resourceGroup, natGatewayName(config));
    assert.equal(gateway.sku?.name, "Standard");
    assert.equal(gateway.publicIpAddresses?.length, 1);
    const ip = await network.publicIPAddresses.get(config.resourceGroup, natPublicIpName(config));
    assert.equal(ip.sku?.name, "Standard");
    assert.equal(ip.publicIPAllocationMethod, "Static");
    for (const name of ["Training", "Scoring"]) {
      const subnet = await network.subnets.get(config.resourceGroup, config.vnetName, name);
      assert.equal(subnet.defaultOutboundAccess, false, `${name} is private`);
      assert.equal(subnet.natGateway?.id?.toLowerCase(), natGatewayId(config).toLowerCase(), `${name} goes out through the gateway`);
    }
    assert.deepEqual((gateway.subnets ?? []).map((s) => s.id?.split("/").pop()).sort(), ["Scoring", "Training"]);
    // The gateway cannot go while a subnet uses it (as Azure answers).
    await assert.rejects(
      network.natGateways.beginDeleteAndWait(config.resourceGroup, natGatewayName(config), { updateIntervalInMs: 5 }),
      (e: unknown) => (e as { code?: string }).code === "InUseNatGatewayCannotBeDeleted",
    );
    azure.counter.reset();
    await deploy({ config, secrets: testSecrets, azure }, ["network", "nat-gateway"]);
    assert.equal(azure.counter.snapshot().writes, 0);
  });
});

describe("the compute instance's idle shutdown", () => {
  it("is an ISO-8601 duration in minutes, 60 by default, none when 0", () => {
    assert.equal(idleShutdownDuration(undefined), "PT60M");
    assert.equal(idleShutdownDuration(15), "PT15M");
    assert.equal(idleShutdownDuration(0), undefined);
  });

  it("is sent at creation and kept by the emulator; the assigned user cannot change afterwards", async () => {
    const emulator = await startTestEmulator({ validateSpecs: true });
    try {
      const config = testConfig(emulator.subscriptionId, { prefix: "idle", computeInstanceIdleShutdown: 30, jumpbox: false, bastion: false, trainingNsg: false });
      const azure = azureFor(emulator, config);
      await deploy({ config, secrets: testSecrets, azure });
      const id = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${config.workspace}/computes/${config.computeInstance}`;
      const instance = await (await azure.resources()).resources.getById(id, COMPUTE_INSTANCE_API_VERSION);
      const inner = (instance.properties as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
      assert.equal(inner.idleTimeBeforeShutdown, "PT30M");
      assert.equal((inner.personalComputeInstanceSettings as { assignedUser?: { objectId?: string } }).assignedUser?.objectId, config.computeInstanceUser);
      azure.counter.reset();
      await deploy({ config, secrets: testSecrets, azure });
      assert.equal(azure.counter.snapshot().writes, 0, "a converged re-run writes nothing");
      // Another person on an existing instance: refused before any write (Azure cannot reassign it).
      const other = { ...config, computeInstanceUser: "99999999-2222-4333-8444-555555555555" };
      await assert.rejects(deploy({ config: other, secrets: testSecrets, azure: azureFor(emulator, other) }, ["compute-instance"]), /COMPUTE_IMMUTABLE_DRIFT|assignedUser/);
    } finally {
      await emulator.stop();
    }
  });
});
