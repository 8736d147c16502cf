// Entry point of `secure-aml` (bin/secure-aml.js imports this file). Sets the exit code instead of
// calling process.exit so that stdout is flushed when piped.
import { runCli } from "./program.js";

// `secure-aml --help | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv, {
  io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  env: process.env,
});
