// `npm run bench [-- --runs N] [-- --time-scale X] [-- --sequential-runs N] [-- --out FILE]`: the
// performance figures of issue 8, written to docs/performance.md (generated: do not edit by hand).
//
// Each run starts a fresh emulator with the realistic latency profile scaled by --time-scale and runs
// `secure-aml init` as a subprocess. The critical path is computed with the engine's criticalPath over
// the same step graph, each step weighted by the emulator's latency table (the create latency of every
// resource the step created, in sequence) times the scale.
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  REPO_ROOT,
  cliEnv,
  runFromSnapshot,
  typedArgs,
  countRequests,
  formatMs,
  initArgs,
  jsonOutput,
  machineDescription,
  makeTempDir,
  median,
  removeDir,
  runCli,
  startTestEmulator,
  type RequestLogEntry,
} from "./lib.js";
import { measurePackage, packageSection } from "./package.js";
import { criticalPath, sequentialSum } from "../src/engine/engine.js";
import { stepsFor } from "../src/steps/index.js";
import type { DeploymentConfig } from "../src/config/types.js";

const PASSWORD = "Bench-Mark-Pw-2468";

interface Settings {
  runs: number;
  sequentialRuns: number;
  timeScale: number;
  out: string;
  startupRuns: number;
}

function settingsFrom(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string" },
      "sequential-runs": { type: "string" },
      "time-scale": { type: "string" },
      out: { type: "string" },
      "startup-runs": { type: "string" },
      "no-snapshot": { type: "boolean" },
    },
  });
  return {
    runs: Number(values.runs ?? 3),
    sequentialRuns: Number(values["sequential-runs"] ?? 1),
    timeScale: Number(values["time-scale"] ?? 0.02),
    out: path.resolve(REPO_ROOT, values.out ?? "docs/performance.md"),
    startupRuns: Number(values["startup-runs"] ?? 10),
  };
}

interface StepRecord {
  resources?: Array<{ id: string; kind: string; action: string }>;
}

interface RunFigures {
  wallMs: number;
  exit: number | null;
  counts: ReturnType<typeof countRequests>;
  /** Distinct resource URLs that received a successful PUT/PATCH/DELETE/POST (not read-only). */
  distinctWritten: number;
  /** Resources the run reported created or updated. */
  changed: number;
  resourcesReported: number;
  pollsPerOperation: Array<{ path: string; polls: number }>;
  stepDurationsMs: Record<string, number>;
  /** From the start of the process to its first ARM request, and to its first write (start-up, sign-in, state, preflight). */
  firstRequestMs?: number;
  firstWriteMs?: number;
  config?: DeploymentConfig;
  steps: Record<string, StepRecord>;
  log: RequestLogEntry[];
}

function writtenPath(entry: RequestLogEntry): string | undefined {
  if (entry.class !== "write" && entry.class !== "action") return undefined;
  if (/\/checkNameAvailability$/i.test(entry.path)) return undefined;
  if (entry.status < 200 || entry.status >= 300) return undefined;
  return entry.path.toLowerCase();
}

/** Polls grouped by the operation they poll (the operation-status URL's resource part). */
function pollsPerOperation(log: readonly RequestLogEntry[]): Array<{ path: string; polls: number }> {
  const byOperation = new Map<string, number>();
  for (const entry of log) {
    if (entry.class !== "poll") continue;
    const key = entry.path.replace(/\/(operationStatuses|operationResults)\/.*$/i, "").toLowerCase();
    const op = /\/(operationStatuses|operationResults)\/([^/]+)/i.exec(entry.path)?.[2] ?? "";
    byOperation.set(`${key} ${op}`, (byOperation.get(`${key} ${op}`) ?? 0) + 1);
  }
  return [...byOperation.entries()].map(([key, polls]) => ({ path: key, polls })).sort((a, b) => b.polls - a.polls);
}

/** When the first request and the first write reached the emulator, counted from the process's start. */
function sinceStart(log: readonly RequestLogEntry[], spawnedAt: number): { firstRequestMs?: number; firstWriteMs?: number } {
  const at = (entry: RequestLogEntry | undefined) => (entry ? Date.parse(entry.time) - spawnedAt : undefined);
  const firstRequestMs = at(log[0]);
  const firstWriteMs = at(log.find((e) => writtenPath(e) !== undefined || e.class === "write"));
  return { ...(firstRequestMs !== undefined ? { firstRequestMs } : {}), ...(firstWriteMs !== undefined ? { firstWriteMs } : {}) };
}

