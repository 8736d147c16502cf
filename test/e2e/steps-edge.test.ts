// Edge cases of the steps against the emulator (a taken global name, a soft-deleted key vault) and
// the client layer's own rules (loopback-only test credential, refused clouds, request counting).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { SecureAmlError } from "../../src/errors.js";
import { STATIC_TEST_TOKEN, createStaticTestCredential, isLoopbackHost } from "../../src/azure/credential.js";
import { cloudProfile, allZoneNames, zonesFor } from "../../src/azure/clouds.js";
import { normalizeArmError, parseRetryAfter } from "../../src/azure/arm-errors.js";
import { deterministicGuid } from "../../src/steps/common.js";
import { resourceGroupStep } from "../../src/steps/resource-group.js";
import { storageStep } from "../../src/steps/storage.js";
import { keyVaultStep } from "../../src/steps/key-vault.js";
import type { StepIo } from "../../src/engine/types.js";
import { azureFor, deploy, testConfig, testSecrets } from "./steps-fixture.js";

const io = (): StepIo => ({ signal: new AbortController().signal, progress: () => {}, outputs: () => ({}) });

describe("client layer rules", () => {
  it("uses the static test credential only with a loopback endpoint", async () => {
    for (const host of ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"]) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ["management.azure.com", "10.0.0.1", "128.0.0.1", "localhost.evil.com", "127.0.0.1.nip.io"]) assert.equal(isLoopbackHost(host), false, host);
    const token = await createStaticTestCredential("https://127.0.0.1:8443").getToken("https://management.azure.com/.default");
    assert.equal(token?.token, STATIC_TEST_TOKEN);
    assert.ok((token?.expiresOnTimestamp ?? 0) > Date.now(), "the token is not already expired");
    assert.throws(
      () => createStaticTestCredential("https://management.azure.com"),
      (e: unknown) => e instanceof SecureAmlError && e.code === "TEST_CREDENTIAL_NOT_LOOPBACK",
    );
    assert.throws(() => createStaticTestCredential(undefined), SecureAmlError);
  });

  it("knows every zone for the public, US Government and China clouds", () => {
    assert.ok(allZoneNames(cloudProfile("AzureCloud"), true).includes("privatelink.queue.core.windows.net"));
    const gov = allZoneNames(cloudProfile("AzureUSGovernment"), false);
    assert.ok(gov.includes("privatelink.api.ml.azure.us") && gov.includes("privatelink.azurecr.us") && gov.includes("privatelink.monitor.azure.us"));
    assert.ok(!gov.some((z) => z.endsWith(".windows.net") || z.endsWith("azureml.ms")));
    const china = zonesFor(cloudProfile("AzureChinaCloud"), ["registry", "azuremonitor", "amlworkspace", "vault", "blob", "file"]);
    assert.deepEqual(china.registry, ["privatelink.azurecr.cn"]);
    assert.deepEqual(china.vault, ["privatelink.vaultcore.azure.cn"]);
    assert.deepEqual(china.amlworkspace, ["privatelink.api.ml.azure.cn", "privatelink.notebooks.chinacloudapi.cn"]);
    assert.ok(china.azuremonitor.includes("privatelink.monitor.azure.cn"));
    assert.ok(!allZoneNames(cloudProfile("AzureChinaCloud"), true).some((z) => z.endsWith(".windows.net") || z.endsWith(".azure.com") || z.endsWith(".io")));
  });

  it("derives stable role-assignment names and normalises ARM errors", () => {
    assert.equal(deterministicGuid("a", "b"), deterministicGuid("A", "B"));
    assert.notEqual(deterministicGuid("a", "b"), deterministicGuid("a", "c"));
    assert.match(deterministicGuid("x"), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const headers = { get: (n: string) => (n === "retry-after" ? "7" : undefined) };
    const info = normalizeArmError(
      { name: "RestError", statusCode: 409, code: "AnotherOperationInProgress", message: "busy", response: { headers } },
      { resource: "vnet1", operation: "update subnet" },
    );
    assert.equal(info.transient, true);
    assert.equal(info.armCode, "AnotherOperationInProgress");
    assert.equal(info.retryAfterMs, 7000);
    assert.match(info.message, /update subnet vnet1: AnotherOperationInProgress: busy/);
    assert.equal(normalizeArmError({ statusCode: 400, code: "InvalidParameter", message: "no" }).transient, false);
    assert.equal(normalizeArmError({ statusCode: 503, message: "down" }).transient, true);
    assert.equal(normalizeArmError({ code: "ECONNRESET", message: "reset" }).transient, true);
    // An operation that ended Failed reaches us as core-lro's plain Error: its ARM code decides.
    const failedOp = normalizeArmError(new Error("The long-running operation has failed. InternalServerError. The operation failed."));
    assert.equal(failedOp.armCode, "InternalServerError");
    assert.equal(failedOp.transient, true);
    const refusedOp = normalizeArmError(new Error("The long-running operation has failed. InvalidParameter. Bad size."));
    assert.equal(refusedOp.armCode, "InvalidParameter");
    assert.equal(refusedOp.transient, false);
    assert.equal(parseRetryAfter("0"), 0);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});

describe("global names against the emulator", () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startTestEmulator({ validateSpecs: true });
  });
  after(async () => {
    await emulator?.stop();
  });

  it("fails on a taken storage name before any write, naming the resource and a free name", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "taken", storageAccount: "takenstor1" });
    const azure = azureFor(emulator, config);
    await resourceGroupStep.run({ config, azure }, io());
    await emulator.seedTakenName("storage", "takenstor1");
    azure.counter.reset();
    await assert.rejects(
      storageStep.run({ config, azure }, io()),
      (e: unknown) =>
        e instanceof SecureAmlError && e.code === "NAME_TAKEN" && /storage account name "takenstor1" is taken/.test(e.message) && /--storage-account \w+/.test(e.message),
    );
    assert.equal(azure.counter.snapshot().writes, 0, "nothing was written");
  });

  it("reports a soft-deleted key vault and recovers it when asked", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "soft", keyVault: "soft-kv-1" });
    const azure = azureFor(emulator, config);
    await resourceGroupStep.run({ config, azure }, io());
    await keyVaultStep.run({ config, azure }, io());
    await (await azure.keyVault()).vaults.delete(config.resourceGroup, config.keyVault);

    await assert.rejects(
      keyVaultStep.run({ config, azure }, io()),
      (e: unknown) =>
        e instanceof SecureAmlError &&
        e.code === "KEY_VAULT_SOFT_DELETED" &&
        /--key-vault-soft-deleted recover/.test(e.message) &&
        /--key-vault-soft-deleted purge/.test(e.message),
    );
    const recovered = await keyVaultStep.run({ config: { ...config, keyVaultSoftDeleted: "recover" }, azure }, io());
    assert.equal(recovered.resources[0]?.action, "created");
    const vault = await (await azure.keyVault()).vaults.get(config.resourceGroup, config.keyVault);
    assert.equal(vault.properties.publicNetworkAccess, "Disabled");
  });

  it("purges a soft-deleted key vault and creates a new one when asked", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "purge", keyVault: "purge-kv-1" });
    const azure = azureFor(emulator, config);
    await resourceGroupStep.run({ config, azure }, io());
    await keyVaultStep.run({ config, azure }, io());
    await (await azure.keyVault()).vaults.delete(config.resourceGroup, config.keyVault);
    const result = await keyVaultStep.run({ config: { ...config, keyVaultSoftDeleted: "purge" }, azure }, io());
    assert.equal(result.resources[0]?.action, "created");
    let stillDeleted = false;
    for await (const v of (await azure.keyVault()).vaults.listDeleted()) if (v.name === config.keyVault) stillDeleted = true;
    assert.equal(stillDeleted, false);
  });
});

