// Log Analytics, Application Insights, the Azure Monitor Private Link Scope, the Machine Learning
// workspace and its computes, and role assignments, through their real SDK clients.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OperationalInsightsManagementClient } from "@azure/arm-operationalinsights";
import type { ApplicationInsightsManagementClient } from "@azure/arm-appinsights";
import type { MonitorClient } from "@azure/arm-monitor";
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { ResourceManagementClient } from "@azure/arm-resources";
import type { NetworkManagementClient } from "@azure/arm-network";
import { POLL, REGION, assertNoResponseFindings, rejectsWithCode, startServicesFixture, type ServicesFixture } from "./services-fixture.js";

const RG = "rg-ws";
const TENANT = "72f988bf-0000-4000-8000-00000000e111";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

let fixture: ServicesFixture;
let logs: OperationalInsightsManagementClient;
let insights: ApplicationInsightsManagementClient;
let monitor: MonitorClient;
let ml: AzureMachineLearningWorkspaces;
let auth: AuthorizationManagementClient;
let resources: ResourceManagementClient;
let network: NetworkManagementClient;
const ids = { storage: "", vault: "", registry: "", logs: "", insights: "", subnet: "", workspace: "" };

before(async () => {
  fixture = await startServicesFixture();
  const { credential, subscriptionId, clientOptions } = fixture.emulator;
  const [oi, ai, mon, aml, az, res, net, st, kv, cr] = await Promise.all([
    import("@azure/arm-operationalinsights"),
    import("@azure/arm-appinsights"),
    import("@azure/arm-monitor"),
    import("@azure/arm-machinelearning"),
    import("@azure/arm-authorization"),
    import("@azure/arm-resources"),
    import("@azure/arm-network"),
    import("@azure/arm-storage"),
    import("@azure/arm-keyvault"),
    import("@azure/arm-containerregistry"),
  ]);
  logs = new oi.OperationalInsightsManagementClient(credential, subscriptionId, clientOptions);
  insights = new ai.ApplicationInsightsManagementClient(credential, subscriptionId, clientOptions);
  monitor = new mon.MonitorClient(credential, subscriptionId, clientOptions);
  ml = new aml.AzureMachineLearningWorkspaces(credential, subscriptionId, clientOptions);
  auth = new az.AuthorizationManagementClient(credential, subscriptionId, clientOptions);
  resources = new res.ResourceManagementClient(credential, subscriptionId, clientOptions);
  network = new net.NetworkManagementClient(credential, subscriptionId, clientOptions);
  await fixture.resourceGroup(RG);
  const storage = new st.StorageManagementClient(credential, subscriptionId, clientOptions);
  ids.storage = (await storage.storageAccounts.create(RG, "stwsdeps01", { location: REGION, kind: "StorageV2", sku: { name: "Standard_LRS" } }, POLL)).id ?? "";
  const vaults = new kv.KeyVaultManagementClient(credential, subscriptionId, clientOptions);
  ids.vault =
    (await vaults.vaults.createOrUpdate(RG, "kv-ws-deps-01", { location: REGION, properties: { tenantId: TENANT, sku: { family: "A", name: "standard" } } }, POLL)).id ?? "";
  const registries = new cr.ContainerRegistryManagementClient(credential, subscriptionId, clientOptions);
  ids.registry = (await registries.registries.create(RG, "crwsdeps01", { location: REGION, sku: { name: "Premium" }, adminUserEnabled: true }, POLL)).id ?? "";
  const vnet = await network.virtualNetworks.beginCreateOrUpdateAndWait(
    RG,
    "vnet-ws",
    { location: REGION, addressSpace: { addressPrefixes: ["172.16.0.0/16"] }, subnets: [{ name: "Training", addressPrefix: "172.16.0.0/24" }] },
    POLL,
  );
  ids.subnet = vnet.subnets?.[0]?.id ?? "";
  assert.ok(ids.subnet);
});