async function oneRun(settings: Settings, options: { concurrency?: number; converged?: boolean }): Promise<{ first: RunFigures; second?: RunFigures }> {
  const emulator = await startTestEmulator({ latency: "realistic", timeScale: settings.timeScale });
  const dir = await makeTempDir("bench");
  const statePath = path.join(dir, "state.json");
  const env = cliEnv({ SECURE_AML_JUMPBOX_PASSWORD: PASSWORD });
  const args = initArgs(emulator, { statePath, concurrency: options.concurrency });
  const measure = async (): Promise<RunFigures> => {
    await emulator.clearRequestLog();
    const spawnedAt = Date.now();
    const run = await runCli(args, { env, cwd: dir, timeoutMs: 900_000 });
    if (run.code !== 0) throw new Error(`init exited ${String(run.code)}: ${run.stderr.slice(-1500)}`);
    const log = await emulator.requestLog();
    const output = jsonOutput(run.stdout) ?? {};
    const resources = (output.resources as Array<{ action?: string }> | undefined) ?? [];
    const state = JSON.parse(await fs.readFile(statePath, "utf8")) as { config?: DeploymentConfig; steps?: Record<string, StepRecord> };
    const durations = (output.durations as { steps?: Record<string, number> } | undefined)?.steps ?? {};
    return {
      wallMs: run.wallMs,
      exit: run.code,
      counts: countRequests(log),
      distinctWritten: new Set(log.map(writtenPath).filter((p): p is string => p !== undefined)).size,
      changed: resources.filter((r) => r.action === "created" || r.action === "updated").length,
      resourcesReported: resources.length,
      pollsPerOperation: pollsPerOperation(log),
      stepDurationsMs: durations,
      ...sinceStart(log, spawnedAt),
      config: state.config,
      steps: state.steps ?? {},
      log,
    };
  };
  try {
    const first = await measure();
    const second = options.converged ? await measure() : undefined;
    return { first, second };
  } finally {
    await emulator.stop();
    await removeDir(dir);
  }
}

