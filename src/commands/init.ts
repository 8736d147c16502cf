// `secure-aml init`: builds (or resumes, or repairs) the secure workspace. The configuration arrives
// validated (src/cli/program.ts); missing values are asked for in a terminal. Then: lock the state
// file, store the configuration (never a secret), show the plan and confirm (terminal without --yes
// only), run the step graph, and report — a summary on a terminal, timestamped lines without one,
// or exactly one JSON document on stdout with --output json.

import { randomUUID } from "node:crypto";
import type { ConfigCommandInput, CommandResult } from "../cli/command-contract.js";
import type { DeploymentConfig, Secrets } from "../config/types.js";
import { ExitCode, InputError, SecureAmlError } from "../errors.js";
import type { StateHandle } from "../engine/state.js";
import type { RunSummary } from "../engine/engine.js";
import { buildResult, renderPlan, renderSummary, runWizard, offerResume, createInquirerBackend } from "../ui/index.js";
import { checkRuntimeInput, openCommandRuntime, reportCommandError, type CommandRuntime } from "./runtime.js";
import { assertCloudSupported, assertKnownCloudSupported, estimateFor } from "./deployment-checks.js";
import { AZURE_STEP_ERRORS, retryPolicyFor } from "./step-retry-policy.js";
import { commandSuffix, resumeCommand } from "./resume-command.js";
import { resolveInteractively } from "./azure-choices.js";
import { DEFAULT_WIZARD_CONFIG_FILE, wantsWizard, createInitWizardDeps } from "./wizard-deps.js";
import { FIELDS, flagAttributeName } from "../config/fields.js";
import { estimateCost } from "../pricing/estimate.js";
import { OFFLINE_PRICES } from "../pricing/table.js";
import { savedDeployment, createdResourceIds, otherStatePath } from "./init-resume.js";
import { validateConfig } from "../config/validate.js";
import { withComputeInstanceUser } from "../azure/signed-in.js";
import { stepsFor, skippedSteps } from "../steps/index.js";
import { planSteps, runSteps } from "../engine/engine.js";
import { costFor, priceSourceOf } from "../pricing/index.js";
import { writeConfigFile } from "../config/file.js";
import { preflightForInit } from "../preflight/index.js";
import { checkPasswordAgainstDeployment } from "../config/rules.js";
import { openState } from "../engine/state.js";

/** Where the fallback confirmation offers to save the answers. */
const SAVED_CONFIG_FILE = DEFAULT_WIZARD_CONFIG_FILE;

