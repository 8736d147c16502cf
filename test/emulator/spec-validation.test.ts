// Tests of the spec validation module alone (src/emulator/spec-validation.ts), without the emulator core:
// requests and responses are handed to the validator directly, as the core will hand them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NO_SPEC, SPEC_ROOT_IN_REPO, chooseApiVersion, compareApiVersions, findSpecRoot, loadSpecValidator } from "../../src/emulator/spec-validation.js";
import type { SpecFinding, SpecValidator } from "../../src/emulator/types.js";

const specRoot = findSpecRoot();
// The specs live in the repository (specs/arm): a missing folder is a broken checkout, never a reason to skip.
const skipWithoutSpecs = false;

describe("the spec folder", () => {
  it("is the repository's copy (specs/arm/specification) unless SECURE_AML_ARM_SPECS says otherwise", () => {
    const inRepo = fileURLToPath(new URL(`../../../${SPEC_ROOT_IN_REPO}`, import.meta.url));
    const fromEnv = process.env.SECURE_AML_ARM_SPECS;
    if (fromEnv === undefined || fromEnv.trim() === "") assert.equal(specRoot, path.resolve(inRepo));
    else assert.ok(specRoot !== undefined, `SECURE_AML_ARM_SPECS=${fromEnv} is not a spec folder`);
    assert.ok(existsSync(path.join(inRepo, "..", "LICENSE")), "the specs' licence is kept beside them");
  });
});

const endpoint = "https://127.0.0.1:8443";
const subscriptionId = "00000000-0000-0000-0000-000000000000";
const vnetId = `/subscriptions/${subscriptionId}/resourceGroups/rg-aml/providers/Microsoft.Network/virtualNetworks/vnet-aml`;
const jsonHeaders = { "content-type": "application/json; charset=utf-8" };
/** The VNet spec in the folder is 2024-01-01; the network SDK speaks 2025-05-01. */
const exactVersion = "2024-01-01";
const newerVersion = "2025-05-01";

const vnetUrl = (apiVersion: string): string => `${endpoint}${vnetId}?api-version=${apiVersion}`;

/** A VNet PUT body as @azure/arm-network serializes it. */
function vnetRequestBody(): Record<string, unknown> {
  return {
    location: "eastus",
    tags: { owner: "secure-aml" },
    properties: {
      addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
      subnets: [{ name: "training", properties: { addressPrefix: "10.0.1.0/24" } }],
    },
  };
}

/** The 201 Azure answers to that PUT while the VNet is being created. */
function vnetCreatedBody(): Record<string, unknown> {
  return {
    id: vnetId,
    name: "vnet-aml",
    type: "Microsoft.Network/virtualNetworks",
    location: "eastus",
    etag: 'W/"8b1b5e4c-7d1e-4f43-9e44-0c1b3c1f0a11"',
    tags: { owner: "secure-aml" },
    properties: {
      provisioningState: "Updating",
      resourceGuid: "6a4f1f6e-2b0e-4a86-9d3c-1c4e0f8f2d55",
      addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
      subnets: [
        {
          id: `${vnetId}/subnets/training`,
          name: "training",
          type: "Microsoft.Network/virtualNetworks/subnets",
          etag: 'W/"8b1b5e4c-7d1e-4f43-9e44-0c1b3c1f0a11"',
          properties: {
            provisioningState: "Updating",
            addressPrefix: "10.0.1.0/24",
            delegations: [],
            privateEndpointNetworkPolicies: "Disabled",
            privateLinkServiceNetworkPolicies: "Enabled",
          },
        },
      ],
      virtualNetworkPeerings: [],
      enableDdosProtection: false,
    },
  };
}

function codes(findings: SpecFinding[]): string[] {
  return findings.map((f) => `${f.severity}:${f.code}:${f.path}`);
}

