// Credentials go only where they belong (issue 12). A fake `az` on PATH stands in for the Azure CLI
// (DefaultAzureCredential restricted to AzureCliCredential by AZURE_TOKEN_CREDENTIALS, so nothing
// probes a managed-identity address): it records that a real token was asked for, and the
// environment it inherited, then says "not logged in". No real credential ever yields a token.
//   - an endpoint that resolves to loopback ("localhost." with a trailing dot, the host's own name
//     when it resolves to 127.0.0.1) gets the static test token, never a real one;
//   - a remote endpoint that is neither the cloud's nor declared trusted is refused, exit 2, with no
//     token asked for and no request;
//   - SECURE_AML_JUMPBOX_PASSWORD is not inherited by the `az` child.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { lookup } from "node:dns/promises";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { decideEndpointTrust, resolvesToLoopback } from "../../src/azure/credential.js";
import { cloudProfile } from "../../src/azure/clouds.js";
import { InputError } from "../../src/errors.js";
import { createAzureContext } from "../../src/azure/clients.js";
import { createPipelineRequest } from "@azure/core-rest-pipeline";
import { spawnCli, type CliRun } from "../helpers/cli.js";

const PASSWORD = "Env-Secret-Horse-77";
const SUBSCRIPTION = "00000000-0000-4000-8000-0000000000c1";

