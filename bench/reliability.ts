// `npm run reliability [-- --quick] [-- --out FILE]`: the reliability and security
// figures of issue 7, measured against the emulator (a subprocess) with `secure-aml init` as a
// subprocess, written to docs/reliability.md (generated: do not edit it by hand).
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT, formatMs, machineDescription, runFromSnapshot, typedArgs } from "./lib.js";
import {
  badInputScenario,
  cleanRun,
  crashAnywhere,
  crashDayTwo,
  deploymentSnapshot,
  ownershipScenario,
  tokenScenario,
  type DayTwoKillPoint,
  type NamedCase,
  faultRun,
  lockScenario,
  safetyScenario,
  secretsScenario,
  twoStatesScenario,
  type FaultRun,
  type KillPoint,
} from "./reliability-checks.js";

interface Settings {
  quick: boolean;
  out: string;
  afterRequests: number[];
  randomKills: number;
  timeScale: number;
  seed: number;
  faultRates: number[];
  sections: Set<string>;
  dayTwoAfterRequests: number;
  dayTwoRandomKills: number;
}

function settingsFrom(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      out: { type: "string" },
      "kill-requests": { type: "string" },
      "random-kills": { type: "string" },
      "time-scale": { type: "string" },
      seed: { type: "string" },
      only: { type: "string" },
      "no-snapshot": { type: "boolean" },
    },
  });
  const quick = values.quick === true;
  const killRequests = Number(values["kill-requests"] ?? (quick ? 6 : 24));
  return {
    quick,
    out: path.resolve(REPO_ROOT, values.out ?? (quick ? "docs/reliability-quick.md" : "docs/reliability.md")),
    afterRequests: Array.from({ length: killRequests }, (_, i) => i + 1),
    randomKills: Number(values["random-kills"] ?? (quick ? 2 : 10)),
    timeScale: Number(values["time-scale"] ?? 0.02),
    seed: Number(values.seed ?? 7),
    faultRates: quick ? [0.1] : [0.05, 0.1, 0.2],
    sections: new Set((values.only ?? "crash,faults,concurrency,badinput,secrets,safety,state,daytwo,ownership,tokens").split(",")),
    dayTwoAfterRequests: quick ? 3 : 40,
    dayTwoRandomKills: quick ? 1 : 11,
  };
}

