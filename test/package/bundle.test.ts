// The published CLI is the esbuild bundle (scripts/bundle.mjs), not the tsc build the other tests run: this
// builds it into a folder laid out like an installed package (no node_modules anywhere above it) and runs
// it there, so a change that only the bundle breaks (a CommonJS package imported lazily, a file read beside
// a module, a require of a package name) fails here rather than on a user's machine.
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { repo, run } from "./run-node.js";

describe("the bundled CLI (what npm publishes)", () => {
  let dir: string;
  let installed: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "secure-aml-bundle-"));
    installed = path.join(dir, "lib", "node_modules", "secure-aml");
    await mkdir(path.join(installed, "bin"), { recursive: true });
    await cp(path.join(repo, "bin", "secure-aml.js"), path.join(installed, "bin", "secure-aml.js"));
    await cp(path.join(repo, "package.json"), path.join(installed, "package.json"));
    const bundled = await run([path.join(repo, "scripts", "bundle.mjs"), "--outdir", path.join(installed, "dist", "bundle")], repo);
    assert.equal(bundled.code, 0, `bundle failed: ${bundled.stderr}${bundled.stdout}`);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is split into chunks, with the commands and the emulator loaded on demand", async () => {
    const chunks = await readdir(path.join(installed, "dist", "bundle", "chunks"));
    assert.ok(chunks.length > 10, `expected many lazy chunks, got ${chunks.length}`);
    const commands = await readdir(path.join(installed, "dist", "bundle", "commands"));
    assert.ok(commands.includes("init.js") && commands.includes("destroy.js"), commands.join(", "));
  });

  it("prints its help and the package's version", async () => {
    const help = await run([path.join(installed, "bin", "secure-aml.js"), "--help"], dir);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: secure-aml/);
    const version = await run([path.join(installed, "bin", "secure-aml.js"), "--version"], dir);
    const { version: expected } = (await import(path.join(repo, "package.json"), { with: { type: "json" } })).default as { version: string };
    assert.equal(version.stdout.trim(), expected);
  });

  it("runs init --local --yes and destroy --local --yes from an empty folder", async () => {
    const work = path.join(dir, "work");
    await mkdir(work);
    const init = await run([path.join(installed, "bin", "secure-aml.js"), "init", "--local", "--yes", "--output", "json"], work);
    assert.equal(init.code, 0, init.stderr.slice(-2000));
    const result = JSON.parse(init.stdout) as { ok?: unknown };
    assert.equal(result.ok, true);
    const destroy = await run([path.join(installed, "bin", "secure-aml.js"), "destroy", "--local", "--yes"], work);
    assert.equal(destroy.code, 0, destroy.stderr.slice(-2000));
  });
});
