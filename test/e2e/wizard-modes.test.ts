// The same `init --yes` run under the three renderers, against the emulator: a terminal (a real
// pseudo-terminal: spinners, colours, the summary), plain (a pipe with CI=1: timestamped lines, no
// escape code anywhere) and JSON (exactly one parseable document on stdout). Every run has a stdin
// pipe that stays open and never sends anything: with --yes nothing may wait on it.

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import fs from "node:fs/promises";
import { cleanEnv, declaredByState, emulatorArgs, emulatorForFile, ESCAPE, oneJsonDocument, PASSWORD, runCli, tempDir, type ResultDoc } from "./cli-init-fixture.js";
import { idSet } from "../helpers/declared.js";
import type { DeploymentConfig } from "../../src/config/types.js";
import { stepsFor } from "../../src/steps/index.js";
import { runInPty, screenTail, terminalEnv } from "./wizard-pty-fixture.js";

const emulator = emulatorForFile();

/** "... is ready (2.0s): 55 created, 1 updated." → { created: 55, updated: 1 } */
function headlineCounts(text: string): Record<string, number> {
  const line = /is ready \([^)]*\): ([^\n]*)/.exec(text)?.[1] ?? "";
  const counts: Record<string, number> = {};
  for (const m of line.matchAll(/(\d+) (created|updated|unchanged)/g)) counts[m[2] as string] = Number(m[1]);
  return counts;
}

function actionCounts(doc: ResultDoc): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of doc.resources) counts[r.action] = (counts[r.action] ?? 0) + 1;
  return counts;
}

test("init --yes under the tty, plain and json renderers: the same deployment, each in its own form", { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t, "modes");

  // JSON: one document on stdout, the reference for the others.
  const jsonState = path.join(dir, "json.json");
  const json = await runCli(["init", "--yes", "--output", "json", ...emulatorArgs(emulator(), "modejson", jsonState)], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  const doc = oneJsonDocument(json.stdout) as ResultDoc;
  assert.equal(doc.ok, true);
  assert.equal(doc.command, "init");
  assert.deepEqual(doc.errors, []);
  assert.deepEqual(idSet(doc.resources), idSet(await declaredByState(emulator(), jsonState)), "every resource the steps declare, and only those");
  for (const r of doc.resources) assert.match(r.id, /^\/subscriptions\/[^/]+\/resource[gG]roups\/modejson-rg/i, r.id);
  assert.doesNotMatch(json.stdout + json.stderr, ESCAPE, "no escape codes in JSON mode without a terminal");
  const expected = actionCounts(doc);

  // Plain: CI=1 on a pipe (stdin open and silent): timestamped lines on stderr, the summary on stdout.
  const plainState = path.join(dir, "plain.json");
  const plain = await runCli(["init", "--yes", ...emulatorArgs(emulator(), "modeplain", plainState)], { cwd: dir, env: cleanEnv({ CI: "1" }) });
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stdout, ESCAPE, "plain stdout has no escape code");
  assert.doesNotMatch(plain.stderr, ESCAPE, "plain stderr has no escape code");
  const lines = plain.stderr.trimEnd().split("\n");
  for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+\s/, `timestamped: ${line}`);
  // One "start" and one "done" line for each step of this deployment (stepsFor its configuration).
  const { config: plainConfig } = JSON.parse(await fs.readFile(plainState, "utf8")) as { config: DeploymentConfig };
  const tagged = (tag: string) =>
    lines
      .map((l) => l.replace(/^\S+ /, ""))
      .filter((l) => l.startsWith(`${tag} `))
      .map((l) => l.slice(tag.length).trimStart());
  const titles = stepsFor(plainConfig).map((step) => step.title);
  assert.deepEqual(
    titles.map((title) => tagged("done").filter((l) => l.startsWith(`${title} (`)).length),
    titles.map(() => 1),
    `one done line per step:\n${plain.stderr}`,
  );
  assert.equal(tagged("done").length, titles.length, plain.stderr);
  // A start line for each step (a retried step has one per attempt), none for anything else.
  assert.deepEqual(
    titles.filter((title) => !tagged("start").some((l) => l === title || l.startsWith(`${title} (`))),
    [],
    plain.stderr,
  );
  assert.deepEqual(
    tagged("start").filter((l) => !titles.some((title) => l === title || l.startsWith(`${title} (`))),
    [],
    plain.stderr,
  );
  assert.match(plain.stdout, /"modeplain-ws" is ready/);
  // The headline may add the workspace's second touch (image build) as "1 updated"; creations must agree.
  assert.equal(headlineCounts(plain.stdout).created, expected.created, plain.stdout.split("\n")[0]);
  assert.ok(!plain.stdout.includes(PASSWORD) && !plain.stderr.includes(PASSWORD));

  // Terminal: a real pseudo-terminal (120x40); --yes, so nothing is asked and nothing read.
  const tty = await runInPty(t, {
    args: ["init", "--yes", ...emulatorArgs(emulator(), "modetty", path.join(dir, "tty.json"))],
    cwd: dir,
    env: terminalEnv({ SECURE_AML_JUMPBOX_PASSWORD: PASSWORD }),
    steps: [],
  });
  assert.equal(tty.error, null, screenTail(tty));
  assert.equal(tty.exitCode, 0, screenTail(tty));
  assert.match(tty.screen, ESCAPE, "the terminal gets escape codes (colour, spinner redraws)");
  assert.match(tty.text, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/, "a spinner ran");
  assert.match(tty.text, /✔ Resource group\s+\d/, "finished steps with their durations");
  assert.match(tty.text, /Azure Bastion.*usually ~\d+ min/, "long steps say they are expected to be long");
  assert.doesNotMatch(tty.text, /\? /, "nothing was asked");
  assert.match(tty.text, /"modetty-ws" is ready/);
  assert.equal(headlineCounts(tty.text).created, expected.created);
  assert.ok(!tty.screen.includes(PASSWORD));
});
