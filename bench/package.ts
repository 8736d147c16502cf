// The published package, measured (issue 13): `npm pack` (prepack bundles the CLI), the tarball's size,
// `npm install -g` of the tarball into an empty prefix with --offline and an empty cache (cold: nothing
// to reuse, and proof that no network is needed), the installed size and package count, then for each Node
// the Done-when's check: `init --local --yes` from an empty folder, and `--help` / `--version` of the
// installed CLI against bare `node -e 0`, interleaved (bare, --help, --version, bare, ...) so that the
// machine's changing load shifts all three alike, medians of at least 31 rounds.
// Used by bench/run.ts (section "Package" of docs/performance.md); `npm run bench:package` prints it alone,
// and `npm run bench:package -- --node-versions 22,24` adds those Nodes (the `node` package from the npm
// registry, as .ci/run gets them).
import { execFile, execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT, formatMs, makeTempDir, median, removeDir } from "./lib.js";

export interface PackageFigures {
  tarballName: string;
  tarballBytes: number;
  unpackedBytes: number;
  files: number;
  installMs: number[];
  installWarnings: string[];
  /** `npx` of the tarball with an empty cache, offline: `npm exec --package=<tgz> -- secure-aml --version`. */
  npxMs: number;
  installedBytes: number;
  installedPackages: number;
  /** One entry per Node the installed CLI was run with. */
  startup: StartupFigures[];
}

/** The installed CLI on one Node: init from an empty folder, then start-up against bare node. */
export interface StartupFigures {
  nodeVersion: string;
  initMs: number;
  initExit: number | null;
  rounds: number;
  bareMs: number;
  helpMs: number;
  versionMs: number;
  /** Share of rounds whose --help took at most 1.5 x that round's bare node. */
  helpRoundsWithinTarget: number;
  /** The machine's 1-minute load average before and after the rounds (2 cores here, shared). */
  load: [number, number];
}

/** The Done-when's measure takes medians of at least this many interleaved rounds. */
export const MIN_STARTUP_ROUNDS = 31;

/** Tarball ≤ 5 MB, installed ≤ 20 MB, --help ≤ 1.5 × bare node (issue 13's targets). */
export const PACKAGE_TARGETS = { tarballBytes: 5_000_000, installedBytes: 20_000_000, helpRatio: 1.5 } as const;

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function timed(run: () => Promise<Exec>): Promise<{ ms: number; result: Exec }> {
  const started = performance.now();
  const result = await run();
  return { ms: performance.now() - started, result };
}

async function sizeOf(target: string): Promise<number> {
  const info = await fs.lstat(target);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await fs.readdir(target)) total += await sizeOf(path.join(target, entry));
  return total;
}

/**
 * The repository to pack: bench runs from a snapshot of dist/ whose node_modules is a link into the real
 * clone, and `npm pack` needs the real one (src/, scripts/, README).
 */
function sourceRepository(): string {
  return path.dirname(realpathSync(path.join(REPO_ROOT, "node_modules")));
}

/**
 * The Done-when on one Node: `init --local --yes` from an empty folder (exit 0), then `--help` and `--version`
 * of the installed CLI against bare `node -e 0`, interleaved, medians of `rounds`. The CLI's stdout is a pipe,
 * as in a script or CI log.
 */
