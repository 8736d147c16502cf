// What status, verify, stop, start and destroy share: resolve the target, open the runtime, report
// errors the same way, and find the compute instance and jump box of a deployment.

import type { ComputeResource } from "@azure/arm-machinelearning";
import type { CommandInput, CommandResult } from "../cli/command-contract.js";
import type { ResultCommand } from "../ui/types.js";
import type { AzureContext } from "../azure/clients.js";
import type { CommandRuntime } from "./runtime.js";
import { armCall, getOrUndefined } from "../azure/arm-errors.js";
import { collect, sameText } from "../audit/ids.js";
import { prop } from "../shared/json.js";
import { resolveTarget, type DeploymentTarget } from "./target.js";
import { carriesDeployment, deploymentIdOf } from "./ownership.js";
import { openCommandRuntime, reportCommandError } from "./runtime.js";

export async function withDayTwoRuntime(
  input: CommandInput,
  command: ResultCommand,
  body: (ctx: { target: DeploymentTarget; runtime: CommandRuntime; azure: AzureContext }) => Promise<CommandResult>,
  before?: (target: DeploymentTarget) => void,
): Promise<CommandResult> {
  const target = await resolveTarget(input);
  before?.(target);
  const runtime = await openCommandRuntime(input, { command, subscriptionId: target.subscriptionId, cloud: target.cloud });
  try {
    return await body({ target, runtime, azure: runtime.azure });
  } catch (error) {
    return reportCommandError(error, { io: input.io, env: input.env, output: input.run.output, command, ui: runtime.ui, counts: runtime.azure.counter.snapshot() });
  } finally {
    await runtime.close();
  }
}

export interface ComputeView {
  workspace: string;
  name: string;
  id: string;
  computeType?: string;
  provisioningState?: string;
  /** Compute instance: Running, Stopped, Starting, Stopping, ... */
  state?: string;
  minNodes?: number;
  maxNodes?: number;
  currentNodes?: number;
}

export function computeView(workspace: string, c: ComputeResource): ComputeView {
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    workspace,
    name: c.name ?? "",
    id: c.id ?? "",
    computeType: str(prop(c.properties, "computeType")),
    provisioningState: str(prop(c.properties, "provisioningState")),
    state: str(prop(c.properties, "properties", "state")),
    minNodes: num(prop(c.properties, "properties", "scaleSettings", "minNodeCount")),
    maxNodes: num(prop(c.properties, "properties", "scaleSettings", "maxNodeCount")),
    currentNodes: num(prop(c.properties, "properties", "currentNodeCount")),
  };
}

export interface VmView {
  name: string;
  id: string;
  provisioningState?: string;
  /** running, deallocated, stopped, starting, deallocating, ... */
  power?: string;
}

/**
 * The computes and VMs of this deployment: only those carrying its id (tag secure-aml-deployment,
 * from the state), and of those only the jump box the state's config names. What else runs in the
 * group is returned as `leftAlone` (stop and start never touch it).
 */
export async function findRunnables(azure: AzureContext, target: DeploymentTarget): Promise<{ computes: ComputeView[]; vms: VmView[]; workspaces: string[]; leftAlone: string[] }> {
  const rg = target.resourceGroup;
  const deploymentId = deploymentIdOf(target.state);
  const resources = await azure.resources();
  const listed = await getOrUndefined({ resource: rg, operation: "list resources of" }, () => collect(resources.resources.listByResourceGroup(rg)));
  const all = listed ?? [];
  const config = target.config;
  const leftAlone: string[] = [];
  const workspaceResources = all.filter((r) => sameText(r.type, "Microsoft.MachineLearningServices/workspaces"));
  const workspaces = workspaceResources.map((r) => r.name ?? "");
  const ourWorkspaces = new Set(workspaceResources.filter((r) => carriesDeployment(r.tags, deploymentId)).map((r) => (r.name ?? "").toLowerCase()));
  // A compute is ours when it carries the id, or (where compute tags are not kept) when it is the
  // compute the state's config names in a workspace that carries the id.
  const namedComputes = [config?.computeInstance, config?.computeCluster].filter((n): n is string => typeof n === "string");
  const vmResources = all.filter((r) => sameText(r.type, "Microsoft.Compute/virtualMachines"));
  const wantedVms: string[] = [];
  for (const vm of vmResources) {
    const name = vm.name ?? "";
    const named = config?.jumpboxName === undefined || (config.jumpbox !== false && sameText(name, config.jumpboxName));
    if (carriesDeployment(vm.tags, deploymentId) && named) wantedVms.push(name);
    else leftAlone.push(`virtual machine ${name}`);
  }
  const ml = workspaces.length > 0 ? await azure.machineLearning() : undefined;
  const computes = (
    await Promise.all(
      workspaces.map(async (ws) =>
        (
          await armCall({ resource: ws, operation: "list computes of" }, () => collect(ml!.computeOperations.list(rg, ws)))
        )
          .filter((c) => {
            const mine = carriesDeployment(c.tags, deploymentId) || (ourWorkspaces.has(ws.toLowerCase()) && namedComputes.some((n) => sameText(n, c.name)));
            if (!mine) leftAlone.push(`compute ${c.name ?? ""} (workspace ${ws})`);
            return mine;
          })
          .map((c) => computeView(ws, c)),
      ),
    )
  ).flat();
  const compute = await azure.compute();
  const vms = await Promise.all(
    wantedVms.map(async (name): Promise<VmView> => {
      const vm = await armCall({ resource: name, operation: "read virtual machine" }, () => compute.virtualMachines.get(rg, name));
      const view = await armCall({ resource: name, operation: "read instance view of" }, () => compute.virtualMachines.instanceView(rg, name));
      const power = (view.statuses ?? []).map((s) => s.code ?? "").find((c) => c.startsWith("PowerState/"));
      return { name, id: vm.id ?? "", provisioningState: vm.provisioningState, power: power?.slice("PowerState/".length) };
    }),
  );
  return { computes, vms, workspaces, leftAlone };
}
