#!/usr/bin/env node
// Builds the published CLI: one esbuild pass over the TypeScript sources into dist/bundle/, with every
// dependency inside, so the package installs with no runtime dependency, no script and no network.
//
// Layout (why it is what it is):
// - ESM with code splitting: each `await import()` in src stays a separate chunk, loaded only when used, so
//   `--help` parses the small CLI chunk only (lazy loading as in the tsc build).
// - dist/bundle/<dir>/<name>.js mirrors src/<dir>/<name>.ts at the same depth as dist/src/<dir>/<name>.js, and
//   the shared chunks sit one level down too (dist/bundle/chunks/): code that finds files relative to its own
//   URL works unchanged (program.ts's `../../../package.json`, `loadExport("../commands/init.js")`).
// - The command modules and the emulator's entry are entry points of their own, because the CLI imports them
//   by a computed URL (loadExport) that a bundler cannot follow.
// - Not bundled, on purpose: src/emulator/spec-validation.ts and oav (test-only; the emulator reports
//   "spec validation off" without them).
import { build } from "esbuild";
import { builtinModules as builtinList } from "node:module";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
// `--outdir DIR` (tests): elsewhere than dist/bundle; keep it two levels below a package.json for --version.
const outdirAt = process.argv.indexOf("--outdir");
const outdir = outdirAt > 0 ? path.resolve(process.argv[outdirAt + 1]) : path.join(root, "dist/bundle");
const src = (relative) => path.join(root, "src", relative);

const commandEntries = readdirSync(src("commands"))
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
  .map((file) => src(`commands/${file}`));
const entryPoints = [src("cli/main.ts"), src("emulator/entry.ts"), ...commandEntries];

/**
 * `createRequire(import.meta.url)("pkg")` loads a package lazily and synchronously in the tsc build
 * (src/config/rules.ts does it for ipaddr.js); in the bundle there is no node_modules to load from, so such
 * calls on a package name become esbuild's `require("pkg")`, which bundles the package and still
 * evaluates it on first call. Node built-ins (`node:*`) keep their createRequire.
 */
const lazyRequirePlugin = {
  name: "lazy-require",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      let contents = readFileSync(args.path, "utf8");
      const declared = [...contents.matchAll(/const (\w+) = createRequire\(import\.meta\.url\);/g)].map((m) => m[1]);
      for (const name of declared) {
        contents = contents.replace(new RegExp(`\\b${name}\\((["'])(?!node:)([^"']+)\\1\\)`, "g"), 'require("$2")');
      }
      return { contents, loader: "ts" };
    });
  },
};

/**
 * `await import("pkg")` of a CommonJS package: Node gives the named exports (found by its CommonJS lexer), but
 * an esbuild split chunk of CommonJS exports only `default`, so `(await import("ajv")).Ajv` would be undefined.
 * Such imports go through a small ES module that names the exports Node itself finds for that file.
 */
const commonJsNamedExportsPlugin = {
  name: "commonjs-named-exports",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== "dynamic-import" || args.pluginData === "inner" || isBuiltin(args.path)) return undefined;
      const resolved = await pluginBuild.resolve(args.path, { kind: "import-statement", resolveDir: args.resolveDir, pluginData: "inner" });
      if (resolved.errors.length > 0 || !isCommonJs(resolved.path)) return undefined;
      return { path: resolved.path, namespace: "commonjs-named-exports" };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: "commonjs-named-exports" }, async (args) => {
      const namespace = await import(pathToFileURL(args.path).href);
      const names = Object.keys(namespace).filter((name) => name !== "default" && /^[A-Za-z_$][\w$]*$/.test(name));
      const target = JSON.stringify(args.path);
      const contents = `const cjs = require(${target});\nexport default cjs;\nexport const { ${names.join(", ")} } = cjs;\n`;
      return { contents, loader: "js", resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * commander requires node:child_process when it loads, for "executable" subcommands (a separate program per
 * command), which secure-aml does not have. That require costs every start about 4 ms (it loads net, dgram,
 * and the socket machinery): a third of what `--help` may add to bare node (issue 13). commander gets a
 * stand-in that requires child_process on first use of one of its functions.
 */
const lazyChildProcessPlugin = {
  name: "lazy-child-process",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: args.path, namespace: "lazy-child-process" } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: "lazy-child-process" }, () => ({
      contents: 'let loaded;\nmodule.exports = new Proxy({}, { get: (_, name) => (loaded ??= require("node:child_process"))[name] });\n',
      loader: "js",
    }));
  },
};

