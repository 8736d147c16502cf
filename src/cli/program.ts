// The `secure-aml` command line (commander). Start-up time matters (issue 13: the installed `--help` within
// 1.5x bare `node -e 0`): only commander loads at the top. This file imports no other module of secure-aml
// at run time, so that the published bundle answers `--help` and `--version` from one file
// (scripts/bundle.mjs puts anything shared with the commands in separate chunks, and refuses a chunk here):
// the field table loads only when init or plan is named, the error types only on an error path, and each
// action loads its command module (and through it the Azure SDKs, prompts and spinners) with `await
// import()` after the input has been checked.
import { fileURLToPath } from "node:url";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { InputProblem } from "../errors.js";
import type { FieldGroup, FieldSpec } from "../config/fields.js";
import type { CommandInput, CommandIo, CommandName, CommandResult, ConfigCommandInput, DestroyCommandInput, EmulatorCommandInput, PlanCommandInput } from "./command-contract.js";
import type { RunOptions } from "../config/types.js";
import type { ResultCommand } from "../ui/types.js";

const GROUP_HEADINGS: Record<FieldGroup, string> = {
  basics: "Deployment:",
  network: "Network (the tutorial's ranges by default):",
  names: "Resource names (derived from --prefix unless given):",
  jumpbox: "Jump box (Windows 11, reached through Bastion):",
  compute: "Compute:",
  options: "Features:",
};

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    provisioning failure (Azure refused or failed; state saved, rerun to resume)
  2    bad input (every problem listed: field, flag, variable, value, rule)
  3    state locked (another secure-aml run uses the same --state file or blob lease)
  4    the subscription cannot take this deployment as asked (preflight; every problem and its fix listed); nothing was created
  5    the state could not be read or written where it lives (disk full, read-only, storage unreachable); the previous state is intact
  130  interrupted (Ctrl-C; state saved, rerun to resume)`;

const ENV_HELP = `
Every deployment flag has a SECURE_AML_* variable (--vnet-address-space: SECURE_AML_VNET_ADDRESS_SPACE;
booleans take true/false) and a key of the same name in the --config JSON file. Precedence: flags,
variables (and AZURE_SUBSCRIPTION_ID), config file, prompts (terminal only), defaults.
The jump-box password is never a flag: set SECURE_AML_JUMPBOX_PASSWORD or answer the masked prompt.`;

const EXAMPLES: Record<CommandName | "emulator" | "program", string> = {
  program: `
Examples:
  $ npx secure-aml init --local --yes          try everything against the bundled emulator
  $ npx secure-aml init                        the wizard: sign in, answer, confirm the plan
  $ secure-aml plan --subscription $SUB --location eastus
  $ secure-aml status --output json
  $ secure-aml destroy`,
  init: `
Examples:
  $ secure-aml init                                         interactive wizard
  $ secure-aml init --local --yes                           no Azure account needed
  $ SECURE_AML_JUMPBOX_PASSWORD=... secure-aml init --yes --subscription $SUB --location westeurope --prefix team1
  $ secure-aml init --config secure-aml.json --yes          replay answers saved by the wizard
  $ secure-aml init --yes --no-jumpbox --no-bastion --subscription $SUB --location eastus --output json`,
  plan: `
Examples:
  $ secure-aml plan --subscription $SUB --location eastus   what init would create or change
  $ secure-aml plan --config secure-aml.json --output json
  $ secure-aml plan --local --diagram architecture.svg`,
  status: `
Examples:
  $ secure-aml status                          from .secure-aml/state.json
  $ secure-aml status --subscription $SUB --resource-group team1-rg --output json`,
  verify: `
Examples:
  $ secure-aml verify                          audit the network isolation of what is deployed
  $ secure-aml verify --subscription $SUB --resource-group other-rg --output json`,
  stop: `
Examples:
  $ secure-aml stop                            deallocate the jump box and the compute instance
  $ secure-aml stop --state ci/state.json --yes`,
  start: `
Examples:
  $ secure-aml start
  $ secure-aml start --output json`,
  destroy: `
Examples:
  $ secure-aml destroy                         asks you to type the resource group's name
  $ secure-aml destroy --yes --purge           scripts: no question; purge soft-deleted vault and workspace
  $ secure-aml destroy --resource-group old-rg --force --yes`,
  emulator: `
