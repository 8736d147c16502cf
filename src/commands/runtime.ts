// What every command module needs around its work: the UI host for the chosen output mode, an
// AzureContext (the real ARM endpoint with the person's credential, or a loopback emulator with the
// static test token), the local emulator for --local and an AbortSignal wired to Ctrl-C. Errors are
// reported by src/commands/report.ts.
//
// Credentials: an endpoint that resolves to a loopback address (an emulator) always gets the static
// test token and never a real token; the cloud's ARM endpoint, or one the person declared trusted
// (--trust-endpoint), gets DefaultAzureCredential, imported and built only when first needed; any
// other endpoint is refused (exit 2) before a token is asked for.
// SECURE_AML_CREDENTIAL=static asks for the test token explicitly and is refused (exit 2, before any
// request) for a non-loopback endpoint.

import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { CommandInput } from "../cli/command-contract.js";
import type { CloudName } from "../config/types.js";
import { LOCAL_SUBSCRIPTION_ID } from "../config/local.js";
import { ExitCode, InputError, SecureAmlError, type InputProblem } from "../errors.js";
import { signInError } from "../azure/arm-errors.js";
import { createAzureContext, type AzureContext } from "../azure/clients.js";
import { cloudProfile } from "../azure/clouds.js";
import { StaticTestCredential, decideEndpointTrust, type EndpointTrust } from "../azure/credential.js";
import type { ResultCommand, UiHost } from "../ui/types.js";
import type { RunningEmulator } from "../emulator/server.js";
import { isStateUrl } from "../state/location.js";
import { isTerminal } from "../shared/terminal.js";
import { createIoHost } from "../ui/index.js";
import { ArmRecorder } from "../azure/record.js";

/**
 * Poll interval for long-running operations against a loopback emulator. The emulator sends Retry-After
 * (whole seconds) for operations with 2 s or more to run, so this only paces the brief ones (a private
 * endpoint at a small time scale), which it follows to within this interval in a few dozen polls.
 */
const LOOPBACK_POLL_INTERVAL_MS = 100;
/** Environment variable that forces the static test credential (refused for a non-loopback endpoint). */
const CREDENTIAL_ENV = "SECURE_AML_CREDENTIAL";

export interface CommandRuntimeOptions {
  command: ResultCommand;
  /** The subscription the AzureContext addresses; default: the local emulator's for --local. */
  subscriptionId?: string;
  cloud?: CloudName;
}

export interface CommandRuntime {
  ui: UiHost;
  /** The AzureContext for `subscriptionId` (throws INPUT when none was given and the run is not local). */
  readonly azure: AzureContext;
  /** Another AzureContext on the same endpoint, credential and CA (e.g. once the wizard picked the subscription). */
  azureFor(subscriptionId: string): AzureContext;
  /** The credential every client uses (static test token for a loopback endpoint). */
  credential: TokenCredential;
  /** Options for an @azure/arm-* client created outside AzureContext (subscription listing in the wizard). */
  clientOptions: { endpoint: string; tlsOptions?: { ca: string } };
  /** ARM endpoint without trailing slash. */
  endpoint: string;
  /** True when the endpoint is a loopback emulator (--local or --endpoint https://127.0.0.1:...). */
  loopback: boolean;
  /** The in-process emulator of --local. */
  emulator?: RunningEmulator;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Whether the run was interrupted (signal aborted by a signal). */
  readonly interrupted: boolean;
  /** --record: collects the run's ARM traffic; `close` writes it. Give it the run's secrets with addSecret. */
  recorder?: ArmRecorder;
  /** Stops the emulator, the UI's spinners and the signal handlers, and writes the --record file. Safe to call twice. */
  close(): Promise<void>;
}

export function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== "" && ci.toLowerCase() !== "false" && ci !== "0";
}

/**
 * Where --local keeps the emulator's world and certificate: `emulator/` beside the state file, or
 * `.secure-aml/emulator/` in the working directory when the state is a blob URL.
 */
function localEmulatorDir(statePath: string): string {
  if (isStateUrl(statePath)) return resolve(".secure-aml", "emulator");
  return join(dirname(resolve(statePath)), "emulator");
}

