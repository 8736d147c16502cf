// Precedence, defaults, missing values, config-file errors, validateConfig and run options.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError, type InputProblem } from "../../src/errors.js";
import { FIELDS, globalNameSuffix, flagAttributeName } from "../../src/config/fields.js";
import { checkRunOptions, precheckConfig, resolveConfig, resolveRunOptions } from "../../src/config/resolve.js";
import { loadConfigFile, writeConfigFile } from "../../src/config/file.js";
import { validateConfig } from "../../src/config/validate.js";
import type { DeploymentConfig } from "../../src/config/types.js";

const SUB = "6d9c9a1e-1111-4222-8333-123456789abc";
const PASSWORD = "Str0ng!Passw0rd";

let dir: string | undefined;
async function tempDir(): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), "secure-aml-config-"));
  return dir;
}
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function expectInputError(promise: Promise<unknown>): Promise<InputProblem[]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    assert.equal(error.exitCode, 2);
    return error.problems;
  }
  assert.fail("expected an InputError");
}

const base = { flags: {}, env: {}, interactive: false } as const;

describe("defaults", () => {
  it("the tutorial's values and names derived from the prefix", async () => {
    const { config, sources } = await resolveConfig({
      ...base,
      flags: { subscription: SUB, location: "eastus" },
      env: { SECURE_AML_JUMPBOX_PASSWORD: PASSWORD },
    });
    assert.equal(config.vnetAddressSpace, "172.16.0.0/16");
    assert.equal(config.trainingSubnet, "172.16.0.0/24");
    assert.equal(config.scoringSubnet, "172.16.1.0/24");
    assert.equal(config.bastionSubnet, "172.16.2.0/26");
    assert.equal(config.computeCluster, "cpu-cluster");
    assert.equal(config.clusterMinNodes, 0);
    assert.equal(config.prefix, "secureaml");
    assert.equal(config.resourceGroup, "secureaml-rg");
    const suffix = globalNameSuffix(SUB, "secureaml-rg");
    assert.match(suffix, /^[a-z0-9]{5}$/);
    assert.equal(config.storageAccount, `secureamlst${suffix}`);
    assert.equal(config.keyVault, `secureaml-kv-${suffix}`);
    assert.equal(config.registry, `secureamlacr${suffix}`);
    assert.equal(config.jumpbox, true);
    assert.equal(config.bastion, true);
    assert.equal(sources.vnetAddressSpace, "default");
    assert.equal(sources.subscriptionId, "flag");
    // Every field has a value (but those whose absence switches a feature off, and the options that
    // name something only when given: the attached VM, the resource to attach, its key file) and every
    // default is valid. (computeInstanceUser's default is the signed-in person: the command finds it from the token.)
    const OPTIONAL_WITHOUT_DEFAULT = ["attachedVm", "attachCompute", "attachedVmSshKeyPath"];
    for (const field of FIELDS) {
      if (field.optional || field.key === "computeInstanceUser" || OPTIONAL_WITHOUT_DEFAULT.includes(field.key)) continue;
      assert.notEqual(config[field.key], undefined, field.key);
    }
    assert.equal(config.databricks, false);
    assert.equal(config.databricksWorkspace, undefined, "no Databricks workspace unless named");
    assert.deepEqual(validateConfig(config, { jumpboxPassword: PASSWORD }), []);
  });

  it("global names differ between subscriptions and resource groups, and are stable", () => {
    const a = globalNameSuffix(SUB, "rg1");
    assert.equal(a, globalNameSuffix(SUB.toUpperCase(), "RG1"));
    assert.notEqual(a, globalNameSuffix(SUB, "rg2"));
    assert.notEqual(a, globalNameSuffix("00000000-0000-4000-8000-000000000002", "rg1"));
  });

  it("the longest prefix still derives valid names for every kind", async () => {
    const { config } = await resolveConfig({
      ...base,
      flags: { subscription: SUB, location: "eastus", prefix: "abcdefghij" },
      env: { SECURE_AML_JUMPBOX_PASSWORD: PASSWORD },
    });
    assert.equal(config.jumpboxName, "abcdefghij-jump");
  });
});

