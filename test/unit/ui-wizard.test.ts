import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { DeploymentConfig } from "../../src/config/types.js";
import type { PlannedResource } from "../../src/engine/types.js";
import { SecureAmlError } from "../../src/errors.js";
import { createScriptedPromptBackend, type ScriptedAnswer } from "../../src/ui/prompt.js";
import { describeSavedDeployment, offerResume, runWizard, subnetDefaults, type GlobalNameKind, type SavedDeployment, type WizardDeps } from "../../src/ui/wizard.js";
import { estimateCost, type CostEstimate } from "../../src/pricing/estimate.js";
import { OFFLINE_PRICES } from "../../src/pricing/table.js";

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
        {
          id: `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${config.vnetName}`,
          kind: "Microsoft.Network/virtualNetworks",
          name: config.vnetName,
          action: "create",
          group: "network",
        } satisfies PlannedResource,
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

/** The questions asked before the review (the review's own question is "Create these resources now?"). */
function beforeReview(log: ReadonlyArray<{ message: string }>): string[] {
  const at = log.findIndex((q) => q.message === "Create these resources now?");
  return log.slice(0, at < 0 ? log.length : at).map((q) => q.message);
}

test("wizard, short path: five questions, everything else derived, a taken name replaced, the review with the cost, create and save", async () => {
  const cost: CostEstimate = estimateCost(
    [{ id: "/x/bastionHosts/b", kind: "Microsoft.Network/bastionHosts", name: "secureaml-bastion" }],
    { ...({} as DeploymentConfig), location: "westeurope" },
    OFFLINE_PRICES,
  );
  const { deps, prompt, output, checked, saved } = fakeDeps(
    [
      "", // subscription: the az CLI's current one (Production)
      "westeurope", // region
      "", // prefix: secureaml
      "short", // too weak → rejected
      PASSWORD,
      "", // the tutorial's settings: yes
      "create-save", // the review: create it and save the answers
    ],
    {
      plan: async (config) => ({
        planned: [
          {
            id: `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${config.vnetName}`,
            kind: "Microsoft.Network/virtualNetworks",
            name: config.vnetName,
            action: "create",
            group: "network",
          },
        ],
        estimate: { criticalPathSeconds: 600, sequentialSeconds: 1800 },
        cost,
      }),
    },
  );
  const result = await runWizard(deps);
  assert.equal(prompt.remaining(), 0, "every scripted answer was used");
  const asked = beforeReview(prompt.log);
  assert.ok(asked.length <= 5, `at most five questions before the review, asked: ${asked.join(" | ")}`);
  assert.deepEqual(asked, [
    "Subscription",
    "Region (only regions that offer Azure Machine Learning)",
    "Name prefix (every resource name is made from it)",
    "Jump box administrator password",
    asked[4],
  ]);
  assert.match(asked[4] ?? "", /^Use the tutorial's settings/);

  const c = result.config;
  assert.equal(result.confirmed, true);
  assert.equal(c.subscriptionId, SUB_B);
  assert.equal(c.location, "westeurope");
  assert.equal(c.prefix, "secureaml");
  assert.equal(c.resourceGroup, "secureaml-rg", "the resource group follows the prefix");
  assert.equal(c.storageAccount, "amlfreestorage1", "the taken storage name was replaced by the free suggestion");
  assert.match(c.keyVault, /^secureaml-kv-[0-9a-z]{5}$/);
  assert.equal(c.vnetAddressSpace, "172.16.0.0/16");
  assert.equal(c.trainingSubnet, "172.16.0.0/24");
  assert.equal(c.jumpbox, true);
  assert.equal(c.bastion, true);
  assert.equal(c.clusterMinNodes, 0);
  assert.equal(result.secrets.jumpboxPassword, PASSWORD);
  assert.equal(result.passwordSource, "prompt");
  assert.match(prompt.log.find((q) => q.kind === "password")?.rejected[0] ?? "", /12-123 characters/);
  assert.ok(
    checked.some(([k, n]) => k === "keyVault" && n === c.keyVault),
    "key vault name checked",
  );

  // The review: every value, the plan's size, the cost with its source and date and what stop saves.
  assert.match(output.text, /Signed in as ada@example\.com/);
  assert.match(output.text, /Subscription\s+[0-9a-f-]+bb\s+\(Production\)/);
  assert.match(output.text, /proposing "amlfreestorage1" instead/);
  assert.match(output.text, /Review \(nothing has been created yet\)/);
  for (const label of ["Resource group", "VNet address space", "Storage account (global)", "Jump box VM size", "Cluster maximum nodes", "NSG on the Training subnet"]) {
    assert.ok(output.text.includes(label), `the review shows ${label}`);
  }
  assert.match(output.text, /Jump box password\s+typed \(hidden, never saved\)/);
  assert.match(output.text, /Resource group\s+secureaml-rg\s+\(new\)/);
  assert.match(output.text, /Plan: 1 resource to create/);
  assert.match(output.text, /Estimated cost \(USD, list prices of 2026-11-30 for eastus/);
  assert.match(output.text, /secure-aml init --config secure-aml\.json --yes/);
  assert.ok(!output.text.includes(PASSWORD), "password printed");
  assert.ok(!JSON.stringify(prompt.log).includes(PASSWORD), "password logged");

  assert.equal(saved.length, 1);
  assert.equal(saved[0]?.[0], "secure-aml.json");
  assert.ok(!JSON.stringify(saved[0]?.[1]).includes(PASSWORD), "password saved");
  assert.equal(result.savedTo, "secure-aml.json");
});

test("wizard review: any value (range, name, size, feature, number, prefix, password) edited and back, then confirmed", async () => {
  const { deps, prompt, output } = fakeDeps([
    "",
    "",
    "",
    PASSWORD,
    "", // the five questions (region: East US by default)
    "edit", // review → change a value
    "vnetAddressSpace",
    "172.17.0.0/16",
    "10.10.0.0/16", // Docker's range rejected, then a new space
    "storageAccount",
    "takenname1",
    "mystore123", // a taken name rejected on the spot
    "jumpboxSize",
    "Standard_D4s_v3",
    "batchEndpoints",
    true,
    "clusterMaxNodes",
    "0",
    "4", // at least 1
    "prefix",
    "demo", // the names made from the prefix follow it; the storage name chosen stays
    "resourceGroup",
    "existing-rg", // an existing group: the review says so
    ":password",
    "An0ther!Passw0rd#2",
    ":back", // back to the review
    "edit",
    "trainingNsg",
    true,
    ":back", // and once more
    "create",
  ]);
  const result = await runWizard(deps);
  assert.equal(prompt.remaining(), 0, "every scripted answer was used");
  const c = result.config;
  assert.equal(result.confirmed, true);
  assert.equal(c.location, "eastus");
  assert.equal(c.vnetAddressSpace, "10.10.0.0/16");
  assert.equal(c.trainingSubnet, "10.10.0.0/24", "subnets follow the new address space");
  assert.equal(c.scoringSubnet, "10.10.1.0/24");
  assert.equal(c.bastionSubnet, "10.10.2.0/26");
  assert.equal(c.storageAccount, "mystore123");
  assert.equal(c.jumpboxSize, "Standard_D4s_v3");
  assert.equal(c.batchEndpoints, true);
  assert.equal(c.trainingNsg, true);
  assert.equal(c.clusterMaxNodes, 4);
  assert.equal(c.prefix, "demo");
  assert.equal(c.resourceGroup, "existing-rg");
  assert.match(output.text, /Resource group\s+existing-rg\s+\(exists, in westeurope\)/);
  assert.equal(c.vnetName, "demo-vnet");
  assert.equal(c.workspace, "demo-ws");
  assert.match(c.keyVault, /^demo-kv-[0-9a-z]{5}$/);
  assert.equal(result.secrets.jumpboxPassword, "An0ther!Passw0rd#2");
  const rejected = (prefix: string) => prompt.log.filter((q) => q.message.startsWith(prefix)).flatMap((q) => q.rejected);
  assert.match(rejected("VNet address space")[0] ?? "", /172\.17\.0\.0\/16.*Docker/);
  assert.match(rejected("Storage account")[0] ?? "", /"takenname1" is not available \(AlreadyExists\); "amlfreestorage1" is free/);
  assert.match(rejected("Cluster maximum nodes")[0] ?? "", /≥ 1/);
  // The review was shown again after the edits, with the new values.
  assert.equal(output.text.split("Review (nothing has been created yet)").length - 1, 3);
  assert.match(output.text, /VNet address space\s+10\.10\.0\.0\/16/);
});

test("wizard: given values are not asked; no to the tutorial's settings opens the edit menu; cancel creates nothing", async () => {
  const { deps, prompt } = fakeDeps(
    [
      "", // region
      "demo", // prefix
      false, // not the tutorial's settings: the edit menu opens
      "bastion",
      false,
      ":back",
      "cancel",
    ],
    { given: { subscriptionId: SUB_A, jumpbox: false } },
  );
  const result = await runWizard(deps);
  assert.equal(prompt.remaining(), 0);
  assert.equal(result.confirmed, false);
  assert.equal(result.savedTo, undefined);
  assert.equal(result.config.subscriptionId, SUB_A);
  assert.equal(result.config.bastion, false);
  assert.ok(!prompt.log.some((q) => q.message === "Subscription"), "given subscription asked again");
  assert.ok(!prompt.log.some((q) => q.kind === "password"), "password asked without a jump box");
  assert.equal(result.config.vnetName, "demo-vnet");
});

test("wizard: a soft-deleted key vault this deployment owns is recovered or purged; one it does not own is never offered", async () => {
  const owned = fakeDeps(["", "", "", PASSWORD, "", "purge", "create"], {
    findDeletedKeyVault: async (_sub, name) => (name.startsWith("secureaml-kv-") ? { name, location: "eastus", owned: true, deletionDate: "2026-11-29T10:00:00.000Z" } : undefined),
  });
  const a = await runWizard(owned.deps);
  assert.equal(a.config.keyVaultSoftDeleted, "purge");
  const choice = owned.prompt.log.find((q) => q.message === "Soft-deleted key vault");
  assert.ok(choice, "the choice was offered");
  assert.match(owned.output.text, /was deleted on 2026-11-29 and is soft-deleted in eastus/);

  const foreign = fakeDeps(["", "", "", PASSWORD, "", "otherkv-12345", "create"], {
    findDeletedKeyVault: async (_sub, name) => (name.startsWith("secureaml-kv-") ? { name, location: "eastus", owned: false } : undefined),
  });
  const b = await runWizard(foreign.deps);
  assert.equal(b.config.keyVault, "otherkv-12345");
  assert.equal(b.config.keyVaultSoftDeleted, "fail", "nothing to recover or purge");
  assert.ok(!foreign.prompt.log.some((q) => q.message === "Soft-deleted key vault"), "recover/purge never offered for a vault it does not own");
  assert.match(foreign.output.text, /did not create; choose another name/);
});

test("init's first screen with a recorded deployment: what it found, resume by default, the password asked again", async () => {
  const saved: SavedDeployment = {
    config: { subscriptionId: SUB_A, resourceGroup: "demo-rg", location: "eastus", workspace: "demo-ws" },
    stepsDone: 5,
    stepsTotal: 21,
    updatedAt: "2026-11-30T05:00:00.000Z",
    statePath: ".secure-aml/state.json",
  };
  const text = describeSavedDeployment(saved, Date.parse("2026-11-30T05:12:00.000Z"));
  assert.match(text, /workspace "demo-ws" in resource group demo-rg \(eastus\)/);
  assert.match(text, new RegExp(`subscription ${SUB_A}`));
  assert.match(text, /5\/21 steps done; last run 12 minutes ago/);

  const prompt = createScriptedPromptBackend(["", PASSWORD]);
  const output = new Capture();
  const offered = await offerResume({ prompt, output }, saved, { needsPassword: true });
  assert.equal(offered.choice, "resume");
  assert.equal(offered.secrets.jumpboxPassword, PASSWORD);
  assert.equal(prompt.log[0]?.message, "What now?");
  assert.equal(prompt.log.length, 2, "no question about names or ranges");

  const other = createScriptedPromptBackend(["new"]);
  assert.equal((await offerResume({ prompt: other, output }, saved, { needsPassword: true })).choice, "new");
  assert.equal(other.log.length, 1, "a different deployment: no password asked here");
  assert.match(describeSavedDeployment({ ...saved, stepsDone: 21 }), /complete \(21\/21 steps done\)/);
});

test("wizard: Ctrl-C stops cleanly with INTERRUPTED (exit 130)", async () => {
  const { deps } = fakeDeps(["", "", "", { interrupt: true }]);
  await assert.rejects(runWizard(deps), (e: unknown) => e instanceof SecureAmlError && e.code === "INTERRUPTED" && e.exitCode === 130);
});

test("subnetDefaults lays the tutorial's subnets out inside any large enough space", () => {
  assert.deepEqual(subnetDefaults("172.16.0.0/16"), { training: "172.16.0.0/24", scoring: "172.16.1.0/24", bastion: "172.16.2.0/26" });
  assert.deepEqual(subnetDefaults("10.1.4.0/22"), { training: "10.1.4.0/24", scoring: "10.1.5.0/24", bastion: "10.1.6.0/26" });
  assert.deepEqual(subnetDefaults("10.1.4.0/24"), { training: "172.16.0.0/24", scoring: "172.16.1.0/24", bastion: "172.16.2.0/26" });
  assert.deepEqual(subnetDefaults("nonsense"), { training: "172.16.0.0/24", scoring: "172.16.1.0/24", bastion: "172.16.2.0/26" });
});
