// Issue 3, "Done when": `npx secure-aml emulator --port 0 --data DIR --output json` prints its endpoint, and a
// client outside the project (plain Azure SDK code with `endpoint` and `tlsOptions.ca` and a static
// TokenCredential) can create and read resources in it; the world persists in DIR across a restart.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

interface StartLine {
  endpoint: string;
  caCert: string;
  subscriptionId: string;
}

/** The project root: the nearest folder above this file whose package.json is secure-aml's. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "secure-aml") return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("secure-aml's package.json not found above the test file");
    dir = parent;
  }
}

const ROOT = projectRoot();
const BIN = path.join(ROOT, "bin", "secure-aml.js");

/** A client that knows nothing of secure-aml: the SDK packages by absolute URL, options as any user would write them. */
function clientScript(): string {
  const resourcesUrl = import.meta.resolve("@azure/arm-resources");
  const networkUrl = import.meta.resolve("@azure/arm-network");
  return `import { readFileSync } from "node:fs";
const { ResourceManagementClient } = await import(${JSON.stringify(resourcesUrl)});
const { NetworkManagementClient } = await import(${JSON.stringify(networkUrl)});
const [mode, endpoint, caPath, subscriptionId] = process.argv.slice(2);
const credential = { getToken: async () => ({ token: "external-client-token", expiresOnTimestamp: Date.now() + 3600000 }) };
const options = { endpoint, tlsOptions: { ca: readFileSync(caPath, "utf8") } };
const resources = new ResourceManagementClient(credential, subscriptionId, options);
const network = new NetworkManagementClient(credential, subscriptionId, options);
if (mode === "create") {
  await resources.resourceGroups.createOrUpdate("rg-external", { location: "westeurope", tags: { from: "outside" } });
  await network.virtualNetworks.beginCreateOrUpdateAndWait(
    "rg-external",
    "vnet-external",
    { location: "westeurope", addressSpace: { addressPrefixes: ["10.42.0.0/16"] }, subnets: [{ name: "default", addressPrefix: "10.42.1.0/24" }] },
    { updateIntervalInMs: 10 },
  );
}
const group = await resources.resourceGroups.get("rg-external");
const vnet = await network.virtualNetworks.get("rg-external", "vnet-external");
process.stdout.write(JSON.stringify({
  group: { name: group.name, location: group.location, tags: group.tags },
  vnet: { id: vnet.id, provisioningState: vnet.provisioningState, prefixes: vnet.addressSpace?.addressPrefixes, subnets: (vnet.subnets ?? []).map((s) => s.addressPrefix) },
}) + "\\n");
`;
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

interface RunningCli {
  child: ChildProcess;
  start: StartLine;
  stop(): Promise<number | null>;
}

/** `node bin/secure-aml.js emulator --port 0 --data DIR --output json`, until its one JSON line. */
async function startCliEmulator(dataDir: string, cwd: string): Promise<RunningCli> {
  // cwd: a temporary folder, so that an ignored --data (the default .secure-aml/emulator) would not litter.
  const child = spawn(process.execPath, [BIN, "emulator", "--port", "0", "--data", dataDir, "--output", "json"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    const start = await new Promise<StartLine>((resolve, reject) => {
      let stdout = "";
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        const newline = stdout.indexOf("\n");
        if (newline === -1) return;
        try {
          resolve(JSON.parse(stdout.slice(0, newline)) as StartLine);
        } catch (error) {
          reject(new Error(`not one JSON line: ${stdout} (${(error as Error).message})`));
        }
      });
      void exited.then((code) => reject(new Error(`secure-aml emulator exited with ${String(code)} before listening; stderr:\n${stderr}`)));
    });
    return { child, start, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

describe("a client outside the project against `secure-aml emulator --data DIR`", () => {
  let dataDir: string;
  let clientDir: string;
  let emulator: RunningCli | undefined;

  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-external-data-"));
    clientDir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-external-client-"));
    assert.ok(path.relative(ROOT, clientDir).startsWith(".."), "the client lives outside the project");
    await fs.writeFile(path.join(clientDir, "client.mjs"), clientScript());
  });

  after(async () => {
    await emulator?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.rm(clientDir, { recursive: true, force: true });
  });

  it("prints its endpoint, serves the SDK clients, keeps the world in DIR and across a restart", async () => {
    emulator = await startCliEmulator(dataDir, clientDir);
    const first = emulator.start;
    assert.match(first.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(path.dirname(path.resolve(first.caCert)), path.resolve(dataDir), "the CA certificate is kept in DIR");

    const created = await run(process.execPath, ["client.mjs", "create", first.endpoint, first.caCert, first.subscriptionId], clientDir);
    assert.equal(created.code, 0, created.stderr);
    const seen = JSON.parse(created.stdout) as {
      group: { name: string; location: string; tags: Record<string, string> };
      vnet: { id: string; provisioningState: string; prefixes: string[]; subnets: string[] };
    };
    assert.deepEqual(seen.group, { name: "rg-external", location: "westeurope", tags: { from: "outside" } });
    assert.equal(seen.vnet.provisioningState, "Succeeded");
    assert.deepEqual(seen.vnet.prefixes, ["10.42.0.0/16"]);
    assert.deepEqual(seen.vnet.subnets, ["10.42.1.0/24"]);

    assert.equal(await emulator.stop(), 0, "SIGTERM stops the emulator with exit 0");
    emulator = undefined;
    const world = await fs.readFile(path.join(dataDir, "world.json"), "utf8");
    assert.ok(world.includes("vnet-external") && world.includes("rg-external"), "the world was written to DIR/world.json");

    emulator = await startCliEmulator(dataDir, clientDir);
    const second = emulator.start;
    assert.equal(second.caCert, first.caCert, "the same CA after a restart");
    const reread = await run(process.execPath, ["client.mjs", "read", second.endpoint, second.caCert, second.subscriptionId], clientDir);
    assert.equal(reread.code, 0, reread.stderr);
    assert.deepEqual(JSON.parse(reread.stdout), seen, "the restarted emulator serves the same world");
  });
});
