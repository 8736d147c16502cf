// `secure-aml status`: each resource of the deployment (from the state file, else discovered in the
// resource group), whether it exists, its provisioning state, and whether the compute instance and
// the jump box are running. Read-only; exit 0 unless Azure cannot be read.

import type { CommandResult, DayTwoCommandInput } from "../cli/command-contract.js";
import type { ResourceAction } from "../engine/types.js";
import { ExitCode } from "../errors.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { collect, lastSegment } from "../audit/ids.js";
import { findRunnables, withDayTwoRuntime } from "./daytwo.js";
import { readResourceStatus, type ResourceStatus } from "../audit/resource-status.js";
import { buildResult } from "../ui/index.js";

/** Runs `fn` over items with at most `limit` at once. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

export async function runStatus(input: DayTwoCommandInput): Promise<CommandResult> {
  return withDayTwoRuntime(input, "status", async ({ target, runtime, azure }) => {
    const { ui } = runtime;
    const rg = target.resourceGroup;
    const rgId = `/subscriptions/${target.subscriptionId}/resourceGroups/${rg}`;
    const resourcesClient = await azure.resources();
    const group = await getOrUndefined({ resource: rgId, operation: "read resource group" }, () => resourcesClient.resourceGroups.get(rg));
    const listedItems = group ? await getOrUndefined({ resource: rgId, operation: "list resources of" }, () => collect(resourcesClient.resources.listByResourceGroup(rg))) : [];
    const listed = new Set((listedItems ?? []).map((r) => (r.id ?? "").toLowerCase()));

    // What to look at: every resource the state recorded, else what the group holds.
    const wanted = new Map<string, { id: string; kind?: string; name?: string }>();
    wanted.set(rgId.toLowerCase(), { id: rgId, kind: "Microsoft.Resources/resourceGroups", name: rg });
    if (target.state) {
      for (const step of Object.values(target.state.steps))
        for (const r of step.resources) if (!wanted.has(r.id.toLowerCase())) wanted.set(r.id.toLowerCase(), { id: r.id, kind: r.kind, name: r.name });
    }
    for (const r of listedItems ?? []) if (r.id && !wanted.has(r.id.toLowerCase())) wanted.set(r.id.toLowerCase(), { id: r.id, kind: r.type, name: r.name });

    const statuses: ResourceStatus[] = group
      ? await mapLimit([...wanted.values()], 8, (r) => readResourceStatus(azure, r, listed))
      : [...wanted.values()].map((r) => ({ id: r.id, kind: r.kind ?? "", name: r.name ?? lastSegment(r.id), exists: false }));
    const runnables = group ? await findRunnables(azure, target) : { computes: [], vms: [], workspaces: [] };
    // Computes are listed with their state even when the state file did not record them.
    for (const c of runnables.computes) {
      if (!statuses.some((s) => s.id.toLowerCase() === c.id.toLowerCase())) {
        statuses.push({ id: c.id, kind: "Microsoft.MachineLearningServices/workspaces/computes", name: c.name, exists: true, provisioningState: c.provisioningState });
      }
    }
    const missing = statuses.filter((s) => s.exists === false);
    const instances = runnables.computes.filter((c) => c.computeType === "ComputeInstance");
    const clusters = runnables.computes.filter((c) => c.computeType === "AmlCompute");

    if (ui.mode === "json") {
      const action = (s: ResourceStatus): ResourceAction => (s.exists === false ? "absent" : "unchanged");
      const record = ui.record();
      record.resources = statuses.map((s) => ({ id: s.id, kind: s.kind, name: s.name, action: action(s), step: "status" }));
      ui.writeResult(
        buildResult({
          command: "status",
          record,
          counts: azure.counter.snapshot(),
          ok: true,
          exitCode: ExitCode.ok,
          details: {
            subscriptionId: target.subscriptionId,
            resourceGroup: rg,
            source: target.source,
            resourceGroupExists: group !== undefined,
            destroyed: target.state?.meta?.destroyedAt !== undefined,
            resources: statuses,
            missing: missing.length,
            computeInstances: instances.map((c) => ({ name: c.name, workspace: c.workspace, state: c.state ?? c.provisioningState, running: c.state === "Running" })),
            jumpboxes: runnables.vms.map((v) => ({ name: v.name, power: v.power, running: v.power === "running" })),
            computeClusters: clusters.map((c) => ({ name: c.name, workspace: c.workspace, minNodes: c.minNodes, maxNodes: c.maxNodes, currentNodes: c.currentNodes })),
          },
        }),
      );
      return ExitCode.ok;
    }

    const lines: string[] = [];
    lines.push(`Deployment in resource group ${rg} (subscription ${target.subscriptionId}; ${target.source === "state" ? `from ${target.statePath}` : "discovered"}):`);
    if (!group) lines.push(target.state?.meta?.destroyedAt ? `  the resource group was destroyed at ${target.state.meta.destroyedAt}` : "  the resource group does not exist");
    const width = Math.max(...statuses.map((s) => s.name.length), 4);
    for (const s of statuses) {
      const kind = s.kind.split("/").slice(1).join("/") || s.kind;
      const state = s.exists === false ? "MISSING" : s.exists === "unknown" ? "?" : (s.provisioningState ?? "exists");
      lines.push(`  ${s.name.padEnd(width)}  ${state.padEnd(10)}  ${kind}`);
    }
    lines.push("");
    for (const c of instances)
      lines.push(`Compute instance ${c.name}: ${c.state ?? c.provisioningState ?? "unknown"}${c.state === "Running" ? " (costs money while running; `secure-aml stop`)" : ""}`);
    for (const v of runnables.vms) lines.push(`Jump box ${v.name}: ${v.power ?? "unknown"}${v.power === "running" ? " (costs money while running; `secure-aml stop`)" : ""}`);
    for (const c of clusters)
      lines.push(
        `Compute cluster ${c.name}: ${c.currentNodes ?? 0} node(s) now, scales between ${c.minNodes ?? 0} and ${c.maxNodes ?? "?"}${(c.minNodes ?? 0) === 0 ? " (costs nothing when idle)" : ""}`,
      );
    lines.push(missing.length === 0 ? "Every resource exists." : `${missing.length} resource(s) missing: run \`secure-aml init\` to put them back.`);
    ui.print(lines.join("\n"));
    return ExitCode.ok;
  });
}
