// `secure-aml init` as a subprocess against the emulator (spec validation on): the JSON result of a
// full run, a converged re-run with zero writes, `init --local --yes` (the README's first command),
// and the static test token refused for a non-loopback endpoint before any request.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { idSet } from "../helpers/declared.js";
import type { DeploymentConfig } from "../../src/config/types.js";
import { stepsFor } from "../../src/steps/index.js";
import {
  cleanEnv,
  declaredByState,
  emulatorArgs,
  emulatorForFile,
  ESCAPE,
  oneJsonDocument,
  resourcesIn,
  runCli,
  stateSteps,
  tempDir,
  WRITE_METHODS,
  type ResultDoc,
} from "./cli-init-fixture.js";

const emulator = emulatorForFile({ validateSpecs: true });

test("init --yes --output json creates every resource, then a re-run writes nothing", async (t) => {
  const dir = await tempDir(t);
  const state = path.join(dir, "state.json");
  const args = ["init", "--yes", "--output", "json", ...emulatorArgs(emulator(), "clijson", state)];

  const first = await runCli(args, { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  assert.doesNotMatch(first.stderr, ESCAPE, "no escape codes on stderr without a terminal");
  const doc = oneJsonDocument(first.stdout) as ResultDoc;
  assert.equal(doc.ok, true);
  assert.equal(doc.command, "init");
  assert.equal(doc.exitCode, 0);
  // Exactly what the steps of this deployment declare (stepsFor(config) and their resources).
  assert.deepEqual(idSet(doc.resources), idSet(await declaredByState(emulator(), state)), "the result lists every declared resource, and only those");
  const kinds = new Set(doc.resources.map((r) => r.kind.toLowerCase()));
  for (const kind of [
    "microsoft.resources/resourcegroups",
    "microsoft.network/virtualnetworks",
    "microsoft.network/bastionhosts",
    "microsoft.network/privateendpoints",
    "microsoft.network/privatednszones",
    "microsoft.storage/storageaccounts",
    "microsoft.keyvault/vaults",
    "microsoft.containerregistry/registries",
    "microsoft.machinelearningservices/workspaces",
    "microsoft.compute/virtualmachines",
    "microsoft.authorization/roleassignments",
  ]) {
    assert.ok(kinds.has(kind), `result lists a ${kind}`);
  }
  for (const r of doc.resources) {
    assert.match(r.id, /^\/subscriptions\//, `${r.name} has an ARM id`);
    // The image-build step updates the workspace its own step just created.
    const expected = r.kind === "Microsoft.MachineLearningServices/workspaces" ? ["created", "updated"] : ["created"];
    assert.ok(expected.includes(r.action), `${r.kind} ${r.name} is ${r.action}`);
  }
  {
    // The counts are the client's: every request the emulator received was counted (an attempt lost on a
    // closing kept-alive socket is counted but never arrives), and every write went into the deployment.
    const log = await emulator().requestLog();
    const received = (...classes: string[]) => log.filter((e) => classes.includes(e.class)).length;
    assert.ok(doc.counts.writes >= received("write"), `${JSON.stringify(doc.counts)}; ${received("write")} writes received`);
    assert.ok(doc.counts.reads + doc.counts.polls >= received("read", "poll", "action"), `${JSON.stringify(doc.counts)}; ${log.length} received`);
    const ids = idSet(doc.resources);
    assert.deepEqual(
      log.filter((e) => e.class === "write" && !ids.includes(e.path.toLowerCase())).map((e) => `${e.method} ${e.path}`),
      [],
      "every write went to a resource of the result",
    );
  }
  assert.deepEqual(doc.errors, []);
  assert.ok(!first.stdout.includes("Correct-Horse") && !first.stderr.includes("Correct-Horse"), "the password is never printed");
  const stateText = await fs.readFile(state, "utf8");
  assert.ok(!stateText.includes("Correct-Horse"), "the password is never stored");
  assert.equal((await fs.stat(state)).mode & 0o777, 0o600);

  await emulator().clearRequestLog();
  const second = await runCli(args, { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  const again = oneJsonDocument(second.stdout) as ResultDoc;
  assert.equal(again.counts.writes, 0, "a converged run reports zero writes");
  assert.equal(again.resources.length, doc.resources.length);
  for (const r of again.resources) assert.equal(r.action, "unchanged", `${r.kind} ${r.name}`);
  const log = await emulator().requestLog();
  const writes = log.filter((e) => WRITE_METHODS.has(e.method));
  assert.deepEqual(
    writes.map((e) => `${e.method} ${e.path}`),
    [],
    "the emulator saw no write request",
  );
  // The state is a cache, not the truth: the re-run read every resource of the deployment.
  const read = new Set(log.filter((e) => e.method === "GET").map((e) => e.path.toLowerCase()));
  assert.deepEqual(
    idSet(doc.resources).filter((id) => !read.has(id)),
    [],
    "the re-run read every resource",
  );
});

test("init --local --yes in an empty working directory builds everything (the README's command)", async (t) => {
  const dir = await tempDir(t, "local");
  const env = cleanEnv();
  delete env.SECURE_AML_JUMPBOX_PASSWORD; // --local generates one
  const result = await runCli(["init", "--local", "--yes"], { cwd: dir, env });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /is ready/);
  assert.match(result.stdout, /local emulator/);
  assert.doesNotMatch(result.stderr, ESCAPE);
  const statePath = path.join(dir, ".secure-aml", "state.json");
  const steps = await stateSteps(statePath);
  const { config } = JSON.parse(await fs.readFile(statePath, "utf8")) as { config: DeploymentConfig };
  // Every step of this deployment (stepsFor its configuration) recorded, each done.
  assert.deepEqual(
    Object.entries(steps)
      .map(([id, s]) => `${id}:${s.status}`)
      .sort(),
    stepsFor(config)
      .map((s) => `${s.id}:done`)
      .sort(),
  );
  // The emulator keeps its world beside the state file: the deployment is in it.
  const world = await fs.readFile(path.join(dir, ".secure-aml", "emulator", "world.json"), "utf8");
  assert.ok(world.includes(`/workspaces/${config.workspace}"`), `the workspace ${config.workspace} is in the saved world`);
});

function nonLoopbackAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

test("the static test token is refused for a non-loopback endpoint, before any request", async (t) => {
  const dir = await tempDir(t, "static");
  const address = nonLoopbackAddress();
  let connections = 0;
  let endpoint = "https://example.invalid";
  if (address) {
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    endpoint = `https://${address}:${(server.address() as net.AddressInfo).port}`;
  }
  const result = await runCli(
    [
      "init",
      "--yes",
      "--endpoint",
      endpoint,
      "--ca-cert",
      emulator().caCertPath,
      "--subscription",
      emulator().subscriptionId,
      "--location",
      "eastus",
      "--state",
      path.join(dir, "s.json"),
    ],
    { cwd: dir, env: cleanEnv({ SECURE_AML_CREDENTIAL: "static" }) },
  );
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /loopback/);
  assert.equal(connections, 0, "no connection was made to the non-loopback endpoint");
  await assert.rejects(fs.stat(path.join(dir, "s.json")), "nothing was written");
});

test("a failing step exits 1 with ARM's code and the resume command; the state is kept", async (t) => {
  const dir = await tempDir(t, "fail");
  const state = path.join(dir, "state.json");
  await emulator().seedTakenName("storage", "clitakenstor1");
  const result = await runCli(["init", "--yes", "--output", "json", "--storage-account", "clitakenstor1", ...emulatorArgs(emulator(), "clitaken", state)], { cwd: dir });
  assert.equal(result.code, 1, result.stderr);
  const doc = oneJsonDocument(result.stdout) as ResultDoc;
  assert.equal(doc.ok, false);
  assert.equal(doc.exitCode, 1);
  assert.ok(doc.errors.length > 0);
  assert.ok(
    doc.errors.some((e) => e.code === "NAME_TAKEN"),
    JSON.stringify(doc.errors),
  );
  const resume = String(doc.details?.resumeCommand ?? "");
  assert.match(resume, /^secure-aml init --state \S+/);
  assert.ok(resume.includes("--storage-account clitakenstor1"), resume);
  assert.match(result.stderr, /next: secure-aml init --state/);
  const steps = await stateSteps(state);
  assert.equal(steps["resource-group"]?.status, "done");
  assert.ok((await resourcesIn(emulator(), "clitaken-rg")).length > 0);
});
