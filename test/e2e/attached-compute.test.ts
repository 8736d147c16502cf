// Issue 15 items 2 and 4 against the emulator (spec validation on), through the real CLI and the
// real SDK clients: `init --attached-vm NAME --attached-vm-ssh-key PATH` creates an Ubuntu VM with SSH
// key login, no public IP, its NIC NSG with the training page's port-22 rule, attached to the
// workspace; the private key is never in the state, the output, the logs or the emulator's data; a
// rerun writes nothing; bad input exits 2 with no request; `verify --from-inside` passes, then names
// the exact FQDN when a zone link or an A record is deleted behind its back; `--attach-compute`
// attaches an existing VM and adds the rule to the NSG in front of it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { DeploymentConfig } from "../../src/config/types.js";
import { azureFor, deploy, testConfig, testSecrets } from "./steps-fixture.js";
import { emulatorArgs, emulatorForFile, oneJsonDocument, runCli, tempDir, cleanEnv, WRITE_METHODS, type ResultDoc } from "./cli-init-fixture.js";
import { dnsLinkName } from "../../src/steps/common.js";

const emulator = emulatorForFile({ validateSpecs: true });

/** A fresh RSA key (PKCS#1 PEM, as `ssh-keygen -m PEM` writes), its file and a slice of its body to search for. */
async function writeKey(dir: string): Promise<{ path: string; text: string; needles: string[] }> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const text = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const file = path.join(dir, "id_rsa");
  await fs.writeFile(file, text, { mode: 0o600 });
  const body = text.split("\n").slice(1, -2).join("");
  // Three slices of the key's body: any copy of the key (whole, re-wrapped or JSON-escaped) holds them.
  return { path: file, text, needles: [body.slice(40, 80), body.slice(600, 640), body.slice(1200, 1240)] };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

function assertNoKey(where: string, text: string, needles: string[]): void {
  for (const needle of needles) assert.ok(!text.includes(needle), `the private key appears in ${where}`);
  assert.ok(!/privateKeyData"?\s*[:=]\s*"-----BEGIN/.test(text), `privateKeyData with a key in ${where}`);
}

