// A minimal stand-in for `secure-aml init`, used by the reliability and benchmark harnesses only when
// asked (`--driver standin`), e.g. while src/commands/init.ts does not exist yet, or to measure the
// engine and steps without the CLI around them. It takes the same flags the harnesses pass to the
// real CLI, checks them with the CLI's own precheck (so bad input still exits 2 before any request),
// opens the state file (lock: exit 3), runs the step graph with the engine and prints one JSON line.
//
//   node dist/bench/standin-init.js init --yes --endpoint URL --ca-cert FILE --subscription SUB
//        --location eastus [--state FILE] [--concurrency N] [--output json] [--<field> VALUE ...]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ExitCode, InputError, SecureAmlError } from "../src/errors.js";
import { FIELDS, flagAttributeName } from "../src/config/fields.js";
import { checkRunOptions, precheckConfig } from "../src/config/resolve.js";
import { openState } from "../src/engine/state.js";
import { runSteps } from "../src/engine/engine.js";
import { createAzureContext } from "../src/azure/clients.js";
import { createStaticTestCredential } from "../src/azure/credential.js";
import { AZURE_STEP_ERRORS } from "../src/commands/step-retry-policy.js";
import { stepsFor } from "../src/steps/index.js";
import type { EngineEvent } from "../src/engine/types.js";

type OptionSpec = { type: "string" | "boolean" };

function optionTable(): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = {
    yes: { type: "boolean" },
    endpoint: { type: "string" },
    "ca-cert": { type: "string" },
    state: { type: "string" },
    concurrency: { type: "string" },
    output: { type: "string" },
    config: { type: "string" },
    "no-color": { type: "boolean" },
  };
  for (const field of FIELDS) {
    if (field.type === "boolean") {
      const positive = field.flag.replace(/^--(no-)?/, "");
      options[positive] = { type: "boolean" };
      options[`no-${positive}`] = { type: "boolean" };
    } else options[field.flag.slice(2)] = { type: "string" };
  }
  return options;
}

function toAttributeFlags(values: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const attribute = flagAttributeName(field);
    if (field.type === "boolean") {
      const positive = field.flag.replace(/^--(no-)?/, "");
      if (values[positive] === true) flags[attribute] = true;
      if (values[`no-${positive}`] === true) flags[attribute] = false;
    } else if (values[field.flag.slice(2)] !== undefined) flags[attribute] = values[field.flag.slice(2)];
  }
  for (const [name, attribute] of [
    ["yes", "yes"],
    ["endpoint", "endpoint"],
    ["ca-cert", "caCert"],
    ["state", "state"],
    ["concurrency", "concurrency"],
    ["output", "output"],
    ["config", "config"],
  ] as const) {
    if (values[name] !== undefined) flags[attribute] = values[name];
  }
  if (values["no-color"] === true) flags.color = false;
  return flags;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] !== "init") {
    process.stderr.write("standin-init: only `init` is supported\n");
    return ExitCode.badInput;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv.slice(1), options: optionTable(), strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new InputError([{ field: "arguments", value: argv.join(" "), rule: (error as Error).message }]);
  }
  const flags = toAttributeFlags(values);
  const { options: run, problems } = checkRunOptions(flags, process.env, { stdin: false, stderr: false });
  const configFile = typeof flags.config === "string" ? flags.config : undefined;
  const precheck = await precheckConfig({ flags, env: process.env, configFile, interactive: false, requirePassword: true, extraProblems: problems });
  const resolved = precheck.resolved;
  if (!resolved) throw new SecureAmlError("BAD_INPUT", "stand-in: configuration incomplete", ExitCode.badInput);
  const { config, secrets } = resolved;
  const secretValues = secrets.jumpboxPassword ? [secrets.jumpboxPassword] : [];
  const state = await openState(run.statePath, { create: true, secretValues });
  const events: EngineEvent[] = [];
  try {
    state.setConfig(config);
    await state.save();
    const azure = createAzureContext({
      subscriptionId: config.subscriptionId,
      endpoint: run.endpoint,
      caCertPem: run.caCert ? readFileSync(run.caCert, "utf8") : undefined,
      credential: createStaticTestCredential(run.endpoint),
      cloud: config.cloud,
      pollIntervalMs: 50,
    });
    const summary = await runSteps(
      stepsFor(config),
      { config, secrets, azure },
      {
        concurrency: run.concurrency,
        io: { notify: (event) => events.push(event), request: async () => Promise.reject(new Error("non-interactive")) },
        state,
        retry: { attempts: 6, baseDelayMs: 200, maxDelayMs: 2_000 },
        ...AZURE_STEP_ERRORS,
        resumeCommand: "secure-aml init",
      },
    );
    const body = {
      ok: summary.status === "succeeded",
      status: summary.status,
      durationMs: summary.durationMs,
      requests: azure.counter.snapshot(),
      resources: summary.resources,
      error: summary.error,
    };
    process.stdout.write(JSON.stringify(body) + "\n");
    if (summary.error) process.stderr.write(`secure-aml: ${summary.error.message}\n`);
    return summary.exitCode;
  } finally {
    await state.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const e = error as SecureAmlError;
  process.stderr.write(`secure-aml: ${e.message}\n`);
  process.stdout.write(JSON.stringify({ ok: false, error: { code: e.code, message: e.message, problems: (e as InputError).problems } }) + "\n");
  process.exitCode = typeof e.exitCode === "number" ? e.exitCode : ExitCode.failed;
}
