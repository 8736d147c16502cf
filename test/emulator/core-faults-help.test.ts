// Every `--faults` example the CLI's help shows must be a spec the fault grammar accepts
// (src/emulator/faults.ts, docs/emulator.md "Faults"): a user who copies one must not get exit 2.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseFaultSpec } from "../../src/emulator/faults.js";

function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "bin", "secure-aml.js"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("bin/secure-aml.js not found above the test file");
    dir = parent;
  }
  return dir;
}

/** The fault specs a help text shows: `--faults "SPEC"` examples and the `e.g. "SPEC"` of the option's line. */
export function faultExamples(help: string): string[] {
  const examples = [...help.matchAll(/--faults "([^"]*)"/g)].map((match) => match[1]!);
  const option = /--faults <spec>[\s\S]*?e\.g\.\s+"([^"]*)"/.exec(help);
  if (option) examples.push(option[1]!);
  return examples;
}

describe("secure-aml emulator --help", () => {
  it("shows only --faults examples the fault grammar accepts", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(projectRoot(), "bin", "secure-aml.js"), "emulator", "--help"], { timeout: 30_000 });
    const examples = faultExamples(stdout);
    assert.ok(examples.length >= 2, `expected the example line and the option's e.g., found: ${JSON.stringify(examples)}\n${stdout}`);
    for (const spec of examples) {
      assert.doesNotThrow(() => parseFaultSpec(spec), `--faults "${spec}" in the help`);
      assert.ok(parseFaultSpec(spec).rules.length > 0, `--faults "${spec}" injects something`);
    }
  });

  it("would catch the comma-separated form the grammar refuses", () => {
    const [bad] = faultExamples('  $ secure-aml emulator --faults "seed=1,429=0.1"');
    assert.equal(bad, "seed=1,429=0.1");
    assert.throws(() => parseFaultSpec(bad));
  });
});