export async function runInit(input: ConfigCommandInput): Promise<CommandResult> {
  const { io, env } = input;
  // A different deployment chosen in the wizard moves to a state file of its own (see below).
  let { run } = input;
  let runtime: CommandRuntime | undefined;
  let state: StateHandle | undefined;
  let resultWritten = false;
  try {
    const partial = assertKnownCloudSupported(input);
    // A bad --prices is bad input: exit 2 before anything is opened.
    priceSourceOf(input.flags, env);

    let config: DeploymentConfig;
    let secrets: Secrets;
    let sources: Record<string, string>;
    // Set when the wizard asked the questions: it has shown the plan and taken the confirmation.
    let wizard: { savedTo?: string } | undefined;
    if (wantsWizard(input)) {
      // A person at a terminal with values to choose: sign in (a real endpoint), then — when the state
      // file records a deployment — offer to resume it; otherwise (or for a different deployment) the
      // wizard: five questions, the review with the cost, confirmation.
      runtime = await openCommandRuntime(input, { command: "init", cloud: partial.cloud });
      const prompt = createInquirerBackend({ input: io.stdin, output: io.stderr, signal: runtime.signal });
      const saved = await savedDeployment(run.statePath);
      const known = input.precheck.partial;
      const recorded =
        saved !== undefined &&
        known.subscriptionId?.toLowerCase() === saved.config.subscriptionId?.toLowerCase() &&
        known.resourceGroup?.toLowerCase() === saved.config.resourceGroup?.toLowerCase();
      let choice: "resume" | "new" | undefined;
      let typedSecrets: Secrets = {};
      if (saved && recorded) {
        const needsPassword = known.jumpbox !== false && input.precheck.secrets.jumpboxPassword === undefined;
        const offered = await offerResume({ prompt, output: io.stderr }, saved, { needsPassword });
        if (offered.choice === "cancel") {
          io.stderr.write("Nothing was changed.\n");
          return ExitCode.ok;
        }
        choice = offered.choice;
        typedSecrets = offered.secrets;
      }
      if (choice === "resume") {
        secrets = { ...input.precheck.secrets, ...typedSecrets };
        const problems = validateConfig(known, secrets, { reportMissing: true, requirePassword: known.jumpbox !== false });
        if (problems.length > 0) throw new InputError(problems);
        config = known as DeploymentConfig;
        sources = { ...input.precheck.sources, ...(typedSecrets.jumpboxPassword ? { jumpboxPassword: "prompt" } : {}) };
        wizard = {};
        io.stderr.write(`Resuming "${config.workspace}" in ${config.resourceGroup}: finished steps are only checked again.\n`);
      } else {
        const ownedResourceIds = await createdResourceIds(run.statePath);
        const answered = await runWizard(await createInitWizardDeps(input, runtime, { prompt, ownedResourceIds }));
        if (!answered.confirmed) {
          io.stderr.write("Nothing was changed.\n");
          return ExitCode.ok;
        }
        ({ config, secrets } = answered);
        sources = { ...input.precheck.sources };
        if (answered.passwordSource === "prompt") sources.jumpboxPassword = "prompt";
        wizard = answered.savedTo !== undefined ? { savedTo: answered.savedTo } : {};
        // A different deployment than the one the state file records gets a state file of its own.
        if (
          saved &&
          (saved.config.subscriptionId?.toLowerCase() !== config.subscriptionId.toLowerCase() || saved.config.resourceGroup?.toLowerCase() !== config.resourceGroup.toLowerCase())
        ) {
          const statePath = otherStatePath(run.statePath, config.resourceGroup);
          io.stderr.write(`${run.statePath} records another deployment; this one's state goes to ${statePath} (add --state ${statePath} to come back to it).\n`);
          input = { ...input, run: { ...run, statePath } };
          run = input.run;
        }
      }
      assertCloudSupported(config);
      state = await openInitState(run.statePath, secrets, config);
    } else if (input.precheck.resolved) {
      ({ config, secrets, sources } = input.precheck.resolved);
      // Run options first (exit 2, nothing touched), then the lock: a second run on the same state
      // exits 3 before it starts an emulator.
      await checkRuntimeInput(input, config.cloud);
      state = await openInitState(run.statePath, secrets, config);
      runtime = await openCommandRuntime(input, { command: "init", subscriptionId: config.subscriptionId, cloud: config.cloud });
    } else {
      // A terminal with values missing: sign in first (the subscription and regions are listed from Azure).
      runtime = await openCommandRuntime(input, { command: "init", cloud: partial.cloud });
      ({ config, secrets, sources } = await resolveInteractively(input, runtime, true));
      assertCloudSupported(config);
      state = await openInitState(run.statePath, secrets, config);
    }
    assertSameDeployment(state, config, run.statePath);
    // Ownership is proven by this id on every resource: saved before the first write, so a run
    // killed right after a create still finds its resources carrying the id kept in the state.
    config = { ...config, deploymentId: await ensureDeploymentId(state) };

    const { ui } = runtime;
    runtime.recorder?.addSecret(secrets.jumpboxPassword);
    const azure = runtime.azureFor(config.subscriptionId);
    // The compute instance's person: as given, else the one an earlier run assigned it to (a teammate's
    // re-run keeps it), else the signed-in person; a service principal must name one (exit 2, no write).
    const assignedBefore = (state.data.config as Partial<DeploymentConfig>).computeInstanceUser;
    if (config.computeInstanceUser === undefined && typeof assignedBefore === "string") config = { ...config, computeInstanceUser: assignedBefore };
    config = await withComputeInstanceUser(config, { credential: runtime.credential, scope: azure.cloud.armScope, loopback: runtime.loopback });
    const steps = stepsFor(config);
    const resume = wizard ? resumeAfterWizard(input, config, wizard.savedTo) : resumeCommand(input);

    // A person at a terminal sees the plan and confirms it; --yes and scripts go straight on.
    if (ui.interactive && !run.yes && !wizard) {
      const ctx = { config, secrets: {}, azure };
      const planned = await planSteps(steps, ctx, { io: ui, state, signal: runtime.signal });
      const cost = await costFor(planned.resources, config, {
        source: priceSourceOf(input.flags, env),
        env,
        signal: runtime.signal,
        warn: (message) => ui.notify({ type: "log", level: "warn", message }),
      });
      ui.print(renderPlan(planned.resources, estimateFor(steps), cost));
      const go = await ui.request({ kind: "confirm", id: "confirm-plan", message: "Go ahead?", default: true });
      if (go !== true) {
        ui.print("Nothing was changed.");
        return ExitCode.ok;
      }
      if (Object.values(sources).includes("prompt")) {
        const save = await ui.request({
          kind: "confirm",
          id: "save-config",
          message: `Save these answers to ${SAVED_CONFIG_FILE} for \`secure-aml init --config ${SAVED_CONFIG_FILE} --yes\`?`,
          default: false,
        });
        if (save === true) {
          await writeConfigFile(SAVED_CONFIG_FILE, config);
          ui.notify({ type: "log", level: "info", message: `Saved the answers (no password) to ${SAVED_CONFIG_FILE}.` });
        }
      }
    }

    // Preflight (src/preflight): every problem the subscription has with this deployment, before the first
    // write (exit 4, nothing written); then the resource providers it needs are registered.
    await preflightForInit({ azure, config, steps, ui, yes: run.yes, signal: runtime.signal, state });

    // One save for both (each is a synced write, and the first step waits for it).
    state.setConfig(config);
    await state.update((s) => {
      s.meta = { ...(s.meta ?? {}), local: String(run.local), ...(run.endpoint ? { endpoint: run.endpoint } : {}) };
    });

    for (const { step, reason } of skippedSteps(config)) ui.notify({ type: "step-skip", id: step.id, title: step.title, reason });

    const summary = await runSteps(
      steps,
      { config, secrets, azure },
      {
        concurrency: run.concurrency,
        io: ui,
        state,
        signal: runtime.signal,
        ...AZURE_STEP_ERRORS,
        retry: retryPolicyFor(config),
        resumeCommand: resume,
      },
    );
    const counts = azure.counter.snapshot();

    if (ui.mode === "json") {
      const doc = buildResult({
        command: "init",
        record: ui.record(),
        counts,
        ok: summary.exitCode === ExitCode.ok,
        exitCode: summary.exitCode,
        details: details(summary, input, resume, config),
      });
      // What the deployment costs while it runs (the bundled prices; `plan --prices live` for today's).
      const cost = estimateCost(
        summary.resources.filter((r) => r.action !== "deleted" && r.action !== "absent"),
        config,
        OFFLINE_PRICES,
      );
      const monthly = new Map(cost.resources.map((c) => [c.id.toLowerCase(), c.estimatedMonthlyCost]));
      doc.resources = doc.resources.map((r) => (monthly.has(r.id.toLowerCase()) ? { ...r, estimatedMonthlyCost: monthly.get(r.id.toLowerCase()) ?? null } : r));
      doc.estimatedMonthlyCost = cost.total.estimatedMonthlyCost;
      doc.cost = cost;
      ui.writeResult(doc);
      resultWritten = true;
    }
    reportOutcome(summary, input, runtime, config, resume, sources.jumpboxPassword === "default");
    return summary.exitCode;
  } catch (error) {
    return reportCommandError(error, {
      io,
      env,
      output: run.output,
      command: "init",
      ui: runtime?.ui,
      resultWritten,
      counts: runtime ? safeCounts(runtime) : undefined,
    });
  } finally {
    await state?.close().catch(() => undefined);
    await runtime?.close().catch(() => undefined);
  }
}

