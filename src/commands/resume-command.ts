// The command that resumes a deployment (printed as `next:` and put in the result document), and the
// arguments that make a day-two command address the same state. Never contains the password.

import type { ConfigCommandInput } from "../cli/command-contract.js";
import { FIELDS, flagAttributeName, oppositeFlag } from "../config/fields.js";
import { DEFAULT_STATE_PATH } from "../config/resolve.js";

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=,+%-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/**
 * The command that re-runs this deployment: `secure-aml init --state <path>` plus every deployment
 * flag and run option that was given on the command line (values from variables and the config
 * file come back by themselves). Never contains the password.
 */
export function resumeCommand(input: ConfigCommandInput, command = "init"): string {
  const parts = ["secure-aml", command, "--state", shellQuote(input.run.statePath)];
  if (input.configFile) parts.push("--config", shellQuote(input.configFile));
  if (input.run.local) parts.push("--local");
  const flags = input.flags;
  if (isSet(flags.endpoint) && input.run.endpoint) parts.push("--endpoint", shellQuote(input.run.endpoint));
  if (isSet(flags.caCert) && input.run.caCert) parts.push("--ca-cert", shellQuote(input.run.caCert));
  for (const field of FIELDS) {
    const value = flags[flagAttributeName(field)];
    if (!isSet(value)) continue;
    if (field.type === "boolean") {
      const on = value === true || value === "true";
      const flagTurnsOn = !field.flag.startsWith("--no-");
      parts.push(on === flagTurnsOn ? field.flag : (oppositeFlag(field) as string));
    } else {
      parts.push(field.flag, shellQuote(String(value)));
    }
  }
  if (isSet(flags.concurrency)) parts.push("--concurrency", String(input.run.concurrency));
  if (command === "init" && input.run.yes) parts.push("--yes");
  if (isSet(flags.output) && input.run.output === "json") parts.push("--output", "json");
  return parts.join(" ");
}

/** Arguments that make a day-two command address the same state (for the summary's commands). */
export function commandSuffix(input: ConfigCommandInput): string {
  const parts: string[] = [];
  if (input.run.statePath !== DEFAULT_STATE_PATH && input.run.statePath !== "./" + DEFAULT_STATE_PATH) parts.push("--state", shellQuote(input.run.statePath));
  if (input.run.local) parts.push("--local");
  if (input.run.endpoint) parts.push("--endpoint", shellQuote(input.run.endpoint));
  if (input.run.caCert) parts.push("--ca-cert", shellQuote(input.run.caCert));
  return parts.join(" ");
}