describe("precedence: flags > env > file > prompt > default", () => {
  it("takes each value from the highest source that has it", async () => {
    const file = join(await tempDir(), "precedence.json");
    await writeFile(file, JSON.stringify({ vnetName: "from-file", workspace: "file-ws", registry: "fileregistry1", location: "westus" }));
    const { config, sources } = await resolveConfig({
      flags: { vnetName: "from-flag", subscription: SUB },
      env: {
        SECURE_AML_VNET_NAME: "from-env",
        SECURE_AML_WORKSPACE: "env-ws",
        SECURE_AML_JUMPBOX_PASSWORD: PASSWORD,
      },
      configFile: file,
      interactive: false,
    });
    assert.equal(config.vnetName, "from-flag");
    assert.equal(sources.vnetName, "flag");
    assert.equal(config.workspace, "env-ws");
    assert.equal(sources.workspace, "env");
    assert.equal(config.registry, "fileregistry1");
    assert.equal(sources.registry, "file");
    assert.equal(config.location, "westus");
    assert.equal(sources.jumpboxPassword, "env");
  });

  it("SECURE_AML_SUBSCRIPTION wins over AZURE_SUBSCRIPTION_ID, which is used alone too", async () => {
    const other = "00000000-0000-4000-8000-000000000002";
    const env = { AZURE_SUBSCRIPTION_ID: other, SECURE_AML_LOCATION: "eastus", SECURE_AML_JUMPBOX_PASSWORD: PASSWORD };
    assert.equal((await resolveConfig({ ...base, env })).config.subscriptionId, other);
    assert.equal((await resolveConfig({ ...base, env: { ...env, SECURE_AML_SUBSCRIPTION: SUB } })).config.subscriptionId, SUB);
  });

  it("booleans and numbers from variables and flags; a flag overrides a variable either way", async () => {
    const { config } = await resolveConfig({
      ...base,
      flags: { subscription: SUB, location: "eastus", jumpbox: false, clusterMaxNodes: "6" },
      env: { SECURE_AML_BATCH_ENDPOINTS: "true", SECURE_AML_JUMPBOX: "true", SECURE_AML_CLUSTER_MIN_NODES: "1" },
    });
    assert.equal(config.jumpbox, false, "--no-jumpbox beats SECURE_AML_JUMPBOX=true");
    assert.equal(config.batchEndpoints, true);
    assert.equal(config.clusterMaxNodes, 6);
    assert.equal(config.clusterMinNodes, 1);
  });

  it("reads flags under commander's attribute names", async () => {
    const field = FIELDS.find((f) => f.key === "jumpboxShutdownTimeZone")!;
    assert.equal(flagAttributeName(field), "jumpboxShutdownTimezone");
    const { config } = await resolveConfig({
      ...base,
      flags: { subscription: SUB, location: "eastus", jumpboxShutdownTimezone: "Pacific Standard Time" },
      env: { SECURE_AML_JUMPBOX_PASSWORD: PASSWORD },
    });
    assert.equal(config.jumpboxShutdownTimeZone, "Pacific Standard Time");
  });

  it("prompts only for what is missing, only when interactive; answers outrank defaults", async () => {
    let asked: string[] = [];
    const { config, sources, secrets } = await resolveConfig({
      flags: { location: "eastus" },
      env: {},
      interactive: true,
      ask: async (missing) => {
        asked = missing.map((f) => f.key);
        return { subscriptionId: SUB } satisfies Partial<DeploymentConfig>;
      },
      askPassword: async () => PASSWORD,
    });
    assert.deepEqual(asked, ["subscriptionId"]);
    assert.equal(sources.subscriptionId, "prompt");
    assert.equal(sources.jumpboxPassword, "prompt");
    assert.equal(secrets.jumpboxPassword, PASSWORD);
    // Names derived from the answered subscription use it.
    assert.equal(config.storageAccount, `secureamlst${globalNameSuffix(SUB, "secureaml-rg")}`);
  });

  it("does not prompt when bad values were given: exits with the problems first", async () => {
    let asked = false;
    const problems = await expectInputError(
      resolveConfig({
        flags: { vnetAddressSpace: "172.17.0.0/16" },
        env: {},
        interactive: true,
        ask: async () => {
          asked = true;
          return {};
        },
      }),
    );
    assert.equal(asked, false);
    assert.ok(problems.some((p) => p.field === "vnetAddressSpace"));
  });
});

