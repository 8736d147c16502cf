// `secure-aml stop`: deallocate the jump box and stop the compute instance (see src/commands/power.ts).
import type { CommandResult, DayTwoCommandInput } from "../cli/command-contract.js";
import { runPower } from "./power.js";

export async function runStop(input: DayTwoCommandInput): Promise<CommandResult> {
  return runPower(input, "stop");
}