/** Node's rule for a file's module format: .cjs/.mjs, else the nearest package.json's "type". */
function isCommonJs(file) {
  if (file.endsWith(".cjs")) return true;
  if (file.endsWith(".mjs")) return false;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, "utf8")).type !== "module";
  }
  return true;
}

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints,
  absWorkingDir: root,
  outdir,
  outbase: path.join(root, "src"),
  entryNames: "[dir]/[name]",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  // The CommonJS packages inside call require() for Node's built-ins: give the ESM chunks a real one.
  banner: { js: 'import { createRequire as __bundleCreateRequire } from "node:module"; const require = __bundleCreateRequire(import.meta.url);' },
  // ...and the module-scope names CommonJS code expects (Node >= 20.11 has both on import.meta).
  define: { __filename: "import.meta.filename", __dirname: "import.meta.dirname" },
  // Whitespace and syntax only: identifiers and class names stay readable in stack traces and in the SDKs'
  // messages that use `constructor.name` (@azure/identity names the credential that failed or succeeded).
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [lazyRequirePlugin, commonJsNamedExportsPlugin, lazyChildProcessPlugin],
});

// A package left unbundled would fail only on a user's machine: refuse to ship one. Allowed: packages that
// a dependency requires inside try/catch, as an optional extra (esbuild leaves those calls in place).
const OPTIONAL_PACKAGES = new Set([
  "supports-color", // debug (via @azure/core-rest-pipeline's agents): colours in DEBUG output when installed
]);
const external = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const imported of output.imports) {
    if (imported.external && !imported.path.startsWith("node:") && !isBuiltin(imported.path) && !OPTIONAL_PACKAGES.has(imported.path)) {
      external.add(imported.path);
    }
  }
}
if (external.size > 0) {
  console.error(`bundle: left outside the bundle: ${[...external].join(", ")}`);
  process.exit(1);
}

// `--help` and `--version` read the launcher, cli/main.js and esbuild's small runtime chunk (helpers such as
// __name, shared by every entry), nothing else (issue 13: within 1.5x bare node). esbuild moves any module
// that the commands share into a chunk of its own, and an ES import of node:fs or node:process builds that
// module's ES facade (fs/promises, readline, streams, the standard streams): a change to src/cli/ that
// brings either back is refused here rather than measured later.
const cliEntry = path.relative(root, path.join(outdir, "cli/main.js")).split(path.sep).join("/");
const startPath = result.metafile.outputs[cliEntry]?.imports.filter((imported) => imported.kind === "import-statement") ?? [];
const isRuntimeOnly = (output) => Object.keys(result.metafile.outputs[output]?.inputs ?? { unknown: 1 }).length === 0;
const chunksOnStart = startPath.filter((imported) => !imported.external && !isRuntimeOnly(imported.path)).map((imported) => imported.path);
const facadesOnStart = startPath.filter((imported) => imported.external && /^(node:)?(fs|process)$/.test(imported.path)).map((imported) => imported.path);
if (chunksOnStart.length > 0 || facadesOnStart.length > 0) {
  console.error(
    `bundle: cli/main.js must load alone for --help: it imports ${[...chunksOnStart, ...facadesOnStart].join(", ")} at start-up ` +
      "(use await import() for secure-aml modules, process.getBuiltinModule() for node:fs and node:process)",
  );
  process.exit(1);
}

// The bundle is ESM whatever the nearest package.json says.
writeFileSync(path.join(outdir, "package.json"), JSON.stringify({ type: "module" }) + "\n");
// The program's own help and version are fixed text: rendered here once, by the bundle just built (the same
// commander program, stdout not a terminal, so commander's 80 columns), for the launcher to print without
// loading the CLI when stdout is not a terminal (bin/secure-aml.js; test/package/help-snapshot.test.ts
// checks that they stay equal to what commander prints).
const staticOutput = {};
for (const args of [["--help"], ["-h"], ["--version"], ["-V"]]) {
  const env = { ...process.env };
  for (const name of ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"]) delete env[name];
  const rendered = spawnSync(process.execPath, [path.join(outdir, "cli/main.js"), ...args], { env, encoding: "utf8" });
  if (rendered.status !== 0 || rendered.stderr !== "") {
    console.error(`bundle: secure-aml ${args.join(" ")} failed (exit ${rendered.status}): ${rendered.stderr}`);
    process.exit(1);
  }
  staticOutput[args.join(" ")] = rendered.stdout;
}
writeFileSync(path.join(outdir, "cli/static-output.json"), JSON.stringify(staticOutput) + "\n");
// What is in each chunk and why (esbuild's analyser reads it): beside the bundle, not in the package.
writeFileSync(path.join(path.dirname(outdir), "bundle-meta.json"), JSON.stringify(result.metafile));

let bytes = 0;
let files = 0;
for (const file of Object.keys(result.metafile.outputs)) {
  bytes += statSync(path.resolve(root, file)).size;
  files += 1;
}
console.log(`bundle: ${files} files, ${(bytes / 1e6).toFixed(2)} MB in ${path.relative(root, outdir) || outdir}`);

function isBuiltin(name) {
  // `node:crypto` as well as `crypto`, and sub-paths such as `node:dns/promises`.
  const bare = name.replace(/^node:/, "");
  return builtinList.includes(bare) || builtinList.includes(bare.split("/")[0]);
}
