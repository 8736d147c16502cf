// Retries that outlast Azure (issue 11), through the real SDK clients against the emulator:
// - `init` with throttling (429 + Retry-After) and 503 injected at about half of all writes completes in
//   one run, and the converged state records every step done;
// - a conflict-family code (AnotherOperationInProgress: a write on a VNet while its subnet is being
//   created, the emulator's exclusive-writes rule with realistic latency) is retried until it succeeds;
// - StorageAccountOperationInProgress (two private endpoints to one storage account at once, the world
//   file's contention rule) is retried until both exist;
// - a permanent error (an invalid storage account name) is not retried: one attempt, one request.
// Nothing here sleeps: the engine waits out the emulator's scaled operations by itself, and every
// assertion is on what happened, not on how long it took.

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ResourceManagementClient } from "@azure/arm-resources";
import { NetworkManagementClient } from "@azure/arm-network";
import { armCall } from "../../src/azure/arm-errors.js";
import { AZURE_STEP_ERRORS } from "../../src/commands/step-retry-policy.js";
import { runSteps } from "../../src/engine/engine.js";
import { openState } from "../../src/engine/state.js";
import type { EngineEvent, IoHost, Step } from "../../src/engine/types.js";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { azureFor, testConfig } from "./steps-fixture.js";
import { emulatorArgs, runCli, stateSteps, tempDir } from "./cli-init-fixture.js";

function recorder(): IoHost & { events: EngineEvent[] } {
  const events: EngineEvent[] = [];
  return {
    events,
    notify: (event) => void events.push(event),
    request: async () => {
      throw new Error("no questions in this test");
    },
  };
}

/** A fast backoff for the in-process runs (the budget is what matters, and it is generous). */
const TEST_RETRY = { budgetMs: 120_000, baseDelayMs: 100, maxDelayMs: 1_000 };

test("init completes in one run with 429 (Retry-After) and 503 injected at about half of the writes", async (t) => {
  // First matching rule wins: 30% of writes get 429, 30% of the rest 503: 51% of writes fail at first.
  const emulator = await startTestEmulator({ faults: "seed=11;429:rate=0.3,class=write,retry-after=1;503:rate=0.3,class=write" });
  t.after(() => emulator.stop());
  const dir = await tempDir(t, "retries");
  const state = path.join(dir, "state.json");
  const run = await runCli(["init", "--yes", "--retry-timeout", "600", ...emulatorArgs(emulator, "throttled", state)], { cwd: dir, timeoutMs: 600_000 });
  assert.equal(run.code, 0, run.stderr.slice(-3000));

  const log = await emulator.requestLog();
  const writes = log.filter((e) => e.class === "write");
  const throttled = writes.filter((e) => e.status === 429).length;
  const unavailable = writes.filter((e) => e.status === 503).length;
  assert.ok(throttled > 0 && unavailable > 0, `faults were injected (429: ${throttled}, 503: ${unavailable})`);
  // Each write refused with 429 or 503 was sent again later and then accepted: nothing was given up.
  // (Which writes the seeded faults hit depends on the order parallel steps send them; this holds for any.)
  const refusedNeverAccepted = writes.filter(
    (e, i) => (e.status === 429 || e.status === 503) && !writes.some((later, j) => j > i && later.method === e.method && later.path === e.path && later.status < 400),
  );
  assert.deepEqual(
    refusedNeverAccepted.map((e) => `${e.status} ${e.method} ${e.path}`),
    [],
    "every refused write was retried until accepted",
  );

  // Each engine-level retry is shown in the progress output (plain lines without a terminal).
  const retryLines = run.stderr.split("\n").filter((line) => /\bretry\s/.test(line));
  t.diagnostic(`writes ${writes.length}, 429 ${throttled}, 503 ${unavailable}, step retries shown ${retryLines.length}`);
  for (const line of retryLines) assert.match(line, /attempt \d+ in \d[^;]*; gives up after \d+m \d\ds more/);

  const steps = await stateSteps(state);
  const notDone = Object.entries(steps)
    .filter(([, s]) => s.status !== "done")
    .map(([id]) => id);
  assert.deepEqual(notDone, [], "every step is done after one run");
});