function wantsStaticCredential(env: NodeJS.ProcessEnv): boolean {
  const value = env[CREDENTIAL_ENV];
  return value !== undefined && value.trim().toLowerCase() === "static";
}

/** DefaultAzureCredential, imported and constructed on the first token request only. */
class LazyDefaultCredential implements TokenCredential {
  private inner: Promise<TokenCredential> | undefined;
  constructor(private readonly authorityHost: string) {}
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.inner ??= import("@azure/identity").then(({ DefaultAzureCredential }) => new DefaultAzureCredential({ authorityHost: this.authorityHost }));
    return this.inner
      .then((c) => c.getToken(scopes, options))
      .catch((err: unknown) => {
        throw signInError(err) ?? err;
      });
  }
}

/**
 * The run options only a command can check (an unreadable --ca-cert, the static test credential
 * asked for with a remote endpoint): InputError, exit 2. Commands may call it before they touch
 * anything (e.g. before taking the state's lock); openCommandRuntime calls it too. Returns the PEM.
 */
export async function checkRuntimeInput(input: CommandInput, cloudName: CloudName = "AzureCloud"): Promise<string | undefined> {
  const { run, env } = input;
  const cloud = cloudProfile(cloudName);
  const problems: InputProblem[] = [];

  let caCertPem: string | undefined;
  if (run.caCert !== undefined) {
    try {
      caCertPem = await readFile(run.caCert, "utf8");
      if (!caCertPem.includes("-----BEGIN CERTIFICATE-----")) {
        problems.push({ field: "caCert", flag: "--ca-cert", env: "SECURE_AML_CA_CERT", value: run.caCert, rule: "must be a PEM file (-----BEGIN CERTIFICATE-----)" });
      }
    } catch (err) {
      problems.push({ field: "caCert", flag: "--ca-cert", env: "SECURE_AML_CA_CERT", value: run.caCert, rule: `cannot be read (${(err as Error).message})` });
    }
  }
  // Where a token may go, judged before any token is asked for (loopback by the resolved address).
  let trust: EndpointTrust | undefined;
  if (!run.local) {
    try {
      trust = await decideEndpointTrust({ endpoint: run.endpoint, cloud, trustedEndpoints: run.trustedEndpoints });
    } catch (err) {
      if (err instanceof InputError) problems.push(...err.problems);
      else throw err;
    }
  }
  const forcedStatic = wantsStaticCredential(env);
  if (forcedStatic && !run.local) {
    if (trust?.kind !== "loopback") {
      problems.push({
        field: "credential",
        env: CREDENTIAL_ENV,
        value: "static",
        rule: `the static test token may only be sent to an endpoint that resolves to a loopback address (127.0.0.0/8, ::1), not ${run.endpoint ?? cloud.armEndpoint}; unset ${CREDENTIAL_ENV} to sign in for real (az login)`,
      });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return caCertPem;
}

/**
 * Opens what a command needs. Bad run options that only show here (an unreadable --ca-cert, the
 * static credential with a remote endpoint) throw InputError (exit 2) before any request.
 */
export async function openCommandRuntime(input: CommandInput, opts: CommandRuntimeOptions): Promise<CommandRuntime> {
  const { run, env, io } = input;
  const cloudName: CloudName = opts.cloud ?? "AzureCloud";
  const cloud = cloudProfile(cloudName);
  let caCertPem = await checkRuntimeInput(input, cloudName);

  const ui = await createIoHost({
    output: run.output,
    color: run.color,
    isTTY: isTerminal(io.stderr),
    ci: isCi(env),
    stderr: io.stderr,
    stdout: io.stdout,
    stdin: io.stdin,
    interactive: run.interactive,
  });

  // Ctrl-C / SIGTERM: abort once (the engine stops, saves state and the command exits 130); a second
  // Ctrl-C while it winds down leaves at once (state writes are atomic, the lock is released on exit).
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      io.stderr.write(`\nsecure-aml: ${signal} again, leaving now (the state file stays consistent; re-run to resume).\n`);
      process.exit(ExitCode.interrupted);
    }
    interrupted = true;
    // Say what the stop waits for, and that a second Ctrl-C does not lose anything.
    const running = ui.running();
    const waitingFor = running.length > 0 ? `waiting for ${running.join(", ")} to reach a safe point` : "stopping after the requests in flight";
    io.stderr.write(
      `\nsecure-aml: ${signal === "SIGINT" ? "Ctrl-C" : signal}: ${waitingFor}, then saving the state.\n` +
        `Press Ctrl-C again to quit now: operations already sent continue in Azure and the next \`secure-aml init\` picks them up.\n`,
    );
    controller.abort(new SecureAmlError("INTERRUPTED", `Interrupted by ${signal}.`, ExitCode.interrupted));
  };
  const onSigint = () => onSignal("SIGINT");
  const onSigterm = () => onSignal("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  const removeSignals = () => {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  };

  let emulator: RunningEmulator | undefined;
  try {
    if (run.local) {
      const { startEmulator } = await import("../emulator/index.js");
      emulator = await startEmulator({
        dataDir: localEmulatorDir(run.statePath),
        latency: "none",
        validateSpecs: false,
        log: (line) => {
          if (env.SECURE_AML_DEBUG) io.stderr.write(`emulator: ${line}\n`);
        },
      });
      caCertPem = emulator.caCert;
    }
  } catch (err) {
    removeSignals();
    ui.close();
    throw err;
  }

  const endpoint = (emulator?.endpoint ?? run.endpoint ?? cloud.armEndpoint).replace(/\/+$/, "");
  // Judged again on the endpoint actually used (the --local emulator's is known only now); a remote
  // endpoint that is neither the cloud's nor declared trusted was refused by checkRuntimeInput.
  const loopback = (await decideEndpointTrust({ endpoint, cloud, trustedEndpoints: run.trustedEndpoints })).kind === "loopback";
  // The static token never leaves the machine; a real token never goes to a loopback emulator.
  const credential: TokenCredential = loopback ? new StaticTestCredential() : new LazyDefaultCredential(cloud.authorityHost);
  const pollIntervalMs = loopback ? LOOPBACK_POLL_INTERVAL_MS : undefined;

  let recorder: ArmRecorder | undefined;
  if (run.record !== undefined) {
    recorder = new ArmRecorder({
      subscriptionId: opts.subscriptionId ?? (run.local ? LOCAL_SUBSCRIPTION_ID : undefined),
      ...(run.recordSubscription !== undefined ? { subscriptionPlaceholder: run.recordSubscription } : {}),
      endpoint,
      cloudEndpoint: cloud.armEndpoint,
    });
  }

  const contexts = new Map<string, AzureContext>();
  const azureFor = (subscriptionId: string): AzureContext => {
    const key = subscriptionId.toLowerCase();
    let context = contexts.get(key);
    if (!context) {
      recorder?.addSubscription(subscriptionId);
      context = createAzureContext({ subscriptionId, endpoint, caCertPem, credential, cloud: cloudName, pollIntervalMs, ...(recorder ? { recorder } : {}) });
      contexts.set(key, context);
    }
    return context;
  };
  const defaultSubscription = opts.subscriptionId ?? (run.local ? LOCAL_SUBSCRIPTION_ID : undefined);

  let closed = false;
  const runtime: CommandRuntime = {
    ui,
    get azure(): AzureContext {
      if (defaultSubscription === undefined) {
        throw new InputError([{ field: "subscriptionId", flag: "--subscription", env: "AZURE_SUBSCRIPTION_ID", rule: "a subscription is required" }]);
      }
      return azureFor(defaultSubscription);
    },
    azureFor,
    credential,
    clientOptions: caCertPem !== undefined ? { endpoint, tlsOptions: { ca: caCertPem } } : { endpoint },
    endpoint,
    loopback,
    emulator,
    ...(recorder ? { recorder } : {}),
    signal: controller.signal,
    get interrupted() {
      return interrupted;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      ui.close();
      if (recorder && run.record !== undefined) {
        try {
          await recorder.save(run.record);
        } catch (error) {
          io.stderr.write(`secure-aml: could not write the recording ${run.record}: ${(error as Error).message}\n`);
        }
      }
      try {
        await emulator?.stop();
      } finally {
        removeSignals();
      }
    },
  };
  return runtime;
}

// ---------------------------------------------------------------------------------------------
// Errors: one reporter for every command (src/commands/report.ts); these names stay for callers.

export { errorInfoOf, exitCodeOf, reportError as reportCommandError } from "./report.js";
