// Emulator core: long-running operations (Azure-AsyncOperation and Location shapes, create, update,
// delete, actions), resource-group delete cascade, AnotherOperationInProgress, restart persistence.
// Driven by the real @azure/arm-resources pollers (generic by-ID operations) with a short poll interval.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ResourceManagementClient } from "@azure/arm-resources";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { waitFor } from "../helpers/wait.js";

const API = "2024-01-01";
const POLL = { updateIntervalInMs: 5 };

async function clientFor(emulator: TestEmulator): Promise<ResourceManagementClient> {
  const { ResourceManagementClient } = await import("@azure/arm-resources");
  return new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
}

function idOf(emulator: TestEmulator, rg: string, type: string, name: string): string {
  return `/subscriptions/${emulator.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.EmulatorTest/${type}/${name}`;
}

describe("emulator core: long-running operations (latency none)", () => {
  let emulator: TestEmulator;
  let client: ResourceManagementClient;

  before(async () => {
    emulator = await startTestEmulator({ testProvider: true });
    client = await clientFor(emulator);
    await client.resourceGroups.createOrUpdate("lro-rg", { location: "eastus" });
  });
  after(async () => {
    await emulator?.stop();
  });

  it("creates with 201 + Creating + Azure-AsyncOperation, then Succeeded (onSucceeded applied)", async () => {
    const id = idOf(emulator, "lro-rg", "widgets", "w1");
    const initial = await emulator.raw("PUT", `${id}?api-version=${API}`, { body: { location: "eastus", properties: { size: 1 } } });
    assert.equal(initial.status, 201);
    assert.equal((initial.body as { properties: { provisioningState: string } }).properties.provisioningState, "Creating");
    const statusUrl = initial.headers["azure-asyncoperation"];
    assert.ok(statusUrl, "Azure-AsyncOperation header");
    assert.match(statusUrl, /^https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.+\/operationStatuses\/.+\?api-version=2024-01-01$/);
    assert.equal(initial.headers["retry-after"], undefined, "Retry-After is omitted when it scales to 0");
    const status = await emulator.raw("GET", new URL(statusUrl).pathname + new URL(statusUrl).search);
    assert.equal((status.body as { status: string }).status, "Succeeded", "latency none completes at the first poll");

    await emulator.clearRequestLog();
    const updated = await client.resources.beginCreateOrUpdateByIdAndWait(id, API, { location: "eastus", properties: { size: 2 } }, POLL);
    assert.equal(updated.properties?.provisioningState, "Succeeded");
    assert.equal(updated.properties?.size, 2);
    assert.equal(typeof updated.properties?.serial, "string", "onSucceeded ran");
    const log = await emulator.requestLog();
    assert.deepEqual(
      log.map((entry) => [entry.method, entry.class, entry.status]),
      [
        ["PUT", "write", 200],
        ["GET", "poll", 200],
        ["GET", "read", 200],
      ],
    );
  });

  it("creates with 202 + Location (no body) for Location-style types and polls the Location", async () => {
    const id = idOf(emulator, "lro-rg", "gadgets", "g1");
    await emulator.clearRequestLog();
    const gadget = await client.resources.beginCreateOrUpdateByIdAndWait(id, API, { location: "eastus" }, POLL);
    assert.equal(gadget.properties?.provisioningState, "Succeeded");
    assert.deepEqual(gadget.sku, { name: "Standard" });
    const systemData = (gadget as { systemData?: { createdAt?: string } }).systemData;
    assert.equal(typeof systemData?.createdAt, "string");
    const log = await emulator.requestLog();
    assert.equal(log[0]!.status, 202);
    assert.ok(log.some((entry) => entry.class === "poll" && entry.path.includes("/operationResults/")));
  });

  it("deletes asynchronously (202 with Location and Azure-AsyncOperation), then the resource is gone", async () => {
    const id = idOf(emulator, "lro-rg", "widgets", "doomed");
    await client.resources.beginCreateOrUpdateByIdAndWait(id, API, { location: "eastus" }, POLL);
    const initial = await emulator.raw("DELETE", `${id}?api-version=${API}`);
    assert.equal(initial.status, 202);
    assert.ok(initial.headers.location?.startsWith("https://127.0.0.1:"));
    assert.ok(initial.headers["azure-asyncoperation"]?.startsWith("https://127.0.0.1:"));
    await waitFor("the delete to complete", async () => !(await client.resources.checkExistenceById(id, API)).body);
    const second = idOf(emulator, "lro-rg", "gadgets", "doomed2");
    await client.resources.beginCreateOrUpdateByIdAndWait(second, API, { location: "eastus" }, POLL);
    await client.resources.beginDeleteByIdAndWait(second, API, POLL);
    await assert.rejects(client.resources.getById(second, API), (error: { code?: string }) => error.code === "ResourceNotFound");
    const again = await emulator.raw("DELETE", `${second}?api-version=${API}`);
    assert.equal(again.status, 204, "deleting an absent resource answers 204");
  });

  it("runs long-running POST actions through a Location poll", async () => {
    const id = idOf(emulator, "lro-rg", "widgets", "w1");
    const accepted = await emulator.raw("POST", `${id}/restart?api-version=${API}`);
    assert.equal(accepted.status, 202);
    const location = new URL(accepted.headers.location!);
    const result = await emulator.raw("GET", location.pathname + location.search);
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { restarted: true });
  });

  it("runs long-running provider-route actions through a Location poll", async () => {
    const accepted = await emulator.raw(
      "POST",
      `/subscriptions/${emulator.subscriptionId}/providers/Microsoft.EmulatorTest/locations/eastus/archivedThings/old/purge?api-version=${API}`,
    );
    assert.equal(accepted.status, 202);
    const location = new URL(accepted.headers.location!);
    assert.match(location.pathname, /\/locations\/eastus\/operationResults\//);
    assert.equal((await emulator.raw("GET", location.pathname + location.search)).status, 200);
  });

  it("deletes a resource group with everything inside, children first (onDeleted called)", async () => {
    await client.resourceGroups.createOrUpdate("cascade-rg", { location: "eastus" });
    const widget = idOf(emulator, "cascade-rg", "widgets", "cw");
    await client.resources.beginCreateOrUpdateByIdAndWait(widget, API, { location: "eastus" }, POLL);
    await client.resources.beginCreateOrUpdateByIdAndWait(`${widget}/parts/cp`, API, { properties: {} }, POLL);
    await client.resources.beginCreateOrUpdateByIdAndWait(idOf(emulator, "cascade-rg", "gadgets", "cg"), API, { location: "eastus" }, POLL);
    await emulator.clearRequestLog();
    await client.resourceGroups.beginDeleteAndWait("cascade-rg", POLL);
    const log = await emulator.requestLog();
    assert.equal(log[0]!.method, "DELETE");
    assert.equal(log[0]!.status, 202);
    assert.ok(
      log.some((entry) => entry.class === "poll" && /\/operationresults\//.test(entry.path)),
      JSON.stringify(log),
    );
    assert.equal((await client.resourceGroups.checkExistence("cascade-rg")).body, false);
    const dump = await emulator.resources();
    assert.equal(dump.value.filter((record) => record.id.toLowerCase().includes("/cascade-rg")).length, 0);
    const deleted = (dump.softDeleted["emulatortest-deleted"] ?? []) as Array<{ id: string; sequence: number }>;
    const sequenceOf = (name: string) => deleted.find((entry) => entry.id.endsWith(name))?.sequence;
    assert.notEqual(sequenceOf("/cp"), undefined);
    assert.notEqual(sequenceOf("/cg"), undefined);
    assert.ok((sequenceOf("/cp") ?? 99) < (sequenceOf("/cw") ?? -1), "the child is deleted before its parent");
    await assert.rejects(client.resourceGroups.beginDeleteAndWait("cascade-rg", POLL), (error: { code?: string }) => error.code === "ResourceGroupNotFound");
  });
});

describe("emulator core: realistic latency, exclusive writes and restart", () => {
  let emulator: TestEmulator;
  let client: ResourceManagementClient;
  let dataDir: string;

  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-core-lro-"));
    // widgets take 60 s in "reality": 1.2 s here; ARM's Retry-After (10 s x 0.02) rounds to 0, and an
    // operation under 2 s sends none: the client polls at its own interval.
    emulator = await startTestEmulator({ testProvider: true, latency: "realistic", timeScale: 0.02, dataDir });
    client = await clientFor(emulator);
    await client.resourceGroups.createOrUpdate("slow-rg", { location: "eastus" });
  });
  after(async () => {
    await emulator?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("lets the client poll a brief operation at its own interval (no Retry-After under 2 s)", async () => {
    const id = idOf(emulator, "slow-rg", "widgets", "patient");
    const initial = await emulator.raw("PUT", `${id}?api-version=${API}`, { body: { location: "eastus", properties: { size: 1 } } });
    assert.equal(initial.status, 201);
    assert.equal(initial.headers["retry-after"], undefined, "1.2 s left: a whole-second wait would overshoot; the client's own interval is finer");
    const statusUrl = new URL(initial.headers["azure-asyncoperation"]!);
    await waitFor("the widget create", async () => {
      const status = await emulator.raw("GET", statusUrl.pathname + statusUrl.search);
      const running = (status.body as { status: string }).status === "InProgress";
      if (running) assert.equal(status.headers["retry-after"], undefined);
      return !running;
    });
  });

  it("refuses writes to a busy resource or its children with 409 AnotherOperationInProgress", async () => {
    const id = idOf(emulator, "slow-rg", "widgets", "busy");
    const poller = await client.resources.beginCreateOrUpdateById(id, API, { location: "eastus" }, POLL);
    const during = await client.resources.getById(id, API);
    assert.equal(during.properties?.provisioningState, "Creating");
    await assert.rejects(
      client.resources.beginCreateOrUpdateByIdAndWait(id, API, { location: "eastus", properties: { size: 3 } }, POLL),
      (error: { code?: string; statusCode?: number }) => error.code === "AnotherOperationInProgress" && error.statusCode === 409,
    );
    await assert.rejects(
      client.resources.beginCreateOrUpdateByIdAndWait(`${id}/parts/p`, API, { properties: {} }, POLL),
      (error: { code?: string }) => error.code === "AnotherOperationInProgress",
    );
    const done = await poller.pollUntilDone();
    assert.equal(done.properties?.provisioningState, "Succeeded");
    const part = await client.resources.beginCreateOrUpdateByIdAndWait(`${id}/parts/p`, API, { properties: {} }, POLL);
    assert.equal(part.properties?.provisioningState, "Succeeded");
  });

  it("shows Deleting while an async delete runs", async () => {
    const id = idOf(emulator, "slow-rg", "widgets", "slow-delete");
    await client.resources.beginCreateOrUpdateByIdAndWait(id, API, { location: "eastus" }, POLL);
    const poller = await client.resources.beginDeleteById(id, API, POLL);
    assert.equal((await client.resources.getById(id, API)).properties?.provisioningState, "Deleting");
    await poller.pollUntilDone();
    assert.equal((await client.resources.checkExistenceById(id, API)).body, false);
  });

  it("persists the world and pending operations across a restart, keeping its CA", async () => {
    const id = idOf(emulator, "slow-rg", "widgets", "survivor");
    await client.resources.beginCreateOrUpdateById(id, API, { location: "eastus", properties: { size: 7 } }, POLL);
    const caBefore = emulator.caCert;
    await emulator.stop();
    emulator = await startTestEmulator({ testProvider: true, latency: "realistic", timeScale: 0.02, dataDir });
    assert.equal(emulator.caCert, caBefore, "the CA is generated once and reused");
    client = await clientFor(emulator);
    assert.equal((await client.resourceGroups.get("slow-rg")).name, "slow-rg");
    const reloaded = await client.resources.getById(id, API);
    assert.equal(reloaded.properties?.size, 7);
    await waitFor("the pending create to finish", async () => (await client.resources.getById(id, API)).properties?.provisioningState === "Succeeded");
    const keyMode = (await fs.stat(path.join(dataDir, "server-key.pem"))).mode & 0o777;
    assert.equal(keyMode, 0o600);
  });
});