async function vnetWorld(emulator: TestEmulator, prefix: string) {
  const config = testConfig(emulator.subscriptionId, { prefix });
  const resources = new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
  await resources.resourceGroups.createOrUpdate(config.resourceGroup, { location: config.location });
  const network = new NetworkManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
  const vnet = { location: config.location, addressSpace: { addressPrefixes: [config.vnetAddressSpace] } };
  await network.virtualNetworks.beginCreateOrUpdateAndWait(config.resourceGroup, config.vnetName, vnet, { updateIntervalInMs: 20 });
  return { config, network, vnet };
}

test("a conflict-family code (AnotherOperationInProgress) is retried until the VNet is free, then succeeds", async (t) => {
  // Realistic latency at full scale: a subnet create holds its VNet for 3 s (src/durations.ts).
  const emulator = await startTestEmulator({ latency: "realistic", timeScale: 1 });
  t.after(() => emulator.stop());
  const { config, network, vnet } = await vnetWorld(emulator, "conflict");
  const azure = azureFor(emulator, config);
  const vnetId = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${config.vnetName}`;

  // Another writer starts a subnet on the VNet and does not wait for it.
  const subnet = await network.subnets.beginCreateOrUpdate(config.resourceGroup, config.vnetName, "other-writer", { addressPrefix: config.trainingSubnet });
  await emulator.clearRequestLog();

  const step: Step<unknown> = {
    id: "vnet-tags",
    title: "VNet tags",
    dependsOn: [],
    run: async () => {
      await armCall({ resource: vnetId, operation: "update virtual network" }, async () =>
        (await azure.network()).virtualNetworks.beginCreateOrUpdateAndWait(
          config.resourceGroup,
          config.vnetName,
          // A VNet PUT lists its subnets (a PUT without them would remove the other writer's).
          { ...vnet, subnets: [{ name: "other-writer", addressPrefix: config.trainingSubnet }], tags: { owner: "test" } },
          azure.lro(),
        ),
      );
      return { resources: [{ id: vnetId, kind: "Microsoft.Network/virtualNetworks", name: config.vnetName, action: "updated" }] };
    },
  };
  const dir = await tempDir(t, "conflict");
  const state = await openState(path.join(dir, "state.json"), { create: true });
  t.after(() => state.close());
  const io = recorder();
  const summary = await runSteps([step], {}, { concurrency: 1, io, state, retry: TEST_RETRY, ...AZURE_STEP_ERRORS });
  await subnet.pollUntilDone();

  assert.equal(summary.status, "succeeded", JSON.stringify(summary.error));
  const retries = io.events.filter((e): e is Extract<EngineEvent, { type: "step-retry" }> => e.type === "step-retry");
  assert.ok(retries.length >= 1, "the step was retried");
  for (const retry of retries) {
    assert.equal(retry.error.armCode, "AnotherOperationInProgress");
    assert.equal(retry.id, "vnet-tags");
  }
  assert.equal(summary.steps[0]?.attempts, retries.length + 1);
  const puts = (await emulator.requestLog()).filter((e) => e.method === "PUT" && e.path.toLowerCase().endsWith(`/virtualnetworks/${config.vnetName}`.toLowerCase()));
  assert.deepEqual(
    puts.map((e) => e.status),
    [...retries.map(() => 409), 200],
    "each refused PUT was answered 409 and the last one was accepted",
  );
  assert.ok(puts.slice(0, -1).every((e) => e.errorCode === "AnotherOperationInProgress"));
});

test("a permanent error (an invalid storage account name) is not retried", async (t) => {
  const emulator = await startTestEmulator();
  t.after(() => emulator.stop());
  const config = testConfig(emulator.subscriptionId, { prefix: "permanent" });
  const resources = new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
  await resources.resourceGroups.createOrUpdate(config.resourceGroup, { location: config.location });
  const azure = azureFor(emulator, config);
  await emulator.clearRequestLog();

  const badName = "Not-A-Valid-Name";
  const step: Step<unknown> = {
    id: "storage",
    title: "Storage",
    dependsOn: [],
    run: async () => {
      await armCall({ resource: badName, operation: "create storage account" }, async () =>
        (await azure.storage()).storageAccounts.beginCreateAndWait(
          config.resourceGroup,
          badName,
          { location: config.location, kind: "StorageV2", sku: { name: "Standard_LRS" } },
          azure.lro(),
        ),
      );
      return { resources: [] };
    },
  };
  const dir = await tempDir(t, "permanent");
  const state = await openState(path.join(dir, "state.json"), { create: true });
  t.after(() => state.close());
  const io = recorder();
  const summary = await runSteps([step], {}, { concurrency: 1, io, state, retry: TEST_RETRY, ...AZURE_STEP_ERRORS });

  assert.equal(summary.status, "failed");
  assert.equal(summary.exitCode, 1);
  assert.equal(summary.error?.code, "ARM_ERROR");
  assert.equal(summary.error?.armCode, "AccountNameInvalid");
  assert.equal(summary.steps[0]?.attempts, 1);
  assert.deepEqual(
    io.events.filter((e) => e.type === "step-retry"),
    [],
  );
  const puts = (await emulator.requestLog()).filter((e) => e.method === "PUT");
  assert.equal(puts.length, 1, "one request, never sent again");
  assert.equal(puts[0]?.status, 400);
});

test("StorageAccountOperationInProgress (two private endpoints to one storage account at once) is retried, then both exist", async (t) => {
  // Azure's one-operation-at-a-time rule for a storage account's private endpoints (on by default; named so the test keeps it).
  const emulator = await startTestEmulator({ latency: "realistic", timeScale: 0.05, world: { storageAccountContention: true } });
  t.after(() => emulator.stop());
  const config = testConfig(emulator.subscriptionId, { prefix: "contend" });
  const resources = new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
  await resources.resourceGroups.createOrUpdate(config.resourceGroup, { location: config.location });
  const azure = azureFor(emulator, config);
  const network = await azure.network();
  const vnet = await network.virtualNetworks.beginCreateOrUpdateAndWait(
    config.resourceGroup,
    config.vnetName,
    { location: config.location, addressSpace: { addressPrefixes: [config.vnetAddressSpace] }, subnets: [{ name: "training", addressPrefix: config.trainingSubnet }] },
    azure.lro(),
  );
  const subnetId = vnet.subnets?.[0]?.id ?? "";
  const storage = await (await azure.storage()).storageAccounts.beginCreateAndWait(
    config.resourceGroup,
    config.storageAccount,
    { location: config.location, kind: "StorageV2", sku: { name: "Standard_LRS" }, publicNetworkAccess: "Disabled" },
    azure.lro(),
  );
  await emulator.clearRequestLog();

  const endpointStep = (group: "blob" | "file"): Step<unknown> => {
    const name = `pe-${config.storageAccount}-${group}`;
    const id = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.Network/privateEndpoints/${name}`;
    return {
      id: `${group}-endpoint`,
      title: `Storage ${group} endpoint`,
      dependsOn: [],
      run: async () => {
        await armCall({ resource: id, operation: "create private endpoint" }, async () =>
          (await azure.network()).privateEndpoints.beginCreateOrUpdateAndWait(
            config.resourceGroup,
            name,
            {
              location: config.location,
              subnet: { id: subnetId },
              privateLinkServiceConnections: [{ name, privateLinkServiceId: storage.id, groupIds: [group] }],
            },
            azure.lro(),
          ),
        );
        return { resources: [{ id, kind: "Microsoft.Network/privateEndpoints", name, action: "created" }] };
      },
    };
  };
  const dir = await tempDir(t, "contention");
  const state = await openState(path.join(dir, "state.json"), { create: true });
  t.after(() => state.close());
  const io = recorder();
  const summary = await runSteps([endpointStep("blob"), endpointStep("file")], {}, { concurrency: 2, io, state, retry: TEST_RETRY, ...AZURE_STEP_ERRORS });

  assert.equal(summary.status, "succeeded", JSON.stringify(summary.error));
  const retried = retries(io.events);
  assert.ok(retried.length >= 1, "one of the two was refused and retried");
  for (const retry of retried) assert.equal(retry.error.armCode, "StorageAccountOperationInProgress");
  for (const group of ["blob", "file"]) {
    const endpoint = await network.privateEndpoints.get(config.resourceGroup, `pe-${config.storageAccount}-${group}`);
    assert.equal(endpoint.provisioningState, "Succeeded", group);
  }
});

function retries(events: EngineEvent[]): Array<Extract<EngineEvent, { type: "step-retry" }>> {
  return events.filter((e): e is Extract<EngineEvent, { type: "step-retry" }> => e.type === "step-retry");
}
