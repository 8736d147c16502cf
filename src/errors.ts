// Errors that reach the person carry a stable code, an exit code and the next command to run.
// Every code secure-aml reports is registered in ERROR_CODES below (one table: code → exit code and
// what it means), so that `--output json` consumers and the README can rely on a closed set. A code
// that is not in the table does not compile.

export const ExitCode = {
  ok: 0,
  failed: 1,
  badInput: 2,
  locked: 3,
  /** The subscription cannot take this deployment as asked (preflight); nothing was created. */
  cannotDeploy: 4,
  /** The state could not be read or written where it lives (disk full, read-only, permissions, storage
   * unreachable): the previous state is intact; fix the cause and run the same command again. */
  stateStorage: 5,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

interface ErrorCodeSpec {
  exitCode: ExitCodeValue;
  description: string;
}

/** The registry of secure-aml's error codes. Keep it sorted by area; never reuse a removed code. */
export const ERROR_CODES = {
  // Input (exit 2): nothing was sent to Azure.
  BAD_INPUT: { exitCode: ExitCode.badInput, description: "One or more input values break a rule; every problem is listed with its field, flag and variable." },
  UNKNOWN_STEP: { exitCode: ExitCode.badInput, description: "A step id that the step table does not have." },
  NON_INTERACTIVE: { exitCode: ExitCode.badInput, description: "A question needs an answer but nobody can answer (no terminal, CI or --yes)." },
  NO_REGION: { exitCode: ExitCode.badInput, description: "The subscription offers no region to choose from." },
  NO_SUBSCRIPTION: { exitCode: ExitCode.badInput, description: "The signed-in account sees no enabled subscription." },
  JUMPBOX_PASSWORD_MISSING: { exitCode: ExitCode.badInput, description: "The jump box must be created and no password was given." },
  DESTROY_NOT_CONFIRMED: { exitCode: ExitCode.badInput, description: "The name typed to confirm destroy does not match." },
  TEST_CREDENTIAL_NOT_LOOPBACK: { exitCode: ExitCode.badInput, description: "The static test token may only go to a loopback endpoint." },
  NO_SCRIPTED_ANSWER: { exitCode: ExitCode.badInput, description: "A scripted prompt backend ran out of answers." },

  // Preflight (exit 4): the subscription cannot take this deployment as asked; nothing was created.
  PREFLIGHT_FAILED: { exitCode: ExitCode.cannotDeploy, description: "Preflight found problems; each is listed with its own code and fix." },
  PREFLIGHT_QUOTA: { exitCode: ExitCode.cannotDeploy, description: "The regional vCPU quota of a VM family is smaller than what this deployment adds." },
  PREFLIGHT_VM_SIZE_UNAVAILABLE: { exitCode: ExitCode.cannotDeploy, description: "A chosen VM size is restricted in the region." },
  PREFLIGHT_VM_SIZE_UNKNOWN: { exitCode: ExitCode.cannotDeploy, description: "A chosen VM size does not exist in the region." },
  PREFLIGHT_ROLE_ASSIGNMENT_DENIED: { exitCode: ExitCode.cannotDeploy, description: "The signed-in identity may not create role assignments at the resource group." },
  PREFLIGHT_SOFT_DELETED_KEY_VAULT: { exitCode: ExitCode.cannotDeploy, description: "A soft-deleted key vault holds the key vault's name." },
  PREFLIGHT_SOFT_DELETED_LOG_ANALYTICS: { exitCode: ExitCode.cannotDeploy, description: "A soft-deleted Log Analytics workspace holds the name." },
  PREFLIGHT_PROVIDER_UNKNOWN: { exitCode: ExitCode.cannotDeploy, description: "A resource provider this deployment needs is not offered to the subscription." },
  PREFLIGHT_PROVIDERS_NOT_REGISTERED: {
    exitCode: ExitCode.cannotDeploy,
    description: "Resource providers this deployment needs are not registered (and registering was declined).",
  },
  PROVIDER_REGISTRATION_TIMEOUT: { exitCode: ExitCode.failed, description: "A resource provider was still registering when secure-aml stopped waiting." },

  // The state file.
  STATE_LOCKED: { exitCode: ExitCode.locked, description: "Another secure-aml run holds the state file's lock." },
  STATE_NOT_FOUND: { exitCode: ExitCode.badInput, description: "There is no state file at the given path." },
  STATE_INVALID: { exitCode: ExitCode.badInput, description: "The state file cannot be read as secure-aml state." },
  STATE_FROM_FUTURE: { exitCode: ExitCode.badInput, description: "The state file was written by a newer secure-aml." },
  STATE_SECRET_FIELD: { exitCode: ExitCode.badInput, description: "A secret-looking field was about to be stored in the state file." },
  STATE_OTHER_DEPLOYMENT: { exitCode: ExitCode.badInput, description: "The state file records another subscription or resource group." },
  STATE_CLOSED: { exitCode: ExitCode.failed, description: "The state file was written after it was closed (a defect)." },
  STATE_WRITE_FAILED: { exitCode: ExitCode.stateStorage, description: "The state could not be written (disk full, read-only, permissions); the previous state is intact." },
  STATE_READ_FAILED: { exitCode: ExitCode.stateStorage, description: "The state could not be read where it lives." },
  STATE_LOCK_FAILED: { exitCode: ExitCode.stateStorage, description: "The state's lock file could not be written." },
  STATE_STORAGE_FAILED: { exitCode: ExitCode.stateStorage, description: "The storage account holding the team state could not be reached or refused." },
  STATE_CONTAINER_MISSING: { exitCode: ExitCode.stateStorage, description: "The team state's blob container is missing and could not be created." },
  STATE_READ_ONLY: { exitCode: ExitCode.failed, description: "The team state was opened without its lease and cannot be written (a defect)." },
  STATE_CONFLICT: { exitCode: ExitCode.locked, description: "The team state blob changed since this run read it (another run); nothing was overwritten." },
  STATE_LOCATION_INVALID: {
    exitCode: ExitCode.badInput,
    description: "--state is neither a file path nor a blob URL secure-aml accepts (a URL with a SAS or credentials is refused).",
  },
  STATE_CONNECTION_STRING_INVALID: { exitCode: ExitCode.badInput, description: "SECURE_AML_STATE_CONNECTION_STRING cannot be parsed." },
  STATE_CONNECTION_STRING_MISMATCH: { exitCode: ExitCode.badInput, description: "SECURE_AML_STATE_CONNECTION_STRING is for another storage account than the --state URL names." },
  STATE_CONNECTION_STRING_REQUIRED: { exitCode: ExitCode.badInput, description: "A loopback (Azurite) state URL needs SECURE_AML_STATE_CONNECTION_STRING." },
  STATE_IS_DIRECTORY: { exitCode: ExitCode.badInput, description: "--state names a directory." },
  STATE_NOT_A_FILE: { exitCode: ExitCode.badInput, description: "--state names something that is not a regular file." },
  STATE_HARD_LINKED: { exitCode: ExitCode.badInput, description: "The state file has a second hard link; hard links cannot share a lock (use a symbolic link)." },
  STATE_FOREIGN_OWNER: { exitCode: ExitCode.badInput, description: "The state file belongs to another user." },
  STATE_WRITABLE_BY_OTHERS: { exitCode: ExitCode.badInput, description: "The state file is writable by its group or others (chmod 600 it)." },
  STATE_DIR_WRITABLE_BY_OTHERS: { exitCode: ExitCode.badInput, description: "The state file's directory is writable by everyone without the sticky bit." },

  // Signing in and where tokens go.
  FOREIGN_ENDPOINT_REFUSED: { exitCode: ExitCode.failed, description: "A response pointed at another host than the run's ARM endpoint; nothing (and no token) was sent there." },
  NOT_SIGNED_IN: { exitCode: ExitCode.failed, description: "No Azure credential was found." },

  // Azure answered with an error, or could not be reached.
  ARM_ERROR: { exitCode: ExitCode.failed, description: "Azure Resource Manager refused or failed a request; `armCode` holds Azure's own code." },
  NETWORK_ERROR: { exitCode: ExitCode.failed, description: "The connection to Azure failed (reset, refused, timed out, DNS)." },
  PROVISIONING_TIMEOUT: { exitCode: ExitCode.failed, description: "A resource stayed in a non-final provisioning state for too long." },
  NAME_TAKEN: { exitCode: ExitCode.failed, description: "A globally unique name is taken by someone else; a free one is suggested." },
  KEY_VAULT_SOFT_DELETED: { exitCode: ExitCode.failed, description: "A soft-deleted key vault holds the name." },
  RESOURCE_GROUP_NOT_FOUND: { exitCode: ExitCode.failed, description: "The resource group does not exist." },
  NOT_CREATED_BY_SECURE_AML: { exitCode: ExitCode.failed, description: "secure-aml cannot prove it created the resource, so it does not delete it." },
  ROLE_ASSIGNMENT_CONFLICT: { exitCode: ExitCode.failed, description: "A role assignment of that name exists with another role or principal." },
  WORKSPACE_NO_IDENTITY: { exitCode: ExitCode.failed, description: "The workspace has no system-assigned identity." },
  WORKSPACE_IMMUTABLE_DRIFT: { exitCode: ExitCode.failed, description: "The workspace differs in a property that cannot change in place." },
  COMPUTE_IMMUTABLE_DRIFT: { exitCode: ExitCode.failed, description: "A compute differs in a property that cannot change in place." },
  JUMPBOX_NIC_DRIFT: { exitCode: ExitCode.failed, description: "The jump box is attached to another network interface." },
  VM_NIC_DRIFT: { exitCode: ExitCode.failed, description: "A VM is attached to another network interface." },
  VM_PASSWORD_MISSING: { exitCode: ExitCode.badInput, description: "A VM must be created and no admin password was given." },
  DATABRICKS_IMMUTABLE_DRIFT: {
    exitCode: ExitCode.failed,
    description: "The Databricks workspace differs in its VNet, subnets or managed resource group, which cannot change in place.",
  },
  DATABRICKS_NO_NAME: { exitCode: ExitCode.failed, description: "The Databricks workspace step ran without --databricks-workspace (a defect)." },
  JUMPBOX_SECURITY_TYPE_DRIFT: { exitCode: ExitCode.failed, description: "The jump box has another security type (Standard / TrustedLaunch), which cannot change in place." },
  VM_SECURITY_TYPE_DRIFT: { exitCode: ExitCode.failed, description: "A VM has another security type (Standard / TrustedLaunch), which cannot change in place." },
  COMPUTE_INSTANCE_USER_MISSING: {
    exitCode: ExitCode.badInput,
    description: "The compute instance needs the person it belongs to (--compute-instance-user), and none could be found.",
  },
  ATTACH_SSH_KEY_INVALID: { exitCode: ExitCode.badInput, description: "The SSH private key for the attached compute cannot be read or is not a usable private key." },
  ATTACH_TARGET_NOT_FOUND: { exitCode: ExitCode.failed, description: "The VM or HDInsight cluster named by --attach-compute does not exist." },
  ATTACH_ADDRESS_UNKNOWN: { exitCode: ExitCode.failed, description: "The address Azure Machine Learning would reach the attached compute at cannot be found (no private IP)." },
  ATTACHED_COMPUTE_DRIFT: { exitCode: ExitCode.failed, description: "An attached compute of that name points at another resource; detach it and re-run." },
  FROM_INSIDE_NO_JUMPBOX: { exitCode: ExitCode.failed, description: "verify --from-inside needs a jump box VM in the deployment to run the probe on." },
  FROM_INSIDE_OUTPUT_UNREADABLE: { exitCode: ExitCode.failed, description: "The Run Command probe's output could not be read." },
  IMMUTABLE_DRIFT: { exitCode: ExitCode.failed, description: "A resource differs in a property Azure cannot change in place; delete it and re-run." },
  RESOURCE_MISSING: { exitCode: ExitCode.failed, description: "A resource another step creates does not exist; run that step first." },

  // The step engine.
  STEP_FAILED: { exitCode: ExitCode.failed, description: "A step failed with an error that carries no secure-aml code." },
  STEP_GRAPH_INVALID: { exitCode: ExitCode.failed, description: "The step table has an unknown dependency or a cycle (a defect)." },
  STEP_RESULT_INVALID: { exitCode: ExitCode.failed, description: "A step returned no resources list (a defect)." },
  STEP_OUTPUTS_UNAVAILABLE: { exitCode: ExitCode.failed, description: "A step asked for outputs of a step that has not finished (a defect)." },
  ENGINE_ERROR: { exitCode: ExitCode.failed, description: "The engine itself failed (a defect)." },

  // Everything else.
  INTERRUPTED: { exitCode: ExitCode.interrupted, description: "Ctrl-C or SIGTERM; the state is saved, rerun to resume." },
  NOT_IMPLEMENTED: { exitCode: ExitCode.failed, description: "The command is not implemented yet." },
  UNEXPECTED: { exitCode: ExitCode.failed, description: "An error secure-aml does not know (a defect); SECURE_AML_DEBUG=1 shows its stack." },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

export function exitCodeFor(code: ErrorCode): ExitCodeValue {
  return ERROR_CODES[code].exitCode;
}

/** One problem with one input value. */
export interface InputProblem {
  field: string; // config key, e.g. "vnetAddressSpace"
  flag?: string; // e.g. "--vnet-address-space"
  env?: string; // e.g. "SECURE_AML_VNET_ADDRESS_SPACE"
  value?: string; // shown as given (never for secrets)
  rule: string; // what the value must be
}

/** An error as data: what the engine, the renderers and the result document carry. Never a stack trace. */
export interface ErrorInfo {
  /** Stable secure-aml code (see ERROR_CODES). */
  code: ErrorCode;
  message: string;
  /** ARM's own error code when the failure came from Azure. */
  armCode?: string;
  /** The command a person should run next. */
  next?: string;
  /** Whether trying again can help (throttling, 5xx, dropped connections, ARM's conflict family). */
  transient?: boolean;
  /** How long Azure asked us to wait before trying again (Retry-After). */
  retryAfterMs?: number;
}

/** One entry of the result document's `errors` (an error's own JSON). */
export interface ErrorJson {
  code: ErrorCode;
  message: string;
  exitCode: ExitCodeValue;
  armCode?: string;
  next?: string;
  /** The step that failed (engine failures). */
  step?: string;
  /** Bad input: every problem. */
  problems?: InputProblem[];
}

export class SecureAmlError extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Default: the registry's exit code for `code`. */
    exitCode?: ExitCodeValue,
    readonly next?: string,
    readonly armCode?: string,
  ) {
    super(message);
    this.name = "SecureAmlError";
    this.exitCode = exitCode ?? exitCodeFor(code);
  }

  /** The error as data (no stack). */
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, ...(this.armCode ? { armCode: this.armCode } : {}), ...(this.next ? { next: this.next } : {}) };
  }

  /** The error's entry in the result document (JSON.stringify calls it). */
  toJSON(): ErrorJson {
    return { code: this.code, message: this.message, exitCode: this.exitCode, ...(this.armCode ? { armCode: this.armCode } : {}), ...(this.next ? { next: this.next } : {}) };
  }
}

