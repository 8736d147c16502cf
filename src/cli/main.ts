// Entry point of `secure-aml` (bin/secure-aml.js imports this file).
import { runCli } from "./program.js";
import { PASSWORD_ENV } from "../config/validate.js";
import { takeStateConnectionString } from "../state/location.js";

// The team state's connection string leaves the environment before anything can start a child process.
takeStateConnectionString();

// `secure-aml --help | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// The jump-box password is read from this copy only and removed from the process environment at
// once, so no child process inherits it (the `az` that AzureCliCredential starts, for one).
const env: NodeJS.ProcessEnv = { ...process.env };
delete process.env[PASSWORD_ENV];

const code = await runCli(process.argv, {
  io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  env,
});

// Exit explicitly once the output is flushed, instead of waiting for the event loop to drain: the SDKs'
// legacy LRO pollers leave their last Retry-After delay pending after an operation is done (measured:
// a 6 s timer after the compute instance; ARM's Retry-After can be a minute), which would keep the
// process alive after the result is printed. Everything the run owns (state, lock, emulator) is closed
// by the command before runCli returns.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write("", () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