describe("missing values without a terminal", () => {
  it("one InputError listing every missing value with its flag and variable", async () => {
    const problems = await expectInputError(resolveConfig({ ...base }));
    const byField = new Map(problems.map((p) => [p.field, p]));
    assert.deepEqual([...byField.keys()].sort(), ["jumpboxPassword", "location", "subscriptionId"]);
    assert.equal(byField.get("subscriptionId")?.flag, "--subscription");
    assert.match(byField.get("subscriptionId")?.env ?? "", /SECURE_AML_SUBSCRIPTION.*AZURE_SUBSCRIPTION_ID/);
    assert.equal(byField.get("location")?.flag, "--location");
    assert.equal(byField.get("jumpboxPassword")?.env, "SECURE_AML_JUMPBOX_PASSWORD");
  });

  it("never prompts when not interactive even if a prompt is offered", async () => {
    let asked = false;
    await expectInputError(
      resolveConfig({
        ...base,
        ask: async () => {
          asked = true;
          return {};
        },
      }),
    );
    assert.equal(asked, false);
  });

  it("no password needed with --no-jumpbox, or for plan", async () => {
    const flags = { subscription: SUB, location: "eastus" };
    await resolveConfig({ ...base, flags: { ...flags, jumpbox: false } });
    await resolveConfig({ ...base, flags, requirePassword: false });
  });

  it("missing and invalid values are reported together", async () => {
    const problems = await expectInputError(resolveConfig({ ...base, flags: { storageAccount: "Bad_Name", clusterMaxNodes: "x" } }));
    const fields = problems.map((p) => p.field);
    for (const f of ["subscriptionId", "location", "storageAccount", "clusterMaxNodes", "jumpboxPassword"]) assert.ok(fields.includes(f), f);
  });

  it("interactive precheck returns what is missing instead of failing", async () => {
    const pre = await precheckConfig({ ...base, interactive: true, flags: { location: "eastus" } });
    assert.equal(pre.resolved, undefined);
    assert.deepEqual(
      pre.missing.map((f) => f.key),
      ["subscriptionId"],
    );
    assert.equal(pre.passwordMissing, true);
  });

  it("--local defaults and a generated password make a run with no input possible", async () => {
    const { LOCAL_DEFAULTS } = await import("../../src/config/local.js");
    const { config, secrets, sources } = await resolveConfig({ ...base, defaults: LOCAL_DEFAULTS, generatePassword: true });
    assert.equal(config.subscriptionId, LOCAL_DEFAULTS.subscriptionId);
    assert.equal(sources.jumpboxPassword, "default");
    assert.deepEqual(validateConfig(config, secrets, { requirePassword: true }), []);
  });
});

describe("the jump-box password", () => {
  it("a --jumpbox-password flag is refused with where to put it, and the value is not echoed", async () => {
    const problems = await expectInputError(resolveConfig({ ...base, flags: { subscription: SUB, location: "eastus", jumpboxPassword: PASSWORD } }));
    const p = problems.find((x) => x.flag === "--jumpbox-password");
    assert.ok(p);
    assert.match(p.rule, /SECURE_AML_JUMPBOX_PASSWORD/);
    assert.equal(p.value, undefined);
    assert.ok(!JSON.stringify(problems).includes(PASSWORD));
  });
  it("a weak password from the variable is a problem that never shows the password", async () => {
    const problems = await expectInputError(resolveConfig({ ...base, flags: { subscription: SUB, location: "eastus" }, env: { SECURE_AML_JUMPBOX_PASSWORD: "Password1" } }));
    assert.deepEqual(
      problems.map((p) => p.field),
      ["jumpboxPassword"],
    );
    assert.ok(!JSON.stringify(problems).includes("Password1"));
  });
});

