#!/usr/bin/env node
// Launcher of `secure-aml`. Which CLI it runs:
// - dist/src/cli/main.js, the tsc build, when present: a clone (`npm run build`, `npm test`);
// - else dist/bundle/cli/main.js, the self-contained esbuild bundle: the published package (built by `prepack`);
// - else, in a clone after `npm ci` (no install script builds anything, so that the published package has
//   none and installs without a warning), the tsc build is compiled now (about 5 s, once) and run.
//
// Start-up time is part of the interface (issue 13: the installed `--help` within 1.5x bare `node -e 0`):
// - This file is CommonJS (bin/package.json says so): Node then starts without its ES module loader, about
//   3 ms that `--help` does not need. It is written to run as an ES module too (no require, import.meta or
//   top-level await: only import() and process.getBuiltinModule), so a copy without bin/package.json works.
// - `--help`, `-h`, `--version` and `-V` from the bundle (stdout not a terminal, or one of 80 columns or more) print the text that the
//   bundle's build rendered with the same program, without loading the CLI (staticOutputFor below).
// - Node's built-ins come from process.getBuiltinModule, not `import ... from "node:fs"`: an ES import of
//   node:fs makes Node build its ES facade, which loads fs/promises, readline and the streams (about 3 ms).
// - V8's compile cache (Node >= 22.1; absent on Node 20, where the call does nothing) keeps the compiled
//   code of the CLI's modules in os.tmpdir()/node-compile-cache (or $NODE_COMPILE_CACHE), so a later run
//   skips most of the parsing. It never fails the run: an unwritable folder only leaves the cache off, and
//   NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const { existsSync, readFileSync, realpathSync } = process.getBuiltinModule("node:fs");
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule("node:url");

// This file, through npm's bin link: __filename as CommonJS, else the path node was given, resolved.
const launcher = pathToFileURL(typeof __filename === "string" ? __filename : realpathSync(process.argv[1]));
const at = (relative) => new URL(relative, launcher);
const compiled = at("../dist/src/cli/main.js");
const bundled = at("../dist/bundle/cli/main.js");
const tsc = at("../node_modules/typescript/bin/tsc");

let entry = [compiled, bundled].find((url) => existsSync(fileURLToPath(url)));
if (entry === undefined && existsSync(fileURLToPath(at("../src/cli/main.ts"))) && existsSync(fileURLToPath(tsc))) {
  process.stderr.write("secure-aml: first run in this clone: compiling the CLI (npm run build)...\n");
  const { spawnSync } = process.getBuiltinModule("node:child_process");
  const project = fileURLToPath(at("../tsconfig.json"));
  // tsc's messages go to stderr: stdout belongs to the command (--output json).
  const build = spawnSync(process.execPath, [fileURLToPath(tsc), "-p", project], { stdio: ["ignore", 2, 2] });
  if (build.status === 0) entry = compiled;
}
if (entry === undefined) {
  process.stderr.write("secure-aml: the CLI is not built. In a clone run `npm ci && npm run build`; an installed package carries dist/bundle.\n");
  process.exit(1);
}

/**
 * `secure-aml --help` (or -h, --version, -V) from the bundle: the text commander prints for it, which
 * scripts/bundle.mjs rendered from the same program when it built the bundle (test/package/help-snapshot.test.ts
 * checks that they are equal), so it is printed without loading the CLI. Help is wrapped at 80 columns at most
 * (src/cli/program.ts HELP_MAX_WIDTH): on a terminal narrower than that, the CLI renders it to the terminal's width.
 */
function staticOutputFor(argv) {
  if (entry !== bundled || argv.length !== 3) return undefined;
  if (process.getBuiltinModule("node:tty").isatty(1) && !(process.stdout.columns >= HELP_MAX_WIDTH)) return undefined;
  let texts;
  try {
    texts = JSON.parse(readFileSync(fileURLToPath(at("../dist/bundle/cli/static-output.json")), "utf8"));
  } catch {
    return undefined; // none beside this bundle: the CLI answers
  }
  return Object.hasOwn(texts, argv[2]) ? texts[argv[2]] : undefined;
}

/** src/cli/program.ts HELP_MAX_WIDTH: the width the pre-rendered help was wrapped at. */
const HELP_MAX_WIDTH = 80;
const staticOutput = staticOutputFor(process.argv);
if (staticOutput === undefined) {
  process.getBuiltinModule("node:module").enableCompileCache?.();
  // Not awaited (CommonJS has no top-level await): a CLI that fails to load is an unhandled rejection,
  // which Node prints before it exits with 1.
  import(entry.href);
} else {
  writeToStdout(staticOutput);
}

/**
 * Writes to file descriptor 1 directly: creating process.stdout would load Node's stream classes, most of the
 * time this path takes. A pipe whose reader has gone (`secure-aml --help | head`) is not an error worth a
 * stack trace (as in src/cli/main.ts); a non-blocking descriptor that is full takes the rest through
 * process.stdout, which waits for it.
 */
function writeToStdout(text) {
  const { writeSync } = process.getBuiltinModule("node:fs");
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch (error) {
    if (error.code === "EPIPE") return;
    if (error.code !== "EAGAIN") throw error;
    process.stdout.write(bytes.subarray(written));
  }
}
