// Team state on a blob (issue 13, item 4), against Azurite started here on 127.0.0.1 (telemetry off,
// in memory, a made-up account): the lease is the lock (a second machine exits 3; a killed run's
// lease expires and the next run takes over), writes are conditional on the ETag (a run whose lease
// lapsed cannot overwrite what another run wrote), a missing container is created by init, and the
// connection string is never printed, stored or inherited.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { openState, readState } from "../../src/engine/state.js";
import { SecureAmlError } from "../../src/errors.js";
import { STATE_CONNECTION_STRING_ENV } from "../../src/state/location.js";
import { startAzurite, type RunningAzurite } from "../helpers/azurite.js";
import type { DeploymentConfig } from "../../src/config/types.js";
import { stepsFor } from "../../src/steps/index.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = join(REPO, "bin", "secure-aml.js");
const HOLDER = fileURLToPath(new URL("../fixtures/state/blob-holder.js", import.meta.url));
const PASSWORD = "Blob-state-test-9!x";

let azurite: RunningAzurite;
const children = new Set<ReturnType<typeof spawn>>();
const dirs: string[] = [];

before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await azurite?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function workDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "secure-aml-blob-"));
  dirs.push(d);
  return d;
}

let blobCounter = 0;
/** A fresh blob URL (a fresh container each time, so that "missing container" is the usual case). */
function freshUrl(): string {
  blobCounter++;
  return azurite.blobUrl(`team-${blobCounter}-${process.pid}`, `deployments/prod/state-${blobCounter}.json`);
}

function envWithConnection(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, [STATE_CONNECTION_STRING_ENV]: azurite.connectionString, NO_COLOR: "1", CI: "1", ...extra };
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(script: string, args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const child = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<Finished>((resolve) =>
    child.on("close", (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  const line = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = stdout.split("\n").find((l) => l.startsWith(prefix));
        if (found !== undefined) resolve(found);
      };
      child.stdout.on("data", check);
      check();
      void done.then(() => reject(new Error(`exited before ${prefix}: ${stderr}`)));
    });
  return { child, done, line };
}

async function initOnBlob(url: string, cwd: string, env = envWithConnection()): Promise<Finished> {
  const run = start(CLI, ["init", "--local", "--yes", "--output", "json", "--state", url], { ...env, SECURE_AML_JUMPBOX_PASSWORD: PASSWORD }, cwd);
  run.child.stdin.end();
  return run.done;
}

function holder(url: string, host: string | undefined, cwd: string) {
  return start(HOLDER, ["--state", url, ...(host ? ["--host", host] : [])], envWithConnection(), cwd);
}

function isCode(code: string, exitCode: number) {
  return (err: unknown) => {
    assert.ok(err instanceof SecureAmlError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.exitCode, exitCode);
    return true;
  };
}

/** Every file under `dir`, for "the key is stored nowhere". */
async function allFilesText(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(names.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), "utf8").catch(() => "")));
  return texts.join("\n");
}

