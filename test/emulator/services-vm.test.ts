// The jump box VM and its auto-shutdown schedule through the real SDK clients (arm-compute,
// arm-devtestlabs), and the principal replication delay of role assignments under realistic latency.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ComputeManagementClient } from "@azure/arm-compute";
import type { DevTestLabsClient } from "@azure/arm-devtestlabs";
import type { RoleAssignment } from "@azure/arm-authorization";
import { waitFor } from "../helpers/wait.js";
import { POLL, REGION, assertNoResponseFindings, rejectsWithCode, startServicesFixture, type ServicesFixture } from "./services-fixture.js";

const RG = "rg-vm";
const TENANT = "72f988bf-0000-4000-8000-00000000e111";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
/** A test value only (never a real secret): 16 characters, 4 classes. */
const PASSWORD = ["Emu", "lator", "Pass", "-42", "x"].join("");

let fixture: ServicesFixture;
let compute: ComputeManagementClient;
let schedules: DevTestLabsClient;
const nicIds: string[] = [];

async function createNic(target: ServicesFixture, name: string): Promise<string> {
  const { NetworkManagementClient } = await import("@azure/arm-network");
  const network = new NetworkManagementClient(target.emulator.credential, target.subscriptionId, target.emulator.clientOptions);
  const vnet = await network.virtualNetworks.beginCreateOrUpdateAndWait(
    RG,
    "vnet-vm",
    { location: REGION, addressSpace: { addressPrefixes: ["172.16.0.0/16"] }, subnets: [{ name: "Training", addressPrefix: "172.16.0.0/24" }] },
    POLL,
  );
  const nic = await network.networkInterfaces.beginCreateOrUpdateAndWait(
    RG,
    name,
    { location: REGION, ipConfigurations: [{ name: "ipconfig1", subnet: { id: vnet.subnets?.[0]?.id }, privateIPAllocationMethod: "Dynamic" }] },
    POLL,
  );
  return nic.id ?? "";
}

function vmParams(nicId: string, overrides: { adminUsername?: string; adminPassword?: string; computerName?: string; sku?: string } = {}) {
  return {
    location: REGION,
    hardwareProfile: { vmSize: "Standard_D2s_v3" },
    storageProfile: {
      imageReference: { publisher: "MicrosoftWindowsDesktop", offer: "windows-11", sku: overrides.sku ?? "win11-23h2-ent", version: "latest" },
      osDisk: { createOption: "FromImage", managedDisk: { storageAccountType: "StandardSSD_LRS" } },
    },
    osProfile: { computerName: overrides.computerName ?? "jumpbox", adminUsername: overrides.adminUsername ?? "azureadmin", adminPassword: overrides.adminPassword ?? PASSWORD },
    networkProfile: { networkInterfaces: [{ id: nicId }] },
  };
}

before(async () => {
  fixture = await startServicesFixture();
  const [{ ComputeManagementClient }, { DevTestLabsClient }] = await Promise.all([import("@azure/arm-compute"), import("@azure/arm-devtestlabs")]);
  compute = new ComputeManagementClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
  schedules = new DevTestLabsClient(fixture.emulator.credential, fixture.subscriptionId, fixture.emulator.clientOptions);
  await fixture.resourceGroup(RG);
  nicIds.push(await createNic(fixture, "nic-jumpbox"), await createNic(fixture, "nic-spare"));
});

after(async () => {
  await fixture?.emulator.stop();
});

