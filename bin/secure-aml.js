#!/usr/bin/env node
// Launcher of `secure-aml`. Which CLI it runs:
// - dist/src/cli/main.js, the tsc build, when present: a clone (`npm run build`, `npm test`);
// - else dist/bundle/cli/main.js, the self-contained esbuild bundle: the published package (built by `prepack`);
// - else, in a clone after `npm ci` (no install script builds anything, so that the published package has
//   none and installs without a warning), the tsc build is compiled now (about 5 s, once) and run.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

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
