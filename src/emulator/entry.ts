// `secure-aml emulator` and the standalone entry script:
//   node dist/src/emulator/entry.js [--port N] [--data DIR] [--latency none|realistic] [--time-scale X]
//                                   [--faults SPEC] [--validate-specs] [--output json|text]
//                                   [--world FILE | --fresh-subscription]
// Prints one line once listening: JSON `{"endpoint": ..., "caCert": <path>}` or a sentence; runs until
// SIGINT/SIGTERM (or, with --exit-on-stdin-end, until its stdin closes: the test helper's lifeline).
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { ExitCode, InputError, type ExitCodeValue, type InputProblem } from "../errors.js";
import { FaultSpecError, parseFaultSpec } from "./faults.js";
import { startEmulator, type RunningEmulator } from "./server.js";
import type { LatencyProfile } from "./latency.js";
import { WorldFileError, freshSubscriptionWorld, loadWorldFile, type WorldSettings } from "./world.js";
import type { EmulatorProvider } from "./types.js";

export interface EmulatorCommandOptions {
  /** TCP port on 127.0.0.1; 0 or absent = a free port. */
  port?: string | number;
  /** Data directory (default `.secure-aml/emulator` under the current directory). */
  data?: string;
  /** The same, as the CLI's EmulatorCommandInput (src/cli/command-contract.ts) names it; `data` wins when both are set. */
  dataDir?: string;
  /** Output streams (the CLI's CommandIo); used when `runEmulatorCommand` gets no `io` argument. */
  io?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  latency?: string;
  timeScale?: string | number;
  faults?: string;
  validateSpecs?: boolean;
  output?: string;
  /** Providers registered besides the registry's (the tests' synthetic provider; not a command-line flag). */
  extraProviders?: EmulatorProvider[];
  /** Stop when stdin ends (a parent process that dies closes the pipe). */
  exitOnStdinEnd?: boolean;
  /** A world file (docs/emulator.md, "The world file"): registered providers, quotas, sizes, permissions, taken names. */
  world?: string;
  /** Shorthand for a world file of `{"registeredProviders": "default"}`: a brand-new subscription. */
  freshSubscription?: boolean;
}

export interface EmulatorCommandIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Aborting stops the emulator and resolves runEmulatorCommand with 0. */
  signal?: AbortSignal;
}

export interface ValidatedEmulatorOptions {
  port: number;
  dataDir: string;
  latency: LatencyProfile;
  timeScale: number;
  faults: string;
  validateSpecs: boolean;
  output: "json" | "text";
  exitOnStdinEnd: boolean;
  /** The world from --world or --fresh-subscription; undefined keeps the data directory's (or the default). */
  world?: WorldSettings;
}

export const DEFAULT_EMULATOR_DATA_DIR = path.join(".secure-aml", "emulator");

/** Checks every option; throws InputError (exit 2) naming each bad one. */
export function validateEmulatorOptions(options: EmulatorCommandOptions): ValidatedEmulatorOptions {
  const problems: InputProblem[] = [];
  let port = 0;
  if (options.port !== undefined) {
    const text = String(options.port).trim();
    if (!/^\d+$/.test(text) || Number(text) > 65535) {
      problems.push({ field: "port", flag: "--port", value: String(options.port), rule: "must be an integer from 0 to 65535 (0 = a free port)" });
    } else port = Number(text);
  }
  const latency = (options.latency ?? "none").toLowerCase();
  if (latency !== "none" && latency !== "realistic") {
    problems.push({ field: "latency", flag: "--latency", value: options.latency, rule: "must be none or realistic" });
  }
  let timeScale = 1;
  if (options.timeScale !== undefined) {
    const value = Number(String(options.timeScale).trim());
    if (String(options.timeScale).trim() === "" || !Number.isFinite(value) || value <= 0) {
      problems.push({ field: "timeScale", flag: "--time-scale", value: String(options.timeScale), rule: "must be a number greater than 0 (e.g. 0.01)" });
    } else timeScale = value;
  }
  const faults = options.faults ?? "";
  try {
    parseFaultSpec(faults);
  } catch (error) {
    const details = error instanceof FaultSpecError ? error.problems : [(error as Error).message];
    for (const detail of details) problems.push({ field: "faults", flag: "--faults", value: faults, rule: detail });
  }
  const output = (options.output ?? "text").toLowerCase();
  if (output !== "json" && output !== "text") {
    problems.push({ field: "output", flag: "--output", value: options.output, rule: "must be json or text" });
  }
  const data = options.data ?? options.dataDir;
  if (data !== undefined && data.trim() === "") {
    problems.push({ field: "data", flag: "--data", value: data, rule: "must be a directory path" });
  }
  let world: WorldSettings | undefined;
  if (options.world !== undefined && options.freshSubscription) {
    problems.push({ field: "world", flag: "--world", value: options.world, rule: "give either --world FILE or --fresh-subscription, not both" });
  } else if (options.world !== undefined) {
    try {
      world = loadWorldFile(options.world);
    } catch (error) {
      const details = error instanceof WorldFileError ? error.problems : [(error as Error).message];
      for (const detail of details) problems.push({ field: "world", flag: "--world", value: options.world, rule: detail });
    }
  } else if (options.freshSubscription) {
    world = freshSubscriptionWorld();
  }
  if (problems.length > 0) throw new InputError(problems);
  return {
    port,
    dataDir: path.resolve(data ?? DEFAULT_EMULATOR_DATA_DIR),
    latency: latency as LatencyProfile,
    timeScale,
    faults,
    validateSpecs: options.validateSpecs ?? false,
    output: output as "json" | "text",
    exitOnStdinEnd: options.exitOnStdinEnd ?? false,
    ...(world !== undefined ? { world } : {}),
  };
}

