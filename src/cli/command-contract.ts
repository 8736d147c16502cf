// What each command module receives from the CLI. The CLI (src/cli/program.ts) parses flags, checks
// run options and (for init and plan) the whole configuration before loading a command module, so
// bad input exits 2 before any SDK is even imported. Command modules live in src/commands/<name>.ts
// and export `run<Name>(input)`; the emulator command lives in src/emulator/entry.ts and exports
// `runEmulatorCommand(input)`. Each returns its exit code (void = 0) or throws a SecureAmlError.
import type { RunOptions } from "../config/types.js";
import type { ConfigPrecheck } from "../config/resolve.js";

export type CommandName = "init" | "plan" | "status" | "verify" | "stop" | "start" | "destroy";

/** An exit code (see ExitCode in src/errors.ts); void means 0. */
export type CommandResult = number | void;

export interface CommandIo {
  /** Results only (exactly one JSON document with --output json). */
  stdout: NodeJS.WritableStream;
  /** Progress, prompts, messages. */
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface CommandInput {
  /** Every option commander parsed for the command, by attribute name (e.g. vnetAddressSpace, jumpbox, yes, state). */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Already validated run options (endpoint, CA, --local, concurrency, state path, output, colour, interactive). */
  run: RunOptions;
  /** --config FILE or SECURE_AML_CONFIG, if given. */
  configFile?: string;
  io: CommandIo;
}

/**
 * init and plan: flags, variables and the config file have been validated already (any bad value
 * exited 2). When `precheck.resolved` is set, nothing is missing. Otherwise the run is interactive
 * and values are missing: call `resolveConfig({ flags, env, configFile, interactive: true, ask,
 * askPassword, requirePassword, defaults })` from src/config/resolve.js with the UI's prompts.
 * For --local runs `defaults` is LOCAL_DEFAULTS (src/config/local.ts) and a jump-box password is
 * generated when none is given.
 */
export interface ConfigCommandInput extends CommandInput {
  precheck: ConfigPrecheck;
}

export interface PlanCommandInput extends ConfigCommandInput {
  /** --diagram FILE: write the architecture diagram (.svg, or Mermaid text otherwise). */
  diagram?: string;
}

/** status, verify, stop, start: the state file first, else --subscription and --resource-group (in flags). */
export type DayTwoCommandInput = CommandInput;

export interface DestroyCommandInput extends CommandInput {
  /** Delete a resource group secure-aml did not create. */
  force: boolean;
  /** Purge the soft-deleted key vault and workspace so their names can be reused. */
  purge: boolean;
}

export interface CommandModules {
  init: { runInit(input: ConfigCommandInput): Promise<CommandResult> };
  plan: { runPlan(input: PlanCommandInput): Promise<CommandResult> };
  status: { runStatus(input: DayTwoCommandInput): Promise<CommandResult> };
  verify: { runVerify(input: DayTwoCommandInput): Promise<CommandResult> };
  stop: { runStop(input: DayTwoCommandInput): Promise<CommandResult> };
  start: { runStart(input: DayTwoCommandInput): Promise<CommandResult> };
  destroy: { runDestroy(input: DestroyCommandInput): Promise<CommandResult> };
}

/** `secure-aml emulator` options, for `runEmulatorCommand` in src/emulator/entry.ts. */
export interface EmulatorCommandInput {
  /** 0 = any free port. */
  port: number;
  /** Where resources and the certificate persist; undefined = the emulator's default. */
  dataDir?: string;
  latency: "none" | "realistic";
  /** Multiplies realistic latencies, e.g. 0.01. */
  timeScale: number;
  /** Fault spec, e.g. "seed=1,429=0.1". */
  faults?: string;
  /** json: one line {"endpoint": ..., "caCert": ...} on stdout. */
  output: "text" | "json";
  /** --world FILE: the subscription's world (docs/emulator.md). */
  world?: string;
  /** --fresh-subscription: a brand-new subscription (only Azure's default providers registered). */
  freshSubscription?: boolean;
  env: NodeJS.ProcessEnv;
  io: CommandIo;
}

export interface EmulatorModule {
  runEmulatorCommand(input: EmulatorCommandInput): Promise<CommandResult>;
}
