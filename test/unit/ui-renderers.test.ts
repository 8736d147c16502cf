import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { EngineEvent } from "../../src/engine/types.js";
import { buildResult, createIoHost, chooseMode } from "../../src/ui/renderers.js";
import { createScriptedPromptBackend } from "../../src/ui/prompt.js";
import { hasControlCharacters } from "../../src/ui/format.js";
import { SecureAmlError } from "../../src/errors.js";
import type { InitResult } from "../../src/ui/types.js";

/** Collects what is written; optionally pretends to be a terminal (with the cursor methods ora uses). */
class Capture extends Writable {
  chunks: string[] = [];
  isTTY: boolean;
  columns = 120;
  rows = 40;
  constructor(tty = false) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
  cursorTo(x: number): boolean {
    return this.write(`\x1b[${x + 1}G`);
  }
  moveCursor(_dx: number, dy: number): boolean {
    return this.write(dy < 0 ? `\x1b[${-dy}A` : "");
  }
  clearLine(): boolean {
    return this.write("\x1b[2K");
  }
  get text(): string {
    return this.chunks.join("");
  }
}

const SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-aml";

/** A run with a quick step, a long step that fails, a retry and a skipped step. */
function scriptedRun(): EngineEvent[] {
  return [
    {
      type: "plan",
      steps: [
        { id: "resource-group", title: "Resource group", expectedSeconds: 5 },
        { id: "vnet", title: "Virtual network and subnets", expectedSeconds: 20 },
        { id: "bastion", title: "Azure Bastion", expectedSeconds: 600 },
        { id: "jumpbox", title: "Jump box VM", expectedSeconds: 180 },
      ],
    },
    { type: "step-start", id: "resource-group", title: "Resource group", attempt: 1, expectedSeconds: 5 },
    {
      type: "step-done",
      id: "resource-group",
      title: "Resource group",
      durationMs: 1200,
      resources: [{ id: SUB, kind: "Microsoft.Resources/resourceGroups", name: "rg-aml", action: "created" }],
    },
    { type: "step-start", id: "vnet", title: "Virtual network and subnets", attempt: 1, expectedSeconds: 20 },
    { type: "step-start", id: "bastion", title: "Azure Bastion", attempt: 1, expectedSeconds: 600 },
    { type: "step-progress", id: "bastion", message: "waiting for Azure to finish (provisioningState Updating)" },
    {
      type: "step-retry",
      id: "vnet",
      attempt: 2,
      delayMs: 2000,
      error: { code: "ARM_ERROR", armCode: "AnotherOperationInProgress", message: "Another operation on this VNet is in progress.", transient: true },
      budgetLeftMs: 896_000,
    },
    { type: "step-start", id: "vnet", title: "Virtual network and subnets", attempt: 2, expectedSeconds: 20 },
    {
      type: "step-done",
      id: "vnet",
      title: "Virtual network and subnets",
      durationMs: 8400,
      resources: [
        { id: `${SUB}/providers/Microsoft.Network/virtualNetworks/vnet-aml`, kind: "Microsoft.Network/virtualNetworks", name: "vnet-aml", action: "created" },
        {
          id: `${SUB}/providers/Microsoft.Network/virtualNetworks/vnet-aml/subnets/Training`,
          kind: "Microsoft.Network/virtualNetworks/subnets",
          name: "Training",
          action: "unchanged",
        },
      ],
    },
    {
      type: "step-failed",
      id: "bastion",
      title: "Azure Bastion",
      durationMs: 612_000,
      error: {
        code: "ARM_ERROR",
        armCode: "SubnetIsFull",
        message: "Subnet AzureBastionSubnet has no free addresses.\u001b[31m",
        next: "secure-aml init --config secure-aml.json",
      },
    },
    { type: "step-skip", id: "jumpbox", title: "Jump box VM", reason: "depends on Azure Bastion, which failed" },
    { type: "log", level: "warn", message: "1 step failed; state saved." },
  ];
}

test("chooseMode: json wins; tty needs a terminal, colour and no CI", () => {
  assert.equal(chooseMode({ output: "json", isTTY: true, ci: false, color: true }), "json");
  assert.equal(chooseMode({ output: "text", isTTY: true, ci: false, color: true }), "tty");
  assert.equal(chooseMode({ output: "text", isTTY: true, ci: true, color: true }), "plain");
  assert.equal(chooseMode({ output: "text", isTTY: true, ci: false, color: false }), "plain");
  assert.equal(chooseMode({ output: "text", isTTY: false, ci: false, color: true }), "plain");
});

