// Virtual networks, subnets, public IPs, Bastion, NICs and NSGs, driven through @azure/arm-network
// against the emulator (spec validation on). Each rule is checked with Azure's error code.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { POLL, REGION, TUTORIAL_SUBNETS, createTutorialVnet, rejectsWithCode, specFindingLines, startNetworkFixture, subnetIdOf, type NetworkFixture } from "./network-fixture.js";

let fixture: NetworkFixture;

before(async () => {
  fixture = await startNetworkFixture();
});

after(async () => {
  await fixture?.emulator.stop();
});

describe("virtual networks and subnets", () => {
  it("creates the tutorial VNet with three subnets, shown inline and as child resources", async () => {
    const rg = await fixture.resourceGroup("rg-vnet-create");
    const created = await createTutorialVnet(fixture, rg);
    assert.equal(created.provisioningState, "Succeeded");
    assert.ok(created.resourceGuid);
    assert.ok(created.etag);

    const vnet = await fixture.network.virtualNetworks.get(rg, "vnet");
    assert.deepEqual(vnet.subnets?.map((subnet) => subnet.name).sort(), ["AzureBastionSubnet", "Scoring", "Training"]);
    const training = await fixture.network.subnets.get(rg, "vnet", "Training");
    assert.equal(training.addressPrefix, "172.16.0.0/24");
    assert.equal(training.privateEndpointNetworkPolicies, "Disabled");
    assert.equal(training.id, subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training"));
    const scoring = await fixture.network.subnets.get(rg, "vnet", "Scoring");
    assert.equal(scoring.privateEndpointNetworkPolicies, "Enabled");

    const listed = [];
    for await (const subnet of fixture.network.subnets.list(rg, "vnet")) listed.push(subnet.name);
    assert.equal(listed.length, 3);
  });

  it("re-PUT with the same subnets changes nothing (etags kept)", async () => {
    const rg = await fixture.resourceGroup("rg-vnet-reput");
    await createTutorialVnet(fixture, rg);
    const before = await fixture.network.subnets.get(rg, "vnet", "Training");
    await createTutorialVnet(fixture, rg);
    const afterPut = await fixture.network.subnets.get(rg, "vnet", "Training");
    assert.equal(afterPut.etag, before.etag);
    const vnet = await fixture.network.virtualNetworks.get(rg, "vnet");
    assert.equal(vnet.subnets?.length, TUTORIAL_SUBNETS.length);
  });

  it("a subnet added through the subnets API shows in the VNet", async () => {
    const rg = await fixture.resourceGroup("rg-vnet-child");
    await createTutorialVnet(fixture, rg);
    await fixture.network.subnets.beginCreateOrUpdateAndWait(rg, "vnet", "Extra", { addressPrefix: "172.16.3.0/24" }, POLL);
    const vnet = await fixture.network.virtualNetworks.get(rg, "vnet");
    assert.ok(vnet.subnets?.some((subnet) => subnet.name === "Extra"));
  });

  it("accepts an address space overlapping 172.17.0.0/16 (Azure only warns in the tutorial)", async () => {
    const rg = await fixture.resourceGroup("rg-vnet-docker");
    const vnet = await fixture.network.virtualNetworks.beginCreateOrUpdateAndWait(
      rg,
      "vnet",
      { location: REGION, addressSpace: { addressPrefixes: ["172.17.0.0/16"] }, subnets: [{ name: "a", addressPrefix: "172.17.0.0/24" }] },
      POLL,
    );
    assert.equal(vnet.provisioningState, "Succeeded");
  });

  it("refuses a subnet outside the address space: NetcfgSubnetRangeOutsideVnet", async () => {
    const rg = await fixture.resourceGroup("rg-vnet-outside");
    await createTutorialVnet(fixture, rg);
    await rejectsWithCode(fixture.network.subnets.beginCreateOrUpdateAndWait(rg, "vnet", "Outside", { addressPrefix: "10.9.0.0/24" }, POLL), "NetcfgSubnetRangeOutsideVnet", 400);
    await rejectsWithCode(
      fixture.network.virtualNetworks.beginCreateOrUpdateAndWait(
        rg,
        "vnet2",
        { location: REGION, addressSpace: { addressPrefixes: ["10.0.0.0/16"] }, subnets: [{ name: "a", addressPrefix: "10.1.0.0/24" }] },
        POLL,
      ),
      "NetcfgSubnetRangeOutsideVnet",
    );
  });

  it("refuses overlapping subnets: NetcfgSubnetRangesOverlap", async () => {
    const rg = await fixture.resourceGroup("rg-vnet-overlap");
    await createTutorialVnet(fixture, rg);
    await rejectsWithCode(fixture.network.subnets.beginCreateOrUpdateAndWait(rg, "vnet", "Overlap", { addressPrefix: "172.16.0.128/25" }, POLL), "NetcfgSubnetRangesOverlap", 400);
    await rejectsWithCode(
      fixture.network.virtualNetworks.beginCreateOrUpdateAndWait(
        rg,
        "vnet2",
        {
          location: REGION,
          addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
          subnets: [
            { name: "a", addressPrefix: "10.0.0.0/23" },
            { name: "b", addressPrefix: "10.0.1.0/24" },
          ],
        },
        POLL,
      ),
      "NetcfgSubnetRangesOverlap",
    );
  });

  it("refuses malformed prefixes with Azure's codes", async () => {
    const rg = await fixture.resourceGroup("rg-vnet-malformed");
    await createTutorialVnet(fixture, rg);
    const put = (prefix: string) => fixture.network.subnets.beginCreateOrUpdateAndWait(rg, "vnet", "Bad", { addressPrefix: prefix }, POLL);
    await rejectsWithCode(put("172.16.5.5/24"), "InvalidCIDRNotation", 400);
    await rejectsWithCode(put("172.16.5/24"), "NetcfgInvalidIPAddressPrefix", 400);
    await rejectsWithCode(put("172.16.5.0/33"), "NetcfgInvalidIPAddressPrefix", 400);
    await rejectsWithCode(put("172.16.5.0/30"), "NetcfgInvalidSubnet", 400);
  });

  it("a VNet PUT that drops a subnet in use fails with InUseSubnetCannotBeDeleted; an unused one is dropped", async () => {
    const rg = await fixture.resourceGroup("rg-vnet-inuse");
    await createTutorialVnet(fixture, rg);
    const trainingId = subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training");
    await fixture.network.networkInterfaces.beginCreateOrUpdateAndWait(
      rg,
      "nic1",
      { location: REGION, ipConfigurations: [{ name: "ipconfig1", subnet: { id: trainingId } }] },
      POLL,
    );
    const withoutTraining = {
      location: REGION,
      addressSpace: { addressPrefixes: ["172.16.0.0/16"] },
      subnets: TUTORIAL_SUBNETS.filter((subnet) => subnet.name !== "Training").map((subnet) => ({ ...subnet })),
    };
    await rejectsWithCode(fixture.network.virtualNetworks.beginCreateOrUpdateAndWait(rg, "vnet", withoutTraining, POLL), "InUseSubnetCannotBeDeleted", 400);
    await rejectsWithCode(fixture.network.subnets.beginDeleteAndWait(rg, "vnet", "Training", POLL), "InUseSubnetCannotBeDeleted", 400);
    // Still there, untouched.
    assert.equal((await fixture.network.subnets.get(rg, "vnet", "Training")).addressPrefix, "172.16.0.0/24");
    // The subnet's read-only ipConfigurations list the NIC.
    const training = await fixture.network.subnets.get(rg, "vnet", "Training");
    assert.ok(training.ipConfigurations?.some((configuration) => configuration.id?.includes("/networkInterfaces/nic1/")));
    // Changing the prefix of a subnet in use is refused too.
    await rejectsWithCode(fixture.network.subnets.beginCreateOrUpdateAndWait(rg, "vnet", "Training", { addressPrefix: "172.16.0.0/25" }, POLL), "InUseSubnetCannotBeUpdated", 400);

    // Dropping the unused Scoring subnet works.
    const withoutScoring = { ...withoutTraining, subnets: TUTORIAL_SUBNETS.filter((subnet) => subnet.name !== "Scoring").map((subnet) => ({ ...subnet })) };
    await fixture.network.virtualNetworks.beginCreateOrUpdateAndWait(rg, "vnet", withoutScoring, POLL);
    const vnet = await fixture.network.virtualNetworks.get(rg, "vnet");
    assert.deepEqual(vnet.subnets?.map((subnet) => subnet.name).sort(), ["AzureBastionSubnet", "Training"]);

    // Once the NIC is gone, Training can be dropped as well.
    await fixture.network.networkInterfaces.beginDeleteAndWait(rg, "nic1", POLL);
    await fixture.network.virtualNetworks.beginCreateOrUpdateAndWait(
      rg,
      "vnet",
      { ...withoutTraining, subnets: [{ name: "AzureBastionSubnet", addressPrefix: "172.16.2.0/26" }] },
      POLL,
    );
    const after = await fixture.network.virtualNetworks.get(rg, "vnet");
    assert.deepEqual(
      after.subnets?.map((subnet) => subnet.name),
      ["AzureBastionSubnet"],
    );
  });
});

describe("network interfaces", () => {
  it("needs an existing subnet in its region and allocates private IPs without a public IP", async () => {
    const rg = await fixture.resourceGroup("rg-nic");
    await createTutorialVnet(fixture, rg);
    const trainingId = subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training");
    const first = await fixture.network.networkInterfaces.beginCreateOrUpdateAndWait(
      rg,
      "nic1",
      { location: REGION, ipConfigurations: [{ name: "ipconfig1", subnet: { id: trainingId } }] },
      POLL,
    );
    const second = await fixture.network.networkInterfaces.beginCreateOrUpdateAndWait(
      rg,
      "nic2",
      { location: REGION, ipConfigurations: [{ name: "ipconfig1", subnet: { id: trainingId } }] },
      POLL,
    );
    assert.equal(first.ipConfigurations?.[0]?.privateIPAddress, "172.16.0.4");
    assert.equal(second.ipConfigurations?.[0]?.privateIPAddress, "172.16.0.5");
    assert.equal(first.ipConfigurations?.[0]?.publicIPAddress, undefined);

    await rejectsWithCode(
      fixture.network.networkInterfaces.beginCreateOrUpdateAndWait(
        rg,
        "nic3",
        { location: REGION, ipConfigurations: [{ name: "ipconfig1", subnet: { id: subnetIdOf(fixture.subscriptionId, rg, "vnet", "Missing") } }] },
        POLL,
      ),
      "InvalidResourceReference",
      400,
    );
    await rejectsWithCode(
      fixture.network.networkInterfaces.beginCreateOrUpdateAndWait(
        rg,
        "nic4",
        { location: "westeurope", ipConfigurations: [{ name: "ipconfig1", subnet: { id: trainingId } }] },
        POLL,
      ),
      "InvalidResourceReference",
      400,
    );
  });
});

describe("public IPs and Bastion", () => {
  it("a Standard public IP must be static: StandardSkuPublicIPAddressesMustBeStatic", async () => {
    const rg = await fixture.resourceGroup("rg-pip");
    await rejectsWithCode(
      fixture.network.publicIPAddresses.beginCreateOrUpdateAndWait(rg, "pip", { location: REGION, sku: { name: "Standard" }, publicIPAllocationMethod: "Dynamic" }, POLL),
      "StandardSkuPublicIPAddressesMustBeStatic",
      400,
    );
    const pip = await fixture.network.publicIPAddresses.beginCreateOrUpdateAndWait(
      rg,
      "pip",
      { location: REGION, sku: { name: "Standard" }, publicIPAllocationMethod: "Static" },
      POLL,
    );
    assert.equal(pip.provisioningState, "Succeeded");
    assert.match(pip.ipAddress ?? "", /^\d+\.\d+\.\d+\.\d+$/);
  });

  it("creates Bastion with a Standard static IP in AzureBastionSubnet, and enforces its rules", async () => {
    const rg = await fixture.resourceGroup("rg-bastion");
    await createTutorialVnet(fixture, rg);
    const bastionSubnet = subnetIdOf(fixture.subscriptionId, rg, "vnet", "AzureBastionSubnet");
    const training = subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training");
    const standard = await fixture.network.publicIPAddresses.beginCreateOrUpdateAndWait(
      rg,
      "pip-bastion",
      { location: REGION, sku: { name: "Standard" }, publicIPAllocationMethod: "Static" },
      POLL,
    );
    // A Basic address for the Bastion can no longer be made (retired; BastionHostPublicIpMustBeStandardStatic
    // remains for addresses made before): creating one is refused.
    await rejectsWithCode(
      fixture.network.publicIPAddresses.beginCreateOrUpdateAndWait(rg, "pip-basic", { location: REGION, sku: { name: "Basic" }, publicIPAllocationMethod: "Static" }, POLL),
      "IPv4BasicSkuPublicIpCountLimitReached",
      400,
    );
    const bastionBody = (subnetId: string, publicIpId: string) => ({
      location: REGION,
      sku: { name: "Standard" as const },
      ipConfigurations: [{ name: "IpConf", subnet: { id: subnetId }, publicIPAddress: { id: publicIpId } }],
    });

    await rejectsWithCode(
      fixture.network.bastionHosts.beginCreateOrUpdateAndWait(rg, "bastion", bastionBody(training, standard.id ?? ""), POLL),
      "SubnetNameMustBeAzureBastionSubnet",
      400,
    );

    const bastion = await fixture.network.bastionHosts.beginCreateOrUpdateAndWait(rg, "bastion", bastionBody(bastionSubnet, standard.id ?? ""), POLL);
    assert.equal(bastion.provisioningState, "Succeeded");
    assert.equal(bastion.ipConfigurations?.[0]?.subnet?.id, bastionSubnet);
    assert.ok(bastion.dnsName);

    // The subnet is now in use by Bastion: it cannot shrink below /26 nor be dropped; its IP cannot be deleted.
    await rejectsWithCode(
      fixture.network.subnets.beginCreateOrUpdateAndWait(rg, "vnet", "AzureBastionSubnet", { addressPrefix: "172.16.2.0/27" }, POLL),
      "AzureBastionSubnetPrefixTooSmall",
      400,
    );
    await rejectsWithCode(fixture.network.subnets.beginDeleteAndWait(rg, "vnet", "AzureBastionSubnet", POLL), "InUseSubnetCannotBeDeleted", 400);
    await rejectsWithCode(fixture.network.publicIPAddresses.beginDeleteAndWait(rg, "pip-bastion", POLL), "PublicIPAddressCannotBeDeleted", 400);
  });

  it("refuses an AzureBastionSubnet smaller than /26", async () => {
    const rg = await fixture.resourceGroup("rg-bastion-small");
    await fixture.network.virtualNetworks.beginCreateOrUpdateAndWait(
      rg,
      "vnet",
      { location: REGION, addressSpace: { addressPrefixes: ["10.0.0.0/16"] }, subnets: [{ name: "AzureBastionSubnet", addressPrefix: "10.0.1.0/27" }] },
      POLL,
    );
    const pip = await fixture.network.publicIPAddresses.beginCreateOrUpdateAndWait(
      rg,
      "pip",
      { location: REGION, sku: { name: "Standard" }, publicIPAllocationMethod: "Static" },
      POLL,
    );
    await rejectsWithCode(
      fixture.network.bastionHosts.beginCreateOrUpdateAndWait(
        rg,
        "bastion",
        {
          location: REGION,
          ipConfigurations: [{ name: "IpConf", subnet: { id: subnetIdOf(fixture.subscriptionId, rg, "vnet", "AzureBastionSubnet") }, publicIPAddress: { id: pip.id } }],
        },
        POLL,
      ),
      "AzureBastionSubnetPrefixTooSmall",
      400,
    );
  });
});

describe("network security groups", () => {
  it("returns Azure's default rules, keeps custom rules, associates with a subnet and refuses deleting it in use", async () => {
    const rg = await fixture.resourceGroup("rg-nsg");
    await createTutorialVnet(fixture, rg);
    const nsg = await fixture.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
      rg,
      "nsg",
      {
        location: REGION,
        securityRules: [
          {
            name: "AzureMachineLearning",
            protocol: "Tcp",
            access: "Allow",
            direction: "Inbound",
            priority: 130,
            sourceAddressPrefix: "AzureMachineLearning",
            sourcePortRange: "*",
            destinationAddressPrefix: "VirtualNetwork",
            destinationPortRange: "22",
          },
        ],
      },
      POLL,
    );
    assert.deepEqual(
      nsg.defaultSecurityRules?.map((rule) => rule.name),
      ["AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound", "AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound"],
    );
    assert.equal(nsg.securityRules?.[0]?.destinationPortRange, "22");
    const rule = await fixture.network.securityRules.get(rg, "nsg", "AzureMachineLearning");
    assert.equal(rule.priority, 130);

    await fixture.network.subnets.beginCreateOrUpdateAndWait(rg, "vnet", "Training", { addressPrefix: "172.16.0.0/24", networkSecurityGroup: { id: nsg.id } }, POLL);
    assert.equal((await fixture.network.subnets.get(rg, "vnet", "Training")).networkSecurityGroup?.id, nsg.id);
    const withSubnet = await fixture.network.networkSecurityGroups.get(rg, "nsg");
    assert.equal(withSubnet.subnets?.[0]?.id, subnetIdOf(fixture.subscriptionId, rg, "vnet", "Training"));
    await rejectsWithCode(fixture.network.networkSecurityGroups.beginDeleteAndWait(rg, "nsg", POLL), "InUseNetworkSecurityGroupCannotBeDeleted", 400);
  });

  it("refuses two rules with the same priority and direction: SecurityRuleConflict", async () => {
    const rg = await fixture.resourceGroup("rg-nsg-conflict");
    const rule = (name: string) => ({
      name,
      protocol: "Tcp" as const,
      access: "Allow" as const,
      direction: "Inbound" as const,
      priority: 200,
      sourcePortRange: "*",
      destinationPortRange: "22",
      sourceAddressPrefix: "*",
      destinationAddressPrefix: "*",
    });
    await rejectsWithCode(
      fixture.network.networkSecurityGroups.beginCreateOrUpdateAndWait(rg, "nsg", { location: REGION, securityRules: [rule("a"), rule("b")] }, POLL),
      "SecurityRuleConflict",
      400,
    );
  });
});

describe("Microsoft's spec", () => {
  it("finds no error in any request or response of this file", async () => {
    assert.deepEqual(await specFindingLines(fixture, "error"), []);
  });
});
