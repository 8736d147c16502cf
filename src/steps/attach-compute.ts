// Training page, "Use a virtual machine or HDInsight cluster": with --attach-compute RESOURCE_ID,
// an existing VM or HDInsight cluster (same subscription) is attached to the workspace as a compute
// target, and the network security group in front of it (a VM's NIC NSG, else its subnet's; an
// HDInsight cluster's subnet NSG) gets the page's inbound rule as a child rule. secure-aml did not
// create the resource: it never deletes it (destroy detaches the compute: underlyingResourceAction=Detach).

import type { NetworkSecurityGroup } from "@azure/arm-network";
import type { AzureStepContext } from "./context.js";
import type { AzureContext } from "../azure/clients.js";
import type { AnySpec } from "../resources/spec.js";
import { declareStep } from "../resources/reconcile.js";
import { armCall, getOrUndefined } from "../azure/arm-errors.js";
import { parseResourceId } from "../audit/ids.js";
import { SecureAmlError, ExitCode } from "../errors.js";
import { attachableKind, attachedComputeName } from "../config/attach-rules.js";
import { attachSpec, ruleInForeignNsgSpec } from "./attach-compute-common.js";
import { chained, writeSeconds } from "../durations.js";

/** HDInsight clusters are read through the generic resources API (no HDInsight SDK in the dependencies). */
export const HDINSIGHT_API_VERSION = "2021-06-01";

function missing(resourceId: string): SecureAmlError {
  return new SecureAmlError(
    "ATTACH_TARGET_NOT_FOUND",
    `${resourceId} does not exist (or cannot be read): --attach-compute attaches an existing VM or HDInsight cluster.`,
    ExitCode.failed,
    "secure-aml init --attach-compute <ID of an existing VM or HDInsight cluster>",
  );
}

async function nsgById(azure: AzureContext, id: string | undefined): Promise<NetworkSecurityGroup | undefined> {
  if (!id) return undefined;
  const parsed = parseResourceId(id);
  return getOrUndefined({ resource: id }, async () => (await azure.network()).networkSecurityGroups.get(parsed.resourceGroup ?? "", parsed.names[0] ?? ""));
}

async function subnetNsg(azure: AzureContext, subnetId: string | undefined): Promise<NetworkSecurityGroup | undefined> {
  if (!subnetId) return undefined;
  const parsed = parseResourceId(subnetId);
  const subnet = await getOrUndefined({ resource: subnetId }, async () =>
    (await azure.network()).subnets.get(parsed.resourceGroup ?? "", parsed.names[0] ?? "", parsed.names[1] ?? ""),
  );
  return nsgById(azure, subnet?.networkSecurityGroup?.id);
}

/** The VM's address (primary NIC's private IP) and the NSG in front of it (NIC's, else subnet's). */
async function vmTarget(azure: AzureContext, resourceId: string): Promise<{ address: string | undefined; nsg: NetworkSecurityGroup | undefined }> {
  const parsed = parseResourceId(resourceId);
  const vm = await getOrUndefined({ resource: resourceId }, async () => (await azure.compute()).virtualMachines.get(parsed.resourceGroup ?? "", parsed.names[0] ?? ""));
  if (!vm) throw missing(resourceId);
  const nicRef = (vm.networkProfile?.networkInterfaces ?? []).find((n) => n.primary) ?? vm.networkProfile?.networkInterfaces?.[0];
  if (!nicRef?.id) return { address: undefined, nsg: undefined };
  const nicId = parseResourceId(nicRef.id);
  const nic = await getOrUndefined({ resource: nicRef.id }, async () => (await azure.network()).networkInterfaces.get(nicId.resourceGroup ?? "", nicId.names[0] ?? ""));
  const ipc = (nic?.ipConfigurations ?? []).find((c) => c.primary) ?? nic?.ipConfigurations?.[0];
  const nsg = (await nsgById(azure, nic?.networkSecurityGroup?.id)) ?? (await subnetNsg(azure, ipc?.subnet?.id));
  return { address: ipc?.privateIPAddress, nsg };
}