test("plain renderer: timestamped lines, every event shown, no escape codes at all", async () => {
  const clock = { t: Date.UTC(2025, 0, 2, 3, 4, 5) };
  const stderr = new Capture();
  const stdout = new Capture();
  const host = await createIoHost({ output: "text", color: false, isTTY: false, ci: true, stderr, stdout, now: () => clock.t });
  assert.equal(host.mode, "plain");
  for (const e of scriptedRun()) host.notify(e);
  host.close();

  const out = stderr.text;
  assert.equal(hasControlCharacters(out), false, `escape codes in plain output: ${JSON.stringify(out)}`);
  assert.equal(stdout.text, "", "progress must not go to stdout");
  const lines = out.trimEnd().split("\n");
  for (const line of lines) assert.match(line, /^2025-01-02T03:04:05\.000Z /);
  assert.match(out, /done\s+Resource group \(1\.2s\): 1 created/);
  assert.match(out, /start\s+Azure Bastion \(usually ~10 min\)/);
  assert.match(out, /retry\s+Virtual network and subnets: AnotherOperationInProgress: .*attempt 2 in 2\.0s; gives up after 14m 56s more$/m);
  assert.match(out, /start\s+Virtual network and subnets \(attempt 2\)/);
  assert.match(out, /FAILED Azure Bastion failed after 10m 12s: SubnetIsFull: Subnet AzureBastionSubnet has no free addresses\./);
  assert.match(out, /next: secure-aml init --config secure-aml\.json/);
  assert.match(out, /skip\s+Jump box VM: depends on Azure Bastion/);
  assert.match(out, /warn\s+1 step failed; state saved\./);
});