after(async () => {
  await fixture?.emulator.stop();
});

describe("Log Analytics and Application Insights", () => {
  it("creates a PerGB2018 workspace with a customerId", async () => {
    const workspace = await logs.workspaces.beginCreateOrUpdateAndWait(
      RG,
      "log-secure-aml",
      { location: REGION, sku: { name: "PerGB2018" }, retentionInDays: 30, publicNetworkAccessForIngestion: "Disabled", publicNetworkAccessForQuery: "Disabled" },
      POLL,
    );
    ids.logs = workspace.id ?? "";
    assert.match(workspace.customerId ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(workspace.publicNetworkAccessForIngestion, "Disabled");
    const patched = await logs.workspaces.update(RG, "log-secure-aml", { retentionInDays: 60 });
    assert.equal(patched.retentionInDays, 60);
    assert.equal(patched.customerId, workspace.customerId);
    await rejectsWithCode(
      logs.workspaces.beginCreateOrUpdateAndWait(RG, "log-bad-retention", { location: REGION, sku: { name: "PerGB2018" }, retentionInDays: 5 }, POLL),
      "InvalidParameter",
      400,
    );
  });

  it("creates workspace-based Application Insights and refuses a missing workspace", async () => {
    const component = await insights.components.createOrUpdate(RG, "appi-secure-aml", {
      location: REGION,
      kind: "web",
      applicationType: "web",
      workspaceResourceId: ids.logs,
      ingestionMode: "LogAnalytics",
      publicNetworkAccessForIngestion: "Disabled",
      publicNetworkAccessForQuery: "Disabled",
    });
    ids.insights = component.id ?? "";
    const creates = (await fixture.emulator.requestLog()).filter((entry) => entry.method === "PUT" && entry.path.endsWith("/components/appi-secure-aml"));
    assert.deepEqual(
      creates.map((entry) => entry.status),
      [200],
      "Components_CreateOrUpdate answers 200 on create (its spec lists only 200)",
    );
    assert.match(component.instrumentationKey ?? "", /^[0-9a-f-]{36}$/);
    assert.ok(component.connectionString?.startsWith("InstrumentationKey="));
    assert.equal(component.workspaceResourceId, ids.logs);
    const missing = ids.logs.replace("log-secure-aml", "log-does-not-exist");
    await rejectsWithCode(
      insights.components.createOrUpdate(RG, "appi-orphan", { location: REGION, kind: "web", applicationType: "web", workspaceResourceId: missing }),
      "BadRequest",
      400,
    );
    await rejectsWithCode(insights.components.createOrUpdate(RG, "appi-classic", { location: REGION, kind: "web", applicationType: "web" }), "BadRequest", 400);
  });
});

describe("Azure Monitor Private Link Scope", () => {
  const scopeId = (): string => fixture.id(RG, "microsoft.insights/privateLinkScopes", "ampls-secure-aml");

  it("is created at 2021-07-01-preview with PrivateOnly access modes through the generic resources client", async () => {
    const poller = await resources.resources.beginCreateOrUpdateById(
      scopeId(),
      "2021-07-01-preview",
      { location: "global", properties: { accessModeSettings: { ingestionAccessMode: "PrivateOnly", queryAccessMode: "PrivateOnly" } } },
      POLL,
    );
    const scope = await poller.pollUntilDone();
    const settings = (scope.properties as { accessModeSettings?: { ingestionAccessMode?: string } }).accessModeSettings;
    assert.equal(settings?.ingestionAccessMode, "PrivateOnly");
    const legacy = await monitor.privateLinkScopes.get(RG, "ampls-secure-aml");
    assert.equal(legacy.location, "global");
    await rejectsWithCode(
      resources.resources.beginCreateOrUpdateById(
        scopeId().replace("ampls-secure-aml", "ampls-bad"),
        "2021-07-01-preview",
        { location: "global", properties: { accessModeSettings: { ingestionAccessMode: "Closed", queryAccessMode: "Open" } } },
        POLL,
      ),
      "InvalidAccessMode",
      400,
    );
  });

  it("answers every read in the shape of the request's api-version, not the one the scope was written at", async () => {
    const path = `${scopeId()}?api-version=`;
    const legacyRead = await fixture.emulator.raw("GET", `${path}2019-10-17-preview`);
    assert.equal(legacyRead.status, 200);
    const legacyProperties = (legacyRead.body as { properties?: Record<string, unknown> }).properties ?? {};
    assert.equal("accessModeSettings" in legacyProperties, false, "2019-10-17-preview has no accessModeSettings");
    const current = await fixture.emulator.raw("GET", `${path}2021-07-01-preview`);
    assert.equal((current.body as { properties?: { accessModeSettings?: { queryAccessMode?: string } } }).properties?.accessModeSettings?.queryAccessMode, "PrivateOnly");
    // The same through @azure/arm-monitor 7 (2019-10-17-preview): get, list and a tags PATCH, all spec-validated.
    await monitor.privateLinkScopes.get(RG, "ampls-secure-aml");
    const listed: unknown[] = [];
    for await (const scope of monitor.privateLinkScopes.listByResourceGroup(RG)) listed.push(scope);
    assert.ok(listed.length >= 1);
    await monitor.privateLinkScopes.updateTags(RG, "ampls-secure-aml", { tags: { env: "test" } });
    const stillThere = await fixture.emulator.raw("GET", `${path}2023-06-01-preview`);
    assert.equal(
      (stillThere.body as { properties?: { accessModeSettings?: { queryAccessMode?: string } } }).properties?.accessModeSettings?.queryAccessMode,
      "PrivateOnly",
      "a legacy write keeps the settings",
    );
    // An Application Insights component written at 2020-02-02, read at 2018-05-01-preview (which predates WorkspaceResourceId).
    const old = await resources.resources.getById(ids.insights, "2018-05-01-preview");
    assert.equal((old.properties as Record<string, unknown>).WorkspaceResourceId, undefined);
    const oldRaw = await fixture.emulator.raw("GET", `${ids.insights}?api-version=2018-05-01-preview`);
    const oldBody = oldRaw.body as { etag?: string; properties?: Record<string, unknown> };
    assert.equal(oldBody.etag, undefined);
    assert.equal(oldBody.properties?.WorkspaceResourceId, undefined);
    assert.equal(oldBody.properties?.InstrumentationKey !== undefined, true);
    await assertNoResponseFindings(fixture.emulator);
  });

  it("scopes existing resources only, and the targets show the link", async () => {
    await monitor.privateLinkScopedResources.beginCreateOrUpdateAndWait(RG, "ampls-secure-aml", "appi-link", { linkedResourceId: ids.insights }, POLL);
    await monitor.privateLinkScopedResources.beginCreateOrUpdateAndWait(RG, "ampls-secure-aml", "log-link", { linkedResourceId: ids.logs }, POLL);
    const component = await insights.components.get(RG, "appi-secure-aml");
    assert.equal(component.privateLinkScopedResources?.length, 1);
    const workspace = await logs.workspaces.get(RG, "log-secure-aml");
    assert.equal(workspace.privateLinkScopedResources?.[0]?.scopeId?.toLowerCase(), scopeId().toLowerCase());
    await rejectsWithCode(
      monitor.privateLinkScopedResources.beginCreateOrUpdateAndWait(RG, "ampls-secure-aml", "ghost", { linkedResourceId: ids.logs.replace("log-secure-aml", "ghost") }, POLL),
      "BadRequest",
      400,
    );
  });
});

describe("Machine Learning workspace", () => {
  const workspaceParams = (overrides: Record<string, unknown> = {}) => ({
    location: REGION,
    identity: { type: "SystemAssigned" as const },
    storageAccount: ids.storage,
    keyVault: ids.vault,
    containerRegistry: ids.registry,
    applicationInsights: ids.insights,
    publicNetworkAccess: "Disabled",
    ...overrides,
  });

  it("refuses references to resources that do not exist and a workspace without identity", async () => {
    for (const key of ["storageAccount", "keyVault", "containerRegistry", "applicationInsights"] as const) {
      const bogus = workspaceParams({ [key]: `${workspaceParams()[key]}missing` });
      await rejectsWithCode(ml.workspaces.beginCreateOrUpdateAndWait(RG, "mlw-bad", bogus, POLL), "ValidationError", 400);
    }
    await rejectsWithCode(ml.workspaces.beginCreateOrUpdateAndWait(RG, "mlw-bad", workspaceParams({ identity: undefined }), POLL), "ValidationError", 400);
  });

  it("creates the workspace; its system identity gets a principal", async () => {
    const workspace = await ml.workspaces.beginCreateOrUpdateAndWait(RG, "mlw-secure", workspaceParams(), POLL);
    ids.workspace = workspace.id ?? "";
    const read = await ml.workspaces.get(RG, "mlw-secure");
    assert.equal(read.provisioningState, "Succeeded");
    assert.match(read.identity?.principalId ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(read.identity?.tenantId, TENANT);
    assert.match(read.workspaceId ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(read.discoveryUrl, `https://${REGION}.api.azureml.ms/discovery`);
    assert.ok(read.mlFlowTrackingUri?.startsWith("azureml://"));
    assert.equal(read.publicNetworkAccess, "Disabled");
  });

  it("creates a cluster scaled to zero and an instance in the subnet; refuses a missing subnet or workspace", async () => {
    const cluster = await ml.computeOperations.beginCreateOrUpdateAndWait(
      RG,
      "mlw-secure",
      "cpu-cluster",
      {
        properties: {
          computeType: "AmlCompute",
          properties: {
            vmSize: "STANDARD_DS3_V2",
            scaleSettings: { minNodeCount: 0, maxNodeCount: 2 },
            subnet: { id: ids.subnet },
            enableNodePublicIp: false,
            remoteLoginPortPublicAccess: "Disabled",
          },
        },
      },
      POLL,
    );
    const clusterProps = (cluster.properties as { properties?: { currentNodeCount?: number; enableNodePublicIp?: boolean } }).properties;
    assert.equal(clusterProps?.currentNodeCount, 0);
    assert.equal(clusterProps?.enableNodePublicIp, false);
    await ml.computeOperations.beginCreateOrUpdateAndWait(
      RG,
      "mlw-secure",
      "ci-secure",
      { properties: { computeType: "ComputeInstance", properties: { vmSize: "STANDARD_DS3_V2", subnet: { id: ids.subnet }, enableNodePublicIp: false } } },
      POLL,
    );
    const missingSubnet = `${ids.subnet}-missing`;
    await rejectsWithCode(
      ml.computeOperations.beginCreateOrUpdateAndWait(
        RG,
        "mlw-secure",
        "ci-nosubnet",
        { properties: { computeType: "ComputeInstance", properties: { vmSize: "STANDARD_DS3_V2", subnet: { id: missingSubnet }, enableNodePublicIp: false } } },
        POLL,
      ),
      "BadRequest",
      400,
    );
    await rejectsWithCode(
      ml.computeOperations.beginCreateOrUpdateAndWait(
        RG,
        "mlw-absent",
        "ci-orphan",
        { properties: { computeType: "ComputeInstance", properties: { vmSize: "STANDARD_DS3_V2", subnet: { id: ids.subnet } } } },
        POLL,
      ),
      "ParentResourceNotFound",
      404,
    );
  });

  it("stops and starts the compute instance (long-running)", async () => {
    const state = async (): Promise<string | undefined> => {
      const compute = await ml.computeOperations.get(RG, "mlw-secure", "ci-secure");
      return (compute.properties as { properties?: { state?: string } }).properties?.state;
    };
    assert.equal(await state(), "Running");
    await ml.computeOperations.beginStopAndWait(RG, "mlw-secure", "ci-secure", POLL);
    assert.equal(await state(), "Stopped");
    await ml.computeOperations.beginStartAndWait(RG, "mlw-secure", "ci-secure", POLL);
    assert.equal(await state(), "Running");
  });

  it("sets the image-build compute with PATCH", async () => {
    const updated = await ml.workspaces.beginUpdateAndWait(RG, "mlw-secure", { imageBuildCompute: "cpu-cluster" }, POLL);
    assert.equal(updated.imageBuildCompute, "cpu-cluster");
    assert.equal((await ml.workspaces.get(RG, "mlw-secure")).storageAccount, ids.storage);
  });
});

describe("role assignments", () => {
  const roleId = (): string => `/subscriptions/${fixture.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`;
  const GUID_A = "3f1c4b8e-2d6a-4c1e-9a7b-5e8d0c2f1a01";
  const GUID_B = "3f1c4b8e-2d6a-4c1e-9a7b-5e8d0c2f1a02";

  it("assigns Reader to the workspace identity, idempotently under the same name", async () => {
    const principalId = (await ml.workspaces.get(RG, "mlw-secure")).identity?.principalId ?? "";
    const scope = ids.storage;
    const created = await auth.roleAssignments.create(scope, GUID_A, { roleDefinitionId: roleId(), principalId, principalType: "ServicePrincipal" });
    assert.equal(created.principalId, principalId);
    assert.equal(created.scope?.toLowerCase(), scope.toLowerCase());
    const again = await auth.roleAssignments.create(scope, GUID_A, { roleDefinitionId: roleId(), principalId, principalType: "ServicePrincipal" });
    assert.equal(again.name, GUID_A);
    await rejectsWithCode(auth.roleAssignments.create(scope, GUID_B, { roleDefinitionId: roleId(), principalId, principalType: "ServicePrincipal" }), "RoleAssignmentExists", 409);
    const contributor = roleId().replace(READER, "b24988ac-6180-42a0-ab88-20f7382dd24c");
    await rejectsWithCode(
      auth.roleAssignments.create(scope, GUID_A, { roleDefinitionId: contributor, principalId, principalType: "ServicePrincipal" }),
      "RoleAssignmentUpdateNotPermitted",
      409,
    );
    const definition = await auth.roleDefinitions.get(scope, READER).catch(() => undefined);
    void definition;
  });

  it("refuses unknown principals, unknown roles, non-GUID names and mismatched principal types", async () => {
    const principalId = (await ml.workspaces.get(RG, "mlw-secure")).identity?.principalId ?? "";
    await rejectsWithCode(
      auth.roleAssignments.create(ids.vault, GUID_B, { roleDefinitionId: roleId(), principalId: "00000000-1111-2222-3333-444444444444", principalType: "ServicePrincipal" }),
      "PrincipalNotFound",
      400,
    );
    await rejectsWithCode(
      auth.roleAssignments.create(ids.vault, GUID_B, { roleDefinitionId: roleId().replace(READER, "11111111-2222-3333-4444-555555555555"), principalId }),
      "RoleDefinitionDoesNotExist",
      400,
    );
    await rejectsWithCode(auth.roleAssignments.create(ids.vault, "not-a-guid", { roleDefinitionId: roleId(), principalId }), "InvalidRoleAssignmentId", 400);
    await rejectsWithCode(auth.roleAssignments.create(ids.vault, GUID_B, { roleDefinitionId: roleId(), principalId, principalType: "User" }), "UnmatchedPrincipalType", 400);
    const ok = await auth.roleAssignments.create(ids.vault, GUID_B, { roleDefinitionId: roleId(), principalId });
    assert.equal(ok.principalType, "ServicePrincipal", "a replicated principal needs no principalType");
  });
});

describe("soft delete (recorded: deletes answer at once; Microsoft Learn: kept 14 days)", () => {
  it("Log Analytics: a deleted workspace is listed, re-creating it recovers its customerId; force=true purges", async () => {
    const created = await logs.workspaces.beginCreateOrUpdateAndWait(RG, "log-soft", { location: REGION, sku: { name: "PerGB2018" } }, POLL);
    const customerId = created.customerId;
    assert.match(customerId ?? "", /^[0-9a-f-]{36}$/);
    await logs.workspaces.beginDeleteAndWait(RG, "log-soft", POLL);
    const deleted = [];
    for await (const workspace of logs.deletedWorkspaces.list()) deleted.push(workspace);
    assert.deepEqual(
      deleted.map((workspace) => workspace.name),
      ["log-soft"],
    );
    const recovered = await logs.workspaces.beginCreateOrUpdateAndWait(RG, "log-soft", { location: REGION, sku: { name: "PerGB2018" } }, POLL);
    assert.equal(recovered.customerId, customerId, "recovery keeps the workspace's customer ID");
    const afterRecovery = [];
    for await (const workspace of logs.deletedWorkspaces.list()) afterRecovery.push(workspace);
    assert.equal(afterRecovery.length, 0);
    await logs.workspaces.beginDeleteAndWait(RG, "log-soft", { ...POLL, force: true });
    const afterPurge = [];
    for await (const workspace of logs.deletedWorkspaces.list()) afterPurge.push(workspace);
    assert.equal(afterPurge.length, 0);
    const fresh = await logs.workspaces.beginCreateOrUpdateAndWait(RG, "log-soft", { location: REGION, sku: { name: "PerGB2018" } }, POLL);
    assert.notEqual(fresh.customerId, customerId, "after a forced delete the name makes a new workspace");
  });

  it("Machine Learning: the name of a soft-deleted workspace is blocked until it is purged", async () => {
    await ml.workspaces.beginCreateOrUpdateAndWait(
      RG,
      "mlw-soft",
      { location: REGION, identity: { type: "SystemAssigned" }, storageAccount: ids.storage, keyVault: ids.vault },
      POLL,
    );
    await ml.workspaces.beginDeleteAndWait(RG, "mlw-soft", POLL);
    await rejectsWithCode(
      ml.workspaces.beginCreateOrUpdateAndWait(RG, "mlw-soft", { location: REGION, identity: { type: "SystemAssigned" }, storageAccount: ids.storage, keyVault: ids.vault }, POLL),
      "SoftDeletedWorkspaceNameConflict",
      409,
    );
    // Azure purges with `forceToPurge=true` on the delete (the SDK of 2022-10-01 has no such option): a
    // workspace deleted that way leaves its name free at once.
    await ml.workspaces.beginCreateOrUpdateAndWait(
      RG,
      "mlw-purged",
      { location: REGION, identity: { type: "SystemAssigned" }, storageAccount: ids.storage, keyVault: ids.vault },
      POLL,
    );
    const purge = await fixture.emulator.raw("DELETE", `${ids.workspace.replace("mlw-secure", "mlw-purged")}?api-version=2022-10-01&forceToPurge=true`);
    assert.equal(purge.status, 202);
    await ml.workspaces.get(RG, "mlw-secure"); // any request completes the emulator's finished operations
    const again = await ml.workspaces.beginCreateOrUpdateAndWait(
      RG,
      "mlw-purged",
      { location: REGION, identity: { type: "SystemAssigned" }, storageAccount: ids.storage, keyVault: ids.vault },
      POLL,
    );
    assert.equal(again.provisioningState, "Succeeded");
  });
});

describe("spec conformance", () => {
  it("the emulator's responses have no spec findings", async () => {
    await assertNoResponseFindings(fixture.emulator);
  });
});
