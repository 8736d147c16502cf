// Issue 15, items 1 and 3 (the training page): `init --databricks --databricks-workspace NAME
// --restrict-outbound` as a subprocess against the emulator (spec validation on), read back through
// the real SDK clients; a re-run writes nothing; `verify` passes, then reports each tamper; `init`
// puts them back; `destroy` leaves no managed resource group behind. And every pre-write rule
// refuses bad input with exit 2 before any request.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AzureDatabricksManagementClient } from "@azure/arm-databricks";
import { NetworkManagementClient } from "@azure/arm-network";
import { ResourceManagementClient } from "@azure/arm-resources";
import { cleanEnv, emulatorArgs, emulatorForFile, oneJsonDocument, runCli, WRITE_METHODS, type ResultDoc } from "./cli-init-fixture.js";
import { restrictedOutboundRules, DENY_INTERNET_PRIORITY, DENY_INTERNET_RULE } from "../../src/steps/training-nsg.js";
import { DATABRICKS_NSG_RULES } from "../../src/emulator/providers/databricks.js";

const emulator = emulatorForFile({ validateSpecs: true });
const PREFIX = "dbx";
const RG = `${PREFIX}-rg`;
const VNET = `${PREFIX}-vnet`;
const WORKSPACE = "dbx-ws-1";
const MANAGED_RG = `databricks-rg-${WORKSPACE}`;
/** What every command line here deploys: Databricks with its workspace and restricted outbound, no Bastion or jump box. */
const FEATURES = ["--no-bastion", "--no-jumpbox", "--databricks", "--databricks-workspace", WORKSPACE, "--restrict-outbound"];