describe("a compute whose create ended Failed", () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startTestEmulator({ validateSpecs: true });
  });
  after(async () => {
    await emulator?.stop();
  });

  it("is deleted and created again, since Azure cannot re-provision a failed compute in place", async () => {
    const config = testConfig(emulator.subscriptionId, { prefix: "failci", jumpbox: false, bastion: false });
    const azure = azureFor(emulator, config);
    await emulator.setFaults(`seed=1;fail:nth=1,path=/computes/${config.computeInstance}`);
    const { progress } = await deploy({ config, secrets: testSecrets, azure });
    assert.ok(
      progress.some((line) => line.startsWith("compute-instance:") && /in state Failed .* deleting it to create it again/.test(line)),
      `the failed instance was recreated; progress:\n${progress.filter((l) => l.startsWith("compute-instance")).join("\n")}`,
    );
    const instance = await (await azure.machineLearning()).computeOperations.get(config.resourceGroup, config.workspace, config.computeInstance);
    assert.equal((instance.properties as { provisioningState?: string }).provisioningState, "Succeeded");
    const deletes = (await emulator.requestLog()).filter((e) => e.method === "DELETE" && e.path.includes(`/computes/${config.computeInstance}`));
    assert.equal(deletes.length, 1, "exactly one delete of the failed instance");
  });
});
