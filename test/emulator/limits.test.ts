// Where the emulator was kinder than ARM (issue 12): it resized a VM to a size that does not exist,
// and took request bodies of any size. Through the real SDK clients: an unknown VM size is refused
// (400 InvalidParameter on vmSize) on create and on resize, the VM keeps its size; a body over ARM's
// 4 MB is refused with 413 RequestEntityTooLarge and changes nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ComputeManagementClient } from "@azure/arm-compute";
import { POLL, REGION, rejectsWithCode, startServicesFixture, type ServicesFixture } from "./services-fixture.js";

const RG = "rg-limits";
/** A test value only (never a real secret). */
const PASSWORD = ["Lim", "its", "Pass", "-42", "x"].join("");

let fixture: ServicesFixture;
let compute: ComputeManagementClient;
let nicId = "";
let spareNicId = "";

before(async () => {
  fixture = await startServicesFixture();
  const [{ ComputeManagementClient }, { NetworkManagementClient }] = await Promise.all([import("@azure/arm-compute"), import("@azure/arm-network")]);
  compute = new ComputeManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
  const network = new NetworkManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
  await fixture.resourceGroup(RG);
  const vnet = await network.virtualNetworks.beginCreateOrUpdateAndWait(
    RG,
    "vnet",
    { location: REGION, addressSpace: { addressPrefixes: ["172.16.0.0/16"] }, subnets: [{ name: "Training", addressPrefix: "172.16.0.0/24" }] },
    POLL,
  );
  const nic = async (name: string) =>
    (
      await network.networkInterfaces.beginCreateOrUpdateAndWait(
        RG,
        name,
        { location: REGION, ipConfigurations: [{ name: "ipconfig1", subnet: { id: vnet.subnets?.[0]?.id }, privateIPAllocationMethod: "Dynamic" }] },
        POLL,
      )
    ).id ?? "";
  nicId = await nic("nic-a");
  spareNicId = await nic("nic-b");
});
after(async () => {
  await fixture?.emulator.stop();
});

function vm(nic: string, vmSize: string) {
  return {
    location: REGION,
    hardwareProfile: { vmSize },
    storageProfile: {
      imageReference: { publisher: "MicrosoftWindowsDesktop", offer: "windows-11", sku: "win11-23h2-ent", version: "latest" },
      osDisk: { createOption: "FromImage", managedDisk: { storageAccountType: "StandardSSD_LRS" } },
    },
    osProfile: { computerName: "jumpbox", adminUsername: "azureadmin", adminPassword: PASSWORD },
    networkProfile: { networkInterfaces: [{ id: nic }] },
  };
}

describe("emulator limits ARM has", () => {
  it("refuses an unknown VM size on create and on resize; the VM keeps its size", async () => {
    await rejectsWithCode(compute.virtualMachines.createOrUpdate(RG, "vm-nosize", vm(spareNicId, "Standard_NOPE"), POLL), "InvalidParameter", 400);
    await compute.virtualMachines.createOrUpdate(RG, "jumpbox", vm(nicId, "Standard_D2s_v3"), POLL);
    for (const size of ["Standard_NOPE", "Standard_Q4_v2", "Standard_D2s_v9"]) {
      await rejectsWithCode(compute.virtualMachines.update(RG, "jumpbox", { hardwareProfile: { vmSize: size } }, POLL), "InvalidParameter", 400);
      await rejectsWithCode(compute.virtualMachines.createOrUpdate(RG, "jumpbox", vm(nicId, size), POLL), "InvalidParameter", 400);
    }
    assert.equal((await compute.virtualMachines.get(RG, "jumpbox")).hardwareProfile?.vmSize, "Standard_D2s_v3");
    // A real size still resizes.
    await compute.virtualMachines.update(RG, "jumpbox", { hardwareProfile: { vmSize: "Standard_D4as_v5" } }, POLL);
    assert.equal((await compute.virtualMachines.get(RG, "jumpbox")).hardwareProfile?.vmSize, "Standard_D4as_v5");
  });

  it("refuses a request body over 4 MB with 413 RequestEntityTooLarge, and changes nothing", async () => {
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    const resources = new ResourceManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
    const huge = { location: REGION, tags: { big: "x".repeat(4 * 1024 * 1024) } };
    await rejectsWithCode(resources.resourceGroups.createOrUpdate("rg-huge", huge), "RequestEntityTooLarge", 413);
    assert.equal((await resources.resourceGroups.checkExistence("rg-huge")).body, false);
    const log = await fixture.emulator.requestLog();
    assert.ok(
      log.some((e) => e.status === 413 && /rg-huge/.test(e.path)),
      "the refusal is in the request log",
    );
    // Just under the limit is fine for the cap (ARM's own per-value rules aside).
    const raw = await fixture.emulator.raw("PUT", `/subscriptions/${fixture.subscriptionId}/resourcegroups/rg-huge?api-version=2021-04-01`, {
      body: { location: REGION, tags: { small: "y" } },
    });
    assert.equal(raw.status, 201);
  });
});
