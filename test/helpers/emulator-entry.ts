// The emulator's entry for tests that need the synthetic Microsoft.EmulatorTest provider
// (`startTestEmulator({ testProvider: true })`): the product's entry (src/emulator/entry.ts) with that
// provider added, and Microsoft.StepTest (test/e2e/extend-step.test.ts). Test-only, so the provider never ships in dist/src.
import { ExitCode } from "../../src/errors.js";
import { parseEmulatorArgv, runEmulatorCommand } from "../../src/emulator/entry.js";
import { testProvider } from "./test-provider.js";
import { stepTestProvider } from "./step-test-provider.js";

try {
  const code = await runEmulatorCommand({ ...parseEmulatorArgv(process.argv.slice(2)), extraProviders: [testProvider, stepTestProvider] });
  process.exit(code);
} catch (error) {
  process.stderr.write(`emulator (tests): ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(ExitCode.failed);
}
