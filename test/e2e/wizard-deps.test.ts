// The wizard's Azure-backed deps for `init` (src/commands/wizard-deps.ts): the sign-in message when no
// credential is found (a credential that fails like DefaultAzureCredential does; the real one is never
// built in tests), name availability through each provider's checkNameAvailability against the
// emulator (real SDK clients), with a free suggestion for a taken name, and when init runs the wizard.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { TokenCredential } from "@azure/core-auth";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { createAzureContext } from "../../src/azure/clients.js";
import { FIELDS, checkFieldValue } from "../../src/config/fields.js";
import type { ConfigCommandInput } from "../../src/cli/command-contract.js";
import type { ConfigPrecheck } from "../../src/config/resolve.js";
import { ExitCode, SecureAmlError } from "../../src/errors.js";
import { accountOfToken, checkGlobalName, findDeletedKeyVault, givenByPerson, nameWithSuffix, signInWith, wantsWizard } from "../../src/commands/wizard-deps.js";
import { resumeAfterWizard } from "../../src/commands/init.js";
import type { DeploymentConfig, RunOptions } from "../../src/config/types.js";

let emulator: TestEmulator;

before(async () => {
  emulator = await startTestEmulator();
  await emulator.seedTakenName("storage", "depstaken1");
  await emulator.seedTakenName("keyvault", "deps-taken-kv");
  await emulator.seedTakenName("registry", "depstakenacr");
});
after(async () => {
  await emulator?.stop();
});

function failingCredential(name: string, message: string): TokenCredential {
  return {
    async getToken() {
      throw Object.assign(new Error(message), { name });
    },
  };
}

test("no credential found: NOT_SIGNED_IN with the next step (az login or the service-principal variables)", async () => {
  for (const name of ["CredentialUnavailableError", "AggregateAuthenticationError"]) {
    await assert.rejects(signInWith(failingCredential(name, "EnvironmentCredential is unavailable..."), "https://management.azure.com/.default"), (e: unknown) => {
      assert.ok(e instanceof SecureAmlError, String(e));
      assert.equal(e.code, "NOT_SIGNED_IN");
      assert.equal(e.exitCode, ExitCode.failed);
      assert.match(e.next ?? "", /az login/);
      assert.match(e.next ?? "", /AZURE_CLIENT_ID\/AZURE_TENANT_ID\/AZURE_CLIENT_SECRET/);
      return true;
    });
  }
  // Any other failure is not dressed up as a sign-in problem.
  await assert.rejects(signInWith(failingCredential("RestError", "socket hang up"), "scope"), (e: unknown) => !(e instanceof SecureAmlError) && /socket hang up/.test(String(e)));
  // A token's account is read from its claims, never printed whole.
  const claims = Buffer.from(JSON.stringify({ upn: "ada@example.com" })).toString("base64url");
  const signedIn = await signInWith({ getToken: async () => ({ token: `h.${claims}.s`, expiresOnTimestamp: Date.now() + 60_000 }) }, "scope");
  assert.deepEqual(signedIn, { account: "ada@example.com" });
  assert.equal(accountOfToken("not-a-jwt"), undefined);
});

test("checkGlobalName asks each provider; a taken name comes back with a free, valid suggestion", async () => {
  const azure = createAzureContext({
    subscriptionId: emulator.subscriptionId,
    endpoint: emulator.endpoint,
    caCertPem: emulator.caCert,
    credential: emulator.credential,
    cloud: "AzureCloud",
  });
  const cases = [
    { kind: "storageAccount", taken: "depstaken1", free: "depsfreestore1", type: "Microsoft.Storage/checkNameAvailability" },
    { kind: "keyVault", taken: "deps-taken-kv", free: "deps-free-kv", type: "Microsoft.KeyVault/checkNameAvailability" },
    { kind: "registry", taken: "depstakenacr", free: "depsfreeacr", type: "Microsoft.ContainerRegistry/checkNameAvailability" },
  ] as const;
  for (const c of cases) {
    await emulator.clearRequestLog();
    assert.deepEqual(await checkGlobalName(azure, c.kind, c.free), { available: true }, c.kind);
    const taken = await checkGlobalName(azure, c.kind, c.taken);
    assert.equal(taken.available, false, c.kind);
    assert.equal(taken.reason, "AlreadyExists", c.kind);
    assert.ok(taken.suggestion && taken.suggestion !== c.taken, `${c.kind} suggestion ${String(taken.suggestion)}`);
    const spec = FIELDS.find((f) => f.key === c.kind);
    assert.ok(spec);
    assert.deepEqual(checkFieldValue(spec, taken.suggestion, {}), [], `${taken.suggestion} follows the ${c.kind} rules`);
    assert.equal((await checkGlobalName(azure, c.kind, taken.suggestion)).available, true, "the suggestion really is free");
    const log = await emulator.requestLog();
    assert.ok(
      log.some((e) => e.method === "POST" && e.path.toLowerCase().includes(c.type.toLowerCase())),
      `${c.kind} went to ${c.type}`,
    );
  }
  // Suffixed names keep within the length limits.
  assert.equal(nameWithSuffix("storageAccount", "a".repeat(24)).length, 24);
  assert.match(nameWithSuffix("keyVault", "abc-"), /^abc[a-z0-9]{4}$/);
});