/**
 * The resume command after a wizard run: the command line plus the answers, so that a re-run does
 * the same deployment without asking again — `--config FILE` when they were saved, else the answers
 * that the defaults would not give back as flags. Never the password.
 */
export function resumeAfterWizard(input: ConfigCommandInput, config: DeploymentConfig, savedTo: string | undefined): string {
  if (savedTo !== undefined) return resumeCommand({ ...input, configFile: savedTo });
  const flags: Record<string, unknown> = { ...input.flags };
  for (const field of FIELDS) {
    const value = config[field.key];
    const attribute = flagAttributeName(field);
    const source = input.precheck.sources[field.key];
    if (value === undefined || flags[attribute] !== undefined || source === "env" || source === "file") continue;
    // A value its field derives from the other answers comes back by itself.
    if (field.derive?.(config) !== value) flags[attribute] = value;
  }
  return resumeCommand({ ...input, flags });
}

/** The deployment's id: the one in the state, or a new one saved there now (the first init). */
export async function ensureDeploymentId(state: StateHandle): Promise<string> {
  const recorded = state.data.meta?.deploymentId ?? (state.data.config as { deploymentId?: unknown }).deploymentId;
  if (typeof recorded === "string" && /^[0-9a-f-]{36}$/i.test(recorded)) return recorded;
  const id = randomUUID();
  await state.update((s) => {
    s.meta = { ...(s.meta ?? {}), deploymentId: id };
  });
  return id;
}

