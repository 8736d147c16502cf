// The installed CLI answers `--help`, `-h`, `--version` and `-V` (stdout not a terminal) from text that
// scripts/bundle.mjs rendered when it built the bundle, without loading the CLI (bin/secure-aml.js, issue 13's
// start-up target). This proves that text is what commander prints for the same program, in the bundle and in
// the tsc build, that the launcher really prints it, and that everything else still goes to the CLI. The CLI
// itself builds each subcommand's whole option set only when the subcommand is named (src/cli/program.ts):
// the program's help must not depend on that either.
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { repo, run } from "./run-node.js";
import { programFor, type CliContext } from "../../src/cli/program.js";

const tscMain = path.join(repo, "dist", "src", "cli", "main.js");
const STATIC_ARGUMENTS = ["--help", "-h", "--version", "-V"];

describe("the installed CLI's build-time help and version", () => {
  let dir: string;
  let launcher: string;
  let bundledMain: string;
  let staticOutputFile: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "secure-aml-help-"));
    const installed = path.join(dir, "lib", "node_modules", "secure-aml");
    await mkdir(path.join(installed, "bin"), { recursive: true });
    // As npm installs it: the launcher runs as CommonJS (test/package/bundle.test.ts runs it as an ES module).
    await cp(path.join(repo, "bin", "secure-aml.js"), path.join(installed, "bin", "secure-aml.js"));
    await cp(path.join(repo, "bin", "package.json"), path.join(installed, "bin", "package.json"));
    await cp(path.join(repo, "package.json"), path.join(installed, "package.json"));
    const bundled = await run([path.join(repo, "scripts", "bundle.mjs"), "--outdir", path.join(installed, "dist", "bundle")], repo);
    assert.equal(bundled.code, 0, `bundle failed: ${bundled.stderr}${bundled.stdout}`);
    launcher = path.join(installed, "bin", "secure-aml.js");
    bundledMain = path.join(installed, "dist", "bundle", "cli", "main.js");
    staticOutputFile = path.join(installed, "dist", "bundle", "cli", "static-output.json");
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("prints for each of them exactly what commander prints, in the bundle and in the tsc build", async () => {
    for (const argument of STATIC_ARGUMENTS) {
      const [installed, bundle, tsc] = await Promise.all([run([launcher, argument], dir), run([bundledMain, argument], dir), run([tscMain, argument], dir)]);
      assert.equal(installed.code, 0, `${argument}: ${installed.stderr}`);
      assert.equal(installed.stderr, "", argument);
      assert.ok(installed.stdout.length > 0, argument);
      assert.equal(installed.stdout, bundle.stdout, `${argument}: launcher and bundled CLI differ`);
      assert.equal(installed.stdout, tsc.stdout, `${argument}: launcher and tsc build differ`);
    }
  });

  it("prints the build-time text itself, without loading the CLI", async () => {
    const original = await readFile(staticOutputFile, "utf8");
    try {
      const texts = JSON.parse(original) as Record<string, string>;
      assert.deepEqual(Object.keys(texts).sort(), [...STATIC_ARGUMENTS].sort());
      await writeFile(staticOutputFile, JSON.stringify({ ...texts, "--help": "marker: from static-output.json\n" }));
      const help = await run([launcher, "--help"], dir);
      assert.equal(help.stdout, "marker: from static-output.json\n");
      // Without the file, the CLI answers.
      await rm(staticOutputFile);
      const fallback = await run([launcher, "--help"], dir);
      assert.equal(fallback.code, 0, fallback.stderr);
      assert.equal(fallback.stdout, texts["--help"]);
    } finally {
      await writeFile(staticOutputFile, original);
    }
  });

  it("leaves every other command line to the CLI", async () => {
    for (const args of [
      ["init", "--help"],
      ["help", "status"],
      ["emulator", "--help"],
    ]) {
      const [installed, tsc] = await Promise.all([run([launcher, ...args], dir), run([tscMain, ...args], dir)]);
      assert.equal(installed.code, 0, `${args.join(" ")}: ${installed.stderr}`);
      assert.match(installed.stdout, new RegExp(`Usage: secure-aml ${args.at(-1) === "--help" ? args[0] : args[1]}`));
      assert.equal(installed.stdout, tsc.stdout, args.join(" "));
    }
    const noArguments = await run([launcher], dir);
    assert.equal(noArguments.code, 2);
    assert.match(noArguments.stderr, /Usage: secure-aml/);
  });
});

describe("the program's help does not depend on which subcommands are complete", () => {
  const ctx: CliContext = { io: { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() }, env: {} };
  const commands = ["init", "plan", "status", "verify", "stop", "start", "destroy", "emulator"];

  it("shows the same program help with no subcommand complete and with every one complete", async () => {
    const none = await programFor(["node", "secure-aml", "--help"], ctx);
    const every = await programFor(["node", "secure-aml", ...commands], ctx);
    assert.deepEqual(
      every.commands.map((command) => command.name()),
      commands,
    );
    // The lazily built program really leaves options out (otherwise this test proves nothing).
    const initOptions = (program: typeof none) => program.commands.find((command) => command.name() === "init")?.options.length ?? 0;
    assert.ok(initOptions(every) > initOptions(none) + 20, `init options: ${initOptions(none)} lazily, ${initOptions(every)} complete`);
    assert.equal(none.helpInformation(), every.helpInformation());
  });

  it("gives a named subcommand the same help as when every subcommand is complete", async () => {
    const every = await programFor(["node", "secure-aml", ...commands], ctx);
    for (const name of commands) {
      const alone = await programFor(["node", "secure-aml", name, "--help"], ctx);
      const help = (program: typeof alone) => program.commands.find((command) => command.name() === name)?.helpInformation();
      assert.equal(help(alone), help(every), name);
      assert.match(help(alone) ?? "", /Common options:|--port/, name);
    }
  });
});

describe("help is wrapped at 80 columns at most, so a wide terminal gets the build-time text", () => {
  const contextFor = (stdout: PassThrough): CliContext => ({ io: { stdout, stderr: new PassThrough(), stdin: new PassThrough() }, env: {} });
  const terminal = (columns: number) => Object.assign(new PassThrough(), { isTTY: true, columns });
  const helpFor = async (stdout: PassThrough, args: string[]) => {
    const program = await programFor(["node", "secure-aml", ...args, "--help"], contextFor(stdout));
    const command = args.length === 0 ? program : program.commands.find((c) => c.name() === args[0]);
    return command?.helpInformation() ?? "";
  };

  for (const args of [[], ["init"], ["destroy"]]) {
    it(`secure-aml ${[...args, "--help"].join(" ")}: the same on a pipe and on terminals of 80 and 200 columns; laid out anew on 60`, async () => {
      const piped = await helpFor(new PassThrough(), args);
      assert.equal(await helpFor(terminal(80), args), piped);
      assert.equal(await helpFor(terminal(200), args), piped);
      const narrow = await helpFor(terminal(60), args);
      // Commander lays help out for the terminal's width (below 40 columns left for descriptions it stops wrapping them).
      assert.notEqual(narrow, piped, "a 60-column terminal gets help laid out for its width");
    });
  }
});
