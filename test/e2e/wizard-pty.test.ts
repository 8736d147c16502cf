// The interactive wizard of `secure-aml init`, driven through a real pseudo-terminal (keystrokes in,
// screen text out) against the emulator: from the first question to a finished deployment, with a
// taken storage name rejected on the spot and its suggestion accepted, a subnet outside the address
// space rejected and corrected, the masked password, the plan, the confirmation and the saved answers
// (replayed with `--config ... --yes`); and Ctrl-C during the run (exit 130, state kept, the printed
// resume command finishing the deployment).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { cleanEnv, resourcesIn, runCli, stateSteps, tempDir } from "./cli-init-fixture.js";
import { answer, literal, runInPty, screenTail, shellWords, terminalEnv, type PtyStep } from "./wizard-pty-fixture.js";

const PASSWORD = "Pty-Secret-Horse-42";
const TAKEN_STORAGE = "ptytakenstore1";

let emulator: TestEmulator;

before(async () => {
  // Realistic durations scaled down: a run takes seconds, long enough to press Ctrl-C in the middle.
  emulator = await startTestEmulator({ latency: "realistic", timeScale: 0.02 });
  await emulator.seedTakenName("storage", TAKEN_STORAGE);
});
after(async () => {
  await emulator?.stop();
});

function endpointArgs(state: string): string[] {
  return ["--endpoint", emulator.endpoint, "--ca-cert", emulator.caCertPath, "--state", state];
}

const OTHER_NAMES = [
  "Key vault \\(global\\)",
  "Container registry \\(global\\)",
  "ML workspace",
  "Log Analytics",
  "Application Insights",
  "Monitor private link scope",
  "Bastion",
  "Bastion public IP",
  "Jump box VM",
  "Compute cluster",
  "Compute instance",
];

/** Jump box, Bastion, compute and storage-endpoint questions, all kept at their defaults, password typed. */
function optionSteps(): PtyStep[] {
  return [
    ...answer("Create the jump box"),
    ...answer("Jump box administrator name"),
    ...answer("Jump box administrator password", PASSWORD, { masked: true }),
    ...answer("The same password again", PASSWORD, { masked: true }),
    ...answer("Jump box VM size"),
    ...answer("Daily auto-shutdown time"),
    ...answer("Create Azure Bastion"),
    ...answer("Compute cluster \\([^)]*\\) node size"),
    ...answer("Minimum cluster nodes"),
    ...answer("Maximum cluster nodes"),
    ...answer("Compute instance \\([^)]*\\) size"),
    ...answer("Add queue and table private endpoints"),
  ];
}

test("the wizard in a terminal: first question to finished deployment, a taken name and a bad range corrected, answers replayed", { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t, "pty");
  const state = path.join(dir, "state.json");
  const steps: PtyStep[] = [
    ...answer("Subscription"),
    ...answer("Resource group"),
    ...answer("Name of the new resource group", "ptywiz-rg"),
    ...answer("Region"),
    ...answer("Name prefix", "ptywiz"),
    // Edit the names: keep the VNet's, type a storage name someone else holds.
    ...answer("Use these names\\?", "n"),
    ...answer("Virtual network name"),
    { expect: "\\? Storage account \\(global\\) name" },
    { send: TAKEN_STORAGE, echo: TAKEN_STORAGE },
    { send: "\r" },
    // Rejected on the spot with a free name: clear the line (Ctrl-U) and take the suggestion.
    { expect: `"${TAKEN_STORAGE}" is not available \\(AlreadyExists\\); "([a-z0-9]+)" is free` },
    { send: "\u0015{1}", echo: "{1}" },
    { send: "\r" },
    ...OTHER_NAMES.flatMap((name) => answer(`${name} name`)),
    // A Training subnet outside the address space: rejected with the rule, then the default kept.
    ...answer("VNet address space"),
    { expect: "\\? Training subnet" },
    { send: "10.0.0.0/24", echo: "10.0.0.0/24" },
    { send: "\r" },
    { expect: "Training 10\\.0\\.0\\.0/24 is not inside the address space 172\\.16\\.0\\.0/16" },
    { send: "\u0015" },
    { send: "\r" },
    ...answer("Scoring subnet"),
    ...answer("AzureBastionSubnet"),
    ...optionSteps(),
    { expect: "resources? to create", timeout: 180 },
    ...answer("Create these resources now\\?"),
    ...answer("Save these answers to a config file"),
    ...answer("Config file"),
    { expect: "is ready", timeout: 300 },
  ];
  const report = await runInPty(t, { args: ["init", ...endpointArgs(state)], cwd: dir, env: terminalEnv(), steps });
  const { text } = report;
  assert.equal(report.error, null, screenTail(report));
  assert.equal(report.exitCode, 0, screenTail(report));

  // What the screen showed.
  const suggestion = new RegExp(`"${TAKEN_STORAGE}" is not available \\(AlreadyExists\\); "([a-z0-9]+)" is free`).exec(text)?.[1];
  assert.ok(suggestion, "the taken name was rejected with a suggestion");
  assert.match(text, /Training 10\.0\.0\.0\/24 is not inside the address space 172\.16\.0\.0\/16/);
  assert.ok(!report.screen.includes(PASSWORD), "the password never appears on the screen");
  assert.ok(report.screen.includes("*".repeat(PASSWORD.length)), "the password was masked");
  const planAt = text.search(/Virtual network and its subnets/);
  const confirmAt = text.search(/\? Create these resources now\?/);
  assert.ok(planAt > 0 && planAt < confirmAt, "the plan is shown before the confirmation");
  assert.match(text.slice(planAt, confirmAt), new RegExp(`\\+ create\\s+storageAccounts\\s+${literal(suggestion)}`));
  assert.match(text, /✔ Resource group/, "finished steps are listed");
  assert.match(text, /Secure Azure Machine Learning workspace "ptywiz-ws" is ready/);

  // What was built and kept.
  const built = await resourcesIn(emulator, "ptywiz-rg");
  assert.ok(built.some((r) => r.type === "microsoft.storage/storageaccounts" && r.id.endsWith(`/${suggestion}`)), `storage account ${suggestion} exists`);
  assert.ok(built.some((r) => r.type === "microsoft.network/virtualnetworks"));
  const savedPath = path.join(dir, "secure-aml.json");
  const savedText = await fs.readFile(savedPath, "utf8");
  assert.ok(!savedText.includes(PASSWORD) && !/password/i.test(savedText), "the saved answers hold no password");
  const saved = JSON.parse(savedText) as Record<string, unknown>;
  assert.equal(saved.storageAccount, suggestion);
  assert.equal(saved.trainingSubnet, "172.16.0.0/24");
  assert.equal(saved.resourceGroup, "ptywiz-rg");
  assert.equal(saved.subscriptionId, emulator.subscriptionId);
  const stateText = await fs.readFile(state, "utf8");
  assert.ok(!stateText.includes(PASSWORD), "the state holds no password");

  // The replay command the wizard printed, run as a script: the same deployment, nothing to write.
  const replayLine = /Replay without questions: (secure-aml init .*--yes)/.exec(text)?.[1];
  assert.ok(replayLine, "the wizard printed the replay command");
  const replayArgs = shellWords(replayLine).slice(1);
  assert.ok(replayArgs.includes("--config") && replayArgs.includes("--endpoint"), replayLine);
  await emulator.clearRequestLog();
  const replay = await runCli(replayArgs, { cwd: dir, env: cleanEnv({ SECURE_AML_JUMPBOX_PASSWORD: PASSWORD }) });
  assert.equal(replay.code, 0, replay.stderr);
  assert.match(replay.stdout, /"ptywiz-ws" is ready/);
  const writes = (await emulator.requestLog()).filter((e) => ["PUT", "PATCH", "DELETE"].includes(e.method));
  assert.deepEqual(writes.map((e) => `${e.method} ${e.path}`), [], "the replay found everything as the wizard built it");
});

