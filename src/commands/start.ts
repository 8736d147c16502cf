// `secure-aml start`: start the jump box and the compute instance again (see src/commands/power.ts).
import type { CommandResult, DayTwoCommandInput } from "../cli/command-contract.js";
import { runPower } from "./power.js";

export async function runStart(input: DayTwoCommandInput): Promise<CommandResult> {
  return runPower(input, "start");
}