describe("team state on a blob (Azurite)", { concurrency: true }, () => {
  it("init creates the missing container and the blob; a second init resumes from it; the key is never printed or stored", async () => {
    const url = freshUrl();
    const cwd = await workDir();
    const first = await initOnBlob(url, cwd);
    assert.equal(first.code, 0, first.stderr);
    const state = await readState(url, { blob: { env: envWithConnection() } });
    assert.ok(state, "the blob holds the state");
    // Every step of the deployment (stepsFor its recorded configuration), each done.
    assert.deepEqual(
      Object.entries(state.steps)
        .map(([id, s]) => `${id}:${s.status}`)
        .sort(),
      stepsFor(state.config as unknown as DeploymentConfig)
        .map((s) => `${s.id}:done`)
        .sort(),
    );
    const second = await initOnBlob(url, cwd);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /Resuming: \d+ of \d+ steps were done before/);
    const blobText = JSON.stringify(await readState(url, { blob: { env: envWithConnection() } }));
    for (const text of [first.stdout, first.stderr, second.stdout, second.stderr, blobText, await allFilesText(cwd)]) {
      assert.equal(text.includes(azurite.accountKey), false, "the account key appears nowhere");
      assert.equal(text.includes(PASSWORD), false, "nor the password");
    }
  });

  it("two machines on one blob: while machine A holds the lease, machine B's init exits 3 naming A; after A ends, B runs", async () => {
    const url = freshUrl();
    const cwd = await workDir();
    const a = holder(url, "machine-a", cwd);
    const holding = await a.line("HOLDING ");
    const pid = holding.split(" ")[1];
    const b = await initOnBlob(url, await workDir());
    assert.equal(b.code, 3, b.stderr);
    assert.match(b.stderr, new RegExp(`leased by pid ${pid} on machine-a; waiting up to 20 s`), "the wait is announced");
    assert.match(b.stderr, new RegExp(`in use by another secure-aml run \\(pid ${pid} on machine-a`));
    assert.equal(a.child.exitCode, null, "A was still running (and renewing) when B gave up");
    a.child.stdin.end();
    assert.equal((await a.done).code, 0);
    const again = await initOnBlob(url, await workDir());
    assert.equal(again.code, 0, again.stderr);
    const state = await readState(url, { blob: { env: envWithConnection() } });
    assert.equal(state?.steps.holder?.outputs.by, `pid ${pid}`, "A's write is kept");
  });

  it("a live holder on this machine: the second run exits 3 without waiting for the lease", async () => {
    const url = freshUrl();
    const a = holder(url, undefined, await workDir());
    await a.line("HOLDING ");
    await assert.rejects(openState(url, { create: true, blob: { env: envWithConnection(), lockWaitMs: 3_600_000 } }), isCode("STATE_LOCKED", 3));
    a.child.stdin.end();
    assert.equal((await a.done).code, 0);
  });

  it("a run killed while holding the lease: the next run waits for the lease to expire and takes over, losing nothing", async () => {
    const url = freshUrl();
    const a = holder(url, "machine-a", await workDir());
    const pid = (await a.line("HOLDING ")).split(" ")[1];
    a.child.kill("SIGKILL");
    assert.equal((await a.done).signal, "SIGKILL");
    const next = await initOnBlob(url, await workDir());
    assert.equal(next.code, 0, next.stderr);
    const state = await readState(url, { blob: { env: envWithConnection() } });
    assert.equal(state?.steps.holder?.outputs.by, `pid ${pid}`, "the killed run's write is kept");
    assert.equal(state?.steps["resource-group"]?.status, "done");
  });

  it("conflicting writes: a run whose lease lapsed cannot overwrite what another run wrote (STATE_CONFLICT, exit 3)", async () => {
    const url = freshUrl();
    // A stalls (no renewal, like a laptop put to sleep) and its lease expires.
    const stalled = await openState(url, { create: true, blob: { env: envWithConnection(), renewIntervalMs: 3_600_000 } });
    await stalled.update((s) => (s.meta = { writer: "a" }));
    // B, on another machine, waits for the lease to expire, takes it, writes, and ends.
    const other = await openState(url, { create: true, blob: { env: envWithConnection(), hostname: "machine-b", lockPollMs: 500 } });
    assert.equal(other.data.meta?.writer, "a", "B starts from A's last write");
    await other.update((s) => (s.meta = { writer: "b" }));
    await other.close();
    await assert.rejects(
      stalled.update((s) => (s.meta = { writer: "a-again" })),
      (err: unknown) => isCode("STATE_CONFLICT", 3)(err) && /Nothing was overwritten/.test((err as Error).message),
    );
    await stalled.close();
    const saved = await readState(url, { blob: { env: envWithConnection() } });
    assert.equal(saved?.meta?.writer, "b", "B's write is kept");
  });

  it("a missing container or blob without create is STATE_NOT_FOUND (exit 2); readState gives undefined", async () => {
    const url = freshUrl();
    await assert.rejects(openState(url, { create: false, blob: { env: envWithConnection() } }), isCode("STATE_NOT_FOUND", 2));
    assert.equal(await readState(url, { blob: { env: envWithConnection() } }), undefined);
  });

  it("a missing container that this credential may not create: a clear error (exit 4) with the command that creates it", async () => {
    const { AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, StorageSharedKeyCredential, generateAccountSASQueryParameters } = await import(
      "@azure/storage-blob"
    );
    // An account SAS for blobs only (resource type "o"): it may read and write blobs, not create containers.
    const sas = generateAccountSASQueryParameters(
      {
        permissions: AccountSASPermissions.parse("rwl"),
        resourceTypes: AccountSASResourceTypes.parse("o").toString(),
        services: AccountSASServices.parse("b").toString(),
        expiresOn: new Date(Date.now() + 3_600_000),
      },
      new StorageSharedKeyCredential(azurite.account, azurite.accountKey),
    ).toString();
    const env = { [STATE_CONNECTION_STRING_ENV]: `BlobEndpoint=${azurite.serviceUrl};SharedAccessSignature=${sas}` };
    await assert.rejects(openState(freshUrl(), { create: true, blob: { env } }), (err: unknown) => {
      isCode("STATE_CONTAINER_MISSING", 5)(err);
      assert.match((err as SecureAmlError).next ?? "", /az storage container create/);
      assert.equal((err as Error).message.includes(sas), false, "the SAS is not shown");
      return true;
    });
  });

  it("credentials: a loopback blob without a connection string, or a connection string of another account, is exit 2 and shows no key", async () => {
    const url = freshUrl();
    const noConnection = { ...process.env };
    delete noConnection[STATE_CONNECTION_STRING_ENV];
    await assert.rejects(openState(url, { create: true, blob: { env: noConnection } }), isCode("STATE_CONNECTION_STRING_REQUIRED", 2));
    const otherAccount = azurite.connectionString.replaceAll(azurite.account, "someoneelse");
    await assert.rejects(openState(url, { create: true, blob: { env: { [STATE_CONNECTION_STRING_ENV]: otherAccount } } }), (err: unknown) => {
      isCode("STATE_CONNECTION_STRING_MISMATCH", 2)(err);
      assert.equal((err as Error).message.includes(azurite.accountKey), false);
      return true;
    });
  });

  it("the connection string is taken out of the environment once read (no child process inherits it)", async () => {
    const env: NodeJS.ProcessEnv = { [STATE_CONNECTION_STRING_ENV]: azurite.connectionString };
    const state = await openState(freshUrl(), { create: true, blob: { env } });
    assert.equal(env[STATE_CONNECTION_STRING_ENV], undefined);
    assert.equal(process.env[STATE_CONNECTION_STRING_ENV], undefined);
    await state.close();
  });
});