async function startup(settings: Settings): Promise<{ bareMs: number; helpMs: number; versionMs: number; azureModulesOnHelp: string[]; azureModulesOnVersion: string[] }> {
  // Interleaved (bare, --help, --version, bare, ...): a change in the machine's load during the measurement
  // shifts all three alike instead of one of them.
  const once = (args: string[]): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      import("node:child_process").then(({ execFile }) =>
        execFile(process.execPath, args, { env: cliEnv() }, (error) => (error && (error as { code?: unknown }).code !== 0 ? reject(error) : resolve(performance.now() - started))),
      );
    });
  const bin = path.join(REPO_ROOT, "bin", "secure-aml.js");
  const samples = { bare: [] as number[], help: [] as number[], version: [] as number[] };
  for (let i = 0; i < settings.startupRuns; i++) {
    samples.bare.push(await once(["-e", "0"]));
    samples.help.push(await once([bin, "--help"]));
    samples.version.push(await once([bin, "--version"]));
  }
  const bareMs = median(samples.bare);
  const helpMs = median(samples.help);
  const versionMs = median(samples.version);
  // Which modules a --help/--version process loads: a preload that prints the ESM and CommonJS
  // modules under node_modules/@azure at exit.
  const dir = await makeTempDir("startup");
  try {
    const preload = path.join(dir, "report.cjs");
    await fs.writeFile(
      preload,
      `const seen = new Set();
const Module = require("node:module");
const original = Module._load;
Module._load = function (request, parent, isMain) { const r = original.apply(this, arguments); try { seen.add(Module._resolveFilename(request, parent)); } catch {} return r; };
process.on("exit", () => { for (const f of Object.keys(require.cache)) seen.add(f); require("node:fs").writeFileSync(process.env.MODULE_REPORT, JSON.stringify([...seen])); });
`,
    );
    const loaderHook = path.join(dir, "hook.mjs");
    await fs.writeFile(
      loaderHook,
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) { const r = await next(specifier, context); appendFileSync(process.env.MODULE_REPORT + ".esm", r.url + "\\n"); return r; }
`,
    );
    const register = path.join(dir, "register.mjs");
    await fs.writeFile(
      register,
      `import { register } from "node:module"; import { pathToFileURL } from "node:url"; register(pathToFileURL(${JSON.stringify(loaderHook)}).href);\n`,
    );
    const modulesFor = async (flag: string): Promise<string[]> => {
      const report = path.join(dir, `modules${flag}.json`);
      await runCli([flag], { env: cliEnv({ MODULE_REPORT: report }), nodeArgs: ["--require", preload, "--import", register] });
      const cjs = JSON.parse(await fs.readFile(report, "utf8").catch(() => "[]")) as string[];
      const esm = (await fs.readFile(`${report}.esm`, "utf8").catch(() => "")).split("\n");
      return [...new Set([...cjs, ...esm].filter((f) => /node_modules[\\/]@azure[\\/]/.test(f)).map((f) => /@azure[\\/][^\\/]+/.exec(f)?.[0] ?? f))].sort();
    };
    return { bareMs, helpMs, versionMs, azureModulesOnHelp: await modulesFor("--help"), azureModulesOnVersion: await modulesFor("--version") };
  } finally {
    await removeDir(dir);
  }
}

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const command = `npm run bench${typedArgs() ? ` -- ${typedArgs()}` : ""}`;
  const started = Date.now();

  const parallel: RunFigures[] = [];
  const converged: RunFigures[] = [];
  for (let i = 0; i < settings.runs; i++) {
    const { first, second } = await oneRun(settings, { converged: true });
    log(
      `run ${i + 1}: ${formatMs(first.wallMs)} (${first.counts.writes} writes, ${first.counts.polls} polls); converged ${formatMs(second?.wallMs ?? 0)} (${second?.counts.writes ?? "?"} writes)`,
    );
    parallel.push(first);
    if (second) converged.push(second);
  }
  const sequential: RunFigures[] = [];
  for (let i = 0; i < settings.sequentialRuns; i++) {
    const { first } = await oneRun(settings, { concurrency: 1 });
    log(`--concurrency 1 run ${i + 1}: ${formatMs(first.wallMs)}`);
    sequential.push(first);
  }
  log("start-up");
  const start = await startup(settings);
  log("package");
  const packaged = await measurePackage({ installs: 3, startupRuns: settings.startupRuns });

  // Critical path from the latency table, on the same step graph.
  const reference = parallel[0];
  if (!reference) throw new Error("no parallel run to report");
  const config = reference.config as DeploymentConfig;
  const steps = stepsFor(config);
  // The plan's critical path: each step weighted by its expectedSeconds, which src/durations.ts (the
  // table the emulator's realistic profile also uses) defines, and test/e2e/steps-durations.test.ts
  // keeps equal to the writes each step really sends.
  const expectedPath = criticalPath(steps, (s) => s.expectedSeconds ?? 0);
  const expectedSum = sequentialSum(steps, (s) => s.expectedSeconds ?? 0);
  // The critical path of the step durations measured in the sequential run (each step alone).
  const seqDurations = sequential[0]?.stepDurationsMs ?? {};
  const measuredPath = criticalPath(steps, (s) => (seqDurations[s.id] ?? 0) / 1000);

  const wall = median(parallel.map((r) => r.wallMs));
  const seqWall = median(sequential.map((r) => r.wallMs));
  const cpMs = expectedPath.seconds * settings.timeScale * 1000;
  const ratio = wall / cpMs;
  // The engine's share: from the first write to the end. Preflight (issue 11) reads and loads the SDKs its
  // checks need before any write, by design; this figure shows the scheduling apart from that fixed cost.
  const afterFirstWrite = median(parallel.map((r) => r.wallMs - (r.firstWriteMs ?? 0)));
  const pick = (runs: RunFigures[], f: (r: RunFigures) => number): number => median(runs.map(f));
  const polls = reference.pollsPerOperation;
  const longOps = polls.filter((p) => /bastionhosts|virtualmachines|workspaces|computes|privateendpoints/i.test(p.path));
  const lines = [
    "# Performance, measured",
    "",
    "<!-- GENERATED by bench/run.ts: do not edit by hand; rerun the command below. -->",
    "",
    `- Command: \`${command}\``,
    `- Machine: ${machineDescription()}`,
    `- Date: ${new Date().toISOString()}; benchmark duration ${formatMs(Date.now() - started)}`,
    `- Set-up: \`secure-aml init --yes\` (all features: Bastion, jump box, compute cluster and instance) as a subprocess against the emulator ` +
      `(subprocess) with \`--latency realistic --time-scale ${settings.timeScale}\`, a fresh emulator per run; medians of ${settings.runs} runs ` +
      `(${settings.sequentialRuns} with \`--concurrency 1\`).`,
    "",
    "## Summary",
    "",
    "| figure | value | target |",
    "|---|---|---|",
    `| wall time of \`init\` (median) | ${formatMs(wall)} | |`,
    `| critical path (durations table) × ${settings.timeScale} | ${formatMs(cpMs)} (${expectedPath.seconds} s real) | |`,
    `| wall / critical path | **${ratio.toFixed(3)}** | ≤ 1.10 ${ratio <= 1.1 ? "(met)" : "(**missed**)"} |`,
    `| of the wall time: before the first write (start-up, sign-in, state, preflight; median) | ${formatMs(pick(parallel, (r) => r.firstWriteMs ?? Number.NaN))} (first request at ${formatMs(pick(parallel, (r) => r.firstRequestMs ?? Number.NaN))}) | counted in the ratio |`,
    `| from the first write to the end / critical path (the engine's scheduling, without start-up and preflight) | ${formatMs(afterFirstWrite)} / ${formatMs(cpMs)} = **${(afterFirstWrite / cpMs).toFixed(2)}** | |`,
    `| wall time with \`--concurrency 1\` | ${formatMs(seqWall)} (table sum ${formatMs(expectedSum * settings.timeScale * 1000)}) | |`,
    `| speed-up of the parallel run | **${(seqWall / wall).toFixed(2)}×** | |`,
    `| ARM requests (median): writes / POSTs / reads / polls | ${pick(parallel, (r) => r.counts.writes)} / ${pick(parallel, (r) => r.counts.actions)} / ${pick(parallel, (r) => r.counts.reads)} / ${pick(parallel, (r) => r.counts.polls)} | |`,
    `| resources reported created/updated | ${pick(parallel, (r) => r.changed)} of ${pick(parallel, (r) => r.resourcesReported)} | |`,
    `| distinct resource URLs written | ${pick(parallel, (r) => r.distinctWritten)} | = resources changed ${pick(parallel, (r) => r.distinctWritten) === pick(parallel, (r) => r.changed) ? "(met)" : "(see below)"} |`,
    `| write requests (PUT/PATCH/DELETE + state-changing POST) | ${pick(parallel, (r) => r.counts.writes + r.counts.actions - r.log.filter((e) => /checkNameAvailability$/i.test(e.path)).length)} | = resources changed |`,
    `| converged second \`init\`: wall, reads, writes | ${formatMs(pick(converged, (r) => r.wallMs))}, ${pick(converged, (r) => r.counts.reads)} reads, **${pick(converged, (r) => r.counts.writes + r.counts.actions - r.log.filter((e) => /checkNameAvailability$/i.test(e.path)).length)} writes** | 0 writes ${pick(converged, (r) => r.counts.writes) === 0 ? "(met)" : "(**missed**)"} |`,
    `| \`secure-aml --help\` / bare \`node -e 0\` | ${formatMs(start.helpMs)} / ${formatMs(start.bareMs)} = **${(start.helpMs / start.bareMs).toFixed(2)}×** | no @azure module loaded: ${start.azureModulesOnHelp.length === 0 ? "met" : `**missed** (${start.azureModulesOnHelp.join(", ")})`} |`,
    `| \`secure-aml --version\` / bare \`node -e 0\` | ${formatMs(start.versionMs)} / ${formatMs(start.bareMs)} = **${(start.versionMs / start.bareMs).toFixed(2)}×** | no @azure module loaded: ${start.azureModulesOnVersion.length === 0 ? "met" : `**missed** (${start.azureModulesOnVersion.join(", ")})`} |`,
    "",
    ...packageSection(packaged),
    "## Critical path",
    "",
    `Step weights: the emulator's create latency (src/emulator/providers/*.ts, \`latency.create\`, real-world seconds) of every write the step sent ` +
      `(attributed by resource ID), combined as the step really issues them (the union of the operations' latency intervals: parallel writes overlap, ` +
      `chained writes add up; client overhead and waiting excluded), on the graph of src/steps/index.ts with the engine's \`criticalPath\`.`,
    "",
    `- critical path (src/durations.ts, the same table as the emulator's realistic profile and \`plan\`'s estimate): **${expectedPath.seconds} s** real = ${formatMs(cpMs)} at ×${settings.timeScale}: ${expectedPath.path.join(" → ")}`,
    `- sequential sum: ${expectedSum} s real → real-Azure estimate ${(expectedPath.seconds / 60).toFixed(1)} min vs ${(expectedSum / 60).toFixed(1)} min sequential`,
    `- critical path of the step durations measured in the \`--concurrency 1\` run (each step alone, client overhead included): ${formatMs(measuredPath.seconds * 1000)} (${measuredPath.path.join(" → ")})`,
    "",
    "| step | expectedSeconds (real) | × scale | measured alone (--concurrency 1) | in the parallel run |",
    "|---|---|---|---|---|",
    ...steps.map(
      (s) =>
        `| ${s.id} | ${s.expectedSeconds ?? 0} | ${formatMs((s.expectedSeconds ?? 0) * settings.timeScale * 1000)} | ${seqDurations[s.id] !== undefined ? formatMs(seqDurations[s.id]!) : "?"} | ${reference.stepDurationsMs[s.id] !== undefined ? formatMs(reference.stepDurationsMs[s.id]!) : "?"} |`,
    ),
    "",
    "## Requests",
    "",
    "| run | wall | writes | POSTs | reads | polls | faults |",
    "|---|---|---|---|---|---|---|",
    ...parallel.map(
      (r, i) => `| parallel ${i + 1} | ${formatMs(r.wallMs)} | ${r.counts.writes} | ${r.counts.actions} | ${r.counts.reads} | ${r.counts.polls} | ${r.counts.faults} |`,
    ),
    ...sequential.map(
      (r, i) => `| --concurrency 1, ${i + 1} | ${formatMs(r.wallMs)} | ${r.counts.writes} | ${r.counts.actions} | ${r.counts.reads} | ${r.counts.polls} | ${r.counts.faults} |`,
    ),
    ...converged.map(
      (r, i) => `| converged rerun ${i + 1} | ${formatMs(r.wallMs)} | ${r.counts.writes} | ${r.counts.actions} | ${r.counts.reads} | ${r.counts.polls} | ${r.counts.faults} |`,
    ),
    "",
    `Polls per long-running operation (first parallel run; ${polls.length} operations polled, ${reference.counts.polls} polls): ` +
      `median ${median(polls.map((p) => p.polls))}, max ${Math.max(0, ...polls.map((p) => p.polls))}. The longest:`,
    "",
    "| operation | polls |",
    "|---|---|",
    ...(longOps.length ? longOps : polls).slice(0, 12).map((p) => `| ${p.path.replace(/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\//, "")} | ${p.polls} |`),
    "",
    "Writes by resource path (first parallel run), where a path was written more than once:",
    "",
    ...(() => {
      const byPath = new Map<string, number>();
      for (const entry of reference.log) {
        const p = writtenPath(entry);
        if (p) byPath.set(`${entry.method} ${p}`, (byPath.get(`${entry.method} ${p}`) ?? 0) + 1);
      }
      const repeated = [...byPath.entries()].filter(([, n]) => n > 1);
      return repeated.length ? repeated.map(([p, n]) => `- ${n}× ${p.replace(/\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\//, "…/")}`) : ["- none"];
    })(),
    "",
  ];
  await fs.mkdir(path.dirname(settings.out), { recursive: true });
  await fs.writeFile(settings.out, lines.join("\n"));
  log(`wrote ${path.relative(REPO_ROOT, settings.out)}`);
  process.stdout.write(lines.slice(0, 24).join("\n") + "\n");
}

const snapshotExit = await runFromSnapshot("run.js", process.argv.slice(2), "docs/performance.md");
if (snapshotExit !== undefined) process.exitCode = snapshotExit;
else await main();
