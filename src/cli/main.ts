// Entry point of `secure-aml` (bin/secure-aml.js imports this file). It imports only the CLI itself
// (./program.js) at start-up, so that `--help` and `--version` load nothing else (see program.ts).
import type { CommandIo } from "./command-contract.js";
import { runCli } from "./program.js";

// `secure-aml --help | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// The environment the commands read: a copy, so that the secrets can leave the process environment.
const env: NodeJS.ProcessEnv = { ...process.env };

/**
 * Before a command runs, and so before anything can start a child process (the `az` that
 * AzureCliCredential starts, for one), the secrets leave the process environment: the team state's
 * connection string goes to src/state/location.ts (and out of `env` too), the jump-box password stays only
 * in `env`. Done when a command is about to run rather than at start-up because the modules that know
 * these names are shared with the commands (bundle chunks): `--help` and `--version` need neither.
 */
async function takeSecretsFromEnvironment(): Promise<void> {
  const [{ STATE_CONNECTION_STRING_ENV, takeStateConnectionString }, { PASSWORD_ENV }] = await Promise.all([import("../state/location.js"), import("../config/validate.js")]);
  takeStateConnectionString();
  delete env[STATE_CONNECTION_STRING_ENV];
  delete process.env[PASSWORD_ENV];
}

const io: CommandIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  // Created on first read: `--help` and `--version` have no input, and creating it (a file or pipe stream)
  // loads stream classes and fs/promises.
  get stdin() {
    return process.stdin;
  },
};

const code = await runCli(process.argv, {
  io,
  env,
  beforeCommand: takeSecretsFromEnvironment,
});

// Exit explicitly once the output is flushed, instead of waiting for the event loop to drain: the SDKs'
// legacy LRO pollers leave their last Retry-After delay pending after an operation is done (measured:
// a 6 s timer after the compute instance; ARM's Retry-After can be a minute), which would keep the
// process alive after the result is printed. Everything the run owns (state, lock, emulator) is closed
// by the command before runCli returns.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write("", () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
