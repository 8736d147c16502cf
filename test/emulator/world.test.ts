// The emulator's world (docs/emulator.md, "The world file"), through the real SDK clients: a fresh
// subscription refuses writes into unregistered namespaces until they are registered; quotas, unavailable
// sizes, the caller's permissions and taken names answer from the world file; one storage account takes one
// private-endpoint operation at a time; a bad world file is refused naming each problem.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { parseEmulatorArgv, validateEmulatorOptions } from "../../src/emulator/entry.js";
import { InputError } from "../../src/errors.js";

const POLL = { updateIntervalInMs: 5 } as const;
const REGION = "eastus";

async function rejectsWith(operation: Promise<unknown>, code: string, status: number): Promise<Error> {
  let caught: unknown;
  await assert.rejects(operation, (error: unknown) => {
    caught = error;
    const details = error as { code?: string; statusCode?: number; message?: string };
    assert.equal(details.code, code, `expected ${code}, got ${String(details.code)}: ${String(details.message)}`);
    if (status !== 0) assert.equal(details.statusCode, status);
    return true;
  });
  return caught as Error;
}

describe("a fresh subscription (--fresh-subscription)", () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startTestEmulator({ world: "fresh", validateSpecs: true });
  });
  after(async () => emulator?.stop());

  it("lists Azure's default providers Registered and the rest NotRegistered", async () => {
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    const resources = new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
    const states = new Map<string, string>();
    for await (const provider of resources.providers.list()) states.set(provider.namespace ?? "", provider.registrationState ?? "");
    assert.equal(states.get("Microsoft.Resources"), "Registered");
    assert.equal(states.get("Microsoft.Authorization"), "Registered");
    for (const namespace of ["Microsoft.Network", "Microsoft.Storage", "Microsoft.KeyVault", "Microsoft.MachineLearningServices", "Microsoft.DevTestLab", "Microsoft.Compute"]) {
      assert.equal(states.get(namespace), "NotRegistered", namespace);
    }
  });

  it("answers a write into an unregistered namespace 409 MissingSubscriptionRegistration, and accepts it once registered", async () => {
    const [{ ResourceManagementClient }, { NetworkManagementClient }] = await Promise.all([import("@azure/arm-resources"), import("@azure/arm-network")]);
    const resources = new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
    const network = new NetworkManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
    await resources.resourceGroups.createOrUpdate("rg-fresh", { location: REGION });
    const body = { location: REGION, addressSpace: { addressPrefixes: ["10.0.0.0/16"] } };
    const error = await rejectsWith(network.virtualNetworks.beginCreateOrUpdateAndWait("rg-fresh", "vnet", body, POLL), "MissingSubscriptionRegistration", 409);
    assert.match(error.message, /not registered to use namespace 'Microsoft\.Network'.*aka\.ms\/rps-not-found/);
    // Reads are served (see docs/emulator.md): a missing VNet is a plain 404.
    await rejectsWith(network.virtualNetworks.get("rg-fresh", "vnet"), "ResourceNotFound", 404);

    const registering = await resources.providers.register("Microsoft.Network");
    assert.ok(["Registering", "Registered"].includes(registering.registrationState ?? ""), registering.registrationState);
    // --latency none: the registration completes by the next request.
    assert.equal((await resources.providers.get("Microsoft.Network")).registrationState, "Registered");
    const vnet = await network.virtualNetworks.beginCreateOrUpdateAndWait("rg-fresh", "vnet", body, POLL);
    assert.equal(vnet.provisioningState, "Succeeded");
    const log = await emulator.requestLog();
    assert.ok(log.some((entry) => entry.method === "POST" && /\/providers\/Microsoft\.Network\/register$/i.test(entry.path) && entry.status === 200));
  });
});