test("Ctrl-C in the terminal during the run: exit 130, state saved, the printed resume command finishes the job", { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t, "ptyint");
  const state = path.join(dir, "state.json");
  const steps: PtyStep[] = [
    ...answer("Resource group"),
    // Not the default name: the resume command must carry it.
    ...answer("Name of the new resource group", "ptyint-group"),
    ...answer("Use these names\\?"),
    ...answer("VNet address space"),
    ...answer("Training subnet"),
    ...answer("Scoring subnet"),
    ...answer("AzureBastionSubnet"),
    ...optionSteps(),
    ...answer("Create these resources now\\?"),
    ...answer("Save these answers to a config file", "n"),
    // The first step finished, the long ones are running: Ctrl-C as a person would press it.
    { expect: "✔ Resource group", timeout: 120 },
    { send: "\u0003" },
  ];
  const args = ["init", "--subscription", emulator.subscriptionId, "--location", "eastus", "--prefix", "ptyint", ...endpointArgs(state)];
  const report = await runInPty(t, { args, cwd: dir, env: terminalEnv(), steps });
  assert.equal(report.error, null, screenTail(report));
  assert.equal(report.exitCode, 130, screenTail(report));
  assert.doesNotMatch(report.text, /is ready/, "the run stopped before the end");
  assert.ok(!report.screen.includes(PASSWORD));

  const recorded = await stateSteps(state);
  const statuses = Object.values(recorded).map((s) => s.status);
  assert.ok(statuses.includes("done"), "finished steps are recorded");
  assert.ok(!statuses.includes("running"), `no step is left running: ${statuses.join(" ")}`);

  const resumeLine = /next: (secure-aml init --state .*)/.exec(report.text)?.[1]?.trim();
  assert.ok(resumeLine, screenTail(report));
  assert.ok(!resumeLine.includes(PASSWORD));
  // The wizard's answers are in it (nothing saved to a file), so a script can finish the deployment.
  const resumeArgs = shellWords(resumeLine).slice(1);
  assert.ok(resumeArgs.includes("--state") && resumeArgs.includes("--endpoint"), resumeLine);
  assert.equal(resumeArgs[resumeArgs.indexOf("--resource-group") + 1], "ptyint-group", resumeLine);
  const resumed = await runCli(resumeArgs, { cwd: dir, env: cleanEnv({ SECURE_AML_JUMPBOX_PASSWORD: PASSWORD }) });
  assert.equal(resumed.code, 0, `${resumeLine}\n${resumed.stderr}`);
  assert.match(resumed.stdout, /"ptyint-ws" is ready/);
  const built = await resourcesIn(emulator, "ptyint-group");
  assert.ok(built.some((r) => r.type === "microsoft.machinelearningservices/workspaces"), "the resumed run finished in the group the wizard named");
});