describe("init --databricks --databricks-workspace --restrict-outbound", () => {
  let dir: string;
  let state: string;
  let network: NetworkManagementClient;
  let databricks: AzureDatabricksManagementClient;
  let resources: ResourceManagementClient;
  const initArgs = (): string[] => ["init", "--yes", "--output", "json", ...FEATURES, ...emulatorArgs(emulator(), PREFIX, state)];
  const dayTwo = (command: string, extra: string[] = []): string[] => [
    command,
    ...extra,
    "--output",
    "json",
    "--endpoint",
    emulator().endpoint,
    "--ca-cert",
    emulator().caCertPath,
    "--state",
    state,
  ];

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-dbx-"));
    state = path.join(dir, "state.json");
    const e = emulator();
    network = new NetworkManagementClient(e.credential, e.subscriptionId, e.clientOptions);
    databricks = new AzureDatabricksManagementClient(e.credential, e.subscriptionId, e.clientOptions);
    resources = new ResourceManagementClient(e.credential, e.subscriptionId, e.clientOptions);
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it("completes, and every rule reads back from Azure's own resources", async () => {
    const first = await runCli(initArgs(), { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const doc = oneJsonDocument(first.stdout) as ResultDoc;
    const kinds = new Set(doc.resources.map((r) => r.kind.toLowerCase()));
    assert.ok(kinds.has("microsoft.databricks/workspaces"), "the result lists the Databricks workspace");

    // Subnets: default present; the two Databricks subnets delegated, behind the Databricks NSG.
    const nsgId = (await network.networkSecurityGroups.get(RG, `${VNET}-databricks-nsg`)).id;
    assert.ok(nsgId);
    const plain = await network.subnets.get(RG, VNET, "default");
    assert.equal(plain.addressPrefix, "172.16.8.0/24");
    for (const [name, prefix] of [
      ["databricks-public", "172.16.9.0/24"],
      ["databricks-private", "172.16.10.0/24"],
    ] as const) {
      const subnet = await network.subnets.get(RG, VNET, name);
      assert.equal(subnet.addressPrefix, prefix, name);
      assert.deepEqual(
        subnet.delegations?.map((d) => d.serviceName),
        ["Microsoft.Databricks/workspaces"],
        `${name} is delegated`,
      );
      assert.equal(subnet.networkSecurityGroup?.id?.toLowerCase(), nsgId.toLowerCase(), `${name} has the Databricks NSG`);
    }

    // The workspace: VNet-injected into our VNet and subnets, no public IP, its managed group Azure's.
    const ws = await databricks.workspaces.get(RG, WORKSPACE);
    const vnetId = (await network.virtualNetworks.get(RG, VNET)).id ?? "";
    assert.equal(ws.parameters?.customVirtualNetworkId?.value?.toLowerCase(), vnetId.toLowerCase());
    assert.equal(ws.parameters?.customPublicSubnetName?.value, "databricks-public");
    assert.equal(ws.parameters?.customPrivateSubnetName?.value, "databricks-private");
    assert.equal(ws.parameters?.enableNoPublicIp?.value, true);
    assert.equal(ws.location, "eastus");
    assert.match(ws.managedResourceGroupId, new RegExp(`/resourceGroups/${MANAGED_RG}$`, "i"));
    const managed = await resources.resourceGroups.get(MANAGED_RG);
    assert.equal(managed.managedBy?.toLowerCase(), ws.id?.toLowerCase(), "Azure created the managed group for the workspace");
    // No private endpoint for Databricks itself (the training page).
    const endpoints = [];
    for await (const pe of network.privateEndpoints.list(RG)) endpoints.push(pe);
    assert.ok(!endpoints.some((pe) => (pe.privateLinkServiceConnections ?? []).some((c) => /Microsoft\.Databricks/i.test(c.privateLinkServiceId ?? ""))));
    // Azure Databricks added its rules to the NSG.
    const dbxNsg = await network.networkSecurityGroups.get(RG, `${VNET}-databricks-nsg`);
    for (const rule of DATABRICKS_NSG_RULES)
      assert.ok(
        dbxNsg.securityRules?.some((r) => r.name === rule.name),
        rule.name,
      );

    // Restricted outbound on the Training NSG: each allowed service tag, and the Deny to Internet last.
    const training = await network.subnets.get(RG, VNET, "Training");
    assert.ok(training.networkSecurityGroup?.id, "Training has an NSG");
    const nsg = await network.networkSecurityGroups.get(RG, `${VNET}-training-nsg`);
    const outbound = (nsg.securityRules ?? []).filter((r) => r.direction === "Outbound");
    for (const wanted of restrictedOutboundRules("eastus", "AzureCloud")) {
      const rule = outbound.find((r) => r.name === wanted.name);
      assert.ok(rule, `outbound rule ${wanted.name}`);
      assert.equal(rule.destinationAddressPrefix, wanted.destination);
      assert.equal(rule.access, wanted.access ?? "Allow");
    }
    const tags = outbound
      .filter((r) => r.access === "Allow")
      .map((r) => r.destinationAddressPrefix)
      .sort();
    assert.deepEqual(tags, [
      "AzureActiveDirectory",
      "AzureContainerRegistry.eastus",
      "AzureFrontDoor.FirstParty",
      "AzureFrontDoor.FrontEnd",
      "AzureKeyVault.eastus",
      "AzureMachineLearning",
      "AzureMachineLearning",
      "AzureMonitor",
      "AzureResourceManager",
      "BatchNodeManagement.eastus",
      "MicrosoftContainerRegistry.eastus",
      "Storage.eastus",
    ]);
    const deny = outbound.find((r) => r.name === DENY_INTERNET_RULE);
    assert.equal(deny?.access, "Deny");
    assert.equal(deny?.destinationAddressPrefix, "Internet");
    assert.equal(deny?.priority, DENY_INTERNET_PRIORITY);
    assert.ok(
      outbound.every((r) => r === deny || (r.priority ?? 0) < DENY_INTERNET_PRIORITY),
      "the Deny is the last outbound rule",
    );
  });

  it("a re-run writes nothing (the NSG does not fight Databricks' rules)", async () => {
    await emulator().clearRequestLog();
    const second = await runCli(initArgs(), { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    const doc = oneJsonDocument(second.stdout) as ResultDoc;
    assert.equal(doc.counts.writes, 0);
    for (const r of doc.resources) assert.equal(r.action, "unchanged", `${r.kind} ${r.name}`);
    const writes = (await emulator().requestLog()).filter((e) => WRITE_METHODS.has(e.method));
    assert.deepEqual(
      writes.map((e) => `${e.method} ${e.path}`),
      [],
    );
  });

  it("plan and plan --diagram know every new resource", async () => {
    const planned = await runCli(["plan", "--output", "json", ...FEATURES, ...emulatorArgs(emulator(), PREFIX, state)], { cwd: dir, env: cleanEnv() });
    assert.equal(planned.code, 0, planned.stderr);
    const doc = oneJsonDocument(planned.stdout) as ResultDoc;
    const names = new Set((doc.planned ?? doc.resources).map((r) => r.name));
    for (const name of [WORKSPACE, "default", "databricks-public", "databricks-private", `${VNET}-databricks-nsg`, `${VNET}-training-nsg`])
      assert.ok(names.has(name), `plan lists ${name}`);
    const diagramFile = path.join(dir, "architecture.mmd");
    const diagram = await runCli(["plan", "--diagram", diagramFile, ...FEATURES, ...emulatorArgs(emulator(), PREFIX, state)], { cwd: dir, env: cleanEnv() });
    assert.equal(diagram.code, 0, diagram.stderr);
    const mermaid = await fs.readFile(diagramFile, "utf8");
    for (const text of ["databricks-public 172.16.9.0/24", "databricks-private 172.16.10.0/24", "default 172.16.8.0/24", `Azure Databricks ${WORKSPACE}`, "Internet denied"])
      assert.ok(mermaid.includes(text), `diagram shows ${text}`);
  });

  it("verify passes, then reports each tamper; init puts everything back", async () => {
    const clean = await runCli(dayTwo("verify"), { cwd: dir, env: cleanEnv() });
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    const checks = (oneJsonDocument(clean.stdout) as ResultDoc).details?.checks as Array<{ id: string; examined: number; passed: boolean }>;
    for (const id of ["databricks-subnets", "databricks-workspace-injection", "restricted-outbound", "training-nsg-rules"]) {
      const check = checks.find((c) => c.id === id);
      assert.ok(check && check.examined > 0 && check.passed, `${id}: ${JSON.stringify(check)}`);
    }

    // 1. public IPs on the Databricks clusters (first: Azure refuses a workspace write once a subnet is not delegated).
    const ws = await databricks.workspaces.get(RG, WORKSPACE);
    await databricks.workspaces.beginCreateOrUpdateAndWait(
      RG,
      WORKSPACE,
      { ...ws, parameters: { ...ws.parameters, enableNoPublicIp: { value: false } } },
      { updateIntervalInMs: 5 },
    );
    // 2. the Deny to Internet removed;
    await network.securityRules.beginDeleteAndWait(RG, `${VNET}-training-nsg`, DENY_INTERNET_RULE, { updateIntervalInMs: 5 });
    // 3. the NSG taken off databricks-private; 4. the delegation removed from databricks-public.
    const priv = await network.subnets.get(RG, VNET, "databricks-private");
    await network.subnets.beginCreateOrUpdateAndWait(RG, VNET, "databricks-private", { ...priv, networkSecurityGroup: undefined }, { updateIntervalInMs: 5 });
    const pub = await network.subnets.get(RG, VNET, "databricks-public");
    await network.subnets.beginCreateOrUpdateAndWait(RG, VNET, "databricks-public", { ...pub, delegations: [] }, { updateIntervalInMs: 5 });

    const tampered = await runCli(dayTwo("verify"), { cwd: dir, env: cleanEnv() });
    assert.equal(tampered.code, 1, tampered.stderr);
    const findings = (oneJsonDocument(tampered.stdout) as ResultDoc).details?.findings as Array<{ check: string; name: string; problem: string }>;
    const said = (check: string, pattern: RegExp) =>
      assert.ok(
        findings.some((f) => f.check === check && pattern.test(f.problem)),
        `${check} ${pattern}: ${JSON.stringify(findings)}`,
      );
    said("restricted-outbound", /no outbound Deny to Internet/);
    said("databricks-subnets", /databricks-private has no network security group/);
    said("databricks-subnets", /databricks-public is not delegated/);
    said("databricks-workspace-injection", /public IP/);

    const repair = await runCli(initArgs(), { cwd: dir });
    assert.equal(repair.code, 0, repair.stderr);
    const again = await runCli(dayTwo("verify"), { cwd: dir, env: cleanEnv() });
    assert.equal(again.code, 0, again.stdout);
  });

  it("an Allow after the Deny is reported: the Deny must be last", async () => {
    await network.securityRules.beginCreateOrUpdateAndWait(
      RG,
      `${VNET}-training-nsg`,
      "AllowLateOutbound",
      {
        direction: "Outbound",
        access: "Allow",
        protocol: "Tcp",
        priority: 4050,
        sourceAddressPrefix: "VirtualNetwork",
        sourcePortRange: "*",
        destinationAddressPrefix: "Sql",
        destinationPortRange: "1433",
      },
      { updateIntervalInMs: 5 },
    );
    const result = await runCli(dayTwo("verify"), { cwd: dir, env: cleanEnv() });
    assert.equal(result.code, 1);
    const findings = (oneJsonDocument(result.stdout) as ResultDoc).details?.findings as Array<{ check: string; problem: string }>;
    assert.ok(
      findings.some((f) => f.check === "restricted-outbound" && /is not the last outbound rule: AllowLateOutbound/.test(f.problem)),
      JSON.stringify(findings),
    );
    await network.securityRules.beginDeleteAndWait(RG, `${VNET}-training-nsg`, "AllowLateOutbound", { updateIntervalInMs: 5 });
  });

  it("status reads the new resources back", async () => {
    const result = await runCli(dayTwo("status"), { cwd: dir, env: cleanEnv() });
    assert.equal(result.code, 0, result.stderr);
    for (const name of [WORKSPACE, "databricks-public", "databricks-private", "default", `${VNET}-databricks-nsg`]) assert.ok(result.stdout.includes(name), `status shows ${name}`);
    assert.ok(!/Microsoft\.Databricks\/workspaces[^\n]*(missing|not found)/i.test(result.stdout), result.stdout);
  });

  it("destroy deletes the group; Azure deletes the Databricks managed group with the workspace", async () => {
    const result = await runCli(dayTwo("destroy", ["--yes"]), { cwd: dir, env: cleanEnv() });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await resources.resourceGroups.checkExistence(RG).then((r) => r.body), false);
    assert.equal(await resources.resourceGroups.checkExistence(MANAGED_RG).then((r) => r.body), false);
  });
});

describe("pre-write rules: exit 2 and no request", () => {
  const cases: Array<{ name: string; args: string[]; field: RegExp; rule: RegExp }> = [
    {
      name: "Databricks subnet smaller than /26",
      args: ["--databricks", "--databricks-public-subnet", "172.16.9.0/27"],
      field: /databricksPublicSubnet|--databricks-public-subnet/,
      rule: /\/26 or larger/,
    },
    {
      name: "Databricks subnet outside the VNet",
      args: ["--databricks", "--databricks-private-subnet", "10.9.0.0/24"],
      field: /--databricks-private-subnet/,
      rule: /not inside the address space/,
    },
    { name: "default subnet overlapping Training", args: ["--databricks", "--default-subnet", "172.16.0.0/25"], field: /--default-subnet/, rule: /overlaps the Training subnet/ },
    {
      name: "Databricks subnets overlapping each other",
      args: ["--databricks", "--databricks-private-subnet", "172.16.9.0/26"],
      field: /--databricks-private-subnet/,
      rule: /overlaps the databricks-public subnet/,
    },
    {
      name: "managed resource group = the deployment's group",
      args: ["--databricks-workspace", "dbx1", "--databricks-managed-resource-group", "pw-rg"],
      field: /--databricks-managed-resource-group/,
      rule: /must differ from --resource-group/,
    },
    {
      name: "workspace without the Databricks subnets",
      args: ["--no-databricks", "--databricks-workspace", "dbx1"],
      field: /--databricks-workspace/,
      rule: /needs the Databricks subnets/,
    },
    { name: "bad Databricks workspace name", args: ["--databricks-workspace", "db.x"], field: /--databricks-workspace/, rule: /Azure Databricks workspace name/ },
    { name: "restricted outbound without the Training NSG", args: ["--restrict-outbound", "--no-training-nsg"], field: /--restrict-outbound/, rule: /Training subnet's NSG/ },
  ];
  for (const c of cases) {
    it(c.name, async (t) => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-dbx-bad-"));
      t.after(() => fs.rm(dir, { recursive: true, force: true }));
      await emulator().clearRequestLog();
      const result = await runCli(["init", "--yes", ...c.args, ...emulatorArgs(emulator(), "pw", path.join(dir, "state.json"))], { cwd: dir });
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, c.field);
      assert.match(result.stderr, c.rule);
      assert.deepEqual(await emulator().requestLog(), [], "no request reached Azure");
    });
  }
});