async function measureStartup(node: string, bin: string, runDir: string, rounds: number): Promise<StartupFigures> {
  const nodeVersion = (await exec(node, ["--version"])).stdout.trim();
  await fs.mkdir(runDir);
  const init = await timed(() => exec(node, [bin, "init", "--local", "--yes", "--output", "json"], { cwd: runDir }));
  const once = async (args: string[]): Promise<number> => {
    const { ms, result } = await timed(() => exec(node, args, { cwd: runDir }));
    if (result.code !== 0) throw new Error(`${node} ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
    return ms;
  };
  const bare: number[] = [];
  const help: number[] = [];
  const version: number[] = [];
  const loadBefore = os.loadavg()[0] ?? 0;
  for (let i = 0; i < rounds; i++) {
    bare.push(await once(["-e", "0"]));
    help.push(await once([bin, "--help"]));
    version.push(await once([bin, "--version"]));
  }
  const within = help.filter((ms, i) => ms <= PACKAGE_TARGETS.helpRatio * (bare[i] ?? 0)).length;
  return {
    nodeVersion,
    initMs: init.ms,
    initExit: init.result.code,
    rounds,
    bareMs: median(bare),
    helpMs: median(help),
    versionMs: median(version),
    helpRoundsWithinTarget: within / rounds,
    load: [loadBefore, os.loadavg()[0] ?? 0],
  };
}

/** The `node` executable of a major version, from the npm registry's `node` package (as .ci/run does). */
export function nodeExecutable(major: string): string {
  return execFileSync("npx", ["--yes", `node@${major}`, "-p", "process.execPath"], { encoding: "utf8" }).trim();
}

export async function measurePackage(options: { installs: number; startupRuns: number; nodes?: string[] }): Promise<PackageFigures> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const dir = await makeTempDir("package");
  try {
    const packed = await exec(npm, ["pack", "--json", "--pack-destination", dir], { cwd: sourceRepository() });
    if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
    // prepack's own output precedes npm's JSON array.
    const json = packed.stdout.slice(packed.stdout.indexOf("\n[") + 1);
    const [info] = JSON.parse(json.startsWith("[") ? json : packed.stdout) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number }>;
    if (!info) throw new Error("npm pack printed no package");
    const tarball = path.join(dir, info.filename);

    const installMs: number[] = [];
    const installWarnings: string[] = [];
    let prefix = "";
    for (let i = 0; i < options.installs; i++) {
      prefix = path.join(dir, `prefix-${i}`);
      const cache = path.join(dir, `cache-${i}`);
      const { ms, result } = await timed(() => exec(npm, ["install", "-g", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, "--cache", cache, tarball]));
      if (result.code !== 0) throw new Error(`npm install -g --offline failed: ${result.stderr}`);
      installMs.push(ms);
      for (const line of `${result.stdout}\n${result.stderr}`.split("\n")) if (/warn/i.test(line)) installWarnings.push(line.trim());
    }
    const npx = await timed(() =>
      exec(npm, ["exec", "--yes", "--offline", "--cache", path.join(dir, "cache-npx"), `--package=${tarball}`, "--", "secure-aml", "--version"], { cwd: dir }),
    );
    if (npx.result.code !== 0) throw new Error(`npx of the tarball failed: ${npx.result.stderr}`);
    const installed = path.join(prefix, "lib", "node_modules", "secure-aml");
    const nested = await fs.readdir(path.join(installed, "node_modules")).catch(() => [] as string[]);
    const bin = path.join(prefix, "bin", "secure-aml");

    const startup: StartupFigures[] = [];
    for (const [i, node] of (options.nodes ?? [process.execPath]).entries()) {
      startup.push(await measureStartup(node, bin, path.join(dir, `run-${i}`), Math.max(options.startupRuns, MIN_STARTUP_ROUNDS)));
    }
    return {
      tarballName: info.filename,
      tarballBytes: info.size,
      unpackedBytes: info.unpackedSize,
      files: info.entryCount,
      installMs,
      installWarnings,
      npxMs: npx.ms,
      installedBytes: await sizeOf(installed),
      installedPackages: 1 + nested.length,
      startup,
    };
  } finally {
    await removeDir(dir);
  }
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
const verdict = (met: boolean): string => (met ? "(met)" : "(**missed**)");

/** The "Package" section of docs/performance.md. */
export function packageSection(f: PackageFigures): string[] {
  return [
    "## Package",
    "",
    "`npm pack` (prepack: `scripts/bundle.mjs`), then `npm install -g --offline --prefix <empty> --cache <empty> <tarball>`, " +
      "then the installed `secure-aml` run from an empty folder; `npx` of the tarball with an empty cache. Before the bundle (issue 13): 145 packages, 238 MB installed, about two minutes for a cold `npx`.",
    "",
    "| figure | value | target |",
    "|---|---|---|",
    `| tarball (${f.tarballName}) | ${mb(f.tarballBytes)}, ${f.files} files, ${mb(f.unpackedBytes)} unpacked | ≤ 5 MB ${verdict(f.tarballBytes <= PACKAGE_TARGETS.tarballBytes)} |`,
    `| installed size | ${mb(f.installedBytes)}, ${f.installedPackages} package${f.installedPackages === 1 ? "" : "s"} | ≤ 20 MB ${verdict(f.installedBytes <= PACKAGE_TARGETS.installedBytes)} |`,
    `| cold install, offline, empty prefix and cache (median of ${f.installMs.length}) | ${formatMs(median(f.installMs))} | no network, no warning ${verdict(f.installWarnings.length === 0)} |`,
    `| cold \`npx\` of the tarball, offline, empty cache (\`npm exec --package=<tgz> -- secure-aml --version\`) | ${formatMs(f.npxMs)} | |`,
    ...(f.installWarnings.length > 0 ? ["", "Install warnings:", "", ...f.installWarnings.map((line) => `- ${line}`)] : []),
    "",
    `The installed CLI on each Node: \`init --local --yes\` from an empty folder, then \`--help\` and \`--version\` against bare \`node -e 0\`, ` +
      `interleaved (bare, --help, --version, bare, ...), medians; stdout a pipe. "Rounds within" counts the rounds whose \`--help\` took at most 1.5× that round's bare node.`,
    "",
    "| Node | `init --local --yes` | bare `node -e 0` | `--help` | `--version` | rounds within 1.5× | load (1 min) |",
    "|---|---|---|---|---|---|---|",
    ...f.startup.map((s) => {
      const help = s.helpMs / s.bareMs;
      return (
        `| ${s.nodeVersion} | ${formatMs(s.initMs)}, exit ${s.initExit} ${verdict(s.initExit === 0)} | ${formatMs(s.bareMs)} | ` +
        `${formatMs(s.helpMs)} = **${help.toFixed(2)}×** ${verdict(help <= PACKAGE_TARGETS.helpRatio)} | ${formatMs(s.versionMs)} = ${(s.versionMs / s.bareMs).toFixed(2)}× | ` +
        `${Math.round(s.helpRoundsWithinTarget * 100)}% of ${s.rounds} | ${s.load[0].toFixed(1)} → ${s.load[1].toFixed(1)} |`
      );
    }),
    "",
  ];
}

// `node dist/bench/package.js [--installs N] [--startup-runs N] [--node-versions 22,24]`: this section alone, on stdout.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2);
  const number = (flag: string, fallback: number): number => {
    const at = argv.indexOf(flag);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  const versionsAt = argv.indexOf("--node-versions");
  const versions = versionsAt >= 0 ? (argv[versionsAt + 1] ?? "").split(",").filter(Boolean) : [];
  const nodes = [process.execPath, ...versions.map(nodeExecutable)];
  const figures = await measurePackage({ installs: number("--installs", 3), startupRuns: number("--startup-runs", MIN_STARTUP_ROUNDS), nodes });
  process.stdout.write(packageSection(figures).join("\n"));
  const met =
    figures.tarballBytes <= PACKAGE_TARGETS.tarballBytes &&
    figures.installedBytes <= PACKAGE_TARGETS.installedBytes &&
    figures.startup.every((s) => s.initExit === 0 && s.helpMs <= PACKAGE_TARGETS.helpRatio * s.bareMs) &&
    figures.installWarnings.length === 0;
  process.exitCode = met ? 0 : 1;
}
