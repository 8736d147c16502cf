// Azurite (Microsoft's Azure Storage emulator, the `azurite` dev dependency) for the team-state
// tests: the blob service only, on 127.0.0.1 with a free port, data in memory, telemetry off (it
// would otherwise send telemetry: nothing may leave this machine). The account and its key are made
// up per start (AZURITE_ACCOUNTS), so no key is written in the repository. It runs in a temp
// directory (its working directory), removed at stop.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunningAzurite {
  /** http://127.0.0.1:PORT/ACCOUNT */
  serviceUrl: string;
  account: string;
  /** The connection string for SECURE_AML_STATE_CONNECTION_STRING (holds the made-up key). */
  connectionString: string;
  /** The account key itself, to assert that it never appears in output or state. */
  accountKey: string;
  /** `--state` URL of a blob. */
  blobUrl(container: string, blob: string): string;
  stop(): Promise<void>;
}

const AZURITE_BLOB_MAIN = createRequire(import.meta.url).resolve("azurite/dist/src/blob/main.js");

export async function startAzurite(): Promise<RunningAzurite> {
  const location = await mkdtemp(join(tmpdir(), "secure-aml-azurite-"));
  const account = `samltest${randomBytes(3).toString("hex")}`;
  const accountKey = randomBytes(64).toString("base64");
  const child: ChildProcess = spawn(
    process.execPath,
    [AZURITE_BLOB_MAIN, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--silent"],
    { cwd: location, env: { ...process.env, AZURITE_ACCOUNTS: `${account}:${accountKey}` }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`azurite exited (${String(code)}) before listening: ${output}`)));
    child.once("error", reject);
  });
  const serviceUrl = `http://127.0.0.1:${port}/${account}`;
  return {
    serviceUrl,
    account,
    accountKey,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${accountKey};BlobEndpoint=${serviceUrl};`,
    blobUrl: (container, blob) => `${serviceUrl}/${container}/${blob}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(location, { recursive: true, force: true });
    },
  };
}