test("tty renderer: finished steps with durations, long steps announced, retries and failures with ARM code and next command", async (t) => {
  const clock = { t: 1_000_000 };
  const stderr = new Capture(true);
  const stdout = new Capture();
  // The redraw timer is the test's: one tick is one redraw, with no waiting.
  const ticks: Array<() => void> = [];
  const ticker = (redraw: () => void) => {
    ticks.push(redraw);
    return { stop: () => void ticks.splice(ticks.indexOf(redraw), 1) };
  };
  const host = await createIoHost({ output: "text", color: true, isTTY: true, ci: false, stderr, stdout, interactive: false, now: () => clock.t, ticker });
  assert.equal(host.mode, "tty");
  t.after(() => host.close());
  const events = scriptedRun();
  for (const e of events.slice(0, 6)) host.notify(e);
  clock.t += 65_000;
  // The live block shows both running steps, the long one with its expectation and elapsed time;
  // the elapsed time changes with no event, so the timer redraws it: tick once.
  assert.doesNotMatch(stderr.text, /1m 05s/, "not drawn before the tick");
  assert.equal(ticks.length, 1, "one redraw timer while steps run");
  ticks[0]?.();
  const live = stderr.text;
  assert.match(live, /Virtual network and subnets\s+\S*1m 05s/);
  assert.match(live, /Azure Bastion\s+\S*1m 05s\S* \S*\(usually ~10 min\)/);
  for (const e of events.slice(6)) host.notify(e);
  host.close();

  const plainView = stderr.text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  assert.match(stderr.text, /\x1b\[/, "tty output is coloured");
  assert.match(plainView, /✔ Resource group\s+1\.2s\s+1 created/);
  assert.match(plainView, /✔ Virtual network and subnets\s+8\.4s\s+1 created, 1 unchanged/);
  assert.match(
    plainView,
    /↻ Virtual network and subnets: AnotherOperationInProgress: Another operation on this VNet is in progress\. — retrying in 2\.0s \(attempt 2\); gives up after 14m 56s more/,
  );
  assert.match(plainView, /✖ Azure Bastion failed after 10m 12s/);
  assert.match(plainView, /Azure error: SubnetIsFull/);
  assert.match(plainView, /next: secure-aml init --config secure-aml\.json/);
  assert.match(plainView, /– Jump box VM skipped: depends on Azure Bastion/);
  // A foreign escape sequence inside an ARM message is never passed through.
  assert.doesNotMatch(stderr.text, /addresses\.\x1b\[31m/);
  assert.equal(stdout.text, "");
});

test("json mode: nothing on stdout until the end, then exactly one parseable document", async () => {
  const clock = { t: Date.UTC(2025, 0, 2) };
  const stderr = new Capture();
  const stdout = new Capture();
  const host = await createIoHost({ output: "json", color: true, isTTY: true, ci: false, stderr, stdout, interactive: false, now: () => clock.t });
  assert.equal(host.mode, "json");
  for (const e of scriptedRun()) {
    host.notify(e);
    assert.equal(stdout.text, "", `stdout written during the run (after ${e.type})`);
  }
  host.print("a plan or summary goes to stderr in JSON mode");
  clock.t += 5000;
  const record = host.record();
  const doc = buildResult({ command: "init", record, counts: { reads: 12, writes: 5, polls: 7 } });
  host.writeResult(doc);
  assert.throws(() => host.writeResult(doc), /exactly one/);
  host.close();

  assert.equal(hasControlCharacters(stderr.text), false, "events on stderr are plain lines");
  assert.match(stderr.text, /a plan or summary goes to stderr/);
  const parsed = JSON.parse(stdout.text) as InitResult;
  assert.equal(parsed.command, "init");
  assert.equal(parsed.ok, false);
  assert.equal(parsed.exitCode, 1);
  assert.deepEqual(parsed.counts, { reads: 12, writes: 5, polls: 7 });
  assert.equal(parsed.resources.length, 3);
  assert.deepEqual(
    parsed.resources.map((r) => [r.kind, r.name, r.action, r.step]),
    [
      ["Microsoft.Resources/resourceGroups", "rg-aml", "created", "resource-group"],
      ["Microsoft.Network/virtualNetworks", "vnet-aml", "created", "vnet"],
      ["Microsoft.Network/virtualNetworks/subnets", "Training", "unchanged", "vnet"],
    ],
  );
  assert.equal(parsed.errors.length, 1);
  assert.equal(parsed.errors[0]?.armCode, "SubnetIsFull");
  assert.equal(parsed.errors[0]?.step, "bastion");
  assert.equal(parsed.errors[0]?.next, "secure-aml init --config secure-aml.json");
  assert.equal(hasControlCharacters(parsed.errors[0]?.message ?? ""), false);
  assert.deepEqual(parsed.durations.steps, { "resource-group": 1200, vnet: 8400, bastion: 612_000 });
  assert.equal(parsed.durations.totalMs, 5000);
  // The document is the only thing on stdout: one JSON value, then a newline.
  assert.equal(stdout.text, JSON.stringify(parsed, null, 2) + "\n");
});

test("text mode: writeResult writes nothing, print goes to stdout", async () => {
  const stderr = new Capture();
  const stdout = new Capture();
  const host = await createIoHost({ output: "text", color: false, isTTY: false, ci: false, stderr, stdout });
  host.writeResult(buildResult({ command: "status", record: host.record() }));
  assert.equal(stdout.text, "");
  host.print("hello");
  assert.equal(stdout.text, "hello\n");
  host.close();
});

test("request() without a person rejects at once with NON_INTERACTIVE (exit 2) naming the question", async () => {
  const host = await createIoHost({ output: "text", color: false, isTTY: false, ci: false, stderr: new Capture(), stdout: new Capture() });
  assert.equal(host.interactive, false);
  await assert.rejects(
    host.request({ kind: "confirm", id: "confirm-plan", message: "Create these resources?" }),
    (e: unknown) => e instanceof SecureAmlError && e.code === "NON_INTERACTIVE" && e.exitCode === 2 && /confirm-plan/.test(e.message) && /Create these resources\?/.test(e.message),
  );
  // On a terminal but with --yes (interactive: false), still no prompt.
  const yesHost = await createIoHost({ output: "text", color: true, isTTY: true, ci: false, interactive: false, stderr: new Capture(true), stdout: new Capture() });
  await assert.rejects(yesHost.request({ kind: "input", id: "prefix", message: "Prefix" }), { code: "NON_INTERACTIVE" });
  yesHost.close();
  host.close();
});

test("request() in interactive mode asks the injected prompt backend", async () => {
  const prompt = createScriptedPromptBackend(["rg-other", true]);
  const host = await createIoHost({ output: "text", color: false, isTTY: true, ci: false, interactive: true, prompt, stderr: new Capture(), stdout: new Capture() });
  assert.equal(await host.request({ kind: "input", id: "rg", message: "Resource group", default: "rg-aml" }), "rg-other");
  assert.equal(await host.request({ kind: "confirm", id: "ok", message: "OK?", default: false }), true);
  assert.equal(prompt.remaining(), 0);
  host.close();
});

test("a stdin pipe that stays open and silent does not hold a non-interactive request", { timeout: 20_000 }, async (t) => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const uiModule = path.resolve(here, "../../src/ui/index.js");
  const script = `
    const { createIoHost } = await import(${JSON.stringify(uiModule)});
    const host = await createIoHost({ output: "text", color: false, isTTY: Boolean(process.stderr.isTTY), ci: false,
      stderr: process.stderr, stdout: process.stdout });
    try {
      await host.request({ kind: "confirm", id: "confirm-plan", message: "Create these resources?" });
      process.stdout.write("ANSWERED");
    } catch (e) {
      process.stderr.write("REJECTED " + e.code + "\\n");
      process.exitCode = e.exitCode;
    } finally { host.close(); }
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "pipe"] });
  // Keep stdin open and never write to it; kill only as a guard so a failure cannot hang the suite.
  const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
  t.after(() => {
    clearTimeout(guard);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
  assert.equal(signal, null, `child was killed: it hung on the open stdin pipe (stderr: ${stderr})`);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /REJECTED NON_INTERACTIVE/);
  assert.equal(stdout, "");
  child.stdin.end();
});
