// Preflight: before the first write of `init` (and in `plan`), everything this deployment needs from the
// subscription, read through the SDK clients and reported all at once, each problem with its fix:
// resource providers (registered by init when nothing else is wrong), regional vCPU quota (compute and
// Machine Learning usages) against what this deployment adds, VM sizes offered in the region (resource
// SKUs), the right to create role assignments (permissions API), soft-deleted names in the way. With any
// problem nothing is written (no registration either) and the command exits 4.
import type { DeploymentConfig } from "../config/types.js";
import type { AzureContext } from "../azure/clients.js";
import type { ErrorInfo, Step } from "../engine/types.js";
import type { StateHandle } from "../engine/state.js";
import type { UiHost } from "../ui/types.js";
import { ExitCode, SecureAmlError } from "../errors.js";
import { PreflightCode, runPreflightChecks, type PreflightInput, type PreflightProblem, type PreflightReport } from "./checks.js";
import { registerProviders } from "./register.js";
import { preflightScope } from "./scope.js";

export { PreflightCode, runPreflightChecks, permitsAction } from "./checks.js";
export type { PreflightProblem, PreflightReport, ProviderNeed, QuotaNeed } from "./checks.js";
export { registerProviders } from "./register.js";
export { preflightScope, sameConfiguration, type PreflightScope } from "./scope.js";

/** Exit 4: the subscription cannot take this deployment as asked; nothing was created. */
export class PreflightError extends SecureAmlError {
  constructor(
    readonly report: PreflightReport,
    readonly problems: PreflightProblem[] = report.problems,
  ) {
    super(
      "PREFLIGHT_FAILED",
      `The subscription cannot take this deployment as asked; nothing was created. ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((p) => `  - [${p.code}] ${p.message}\n    fix: ${p.fix}`).join("\n"),
      ExitCode.cannotDeploy,
      "fix the problems above, then run the same command again",
    );
    this.name = "PreflightError";
  }

  /** One error per problem for `--output json` (stable codes; `next` is the fix). */
  errorInfos(): ErrorInfo[] {
    return this.problems.map((p) => ({ code: p.code, message: p.message, next: p.fix }));
  }

  /** The report for the JSON document's details. */
  details(): Record<string, unknown> {
    return { preflight: this.report };
  }
}

/** The report as text (plan's section, init's log). */
export function renderPreflight(report: PreflightReport): string {
  const lines: string[] = [];
  const registered = report.providers.filter((p) => p.registrationState === "Registered").length;
  lines.push(
    `Preflight (${report.location}): ${report.providers.length} resource providers needed, ${registered} registered` +
      (report.toRegister.length > 0 ? `; to register: ${report.toRegister.join(", ")}` : "") +
      ".",
  );
  for (const q of report.quotas) {
    lines.push(
      `  ${q.quota === "compute" ? "Compute" : "Machine Learning"} quota ${q.family}: this deployment adds ${q.needed} vCPUs, ${q.available === undefined ? "not reported" : `${q.available} left`}.`,
    );
  }
  if (report.roleAssignments) {
    const r = report.roleAssignments;
    lines.push(`  Role assignments at ${r.scope}: ${r.allowed === undefined ? "not checked" : r.allowed ? "allowed" : "NOT allowed"}.`);
  }
  for (const note of report.notes) lines.push(`  Not checked: ${note}.`);
  if (report.problems.length === 0) lines.push("  No problems found.");
  for (const p of report.problems) lines.push(`  - [${p.code}] ${p.message}\n    fix: ${p.fix}`);
  return lines.join("\n");
}

export interface InitPreflightOptions {
  azure: AzureContext;
  config: DeploymentConfig;
  steps: Array<Step<unknown>>;
  ui: UiHost;
  /** --yes: register without asking. */
  yes: boolean;
  signal?: AbortSignal;
  state?: StateHandle;
}

/**
 * init's preflight: plans the steps the state does not prove done (src/preflight/scope.ts), checks, and either throws PreflightError (exit 4, nothing
 * written) or registers the missing providers (asking first at a terminal without --yes) and waits until
 * they are Registered.
 */
export async function preflightForInit(options: InitPreflightOptions): Promise<PreflightReport> {
  const { azure, config, ui, signal } = options;
  // Only what this run may still write is checked: steps the state proves done are not planned again.
  const { plan } = await preflightScope(options);
  const report = await runPreflightChecks({ azure, config, plan, signal } satisfies PreflightInput);
  for (const note of report.notes) ui.notify({ type: "log", level: "warn", message: `Preflight: not checked: ${note}.` });
  if (report.problems.length > 0) throw new PreflightError(report);
  if (report.toRegister.length === 0) return report;

  const needs = report.providers.filter((p) => report.toRegister.includes(p.namespace));
  const list = needs.map((p) => `${p.namespace} (${p.neededBy.join(", ")})`).join(", ");
  const message = `This subscription has not registered ${needs.length} resource provider${needs.length === 1 ? "" : "s"} the deployment needs: ${list}.`;
  if (!options.yes && ui.interactive) {
    const go = await ui.request({
      kind: "confirm",
      id: "register-providers",
      message: `${message} Register ${needs.length === 1 ? "it" : "them"} now (about a minute)?`,
      default: true,
    });
    if (go !== true) {
      throw new PreflightError(report, [
        {
          code: PreflightCode.providersNotRegistered,
          message,
          fix: `register them (${report.toRegister.map((n) => `az provider register --namespace ${n}`).join("; ")}) or answer yes (or pass --yes), then run again`,
        },
      ]);
    }
  }
  ui.notify({ type: "log", level: "info", message: `${message} Registering (secure-aml waits until they are Registered).` });
  await registerProviders(azure, report.toRegister, {
    signal,
    progress: (line) => ui.notify({ type: "log", level: "info", message: `Resource provider ${line}.` }),
  });
  // Azure may refuse reads into a namespace that is not registered yet (e.g. Machine Learning usages on a
  // new subscription): what could not be checked before is checked now, still before any resource is written.
  if (report.notes.some((note) => /MissingSubscriptionRegistration/.test(note))) {
    const again = await runPreflightChecks({ azure, config, plan, signal });
    if (again.problems.length > 0) throw new PreflightError(again);
    return again;
  }
  return report;
}

/** plan's preflight: the same checks on the plan it computed; registers nothing. */
export function preflightForPlan(input: PreflightInput): Promise<PreflightReport> {
  return runPreflightChecks(input);
}
