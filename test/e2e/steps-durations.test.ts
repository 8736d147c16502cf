// The steps' `expectedSeconds` (the real-Azure estimate of `plan`) and the emulator's realistic
// latencies come from one table, src/durations.ts. This test keeps them from drifting apart again:
// each step's figure must equal what the table implies for the writes the step performs (chained
// writes add up, parallel ones take the longest), and those writes are checked against the requests
// the step really sends to the emulator (type, create or update, and the ML compute kind).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import type { DeploymentConfig } from "../../src/config/types.js";
import { allZoneNames, cloudProfile } from "../../src/azure/clouds.js";
import { allSteps, stepsFor } from "../../src/steps/index.js";
import { REALISTIC_SECONDS, mlComputeWriteSeconds, writeSeconds, type DurationType, type MlComputeKind, type WriteKind } from "../../src/durations.js";
import { azureFor, deploy, testConfig, testSecrets } from "./steps-fixture.js";

type Writes = { write: DurationType; kind: WriteKind; computeKind?: MlComputeKind } | { chain: Writes[] } | { parallel: Writes[] };

const write = (type: DurationType, kind: WriteKind = "create"): Writes => ({ write: type, kind });
const compute = (computeKind: MlComputeKind): Writes => ({ write: "Microsoft.MachineLearningServices/workspaces/computes", kind: "create", computeKind });
const chain = (...items: Writes[]): Writes => ({ chain: items });
const parallel = (...items: Writes[]): Writes => ({ parallel: items });
const endpoint = (): Writes => chain(write("Microsoft.Network/privateEndpoints"), write("Microsoft.Network/privateEndpoints/privateDnsZoneGroups"));
const storageGroups = (config: DeploymentConfig): number => (config.batchEndpoints ? 4 : 2);
const oneAfterAnother = (count: number): Writes =>
  count <= 1
    ? endpoint()
    : chain(write("Microsoft.Network/privateEndpoints"), parallel(write("Microsoft.Network/privateEndpoints/privateDnsZoneGroups"), oneAfterAnother(count - 1)));

/** What each step writes on a fresh deployment, and in which order. */
const STEP_WRITES: Record<string, (config: DeploymentConfig) => Writes> = {
  "resource-group": () => write("Microsoft.Resources/resourceGroups"),
  // The subnets travel inline in the VNet's first PUT; the subnet pass then finds them as wanted.
  network: () => write("Microsoft.Network/virtualNetworks"),
  // Training page, Azure Databricks: the NSG, then the default and the two delegated subnets one by one.
  "databricks-network": () =>
    chain(
      write("Microsoft.Network/networkSecurityGroups"),
      write("Microsoft.Network/virtualNetworks/subnets"),
      write("Microsoft.Network/virtualNetworks/subnets"),
      write("Microsoft.Network/virtualNetworks/subnets"),
    ),
  "databricks-workspace": () => write("Microsoft.Databricks/workspaces"),
  "training-nsg": () => chain(write("Microsoft.Network/networkSecurityGroups"), write("Microsoft.Network/virtualNetworks/subnets", "update")),
  bastion: () => chain(write("Microsoft.Network/publicIPAddresses"), write("Microsoft.Network/bastionHosts")),
  "nat-gateway": () =>
    chain(
      write("Microsoft.Network/publicIPAddresses"),
      write("Microsoft.Network/natGateways"),
      write("Microsoft.Network/virtualNetworks/subnets", "update"),
      write("Microsoft.Network/virtualNetworks/subnets", "update"),
    ),
  "private-dns": (config) =>
    parallel(
      ...allZoneNames(cloudProfile(config.cloud), config.batchEndpoints).map(() =>
        chain(write("Microsoft.Network/privateDnsZones"), write("Microsoft.Network/privateDnsZones/virtualNetworkLinks")),
      ),
    ),
  storage: () => write("Microsoft.Storage/storageAccounts"),
  "key-vault": () => write("Microsoft.KeyVault/vaults"),
  registry: () => write("Microsoft.ContainerRegistry/registries"),
  monitoring: () => chain(write("Microsoft.OperationalInsights/workspaces"), write("Microsoft.Insights/components")),
  // One endpoint at a time on one storage account (Azure refuses concurrent ones); each zone group beside the next endpoint.
  "storage-endpoints": (config) => oneAfterAnother(storageGroups(config)),
  "key-vault-endpoint": () => endpoint(),
  "registry-endpoint": () => endpoint(),
  workspace: () => write("Microsoft.MachineLearningServices/workspaces"),
  "workspace-endpoint": () => endpoint(),
  "storage-endpoint-reader": (config) => parallel(...Array.from({ length: storageGroups(config) }, () => write("Microsoft.Authorization/roleAssignments"))),
  "monitor-private-link": () =>
    chain(
      write("Microsoft.Insights/privateLinkScopes"),
      write("Microsoft.Insights/privateLinkScopes/scopedResources"),
      write("Microsoft.Insights/privateLinkScopes/scopedResources"),
      endpoint(),
    ),
  jumpbox: () => chain(write("Microsoft.Network/networkInterfaces"), write("Microsoft.Compute/virtualMachines"), write("Microsoft.DevTestLab/schedules")),
  "compute-cluster": () => compute("AmlCompute"),
  "compute-instance": () => compute("ComputeInstance"),
  "image-build": () => write("Microsoft.MachineLearningServices/workspaces", "update"),
  // The VM's own NSG with the port-22 rule, its NIC, the VM (test/e2e/attached-compute.test.ts sends them); then the attach.
  "attached-vm": () => chain(write("Microsoft.Network/networkSecurityGroups"), write("Microsoft.Network/networkInterfaces"), write("Microsoft.Compute/virtualMachines")),
  "attached-vm-attach": () => write("Microsoft.MachineLearningServices/workspaces/computes"),
  // The rule in the existing resource's NSG, then the attach.
  "attach-compute": () => chain(write("Microsoft.Network/networkSecurityGroups/securityRules"), write("Microsoft.MachineLearningServices/workspaces/computes")),
};

