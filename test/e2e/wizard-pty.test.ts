// The interactive wizard of `secure-aml init`, driven through a real pseudo-terminal (keystrokes in,
// screen text out) against the emulator: the short path (five questions to the review), values edited
// from the review (a range, a taken storage name rejected on the spot and its suggestion taken) and the
// review confirmed, the deployment finished and its answers replayed with `--config ... --yes`; and
// Ctrl-C during the run (interrupted, not failed; exit 130), then a plain `secure-aml init` that opens
// with the recorded deployment and, accepted, finishes it without a question about names or ranges.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { cleanEnv, resourcesIn, runCli, stateSteps, tempDir } from "./cli-init-fixture.js";
import { answer, runInPty, screenTail, shellWords, terminalEnv, type PtyStep } from "./wizard-pty-fixture.js";

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

const DOWN = "\u001b[B";

/** The distinct questions ("? message") the screen showed before `until`. */
function questionsBefore(text: string, until: RegExp): string[] {
  const end = text.search(until);
  const head = end < 0 ? text : text.slice(0, end);
  const seen: string[] = [];
  for (const m of head.matchAll(/^\? ([^\n(?]+)/gm)) {
    const q = (m[1] ?? "").trim();
    if (!seen.some((s) => s.startsWith(q) || q.startsWith(s))) seen.push(q);
  }
  return seen;
}

/** The five questions of the short path, every proposed answer kept and the password typed. */
function shortPath(prefix: string): PtyStep[] {
  return [
    ...answer("Subscription"),
    ...answer("Region"),
    ...answer("Name prefix", prefix),
    ...answer("Jump box administrator password", PASSWORD, { masked: true }),
    ...answer("Use the tutorial's settings"),
  ];
}

test("the wizard in a terminal: five questions to the review, values edited from the review, confirmed, finished, replayed", { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t, "pty");
  const state = path.join(dir, "state.json");
  const steps: PtyStep[] = [
    ...shortPath("ptywiz"),
    // The review: every value and the cost; change a value.
    { expect: "Estimated cost \\(USD", timeout: 120 },
    { expect: "\\? Create these resources now\\?" },
    { send: DOWN + DOWN },
    { expect: "❯ Change a value" },
    { send: "\r" },
    // Jump to the address space by typing its first letters, give a new one.
    { expect: "\\? Change which value\\?" },
    { send: "VNet address" },
    { expect: "❯ VNet address space: 172\\.16\\.0\\.0/16" },
    { send: "\r" },
    { expect: "\\? VNet address space" },
    { send: "10.20.0.0/16", echo: "10.20.0.0/16" },
    { send: "\r" },
    // The storage account: a name someone else holds is refused on the spot with a free suggestion.
    { expect: "\\? Change which value\\?" },
    { send: "Storage account" },
    { expect: "❯ Storage account \\(global\\): " },
    { send: "\r" },
    { expect: "\\? Storage account \\(global\\)" },
    { send: TAKEN_STORAGE, echo: TAKEN_STORAGE },
    { send: "\r" },
    { expect: `"${TAKEN_STORAGE}" is not available \\(AlreadyExists\\); "([a-z0-9]+)" is free` },
    { send: "\u0015{1}", echo: "{1}" },
    { send: "\r" },
    // Back to the review, which shows the new values; create it and save the answers.
    { expect: "\\? Change which value\\?" },
    { send: "\r" },
    { expect: "Training subnet\\s+10\\.20\\.0\\.0/24" },
    { expect: "\\? Create these resources now\\?" },
    { send: DOWN },
    { expect: "❯ Create it, and save these answers" },
    { send: "\r" },
    { expect: "is ready", timeout: 300 },
  ];
  const report = await runInPty(t, { args: ["init", ...endpointArgs(state)], cwd: dir, env: terminalEnv(), steps });
  const { text } = report;
  assert.equal(report.error, null, screenTail(report));
  assert.equal(report.exitCode, 0, screenTail(report));

  // At most five questions before the review, all of them the short path's.
  const asked = questionsBefore(text, /Review \(nothing has been created yet\)/);
  assert.deepEqual(
    asked.map((q) => q.split(" ").slice(0, 2).join(" ")),
    ["Subscription", "Region", "Name prefix", "Jump box", "Use the"],
    asked.join(" | "),
  );
  assert.ok(asked.length <= 5, `${asked.length} questions before the review: ${asked.join(" | ")}`);

  // What the screen showed.
  const suggestion = new RegExp(`"${TAKEN_STORAGE}" is not available \\(AlreadyExists\\); "([a-z0-9]+)" is free`).exec(text)?.[1];
  assert.ok(suggestion, "the taken name was rejected with a suggestion");
  assert.ok(!report.screen.includes(PASSWORD), "the password never appears on the screen");
  assert.ok(report.screen.includes("*".repeat(PASSWORD.length)), "the password was masked");
  assert.match(text, /Resource group\s+ptywiz-rg/, "the resource group follows the prefix");
  assert.match(text, /Total\s+\$\d+\.\d+\/h\s+\$\d+\.\d+\/month/, "the review shows the cost");
  assert.match(text, /`secure-aml stop` saves/);
  assert.match(text, /✔ Resource group/, "finished steps are listed");
  assert.match(text, /Secure Azure Machine Learning workspace "ptywiz-ws" is ready/);
  // The end shows what changed and what next, not the plan again; and no "generated" password.
  const end = text.slice(text.search(/is ready/));
  assert.match(end, /What changed:/);
  assert.match(end, /Next:/);
  assert.doesNotMatch(end, /\+ create/, "the plan is not printed again");
  assert.match(end, /with the password you chose/);
  assert.doesNotMatch(end, /generated/);

  // What was built and kept.
  const built = await resourcesIn(emulator, "ptywiz-rg");
  assert.ok(
    built.some((r) => r.type === "microsoft.storage/storageaccounts" && r.id.endsWith(`/${suggestion}`)),
    `storage account ${suggestion} exists`,
  );
  assert.ok(built.some((r) => r.type === "microsoft.network/virtualnetworks"));
  const savedPath = path.join(dir, "secure-aml.json");
  const savedText = await fs.readFile(savedPath, "utf8");
  assert.ok(!savedText.includes(PASSWORD) && !/password/i.test(savedText), "the saved answers hold no password");
  const saved = JSON.parse(savedText) as Record<string, unknown>;
  assert.equal(saved.storageAccount, suggestion);
  assert.equal(saved.vnetAddressSpace, "10.20.0.0/16");
  assert.equal(saved.trainingSubnet, "10.20.0.0/24", "the subnets followed the edited address space");
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
  assert.deepEqual(
    writes.map((e) => `${e.method} ${e.path}`),
    [],
    "the replay found everything as the wizard built it",
  );
});