Examples:
  $ secure-aml emulator                                       https://127.0.0.1:<port>, data in .secure-aml/emulator
  $ secure-aml emulator --port 0 --data /tmp/arm --output json
  $ secure-aml emulator --latency realistic --time-scale 0.01 --faults "seed=1;429:rate=0.05,retry-after=1"
  $ secure-aml emulator --fresh-subscription                  a new subscription: providers must be registered first
  $ secure-aml emulator --world world.json                    quotas, unavailable sizes, no role permission, taken names`,
};

function packageVersion(): string {
  try {
    // Not `import { readFileSync } from "node:fs"`: an ES import of node:fs makes Node build that module's
    // ES facade, which loads fs/promises, readline and the streams (about 3 ms of every start).
    const { readFileSync } = process.getBuiltinModule("node:fs");
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function fieldOptions(field: FieldSpec): Option[] {
  const heading = GROUP_HEADINGS[field.group];
  const env = [field.env, ...(field.envAliases ?? [])].join(", ");
  if (field.type === "boolean") {
    const positive = field.flag.startsWith("--no-") ? `--${field.flag.slice(5)}` : field.flag;
    const negative = `--no-${positive.slice(2)}`;
    // Both forms exist so a flag can override a variable or file either way; defining the positive
    // form first keeps commander's value undefined when neither is given (precedence is ours).
    const shown = field.flag === positive ? positive : negative;
    const pos = new Option(positive, shown === positive ? `${field.description} [${env}]` : `opposite of ${negative}`);
    const neg = new Option(negative, shown === negative ? `${field.description} [${env}]` : `opposite of ${positive}`);
    if (shown === positive) neg.hideHelp();
    else pos.hideHelp();
    return [pos.helpGroup(heading), neg.helpGroup(heading)];
  }
  const choices = field.choices ? ` (${field.choices.join("|")})` : "";
  return [singleValued(new Option(`${field.flag} ${field.valueName ?? "<value>"}`, `${field.description}${choices} [${env}]`)).helpGroup(heading)];
}

/**
 * A value option given twice with different values (`--prefix a --prefix b`, often a script that
 * appends flags) is refused rather than resolved silently by "the last one wins". The same value
 * twice is harmless and accepted.
 */
function singleValued(option: Option): Option {
  return option.argParser((value: string, previous: unknown) => {
    if (typeof previous === "string" && previous !== value) {
      throw new InvalidArgumentError(
        `${option.long ?? option.flags} was given twice with different values (${JSON.stringify(previous)} and ${JSON.stringify(value)}); give it once`,
      );
    }
    return value;
  });
}

/** `--x` together with `--no-x`: contradictory switches are refused, not resolved by order. */
export function contradictorySwitches(argv: readonly string[]): string[] {
  const given = new Set(argv.filter((a) => a.startsWith("--")).map((a) => a.split("=")[0]!));
  const found: string[] = [];
  for (const flag of given) {
    if (flag.startsWith("--no-") && given.has(`--${flag.slice(5)}`)) found.push(`--${flag.slice(5)} and ${flag}`);
  }
  return found;
}

function addCommonOptions(cmd: Command): Command {
  const heading = "Common options:";
  const options = [
    new Option("--output <format>", "text or json (json: one JSON document on stdout) [SECURE_AML_OUTPUT]"),
    new Option("--yes", "never prompt; accept the plan (scripts, CI) [SECURE_AML_YES]"),
    new Option("--state <file>", "state file (default .secure-aml/state.json) [SECURE_AML_STATE]"),
    new Option("--config <file>", "JSON config file of deployment settings [SECURE_AML_CONFIG]"),
    new Option("--color", "colour even if NO_COLOR is set").hideHelp(),
    new Option("--no-color", "no colours or spinners (also NO_COLOR, CI, or no terminal)"),
    new Option("--endpoint <url>", "ARM endpoint, e.g. an emulator's https://127.0.0.1:PORT [SECURE_AML_ARM_ENDPOINT]"),
    new Option("--trust-endpoint <url>", "send your real Azure token to this non-default, non-local ARM endpoint (repeatable) [SECURE_AML_TRUSTED_ENDPOINTS]").argParser(
      (value: string, previous: unknown) => [...(Array.isArray(previous) ? (previous as string[]) : []), value],
    ),
    new Option("--ca-cert <file>", "PEM CA certificate trusted for --endpoint [SECURE_AML_CA_CERT]"),
    new Option("--local", "start the bundled ARM emulator for this command (no Azure account) [SECURE_AML_LOCAL]"),
    new Option("--concurrency <n>", "steps run at once (default 8; 1 = strictly in order) [SECURE_AML_CONCURRENCY]"),
    new Option("--record <file>", "write every ARM request and response of the run to FILE, sanitized (YAML cassette, mode 0600) [SECURE_AML_RECORD]"),
    new Option(
      "--record-subscription <id>",
      `subscription id the recording shows instead of the real one (default 00000000-0000-0000-0000-000000000000) [SECURE_AML_RECORD_SUBSCRIPTION]`,
    ),
  ];
  for (const option of options) cmd.addOption((option.required && option.long !== "--trust-endpoint" ? singleValued(option) : option).helpGroup(heading));
  return cmd;
}

function addConfigOptions(cmd: Command, fields: readonly FieldSpec[]): Command {
  for (const field of fields) for (const option of fieldOptions(field)) cmd.addOption(option);
  // Accepted only to be refused with a clear message (see resolveConfig): never a password flag.
  cmd.addOption(new Option("--jumpbox-password <password>").hideHelp());
  return cmd;
}

// src/shared/terminal.ts's, written here again on purpose: this module imports nothing at start-up, so that
// `--help` reads one file (scripts/bundle.mjs fails the bundle when cli/main.js imports a shared chunk).
function isTerminal(stream: unknown): boolean {
  return typeof stream === "object" && stream !== null && (stream as { isTTY?: unknown }).isTTY === true;
}

function isModuleMissing(error: unknown, url: URL): boolean {
  const e = error as { code?: unknown; message?: unknown };
  if (e?.code !== "ERR_MODULE_NOT_FOUND" || typeof e.message !== "string") return false;
  return e.message.includes(fileURLToPath(url)) || e.message.includes(url.href);
}

async function notImplemented(what: string): Promise<Error> {
  const { ExitCode, SecureAmlError } = await import("../errors.js");
  return new SecureAmlError("NOT_IMPLEMENTED", `${what}: not implemented yet`, ExitCode.failed);
}

/** Loads `../commands/<name>.js` (or another module) and returns its export, or throws "not implemented yet". */
async function loadExport<T>(relative: string, exportName: string, what: string): Promise<T> {
  const url = new URL(relative, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (error) {
    if (isModuleMissing(error, url)) throw await notImplemented(what);
    throw error;
  }
  const fn = mod[exportName];
  if (typeof fn !== "function") throw await notImplemented(what);
  return fn as T;
}

export interface CliContext {
  io: CommandIo;
  env: NodeJS.ProcessEnv;
  /**
   * Called once before a command's action runs, never for `--help`, `--version` or a usage error: where the
   * entry point takes the secrets out of the process environment (src/cli/main.ts).
   */
  beforeCommand?: () => Promise<void>;
}

export interface Outcome {
  /** Set when an action has run. */
  code?: number;
  output: RunOptions["output"];
  /** The command being run (for the result document). */
  command: ResultCommand;
}

/**
 * Reports an error that ended a command before (or outside) its own reporting: the same reporter and
 * the same schema-1 result document as the commands (src/commands/report.ts), loaded only on failure.
 */
async function reportError(error: unknown, ctx: CliContext, outcome: Outcome): Promise<number> {
  const { reportError: report } = await import("../commands/report.js");
  return report(error, { io: ctx.io, env: ctx.env, output: outcome.output, command: outcome.command });
}

/**
 * The program, without running it; `outcome` receives each action's result. Only the subcommands in `named`
 * get their whole option set: init and plan the deployment flags of `fields` (the table of
 * src/config/fields.ts), every command but the emulator the common options. commander runs a subcommand, or
 * shows its help, only when its exact name is an argument, and the program's own help shows each
 * subcommand's name, description and whether it has options (the options each keeps in any case come first
 * in its help, the others after them, so the order is the same). Building every option (about 150) cost
 * the program's `--help` about 2 ms on Node 22 and a garbage collection, a sixth of what it took beyond bare node.
 */
/**
 * Help is wrapped at 80 columns at most (a narrower terminal: its width). Help reads best at that width, and
 * the same text on every terminal of 80 columns or more is what lets bin/secure-aml.js print the text the
 * bundle's build rendered (scripts/bundle.mjs) instead of loading the CLI for `--help`.
 */
export const HELP_MAX_WIDTH = 80;

function helpWidthOf(stream: unknown): number {
  const columns = isTerminal(stream) ? (stream as { columns?: unknown }).columns : undefined;
  return typeof columns === "number" && columns > 0 ? Math.min(columns, HELP_MAX_WIDTH) : HELP_MAX_WIDTH;
}

function outputTo(ctx: CliContext) {
  return {
    writeOut: (text: string) => ctx.io.stdout.write(text),
    writeErr: (text: string) => ctx.io.stderr.write(text),
    getOutHelpWidth: () => helpWidthOf(ctx.io.stdout),
    getErrHelpWidth: () => helpWidthOf(ctx.io.stderr),
  };
}

function buildProgram(ctx: CliContext, outcome: Outcome, named: ReadonlySet<string>, fields: readonly FieldSpec[] | undefined): Command {
  const program = new Command("secure-aml")
    .description(
      "Builds the network-isolated Azure Machine Learning workspace of Microsoft's secure-workspace tutorial " +
        "(VNet, private endpoints, Bastion, jump box, compute) in one command; plus a local ARM emulator.",
    )
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .configureOutput(outputTo(ctx))
    .exitOverride()
    .addHelpText("after", `${EXAMPLES.program}\n${EXIT_CODES_HELP}\n${ENV_HELP}\n`);

  const common = async (opts: Record<string, unknown>): Promise<{ run: RunOptions; configFile?: string; problems: InputProblem[] }> => {
    const { checkRunOptions } = await import("../config/resolve.js");
    const { options, problems } = checkRunOptions(opts, ctx.env, { stdin: isTerminal(ctx.io.stdin), stderr: isTerminal(ctx.io.stderr) });
    outcome.output = options.output;
    const configFile = typeof opts.config === "string" && opts.config !== "" ? opts.config : ctx.env.SECURE_AML_CONFIG || undefined;
    return { run: options, configFile, problems };
  };

  const withErrors = (command: ResultCommand, fn: (opts: Record<string, unknown>) => Promise<CommandResult>) => async (opts: Record<string, unknown>) => {
    outcome.command = command;
    try {
      await ctx.beforeCommand?.();
      const result = await fn(opts);
      const { ExitCode } = await import("../errors.js");
      outcome.code = typeof result === "number" ? result : ExitCode.ok;
    } catch (error) {
      outcome.code = await reportError(error, ctx, outcome);
    }
  };

  const configCommand = (name: "init" | "plan", description: string) => {
    const cmd = new Command(name).description(description);
    if (named.has(name) && fields !== undefined) addConfigOptions(cmd, fields);
    if (name === "plan") cmd.addOption(new Option("--diagram <file>", "also write the architecture diagram (.svg, else Mermaid text)"));
    cmd.addOption(new Option("--prices <source>", "cost estimate from offline (the bundled price table, default) or live (Azure Retail Prices API) [SECURE_AML_PRICES]"));
    if (named.has(name)) addCommonOptions(cmd);
    cmd.addHelpText("after", `${EXAMPLES[name]}\n${EXIT_CODES_HELP}\n${ENV_HELP}\n`);
    cmd.action(
      withErrors(name, async (opts) => {
        const { run, configFile, problems } = await common(opts);
        const { precheckConfig } = await import("../config/resolve.js");
        const { LOCAL_DEFAULTS } = await import("../config/local.js");
        // Every bad flag, variable or file value (and, without a terminal, every missing one) exits 2 here,
        // before a command module, an SDK or the network is touched.
        // init resumes by default: the deployment the state file records lends its saved answers as defaults.
        const saved =
          name === "init" && problems.length === 0
            ? await (await import("../commands/init-resume.js")).resumeDefaults(run.statePath, { flags: opts, env: ctx.env, configFile }, run.local)
            : undefined;
        const precheck = await precheckConfig({
          flags: opts,
          env: ctx.env,
          configFile,
          interactive: run.interactive,
          requirePassword: name === "init",
          defaults: saved ? { ...(run.local ? LOCAL_DEFAULTS : {}), ...saved } : run.local ? LOCAL_DEFAULTS : undefined,
          generatePassword: run.local,
          extraProblems: problems,
        });
        const input: ConfigCommandInput = { flags: opts, env: ctx.env, run, configFile, io: ctx.io, precheck };
        if (name === "init") {
          const runInit = await loadExport<(i: ConfigCommandInput) => Promise<CommandResult>>("../commands/init.js", "runInit", "init");
          return runInit(input);
        }
        const planInput: PlanCommandInput = { ...input, diagram: typeof opts.diagram === "string" ? opts.diagram : undefined };
        const runPlan = await loadExport<(i: PlanCommandInput) => Promise<CommandResult>>("../commands/plan.js", "runPlan", "plan");
        return runPlan(planInput);
      }),
    );
    return cmd;
  };

  program.addCommand(configCommand("init", "create (or resume, or repair) the secure workspace: the wizard, or flags with --yes"));
  program.addCommand(configCommand("plan", "show what init would create or change, without writing anything"));

  const dayTwo: { name: Exclude<CommandName, "init" | "plan">; description: string; exportName: string }[] = [
    { name: "status", description: "each resource of the deployment, whether it exists and runs", exportName: "runStatus" },
    { name: "verify", description: "audit the network isolation of what is deployed (exit 1 when not clean)", exportName: "runVerify" },
    { name: "stop", description: "deallocate the jump box and the compute instance so they stop costing", exportName: "runStop" },
    { name: "start", description: "start the jump box and the compute instance again", exportName: "runStart" },
    { name: "destroy", description: "delete the resource group secure-aml created (asks for its name unless --yes)", exportName: "runDestroy" },
  ];
  for (const { name, description, exportName } of dayTwo) {
    const cmd = new Command(name).description(description);
    cmd.addOption(singleValued(new Option("--subscription <id>", "subscription, when there is no state file [SECURE_AML_SUBSCRIPTION, AZURE_SUBSCRIPTION_ID]")));
    cmd.addOption(singleValued(new Option("--resource-group <name>", "resource group, when there is no state file [SECURE_AML_RESOURCE_GROUP]")));
    if (name === "verify") {
      cmd.addOption(new Option("--from-inside", "also probe from the jump box (VM Run Command): each private name resolves to its private endpoint and TCP 443 connects"));
    }
    if (name === "destroy") {
      cmd.addOption(new Option("--force", "also delete a resource group secure-aml did not create"));
      cmd.addOption(new Option("--purge", "purge the soft-deleted key vault and workspace so their names can be reused"));
    }
    if (named.has(name)) addCommonOptions(cmd);
    cmd.addHelpText("after", `${EXAMPLES[name]}\n${EXIT_CODES_HELP}\n`);
    cmd.action(
      withErrors(name, async (opts) => {
        const { run, configFile, problems } = await common(opts);
        if (problems.length > 0) {
          const { InputError } = await import("../errors.js");
          throw new InputError(problems);
        }
        const input: CommandInput = { flags: opts, env: ctx.env, run, configFile, io: ctx.io };
        const fn = await loadExport<(i: CommandInput | DestroyCommandInput) => Promise<CommandResult>>(`../commands/${name}.js`, exportName, name);
        if (name === "destroy") return fn({ ...input, force: opts.force === true, purge: opts.purge === true });
        return fn(input);
      }),
    );
    program.addCommand(cmd);
  }

  const emulator = new Command("emulator")
    .description("run the local Azure Resource Manager emulator in the foreground (HTTPS on 127.0.0.1)")
    .addOption(new Option("--port <n>", "port; 0 picks a free one").default("0"))
    .addOption(new Option("--data <dir>", "where resources and the certificate persist (default .secure-aml/emulator)"))
    .addOption(new Option("--latency <profile>", "none or realistic").default("none"))
    .addOption(new Option("--time-scale <x>", "multiplies realistic latencies, e.g. 0.01").default("1"))
    .addOption(new Option("--faults <spec>", 'inject faults deterministically, e.g. "seed=1;429:rate=0.1"'))
    .addOption(new Option("--output <format>", "text or json (json: one line with endpoint and caCert)").default("text"))
    .addOption(new Option("--world <file>", "a subscription world: registered providers, quotas, unavailable sizes, role permission, taken names (docs/emulator.md)"))
    .addOption(new Option("--fresh-subscription", "a brand-new subscription: only Azure's default resource providers registered"))
    .addHelpText("after", `${EXAMPLES.emulator}\n${EXIT_CODES_HELP}\n`)
    .action(
      withErrors("emulator", async (opts) => {
        const problems: InputProblem[] = [];
        const port = Number(opts.port);
        if (!/^\d+$/.test(String(opts.port)) || port > 65535)
          problems.push({ field: "port", flag: "--port", value: String(opts.port), rule: "must be a port number 0-65535 (0 = any free port)" });
        const latency = String(opts.latency);
        if (latency !== "none" && latency !== "realistic") problems.push({ field: "latency", flag: "--latency", value: latency, rule: "must be none or realistic" });
        const timeScale = Number(opts.timeScale);
        if (!Number.isFinite(timeScale) || timeScale <= 0) problems.push({ field: "timeScale", flag: "--time-scale", value: String(opts.timeScale), rule: "must be a number > 0" });
        const output = String(opts.output);
        if (output !== "text" && output !== "json") problems.push({ field: "output", flag: "--output", value: output, rule: "must be text or json" });
        else outcome.output = output;
        if (problems.length > 0) {
          const { InputError } = await import("../errors.js");
          throw new InputError(problems);
        }
        const input: EmulatorCommandInput = {
          port,
          dataDir: typeof opts.data === "string" ? opts.data : undefined,
          latency: latency as EmulatorCommandInput["latency"],
          timeScale,
          faults: typeof opts.faults === "string" ? opts.faults : undefined,
          output: output as EmulatorCommandInput["output"],
          ...(typeof opts.world === "string" ? { world: opts.world } : {}),
          ...(opts.freshSubscription === true ? { freshSubscription: true } : {}),
          env: ctx.env,
          io: ctx.io,
        };
        const runEmulatorCommand = await loadExport<(i: EmulatorCommandInput) => Promise<CommandResult>>("../emulator/entry.js", "runEmulatorCommand", "emulator");
        return runEmulatorCommand(input);
      }),
    );
  program.addCommand(emulator);

  // Subcommands inherit the output settings and error handling of the program.
  for (const cmd of program.commands) {
    cmd.configureOutput(outputTo(ctx)).exitOverride().showSuggestionAfterError(true);
  }
  return program;
}

const RESULT_COMMANDS: readonly ResultCommand[] = ["init", "plan", "status", "verify", "destroy", "stop", "start", "emulator"];

/** --output json (or SECURE_AML_OUTPUT=json) as given, for errors found before any action ran. */
function wantsJson(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const i = argv.lastIndexOf("--output");
  if (i >= 0) return argv[i + 1] === "json";
  const joined = argv.filter((a) => a.startsWith("--output=")).pop();
  if (joined) return joined === "--output=json";
  return env.SECURE_AML_OUTPUT === "json";
}

/** The commands whose flags come from the field table. */
const CONFIG_COMMANDS: readonly CommandName[] = ["init", "plan"];

/**
 * The program as runCli builds it for `argv` (process.argv form): the subcommands named in it complete (see
 * buildProgram), the field table loaded only when init or plan is named.
 */
export async function programFor(argv: readonly string[], ctx: CliContext, outcome: Outcome = { output: "text", command: "init" }): Promise<Command> {
  const named = new Set(argv.slice(2));
  const fields = CONFIG_COMMANDS.some((name) => named.has(name)) ? (await import("../config/fields.js")).FIELDS : undefined;
  return buildProgram(ctx, outcome, named, fields);
}

/** Runs the CLI on argv (process.argv form) and returns the exit code; never calls process.exit. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const outcome: Outcome = { output: "text", command: "init" };
  const program = await programFor(argv, ctx, outcome);
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    return (await import("../errors.js")).ExitCode.badInput;
  }
  const contradictions = contradictorySwitches(argv.slice(2));
  if (contradictions.length > 0) {
    ctx.io.stderr.write(`secure-aml: error: contradictory switches ${contradictions.join(", ")}: give one of each\n`);
    return (await import("../errors.js")).ExitCode.badInput;
  }
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with commander's exit code 0 (ExitCode.ok): no other module loads for them.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0) return 0;
      const { ExitCode, InputError } = await import("../errors.js");
      // commander printed the message on stderr; with --output json the result document says it too.
      if (wantsJson(argv, ctx.env)) {
        const { errorDocument } = await import("../commands/report.js");
        const rule = error.message.replace(/^error:\s*/, "");
        const problem = { field: "arguments", value: argv.slice(2).join(" "), rule };
        const command = RESULT_COMMANDS.find((c) => c === argv[2]) ?? "init";
        ctx.io.stdout.write(JSON.stringify(errorDocument(new InputError([problem]), { command }), null, 2) + "\n");
      }
      return ExitCode.badInput;
    }
    return reportError(error, ctx, outcome);
  }
  return outcome.code ?? (await import("../errors.js")).ExitCode.ok;
}
