// Name rules in request paths (and checkNameAvailability bodies) are the resource provider's to enforce,
// as in ARM: spec findings on them do not block the request. When a provider accepts a name the spec
// forbids, the emulator records an EMULATOR_LENIENT_NAME_RULE finding on its response, so the tests (and
// startTestEmulator's stop()) catch a lenient provider. docs/emulator.md, "Spec validation".
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { StorageManagementClient } from "@azure/arm-storage";
import { startEmulator, LENIENT_NAME_RULE, type RunningEmulator, type SpecFindingEntry } from "../../src/emulator/server.js";
import { allProviders } from "../../src/emulator/providers/index.js";
import { storageProvider } from "../../src/emulator/providers/storage.js";
import type { EmulatorProvider } from "../../src/emulator/types.js";
import { responseErrors, staticTestCredential, startTestEmulator, type TestEmulator } from "../helpers/emulator.js";

const POLL = { updateIntervalInMs: 5 } as const;
const ACCOUNT = { location: "eastus", kind: "StorageV2" as const, sku: { name: "Standard_LRS" as const } };

/** Storage with its name rule removed (the provider bug the leniency finding must reveal). */
function lenientStorageProvider(): EmulatorProvider {
  return {
    ...storageProvider,
    types: storageProvider.types.map((handler) =>
      handler.type === "Microsoft.Storage/storageAccounts" ? { ...handler, put: (ctx, req) => handler.put({ ...ctx, name: "stlenient000" }, req) } : handler,
    ),
    routes: (storageProvider.routes ?? []).map((route) =>
      /checkNameAvailability/i.test(route.path) ? { ...route, handle: () => ({ status: 200, body: { nameAvailable: true } }) } : route,
    ),
  };
}

async function findings(endpoint: string, ca: string): Promise<SpecFindingEntry[]> {
  const https = await import("node:https");
  return new Promise((resolve, reject) => {
    https
      .get(`${endpoint}/_emulator/spec-findings`, { ca }, (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve((JSON.parse(text) as { value: SpecFindingEntry[] }).value));
      })
      .on("error", reject);
  });
}

describe("name rules: the provider decides, a lenient provider is caught", () => {
  let strict: TestEmulator;
  let strictStorage: StorageManagementClient;
  let lenient: RunningEmulator;
  let lenientStorage: StorageManagementClient;
  let lenientDir: string;

  before(async () => {
    const { StorageManagementClient } = await import("@azure/arm-storage");
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    strict = await startTestEmulator({ validateSpecs: true });
    strictStorage = new StorageManagementClient(strict.credential, strict.subscriptionId, strict.clientOptions);
    await new ResourceManagementClient(strict.credential, strict.subscriptionId, strict.clientOptions).resourceGroups.createOrUpdate("rg", { location: "eastus" });
    lenientDir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-lenient-"));
    const providers = allProviders.map((provider) => (provider === storageProvider ? lenientStorageProvider() : provider));
    lenient = await startEmulator({ dataDir: lenientDir, validateSpecs: true, providers, log: () => undefined });
    assert.equal(lenient.specValidation.enabled, true, lenient.specValidation.note);
    const options = { endpoint: lenient.endpoint, tlsOptions: { ca: lenient.caCert } };
    lenientStorage = new StorageManagementClient(staticTestCredential(), lenient.subscriptionId, options);
    await new ResourceManagementClient(staticTestCredential(), lenient.subscriptionId, options).resourceGroups.createOrUpdate("rg", { location: "eastus" });
  });

  after(async () => {
    try {
      await lenient?.stop();
      if (lenientDir) await fs.rm(lenientDir, { recursive: true, force: true });
    } finally {
      // Last: its stop() throws when the strict emulator recorded response findings.
      await strict?.stop();
    }
  });

  it("lets the provider refuse a bad path name with its own code (not InvalidRequestContent)", async () => {
    await assert.rejects(strictStorage.storageAccounts.create("rg", "ab", ACCOUNT, POLL), (error: { code?: string; statusCode?: number }) => {
      assert.equal(error.code, "AccountNameInvalid");
      assert.equal(error.statusCode, 400);
      return true;
    });
    const check = await strictStorage.storageAccounts.checkNameAvailability({ name: "ab", type: "Microsoft.Storage/storageAccounts" });
    assert.equal(check.nameAvailable, false);
    const entries = await strict.specFindings();
    const requestEntry = entries.find((entry) => entry.direction === "request" && entry.method === "PUT" && entry.path.endsWith("/ab"));
    assert.ok(
      requestEntry?.findings.some((finding) => finding.path === ".path.accountName"),
      "the spec finding on the name is still recorded",
    );
    assert.deepEqual(responseErrors(entries), [], "a provider that refuses the name leaves no leniency finding");
  });

  it("records a leniency error when the provider accepts a name the spec forbids", async () => {
    const account = await lenientStorage.storageAccounts.create("rg", "ab", ACCOUNT, POLL);
    assert.equal(account.name, "ab");
    const check = await lenientStorage.storageAccounts.checkNameAvailability({ name: "ab", type: "Microsoft.Storage/storageAccounts" });
    assert.equal(check.nameAvailable, true);
    const lenientFindings = responseErrors(await findings(lenient.endpoint, lenient.caCert)).flatMap((entry) =>
      entry.findings.filter((finding) => finding.code === LENIENT_NAME_RULE).map((finding) => `${entry.method} ${finding.path}`),
    );
    assert.ok(lenientFindings.includes("PUT .path.accountName"), `leniency on the PUT: ${JSON.stringify(lenientFindings)}`);
  });
});
