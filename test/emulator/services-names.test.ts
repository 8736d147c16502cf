// Storage accounts, key vaults and container registries through their real SDK clients: global names,
// name formats, checkNameAvailability agreeing with PUT, soft-deleted vaults, SKU rules, secrets actions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { StorageManagementClient } from "@azure/arm-storage";
import type { KeyVaultManagementClient } from "@azure/arm-keyvault";
import type { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import type { ResourceManagementClient } from "@azure/arm-resources";
import { POLL, REGION, assertNoResponseFindings, collect, rejectsWithCode, startServicesFixture, type ServicesFixture } from "./services-fixture.js";

const TENANT = "72f988bf-0000-4000-8000-00000000e111";

let fixture: ServicesFixture;
let storage: StorageManagementClient;
let keyVault: KeyVaultManagementClient;
let registry: ContainerRegistryManagementClient;
let resources: ResourceManagementClient;

before(async () => {
  fixture = await startServicesFixture();
  const [{ StorageManagementClient }, { KeyVaultManagementClient }, { ContainerRegistryManagementClient }, { ResourceManagementClient }] = await Promise.all([
    import("@azure/arm-storage"),
    import("@azure/arm-keyvault"),
    import("@azure/arm-containerregistry"),
    import("@azure/arm-resources"),
  ]);
  const { credential, subscriptionId, clientOptions } = fixture.emulator;
  storage = new StorageManagementClient(credential, subscriptionId, clientOptions);
  keyVault = new KeyVaultManagementClient(credential, subscriptionId, clientOptions);
  registry = new ContainerRegistryManagementClient(credential, subscriptionId, clientOptions);
  resources = new ResourceManagementClient(credential, subscriptionId, clientOptions);
  await fixture.resourceGroup("rg-names");
  await fixture.resourceGroup("rg-other");
});

after(async () => {
  await fixture?.emulator.stop();
});

function storageParams(overrides: Record<string, unknown> = {}) {
  return {
    location: REGION,
    kind: "StorageV2" as const,
    sku: { name: "Standard_LRS" as const },
    ...overrides,
  };
}

describe("storage accounts", () => {
  it("creates the tutorial's locked-down account asynchronously and reads it back", async () => {
    const account = await storage.storageAccounts.create(
      "rg-names",
      "stsecureaml01",
      storageParams({
        minimumTlsVersion: "TLS1_2",
        allowBlobPublicAccess: false,
        publicNetworkAccess: "Disabled",
        networkRuleSet: { defaultAction: "Deny", bypass: "AzureServices" },
      }),
      POLL,
    );
    assert.equal(account.provisioningState, "Succeeded");
    const read = await storage.storageAccounts.getProperties("rg-names", "stsecureaml01");
    assert.equal(read.minimumTlsVersion, "TLS1_2");
    assert.equal(read.allowBlobPublicAccess, false);
    assert.equal(read.publicNetworkAccess, "Disabled");
    assert.equal(read.networkRuleSet?.defaultAction, "Deny");
    assert.equal(read.primaryEndpoints?.blob, "https://stsecureaml01.blob.core.windows.net/");
    assert.equal(read.sku?.name, "Standard_LRS");
    const log = await fixture.emulator.requestLog();
    const put = log.find((entry) => entry.method === "PUT" && entry.path.endsWith("/stsecureaml01"));
    assert.equal(put?.status, 202, "StorageAccounts_Create answers 202 + Location");
  });

  it("updates with PATCH (synchronous 200, as StorageAccounts_Update)", async () => {
    const updated = await storage.storageAccounts.update("rg-names", "stsecureaml01", { allowBlobPublicAccess: false, minimumTlsVersion: "TLS1_2", tags: { owner: "secure-aml" } });
    assert.deepEqual(updated.tags, { owner: "secure-aml" });
    assert.equal(updated.publicNetworkAccess, "Disabled", "PATCH keeps what it does not name");
  });

  it("refuses bad names and names held elsewhere, and checkNameAvailability agrees", async () => {
    for (const bad of ["ab", "UpperCase1", "has-dash", "a".repeat(25)]) {
      await rejectsWithCode(storage.storageAccounts.create("rg-names", bad, storageParams(), POLL), "AccountNameInvalid", 400);
      const check = await storage.storageAccounts.checkNameAvailability({ name: bad, type: "Microsoft.Storage/storageAccounts" });
      assert.equal(check.nameAvailable, false);
      assert.equal(check.reason, "AccountNameInvalid");
    }
    await fixture.emulator.seedTakenName("storage", "sttakenelsewhere");
    await rejectsWithCode(storage.storageAccounts.create("rg-names", "sttakenelsewhere", storageParams(), POLL), "StorageAccountAlreadyTaken", 409);
    const taken = await storage.storageAccounts.checkNameAvailability({ name: "sttakenelsewhere", type: "Microsoft.Storage/storageAccounts" });
    assert.deepEqual([taken.nameAvailable, taken.reason], [false, "AlreadyExists"]);
    await rejectsWithCode(storage.storageAccounts.create("rg-other", "stsecureaml01", storageParams(), POLL), "StorageAccountInAnotherResourceGroup", 409);
    const own = await storage.storageAccounts.checkNameAvailability({ name: "stsecureaml01", type: "Microsoft.Storage/storageAccounts" });
    assert.deepEqual([own.nameAvailable, own.reason], [false, "AlreadyExists"]);
    const free = await storage.storageAccounts.checkNameAvailability({ name: "stfreename42", type: "Microsoft.Storage/storageAccounts" });
    assert.equal(free.nameAvailable, true);
  });

  it("refuses invalid kinds, SKUs and property values", async () => {
    await rejectsWithCode(storage.storageAccounts.create("rg-names", "stbadkind01", storageParams({ kind: "FileStorage" }), POLL), "InvalidValuesForRequestParameters", 400);
    await rejectsWithCode(
      storage.storageAccounts.create("rg-names", "stbadtls01", storageParams({ minimumTlsVersion: "TLS9" as "TLS1_2" }), POLL),
      "InvalidValuesForRequestParameters",
    );
  });

  it("lists keys as secrets that differ per account and never appear in GET", async () => {
    const keys = await storage.storageAccounts.listKeys("rg-names", "stsecureaml01");
    assert.equal(keys.keys?.length, 2);
    const [first] = keys.keys ?? [];
    assert.ok(first);
    assert.match(first.value ?? "", /^[A-Za-z0-9+/]{86}==$/);
    const dump = JSON.stringify(await fixture.emulator.resources());
    assert.equal(dump.includes(first.value ?? "<none>"), false, "keys are not stored in the world");
  });
});

describe("key vaults", () => {
  const vaultParams = (overrides: Record<string, unknown> = {}) => ({
    location: REGION,
    properties: { tenantId: TENANT, sku: { family: "A" as const, name: "standard" as const }, publicNetworkAccess: "Disabled", ...overrides },
  });

  it("creates a vault with public access off", async () => {
    const vault = await keyVault.vaults.createOrUpdate("rg-names", "kv-secure-aml-01", vaultParams(), POLL);
    assert.equal(vault.properties.vaultUri, "https://kv-secure-aml-01.vault.azure.net/");
    assert.equal(vault.properties.publicNetworkAccess, "Disabled");
    assert.equal(vault.properties.enableSoftDelete, true);
    const updated = await keyVault.vaults.update("rg-names", "kv-secure-aml-01", { properties: { enableRbacAuthorization: true } });
    assert.equal(updated.properties?.enableRbacAuthorization, true);
    assert.equal(updated.properties?.publicNetworkAccess, "Disabled");
  });

  it("refuses invalid names, taken names and missing tenant or SKU", async () => {
    for (const bad of ["kv", "1starts-with-digit", "double--hyphen", "ends-with-", "x".repeat(25), "under_score"]) {
      await rejectsWithCode(keyVault.vaults.createOrUpdate("rg-names", bad, vaultParams(), POLL), "VaultNameNotValid", 400);
      const check = await keyVault.vaults.checkNameAvailability({ name: bad, type: "Microsoft.KeyVault/vaults" });
      assert.deepEqual([check.nameAvailable, check.reason], [false, "AccountNameInvalid"]);
    }
    await fixture.emulator.seedTakenName("keyvault", "kv-taken-elsewhere");
    await rejectsWithCode(keyVault.vaults.createOrUpdate("rg-names", "kv-taken-elsewhere", vaultParams(), POLL), "VaultAlreadyExists", 409);
    await rejectsWithCode(keyVault.vaults.createOrUpdate("rg-other", "kv-secure-aml-01", vaultParams(), POLL), "VaultAlreadyExists", 409);
    const check = await keyVault.vaults.checkNameAvailability({ name: "kv-taken-elsewhere", type: "Microsoft.KeyVault/vaults" });
    assert.deepEqual([check.nameAvailable, check.reason], [false, "AlreadyExists"]);
    const free = await keyVault.vaults.checkNameAvailability({ name: "kv-free-name-1", type: "Microsoft.KeyVault/vaults" });
    assert.equal(free.nameAvailable, true);
  });

  it("soft-deletes on delete, blocks the name, recovers, and purges", async () => {
    await keyVault.vaults.createOrUpdate("rg-names", "kv-soft-01", vaultParams({ enableRbacAuthorization: true }), POLL);
    await keyVault.vaults.delete("rg-names", "kv-soft-01");
    const deleted = await collect(keyVault.vaults.listDeleted());
    assert.ok(deleted.some((item) => item.name === "kv-soft-01"));
    const one = await keyVault.vaults.getDeleted("kv-soft-01", REGION);
    assert.equal(one.properties?.location, REGION);
    assert.match(one.properties?.vaultId ?? "", /\/vaults\/kv-soft-01$/);
    const message = await rejectsWithCode(keyVault.vaults.createOrUpdate("rg-names", "kv-soft-01", vaultParams(), POLL), "ConflictError", 409);
    assert.match(message, /already exists in deleted state/);
    const check = await keyVault.vaults.checkNameAvailability({ name: "kv-soft-01", type: "Microsoft.KeyVault/vaults" });
    assert.deepEqual([check.nameAvailable, check.reason], [false, "AlreadyExists"]);
    const recovered = await keyVault.vaults.createOrUpdate("rg-names", "kv-soft-01", vaultParams({ createMode: "recover" }), POLL);
    assert.equal(recovered.properties.enableRbacAuthorization, true, "recovery restores the vault as it was");
    await rejectsWithCode(keyVault.vaults.createOrUpdate("rg-names", "kv-never-deleted", vaultParams({ createMode: "recover" }), POLL), "NotFound", 404);

    await keyVault.vaults.delete("rg-names", "kv-soft-01");
    await keyVault.vaults.purgeDeleted("kv-soft-01", REGION, POLL);
    await rejectsWithCode(keyVault.vaults.getDeleted("kv-soft-01", REGION), "ResourceNotFound", 404);
    const again = await keyVault.vaults.createOrUpdate("rg-names", "kv-soft-01", vaultParams(), POLL);
    assert.equal(again.properties.enableRbacAuthorization, false, "a purged name makes a fresh vault");
  });

  it("soft-deletes the vaults of a deleted resource group", async () => {
    await fixture.resourceGroup("rg-doomed");
    await keyVault.vaults.createOrUpdate("rg-doomed", "kv-in-doomed-rg", vaultParams(), POLL);
    const poller = await resources.resourceGroups.beginDelete("rg-doomed", POLL);
    await poller.pollUntilDone();
    const deleted = await keyVault.vaults.getDeleted("kv-in-doomed-rg", REGION);
    assert.equal(deleted.name, "kv-in-doomed-rg");
  });
});

describe("container registries", () => {
  it("creates the tutorial's Premium registry with admin user and no public access", async () => {
    const created = await registry.registries.create(
      "rg-names",
      "crsecureaml01",
      { location: REGION, sku: { name: "Premium" }, adminUserEnabled: true, publicNetworkAccess: "Disabled" },
      POLL,
    );
    assert.equal(created.provisioningState, "Succeeded");
    assert.equal(created.loginServer, "crsecureaml01.azurecr.io");
    const credentials = await registry.registries.listCredentials("rg-names", "crsecureaml01");
    assert.equal(credentials.username, "crsecureaml01");
    assert.equal(credentials.passwords?.length, 2);
    const updated = await registry.registries.update("rg-names", "crsecureaml01", { publicNetworkAccess: "Enabled" }, POLL);
    assert.equal(updated.publicNetworkAccess, "Enabled");
    assert.equal(updated.adminUserEnabled, true);
  });

  it("refuses public access Disabled below Premium, bad names and taken names", async () => {
    await rejectsWithCode(
      registry.registries.create("rg-names", "crbasic0001", { location: REGION, sku: { name: "Basic" }, publicNetworkAccess: "Disabled" }, POLL),
      "DisablingPublicNetworkAccessNotSupported",
      400,
    );
    await registry.registries.create("rg-names", "crbasic0002", { location: REGION, sku: { name: "Basic" } }, POLL);
    await rejectsWithCode(registry.registries.update("rg-names", "crbasic0002", { publicNetworkAccess: "Disabled" }, POLL), "DisablingPublicNetworkAccessNotSupported");
    await rejectsWithCode(registry.registries.listCredentials("rg-names", "crbasic0002"), "AdminUserDisabled", 400);
    for (const bad of ["abcd", "has-dash1", "a".repeat(51)]) {
      await rejectsWithCode(registry.registries.create("rg-names", bad, { location: REGION, sku: { name: "Premium" } }, POLL), "InvalidResourceName", 400);
      const check = await registry.registries.checkNameAvailability({ name: bad, type: "Microsoft.ContainerRegistry/registries" });
      assert.equal(check.nameAvailable, false);
    }
    await fixture.emulator.seedTakenName("registry", "crtakenelsewhere");
    await rejectsWithCode(registry.registries.create("rg-names", "crtakenelsewhere", { location: REGION, sku: { name: "Premium" } }, POLL), "AlreadyInUse", 409);
    await rejectsWithCode(registry.registries.create("rg-other", "CRSecureAml01", { location: REGION, sku: { name: "Premium" } }, POLL), "AlreadyInUse", 409);
    const taken = await registry.registries.checkNameAvailability({ name: "crsecureaml01", type: "Microsoft.ContainerRegistry/registries" });
    assert.deepEqual([taken.nameAvailable, taken.reason], [false, "AlreadyExists"]);
    const free = await registry.registries.checkNameAvailability({ name: "crfreename01", type: "Microsoft.ContainerRegistry/registries" });
    assert.equal(free.nameAvailable, true);
  });
});

describe("spec conformance", () => {
  it("the emulator's responses have no spec findings", async () => {
    await assertNoResponseFindings(fixture.emulator);
  });
});