/**
 * Runs the emulator in the foreground until SIGINT (resolves 130), SIGTERM or `io.signal` (0), or stdin's
 * end with exitOnStdinEnd (0). Throws InputError (exit 2) for bad options, before listening.
 */
export async function runEmulatorCommand(options: EmulatorCommandOptions, io?: Partial<EmulatorCommandIo>): Promise<ExitCodeValue> {
  const streams = options.io;
  const out = io?.stdout ?? ((line: string) => void (streams?.stdout ?? process.stdout).write(line + "\n"));
  const err = io?.stderr ?? ((line: string) => void (streams?.stderr ?? process.stderr).write(line + "\n"));
  const validated = validateEmulatorOptions(options);
  const emulator: RunningEmulator = await startEmulator({
    port: validated.port,
    dataDir: validated.dataDir,
    latency: validated.latency,
    timeScale: validated.timeScale,
    faults: validated.faults,
    validateSpecs: validated.validateSpecs,
    extraProviders: options.extraProviders,
    log: err,
    ...(validated.world !== undefined ? { world: validated.world } : {}),
  });
  if (validated.validateSpecs || validated.output === "text") err(emulator.specValidation.note);
  if (validated.output === "json") {
    out(JSON.stringify({ endpoint: emulator.endpoint, caCert: emulator.caCertPath, subscriptionId: emulator.subscriptionId, specValidation: emulator.specValidation.enabled }));
  } else {
    out(
      `ARM emulator listening on ${emulator.endpoint} (CA certificate: ${emulator.caCertPath}; data: ${emulator.dataDir}; latency: ${validated.latency}${validated.latency === "realistic" ? ` x${validated.timeScale}` : ""}${validated.world ? `; world: ${options.freshSubscription ? "a fresh subscription" : options.world}` : ""}). Ctrl-C stops it.`,
    );
  }
  return new Promise<ExitCodeValue>((resolve) => {
    let done = false;
    const finish = (code: ExitCodeValue): void => {
      if (done) return;
      done = true;
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onTerminate);
      if (validated.exitOnStdinEnd) process.stdin.off("end", onTerminate).off("close", onTerminate);
      void emulator.stop().then(() => resolve(code));
    };
    const onInterrupt = (): void => finish(ExitCode.interrupted);
    const onTerminate = (): void => finish(ExitCode.ok);
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onTerminate);
    io?.signal?.addEventListener("abort", onTerminate, { once: true });
    if (validated.exitOnStdinEnd) {
      process.stdin.on("end", onTerminate).on("close", onTerminate);
      process.stdin.resume();
    }
  });
}

/** Parses the entry script's argv strictly (unknown flags are input errors). */
export function parseEmulatorArgv(argv: string[]): EmulatorCommandOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        data: { type: "string" },
        latency: { type: "string" },
        "time-scale": { type: "string" },
        faults: { type: "string" },
        "validate-specs": { type: "boolean" },
        output: { type: "string" },
        "exit-on-stdin-end": { type: "boolean" },
        world: { type: "string" },
        "fresh-subscription": { type: "boolean" },
      },
    });
    return {
      port: values.port,
      data: values.data,
      latency: values.latency,
      timeScale: values["time-scale"],
      faults: values.faults,
      validateSpecs: values["validate-specs"],
      output: values.output,
      exitOnStdinEnd: values["exit-on-stdin-end"],
      world: values.world,
      freshSubscription: values["fresh-subscription"],
    };
  } catch (error) {
    throw new InputError([{ field: "arguments", value: argv.join(" "), rule: (error as Error).message }]);
  }
}

async function main(): Promise<void> {
  try {
    const code = await runEmulatorCommand(parseEmulatorArgv(process.argv.slice(2)));
    process.exit(code);
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(ExitCode.badInput);
    }
    process.stderr.write(`emulator: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(ExitCode.failed);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void main();
}