describe("a world file: quotas, unavailable sizes, no role permission, taken names", () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startTestEmulator({
      validateSpecs: true,
      world: {
        quotas: { eastus: { standardDSv2Family: 0, standardDSv3Family: 4 } },
        unavailableVmSizes: { eastus: ["Standard_D2s_v3"] },
        callerCanAssignRoles: false,
        takenNames: { storage: ["takenbyothers01"] },
      },
    });
  });
  after(async () => emulator?.stop());

  it("reports a family's vCPUs in both the compute and the Machine Learning usages", async () => {
    const [{ ComputeManagementClient }, { AzureMachineLearningWorkspaces }] = await Promise.all([import("@azure/arm-compute"), import("@azure/arm-machinelearning")]);
    const compute = new ComputeManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
    const ml = new AzureMachineLearningWorkspaces(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
    const computeUsages = new Map<string, { limit: number; currentValue: number }>();
    for await (const usage of compute.usage.list(REGION)) computeUsages.set(usage.name?.value ?? "", { limit: usage.limit, currentValue: usage.currentValue });
    const mlUsages = new Map<string, number | undefined>();
    for await (const usage of ml.usages.list(REGION)) mlUsages.set(usage.name?.value ?? "", usage.limit);
    assert.deepEqual(computeUsages.get("standardDSv2Family"), { limit: 0, currentValue: 0 });
    assert.equal(computeUsages.get("standardDSv3Family")?.limit, 4);
    assert.equal(mlUsages.get("standardDSv2Family"), 0);
    assert.equal(mlUsages.get("standardDSv3Family"), 4);
    // A family the file does not name keeps the generous default; so does another region.
    assert.ok((computeUsages.get("standardESv3Family")?.limit ?? 0) > 0);
    for await (const usage of compute.usage.list("westeurope")) if (usage.name?.value === "standardDSv2Family") assert.ok(usage.limit > 0);
  });

  it("restricts an unavailable size in its region only (resource SKUs) and refuses a VM of that size", async () => {
    const { ComputeManagementClient } = await import("@azure/arm-compute");
    const compute = new ComputeManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
    const skus = new Map<string, { family?: string; restrictions: unknown[] }>();
    for await (const sku of compute.resourceSkus.list({ filter: `location eq '${REGION}'` })) {
      assert.deepEqual(sku.locations, [REGION]);
      skus.set(sku.name ?? "", { family: sku.family, restrictions: sku.restrictions ?? [] });
    }
    assert.equal(skus.get("Standard_D2s_v3")?.restrictions.length, 1);
    assert.equal((skus.get("Standard_D2s_v3")?.restrictions[0] as { reasonCode?: string } | undefined)?.reasonCode, "NotAvailableForSubscription");
    assert.equal(skus.get("Standard_DS3_v2")?.family, "standardDSv2Family");
    assert.equal(skus.get("Standard_DS3_v2")?.restrictions.length, 0);
    for await (const sku of compute.resourceSkus.list({ filter: "location eq 'westeurope'" })) {
      if (sku.name === "Standard_D2s_v3") assert.deepEqual(sku.restrictions, []);
    }
    const vm = (size: string) => ({
      location: REGION,
      hardwareProfile: { vmSize: size },
      networkProfile: { networkInterfaces: [{ id: `/subscriptions/${emulator.subscriptionId}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic` }] },
    });
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    await new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions).resourceGroups.createOrUpdate("rg", { location: REGION });
    await rejectsWith(compute.virtualMachines.createOrUpdate("rg", "vm1", vm("Standard_D2s_v3"), POLL), "SkuNotAvailable", 409);
    const quota = await rejectsWith(compute.virtualMachines.createOrUpdate("rg", "vm2", vm("Standard_DS2_v2"), POLL), "OperationNotAllowed", 409);
    assert.match(quota.message, /standardDSv2Family Cores quota.*Current Limit: 0/);
  });

  it("says the caller may not write role assignments, and refuses one with 403 AuthorizationFailed", async () => {
    const [{ AuthorizationManagementClient }, { ResourceManagementClient }] = await Promise.all([import("@azure/arm-authorization"), import("@azure/arm-resources")]);
    const authorization = new AuthorizationManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
    await new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions).resourceGroups.createOrUpdate("rg-roles", { location: REGION });
    const permissions = [];
    for await (const permission of authorization.permissions.listForResourceGroup("rg-roles")) permissions.push(permission);
    assert.deepEqual(permissions[0]?.actions, ["*"]);
    assert.ok(permissions[0]?.notActions?.includes("Microsoft.Authorization/*/Write"));
    const scope = `/subscriptions/${emulator.subscriptionId}/resourceGroups/rg-roles`;
    await rejectsWith(
      authorization.roleAssignments.create(scope, "0b7b7c5e-7a44-4a4e-9d6a-3e6c7b0e2f11", {
        roleDefinitionId: `/subscriptions/${emulator.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
        principalId: "6d9f3a2e-1b4c-4e8a-9f0d-2c7b5a1e3d44",
      }),
      "AuthorizationFailed",
      403,
    );
  });

  it("holds the world file's taken names for someone else", async () => {
    const { StorageManagementClient } = await import("@azure/arm-storage");
    const storage = new StorageManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
    const taken = await storage.storageAccounts.checkNameAvailability({ name: "takenbyothers01", type: "Microsoft.Storage/storageAccounts" });
    assert.equal(taken.nameAvailable, false);
    const free = await storage.storageAccounts.checkNameAvailability({ name: "freename0001", type: "Microsoft.Storage/storageAccounts" });
    assert.equal(free.nameAvailable, true);
  });
});

describe("contention: one storage account, one private-endpoint operation at a time", () => {
  let emulator: TestEmulator;
  before(async () => {
    // A private endpoint takes 60 s on Azure: 6 s here, so the two writes below overlap. No world file: the
    // default world has Azure's contention on (issue 16); test/e2e/retries.test.ts sets it in a world file.
    emulator = await startTestEmulator({ latency: "realistic", timeScale: 0.1 });
  });
  after(async () => emulator?.stop());

  it("fails the second of two concurrent endpoints to one account with StorageAccountOperationInProgress", async () => {
    const [{ ResourceManagementClient }, { NetworkManagementClient }, { StorageManagementClient }] = await Promise.all([
      import("@azure/arm-resources"),
      import("@azure/arm-network"),
      import("@azure/arm-storage"),
    ]);
    const { credential, subscriptionId, clientOptions } = emulator;
    const resources = new ResourceManagementClient(credential, subscriptionId, clientOptions);
    const network = new NetworkManagementClient(credential, subscriptionId, clientOptions);
    const storage = new StorageManagementClient(credential, subscriptionId, clientOptions);
    await resources.resourceGroups.createOrUpdate("rg-pe", { location: REGION });
    await network.virtualNetworks.beginCreateOrUpdateAndWait(
      "rg-pe",
      "vnet",
      { location: REGION, addressSpace: { addressPrefixes: ["172.16.0.0/16"] }, subnets: [{ name: "Training", addressPrefix: "172.16.0.0/24" }] },
      { updateIntervalInMs: 50 },
    );
    const account = await storage.storageAccounts.beginCreateAndWait(
      "rg-pe",
      "stcontention01",
      { location: REGION, kind: "StorageV2", sku: { name: "Standard_LRS" } },
      { updateIntervalInMs: 50 },
    );
    const subnet = `/subscriptions/${subscriptionId}/resourceGroups/rg-pe/providers/Microsoft.Network/virtualNetworks/vnet/subnets/Training`;
    const endpoint = (group: string) => ({
      location: REGION,
      subnet: { id: subnet },
      privateLinkServiceConnections: [{ name: `c-${group}`, privateLinkServiceId: account.id ?? "", groupIds: [group] }],
    });
    const outcomes = await Promise.allSettled([
      network.privateEndpoints.beginCreateOrUpdateAndWait("rg-pe", "pe-blob", endpoint("blob"), { updateIntervalInMs: 200 }),
      network.privateEndpoints.beginCreateOrUpdateAndWait("rg-pe", "pe-file", endpoint("file"), { updateIntervalInMs: 200 }),
    ]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1, JSON.stringify(outcomes.map((o) => o.status)));
    assert.equal(failed.length, 1);
    assert.match(String((failed[0]?.reason as Error | undefined)?.message), /StorageAccountOperationInProgress|exclusive access/);
    // Retried once the other is done, it succeeds.
    const again = await network.privateEndpoints.beginCreateOrUpdateAndWait("rg-pe", "pe-file", endpoint("file"), { updateIntervalInMs: 200 });
    assert.equal(again.provisioningState, "Succeeded");
  });
});

describe("the world file is schema-checked", () => {
  it("refuses unknown keys, bad figures, unknown regions and --world with --fresh-subscription, naming each", async () => {
    const fs = await import("node:fs/promises");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-world-"));
    try {
      const file = path.join(dir, "world.json");
      await fs.writeFile(file, JSON.stringify({ registeredProvider: [], quotas: { eastus: { standardDSv2Family: -1, cpus: 3 }, atlantis: {} }, callerCanAssignRoles: "no" }));
      const problems = (() => {
        try {
          validateEmulatorOptions(parseEmulatorArgv(["--world", file]));
        } catch (error) {
          assert.ok(error instanceof InputError);
          return error.problems.map((p) => p.rule).join("\n");
        }
        assert.fail("a bad world file must be refused");
      })();
      assert.match(problems, /unknown key "registeredProvider"/);
      assert.match(problems, /quotas\.eastus\.standardDSv2Family: must be >= 0/);
      assert.match(problems, /key "cpus" must be "cores" or a VM family/);
      assert.match(problems, /callerCanAssignRoles: must be boolean/);
      await fs.writeFile(file, JSON.stringify({ quotas: { atlantis: { cores: 1 } } }));
      assert.throws(() => validateEmulatorOptions({ world: file }), /atlantis: not an Azure region/);
      assert.throws(() => validateEmulatorOptions({ world: file, freshSubscription: true }), /either --world FILE or --fresh-subscription/);
      // Through the command line too: exit 2 before anything listens.
      const { spawnSync } = await import("node:child_process");
      const { fileURLToPath } = await import("node:url");
      const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../bin/secure-aml.js");
      const cli = spawnSync(process.execPath, [bin, "emulator", "--port", "0", "--data", path.join(dir, "emu"), "--world", file], { encoding: "utf8", timeout: 60_000 });
      assert.equal(cli.status, 2, cli.stderr);
      assert.match(cli.stderr, /world .*atlantis: not an Azure region/);
      await fs.writeFile(file, JSON.stringify({ registeredProviders: "default", quotas: { eastus: { standardDSv2Family: 0 } } }));
      const ok = validateEmulatorOptions({ world: file });
      assert.equal(ok.world?.registeredProviders, "default");
      assert.equal(ok.world?.callerCanAssignRoles, true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