describe("virtual machines", () => {
  it("creates the Windows 11 jump box; the password never comes back", async () => {
    const vm = await compute.virtualMachines.createOrUpdate(RG, "jumpbox", vmParams(nicIds[0]!), POLL);
    assert.equal(vm.provisioningState, "Succeeded");
    assert.equal(vm.osProfile?.adminPassword, undefined);
    assert.equal(vm.storageProfile?.imageReference?.offer, "windows-11");
    const dump = JSON.stringify(await fixture.emulator.resources());
    assert.equal(dump.includes(PASSWORD), false, "the password is not stored");
    const withView = await compute.virtualMachines.get(RG, "jumpbox", { expand: "instanceView" });
    assert.ok(withView.instanceView?.statuses?.some((status: { code?: string }) => status.code === "PowerState/running"));
  });

  it("deallocates, starts and powers off (long-running), visible in the instance view", async () => {
    const power = async (): Promise<string | undefined> =>
      (await compute.virtualMachines.instanceView(RG, "jumpbox")).statuses?.map((status) => status.code ?? "").find((code) => code.startsWith("PowerState/"));
    await compute.virtualMachines.deallocate(RG, "jumpbox", POLL);
    assert.equal(await power(), "PowerState/deallocated");
    await compute.virtualMachines.start(RG, "jumpbox", POLL);
    assert.equal(await power(), "PowerState/running");
    await compute.virtualMachines.powerOff(RG, "jumpbox", POLL);
    assert.equal(await power(), "PowerState/stopped");
  });

  it("refuses a missing or used NIC, reserved admin names, weak passwords, long computer names and unknown images", async () => {
    const missingNic = nicIds[1]!.replace("nic-spare", "nic-missing");
    await rejectsWithCode(compute.virtualMachines.createOrUpdate(RG, "vm-nonic", vmParams(missingNic), POLL), "InvalidResourceReference", 400);
    await rejectsWithCode(compute.virtualMachines.createOrUpdate(RG, "vm-sharednic", vmParams(nicIds[0]!), POLL), "NicInUse", 400);
    for (const name of ["admin", "Administrator", "root", "test1", "support_388945a0"]) {
      await rejectsWithCode(compute.virtualMachines.createOrUpdate(RG, "vm-badname", vmParams(nicIds[1]!, { adminUsername: name }), POLL), "InvalidParameter", 400);
    }
    for (const weak of ["short1A!", "alllowercaseletters", "NoDigitsOrSymbolsHere", "P@ssw0rd"]) {
      await rejectsWithCode(compute.virtualMachines.createOrUpdate(RG, "vm-weak", vmParams(nicIds[1]!, { adminPassword: weak }), POLL), "InvalidParameter", 400);
    }
    await rejectsWithCode(
      compute.virtualMachines.createOrUpdate(RG, "vm-longname", vmParams(nicIds[1]!, { computerName: "a-very-long-computer-name" }), POLL),
      "InvalidParameter",
      400,
    );
    await rejectsWithCode(compute.virtualMachines.createOrUpdate(RG, "vm-image", vmParams(nicIds[1]!, { sku: "win11-99h9-ent" }), POLL), "PlatformImageNotFound", 404);
  });
});

describe("auto-shutdown schedule", () => {
  const vmId = (): string => fixture.id(RG, "Microsoft.Compute/virtualMachines", "jumpbox");
  const schedule = (overrides: Record<string, unknown> = {}) => ({
    location: REGION,
    status: "Enabled",
    taskType: "ComputeVmShutdownTask",
    dailyRecurrence: { time: "1900" },
    timeZoneId: "UTC",
    notificationSettings: { status: "Disabled" },
    targetResourceId: vmId(),
    ...overrides,
  });

  it("creates shutdown-computevm-jumpbox for the VM", async () => {
    const created = await schedules.globalSchedules.createOrUpdate(RG, "shutdown-computevm-jumpbox", schedule());
    assert.equal(created.status, "Enabled");
    assert.equal(created.dailyRecurrence?.time, "1900");
  });

  it("refuses a bad name, a missing target, a bad time and an unknown time zone", async () => {
    await rejectsWithCode(schedules.globalSchedules.createOrUpdate(RG, "shutdown-jumpbox", schedule()), "InvalidScheduleName", 400);
    await rejectsWithCode(
      schedules.globalSchedules.createOrUpdate(RG, "shutdown-computevm-ghost", schedule({ targetResourceId: vmId().replace("jumpbox", "ghost") })),
      "InvalidTargetResource",
      400,
    );
    await rejectsWithCode(schedules.globalSchedules.createOrUpdate(RG, "shutdown-computevm-jumpbox", schedule({ dailyRecurrence: { time: "2500" } })), "InvalidScheduleTime", 400);
    await rejectsWithCode(schedules.globalSchedules.createOrUpdate(RG, "shutdown-computevm-jumpbox", schedule({ timeZoneId: "Mars/Olympus" })), "InvalidTimeZoneId", 400);
  });
});