describe("spec validation against Microsoft's ARM specs", { skip: skipWithoutSpecs }, () => {
  let validator: SpecValidator;

  before(async () => {
    const loaded = await loadSpecValidator(specRoot);
    assert.ok(loaded, `expected a validator for ${specRoot}`);
    validator = loaded;
  });

  it("accepts a valid VNet PUT and its 201 with zero findings (exact api-version)", async () => {
    const requestFindings = await validator.validateRequest({
      method: "PUT",
      url: vnetUrl(exactVersion),
      headers: jsonHeaders,
      body: vnetRequestBody(),
    });
    assert.deepEqual(requestFindings, []);
    const responseFindings = await validator.validateResponse({
      method: "PUT",
      url: vnetUrl(exactVersion),
      status: 201,
      headers: { ...jsonHeaders, "azure-asyncoperation": `${endpoint}/subscriptions/${subscriptionId}/providers/Microsoft.Network/locations/eastus/operations/1` },
      body: vnetCreatedBody(),
    });
    assert.deepEqual(responseFindings, []);
  });

  it("reports an unknown request property as an error at the exact api-version", async () => {
    const body = vnetRequestBody();
    (body.properties as Record<string, unknown>).addressSpaces = ["10.1.0.0/16"];
    const findings = await validator.validateRequest({ method: "PUT", url: vnetUrl(exactVersion), headers: jsonHeaders, body });
    assert.deepEqual(codes(findings), ["error:OBJECT_ADDITIONAL_PROPERTIES:$.properties.addressSpaces"]);
    assert.equal(findings[0]!.operationId, "VirtualNetworks_CreateOrUpdate");
    assert.equal(findings[0]!.specApiVersion, exactVersion);
    assert.match(findings[0]!.message, /addressSpaces/);
  });

  it("reports a wrongly typed response property as an error at the exact api-version", async () => {
    const body = vnetCreatedBody();
    (body.properties as Record<string, unknown>).addressSpace = { addressPrefixes: "10.0.0.0/16" };
    const findings = await validator.validateResponse({ method: "PUT", url: vnetUrl(exactVersion), status: 201, headers: jsonHeaders, body });
    assert.deepEqual(codes(findings), ["error:INVALID_TYPE:$.properties.addressSpace.addressPrefixes"]);
    assert.equal(findings[0]!.operationId, "VirtualNetworks_CreateOrUpdate");
    assert.equal(findings[0]!.specApiVersion, exactVersion);
  });

  it("reports the same unknown property as unverified at a newer api-version, against the older spec", async () => {
    const body = vnetRequestBody();
    (body.properties as Record<string, unknown>).addressSpaces = ["10.1.0.0/16"];
    const findings = await validator.validateRequest({ method: "PUT", url: vnetUrl(newerVersion), headers: jsonHeaders, body });
    assert.deepEqual(codes(findings), ["unverified:OBJECT_ADDITIONAL_PROPERTIES:$.properties.addressSpaces"]);
    assert.equal(findings[0]!.specApiVersion, exactVersion);
    assert.equal(findings[0]!.operationId, "VirtualNetworks_CreateOrUpdate");
  });

  it("keeps type and required-property findings errors at a newer api-version", async () => {
    const wrongType = vnetCreatedBody();
    (wrongType.properties as Record<string, unknown>).enableDdosProtection = "no";
    const typeFindings = await validator.validateResponse({ method: "GET", url: vnetUrl(newerVersion), status: 200, headers: jsonHeaders, body: wrongType });
    assert.deepEqual(codes(typeFindings), ["error:INVALID_TYPE:$.properties.enableDdosProtection"]);
    assert.equal(typeFindings[0]!.specApiVersion, exactVersion);

    // A resource group PUT without its required location (SDK 2025-04-01, spec 2024-03-01).
    const rgUrl = `${endpoint}/subscriptions/${subscriptionId}/resourcegroups/rg-aml?api-version=2025-04-01`;
    const requiredFindings = await validator.validateRequest({ method: "PUT", url: rgUrl, headers: jsonHeaders, body: { tags: {} } });
    assert.deepEqual(codes(requiredFindings), ["error:OBJECT_MISSING_REQUIRED_PROPERTY:$.location"]);
    assert.equal(requiredFindings[0]!.operationId, "ResourceGroups_CreateOrUpdate");
    assert.equal(requiredFindings[0]!.specApiVersion, "2024-03-01");
  });

  it("matches paths case-insensitively, as ARM does", async () => {
    const url = `${endpoint}${vnetId.toUpperCase()}?api-version=${exactVersion}`;
    const body = vnetRequestBody();
    (body.properties as Record<string, unknown>).bogus = true;
    const findings = await validator.validateRequest({ method: "PUT", url, headers: jsonHeaders, body });
    assert.deepEqual(codes(findings), ["error:OBJECT_ADDITIONAL_PROPERTIES:$.properties.bogus"]);
  });

  it("requires Location or Azure-AsyncOperation on a 202 of a long-running delete", async () => {
    const without = await validator.validateResponse({ method: "DELETE", url: vnetUrl(exactVersion), status: 202, headers: {}, body: undefined });
    assert.deepEqual(codes(without), ["error:LRO_RESPONSE_HEADER:.headers"]);
    const withLocation = await validator.validateResponse({
      method: "DELETE",
      url: vnetUrl(exactVersion),
      status: 202,
      headers: { Location: `${endpoint}/subscriptions/${subscriptionId}/providers/Microsoft.Network/locations/eastus/operationResults/1` },
      body: undefined,
    });
    assert.deepEqual(withLocation, []);
  });

  it("checks error responses against the spec's CloudError", async () => {
    const good = await validator.validateResponse({
      method: "GET",
      url: vnetUrl(exactVersion),
      status: 404,
      headers: jsonHeaders,
      body: { error: { code: "ResourceNotFound", message: "The Resource 'Microsoft.Network/virtualNetworks/vnet-aml' was not found." } },
    });
    assert.deepEqual(good, []);
    const unwrapped = await validator.validateResponse({
      method: "GET",
      url: vnetUrl(exactVersion),
      status: 404,
      headers: jsonHeaders,
      body: { code: "ResourceNotFound", message: "not found" },
    });
    assert.ok(
      unwrapped.some((f) => f.severity === "error" && f.code === "OBJECT_ADDITIONAL_PROPERTIES"),
      JSON.stringify(unwrapped),
    );
  });

  it("returns one unverified NO_SPEC finding for paths no spec describes", async () => {
    const paths = [
      "/_emulator/requests",
      `/subscriptions?api-version=2022-12-01`,
      `/subscriptions/${subscriptionId}/providers/Microsoft.Network/locations/eastus/operations/1?api-version=${newerVersion}`,
      `/subscriptions/${subscriptionId}/providers/Microsoft.Unheard/things/x?api-version=2024-01-01`,
    ];
    for (const p of paths) {
      const findings = await validator.validateRequest({ method: "GET", url: `${endpoint}${p}`, headers: {}, body: undefined });
      assert.deepEqual(
        findings.map((f) => `${f.severity}:${f.code}`),
        [`unverified:${NO_SPEC}`],
        p,
      );
      const responseFindings = await validator.validateResponse({ method: "GET", url: `${endpoint}${p}`, status: 200, headers: jsonHeaders, body: {} });
      assert.deepEqual(
        responseFindings.map((f) => `${f.severity}:${f.code}`),
        [`unverified:${NO_SPEC}`],
        p,
      );
    }
  });

  it("prefers the literal path over a parameter segment (private DNS virtualNetworkLinks vs {recordType})", async () => {
    const url = `${endpoint}/subscriptions/${subscriptionId}/resourceGroups/rg-aml/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms/virtualNetworkLinks/link?api-version=2020-06-01`;
    const findings = await validator.validateRequest({
      method: "PUT",
      url,
      headers: jsonHeaders,
      body: { location: "global", properties: { virtualNetwork: { id: vnetId }, registrationEnabled: false }, extra: 1 },
    });
    assert.deepEqual(codes(findings), ["error:OBJECT_ADDITIONAL_PROPERTIES:$.extra"]);
    assert.equal(findings[0]!.operationId, "VirtualNetworkLinks_CreateOrUpdate");
  });

  it("does not modify the bodies it validates", async () => {
    const body = vnetCreatedBody();
    const before = JSON.stringify(body);
    await validator.validateResponse({ method: "PUT", url: vnetUrl(exactVersion), status: 201, headers: jsonHeaders, body });
    assert.equal(JSON.stringify(body), before);
  });
});

