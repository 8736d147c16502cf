#!/usr/bin/env node
// Launcher of `secure-aml`. Which CLI it runs:
// - dist/src/cli/main.js, the tsc build, when present: a clone (`npm run build`, `npm test`);
// - else dist/bundle/cli/main.js, the self-contained esbuild bundle: the published package (built by `prepack`);
// - else, in a clone after `npm ci` (no install script builds anything, so that the published package has
//   none and installs without a warning), the tsc build is compiled now (about 5 s, once) and run.
//
// Start-up time is part of the interface (issue 13: the installed `--help` within 1.5x bare `node -e 0`):
// - Node's built-ins come from process.getBuiltinModule, not `import ... from "node:fs"`: an ES import of
//   node:fs makes Node build its ES facade, which loads fs/promises, readline and the streams (about 3 ms).
// - V8's compile cache (Node >= 22.1; absent on Node 20, where this line does nothing) keeps the compiled
//   code of the CLI's modules in os.tmpdir()/node-compile-cache (or $NODE_COMPILE_CACHE), so a later run
//   skips most of the parsing. It never fails the run: an unwritable folder only leaves the cache off, and
//   NODE_DISABLE_COMPILE_CACHE=1 turns it off.
process.getBuiltinModule("node:module").enableCompileCache?.();
const { existsSync } = process.getBuiltinModule("node:fs");
const { fileURLToPath } = process.getBuiltinModule("node:url");

const at = (relative) => new URL(relative, import.meta.url);
const compiled = at("../dist/src/cli/main.js");
const bundled = at("../dist/bundle/cli/main.js");
const tsc = at("../node_modules/typescript/bin/tsc");

let entry = [compiled, bundled].find((url) => existsSync(fileURLToPath(url)));
if (entry === undefined && existsSync(fileURLToPath(at("../src/cli/main.ts"))) && existsSync(fileURLToPath(tsc))) {
  process.stderr.write("secure-aml: first run in this clone: compiling the CLI (npm run build)...\n");
  const { spawnSync } = await import("node:child_process");
  const project = fileURLToPath(at("../tsconfig.json"));
  // tsc's messages go to stderr: stdout belongs to the command (--output json).
  const build = spawnSync(process.execPath, [fileURLToPath(tsc), "-p", project], { stdio: ["ignore", 2, 2] });
  if (build.status === 0) entry = compiled;
}
if (entry === undefined) {
  process.stderr.write("secure-aml: the CLI is not built. In a clone run `npm ci && npm run build`; an installed package carries dist/bundle.\n");
  process.exit(1);
}
await import(entry.href);
