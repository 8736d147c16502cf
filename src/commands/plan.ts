// `secure-aml plan`: what init would create or change, read-only (GET requests only, no lock, no
// state write), grouped the way the tutorial draws the architecture, with the expected wall time on
// real Azure (the critical path of the step graph against doing it one step after another), the
// training page's NSG rules as guidance, and optionally the architecture diagram (Mermaid).

import { writeFile, mkdir } from "node:fs/promises";
import { dirname, extname } from "node:path";
import type { CommandResult, PlanCommandInput } from "../cli/command-contract.js";
import type { DeploymentConfig } from "../config/types.js";
import { ExitCode } from "../errors.js";
import type { PlannedResource, ResourceAction } from "../engine/types.js";
import type { StateHandle } from "../engine/state.js";
import { buildResult, renderDiagram, renderPlan, type InitResult } from "../ui/index.js";
import { formatDuration } from "../ui/format.js";
import { openCommandRuntime, reportCommandError, type CommandRuntime } from "./runtime.js";
import { assertCloudSupported, assertKnownCloudSupported, estimateFor } from "./deployment-checks.js";
import { resolveInteractively } from "./azure-choices.js";
import { openState } from "../engine/state.js";
import { priceSourceOf, costFor } from "../pricing/index.js";
import { withComputeInstanceUser } from "../azure/signed-in.js";
import { stepsFor, skippedSteps } from "../steps/index.js";
import { planSteps } from "../engine/engine.js";
import { trainingNsgRulesFor } from "../steps/training-nsg.js";
import { preflightForPlan, renderPreflight, PreflightError } from "../preflight/index.js";

export interface DiagramWritten {
  /** The file actually written. */
  file: string;
  format: "mermaid" | "markdown";
  /** Set when the requested file could not be produced as asked (e.g. .svg). */
  note?: string;
}

/**
 * Writes the diagram for `requested`: Mermaid text; inside a ```mermaid fence for .md; for .svg the
 * Mermaid text goes to the same name with .mmd (rendering SVG needs a browser engine secure-aml does
 * not carry) and the note says how to render it.
 */
async function writeDiagram(requested: string, config: DeploymentConfig): Promise<DiagramWritten> {
  const mermaid = renderDiagram(config);
  const ext = extname(requested).toLowerCase();
  await mkdir(dirname(requested), { recursive: true });
  if (ext === ".md" || ext === ".markdown") {
    await writeFile(requested, "```mermaid\n" + mermaid + "```\n");
    return { file: requested, format: "markdown" };
  }
  if (ext === ".svg") {
    const file = requested.slice(0, -ext.length) + ".mmd";
    await writeFile(file, mermaid);
    return {
      file,
      format: "mermaid",
      note:
        `SVG needs a Mermaid renderer, which secure-aml does not bundle; wrote the Mermaid text to ${file} instead. ` +
        `Render it with \`npx -p @mermaid-js/mermaid-cli mmdc -i ${file} -o ${requested}\`, or paste it into https://mermaid.live.`,
    };
  }
  await writeFile(requested, mermaid);
  return { file: requested, format: "mermaid" };
}

/**
 * What each resource is now: missing ("absent": some step would create it; a later step may also
 * plan an update of it) or there ("unchanged": plan itself changes nothing).
 */
function currentAction(p: PlannedResource, all: readonly PlannedResource[]): ResourceAction {
  const id = p.id.toLowerCase();
  return all.some((q) => q.action === "create" && q.id.toLowerCase() === id) ? "absent" : "unchanged";
}

async function openStateReadOnly(path: string): Promise<StateHandle | undefined> {
  try {
    return await openState(path, { create: false, lock: false });
  } catch (error) {
    if ((error as { code?: unknown }).code === "STATE_NOT_FOUND") return undefined;
    throw error;
  }
}

