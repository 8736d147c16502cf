// Public surface of the ARM emulator for the CLI, the test helper and bench code.
export { startEmulator, EMULATOR_SUBSCRIPTION_ID, ArmEmulator } from "./server.js";
export type { EmulatorOptions, RunningEmulator, RequestLogEntry, SpecFindingEntry } from "./server.js";
export { runEmulatorCommand, validateEmulatorOptions, parseEmulatorArgv, DEFAULT_EMULATOR_DATA_DIR } from "./entry.js";
export type { EmulatorCommandOptions, EmulatorCommandIo, ValidatedEmulatorOptions } from "./entry.js";
export { parseFaultSpec, FaultSpecError } from "./faults.js";
export type { FaultSpec, FaultRule, FaultKind, RequestClass } from "./faults.js";
export { EMULATOR_TENANT_ID } from "./providers/resources.js";
export type { LatencyProfile } from "./latency.js";