async function openInitState(statePath: string, secrets: Secrets, config: DeploymentConfig): Promise<StateHandle> {
  // Whichever way the answers came (flags, wizard, prompts), a password Azure would refuse, or one
  // equal to a name that is printed and stored, stops here: exit 2, before the state or Azure.
  if (config.jumpbox !== false && secrets.jumpboxPassword !== undefined) {
    const rules = checkPasswordAgainstDeployment(secrets.jumpboxPassword, config as unknown as Record<string, unknown>);
    if (rules.length > 0) {
      throw new InputError(rules.map((rule) => ({ field: "jumpboxPassword", env: "SECURE_AML_JUMPBOX_PASSWORD", rule })));
    }
  }
  const secretValues = secrets.jumpboxPassword ? [secrets.jumpboxPassword] : [];
  return openState(statePath, { create: true, secretValues });
}

/** A state file belongs to one deployment: another subscription or resource group needs another file. */
function assertSameDeployment(state: StateHandle, config: DeploymentConfig, statePath: string): void {
  const stored = state.data.config as Partial<DeploymentConfig>;
  if (typeof stored.subscriptionId !== "string" || typeof stored.resourceGroup !== "string") return;
  const same = stored.subscriptionId.toLowerCase() === config.subscriptionId.toLowerCase() && stored.resourceGroup.toLowerCase() === config.resourceGroup.toLowerCase();
  if (same) return;
  throw new SecureAmlError(
    "STATE_OTHER_DEPLOYMENT",
    `The state file ${statePath} records the deployment ${stored.subscriptionId}/${stored.resourceGroup}, ` +
      `but this run asks for ${config.subscriptionId}/${config.resourceGroup}.`,
    ExitCode.badInput,
    `use another state file for this deployment: secure-aml init --state <other-file> ...`,
  );
}

function safeCounts(runtime: CommandRuntime): { reads: number; writes: number; polls: number } | undefined {
  try {
    return runtime.azure.counter.snapshot();
  } catch {
    return undefined;
  }
}

function details(summary: RunSummary, input: ConfigCommandInput, resume: string, config: DeploymentConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    status: summary.status,
    statePath: input.run.statePath,
    local: input.run.local,
    subscriptionId: config.subscriptionId,
    resourceGroup: config.resourceGroup,
    workspace: config.workspace,
    steps: summary.steps.map((s) => ({ id: s.id, status: s.status, attempts: s.attempts, durationMs: s.durationMs, ...(s.reason ? { reason: s.reason } : {}) })),
  };
  if (summary.exitCode !== ExitCode.ok) out.resumeCommand = resume;
  if (summary.failedStep) out.failedStep = summary.failedStep;
  return out;
}

/** Human ending: the summary (stdout) on success; the failure and the resume command (stderr) otherwise. */
function reportOutcome(summary: RunSummary, input: ConfigCommandInput, runtime: CommandRuntime, config: DeploymentConfig, resume: string, passwordGenerated: boolean): void {
  const { ui } = runtime;
  const stderr = input.io.stderr;
  if (summary.status === "succeeded") {
    if (ui.mode === "json") return;
    ui.print(renderSummaryText(summary, input, runtime, config, passwordGenerated));
    return;
  }
  if (summary.status === "interrupted") {
    const done = summary.steps.filter((s) => s.status === "done").length;
    stderr.write(`secure-aml: interrupted with ${done} of ${summary.steps.length} steps done; the state is saved in ${input.run.statePath}.\n`);
    stderr.write(`Run \`secure-aml init${commandSuffix(input) ? ` ${commandSuffix(input)}` : ""}\` again to resume it (it offers to), or in a script:\n`);
    stderr.write(`next: ${resume}\n`);
    return;
  }
  const error = summary.error;
  const code = error?.armCode ?? error?.code ?? "FAILED";
  stderr.write(`secure-aml: step "${summary.failedStep ?? "?"}" failed: ${code}: ${error?.message ?? "unknown error"}\n`);
  stderr.write(`The state is saved in ${input.run.statePath}; fix the cause, then resume (finished steps are only checked again).\n`);
  stderr.write(`next: ${resume}\n`);
}

function renderSummaryText(summary: RunSummary, input: ConfigCommandInput, runtime: CommandRuntime, config: DeploymentConfig, passwordGenerated: boolean): string {
  const present = summary.resources.filter((r) => r.action !== "deleted" && r.action !== "absent");
  const cost = estimateCost(present, config, OFFLINE_PRICES);
  return renderSummary({
    cost: { currency: cost.currency, monthly: cost.total.estimatedMonthlyCost, stopSavesMonthly: cost.stopSaves.estimatedMonthlyCost },
    config,
    resources: summary.resources,
    durationMs: summary.durationMs,
    local: runtime.loopback,
    passwordGenerated,
    commandSuffix: commandSuffix(input) || undefined,
  });
}