export async function runPlan(input: PlanCommandInput): Promise<CommandResult> {
  const { run, io, env } = input;
  let runtime: CommandRuntime | undefined;
  let state: StateHandle | undefined;
  let resultWritten = false;
  try {
    const partial = assertKnownCloudSupported(input);
    const prices = priceSourceOf(input.flags, env);
    runtime = await openCommandRuntime(input, { command: "plan", subscriptionId: input.precheck.resolved?.config.subscriptionId, cloud: partial.cloud });
    let { config } = await resolveInteractively(input, runtime, false);
    assertCloudSupported(config);
    const { ui } = runtime;
    const azure = runtime.azureFor(config.subscriptionId);
    state = await openStateReadOnly(run.statePath);
    // As init: the compute instance's person (a service principal must name one: exit 2).
    const assignedBefore = (state?.data.config as Partial<DeploymentConfig> | undefined)?.computeInstanceUser;
    if (config.computeInstanceUser === undefined && typeof assignedBefore === "string") config = { ...config, computeInstanceUser: assignedBefore };
    config = await withComputeInstanceUser(config, { credential: runtime.credential, scope: azure.cloud.armScope, loopback: runtime.loopback });

    const steps = stepsFor(config);
    const skipped = skippedSteps(config).map(({ step, reason }) => ({ step: step.id, title: step.title, reason }));
    const { criticalPath, ...estimate } = estimateFor(steps);
    const plan = await planSteps(steps, { config, secrets: {}, azure }, { io: ui, state, signal: runtime.signal });
    // Preflight (src/preflight): what the subscription must allow; any problem makes plan exit 4 as init would.
    const preflight = await preflightForPlan({ azure, config, plan, signal: runtime.signal });
    const blocked = preflight.problems.length > 0 ? new PreflightError(preflight) : undefined;
    const exitCode = blocked ? ExitCode.cannotDeploy : ExitCode.ok;
    const cost = await costFor(plan.resources, config, {
      source: prices,
      env,
      signal: runtime.signal,
      warn: (message) => ui.notify({ type: "log", level: "warn", message }),
    });
    const counts = azure.counter.snapshot();
    const diagram = input.diagram ? await writeDiagram(input.diagram, config) : undefined;

    if (ui.mode === "json") {
      const doc: InitResult = buildResult({
        command: "plan",
        record: ui.record(),
        counts,
        ok: !blocked,
        exitCode,
        ...(blocked ? { extraErrors: blocked.errorInfos() } : {}),
        planned: plan.resources,
        estimate,
        details: {
          subscriptionId: config.subscriptionId,
          resourceGroup: config.resourceGroup,
          location: config.location,
          summary: {
            create: plan.resources.filter((p) => p.action === "create").length,
            update: plan.resources.filter((p) => p.action === "update").length,
            none: plan.resources.filter((p) => p.action === "none").length,
          },
          criticalPath,
          skipped,
          trainingNsg: { enabled: config.trainingNsg, restrictOutbound: config.restrictOutbound, rules: trainingNsgRulesFor(config) },
          preflight,
          ...(diagram ? { diagram } : {}),
        },
      });
      const costOf = new Map(cost.resources.map((c) => [c.id.toLowerCase(), c.estimatedMonthlyCost]));
      doc.resources = plan.resources.map((p) => ({
        id: p.id,
        kind: p.kind,
        name: p.name,
        action: currentAction(p, plan.resources),
        step: stepOf(plan, p),
        estimatedMonthlyCost: costOf.get(p.id.toLowerCase()) ?? 0,
      }));
      doc.estimatedMonthlyCost = cost.total.estimatedMonthlyCost;
      doc.cost = cost;
      ui.writeResult(doc);
      resultWritten = true;
      if (diagram?.note) io.stderr.write(`secure-aml: ${diagram.note}\n`);
      return exitCode;
    }

    const lines: string[] = [];
    lines.push(
      `Plan for workspace "${config.workspace}" in resource group "${config.resourceGroup}" (${config.location}), subscription ${config.subscriptionId}${runtime.loopback ? " — local emulator" : ""}:`,
    );
    ui.print(lines.join("\n") + "\n");
    ui.print(renderPlan(plan.resources, estimate, cost));
    const after: string[] = [];
    after.push(`The critical path, which sets that estimate: ${criticalPath.join(" → ")} (${formatDuration(estimate.criticalPathSeconds * 1000)}).`);
    if (skipped.length > 0) after.push(`Switched off: ${skipped.map((s) => `${s.title} (${s.reason})`).join("; ")}.`);
    after.push("");
    after.push(
      config.trainingNsg
        ? config.restrictOutbound
          ? "Network security group rules on the Training subnet, outbound restricted (from the training page's required public internet access; init creates them with --restrict-outbound):"
          : "Network security group rules on the Training subnet (from the training page; init creates them with --training-nsg):"
        : "Network security group rules training needs (from the training page; not created — add --training-nsg to have init create them on the Training subnet):",
    );
    for (const r of trainingNsgRulesFor(config)) {
      const from = r.direction === "Inbound" ? `from ${r.source}` : `to ${r.destination}`;
      const verb = r.access === "Deny" ? "Deny " : "";
      after.push(`  ${r.direction.padEnd(8)} ${String(r.priority).padEnd(4)} ${r.protocol.padEnd(3)} ${verb}${from} port ${r.ports.join(",")}  — ${r.reason}`);
    }
    after.push("  If you attach a VM or HDInsight cluster for training, its own NSG needs the first rule (SSH, port 22, from the AzureMachineLearning service tag).");
    if (diagram) {
      after.push("");
      after.push(`Architecture diagram (Mermaid) written to ${diagram.file}.`);
      if (diagram.note) after.push(diagram.note);
    }
    after.push("");
    after.push(renderPreflight(preflight));
    after.push("");
    after.push(
      blocked
        ? "Nothing was changed (plan only reads). The subscription cannot take this deployment as asked: fix the problems above first (exit 4)."
        : "Nothing was changed (plan only reads). Run `secure-aml init` with the same options to apply.",
    );
    ui.print(after.join("\n"));
    return exitCode;
  } catch (error) {
    return reportCommandError(error, { io, env, output: run.output, command: "plan", ui: runtime?.ui, resultWritten });
  } finally {
    await state?.close().catch(() => undefined);
    await runtime?.close().catch(() => undefined);
  }
}

function stepOf(plan: { steps: Array<{ id: string; resources: PlannedResource[] }> }, resource: PlannedResource): string | undefined {
  return plan.steps.find((s) => s.resources.includes(resource))?.id;
}
