// Emulator core: fault injection (each kind, through the real SDK pipeline and its retry policies),
// the strict SPEC grammar (parser, /_emulator/faults, the entry's exit code 2) and determinism.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ResourceManagementClient } from "@azure/arm-resources";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";
import { FaultInjector, FaultSpecError, parseFaultSpec } from "../../src/emulator/faults.js";

const API = "2024-01-01";
const POLL = { updateIntervalInMs: 5 };
const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/emulator/entry.js");

describe("fault SPEC grammar", () => {
  it("parses a full spec", () => {
    const spec = parseFaultSpec("seed=42; 429:rate=0.25,method=GET,retry-after=2 ; drop:nth=3,path=/widgets/; fail:rate=1,times=2,class=write");
    assert.equal(spec.seed, 42);
    assert.deepEqual(spec.rules[0], { kind: "429", rate: 0.25, method: "GET", retryAfterSeconds: 2 });
    assert.deepEqual(spec.rules[1], { kind: "drop", nth: 3, pathContains: "/widgets/" });
    assert.deepEqual(spec.rules[2], { kind: "fail", rate: 1, times: 2, requestClass: "write" });
    assert.deepEqual(parseFaultSpec("").rules, []);
  });

  it("names every problem of a bad spec", () => {
    assert.throws(
      () => parseFaultSpec("404:nth=1; 500:rate=2; 503; drop:nth=0,colour=red; 500:retry-after=3,nth=1"),
      (error: unknown) => {
        assert.ok(error instanceof FaultSpecError);
        const text = error.problems.join("\n");
        assert.match(text, /unknown fault kind "404"/);
        assert.match(text, /rate=2 must be a number in \(0, 1\]/);
        assert.match(text, /"503": give exactly one of rate= or nth=/);
        assert.match(text, /nth=0 must be an integer >= 1/);
        assert.match(text, /unknown parameter "colour"/);
        assert.match(text, /retry-after applies only to 429 and 503/);
        return true;
      },
    );
  });

  it("is deterministic for a seed", () => {
    const run = (seed: number) => {
      const injector = new FaultInjector(parseFaultSpec(`seed=${seed};500:rate=0.5`));
      return Array.from({ length: 40 }, () => injector.onRequest({ method: "GET", path: "/x", requestClass: "read" })?.kind ?? "-").join("");
    };
    assert.equal(run(7), run(7));
    assert.notEqual(run(7), run(8));
    assert.match(run(7), /500/);
    assert.match(run(7), /-/);
  });

  it("makes the entry script exit 2 on a bad --faults spec, naming the problem", async () => {
    const child = spawn(process.execPath, [ENTRY, "--port", "0", "--data", "/nonexistent-never-created", "--faults", "teapot:nth=1", "--time-scale", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 2);
    assert.match(stderr, /--faults/);
    assert.match(stderr, /unknown fault kind "teapot"/);
    assert.match(stderr, /--time-scale/);
  });
});

describe("fault injection through the SDK", () => {
  let emulator: TestEmulator;
  let client: ResourceManagementClient;
  const widget = (name: string) => `/subscriptions/${emulator.subscriptionId}/resourceGroups/fault-rg/providers/Microsoft.EmulatorTest/widgets/${name}`;

  before(async () => {
    emulator = await startTestEmulator({ testProvider: true, faults: "seed=3" });
    const { ResourceManagementClient } = await import("@azure/arm-resources");
    // Short retry delays keep the SDK's own retries fast; the policies themselves are the SDK's.
    client = new ResourceManagementClient(emulator.credential, emulator.subscriptionId, {
      ...emulator.clientOptions,
      retryOptions: { retryDelayInMs: 5, maxRetryDelayInMs: 20 },
    });
    await client.resourceGroups.createOrUpdate("fault-rg", { location: "eastus" });
  });
  after(async () => {
    await emulator?.stop();
  });

  async function faultedThenOk(spec: string, kind: string, expectedStatus: number): Promise<void> {
    await emulator.setFaults(spec);
    await emulator.clearRequestLog();
    const group = await client.resourceGroups.get("fault-rg");
    assert.equal(group.name, "fault-rg");
    const log = await emulator.requestLog();
    assert.equal(log.length, 2, JSON.stringify(log));
    assert.equal(log[0]!.fault, kind);
    assert.equal(log[0]!.status, expectedStatus);
    assert.equal(log[1]!.status, 200);
    await emulator.setFaults("");
  }

  it("answers 429 with Retry-After, which the SDK honours", async () => {
    await faultedThenOk("429:nth=1,method=GET,retry-after=0", "429", 429);
  });

  it("answers 500 and 503, which the SDK retries", async () => {
    await faultedThenOk("500:nth=1", "500", 500);
    await faultedThenOk("503:nth=1,class=read", "503", 503);
  });

  it("drops a connection, which the SDK retries", async () => {
    await faultedThenOk("drop:nth=1,path=/resourcegroups/fault-rg", "drop", 0);
  });

  it("ends an operation Failed, surfacing ARM's error through the poller", async () => {
    await emulator.setFaults("fail:nth=1,method=PUT");
    await assert.rejects(client.resources.beginCreateOrUpdateByIdAndWait(widget("broken"), API, { location: "eastus" }, POLL), (error: unknown) => {
      // core-lro reports a Failed operation as an Error carrying ARM's code and message.
      assert.match(String((error as Error).message), /long-running operation has failed\. InternalServerError/);
      return true;
    });
    const record = await client.resources.getById(widget("broken"), API);
    assert.equal(record.properties?.provisioningState, "Failed");
    const log = await emulator.requestLog();
    assert.ok(log.some((entry) => entry.method === "PUT" && entry.fault === "fail"));
    const healed = await client.resources.beginCreateOrUpdateByIdAndWait(widget("broken"), API, { location: "eastus" }, POLL);
    assert.equal(healed.properties?.provisioningState, "Succeeded", "the rule fired once (nth=1)");
    await emulator.setFaults("");
  });

  it("refuses a bad spec on /_emulator/faults with 400", async () => {
    const response = await emulator.raw("POST", "/_emulator/faults", { body: { spec: "500:sometimes" }, token: null });
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(response.body), /NAME=VALUE/);
  });
});