describe("validateConfig cross-field rules", () => {
  async function defaults(): Promise<DeploymentConfig> {
    return (await resolveConfig({ ...base, flags: { subscription: SUB, location: "eastus" }, requirePassword: false })).config;
  }
  it("cluster max ≥ min", async () => {
    const config = { ...(await defaults()), clusterMinNodes: 3, clusterMaxNodes: 2 };
    assert.deepEqual(
      validateConfig(config, {}).map((p) => p.field),
      ["clusterMaxNodes"],
    );
    assert.deepEqual(validateConfig({ ...config, clusterMaxNodes: 3 }, {}), []);
  });
  it("region must be known for the cloud", async () => {
    const config = await defaults();
    assert.deepEqual(
      validateConfig({ ...config, location: "usgovvirginia" }, {}).map((p) => p.field),
      ["location"],
    );
    assert.deepEqual(validateConfig({ ...config, location: "usgovvirginia", cloud: "AzureUSGovernment" }, {}), []);
  });
  it("enum values", async () => {
    const config = await defaults();
    const problems = validateConfig({ ...config, keyVaultSoftDeleted: "delete" as DeploymentConfig["keyVaultSoftDeleted"] }, {});
    assert.deepEqual(
      problems.map((p) => [p.field, p.flag]),
      [["keyVaultSoftDeleted", "--key-vault-soft-deleted"]],
    );
  });
  it("switched-off features are not validated", async () => {
    const config = { ...(await defaults()), jumpbox: false, jumpboxName: "way-too-long-for-windows" };
    assert.deepEqual(validateConfig(config, {}, { requirePassword: true }), []);
    assert.equal(validateConfig({ ...config, jumpbox: true }, {}, { requirePassword: true }).length, 2);
  });
  it("every problem names the field, flag, variable, value and rule", async () => {
    const problems = validateConfig({ ...(await defaults()), vnetAddressSpace: "172.17.0.0/16" }, {});
    const p = problems.find((x) => x.field === "vnetAddressSpace");
    assert.deepEqual({ flag: p?.flag, env: p?.env, value: p?.value }, { flag: "--vnet-address-space", env: "SECURE_AML_VNET_ADDRESS_SPACE", value: "172.17.0.0/16" });
    assert.match(p?.rule ?? "", /Docker/);
    // The default subnets now lie outside the address space: reported as well.
    assert.ok(problems.some((x) => x.field === "trainingSubnet" && /not inside/.test(x.rule)));
  });
});

describe("config file", () => {
  it("unknown keys and wrong types are problems naming the key", async () => {
    const file = join(await tempDir(), "bad-shape.json");
    await writeFile(file, JSON.stringify({ vnetAdressSpace: "10.0.0.0/16", clusterMaxNodes: "four", jumpbox: "yes", cloud: "Mars", jumpboxPassword: "x" }));
    const { problems } = await loadConfigFile(file);
    const byField = new Map(problems.map((p) => [p.field, p]));
    assert.deepEqual([...byField.keys()].sort(), ["cloud", "clusterMaxNodes", "jumpbox", "jumpboxPassword", "vnetAdressSpace"]);
    assert.match(byField.get("vnetAdressSpace")!.rule, /unknown key; did you mean "vnetAddressSpace"/);
    assert.match(byField.get("clusterMaxNodes")!.rule, /must be a JSON number/);
    assert.match(byField.get("jumpbox")!.rule, /boolean/);
    assert.match(byField.get("cloud")!.rule, /one of: AzureCloud/);
    assert.match(byField.get("jumpboxPassword")!.rule, /SECURE_AML_JUMPBOX_PASSWORD/);
    assert.equal(byField.get("jumpboxPassword")!.value, undefined);
    for (const p of problems) assert.match(p.rule, /^in config file /);
  });
  it("invalid JSON, a non-object and a missing file", async () => {
    const d = await tempDir();
    await writeFile(join(d, "broken.json"), "{ nope");
    await writeFile(join(d, "array.json"), "[]");
    assert.match((await loadConfigFile(join(d, "broken.json"))).problems[0]!.rule, /not valid JSON/);
    assert.match((await loadConfigFile(join(d, "array.json"))).problems[0]!.rule, /one JSON object/);
    assert.match((await loadConfigFile(join(d, "absent.json"))).problems[0]!.rule, /not found/);
  });
  it("file problems end resolution with exit 2, together with the others", async () => {
    const file = join(await tempDir(), "bad-value.json");
    await writeFile(file, JSON.stringify({ storageAccount: "UPPER", unknownThing: 1 }));
    const problems = await expectInputError(resolveConfig({ ...base, configFile: file }));
    const fields = problems.map((p) => p.field);
    for (const f of ["unknownThing", "subscriptionId", "location"]) assert.ok(fields.includes(f), f);
  });
  it("writeConfigFile saves every field and no secret; the file replays the same configuration", async () => {
    const file = join(await tempDir(), "saved", "secure-aml.json");
    const first = await resolveConfig({ ...base, flags: { subscription: SUB, location: "eastus", prefix: "team1" }, env: { SECURE_AML_JUMPBOX_PASSWORD: PASSWORD } });
    await writeConfigFile(file, { ...first.config, ...({ jumpboxPassword: PASSWORD } as object) });
    const text = await readFile(file, "utf8");
    assert.ok(!text.includes(PASSWORD));
    // Every field with a value (computeInstanceUser has none until a run reads the signed-in person).
    assert.deepEqual(
      Object.keys(JSON.parse(text)),
      FIELDS.map((f) => f.key).filter((k) => first.config[k] !== undefined),
    );
    assert.equal((await stat(file)).isFile(), true);
    const replay = await resolveConfig({ ...base, configFile: file, env: { SECURE_AML_JUMPBOX_PASSWORD: PASSWORD } });
    assert.deepEqual(replay.config, first.config);
    assert.equal(replay.sources.storageAccount, "file");
  });
});

