// Emulator core: authentication, api-version, routing by ID, 404 codes, location rules, resource groups,
// lists, child and extension resources, subscriptions, all through the real @azure/arm-resources client
// (raw HTTPS only where an SDK cannot express the case: no token, no api-version).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ResourceManagementClient } from "@azure/arm-resources";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";

const API = "2024-01-01";
const POLL = { updateIntervalInMs: 5 };

async function rejectsWithCode(operation: Promise<unknown>, code: string, status: number): Promise<string> {
  let message = "";
  await assert.rejects(operation, (error: unknown) => {
    const details = error as { code?: string; statusCode?: number; message?: string };
    assert.equal(details.code, code, `expected ${code}, got ${String(details.code)}: ${String(details.message)}`);
    assert.equal(details.statusCode, status);
    message = details.message ?? "";
    return true;
  });
  return message;
}

describe("emulator core: ARM semantics", () => {
  let emulator: TestEmulator;
  let client: ResourceManagementClient;
  let sub: string;
  const widgetId = (rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.EmulatorTest/widgets/${name}`;

  before(async () => {
    emulator = await startTestEmulator({ testProvider: true, validateSpecs: true });
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    client = new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
    sub = emulator.subscriptionId;
  });
  after(async () => {
    await emulator?.stop();
  });

  it("refuses a request without a bearer token (401 AuthenticationFailed)", async () => {
    const response = await emulator.raw("GET", `/subscriptions/${sub}/resourcegroups?api-version=2025-04-01`, { token: null });
    assert.equal(response.status, 401);
    assert.equal((response.body as { error: { code: string } }).error.code, "AuthenticationFailed");
    const basic = await emulator.raw("GET", `/subscriptions/${sub}/resourcegroups?api-version=2025-04-01`, {
      token: null,
      headers: { authorization: "Basic abc" },
    });
    assert.equal(basic.status, 401);
  });

  it("requires api-version (400 MissingApiVersionParameter)", async () => {
    const response = await emulator.raw("GET", `/subscriptions/${sub}/resourcegroups`);
    assert.equal(response.status, 400);
    assert.equal((response.body as { error: { code: string } }).error.code, "MissingApiVersionParameter");
  });

  it("creates, reads, updates, lists and checks resource groups with the SDK", async () => {
    const created = await client.resourceGroups.createOrUpdate("Core-RG", { location: "eastus", tags: { env: "test" } });
    assert.equal(created.name, "Core-RG");
    assert.equal(created.id, `/subscriptions/${sub}/resourceGroups/Core-RG`);
    assert.equal(created.properties?.provisioningState, "Succeeded");
    const read = await client.resourceGroups.get("core-rg");
    assert.equal(read.name, "Core-RG", "the casing of creation is kept");
    assert.deepEqual(read.tags, { env: "test" });
    const patched = await client.resourceGroups.update("core-rg", { tags: { env: "prod" } });
    assert.deepEqual(patched.tags, { env: "prod" });
    assert.equal((await client.resourceGroups.checkExistence("CORE-RG")).body, true);
    assert.equal((await client.resourceGroups.checkExistence("absent-rg")).body, false);
    const names: string[] = [];
    for await (const group of client.resourceGroups.list()) names.push(group.name ?? "");
    assert.ok(names.includes("Core-RG"));
    await rejectsWithCode(client.resourceGroups.get("absent-rg"), "ResourceGroupNotFound", 404);
    await rejectsWithCode(client.resourceGroups.createOrUpdate("Core-RG", { location: "westus" }), "InvalidResourceGroupLocation", 409);
    await rejectsWithCode(client.resourceGroups.createOrUpdate("rg-nowhere", { location: "atlantis" }), "LocationNotAvailableForResourceType", 400);
  });

  it("checks the api-version per resource type", async () => {
    await client.resourceGroups.createOrUpdate("api-rg", { location: "eastus" });
    const message = await rejectsWithCode(
      client.resources.beginCreateOrUpdateByIdAndWait(widgetId("api-rg", "w"), "2099-01-01", { location: "eastus" }, POLL),
      "NoRegisteredProviderFound",
      400,
    );
    assert.match(message, /2024-01-01/, "ARM lists the supported api-versions");
    await rejectsWithCode(client.resources.getById(`/subscriptions/${sub}/resourceGroups/api-rg/providers/Microsoft.EmulatorTest/nothings/x`, API), "InvalidResourceType", 400);
    await rejectsWithCode(client.resources.getById(`/subscriptions/${sub}/resourceGroups/api-rg/providers/Microsoft.Nowhere/things/x`, API), "InvalidResourceNamespace", 400);
    await rejectsWithCode(
      new (await import("@azure/arm-resources")).ResourceManagementClient(emulator.credential, sub, {
        ...emulator.clientOptions,
        apiVersion: "1999-01-01",
      }).resourceGroups.get("api-rg"),
      "InvalidApiVersionParameter",
      400,
    );
  });

  it("answers ARM's 404 codes and messages", async () => {
    await rejectsWithCode(client.resources.getById(widgetId("no-such-rg", "w"), API), "ResourceGroupNotFound", 404);
    await client.resourceGroups.createOrUpdate("nf-rg", { location: "eastus" });
    const message = await rejectsWithCode(client.resources.getById(widgetId("nf-rg", "missing"), API), "ResourceNotFound", 404);
    assert.match(message, /Microsoft\.EmulatorTest\/widgets\/missing/);
    assert.match(message, /nf-rg/);
    await rejectsWithCode(
      client.resources.beginCreateOrUpdateByIdAndWait(`${widgetId("nf-rg", "missing")}/parts/p1`, API, { properties: {} }, POLL),
      "ParentResourceNotFound",
      404,
    );
    await rejectsWithCode(client.resources.beginCreateOrUpdateByIdAndWait(widgetId("no-such-rg", "w"), API, { location: "eastus" }, POLL), "ResourceGroupNotFound", 404);
    assert.equal(await client.resources.checkExistenceById(widgetId("nf-rg", "missing"), API).then((r) => r.body), false);
  });

  it("enforces the location rules", async () => {
    await client.resourceGroups.createOrUpdate("loc-rg", { location: "eastus" });
    await rejectsWithCode(client.resources.beginCreateOrUpdateByIdAndWait(widgetId("loc-rg", "w"), API, {}, POLL), "LocationRequired", 400);
    await rejectsWithCode(client.resources.beginCreateOrUpdateByIdAndWait(widgetId("loc-rg", "w"), API, { location: "moon" }, POLL), "LocationNotAvailableForResourceType", 400);
    const created = await client.resources.beginCreateOrUpdateByIdAndWait(widgetId("loc-rg", "w"), API, { location: "East US" }, POLL);
    assert.equal(created.location, "eastus", "ARM normalises region names");
    await rejectsWithCode(client.resources.beginCreateOrUpdateByIdAndWait(widgetId("loc-rg", "w"), API, { location: "westus" }, POLL), "InvalidResourceLocation", 400);
    const globalId = `/subscriptions/${sub}/resourceGroups/loc-rg/providers/Microsoft.EmulatorTest/globalThings/g`;
    await rejectsWithCode(client.resources.beginCreateOrUpdateByIdAndWait(globalId, API, { location: "eastus" }, POLL), "LocationNotAvailableForResourceType", 400);
    const global = await client.resources.beginCreateOrUpdateByIdAndWait(globalId, API, { location: "global" }, POLL);
    assert.equal(global.location, "global");
  });

  it("routes child and extension resources, lists collections and keeps the casing of creation", async () => {
    await client.resourceGroups.createOrUpdate("tree-rg", { location: "eastus" });
    const widget = await client.resources.beginCreateOrUpdateByIdAndWait(widgetId("tree-rg", "Widget-A"), API, { location: "eastus", tags: { a: "1" } }, POLL);
    assert.equal(widget.type, "Microsoft.EmulatorTest/widgets");
    assert.match(String((widget as { etag?: string }).etag), /^W\/"/);
    const part = await client.resources.beginCreateOrUpdateByIdAndWait(`${widgetId("tree-rg", "widget-a")}/parts/Part-1`, API, { properties: { n: 1 } }, POLL);
    assert.equal(part.id, `${widgetId("tree-rg", "Widget-A")}/parts/Part-1`, "the parent keeps its casing, the child gets its own");
    assert.equal(part.properties?.provisioningState, "Succeeded");
    const upper = await client.resources.getById(
      `${widgetId("TREE-RG", "WIDGET-A")}/PARTS/PART-1`.replace("/providers/Microsoft.EmulatorTest/", "/providers/microsoft.emulatortest/"),
      API,
    );
    assert.equal(upper.name, "Part-1");
    const noteId = `${widgetId("tree-rg", "Widget-A")}/providers/Microsoft.EmulatorTest/notes/n1`;
    const note = await client.resources.beginCreateOrUpdateByIdAndWait(noteId, API, { properties: { text: "hello" } }, POLL);
    assert.equal(note.properties?.scope, widgetId("tree-rg", "Widget-A"), "an extension resource's parent is its scope");
    assert.equal(note.properties?.provisioningState, undefined, "types without provisioningState get none");
    await rejectsWithCode(
      client.resources.beginCreateOrUpdateByIdAndWait(`${widgetId("tree-rg", "absent")}/providers/Microsoft.EmulatorTest/notes/n1`, API, { properties: {} }, POLL),
      "ResourceNotFound",
      404,
    );
    const rgNote = await client.resources.beginCreateOrUpdateByIdAndWait(
      `/subscriptions/${sub}/resourceGroups/tree-rg/providers/Microsoft.EmulatorTest/notes/n2`,
      API,
      { properties: {} },
      POLL,
    );
    assert.equal(rgNote.properties?.scope, `/subscriptions/${sub}/resourceGroups/tree-rg`);

    const listed = await emulator.raw("GET", `/subscriptions/${sub}/resourceGroups/tree-rg/providers/Microsoft.EmulatorTest/widgets?api-version=${API}`);
    assert.equal(listed.status, 200);
    const listBody = listed.body as { value: Array<{ name: string }>; nextLink?: string };
    assert.deepEqual(
      listBody.value.map((item) => item.name),
      ["Widget-A"],
    );
    assert.equal("nextLink" in listBody, false);
    const subscriptionList = await emulator.raw("GET", `/subscriptions/${sub}/providers/Microsoft.EmulatorTest/widgets?api-version=${API}`);
    assert.ok((subscriptionList.body as { value: Array<{ name: string }> }).value.some((item) => item.name === "Widget-A"));
    const children = await emulator.raw("GET", `${widgetId("tree-rg", "widget-a")}/parts?api-version=${API}`);
    assert.deepEqual(
      (children.body as { value: Array<{ name: string }> }).value.map((item) => item.name),
      ["Part-1"],
    );

    const generic: string[] = [];
    for await (const resource of client.resources.listByResourceGroup("tree-rg")) generic.push(resource.name ?? "");
    assert.deepEqual(generic, ["Widget-A"], "the generic list shows top-level resources only");
  });

  it("dispatches POST actions and provider routes", async () => {
    await client.resourceGroups.createOrUpdate("act-rg", { location: "eastus" });
    await client.resources.beginCreateOrUpdateByIdAndWait(widgetId("act-rg", "w"), API, { location: "eastus" }, POLL);
    const secrets = await emulator.raw("POST", `${widgetId("act-rg", "w")}/listSecrets?api-version=${API}`);
    assert.equal(secrets.status, 200);
    assert.deepEqual(secrets.body, { secret: "derived-from-w" }, "the action ran on the addressed resource");
    const unknown = await emulator.raw("POST", `${widgetId("act-rg", "w")}/explode?api-version=${API}`);
    assert.equal(unknown.status, 400);
    await emulator.seedTakenName("emulatortest", "taken-name");
    const check = await emulator.raw("POST", `/subscriptions/${sub}/providers/Microsoft.EmulatorTest/checkNameAvailability?api-version=${API}`, {
      body: { name: "taken-name" },
    });
    assert.deepEqual(check.body, { nameAvailable: false, reason: "AlreadyExists" });
    const provider = await client.providers.get("Microsoft.EmulatorTest");
    assert.equal(provider.registrationState, "Registered");
    assert.ok(provider.resourceTypes?.some((type) => type.resourceType === "widgets/parts"));
  });

  it("serves subscriptions and locations; any GUID-form subscription exists, others are malformed", async () => {
    const subscriptions = await emulator.raw("GET", "/subscriptions?api-version=2022-12-01");
    assert.ok((subscriptions.body as { value: Array<{ subscriptionId: string }> }).value.some((item) => item.subscriptionId === sub));
    const locations = await emulator.raw("GET", `/subscriptions/${sub}/locations?api-version=2022-12-01`);
    assert.ok((locations.body as { value: Array<{ name: string }> }).value.some((item) => item.name === "eastus"));
    const other = "11111111-2222-4333-8444-555555555555";
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    const otherClient = new ResourceManagementClient(emulator.credential, other, emulator.clientOptions);
    const group = await otherClient.resourceGroups.createOrUpdate("other-rg", { location: "westeurope" });
    assert.equal(group.id, `/subscriptions/${other}/resourceGroups/other-rg`);
    const malformed = new ResourceManagementClient(emulator.credential, "not-a-guid", emulator.clientOptions);
    await rejectsWithCode(malformed.resourceGroups.get("x"), "InvalidSubscriptionId", 400);
  });

  it("logs every ARM request with its class, api-version and status", async () => {
    await emulator.clearRequestLog();
    await client.resourceGroups.createOrUpdate("log-rg", { location: "eastus" });
    await client.resources.beginCreateOrUpdateByIdAndWait(widgetId("log-rg", "w"), API, { location: "eastus" }, POLL);
    await emulator.raw("POST", `${widgetId("log-rg", "w")}/listSecrets?api-version=${API}`);
    await client.resourceGroups.get("log-rg");
    const log = await emulator.requestLog();
    const classes = new Set(log.map((entry) => entry.class));
    for (const expected of ["read", "write", "poll", "action"]) assert.ok(classes.has(expected as never), `class ${expected} in ${JSON.stringify(log)}`);
    const put = log.find((entry) => entry.method === "PUT" && entry.path.endsWith("/widgets/w"));
    assert.equal(put?.status, 201);
    assert.equal(put?.apiVersion, API);
    assert.ok(
      log.every((entry) => !entry.path.startsWith("/_emulator")),
      "introspection is not logged",
    );
  });

  it("sends responses that Microsoft's specs accept (zero spec errors)", async () => {
    const findings = await emulator.specFindings();
    const errors = findings.filter((entry) => entry.direction === "response" && entry.findings.some((finding) => finding.severity === "error"));
    assert.deepEqual(errors, []);
  });
});
