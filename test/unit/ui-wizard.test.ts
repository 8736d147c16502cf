import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { DeploymentConfig } from "../../src/config/types.js";
import type { PlannedResource } from "../../src/engine/types.js";
import { SecureAmlError } from "../../src/errors.js";
import { createScriptedPromptBackend, type ScriptedAnswer } from "../../src/ui/prompt.js";
import { runWizard, subnetDefaults, type WizardDeps, type GlobalNameKind } from "../../src/ui/wizard.js";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const SUB_A = "00000000-0000-0000-0000-0000000000aa";
const SUB_B = "00000000-0000-0000-0000-0000000000bb";
const PASSWORD = "Str0ng!Passw0rd#1";

function fakeDeps(answers: ScriptedAnswer[], extra: Partial<WizardDeps> = {}) {
  const prompt = createScriptedPromptBackend(answers);
  const output = new Capture();
  const checked: Array<[GlobalNameKind, string]> = [];
  const saved: Array<[string, DeploymentConfig]> = [];
  const deps: WizardDeps = {
    prompt,
    output,
    signIn: async () => ({ account: "ada@example.com" }),
    listSubscriptions: async () => [
      { id: SUB_A, name: "Research" },
      { id: SUB_B, name: "Production", isDefault: true },
    ],
    listLocations: async () => [
      { name: "westeurope", displayName: "West Europe" },
      { name: "eastus", displayName: "East US" },
      { name: "marsnorth", displayName: "Mars North" }, // not an Azure ML region: not offered
    ],
    listResourceGroups: async () => [{ name: "existing-rg", location: "westeurope" }],
    // Every storage name the prefix proposes is taken, and so is "takenname1"; the suggestion is free.
    checkName: async (kind, name) => {
      checked.push([kind, name]);
      if (kind === "storageAccount" && (name.startsWith("secureamlst") || name === "takenname1")) {
        return { available: false, reason: "AlreadyExists", suggestion: "amlfreestorage1" };
      }
      return { available: true };
    },
    plan: async (config) => ({
      planned: [
        { id: `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${config.vnetName}`, kind: "Microsoft.Network/virtualNetworks", name: config.vnetName, action: "create", group: "network" } satisfies PlannedResource,
      ],
      estimate: { criticalPathSeconds: 1500, sequentialSeconds: 3000 },
    }),
    saveConfig: async (path, config) => {
      saved.push([path, config]);
    },
    ...extra,
  };
  return { deps, prompt, output, checked, saved };
}

test("wizard: tutorial defaults, a taken name and bad ranges rejected then corrected, plan, confirmation, save", async () => {
  const { deps, prompt, output, checked, saved } = fakeDeps([
    "", // subscription: the default one (Production)
    "", // resource group: create a new one
    "", // its name: secureaml-rg
    "westeurope", // region
    "", // prefix: secureaml
    "takenname1", // storage account (proposed name taken): a taken name → rejected on the spot
    "", // → the suggested free name
    true, // use these names
    "172.17.0.0/16", // VNet: the Docker bridge range → rejected
    "10.10.0.0/16", // accepted
    "", // Training: proposed inside the new space (10.10.0.0/24)
    "10.20.1.0/24", // Scoring outside the VNet → rejected
    "", // proposed 10.10.1.0/24
    "10.10.2.0/27", // Bastion /27 → rejected
    "", // proposed 10.10.2.0/26
    "", // jump box: yes
    "admin", // reserved administrator name → rejected
    "amladmin",
    "short", // too weak → rejected
    PASSWORD,
    "Different!Passw0rd", // mismatch → asked again
    PASSWORD,
    PASSWORD,
    "", // jump box size
    "2500", // shutdown time → rejected
    "1830",
    "", // Bastion: yes
    "", // cluster size
    "", // min nodes 0
    "0", // max nodes 0 → rejected (at least 1)
    "4",
    "", // instance size
    true, // batch endpoints
    "", // create: yes
    "", // save: yes
    "", // path: secure-aml.json
  ]);
  const result = await runWizard(deps);
  assert.equal(prompt.remaining(), 0, "every scripted answer was used");
  const c = result.config;
  assert.equal(result.confirmed, true);
  assert.equal(c.subscriptionId, SUB_B);
  assert.equal(c.resourceGroup, "secureaml-rg");
  assert.equal(c.location, "westeurope");
  assert.equal(c.prefix, "secureaml");
  assert.equal(c.storageAccount, "amlfreestorage1");
  assert.match(c.keyVault, /^secureaml-kv-[0-9a-z]{5}$/);
  assert.equal(c.workspace, "secureaml-ws");
  assert.equal(c.vnetAddressSpace, "10.10.0.0/16");
  assert.equal(c.trainingSubnet, "10.10.0.0/24");
  assert.equal(c.scoringSubnet, "10.10.1.0/24");
  assert.equal(c.bastionSubnet, "10.10.2.0/26");
  assert.equal(c.jumpboxAdmin, "amladmin");
  assert.equal(c.jumpboxShutdownTime, "1830");
  assert.equal(c.clusterMinNodes, 0);
  assert.equal(c.clusterMaxNodes, 4);
  assert.equal(c.batchEndpoints, true);
  assert.equal(c.computeCluster, "cpu-cluster");
  assert.equal(result.secrets.jumpboxPassword, PASSWORD);

  // The region list offered only regions with Azure Machine Learning.
  const regionQuestion = prompt.log.find((q) => q.message.startsWith("Region"));
  assert.ok(regionQuestion);
  // Rejections, with their explanations.
  const rejected = (prefix: string) => prompt.log.filter((q) => q.message.startsWith(prefix)).flatMap((q) => q.rejected);
  assert.match(rejected("Storage account")[0] ?? "", /"takenname1" is not available \(AlreadyExists\); "amlfreestorage1" is free/);
  assert.match(rejected("VNet address space")[0] ?? "", /172\.17\.0\.0\/16.*Docker/);
  assert.match(rejected("Scoring subnet")[0] ?? "", /not inside the address space 10\.10\.0\.0\/16/);
  assert.match(rejected("AzureBastionSubnet")[0] ?? "", /\/26 or larger/);
  assert.match(rejected("Jump box administrator name")[0] ?? "", /reserved/);
  assert.match(rejected("Jump box administrator password")[0] ?? "", /12-123 characters/);
  assert.match(rejected("Daily auto-shutdown")[0] ?? "", /HHmm/);
  assert.match(rejected("Maximum cluster nodes")[0] ?? "", /≥ 1/);
  assert.ok(checked.some(([k, n]) => k === "keyVault" && n === c.keyVault), "key vault name checked");
  assert.ok(checked.some(([k, n]) => k === "registry" && n === c.registry), "registry name checked");

  // What the person saw: names, the Docker explanation, the plan; never the password.
  assert.match(output.text, /Signed in as ada@example\.com/);
  assert.match(output.text, /Storage account \(global\)\s+secureamlst\S+\s+← taken/);
  assert.match(output.text, /Docker uses it inside every compute node/);
  assert.match(output.text, /\+ create\s+virtualNetworks\s+secureaml-vnet/);
  assert.match(output.text, /The two passwords differ/);
  assert.match(output.text, /secure-aml init --config secure-aml\.json --yes/);
  assert.ok(!output.text.includes(PASSWORD), "password printed");
  assert.ok(!JSON.stringify(prompt.log).includes(PASSWORD), "password logged");

  assert.equal(saved.length, 1);
  assert.equal(saved[0]?.[0], "secure-aml.json");
  assert.equal(saved[0]?.[1].storageAccount, "amlfreestorage1");
  assert.ok(!JSON.stringify(saved[0]?.[1]).includes(PASSWORD), "password saved");
  assert.equal(result.savedTo, "secure-aml.json");
});