describe("run options", () => {
  it("defaults", () => {
    const run = resolveRunOptions({}, {}, false);
    assert.deepEqual(run, {
      endpoint: undefined,
      caCert: undefined,
      local: false,
      concurrency: 8,
      statePath: ".secure-aml/state.json",
      output: "text",
      yes: false,
      color: false,
      interactive: false,
    });
  });
  it("interactive only with both terminals, no CI and no --yes", () => {
    assert.equal(resolveRunOptions({}, {}, { stdin: true, stderr: true }).interactive, true);
    assert.equal(resolveRunOptions({}, {}, { stdin: false, stderr: true }).interactive, false);
    assert.equal(resolveRunOptions({}, {}, { stdin: true, stderr: false }).interactive, false);
    assert.equal(resolveRunOptions({}, { CI: "true" }, true).interactive, false);
    assert.equal(resolveRunOptions({ yes: true }, {}, true).interactive, false);
  });
  it("colour off with --no-color, NO_COLOR, CI or no terminal", () => {
    assert.equal(resolveRunOptions({}, {}, true).color, true);
    assert.equal(resolveRunOptions({ color: false }, {}, true).color, false);
    assert.equal(resolveRunOptions({}, { NO_COLOR: "1" }, true).color, false);
    assert.equal(resolveRunOptions({}, { CI: "1" }, true).color, false);
    assert.equal(resolveRunOptions({}, {}, false).color, false);
  });
  it("flags beat variables", () => {
    const env = { SECURE_AML_ARM_ENDPOINT: "https://127.0.0.1:9", SECURE_AML_CONCURRENCY: "2", SECURE_AML_STATE: "env.json", SECURE_AML_OUTPUT: "json" };
    const fromEnv = resolveRunOptions({}, env, false);
    assert.deepEqual([fromEnv.endpoint, fromEnv.concurrency, fromEnv.statePath, fromEnv.output], ["https://127.0.0.1:9", 2, "env.json", "json"]);
    const fromFlags = resolveRunOptions({ endpoint: "https://127.0.0.1:10/", concurrency: "1", state: "s.json", output: "text" }, env, false);
    assert.deepEqual([fromFlags.endpoint, fromFlags.concurrency, fromFlags.statePath, fromFlags.output], ["https://127.0.0.1:10", 1, "s.json", "text"]);
  });
  it("every bad run option at once", () => {
    const { problems } = checkRunOptions({ endpoint: "http://example.com", concurrency: "0", output: "yaml", caCert: "/nonexistent/ca.pem" }, {}, false);
    assert.deepEqual(problems.map((p) => p.flag).sort(), ["--ca-cert", "--concurrency", "--endpoint", "--output"]);
    assert.throws(() => resolveRunOptions({ concurrency: "2.5" }, {}, false), InputError);
  });
  it("--local ignores an endpoint from the environment but refuses one given as a flag", () => {
    assert.equal(resolveRunOptions({ local: true }, { SECURE_AML_ARM_ENDPOINT: "https://127.0.0.1:9" }, false).endpoint, undefined);
    assert.throws(() => resolveRunOptions({ local: true, endpoint: "https://127.0.0.1:9" }, {}, false), InputError);
  });
});
