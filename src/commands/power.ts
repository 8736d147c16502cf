// `secure-aml stop` / `start`: this deployment's own (tagged with its id, see ownership.ts) compute instance (ML compute stop/start, long-running) and the jump
// box (deallocate, so the VM stops costing, not just power off; start). The compute cluster scales
// to zero on its own when its minimum is 0, and the output says so.

import type { CommandResult, DayTwoCommandInput } from "../cli/command-contract.js";
import type { ResourceOutcome } from "../engine/types.js";
import { ExitCode } from "../errors.js";
import { armCall } from "../azure/arm-errors.js";
import { findRunnables, withDayTwoRuntime } from "./daytwo.js";
import { buildResult } from "../ui/index.js";
import { errorInfoOf } from "./runtime.js";

export async function runPower(input: DayTwoCommandInput, action: "stop" | "start"): Promise<CommandResult> {
  return withDayTwoRuntime(input, action, async ({ target, runtime, azure }) => {
    const { ui, signal } = runtime;
    const rg = target.resourceGroup;
    const { computes, vms, leftAlone } = await findRunnables(azure, target);
    const instances = computes.filter((c) => c.computeType === "ComputeInstance");
    const clusters = computes.filter((c) => c.computeType === "AmlCompute");
    const lro = azure.lro(signal);
    /**
     * One resource's stop or start as a step the UI shows: `change` runs only when the resource is not
     * already in the wanted state (then it is reported unchanged, with the state it is in).
     */
    const powerTask = async (t: {
      id: string;
      title: string;
      expectedSeconds: number;
      already: boolean;
      currentState: string | undefined;
      resource: Omit<ResourceOutcome, "action">;
      change: () => Promise<void>;
    }): Promise<ResourceOutcome> => {
      ui.notify({ type: "step-start", id: t.id, title: t.title, attempt: 1, expectedSeconds: t.expectedSeconds });
      const started = Date.now();
      if (!t.already) await t.change();
      else ui.notify({ type: "step-progress", id: t.id, message: `already ${t.currentState}` });
      const outcome: ResourceOutcome = { ...t.resource, action: t.already ? "unchanged" : "updated" };
      ui.notify({ type: "step-done", id: t.id, title: t.title, durationMs: Date.now() - started, resources: [outcome] });
      return outcome;
    };
    const tasks: Array<Promise<ResourceOutcome>> = [
      ...instances.map((c) =>
        powerTask({
          id: `compute-instance:${c.name}`,
          title: `${action === "stop" ? "Stop" : "Start"} compute instance ${c.name}`,
          expectedSeconds: action === "stop" ? 90 : 120,
          already: action === "stop" ? c.state === "Stopped" : c.state === "Running",
          currentState: c.state,
          resource: { id: c.id, kind: "Microsoft.MachineLearningServices/workspaces/computes", name: c.name },
          change: async () => {
            const ml = await azure.machineLearning();
            await armCall({ resource: c.id, operation: `${action} compute instance` }, () =>
              action === "stop" ? ml.computeOperations.beginStopAndWait(rg, c.workspace, c.name, lro) : ml.computeOperations.beginStartAndWait(rg, c.workspace, c.name, lro),
            );
          },
        }),
      ),
      ...vms.map((v) =>
        powerTask({
          id: `jumpbox:${v.name}`,
          title: `${action === "stop" ? "Deallocate" : "Start"} jump box ${v.name}`,
          expectedSeconds: action === "stop" ? 60 : 30,
          already: action === "stop" ? v.power === "deallocated" : v.power === "running",
          currentState: v.power,
          resource: { id: v.id, kind: "Microsoft.Compute/virtualMachines", name: v.name },
          change: async () => {
            const compute = await azure.compute();
            // Deallocate, not power off: a stopped-but-allocated VM is still billed for its compute.
            await armCall({ resource: v.id, operation: action === "stop" ? "deallocate virtual machine" : "start virtual machine" }, async () => {
              await (action === "stop" ? compute.virtualMachines.deallocate(rg, v.name, lro) : compute.virtualMachines.start(rg, v.name, lro));
            });
          },
        }),
      ),
    ];

    const settled = await Promise.allSettled(tasks);
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected").map((s) => s.reason as unknown);
    const notes: string[] = [];
    for (const c of clusters) {
      notes.push(
        (c.minNodes ?? 0) === 0
          ? `Compute cluster ${c.name} already scales to zero when idle (minimum nodes 0): nothing to ${action}.`
          : `Compute cluster ${c.name} keeps at least ${c.minNodes} node(s) running; set its minimum nodes to 0 so it costs nothing when idle.`,
      );
    }
    if (leftAlone.length > 0) notes.push(`Left alone (not created by this deployment: no tag secure-aml-deployment with the id in the state): ${leftAlone.join(", ")}.`);
    if (instances.length === 0 && vms.length === 0) notes.push(`No compute instance or jump box of this deployment found in ${rg}.`);
    if (action === "stop" && failures.length === 0 && (instances.length > 0 || vms.length > 0))
      notes.push("Stopped: the jump box is deallocated and the compute instance stopped, so neither is billed for compute. `secure-aml start` brings them back.");

    const exitCode = failures.length === 0 ? ExitCode.ok : ExitCode.failed;
    if (ui.mode === "json") {
      ui.writeResult(
        buildResult({
          command: action,
          record: ui.record(),
          counts: azure.counter.snapshot(),
          ok: failures.length === 0,
          exitCode,
          extraErrors: failures.map((f) => errorInfoOf(f)),
          details: {
            resourceGroup: rg,
            computeInstances: instances.map((c) => c.name),
            jumpboxes: vms.map((v) => v.name),
            computeClusters: clusters.map((c) => ({ name: c.name, minNodes: c.minNodes ?? 0, scalesToZero: (c.minNodes ?? 0) === 0 })),
            leftAlone,
            notes,
          },
        }),
      );
    } else {
      for (const f of failures) input.io.stderr.write(`secure-aml: ${f instanceof Error ? f.message : String(f)}\n`);
      ui.print(notes.join("\n"));
    }
    return exitCode;
  });
}
