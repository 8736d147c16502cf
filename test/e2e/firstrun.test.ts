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
import { azureFor, deploy, testConfig, testSecrets } from "./steps-fixture.js";

describe("private DNS zone groups hold at most 5 zones in every cloud", () => {
  it("splits a sub-resource with more zones over endpoints to the same target", () => {
    const zoneIds = ["a", "b", "c", "d", "e", "f"].map((z) => `/zones/${z}`);
    const parts = splitOverZoneGroups({ name: "pe-x-azuremonitor", targetId: "/t", groupId: "azuremonitor", subnetId: "/s", zoneIds });
    assert.deepEqual(parts.map((p) => p.name), ["pe-x-azuremonitor", "pe-x-azuremonitor-2"]);
    assert.deepEqual(parts.flatMap((p) => p.zoneIds), zoneIds, "every zone is registered exactly once");
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
