// `secure-aml start`: start the jump box and the compute instance again (see src/audit/power.ts).
import type { CommandResult, DayTwoCommandInput } from "../cli/command-contract.js";
import { runPower } from "../audit/power.js";

export async function runStart(input: DayTwoCommandInput): Promise<CommandResult> {
  return runPower(input, "start");
}