const yes = (ok: boolean): string => (ok ? "yes" : "**NO**");
const pct = (n: number, d: number): string => (d === 0 ? "n/a" : `${((100 * n) / d).toFixed(0)}%`);

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const options = { log };
  const started = Date.now();
  const md: string[] = [];
  const summary: string[] = [];
  const command = `npm run reliability${typedArgs() ? ` -- ${typedArgs()}` : ""}`;

  log("baseline: clean runs (latency none, and realistic ×" + settings.timeScale + ")");
  const baseline = await cleanRun({ ...options, latency: "none" });
  const realistic = await cleanRun({ ...options, latency: "realistic", timeScale: settings.timeScale });
  log(`  ${baseline.inventory.keys.length} resources, ${baseline.requests.total} requests; realistic run ${formatMs(realistic.wallMs)}`);
  md.push(
    "## Baseline",
    "",
    `A clean \`init\` (all features: Bastion, jump box, compute) leaves **${baseline.inventory.keys.length}** resources in the emulator ` +
      `(records of the resource dump, private DNS records and sub-resources included) after ${baseline.requests.total} ARM requests ` +
      `(${baseline.requests.writes} writes, ${baseline.requests.actions} POSTs, ${baseline.requests.reads} reads, ${baseline.requests.polls} polls); ` +
      `${baseline.stateSteps} steps in the state file. Every run below is compared with this inventory: same IDs (GUIDs that Azure generates per ` +
      `creation, such as a private endpoint's NIC suffix, normalised), no semantic duplicates, nothing pending. ` +
      `The same run with realistic latency ×${settings.timeScale} took ${formatMs(realistic.wallMs)}.`,
    "",
  );

  if (settings.sections.has("crash")) {
    log(`crash anywhere: ${settings.afterRequests.length} kills after N requests, ${settings.randomKills} at random moments`);
    const points = await crashAnywhere({
      ...options,
      baseline,
      afterRequests: settings.afterRequests,
      randomKills: settings.randomKills,
      timeScale: settings.timeScale,
      realisticWallMs: realistic.wallMs,
      seed: settings.seed,
    });
    const killed = points.filter((p) => p.killed);
    const converged = killed.filter((p) => p.converged);
    const extra = killed.reduce((n, p) => n + p.extra.length, 0);
    const duplicates = killed.reduce((n, p) => n + p.duplicates.length, 0);
    const reruns = killed.map((p) => p.reruns);
    summary.push(
      `| Crash anywhere (SIGKILL) | ${killed.length} kill points, ${converged.length} converged (${pct(converged.length, killed.length)}); ${extra} extra resources, ${duplicates} duplicates; reruns needed max ${Math.max(0, ...reruns)} |`,
    );
    md.push(
      "## 1. Crash anywhere, resume to the same end",
      "",
      `\`init\` killed with SIGKILL (a) as soon as the emulator's request log held N requests, N = 1…${settings.afterRequests.length} ` +
        `(latency none; the log is polled every millisecond, so with parallel steps the kill can land a request or two later: the column ` +
        `"requests at kill" is what the emulator had received), and (b) at ${settings.randomKills} random moments (seed ${settings.seed}) ` +
        `of a run with realistic latency ×${settings.timeScale}, i.e. mostly during long operations. Then \`init\` is run again until it exits 0 (at most 5 times).`,
      "",
      `- kill points tried: **${points.length}**; the process was still running when killed: **${killed.length}**`,
      `- converged to the clean inventory: **${converged.length} / ${killed.length}** (${pct(converged.length, killed.length)})`,
      `- extra resources found: **${extra}**; duplicates: **${duplicates}**; missing: **${killed.reduce((n, p) => n + p.missing.length, 0)}**`,
      `- reruns needed: ${[1, 2, 3, 4, 5].map((n) => `${n}: ${reruns.filter((r) => r === n).length}`).join(", ")}`,
      "",
      "| kill point | requests at kill | killed | reruns | converged | extra / missing / duplicates | state / rerun problems |",
      "|---|---|---|---|---|---|---|",
      ...points.map(
        (p: KillPoint) =>
          `| ${p.label} | ${p.requestsAtKill} | ${p.killed ? "yes" : "finished first"} | ${p.reruns} | ${yes(p.converged)} | ${[...p.extra, ...p.missing.map((m) => `missing ${m}`), ...p.duplicates, ...p.statePending].join("; ").slice(0, 300) || "none"} | ${[...p.stateProblems, ...p.rerunErrors].join("; ").replace(/\|/g, "/").slice(0, 300) || "none"} |`,
      ),
      "",
    );
  }

  if (settings.sections.has("faults")) {
    const specs: Array<{ label: string; spec: string; permanent?: boolean }> = [];
    for (const rate of settings.faultRates) {
      specs.push(
        { label: `429 + Retry-After 1 s, ${rate * 100}%`, spec: `seed=${settings.seed};429:rate=${rate},retry-after=1` },
        { label: `500, ${rate * 100}%`, spec: `seed=${settings.seed};500:rate=${rate}` },
        { label: `503, ${rate * 100}%`, spec: `seed=${settings.seed};503:rate=${rate}` },
        { label: `dropped connection, ${rate * 100}%`, spec: `seed=${settings.seed};drop:rate=${rate}` },
        { label: `operation ends Failed, ${rate * 100}% of operations`, spec: `seed=${settings.seed};fail:rate=${rate}` },
      );
    }
    specs.push({ label: `mixed 429/500/503/drop/fail, 5% each`, spec: `seed=${settings.seed};429:rate=0.05;500:rate=0.05;503:rate=0.05;drop:rate=0.05;fail:rate=0.05` });
    specs.push({ label: "permanent: every registry PUT answers 500", spec: "500:rate=1,method=PUT,path=/registries/", permanent: true });
    specs.push({ label: "permanent: every VM create ends Failed", spec: "fail:rate=1,path=/virtualMachines/", permanent: true });
    const results: FaultRun[] = [];
    for (const spec of specs) {
      log(`faults: ${spec.label}`);
      const result = await faultRun({ ...options, baseline, ...spec });
      log(`  first exit ${String(result.firstExit)}, ${result.faultsInjected} faults, reruns ${result.reruns}, ${result.converged ? "converged" : "NOT converged"}`);
      results.push(result);
    }
    const transient = results.filter((r) => !specs.find((s) => s.spec === r.spec)?.permanent);
    const firstTime = transient.filter((r) => r.firstExit === 0 && r.converged);
    const permanent = results.filter((r) => specs.find((s) => s.spec === r.spec)?.permanent);
    summary.push(
      `| Transient faults | ${firstTime.length} / ${transient.length} fault runs completed in one run; all converged: ${yes(transient.every((r) => r.converged))} |`,
      `| Permanent faults | ${permanent.filter((r) => r.firstExit === 1 && r.clearError && r.converged).length} / ${permanent.length} stopped with exit 1 and a clear error, then resumed cleanly |`,
    );
    md.push(
      "## 2. Transient and permanent faults",
      "",
      "Each run starts a fresh emulator (latency none) with the fault spec set through `POST /_emulator/faults` (grammar in src/emulator/faults.ts), " +
        "runs `init` once, then reruns (faults still on) up to 3 times if needed. Permanent faults: the first run must stop with exit 1 and an error " +
        "naming the resource, ARM's code and the resume command; the faults are then cleared and the rerun must converge.",
      "",
      "| faults | spec | faults injected | first run | wall | reruns | converged | first error |",
      "|---|---|---|---|---|---|---|---|",
      ...results.map(
        (r) =>
          `| ${r.label} | \`${r.spec}\` | ${r.faultsInjected} | exit ${String(r.firstExit)} | ${formatMs(r.firstWallMs)} | ${r.reruns} | ${yes(r.converged)}${r.extra.length + r.duplicates.length > 0 ? ` (${[...r.extra, ...r.duplicates].join("; ").slice(0, 200)})` : ""} | ${(r.firstError ?? "").replace(/\|/g, "/").replace(/\n/g, " ").slice(0, 200)}${r.clearError === undefined ? "" : r.clearError ? " (clear: yes)" : " (clear: **NO**)"} |`,
      ),
      "",
      `Fault rates survived in a single run: ${firstTime.map((r) => r.label).join("; ") || "none"}.`,
      "",
    );
  }

  if (settings.sections.has("concurrency")) {
    log("concurrency: lock");
    const lock = await lockScenario({ ...options, timeScale: settings.timeScale });
    log(`  second exit ${String(lock.secondExit)} in ${formatMs(lock.secondWallMs)}; recovery ${lock.recoveryExits.join(",")}`);
    log("concurrency: two state files, one emulator");
    const two = await twoStatesScenario({ ...options, baseline });
    summary.push(
      `| Second init on a held state | exit ${String(lock.secondExit)} after ${formatMs(lock.secondWallMs)} (wanted 3 at once) |`,
      `| Lock of a killed run | recovered: ${yes(lock.recovered)} (exits ${lock.recoveryExits.join(", ")}) |`,
      `| Two states, one emulator | exits ${two.exits.join(", ")}; states intact ${yes(two.statesValid.every(Boolean) && two.prefixesKept.every(Boolean))} |`,
    );
    md.push(
      "## 3. Concurrency",
      "",
      `- Second \`init\` on the same state while the first runs (realistic latency ×${settings.timeScale}): exit **${String(lock.secondExit)}** after ${formatMs(lock.secondWallMs)} ` +
        `(process start included); first run still running then: ${yes(lock.firstStillRunning)}. Message: "${lock.secondMessage}"`,
      `- The holder killed with SIGKILL, then \`init\` again: exits ${lock.recoveryExits.join(", ")} → lock recovered: **${yes(lock.recovered)}**; lock file left after success: ${lock.lockFileLeft ? "**yes**" : "no"}`,
      `- Two \`init\` at once with different state files and prefixes against one emulator: exits ${two.exits.join(", ")}; state files valid and all steps done: ${two.statesValid.map(yes).join(", ")}; ` +
        `each kept its own prefix: ${two.prefixesKept.map(yes).join(", ")}; each resource group has the clean run's resource types and counts: ${two.sameShape.map(yes).join(", ")}; duplicates: ${two.duplicates.length}` +
        (two.problems.length ? `; problems: ${two.problems.join("; ").slice(0, 400)}` : ""),
      "",
    );
  }

  if (settings.sections.has("badinput")) {
    log("bad input corpus");
    const results = await badInputScenario(options);
    const ok = results.filter((r) => r.ok);
    const byKind = new Map<string, { n: number; ok: number }>();
    for (const r of results) {
      const k = byKind.get(r.kind) ?? { n: 0, ok: 0 };
      k.n += 1;
      if (r.ok) k.ok += 1;
      byKind.set(r.kind, k);
    }
    summary.push(`| Bad input corpus | ${ok.length} / ${results.length} → exit 2, field and rule named, 0 requests, state untouched (${pct(ok.length, results.length)}) |`);
    md.push(
      "## 4. Bad input",
      "",
      `${results.length} invalid inputs, each run as \`init --yes\` against an emulator with a valid canary state file. A case passes when the exit code is 2, ` +
        "stdout/stderr name the field and the rule, the emulator received **zero** ARM requests and the state file is byte-for-byte unchanged.",
      "",
      `- passed: **${ok.length} / ${results.length}** (${pct(ok.length, results.length)}); by kind: ${[...byKind.entries()].map(([k, v]) => `${k} ${v.ok}/${v.n}`).join(", ")}`,
      `- ARM requests received during the whole corpus: **${results[0]?.requests ?? 0}**`,
      "",
      "| case | exit | field named | rule named | requests | state untouched | message |",
      "|---|---|---|---|---|---|---|",
      ...results.map(
        (r) =>
          `| ${r.ok ? "" : "**FAIL** "}${r.name} | ${String(r.exit)} | ${yes(r.namesField)} | ${yes(r.namesRule)} | ${r.requests} | ${yes(r.stateUntouched)} | ${r.message.replace(/\|/g, "/").replace(/\n/g, " ").slice(0, 160)} |`,
      ),
      "",
    );
  }

  if (settings.sections.has("secrets")) {
    log("secrets");
    const secrets = await secretsScenario(options);
    summary.push(
      `| Secrets | ${secrets.leaks.length} leaks in ${secrets.filesScanned} files and ${secrets.runs.length} runs' stdout/stderr/JSON; state ${secrets.stateMode}, .secure-aml ${secrets.dirMode} |`,
    );
    md.push(
      "## 5. Secrets",
      "",
      `A unique jump-box password; three runs in one directory with the default state path: ${secrets.runs.map((r) => `${r.label} (exit ${String(r.exit)})`).join(", ")}. ` +
        `Searched: stdout, stderr and the JSON document of every run, and every file under the working directory (${secrets.filesScanned} files, the state file included), ` +
        `for: ${secrets.secretsLookedFor.join(", ")} (keys and credentials read from the emulator with listKeys/listCredentials).`,
      "",
      `- leaks found: **${secrets.leaks.length}**${secrets.leaks.length ? ` (${secrets.leaks.join("; ")})` : ""}`,
      `- the jump box (which receives the password) was created: ${yes(secrets.passwordReachedVm)}`,
      `- modes: state file **${secrets.stateMode}**, .secure-aml/ **${secrets.dirMode}** (wanted 600 / 700): ${yes(secrets.modesOk)}`,
      "",
    );
  }

  if (settings.sections.has("safety")) {
    log("safety");
    const safety = await safetyScenario(options);
    const d = safety.destroy;
    summary.push(
      `| destroy of an untagged group without --force | ${d.available ? `exit ${String(d.exit)}, group kept: ${yes(d.groupStillThere)}, DELETE requests: ${d.deletes}` : "destroy not implemented yet"} |`,
      `| Static token, non-loopback endpoints | refused ${safety.staticToken.refused.length - safety.staticToken.wronglyRefused.length} of 6, loopback accepted ${safety.staticToken.accepted.length - safety.staticToken.wronglyAccepted.length} of 4; wrongly accepted: ${safety.staticToken.wronglyAccepted.length}; CLI --local with a remote --endpoint: exit ${String(safety.staticToken.cliExit)} |`,
    );
    md.push(
      "## 6. Safety",
      "",
      `- \`destroy --resource-group foreign-untagged-rg --yes\` (a group created without secure-aml's tag) without --force: ${d.available ? `exit **${String(d.exit)}**, group still there: **${yes(d.groupStillThere)}**, DELETE requests sent: **${d.deletes}**. Message: "${d.message}"` : `destroy is not implemented yet ("${d.message}")`}`,
      `- The static test credential (src/azure/credential.ts createStaticTestCredential) refused for: ${safety.staticToken.refused.join(", ")}; accepted for: ${safety.staticToken.accepted.join(", ")}. ` +
        `Wrongly accepted: ${safety.staticToken.wronglyAccepted.length ? safety.staticToken.wronglyAccepted.join(", ") : "none"}; wrongly refused: ${safety.staticToken.wronglyRefused.length ? safety.staticToken.wronglyRefused.join(", ") : "none"}.`,
      `- \`init --local --endpoint https://management.azure.com\`: exit **${String(safety.staticToken.cliExit)}** ("${safety.staticToken.cliMessage}")`,
      "",
    );
  }

  // The state file's cases (issue 12): bench/reliability-state.ts.
  if (settings.sections.has("state")) {
    const state = await (await import("./reliability-state.js")).stateScenarios({ ...options, timeScale: settings.timeScale });
    summary.push(...state.summary);
    md.push(...state.md);
  }
  const needsSnapshot = settings.sections.has("daytwo") || settings.sections.has("ownership");
  const snapshot = needsSnapshot ? await deploymentSnapshot(options) : undefined;

  if (settings.sections.has("daytwo") && snapshot) {
    log(`crash during destroy, stop and start: after each request (clean runs: ${JSON.stringify(snapshot.cleanRequests)}) and ${settings.dayTwoRandomKills} random moments each`);
    const points = await crashDayTwo({
      ...options,
      snapshot,
      maxAfterRequests: settings.dayTwoAfterRequests,
      randomKills: settings.dayTwoRandomKills,
      timeScale: settings.timeScale,
      seed: settings.seed,
    });
    const killed = points.filter((p) => p.killed);
    const converged = killed.filter((p) => p.converged);
    const by = (command: string) => {
      const k = killed.filter((p) => p.command === command);
      return `${command} ${k.filter((p) => p.converged).length}/${k.length}`;
    };
    summary.push(
      `| Crash during destroy / stop / start (SIGKILL) | ${killed.length} kill points, ${converged.length} converged (${pct(converged.length, killed.length)}): ${["destroy", "stop", "start"].map(by).join(", ")}; reruns needed max ${Math.max(0, ...killed.map((p) => p.reruns))} |`,
    );
    md.push(
      "## 7. Crash during destroy, stop and start",
      "",
      `One deployment is built by \`init\` (latency none), another deployment's key vault is left soft-deleted under the same group name, and the ` +
        `emulator's world and the state file are copied for each kill point. The command (\`destroy --yes --purge\`, \`stop\`, \`start\` after a \`stop\`) is killed ` +
        `with SIGKILL (a) once the emulator has received N of its requests, N = 1 … (requests of an uninterrupted run − 1) ` +
        `(uninterrupted: destroy ${snapshot.cleanRequests.destroy}, stop ${snapshot.cleanRequests.stop}, start ${snapshot.cleanRequests.start} requests; latency none), and ` +
        `(b) at ${settings.dayTwoRandomKills} random moments each (seed ${settings.seed}) of a run with realistic latency ×${settings.timeScale}. Then the same command runs again ` +
        `until it exits 0 (at most 3 times). Converged means: destroy — the group is gone, this deployment's soft-deleted vault is purged, the state is marked destroyed; ` +
        `stop — the jump box deallocated and the compute instance Stopped; start — both running; and always: the other deployment's soft-deleted vault is still there.`,
      "",
      `- kill points tried: **${points.length}**; the process was still running when killed: **${killed.length}**`,
      `- converged: **${converged.length} / ${killed.length}** (${pct(converged.length, killed.length)}); by command: ${["destroy", "stop", "start"].map(by).join(", ")}`,
      "",
      "| kill point | requests at kill | killed | reruns | converged | problems |",
      "|---|---|---|---|---|---|",
      ...points.map(
        (p: DayTwoKillPoint) =>
          `| ${p.label} | ${p.requestsAtKill} | ${p.killed ? "yes" : "finished first"} | ${p.reruns} | ${yes(p.converged)} | ${p.problems.join("; ").replace(/\|/g, "/").slice(0, 300) || "none"} |`,
      ),
      "",
    );
  }

  const namedSection = (title: string, intro: string, cases: NamedCase[]) => {
    md.push(title, "", intro, "", "| case | passed | what was seen |", "|---|---|---|", ...cases.map((c) => `| ${c.name} | ${yes(c.ok)} | ${c.detail.replace(/\|/g, "/")} |`), "");
  };

  if (settings.sections.has("ownership") && snapshot) {
    log("ownership");
    const cases = await ownershipScenario({ ...options, snapshot });
    summary.push(`| Ownership (destroy, --purge, stop, start act only on what carries the deployment id) | ${cases.filter((c) => c.ok).length} / ${cases.length} cases passed |`);
    namedSection(
      "## 8. Ownership",
      "Ownership is proven by the deployment id the first `init` keeps in the state and stamps on everything it creates (tag `secure-aml-deployment`); " +
        "the generic tag `secure-aml=managed` proves nothing. Each case runs the CLI against a copy of the deployment above; “writes” counts PUT/PATCH/DELETE/POST requests.",
      cases,
    );
  }

  if (settings.sections.has("tokens")) {
    log("tokens and environment");
    const cases = await tokenScenario(options);
    summary.push(
      `| Tokens and environment (real token only to the cloud or a declared endpoint; loopback by resolved address; password not inherited) | ${cases.filter((c) => c.ok).length} / ${cases.length} cases passed |`,
    );
    namedSection(
      "## 9. Tokens and environment",
      "A fake `az` on PATH (DefaultAzureCredential limited to AzureCliCredential with `AZURE_TOKEN_CREDENTIALS`, so nothing probes a managed-identity address) records each " +
        "token request and the environment it inherited, then answers “not logged in”: no real token exists and nothing leaves the machine (remote endpoints are IP literals " +
        "from the documentation ranges, refused before any connection). `SECURE_AML_JUMPBOX_PASSWORD` is set for every run.",
      cases,
    );
  }
  if (snapshot) await fs.rm(snapshot.dir, { recursive: true, force: true });

  const header = [
    "# Reliability and security, measured",
    "",
    "<!-- GENERATED by bench/reliability.ts: do not edit by hand; rerun the command below. -->",
    "",
    `- Command: \`${command}\``,
    `- Machine: ${machineDescription()}`,
    `- Date: ${new Date().toISOString()}; duration ${formatMs(Date.now() - started)}`,
    "",
    "| check | result |",
    "|---|---|",
    ...summary,
    "",
  ];
  await fs.mkdir(path.dirname(settings.out), { recursive: true });
  await fs.writeFile(settings.out, [...header, ...md].join("\n"));
  log(`wrote ${path.relative(REPO_ROOT, settings.out)}`);
  process.stdout.write(`${header.join("\n")}\n`);
}

const snapshotExit = await runFromSnapshot("reliability.js", process.argv.slice(2), process.argv.includes("--quick") ? "docs/reliability-quick.md" : "docs/reliability.md");
if (snapshotExit !== undefined) process.exitCode = snapshotExit;
else await main();