function input(run: Partial<RunOptions>, precheck: Partial<ConfigPrecheck>, flags: Record<string, unknown> = {}): ConfigCommandInput {
  return {
    flags,
    env: {},
    run: { local: false, concurrency: 8, statePath: ".secure-aml/state.json", output: "text", yes: false, color: false, interactive: true, ...run },
    io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
    precheck: { missing: [], passwordMissing: false, partial: {}, secrets: {}, sources: {}, ...precheck },
  };
}

test("init runs the wizard only for a person at a terminal with values to choose", () => {
  const resolved = { config: {} as DeploymentConfig, secrets: {}, sources: {} };
  assert.equal(wantsWizard(input({}, {})), true, "values missing at a terminal");
  assert.equal(wantsWizard(input({ interactive: false }, {})), false, "no terminal");
  assert.equal(wantsWizard(input({ yes: true, interactive: false }, {})), false, "--yes");
  const given = { subscriptionId: "flag", location: "env" } as const;
  assert.equal(wantsWizard(input({}, { resolved, sources: given })), false, "everything required was given: plan and confirm only");
  assert.equal(wantsWizard(input({ local: true }, { resolved, sources: { subscriptionId: "default", location: "default" } })), true, "--local at a terminal");
  assert.deepEqual(
    givenByPerson({ subscriptionId: "s", location: "eastus", prefix: "p", vnetName: "p-vnet" }, { subscriptionId: "flag", location: "file", prefix: "env", vnetName: "default" }),
    { subscriptionId: "s", prefix: "p", location: "eastus" },
  );
});

test("the resume command after the wizard carries its answers (or the saved file), never the password", () => {
  const config = {
    subscriptionId: "00000000-0000-0000-0000-00000000abcd",
    location: "westeurope",
    prefix: "team",
    resourceGroup: "team-special",
    jumpbox: false,
  } as Partial<DeploymentConfig>;
  for (const field of FIELDS) {
    const record = config as Record<string, unknown>;
    if (record[field.key] === undefined) record[field.key] = field.derive?.(config);
  }
  const base = input({ statePath: "s.json" }, { sources: { location: "flag" } }, { location: "westeurope" });
  const line = resumeAfterWizard(base, config as DeploymentConfig, undefined);
  assert.match(line, /^secure-aml init --state s\.json /);
  assert.match(line, /--subscription 00000000-0000-0000-0000-00000000abcd/);
  assert.match(line, /--resource-group team-special/);
  assert.match(line, /--prefix team/);
  assert.match(line, /--no-jumpbox/);
  assert.doesNotMatch(line, /--vnet-name/, "a name the defaults give back is left out");
  assert.equal(line.split("--location").length, 2, "a flag given once appears once");
  assert.equal(resumeAfterWizard(base, config as DeploymentConfig, "answers.json"), "secure-aml init --state s.json --config answers.json --location westeurope");
});

test("a soft-deleted key vault is found by name, and owned only when the state proves this deployment created it", async () => {
  const azure = createAzureContext({
    subscriptionId: emulator.subscriptionId,
    endpoint: emulator.endpoint,
    caCertPem: emulator.caCert,
    credential: emulator.credential,
    cloud: "AzureCloud",
    pollIntervalMs: 50,
  });
  const group = "deps-softdel-rg";
  const name = "deps-softdel-kv";
  await (await azure.resources()).resourceGroups.createOrUpdate(group, { location: "eastus" });
  const vaults = (await azure.keyVault()).vaults;
  const created = await vaults.createOrUpdate(
    group,
    name,
    { location: "eastus", properties: { tenantId: "00000000-0000-0000-0000-00000000000a", sku: { family: "A", name: "standard" } } },
    azure.lro(),
  );
  assert.ok(created.id);
  await vaults.delete(group, name);

  assert.equal(await findDeletedKeyVault(azure, "deps-never-existed", new Set()), undefined);
  const foreign = await findDeletedKeyVault(azure, name, new Set());
  assert.equal(foreign?.name, name);
  assert.equal(foreign?.location, "eastus");
  assert.equal(foreign?.owned, false, "without proof in the state, not ours to recover or purge");
  const ours = await findDeletedKeyVault(azure, name.toUpperCase(), new Set([String(created.id).toLowerCase()]));
  assert.equal(ours?.owned, true, "the state's created ids prove it");
});
