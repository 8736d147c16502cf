// Replays every recording of real Azure traffic in test/fixtures/recordings/ against the emulator, writes
// docs/emulator-conformance.md and fails when a figure drops below test/emulator/conformance-baseline.json.
// After a fix raises the figures: CONFORMANCE_UPDATE_BASELINE=1 npm test (or run this file) rewrites the baseline.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { recordingFiles, repositoryRoot, runConformance } from "./conformance-run.js";
import { dropsBelow, renderReport, type Baseline } from "./conformance-report.js";

const baselinePath = path.join(repositoryRoot, "test", "emulator", "conformance-baseline.json");
const docPath = path.join(repositoryRoot, "docs", "emulator-conformance.md");

test("the emulator answers recorded real Azure traffic as Azure did, no worse than the baseline", async () => {
  const files = recordingFiles();
  assert.ok(files.length >= 24, `expected the recordings in test/fixtures/recordings, found ${files.length}`);
  const previous = fs.existsSync(baselinePath) ? (JSON.parse(fs.readFileSync(baselinePath, "utf8")) as Baseline) : undefined;
  const result = await runConformance(files);
  assert.ok(result.compared.length > 400, `only ${result.compared.length} interactions replayed`);
  const report = renderReport(result, files, previous);
  fs.writeFileSync(docPath, report.markdown + "\n");
  if (process.env.CONFORMANCE_UPDATE_BASELINE === "1" || previous === undefined) {
    fs.writeFileSync(baselinePath, JSON.stringify(report.baseline, null, 2) + "\n");
  }
  assert.ok(previous, `no baseline at ${baselinePath}: one was written, commit it`);
  const drops = dropsBelow(previous, report.baseline);
  const unexplained = report.unexplained.map((d) => `${d.file}#${d.index} ${d.method} ${d.path} ${d.metric}: Azure ${d.recorded}, emulator ${d.emulator}`);
  assert.deepEqual(drops, [], `figures below the baseline (see docs/emulator-conformance.md):\n${drops.join("\n")}\nunexplained:\n${unexplained.slice(0, 40).join("\n")}`);
});