test("--attached-vm: an Ubuntu VM with SSH key login, its port-22 rule, attached; the key only in the attach request; verify --from-inside", async (t) => {
  const dir = await tempDir(t, "attached");
  const key = await writeKey(dir);
  const state = path.join(dir, "state.json");
  const vmName = "trainvm";
  const args = ["init", "--yes", "--output", "json", ...emulatorArgs(emulator(), "attvm", state), "--attached-vm", vmName, "--attached-vm-ssh-key", key.path];

  const first = await runCli(args, { cwd: dir });
  assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
  const doc = oneJsonDocument(first.stdout) as ResultDoc;
  const created = doc.resources.filter((r) => r.action === "created").map((r) => `${r.kind}/${r.name}`);
  for (const wanted of [
    `Microsoft.Network/networkSecurityGroups/${vmName}-nsg`,
    `Microsoft.Network/networkInterfaces/${vmName}-nic`,
    `Microsoft.Compute/virtualMachines/${vmName}`,
    `Microsoft.MachineLearningServices/workspaces/computes/${vmName}`,
  ]) {
    assert.ok(created.includes(wanted), `init created ${wanted}`);
  }

  // The key: never in the output, the logs (stderr), the state file or the emulator's persisted data.
  assertNoKey("stdout", first.stdout, key.needles);
  assertNoKey("stderr", first.stderr, key.needles);
  const stateText = await fs.readFile(state, "utf8");
  assertNoKey("the state file", stateText, key.needles);
  assert.ok(stateText.includes(key.path), "the state records the key's PATH (not its content)");
  const emulatorFiles = await filesUnder(emulator().dataDir);
  // Scanning proves something only if the world holding the VM is among the files.
  const worldFile = emulatorFiles.find((file) => path.basename(file) === "world.json");
  assert.ok(worldFile && (await fs.readFile(worldFile, "utf8")).includes(`/virtualMachines/${vmName}"`), "the emulator persisted its world, with the VM");
  for (const file of emulatorFiles) assertNoKey(`the emulator's ${path.basename(file)}`, await fs.readFile(file, "latin1"), key.needles);

  // Read back through the real SDK clients: what Azure holds.
  const config = JSON.parse(stateText).config as DeploymentConfig;
  const azure = azureFor(emulator(), config);
  const rg = config.resourceGroup;
  const vm = await (await azure.compute()).virtualMachines.get(rg, vmName);
  assert.equal(vm.storageProfile?.imageReference?.publisher, "Canonical");
  assert.equal(vm.storageProfile?.imageReference?.offer, "ubuntu-24_04-lts");
  assert.equal(vm.osProfile?.linuxConfiguration?.disablePasswordAuthentication, true, "SSH key login only");
  const authorized = vm.osProfile?.linuxConfiguration?.ssh?.publicKeys?.[0]?.keyData ?? "";
  assert.match(authorized, /^ssh-rsa AAAA/, "the VM holds the PUBLIC key, derived from the private key");
  assertNoKey("the VM", JSON.stringify(vm), key.needles);
  const network = await azure.network();
  const nic = await network.networkInterfaces.get(rg, `${vmName}-nic`);
  const ipc = nic.ipConfigurations?.[0];
  assert.equal(ipc?.publicIPAddress, undefined, "no public IP");
  assert.match(ipc?.subnet?.id ?? "", /\/subnets\/Training$/);
  assert.match(nic.networkSecurityGroup?.id ?? "", new RegExp(`/networkSecurityGroups/${vmName}-nsg$`));
  const nsg = await network.networkSecurityGroups.get(rg, `${vmName}-nsg`);
  const rule = nsg.securityRules?.find((r) => r.name === "AllowAzureMachineLearningSsh");
  assert.deepEqual(
    [rule?.direction, rule?.access, rule?.protocol, rule?.sourceAddressPrefix, rule?.sourcePortRange, rule?.destinationAddressPrefix, rule?.destinationPortRange],
    ["Inbound", "Allow", "*", "AzureMachineLearning", "*", "*", "22"],
    "the training page's inbound rule",
  );
  assert.deepEqual(nsg.securityRules?.filter((r) => r.direction === "Outbound") ?? [], [], "no outbound rule: the default outbound rules stay");
  assert.ok(
    (nsg.defaultSecurityRules ?? []).some((r) => r.name === "AllowInternetOutBound"),
    "the default outbound rules are there",
  );
  const compute = await (await azure.machineLearning()).computeOperations.get(rg, config.workspace, vmName);
  const props = compute.properties as {
    computeType?: string;
    resourceId?: string;
    isAttachedCompute?: boolean;
    properties?: { address?: string; sshPort?: number; administratorAccount?: Record<string, unknown> };
  };
  assert.equal(props.computeType, "VirtualMachine");
  assert.equal(props.resourceId?.toLowerCase(), vm.id?.toLowerCase());
  assert.equal(props.isAttachedCompute, true);
  assert.equal(props.properties?.address, ipc?.privateIPAddress, "attached at the VM's private IP");
  assert.equal(props.properties?.sshPort, 22);
  assert.equal(props.properties?.administratorAccount?.username, "azureuser");
  assert.equal(props.properties?.administratorAccount?.privateKeyData, undefined, "ARM never returns the key");

  // A rerun reads only.
  await emulator().clearRequestLog();
  const second = await runCli(args, { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  assert.equal((oneJsonDocument(second.stdout) as ResultDoc).counts.writes, 0);
  assert.deepEqual(
    (await emulator().requestLog()).filter((e) => WRITE_METHODS.has(e.method)).map((e) => `${e.method} ${e.path}`),
    [],
  );

  // verify --from-inside: every private name resolves to its endpoint and connects.
  const verify = (extra: string[] = []) =>
    runCli(["verify", "--from-inside", "--output", "json", "--endpoint", emulator().endpoint, "--ca-cert", emulator().caCertPath, "--state", state, ...extra], { cwd: dir });
  const clean = await verify();
  assert.equal(clean.code, 0, `${clean.stdout}\n${clean.stderr}`);
  const cleanDoc = oneJsonDocument(clean.stdout);
  const names = (cleanDoc.details as { fromInside: { vm: string; names: Array<{ name: string; ok: boolean; addresses: string[] }> } }).fromInside;
  assert.equal(names.vm, config.jumpboxName, "the probe ran on the jump box");
  const probed = names.names.map((n) => n.name);
  for (const expected of [
    `${config.storageAccount}.blob.core.windows.net`,
    `${config.storageAccount}.file.core.windows.net`,
    `${config.keyVault}.vault.azure.net`,
    `${config.registry}.azurecr.io`,
  ]) {
    assert.ok(probed.includes(expected.toLowerCase()), `probed ${expected} (got ${probed.join(", ")})`);
  }
  assert.ok(
    probed.some((n) => n.endsWith(".api.azureml.ms")),
    "probed the workspace API",
  );
  assert.ok(
    probed.some((n) => n.endsWith(".notebooks.azure.net")),
    "probed the notebooks",
  );
  assert.ok(
    probed.some((n) => n.endsWith(".monitor.azure.com")),
    "probed Azure Monitor",
  );
  assert.deepEqual(
    names.names.filter((n) => !n.ok),
    [],
    "every name resolves privately and connects",
  );
  const checks = (cleanDoc.details as { checks: Array<{ id: string; examined: number; passed: boolean }> }).checks;
  assert.deepEqual(
    checks.find((c) => c.id === "attached-compute-ssh"),
    { id: "attached-compute-ssh", title: "Every attached VM lets Azure Machine Learning in on port 22", examined: 1, passed: true, findings: 0 },
  );
  assertNoKey("verify's output", clean.stdout + clean.stderr, key.needles);

  // Behind its back: the vault zone's VNet link and the blob A record deleted through the SDK.
  const dns = await azure.privateDns();
  await dns.virtualNetworkLinks.beginDeleteAndWait(rg, "privatelink.vaultcore.azure.net", dnsLinkName(config), azure.lro());
  await dns.recordSets.delete(rg, "privatelink.blob.core.windows.net", "A", config.storageAccount);
  const tampered = await verify();
  assert.equal(tampered.code, 1, tampered.stderr);
  const findings = (oneJsonDocument(tampered.stdout).details as { findings: Array<{ check: string; name: string; problem: string }> }).findings.filter(
    (f) => f.check === "from-inside",
  );
  const byName = new Map(findings.map((f) => [f.name, f.problem]));
  assert.match(byName.get(`${config.keyVault}.vault.azure.net`.toLowerCase()) ?? "", /public address/, "the unlinked vault zone: its name resolves publicly");
  assert.match(byName.get(`${config.storageAccount}.blob.core.windows.net`.toLowerCase()) ?? "", /NXDOMAIN/, "the missing blob record: NXDOMAIN");
  assert.equal(findings.length, 2, `exactly the two names: ${JSON.stringify(findings)}`);
  // Behind its back: the page's rule deleted from the VM's NSG (the default DenyAllInBound then decides).
  await network.securityRules.beginDeleteAndWait(rg, `${vmName}-nsg`, "AllowAzureMachineLearningSsh", azure.lro());
  const denied = await runCli(["verify", "--output", "json", "--endpoint", emulator().endpoint, "--ca-cert", emulator().caCertPath, "--state", state], { cwd: dir });
  assert.equal(denied.code, 1);
  const sshFindings = (oneJsonDocument(denied.stdout).details as { findings: Array<{ check: string; name: string; problem: string }> }).findings.filter(
    (f) => f.check === "attached-compute-ssh",
  );
  assert.equal(sshFindings.length, 1, JSON.stringify(sshFindings));
  assert.equal(sshFindings[0]!.name, `${vmName}-nsg`);
  assert.match(sshFindings[0]!.problem, /blocks inbound from AzureMachineLearning port 22 .* by rule DenyAllInBound \(priority 65500\)/);

  const text = await runCli(["verify", "--from-inside", "--endpoint", emulator().endpoint, "--ca-cert", emulator().caCertPath, "--state", state], { cwd: dir });
  assert.equal(text.code, 1);
  assert.match(text.stdout, new RegExp(`✗ ${config.keyVault}\\.vault\\.azure\\.net → 20\\.`));
});

test("bad attached-compute input exits 2 naming the field, before any request", async (t) => {
  const dir = await tempDir(t, "attached-bad");
  const key = await writeKey(dir);
  await fs.writeFile(path.join(dir, "id_rsa.pub.only"), "ssh-rsa AAAAB3NzaC1yc2E= someone\n");
  const state = path.join(dir, "state.json");
  const base = ["init", "--yes", "--output", "json", ...emulatorArgs(emulator(), "attbad", state)];
  const other = "00000000-0000-0000-0000-00000000beef";
  const cases: Array<{ extra: string[]; field: string; rule: RegExp }> = [
    { extra: ["--attached-vm", "vm1", "--attached-vm-ssh-key", path.join(dir, "missing")], field: "attachedVmSshKeyPath", rule: /does not exist/ },
    { extra: ["--attached-vm", "vm1", "--attached-vm-ssh-key", path.join(dir, "id_rsa.pub.only")], field: "attachedVmSshKeyPath", rule: /public key/ },
    { extra: ["--attached-vm", "vm1"], field: "attachedVm", rule: /--attached-vm-ssh-key/ },
    { extra: ["--attached-vm", "1_bad.name", "--attached-vm-ssh-key", key.path], field: "attachedVm", rule: /starting with a letter/ },
    {
      extra: ["--attach-compute", `/subscriptions/${other}/resourceGroups/x/providers/Microsoft.Compute/virtualMachines/vm`, "--attached-vm-ssh-key", key.path],
      field: "attachCompute",
      rule: /subscription/,
    },
    {
      extra: ["--attach-compute", `/subscriptions/${emulator().subscriptionId}/resourceGroups/x/providers/Microsoft.Storage/storageAccounts/st`, "--attached-vm-ssh-key", key.path],
      field: "attachCompute",
      rule: /virtual machine .* or an HDInsight cluster/,
    },
  ];
  for (const c of cases) {
    await emulator().clearRequestLog();
    const run = await runCli([...base, ...c.extra], { cwd: dir, env: cleanEnv() });
    assert.equal(run.code, 2, `${c.extra.join(" ")}: ${run.stderr}`);
    const text = JSON.stringify(oneJsonDocument(run.stdout).errors);
    assert.ok(text.includes(c.field), `${c.extra.join(" ")} names ${c.field}: ${text}`);
    assert.match(text, c.rule);
    assert.deepEqual(await emulator().requestLog(), [], `${c.extra.join(" ")}: no request`);
  }
});

test("--attach-compute attaches an existing Ubuntu VM and adds the rule to the NSG in front of it; the emulator refuses what Azure would", async (t) => {
  const dir = await tempDir(t, "attach-existing");
  const key = await writeKey(dir);
  const base = testConfig(emulator().subscriptionId, { prefix: "attex", jumpbox: false, bastion: false, trainingNsg: false });
  const azure = azureFor(emulator(), base);
  await deploy({ config: base, secrets: testSecrets, azure });

  // Someone else's VM in another group, in the Training subnet, behind a NIC NSG that only has the defaults.
  const other = "rg-attex-existing";
  const resources = await azure.resources();
  await resources.resourceGroups.createOrUpdate(other, { location: base.location });
  const network = await azure.network();
  const nsg = await network.networkSecurityGroups.beginCreateOrUpdateAndWait(other, "theirs-nsg", { location: base.location, securityRules: [] }, azure.lro());
  const subnet = await network.subnets.get(base.resourceGroup, base.vnetName, "Training");
  const nic = await network.networkInterfaces.beginCreateOrUpdateAndWait(
    other,
    "theirs-nic",
    { location: base.location, networkSecurityGroup: { id: nsg.id }, ipConfigurations: [{ name: "ipconfig1", subnet: { id: subnet.id }, privateIPAllocationMethod: "Dynamic" }] },
    azure.lro(),
  );
  const { readSshKeyPair } = await import("../../src/config/ssh-key.js");
  const compute = await azure.compute();
  const vm = await compute.virtualMachines.createOrUpdate(
    other,
    "theirs",
    {
      location: base.location,
      hardwareProfile: { vmSize: "Standard_D2s_v3" },
      storageProfile: {
        imageReference: { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" },
        osDisk: { createOption: "FromImage" },
      },
      osProfile: {
        computerName: "theirs",
        adminUsername: "azureuser",
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: "/home/azureuser/.ssh/authorized_keys", keyData: readSshKeyPair(key.path).publicKey }] },
        },
      },
      networkProfile: { networkInterfaces: [{ id: nic.id }] },
    },
    azure.lro(),
  );

  // The emulator, like Azure's SSH login, refuses the attach while the NSG's DenyAllInBound stands.
  const ml = await azure.machineLearning();
  const address = nic.ipConfigurations?.[0]?.privateIPAddress ?? "";
  await assert.rejects(
    ml.computeOperations.beginCreateOrUpdateAndWait(
      base.resourceGroup,
      base.workspace,
      "probe",
      {
        properties: {
          computeType: "VirtualMachine",
          resourceId: vm.id,
          properties: { address, sshPort: 22, administratorAccount: { username: "azureuser", privateKeyData: key.text } },
        },
      },
      azure.lro(),
    ),
    (e: Error & { code?: string }) => /DenyAllInBound/.test(e.message) && !e.message.includes(key.needles[0]!),
  );

  const config: DeploymentConfig = { ...base, attachCompute: vm.id, attachedVmSshKeyPath: key.path, attachedVmAdmin: "azureuser" };
  const run = await deploy({ config, secrets: testSecrets, azure }, ["attach-compute"]);
  assert.deepEqual(
    run.resources.map((r) => [r.kind, r.name, r.action]),
    [
      ["Microsoft.Network/networkSecurityGroups/securityRules", "AllowAzureMachineLearningSsh", "created"],
      ["Microsoft.MachineLearningServices/workspaces/computes", "theirs", "created"],
    ],
  );
  const rule = await network.securityRules.get(other, "theirs-nsg", "AllowAzureMachineLearningSsh");
  assert.deepEqual([rule.sourceAddressPrefix, rule.destinationPortRange, rule.protocol, rule.access], ["AzureMachineLearning", "22", "*", "Allow"]);
  const attached = (await ml.computeOperations.get(base.resourceGroup, base.workspace, "theirs")).properties as {
    computeType?: string;
    resourceId?: string;
    properties?: { address?: string };
  };
  assert.equal(attached.computeType, "VirtualMachine");
  assert.equal(attached.properties?.address, address);
  const again = await deploy({ config, secrets: testSecrets, azure }, ["attach-compute"]);
  assert.deepEqual(
    again.resources.map((r) => r.action),
    ["unchanged", "unchanged"],
    "a rerun changes nothing",
  );

  // destroy's part: detach (never delete) the VM, remove the rule this deployment created, keep the rest.
  const { detachExistingCompute } = await import("../../src/steps/attach-compute.js");
  const createdIds = run.resources.filter((r) => r.action === "created").map((r) => r.id);
  const removed = await detachExistingCompute(azure, config, createdIds);
  assert.equal(removed.length, 2, removed.join(", "));
  await assert.rejects(ml.computeOperations.get(base.resourceGroup, base.workspace, "theirs"), (e: { statusCode?: number }) => e.statusCode === 404, "the compute is detached");
  await assert.rejects(network.securityRules.get(other, "theirs-nsg", "AllowAzureMachineLearningSsh"), (e: { statusCode?: number }) => e.statusCode === 404, "our rule is gone");
  assert.equal((await compute.virtualMachines.get(other, "theirs")).name, "theirs", "their VM is never deleted");
  assert.ok(await network.networkSecurityGroups.get(other, "theirs-nsg"), "their NSG stays");
  assert.deepEqual(await detachExistingCompute(azure, config, []), [], "nothing recorded as created: nothing removed");

  // A VM that does not exist cannot be attached.
  await assert.rejects(
    ml.computeOperations.beginCreateOrUpdateAndWait(
      base.resourceGroup,
      base.workspace,
      "win",
      {
        properties: {
          computeType: "VirtualMachine",
          resourceId: `/subscriptions/${emulator().subscriptionId}/resourceGroups/${other}/providers/Microsoft.Compute/virtualMachines/missing`,
          properties: { address, administratorAccount: { username: "azureuser", privateKeyData: key.text } },
        },
      },
      azure.lro(),
    ),
    /was not found/,
  );
});
