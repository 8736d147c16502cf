// Errors that reach the person carry a stable code, an exit code and the next command to run.

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

export class SecureAmlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failed,
    readonly next?: string,
    readonly armCode?: string,
  ) {
    super(message);
    this.name = "SecureAmlError";
  }
}

/** One problem with one input value. */
export interface InputProblem {
  field: string; // config key, e.g. "vnetAddressSpace"
  flag?: string; // e.g. "--vnet-address-space"
  env?: string; // e.g. "SECURE_AML_VNET_ADDRESS_SPACE"
  value?: string; // shown as given (never for secrets)
  rule: string; // what the value must be
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
}
