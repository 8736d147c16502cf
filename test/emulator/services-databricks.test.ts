// Microsoft.Databricks/workspaces through the real SDK client (@azure/arm-databricks): the VNet-injection
// rules Azure enforces before it deploys a workspace (VNet present, same subscription and region,
// both subnets present, different, delegated, with an NSG; no VNet or subnet change later), the
// managed resource group Azure creates and deletes with the workspace, and its rules on the NSG.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AzureDatabricksManagementClient, Workspace } from "@azure/arm-databricks";
import type { NetworkManagementClient } from "@azure/arm-network";
import type { ResourceManagementClient } from "@azure/arm-resources";
import { POLL, REGION, assertNoResponseFindings, rejectsWithCode, startServicesFixture, type ServicesFixture } from "./services-fixture.js";
import { DATABRICKS_NSG_RULES } from "../../src/emulator/providers/databricks.js";

const RG = "rg-dbx";
const DELEGATION = "Microsoft.Databricks/workspaces";

let fixture: ServicesFixture;
let databricks: AzureDatabricksManagementClient;
let network: NetworkManagementClient;
let resources: ResourceManagementClient;
let vnetId = "";
let nsgId = "";

function body(overrides: { vnetId?: string; publicName?: string; privateName?: string; location?: string; managed?: string } = {}): Workspace {
  return {
    location: overrides.location ?? REGION,
    sku: { name: "premium" },
    managedResourceGroupId: `/subscriptions/${fixture.subscriptionId}/resourceGroups/${overrides.managed ?? "databricks-rg-dbx1"}`,
    parameters: {
      customVirtualNetworkId: { value: overrides.vnetId ?? vnetId },
      customPublicSubnetName: { value: overrides.publicName ?? "databricks-public" },
      customPrivateSubnetName: { value: overrides.privateName ?? "databricks-private" },
      enableNoPublicIp: { value: true },
    },
  };
}

async function subnet(name: string, prefix: string, opts: { delegated: boolean; nsg: boolean }): Promise<void> {
  await network.subnets.beginCreateOrUpdateAndWait(
    RG,
    "vnet-dbx",
    name,
    {
      addressPrefix: prefix,
      ...(opts.delegated ? { delegations: [{ name: "dbx", serviceName: DELEGATION }] } : {}),
      ...(opts.nsg ? { networkSecurityGroup: { id: nsgId } } : {}),
    },
    POLL,
  );
}

describe("Microsoft.Databricks/workspaces (emulator)", () => {
  before(async () => {
    fixture = await startServicesFixture();
    const { AzureDatabricksManagementClient } = await import("@azure/arm-databricks");
    const { NetworkManagementClient } = await import("@azure/arm-network");
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    const { credential, clientOptions } = fixture.emulator;
    databricks = new AzureDatabricksManagementClient(credential, fixture.subscriptionId, clientOptions);
    network = new NetworkManagementClient(credential, fixture.subscriptionId, clientOptions);
    resources = new ResourceManagementClient(credential, fixture.subscriptionId, clientOptions);
    await fixture.resourceGroup(RG);
    vnetId = (await network.virtualNetworks.beginCreateOrUpdateAndWait(RG, "vnet-dbx", { location: REGION, addressSpace: { addressPrefixes: ["172.16.0.0/16"] } }, POLL)).id ?? "";
    nsgId = (await network.networkSecurityGroups.beginCreateOrUpdateAndWait(RG, "nsg-dbx", { location: REGION }, POLL)).id ?? "";
    await network.virtualNetworks.beginCreateOrUpdateAndWait(RG, "vnet-west", { location: "westus", addressSpace: { addressPrefixes: ["10.1.0.0/16"] } }, POLL);
  });
  after(async () => {
    if (fixture) {
      await assertNoResponseFindings(fixture.emulator);
      await fixture.emulator.stop();
    }
  });

  it("refuses a missing subnet, then one without the delegation, then one without an NSG", async () => {
    await rejectsWithCode(databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body(), POLL), "SubnetNotFound", 400);
    await subnet("databricks-public", "172.16.9.0/24", { delegated: false, nsg: true });
    await subnet("databricks-private", "172.16.10.0/24", { delegated: true, nsg: true });
    await rejectsWithCode(databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body(), POLL), "SubnetMissingRequiredDelegation", 400);
    await subnet("databricks-public", "172.16.9.0/24", { delegated: true, nsg: false });
    await rejectsWithCode(databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body(), POLL), "SubnetWithoutNetworkSecurityGroup", 400);
    await subnet("databricks-public", "172.16.9.0/24", { delegated: true, nsg: true });
  });

  it("refuses a VNet in another region or subscription, the same subnet twice, and the workspace's own group as managed group", async () => {
    await rejectsWithCode(
      databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body({ vnetId: vnetId.replace("vnet-dbx", "vnet-west") }), POLL),
      "InvalidVirtualNetworkLocation",
      400,
    );
    const otherSubscription = vnetId.replace(fixture.subscriptionId, "11111111-2222-3333-4444-555555555555");
    await rejectsWithCode(databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body({ vnetId: otherSubscription }), POLL), "InvalidVirtualNetworkSubscription", 400);
    await rejectsWithCode(databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body({ privateName: "databricks-public" }), POLL), "InvalidSubnetConfiguration", 400);
    await rejectsWithCode(databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body({ managed: RG }), POLL), "InvalidManagedResourceGroupId", 400);
  });

  it("deploys a VNet-injected workspace: managed group created by Azure, Databricks' rules on the NSG", async () => {
    const ws = await databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body(), POLL);
    assert.equal(ws.provisioningState, "Succeeded");
    assert.equal(ws.parameters?.enableNoPublicIp?.value, true);
    assert.equal(ws.parameters?.customVirtualNetworkId?.value, vnetId);
    assert.match(ws.workspaceUrl ?? "", /^adb-\d+\.\d+\.azuredatabricks\.net$/);
    const managed = await resources.resourceGroups.get("databricks-rg-dbx1");
    assert.equal(managed.managedBy, ws.id);
    const nsg = await network.networkSecurityGroups.get(RG, "nsg-dbx");
    assert.deepEqual(nsg.securityRules?.map((r) => r.name).sort(), DATABRICKS_NSG_RULES.map((r) => r.name).sort());
  });

  it("refuses to move an existing workspace to another VNet or subnet", async () => {
    await network.virtualNetworks.beginCreateOrUpdateAndWait(RG, "vnet-two", { location: REGION, addressSpace: { addressPrefixes: ["10.2.0.0/16"] } }, POLL);
    await rejectsWithCode(
      databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body({ vnetId: vnetId.replace("vnet-dbx", "vnet-two") }), POLL),
      "VirtualNetworkIdChangeNotAllowed",
      400,
    );
    await rejectsWithCode(databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx1", body({ privateName: "other" }), POLL), "SubnetNameChangeNotAllowed", 400);
  });

  it("a second workspace cannot take a managed group another one holds", async () => {
    await rejectsWithCode(databricks.workspaces.beginCreateOrUpdateAndWait(RG, "dbx2", body(), POLL), "ManagedResourceGroupAlreadyExists", 409);
  });

  it("deleting the workspace deletes its managed resource group", async () => {
    await databricks.workspaces.beginDeleteAndWait(RG, "dbx1", POLL);
    assert.equal((await resources.resourceGroups.checkExistence("databricks-rg-dbx1")).body, false);
  });
});