describe("credentials and endpoints", () => {
  let emulator: TestEmulator;
  let dir: string;
  let fakeBin: string;
  let azCalls: string;

  before(async () => {
    emulator = await startTestEmulator();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-aml-credentials-"));
    fakeBin = path.join(dir, "bin");
    azCalls = path.join(dir, "az-calls");
    await fs.mkdir(fakeBin);
    await fs.mkdir(azCalls);
    // The fake Azure CLI: one file per call holding the environment it was given; then "not logged in".
    await fs.writeFile(path.join(fakeBin, "az"), `#!/bin/sh\nenv > "${azCalls}/call-$$.env"\necho "ERROR: Please run 'az login' to setup account." >&2\nexit 1\n`, { mode: 0o755 });
  });
  after(async () => {
    await emulator?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> =>
    spawnCli([...args, "--no-color"], {
      cwd: dir,
      env: {
        PATH: `${fakeBin}:${process.env.PATH ?? ""}`,
        HOME: dir,
        CI: "1",
        NO_COLOR: "1",
        AZURE_TOKEN_CREDENTIALS: "AzureCliCredential",
        ...extraEnv,
      },
    });
  const azCallEnvs = async (): Promise<string[]> => Promise.all((await fs.readdir(azCalls)).map((f) => fs.readFile(path.join(azCalls, f), "utf8")));
  const clearAzCalls = async () => {
    for (const f of await fs.readdir(azCalls)) await fs.rm(path.join(azCalls, f));
  };
  const port = () => new URL(emulator.endpoint).port;
  const dayTwo = (endpoint: string) => [
    "status",
    "--output",
    "json",
    "--subscription",
    emulator.subscriptionId,
    "--resource-group",
    "rg-credentials",
    "--endpoint",
    endpoint,
    "--ca-cert",
    emulator.caCertPath,
    "--state",
    path.join(dir, "none.json"),
  ];

  it("the fake az is reachable: the cloud's own endpoint asks it for a real token (the control case)", async () => {
    await clearAzCalls();
    const run = await cli(["status", "--subscription", SUBSCRIPTION, "--resource-group", "rg-credentials", "--state", path.join(dir, "none.json")]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /NOT_SIGNED_IN|No Azure credential|az login/);
    assert.equal((await azCallEnvs()).length >= 1, true, "a real token was asked of az for management.azure.com");
  });

  it('"localhost." (trailing dot) is loopback: the static test token, never a real one', async () => {
    await clearAzCalls();
    const run = await cli(dayTwo(`https://localhost.:${port()}`));
    assert.deepEqual(await azCallEnvs(), [], "az was never asked for a token");
    assert.notEqual(run.code, 2, `not refused as a remote endpoint: ${run.stderr}`);
    // Where the system resolver knows "localhost." (systemd-resolved does; a bare hosts file does
    // not), the emulator is reached, with the static token.
    if (
      await lookup("localhost.").then(
        () => true,
        () => false,
      )
    ) {
      const requests = await emulator.requestLog();
      assert.ok(
        requests.some((r) => /rg-credentials/i.test(r.path)),
        "the emulator was reached with the static token",
      );
    }
  });

  it("the host's own name, when it resolves only to 127.0.0.1, is loopback too", async (t) => {
    const name = os.hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (addresses.length === 0 || !addresses.every((a) => a.address.startsWith("127."))) {
      t.skip(`${name} does not resolve to loopback only here (${addresses.map((a) => a.address).join(", ")})`);
      return;
    }
    await clearAzCalls();
    await cli(dayTwo(`https://${name}:${port()}`));
    // The certificate names 127.0.0.1 and localhost, so TLS may refuse the name: what matters is the token.
    assert.deepEqual(await azCallEnvs(), [], "az was never asked for a token");
  });

  it("a remote endpoint neither the cloud's nor trusted is refused: exit 2, no token asked, no request", async () => {
    await clearAzCalls();
    const run = await cli(dayTwo("https://192.0.2.10"));
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--trust-endpoint/);
    assert.deepEqual(await azCallEnvs(), []);
    const viaEnv = await cli(["status", "--subscription", SUBSCRIPTION, "--resource-group", "rg-credentials", "--state", path.join(dir, "none.json")], {
      SECURE_AML_ARM_ENDPOINT: "https://192.0.2.10:8443",
    });
    assert.equal(viaEnv.code, 2, viaEnv.stderr);
    assert.deepEqual(await azCallEnvs(), []);
  });

  it("SECURE_AML_CREDENTIAL=static with a remote endpoint is refused even when it is declared trusted", async () => {
    const run = await cli([...dayTwo("https://192.0.2.10"), "--trust-endpoint", "https://192.0.2.10"], { SECURE_AML_CREDENTIAL: "static" });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /static test token/);
  });

  it("the jump-box password is not inherited by the az child process", async () => {
    await clearAzCalls();
    const run = await cli(
      ["init", "--yes", "--subscription", SUBSCRIPTION, "--resource-group", "rg-env", "--location", "eastus", "--prefix", "envtest", "--state", path.join(dir, "env-state.json")],
      { SECURE_AML_JUMPBOX_PASSWORD: PASSWORD },
    );
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    const envs = await azCallEnvs();
    assert.ok(envs.length >= 1, "az was asked for a token (so its environment could be checked)");
    for (const env of envs) {
      assert.ok(!env.includes("SECURE_AML_JUMPBOX_PASSWORD"), "the variable is gone from az's environment");
      assert.ok(!env.includes(PASSWORD), "the password is nowhere in az's environment");
    }
  });

  it("a client never follows a URL to another host with the token (same-origin guard before signing)", async () => {
    let tokenRequests = 0;
    const azure = createAzureContext({
      subscriptionId: emulator.subscriptionId,
      endpoint: emulator.endpoint,
      caCertPem: emulator.caCert,
      credential: {
        getToken: async () => {
          tokenRequests += 1;
          return { token: "must-not-leave", expiresOnTimestamp: Date.now() + 60_000 };
        },
      },
      cloud: "AzureCloud",
    });
    const client = await azure.resources();
    const ok = await client.sendRequest(createPipelineRequest({ url: `${emulator.endpoint}/subscriptions/${emulator.subscriptionId}/resourcegroups?api-version=2021-04-01` }));
    assert.equal(ok.status, 200, "the context's own endpoint works");
    const before = tokenRequests;
    await assert.rejects(
      client.sendRequest(createPipelineRequest({ url: "https://192.0.2.10/subscriptions/x/resourcegroups?api-version=2021-04-01" })),
      (err: unknown) => (err as { code?: string }).code === "FOREIGN_ENDPOINT_REFUSED",
    );
    assert.equal(tokenRequests, before, "no token was even asked for the foreign host");
  });

  it("decideEndpointTrust judges by resolved address, trusts the cloud and declared endpoints only", async () => {
    const cloud = cloudProfile("AzureCloud");
    const toLoopback = async () => ["127.0.0.1"];
    const toRemote = async () => ["10.1.2.3"];
    assert.equal((await decideEndpointTrust({ endpoint: "https://dev-box.internal:8443", cloud, lookup: toLoopback })).kind, "loopback");
    assert.equal((await decideEndpointTrust({ endpoint: undefined, cloud })).kind, "cloud");
    assert.equal((await decideEndpointTrust({ endpoint: "https://management.azure.com/", cloud })).kind, "cloud");
    await assert.rejects(decideEndpointTrust({ endpoint: "https://localhost.example.com", cloud, lookup: toRemote }), InputError);
    await assert.rejects(decideEndpointTrust({ endpoint: "https://management.azure.com:8443", cloud, lookup: toRemote }), InputError);
    await assert.rejects(
      decideEndpointTrust({ endpoint: "https://management.usgovcloudapi.net", cloud, lookup: toRemote }),
      InputError,
      "another cloud's endpoint is not this cloud's",
    );
    assert.equal((await decideEndpointTrust({ endpoint: "https://arm.corp.example", cloud, lookup: toRemote, trustedEndpoints: ["https://ARM.corp.example/"] })).kind, "trusted");
    // A name that merely looks local is judged by where it resolves: the static token is not for it.
    await assert.rejects(decideEndpointTrust({ endpoint: "https://arm.localhost", cloud, lookup: toRemote }), InputError);
    assert.equal(await resolvesToLoopback("evil.localhost", toRemote), false);
    // A name with one loopback and one remote address is not loopback.
    assert.equal(await resolvesToLoopback("mixed.example", async () => ["127.0.0.1", "10.0.0.1"]), false);
    assert.equal(await resolvesToLoopback("localhost."), true);
    assert.equal(await resolvesToLoopback("127.0.0.1"), true);
    assert.equal(await resolvesToLoopback("192.0.2.1"), false);
  });
});
