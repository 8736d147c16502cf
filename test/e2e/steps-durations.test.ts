// The steps' `expectedSeconds` (the real-Azure estimate of `plan`) and the emulator's realistic
// latencies come from one table, src/durations.ts. This test keeps them from drifting apart, with no
// table of its own: every step of the table (optional ones switched on) runs once, one at a time
// through the engine on a fresh deployment. Just before it runs, the writes its own declaration implies
// are read from it (declared-writes.ts: its layout, each resource planned, chained or parallel); their
// seconds must be its expectedSeconds, and they must be exactly the writes it then sends to the emulator.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import type { DeploymentConfig } from "../../src/config/types.js";
import type { AzureContext } from "../../src/azure/clients.js";
import { allSteps, type StepContext } from "../../src/steps/index.js";
import { runSteps } from "../../src/engine/engine.js";
import { REALISTIC_SECONDS, type WriteKind } from "../../src/durations.js";
import { readSshKeyPair } from "../../src/config/ssh-key.js";
import { azureFor, recordingIo, stateOf, testConfig, testSecrets } from "./steps-fixture.js";
import { declaredWrites, isDeclared, labelsOf, secondsOf } from "./declared-writes.js";

/** The resource type ARM routes a path to. */
function typeOfPath(segments: string[]): string {
  const providers = segments.map((segment) => segment.toLowerCase()).lastIndexOf("providers");
  if (providers < 0) return "Microsoft.Resources/resourceGroups";
  const rest = segments.slice(providers + 1);
  return [rest[0], ...rest.slice(1).filter((_, index) => index % 2 === 0)].join("/");
}

/** Someone else's Ubuntu VM (another group, the Training subnet, behind its own NIC NSG) for --attach-compute. */
async function someoneElsesVm(azure: AzureContext, config: DeploymentConfig, keyPath: string): Promise<string> {
  const other = `${config.resourceGroup}-theirs`;
  await (await azure.resources()).resourceGroups.createOrUpdate(other, { location: config.location });
  const network = await azure.network();
  const nsg = await network.networkSecurityGroups.beginCreateOrUpdateAndWait(other, "theirs-nsg", { location: config.location, securityRules: [] }, azure.lro());
  const subnet = await network.subnets.get(config.resourceGroup, config.vnetName, "Training");
  const nic = await network.networkInterfaces.beginCreateOrUpdateAndWait(
    other,
    "theirs-nic",
    { location: config.location, networkSecurityGroup: { id: nsg.id }, ipConfigurations: [{ name: "ipconfig1", subnet: { id: subnet.id }, privateIPAllocationMethod: "Dynamic" }] },
    azure.lro(),
  );
  const vm = await (await azure.compute()).virtualMachines.beginCreateOrUpdateAndWait(
    other,
    "theirs",
    {
      location: config.location,
      hardwareProfile: { vmSize: "Standard_D2s_v3" },
      storageProfile: { imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" }, osDisk: { createOption: "FromImage" } },
      osProfile: {
        computerName: "theirs",
        adminUsername: "azureuser",
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: "/home/azureuser/.ssh/authorized_keys", keyData: readSshKeyPair(keyPath).publicKey }] },
        },
      },
      networkProfile: { networkInterfaces: [{ id: nic.id }] },
    },
    azure.lro(),
  );
  return vm.id ?? "";
}

describe("steps' expectedSeconds come from src/durations.ts", () => {
  it("the bastion is the public IP then the host, the longest chain of the graph", () => {
    const bastion = allSteps.find((step) => step.id === "bastion");
    assert.equal(bastion?.expectedSeconds, REALISTIC_SECONDS["Microsoft.Network/publicIPAddresses"].create + REALISTIC_SECONDS["Microsoft.Network/bastionHosts"].create);
  });
});

describe("the writes each step declares, sends and counts", () => {
  let emulator: TestEmulator;
  let dir: string;

  before(async () => {
    emulator = await startTestEmulator({ validateSpecs: true });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-durations-"));
  });
  after(async () => {
    await emulator?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("are, step by step on a fresh deployment, what its expectedSeconds counts", async () => {
    const keyPath = path.join(dir, "id_rsa");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await fs.writeFile(keyPath, privateKey.export({ type: "pkcs1", format: "pem" }).toString(), { mode: 0o600 });
    // Every optional step switched on (a step whose switch is off runs all the same: the loop takes the whole table).
    let config = testConfig(emulator.subscriptionId, {
      prefix: "dur",
      databricks: true,
      databricksWorkspace: "dur-dbx",
      databricksManagedResourceGroup: "databricks-rg-dur-dbx",
      outbound: "nat-gateway",
      attachedVm: "durvm",
      attachedVmSshKeyPath: keyPath,
      attachedVmAdmin: "azureuser",
    });
    const azure = azureFor(emulator, config);
    const state = stateOf(config);
    const problems: string[] = [];
    for (const step of allSteps) {
      if (step.id === "attach-compute") config = { ...config, attachCompute: await someoneElsesVm(azure, config, keyPath) };
      const ctx: StepContext = { config, secrets: testSecrets, azure };
      if (!isDeclared(step)) {
        problems.push(`${step.id}: not declared with declareStep (no resources to count)`);
        continue;
      }
      const declared = await declaredWrites(step, ctx, state);
      if (step.expectedSeconds !== secondsOf(declared)) {
        problems.push(`${step.id}: expectedSeconds ${String(step.expectedSeconds)}, its resources imply ${secondsOf(declared)} (${labelsOf(declared).join("; ")})`);
      }
      const before = new Set((await emulator.resources()).value.map((record) => record.id.toLowerCase()));
      await emulator.clearRequestLog();
      // One step at a time through the engine; the state carries the earlier steps' outputs.
      const summary = await runSteps([...allSteps], ctx, { concurrency: 4, io: recordingIo(), state, retry: { attempts: 5, baseDelayMs: 20, maxDelayMs: 500 }, only: [step.id] });
      assert.equal(summary.status, "succeeded", `${step.id}: ${summary.error?.code ?? ""} ${summary.error?.message ?? ""}`);
      const sent = (await emulator.requestLog())
        .filter((entry) => entry.class === "write" && entry.status > 0 && entry.status < 400)
        .map((entry) => {
          const segments = entry.path.split("/").filter((segment) => segment !== "");
          const id = `/${segments.join("/")}`.toLowerCase();
          const kind: WriteKind = entry.method === "DELETE" ? "delete" : entry.method === "PATCH" || before.has(id) ? "update" : "create";
          return `${kind} ${typeOfPath(segments)}`.toLowerCase();
        })
        .sort();
      // ARM types are case-insensitive (a spec's kind and a request path may spell one differently).
      const counted = labelsOf(declared)
        .map((label) => label.toLowerCase())
        .sort();
      if (sent.join("\n") !== counted.join("\n")) problems.push(`${step.id}:\n  sent:     ${sent.join("; ")}\n  declared: ${counted.join("; ")}`);
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  });
});