/**
 * An error that stands for several problems, each with its own registered code (PreflightError): the
 * result document lists each as an entry and carries `details()` as its details.
 */
export interface ReportsSeveralErrors {
  errorInfos(): ErrorInfo[];
  details(): Record<string, unknown>;
}

export function reportsSeveralErrors(error: unknown): error is ReportsSeveralErrors {
  const e = error as { errorInfos?: unknown; details?: unknown } | null | undefined;
  return typeof e?.errorInfos === "function" && typeof e?.details === "function";
}

/** Bad input: exit 2, every problem listed, before any network call. */
export class InputError extends SecureAmlError {
  constructor(readonly problems: InputProblem[]) {
    super(
      "BAD_INPUT",
      `${problems.length} problem${problems.length === 1 ? "" : "s"} with the input:\n` +
        problems
          .map((p) => {
            const via = [p.flag, p.env].filter(Boolean).join(" / ");
            const val = p.value === undefined ? "" : ` = ${JSON.stringify(p.value)}`;
            return `  - ${p.field}${val}${via ? ` (${via})` : ""}: ${p.rule}`;
          })
          .join("\n"),
      ExitCode.badInput,
    );
    this.name = "InputError";
  }

  override toJSON(): ErrorJson {
    return { ...super.toJSON(), problems: this.problems.map((p) => ({ ...p })) };
  }
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Ctrl-C in a prompt (ExitPromptError), an aborted request (AbortError), or INTERRUPTED / exit 130. */
export function isInterruption(error: unknown): boolean {
  const name = field(error, "name");
  return field(error, "code") === "INTERRUPTED" || field(error, "exitCode") === ExitCode.interrupted || name === "AbortError" || name === "ExitPromptError";
}

/**
 * Any error as ErrorInfo, knowing nothing of Azure: secure-aml's own errors as they are, interrupts
 * as INTERRUPTED, an error object whose `code` is registered with that code, anything else as
 * `fallback`. An error object that says `transient: true` (or carries `retryAfterMs`) keeps saying so.
 * src/azure/arm-errors.ts `classifyError` adds what Azure's errors mean on top of this.
 */
export function describeError(error: unknown, fallback: ErrorCode = "UNEXPECTED"): ErrorInfo {
  if (isInterruption(error)) {
    const next = field(error, "next");
    const message = error instanceof SecureAmlError ? error.message : "Interrupted.";
    return { code: "INTERRUPTED", message, ...(typeof next === "string" && next !== "" ? { next } : {}) };
  }
  if (error instanceof SecureAmlError) return error.toInfo();
  const code = field(error, "code");
  const info: ErrorInfo = { code: isErrorCode(code) ? code : fallback, message: error instanceof Error ? error.message : String(error) };
  if (field(error, "transient") === true) info.transient = true;
  const retryAfterMs = field(error, "retryAfterMs");
  if (typeof retryAfterMs === "number" && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) info.retryAfterMs = retryAfterMs;
  return info;
}

/** The exit code of any error: its own (SecureAmlError), the registry's for its code, 130 for an interrupt, else 1. */
export function exitCodeOfError(error: unknown): ExitCodeValue {
  if (isInterruption(error)) return ExitCode.interrupted;
  if (error instanceof SecureAmlError) return error.exitCode;
  const code = field(error, "code");
  return isErrorCode(code) ? exitCodeFor(code) : ExitCode.failed;
}