test("Ctrl-C during the run, then `secure-aml init` again: the first screen offers to resume, accepting finishes the same deployment", { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t, "ptyint");
  const state = path.join(dir, "state.json");
  const steps: PtyStep[] = [
    ...shortPath("ptyint"),
    ...answer("Create these resources now\\?"),
    // The first step finished, the long ones are running: Ctrl-C as a person would press it.
    { expect: "✔ Resource group", timeout: 120 },
    { send: "\u0003" },
    { expect: "Press Ctrl-C again to quit now", timeout: 30 },
  ];
  const first = await runInPty(t, { args: ["init", ...endpointArgs(state)], cwd: dir, env: terminalEnv(), steps });
  assert.equal(first.error, null, screenTail(first));
  assert.equal(first.exitCode, 130, screenTail(first));
  assert.doesNotMatch(first.text, /is ready/, "the run stopped before the end");
  assert.ok(!first.screen.includes(PASSWORD));
  // It said what it waits for, and the steps it stopped are interrupted, not failed.
  assert.match(first.text, /Ctrl-C: (waiting for .+ to reach a safe point|stopping after the requests in flight), then saving the state/);
  assert.match(first.text, /operations already sent continue in Azure and the next `secure-aml init` picks them up/);
  assert.doesNotMatch(first.text, /✖|failed after/, "no step is shown as failed");

  const recorded = await stateSteps(state);
  const statuses = Object.values(recorded).map((s) => s.status);
  assert.ok(statuses.includes("done"), "finished steps are recorded");
  assert.ok(!statuses.includes("running"), `no step is left running: ${statuses.join(" ")}`);
  const done = statuses.filter((s) => s === "done").length;

  // The same plain command again: the recorded deployment first, resumed with its saved answers.
  const again = await runInPty(t, {
    args: ["init", ...endpointArgs(state)],
    cwd: dir,
    env: terminalEnv(),
    steps: [
      { expect: "Found a deployment in" },
      { expect: `workspace "ptyint-ws" in resource group ptyint-rg \\(eastus\\)` },
      { expect: `${done}/\\d+ steps done; last run` },
      ...answer("What now\\?"),
      ...answer("Jump box administrator password", PASSWORD, { masked: true }),
      { expect: "is ready", timeout: 300 },
    ],
  });
  assert.equal(again.error, null, screenTail(again));
  assert.equal(again.exitCode, 0, screenTail(again));
  const asked = questionsBefore(again.text, /is ready/);
  assert.deepEqual(
    asked.map((q) => q.split(" ").slice(0, 2).join(" ")),
    ["What now", "Jump box"],
    `only the resume choice and the password: ${asked.join(" | ")}`,
  );
  assert.doesNotMatch(again.text, /\? (Name prefix|Region|VNet address space|Training subnet|Change which value)/, "no question about names or ranges");
  assert.match(again.text, /Secure Azure Machine Learning workspace "ptyint-ws" is ready/);
  assert.ok(!again.screen.includes(PASSWORD));
  const built = await resourcesIn(emulator, "ptyint-rg");
  assert.ok(
    built.some((r) => r.type === "microsoft.machinelearningservices/workspaces"),
    "the resumed run finished the same deployment",
  );

  // A script resumes it silently: --yes, nothing but the state and the endpoint.
  await emulator.clearRequestLog();
  const silent = await runCli(["init", "--yes", ...endpointArgs(state)], { cwd: dir, env: cleanEnv({ SECURE_AML_JUMPBOX_PASSWORD: PASSWORD }) });
  assert.equal(silent.code, 0, silent.stderr);
  assert.match(silent.stdout, /"ptyint-ws" is ready/);
  assert.match(silent.stdout, /Nothing changed/);
  const writes = (await emulator.requestLog()).filter((e) => ["PUT", "PATCH", "DELETE"].includes(e.method));
  assert.deepEqual(
    writes.map((e) => `${e.method} ${e.path}`),
    [],
  );
});
