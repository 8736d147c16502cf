// The commander CLI, run as a real subprocess through bin/secure-aml.js (the compiled dist/ tree).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FIELDS } from "../../src/config/fields.js";
import type { ResultDocument } from "../../src/ui/types.js";

// dist/test/unit/cli.test.js → repository root
const root = fileURLToPath(new URL("../../../", import.meta.url));
const bin = fileURLToPath(new URL("../../../bin/secure-aml.js", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with a clean environment (no CI, no terminal, nothing inherited but PATH). */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    // stdin stays open and silent: a run must never wait for it.
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A TCP server that counts connections: the ARM endpoint and the proxy of a run that must not touch the network. */
let endpointServer: Server;
let proxyServer: Server;
let connections = 0;
let endpointPort = 0;
let proxyPort = 0;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

before(async () => {
  const count = (socket: import("node:net").Socket) => {
    connections++;
    socket.destroy();
  };
  endpointServer = createServer(count);
  proxyServer = createServer(count);
  endpointPort = await listen(endpointServer);
  proxyPort = await listen(proxyServer);
});

after(async () => {
  await Promise.all([endpointServer, proxyServer].map((s) => new Promise((r) => s.close(r))));
});

describe("secure-aml init with bad values", () => {
  it("exits 2 naming every problem, before any network connection", async () => {
    const run = await cli(
      [
        "init",
        "--yes",
        "--vnet-address-space",
        "172.17.0.0/16",
        "--training-subnet",
        "172.17.0.0/24",
        "--scoring-subnet",
        "172.17.0.128/25",
        "--bastion-subnet",
        "172.17.2.0/27",
        "--storage-account",
        "Bad_Storage",
        "--key-vault",
        "9vault",
        "--registry",
        "acr",
        "--jumpbox-name",
        "a-very-long-jumpbox-name",
        "--jumpbox-admin",
        "administrator",
        "--cluster-max-nodes",
        "0",
        "--location",
        "atlantis",
        "--subscription",
        "not-a-guid",
        "--jumpbox-shutdown-time",
        "25:00",
      ],
      {
        SECURE_AML_ARM_ENDPOINT: `https://127.0.0.1:${endpointPort}`,
        HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`,
        HTTP_PROXY: `http://127.0.0.1:${proxyPort}`,
        SECURE_AML_JUMPBOX_PASSWORD: "Password1",
      },
    );
    assert.equal(run.code, 2, run.stderr);
    const expected: [string, string][] = [
      ["vnetAddressSpace", "--vnet-address-space"],
      ["trainingSubnet", "--training-subnet"],
      ["scoringSubnet", "--scoring-subnet"],
      ["bastionSubnet", "--bastion-subnet"],
      ["storageAccount", "--storage-account"],
      ["keyVault", "--key-vault"],
      ["registry", "--registry"],
      ["jumpboxName", "--jumpbox-name"],
      ["jumpboxAdmin", "--jumpbox-admin"],
      ["clusterMaxNodes", "--cluster-max-nodes"],
      ["location", "--location"],
      ["subscriptionId", "--subscription"],
      ["jumpboxShutdownTime", "--jumpbox-shutdown-time"],
    ];
    for (const [field, flag] of expected) {
      const line = run.stderr.split("\n").find((l) => l.includes(`- ${field} `));
      assert.ok(line, `no problem line for ${field}:\n${run.stderr}`);
      assert.ok(line.includes(flag), `${field} line names ${flag}`);
    }
    assert.match(run.stderr, /Docker bridge/);
    assert.match(run.stderr, /overlaps the Training subnet/);
    assert.match(run.stderr, /\/26 or larger/);
    assert.match(run.stderr, /jumpboxPassword.*refused/);
    assert.ok(!run.stderr.includes("Password1"), "the password is never printed");
    assert.equal(run.stdout, "");
    assert.equal(connections, 0, "no connection may be attempted");
  });

  it("missing required values without a terminal: exit 2 naming flags and variables, no hang", async () => {
    const run = await cli(["init"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /subscriptionId.*--subscription.*AZURE_SUBSCRIPTION_ID/);
    assert.match(run.stderr, /location.*--location.*SECURE_AML_LOCATION/);
    assert.match(run.stderr, /jumpboxPassword.*SECURE_AML_JUMPBOX_PASSWORD/);
  });

  it("--jumpbox-password is refused with where the password goes, without echoing it", async () => {
    const run = await cli(["plan", "--jumpbox-password", "S3cret-Value!x", "--subscription", "6d9c9a1e-1111-4222-8333-123456789abc", "--location", "eastus"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--jumpbox-password.*never taken from a flag.*SECURE_AML_JUMPBOX_PASSWORD/);
    assert.ok(!run.stderr.includes("S3cret-Value!x"));
  });

  it("--output json puts exactly one JSON document with the problems on stdout", async () => {
    const run = await cli(["plan", "--output", "json", "--vnet-address-space", "10.0.0.0/33", "--location", "eastus"]);
    assert.equal(run.code, 2);
    // The same schema-1 result document as every command writes (errors with stable codes, exit code, next).
    const doc = JSON.parse(run.stdout) as ResultDocument;
    assert.equal(doc.schema, 1);
    assert.equal(doc.command, "plan");
    assert.equal(doc.ok, false);
    assert.equal(doc.exitCode, 2);
    assert.equal(doc.errors.length, 1);
    assert.equal(doc.errors[0]?.code, "BAD_INPUT");
    assert.equal(doc.errors[0]?.exitCode, 2);
    assert.deepEqual((doc.errors[0]?.problems ?? []).map((p) => p.field).sort(), ["subscriptionId", "vnetAddressSpace"]);
    assert.deepEqual(doc.counts, { reads: 0, writes: 0, polls: 0 });
  });

  it("bad input gets the same result document whether the CLI or the command finds it", async () => {
    // Found by the CLI before any command module loads (a bad flag value) ...
    const early = await cli(
      ["init", "--output", "json", "--yes", "--vnet-address-space", "10.0.0.0/33", "--subscription", "6d9c9a1e-1111-4222-8333-123456789abc", "--location", "eastus"],
      {
        SECURE_AML_JUMPBOX_PASSWORD: "Correct-Horse-Battery-9",
      },
    );
    // ... and by the init command itself (an unreadable --ca-cert, checked before the lock and any request).
    const late = await cli(
      ["init", "--output", "json", "--yes", "--ca-cert", "/nonexistent/ca.pem", "--subscription", "6d9c9a1e-1111-4222-8333-123456789abc", "--location", "eastus"],
      {
        SECURE_AML_JUMPBOX_PASSWORD: "Correct-Horse-Battery-9",
        SECURE_AML_STATE: "/nonexistent-dir/state.json",
      },
    );
    // ... and by commander (an unknown option): every path writes one schema-1 document.
    const usage = await cli(["plan", "--output", "json", "--vnet-adress-space", "10.0.0.0/16"]);
    for (const [run, field] of [
      [early, "vnetAddressSpace"],
      [late, "caCert"],
      [usage, "arguments"],
    ] as const) {
      assert.equal(run.code, 2, run.stderr);
      const doc = JSON.parse(run.stdout) as ResultDocument;
      assert.deepEqual(Object.keys(doc).sort(), ["command", "counts", "durations", "errors", "exitCode", "ok", "resources", "schema"]);
      assert.equal(doc.schema, 1);
      assert.equal(doc.ok, false);
      assert.equal(doc.exitCode, 2);
      assert.deepEqual(
        doc.errors.map((e) => [e.code, e.exitCode]),
        [["BAD_INPUT", 2]],
      );
      assert.deepEqual(
        doc.errors[0]?.problems?.map((p) => p.field),
        [field],
      );
    }
    assert.equal(usage.stdout.trim().split("\n")[0], "{", "nothing but the document on stdout");
    assert.match((JSON.parse(usage.stdout) as ResultDocument).errors[0]?.problems?.[0]?.rule ?? "", /unknown option/);
  });

  it("bad run options and bad config values are reported together", async () => {
    const run = await cli(["init", "--concurrency", "0", "--output", "xml", "--storage-account", "x"]);
    assert.equal(run.code, 2);
    for (const field of ["concurrency", "output", "storageAccount", "subscriptionId"]) assert.match(run.stderr, new RegExp(`- ${field}\\b`));
  });

  it("an unknown option is bad input (exit 2) with a suggestion", async () => {
    const run = await cli(["init", "--vnet-adress-space", "10.0.0.0/16"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown option/);
    assert.match(run.stderr, /--vnet-address-space/);
  });
});

describe("help, version and command shells", () => {
  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
    const run = await cli(["--version"]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout.trim(), pkg.version);
  });

  it("--help lists every command with examples and the exit codes", async () => {
    const run = await cli(["--help"]);
    assert.equal(run.code, 0);
    for (const command of ["init", "plan", "status", "verify", "stop", "start", "destroy", "emulator"]) assert.match(run.stdout, new RegExp(`\\n  ${command} `));
    assert.match(run.stdout, /Examples:/);
    assert.match(run.stdout, /130\s+interrupted/);
  });

  it("init --help and plan --help show every config flag from the table and its variable", async () => {
    for (const command of ["init", "plan"]) {
      const run = await cli([command, "--help"]);
      assert.equal(run.code, 0);
      for (const field of FIELDS) {
        assert.ok(run.stdout.includes(field.flag), `${command} --help lacks ${field.flag}`);
        assert.ok(run.stdout.replace(/\s+/g, "").includes(field.env), `${command} --help lacks ${field.env}`);
      }
      for (const common of ["--output", "--yes", "--state", "--config", "--no-color", "--endpoint", "--ca-cert", "--local", "--concurrency"]) {
        assert.ok(run.stdout.includes(common), `${command} --help lacks ${common}`);
      }
      assert.ok(!run.stdout.includes("--jumpbox-password"), "no password flag is advertised");
      assert.match(run.stdout, /Examples:/);
    }
  });

  it("each day-two command has help with examples", async () => {
    for (const command of ["status", "verify", "stop", "start", "destroy", "emulator"]) {
      const run = await cli([command, "--help"]);
      assert.equal(run.code, 0, command);
      assert.match(run.stdout, /Examples:/, command);
    }
  });

  it("emulator options are checked before the emulator loads", async () => {
    const run = await cli(["emulator", "--port", "70000", "--latency", "slow", "--time-scale", "-1"]);
    assert.equal(run.code, 2);
    for (const flag of ["--port", "--latency", "--time-scale"]) assert.ok(run.stderr.includes(flag), flag);
  });
});