test("wizard: given values are not asked; an existing group proposes its region; a declined plan is reported", async () => {
  const { deps, prompt } = fakeDeps(
    [
      "existing-rg", // resource group: the existing one
      "", // region: defaults to the group's (westeurope)
      "demo", // prefix
      false, // names: edit them
      "", "", "", "", "", "", "", "", "", "", "", "", "", // 13 names kept as proposed
      "", "", "", "", // the tutorial's address ranges
      "", // Bastion: yes
      "", "", "", "", // cluster size, min, max, instance size
      "", // batch endpoints: no
      false, // do not create
      false, // do not save
    ],
    { given: { subscriptionId: SUB_A, jumpbox: false } },
  );
  const result = await runWizard(deps);
  assert.equal(prompt.remaining(), 0);
  assert.equal(result.confirmed, false);
  assert.equal(result.savedTo, undefined);
  assert.equal(result.config.subscriptionId, SUB_A);
  assert.equal(result.config.resourceGroup, "existing-rg");
  assert.equal(result.config.location, "westeurope");
  assert.equal(result.config.jumpbox, false);
  assert.equal(result.config.vnetAddressSpace, "172.16.0.0/16", "the tutorial's address space");
  assert.equal(result.secrets.jumpboxPassword, undefined);
  assert.ok(!prompt.log.some((q) => q.message === "Subscription"), "given subscription asked again");
  assert.ok(!prompt.log.some((q) => q.kind === "password"), "password asked without a jump box");
  assert.equal(result.config.vnetName, "demo-vnet");
});

test("wizard: Ctrl-C stops cleanly with INTERRUPTED (exit 130)", async () => {
  const { deps } = fakeDeps(["", "", { interrupt: true }]);
  await assert.rejects(runWizard(deps), (e: unknown) => e instanceof SecureAmlError && e.code === "INTERRUPTED" && e.exitCode === 130);
});

test("subnetDefaults lays the tutorial's subnets out inside any large enough space", () => {
  assert.deepEqual(subnetDefaults("172.16.0.0/16"), { training: "172.16.0.0/24", scoring: "172.16.1.0/24", bastion: "172.16.2.0/26" });
  assert.deepEqual(subnetDefaults("10.1.4.0/22"), { training: "10.1.4.0/24", scoring: "10.1.5.0/24", bastion: "10.1.6.0/26" });
  assert.deepEqual(subnetDefaults("10.1.4.0/24"), { training: "172.16.0.0/24", scoring: "172.16.1.0/24", bastion: "172.16.2.0/26" });
  assert.deepEqual(subnetDefaults("nonsense"), { training: "172.16.0.0/24", scoring: "172.16.1.0/24", bastion: "172.16.2.0/26" });
});