function seconds(writes: Writes): number {
  if ("chain" in writes) return writes.chain.reduce((sum, item) => sum + seconds(item), 0);
  if ("parallel" in writes) return writes.parallel.reduce((max, item) => Math.max(max, seconds(item)), 0);
  return writes.computeKind ? mlComputeWriteSeconds(writes.computeKind, writes.kind) : writeSeconds(writes.write, writes.kind);
}

function label(type: string, kind: WriteKind, computeKind?: string): string {
  return `${kind} ${type}${computeKind ? ` (${computeKind})` : ""}`;
}

function flatten(writes: Writes): string[] {
  if ("chain" in writes) return writes.chain.flatMap(flatten);
  if ("parallel" in writes) return writes.parallel.flatMap(flatten);
  return [label(writes.write, writes.kind, writes.computeKind)];
}

/** The resource type ARM routes a path to, in the casing of src/durations.ts. */
function typeOfPath(segments: string[]): string {
  const providers = segments.map((segment) => segment.toLowerCase()).lastIndexOf("providers");
  let type: string;
  if (providers < 0) type = "Microsoft.Resources/resourceGroups";
  else {
    const rest = segments.slice(providers + 1);
    type = [rest[0], ...rest.slice(1).filter((_, index) => index % 2 === 0)].join("/");
  }
  return Object.keys(REALISTIC_SECONDS).find((known) => known.toLowerCase() === type.toLowerCase()) ?? type;
}

function propertiesOf(body: unknown): Record<string, unknown> {
  const properties = body !== null && typeof body === "object" ? (body as Record<string, unknown>).properties : undefined;
  return properties !== null && typeof properties === "object" ? (properties as Record<string, unknown>) : {};
}

describe("steps' expectedSeconds come from src/durations.ts", () => {
  const config = testConfig("00000000-0000-4000-8000-0000000000e1");

  it("each step's expectedSeconds is what the durations table implies for its writes", () => {
    const problems: string[] = [];
    for (const step of allSteps) {
      const writes = STEP_WRITES[step.id];
      if (!writes) problems.push(`${step.id}: no entry in STEP_WRITES (what does it write?)`);
      else if (step.expectedSeconds !== seconds(writes(config)))
        problems.push(`${step.id}: expectedSeconds ${String(step.expectedSeconds)}, the table implies ${seconds(writes(config))}`);
    }
    for (const id of Object.keys(STEP_WRITES)) if (!allSteps.some((step) => step.id === id)) problems.push(`STEP_WRITES has ${id}, which is not a step`);
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  it("the bastion is the public IP then the host, the longest chain of the graph", () => {
    const bastion = allSteps.find((step) => step.id === "bastion");
    assert.equal(bastion?.expectedSeconds, REALISTIC_SECONDS["Microsoft.Network/publicIPAddresses"].create + REALISTIC_SECONDS["Microsoft.Network/bastionHosts"].create);
  });
});

describe("the writes each step sends to the emulator", () => {
  let emulator: TestEmulator;

  before(async () => {
    emulator = await startTestEmulator({ validateSpecs: true });
  });
  after(async () => {
    await emulator?.stop();
  });

  it("are the writes its expectedSeconds counts, step by step on a fresh deployment", async () => {
    const config = testConfig(emulator.subscriptionId, {
      prefix: "dur",
      databricks: true,
      databricksWorkspace: "dur-dbx",
      databricksManagedResourceGroup: "databricks-rg-dur-dbx",
    });
    const azure = azureFor(emulator, config);
    const ctx = { config, secrets: testSecrets, azure };
    const problems: string[] = [];
    for (const step of stepsFor(config)) {
      const before = new Set((await emulator.resources()).value.map((record) => record.id.toLowerCase()));
      await emulator.clearRequestLog();
      // One step at a time through the engine; the state carries the earlier steps' outputs.
      await deploy(ctx, [step.id]);
      const log = await emulator.requestLog();
      const after = new Map((await emulator.resources()).value.map((record) => [record.id.toLowerCase(), record]));
      const sent = log
        .filter((entry) => entry.class === "write" && entry.status > 0 && entry.status < 400)
        .map((entry) => {
          const segments = entry.path.split("/").filter((segment) => segment !== "");
          const id = `/${segments.join("/")}`.toLowerCase();
          const type = typeOfPath(segments);
          const kind: WriteKind = entry.method === "DELETE" ? "delete" : entry.method === "PATCH" || before.has(id) ? "update" : "create";
          const computeType = type === "Microsoft.MachineLearningServices/workspaces/computes" ? propertiesOf(after.get(id)?.body).computeType : undefined;
          return label(type, kind, typeof computeType === "string" ? computeType : undefined);
        })
        .sort();
      const expected = flatten(STEP_WRITES[step.id]?.(config) ?? chain()).sort();
      if (sent.join("\n") !== expected.join("\n")) {
        problems.push(`${step.id}:\n  sent:     ${sent.join("; ")}\n  counted:  ${expected.join("; ")}`);
      }
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  });
});