/** The cluster's SSH host (<name>-ssh.azurehdinsight.net) and its subnet's NSG. */
async function hdInsightTarget(azure: AzureContext, resourceId: string): Promise<{ address: string; nsg: NetworkSecurityGroup | undefined }> {
  const cluster = await getOrUndefined({ resource: resourceId }, async () => (await azure.resources()).resources.getById(resourceId, HDINSIGHT_API_VERSION));
  if (!cluster) throw missing(resourceId);
  const roles = (cluster.properties as { computeProfile?: { roles?: Array<{ virtualNetworkProfile?: { subnet?: string } }> } } | undefined)?.computeProfile?.roles ?? [];
  const subnet = roles.map((r) => r.virtualNetworkProfile?.subnet).find((s): s is string => typeof s === "string");
  return { address: `${parseResourceId(resourceId).names[0] ?? ""}-ssh.azurehdinsight.net`, nsg: await subnetNsg(azure, subnet) };
}

export const attachComputeStep = declareStep<AzureStepContext>({
  id: "attach-compute",
  title: "Attached existing compute (VM or HDInsight)",
  dependsOn: ["workspace-endpoint"],
  expectedSeconds: chained(writeSeconds("Microsoft.Network/networkSecurityGroups/securityRules"), writeSeconds("Microsoft.MachineLearningServices/workspaces/computes")),
  resources: async (ctx, deps) => {
    const { config, azure } = ctx;
    const resourceId = config.attachCompute ?? "";
    const computeType = attachableKind(resourceId) ?? "VirtualMachine";
    const target = computeType === "HDInsight" ? await hdInsightTarget(azure, resourceId) : await vmTarget(azure, resourceId);
    const layout: AnySpec[] = [];
    if (target.nsg) layout.push(ruleInForeignNsgSpec(azure, target.nsg, "training-subnet"));
    else deps.progress(`no network security group in front of ${resourceId}: nothing blocks port 22, no rule to add`);
    layout.push(
      attachSpec(
        ctx,
        {
          name: attachedComputeName(resourceId),
          computeType,
          resourceId,
          address: target.address,
          sshUser: config.attachedVmAdmin ?? "azureuser",
          sshKeyPath: config.attachedVmSshKeyPath ?? "",
        },
        "training-subnet",
      ),
    );
    return layout;
  },
});

/**
 * For `destroy` (before it deletes the resource group): detaches the compute --attach-compute
 * attached (Compute_Delete with underlyingResourceAction=Detach: the VM or cluster is not deleted)
 * and removes the port-22 rule this deployment added to the NSG in front of it — only when the run
 * recorded creating it (`createdIds` from the state), since secure-aml removes only what it created.
 * Returns the IDs it removed.
 */
export async function detachExistingCompute(
  azure: AzureContext,
  config: Pick<AzureStepContext["config"], "subscriptionId" | "resourceGroup" | "workspace" | "attachCompute">,
  createdIds: readonly string[],
): Promise<string[]> {
  if (!config.attachCompute) return [];
  const created = new Set(createdIds.map((id) => id.toLowerCase()));
  const removed: string[] = [];
  const name = attachedComputeName(config.attachCompute);
  const compute = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${config.workspace}/computes/${name}`;
  if (created.has(compute.toLowerCase())) {
    const ml = await azure.machineLearning();
    const exists = await getOrUndefined({ resource: compute }, () => ml.computeOperations.get(config.resourceGroup, config.workspace, name));
    if (exists) {
      await armCall({ resource: compute, operation: "detach compute" }, () =>
        ml.computeOperations.beginDeleteAndWait(config.resourceGroup, config.workspace, name, "Detach", azure.lro()),
      );
      removed.push(compute);
    }
  }
  for (const id of createdIds) {
    const parsed = parseResourceId(id);
    if (!/\/providers\/Microsoft\.Network\/networkSecurityGroups\/[^/]+\/securityRules\/[^/]+$/i.test(id)) continue;
    const network = await azure.network();
    const exists = await getOrUndefined({ resource: id }, () => network.securityRules.get(parsed.resourceGroup ?? "", parsed.names[0] ?? "", parsed.names[1] ?? ""));
    if (!exists) continue;
    await armCall({ resource: id, operation: "delete security rule" }, () =>
      network.securityRules.beginDeleteAndWait(parsed.resourceGroup ?? "", parsed.names[0] ?? "", parsed.names[1] ?? "", azure.lro()),
    );
    removed.push(id);
  }
  return removed;
}
