// Validation of a whole configuration, all problems at once, before any network call.
import type { InputProblem } from "../errors.js";
import type { DeploymentConfig, Secrets } from "./types.js";
import { FIELDS, checkFieldValue, type FieldSpec } from "./fields.js";
import { checkPasswordAgainstDeployment, checkWindowsPassword } from "./rules.js";

export const PASSWORD_ENV = "SECURE_AML_JUMPBOX_PASSWORD";

export interface ValidationContext {
  /** Report required fields that have no value (false while a prompt can still ask for them). Default true. */
  reportMissing?: boolean;
  /** Report a missing jump-box password when the jump box is enabled (init needs it, plan does not). Default false. */
  requirePassword?: boolean;
}

/** Where a field's value can come from, for "missing" messages. */
function whereToSet(field: FieldSpec): string {
  const vars = [field.env, ...(field.envAliases ?? [])].join(" or ");
  return `set it with ${field.flag} or ${vars}, or as "${field.key}" in the --config file`;
}

function missingProblem(field: FieldSpec): InputProblem {
  return {
    field: field.key,
    flag: field.flag,
    env: [field.env, ...(field.envAliases ?? [])].join(" or "),
    rule: `required (no default): ${whereToSet(field)}`,
  };
}

function passwordMissingProblem(): InputProblem {
  return {
    field: "jumpboxPassword",
    env: PASSWORD_ENV,
    rule: `required when the jump box is enabled: set ${PASSWORD_ENV}, or run in a terminal to be asked ` + "(masked), or skip the jump box with --no-jumpbox",
  };
}

/** Fields that matter only with --databricks. */
const DATABRICKS_ONLY: ReadonlySet<string> = new Set(["defaultSubnet", "databricksPublicSubnet", "databricksPrivateSubnet", "databricksManagedResourceGroup"]);

/** Fields that do not matter when their feature is switched off. */
function isSwitchedOff(field: FieldSpec, config: Partial<DeploymentConfig>): boolean {
  if (config.jumpbox === false && field.group === "jumpbox" && field.key !== "jumpbox") return true;
  if (config.bastion === false && (field.key === "bastionName" || field.key === "bastionPublicIp")) return true;
  if (config.databricks !== true && DATABRICKS_ONLY.has(field.key)) return true;
  return false;
}

function shown(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Every problem with a (possibly partial) configuration and its secrets: each value's type and
 * rule, cross-field network rules, missing required values, and the password's complexity.
 * Problems name the field, its flag and variable, the value as given (never a secret) and the rule.
 */
export function validateConfig(config: Partial<DeploymentConfig>, secrets: Secrets, ctx: ValidationContext = {}): InputProblem[] {
  const problems: InputProblem[] = [];
  for (const field of FIELDS) {
    const value = config[field.key];
    if (value === undefined) {
      if (field.required && ctx.reportMissing !== false) problems.push(missingProblem(field));
      continue;
    }
    if (isSwitchedOff(field, config)) continue;
    for (const rule of checkFieldValue(field, value, config)) {
      problems.push({ field: field.key, flag: field.flag, env: field.env, value: shown(value), rule });
    }
  }
  problems.push(...crossFieldProblems(config));
  if (config.jumpbox !== false) {
    if (secrets.jumpboxPassword === undefined) {
      if (ctx.requirePassword) problems.push(passwordMissingProblem());
    } else {
      for (const rule of [...checkWindowsPassword(secrets.jumpboxPassword), ...checkPasswordAgainstDeployment(secrets.jumpboxPassword, config as Record<string, unknown>)]) {
        problems.push({ field: "jumpboxPassword", env: PASSWORD_ENV, rule });
      }
    }
  }
  return problems;
}

/** Rules between fields that no single field owns. */
function crossFieldProblems(config: Partial<DeploymentConfig>): InputProblem[] {
  const problems: InputProblem[] = [];
  const managed = config.databricksManagedResourceGroup;
  if (config.databricks === true && config.databricksWorkspace && managed && config.resourceGroup && managed.toLowerCase() === config.resourceGroup.toLowerCase()) {
    problems.push({
      field: "databricksManagedResourceGroup",
      flag: "--databricks-managed-resource-group",
      env: "SECURE_AML_DATABRICKS_MANAGED_RESOURCE_GROUP",
      value: managed,
      rule: "must differ from --resource-group: Azure Databricks creates its managed resource group itself and locks it (the deployment's own group would become Azure's to delete)",
    });
  }
  return problems;
}