describe("loading", () => {
  it("returns undefined for a folder that does not exist", async () => {
    const missing = path.join(os.tmpdir(), `secure-aml-no-specs-${process.pid}-${Date.now()}`);
    assert.equal(await loadSpecValidator(missing), undefined);
  });

  it("returns undefined for a folder without specs", async (t) => {
    const empty = await mkdtemp(path.join(os.tmpdir(), "secure-aml-empty-specs-"));
    t.after(() => rm(empty, { recursive: true, force: true }));
    assert.equal(await loadSpecValidator(empty), undefined);
  });

  it("findSpecRoot follows SECURE_AML_ARM_SPECS, and is undefined when it points nowhere", async (t) => {
    const saved = process.env.SECURE_AML_ARM_SPECS;
    t.after(() => {
      if (saved === undefined) delete process.env.SECURE_AML_ARM_SPECS;
      else process.env.SECURE_AML_ARM_SPECS = saved;
    });
    const dir = await mkdtemp(path.join(os.tmpdir(), "secure-aml-specs-env-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    process.env.SECURE_AML_ARM_SPECS = dir;
    assert.equal(findSpecRoot(), dir);
    process.env.SECURE_AML_ARM_SPECS = path.join(dir, "missing");
    assert.equal(findSpecRoot(), undefined);
  });

  it("chooses the exact api-version, else the newest older, else the nearest newer", () => {
    const available = ["2023-05-01", "2024-01-01", "2019-10-17-preview", "2024-01-01-preview"];
    assert.equal(chooseApiVersion("2024-01-01", available), "2024-01-01");
    assert.equal(chooseApiVersion("2025-05-01", available), "2024-01-01");
    assert.equal(chooseApiVersion("2023-12-01", available), "2023-05-01");
    assert.equal(chooseApiVersion("2018-01-01", available), "2019-10-17-preview");
    assert.equal(chooseApiVersion("2019-10-17-PREVIEW", available), "2019-10-17-preview");
    assert.equal(chooseApiVersion("2025-05-01", []), undefined);
    assert.ok(compareApiVersions("2024-01-01-preview", "2024-01-01") < 0);
    assert.ok(compareApiVersions("2024-01-01", "2023-12-31") > 0);
  });
});

// oav's defaults kept a process alive ~27 s (a setTimeout(0) loop building validators in the background)
// and printed warnings on stdout. A child process shows neither happens any more. Started at load time
// so that it runs while the suites above load their own validator.
interface ChildResult {
  stdout: string;
  stderr: string;
  code: number | null;
}
const hygieneChild: Promise<ChildResult> | undefined = skipWithoutSpecs === false ? runHygieneChild() : undefined;

function runHygieneChild(): Promise<ChildResult> {
  const moduleUrl = new URL("../../src/emulator/spec-validation.js", import.meta.url).href;
  const rgUrl = `${endpoint}/subscriptions/${subscriptionId}/resourcegroups/rg-aml?api-version=2024-03-01`;
  const script = `
    const { loadSpecValidator } = await import(${JSON.stringify(moduleUrl)});
    const validator = await loadSpecValidator(${JSON.stringify(specRoot ?? "")});
    const findings = await validator.validateRequest({ method: "PUT", url: ${JSON.stringify(rgUrl)}, headers: {}, body: { location: "eastus", bogus: 1 } });
    await new Promise((resolve) => setImmediate(resolve));
    const timers = process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate");
    process.stderr.write("\\n" + JSON.stringify({ findings: findings.map((f) => f.code), timers }) + "\\n");
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: path.dirname(fileURLToPath(import.meta.url)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // A hung child must not hang this test file: it is killed after a generous bound, or when the file ends.
  const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  after(() => {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ stdout, stderr, code });
    }),
  );
}

describe("process hygiene", { skip: skipWithoutSpecs }, () => {
  it("prints nothing on stdout and leaves no timer that keeps the process alive", async () => {
    assert.ok(hygieneChild);
    const result = await hygieneChild;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "");
    const report: unknown = JSON.parse(result.stderr.trim().split("\n").pop() ?? "{}");
    assert.deepEqual(report, { findings: ["OBJECT_ADDITIONAL_PROPERTIES"], timers: [] });
  });
});
