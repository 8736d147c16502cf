// Runs every recording in test/fixtures/recordings/ against a fresh in-process emulator (one subscription per
// recording, so recordings never see each other's resources) and returns the comparison.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../../src/emulator/server.js";
import { loadCassette, replayCassette, type ReplayResult } from "./replay.js";
import { NOT_EMULATED } from "./conformance-expectations.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/test/emulator or test/emulator. */
export const repositoryRoot = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..");
export const recordingsDir = path.join(repositoryRoot, "test", "fixtures", "recordings");

export function recordingFiles(): string[] {
  const files: string[] = [];
  for (const source of fs.readdirSync(recordingsDir, { withFileTypes: true })) {
    if (!source.isDirectory()) continue;
    for (const file of fs.readdirSync(path.join(recordingsDir, source.name)).sort()) {
      if (file.endsWith(".yaml")) files.push(path.join(recordingsDir, source.name, file));
    }
  }
  return files;
}

/**
 * Each recording gets an emulator of its own (its world starts empty: storage account names are global, and
 * several recordings reuse one). The TLS material is made once and copied.
 */
export async function runConformance(files: readonly string[] = recordingFiles()): Promise<ReplayResult> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "secure-aml-conformance-"));
  const all: ReplayResult = { compared: [], skipped: [], preparedResourceGroups: [], preparedResources: [], preparedPrincipals: [] };
  try {
    for (const [index, file] of files.entries()) {
      const dataDir = path.join(root, String(index));
      fs.mkdirSync(dataDir);
      if (index > 0)
        for (const pem of fs.readdirSync(path.join(root, "0")).filter((name) => name.endsWith(".pem"))) fs.copyFileSync(path.join(root, "0", pem), path.join(dataDir, pem));
      const emulator = await startEmulator({ dataDir, latency: "none", log: () => undefined });
      try {
        const subscriptionId = `00000000-0000-4000-8000-${String(index + 1).padStart(12, "0")}`;
        const result = await replayCassette({ endpoint: emulator.endpoint, caCert: emulator.caCert }, file, loadCassette(file), subscriptionId, NOT_EMULATED);
        all.compared.push(...result.compared);
        all.skipped.push(...result.skipped);
        all.preparedResourceGroups.push(...result.preparedResourceGroups);
        all.preparedResources.push(...result.preparedResources);
        all.preparedPrincipals.push(...result.preparedPrincipals);
      } finally {
        await emulator.stop();
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return all;
}