describe("spec conformance", () => {
  it("the emulator's responses have no spec findings", async () => {
    await assertNoResponseFindings(fixture.emulator);
  });
});

describe("principal replication delay (realistic latency, time scale 0.01)", () => {
  let realistic: ServicesFixture | undefined;
  after(async () => {
    await realistic?.emulator.stop();
  });

  it("a workspace identity is PrincipalNotFound without principalType until it has replicated", async () => {
    realistic = await startServicesFixture({ latency: "realistic", timeScale: 0.01 });
    const { credential, subscriptionId, clientOptions } = realistic.emulator;
    const [st, kv, aml, az] = await Promise.all([
      import("@azure/arm-storage"),
      import("@azure/arm-keyvault"),
      import("@azure/arm-machinelearning"),
      import("@azure/arm-authorization"),
    ]);
    await realistic.resourceGroup("rg-delay");
    const storage = await new st.StorageManagementClient(credential, subscriptionId, clientOptions).storageAccounts.create(
      "rg-delay",
      "stdelay01",
      { location: REGION, kind: "StorageV2", sku: { name: "Standard_LRS" } },
      POLL,
    );
    const vault = await new kv.KeyVaultManagementClient(credential, subscriptionId, clientOptions).vaults.createOrUpdate(
      "rg-delay",
      "kv-delay-01",
      { location: REGION, properties: { tenantId: TENANT, sku: { family: "A", name: "standard" } } },
      POLL,
    );
    const ml = new aml.AzureMachineLearningWorkspaces(credential, subscriptionId, clientOptions);
    const workspace = await ml.workspaces.beginCreateOrUpdateAndWait(
      "rg-delay",
      "mlw-delay",
      { location: REGION, identity: { type: "SystemAssigned" }, storageAccount: storage.id, keyVault: vault.id },
      POLL,
    );
    const principalId = workspace.identity?.principalId ?? (await ml.workspaces.get("rg-delay", "mlw-delay")).identity?.principalId ?? "";
    assert.ok(principalId);
    const auth = new az.AuthorizationManagementClient(credential, subscriptionId, clientOptions);
    const roleDefinitionId = `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`;
    await rejectsWithCode(auth.roleAssignments.create(storage.id ?? "", "7a1c4b8e-2d6a-4c1e-9a7b-5e8d0c2f1a01", { roleDefinitionId, principalId }), "PrincipalNotFound", 400);
    const typed = await auth.roleAssignments.create(storage.id ?? "", "7a1c4b8e-2d6a-4c1e-9a7b-5e8d0c2f1a01", { roleDefinitionId, principalId, principalType: "ServicePrincipal" });
    assert.equal(typed.principalId, principalId);
    // Once replicated (60 s, 0.6 s at time scale 0.01, on the emulator's own clock), the same request
    // without principalType succeeds. Retried until then; any answer but PrincipalNotFound fails at once.
    let later: RoleAssignment | undefined;
    let notYet = 0;
    await waitFor("the workspace identity to replicate", async () => {
      try {
        later = await auth.roleAssignments.create(vault.id ?? "", "7a1c4b8e-2d6a-4c1e-9a7b-5e8d0c2f1a02", { roleDefinitionId, principalId });
        return true;
      } catch (error) {
        if ((error as { code?: unknown }).code !== "PrincipalNotFound") throw error;
        notYet++;
        return false;
      }
    });
    assert.equal(later?.principalType, "ServicePrincipal", `after ${notYet} PrincipalNotFound answers`);
  });
});
