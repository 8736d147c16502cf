// Shared by the attached-VM and attach-compute steps (training page, "Use a virtual machine or
// HDInsight cluster"): the inbound rule the network security group in front of an attached compute
// needs (source service tag AzureMachineLearning, any source port, destination Any, port 22, protocol
// Any, Allow; the default outbound rules are left as they are), and the workspace compute that
// attaches it. The SSH private key is read from its file only inside the attach request's create and
// is never returned, stored or printed (ARM does not return it either).

import type { NetworkSecurityGroup, SecurityRule } from "@azure/arm-network";
import type { ComputeResource } from "@azure/arm-machinelearning";
import type { AzureStepContext } from "./context.js";
import type { AzureContext } from "../azure/clients.js";
import { SecureAmlError, ExitCode } from "../errors.js";
import * as kinds from "../resources/kinds/index.js";
import { arm, change, changesOf, differs, differsId, putOver, type Change, type ResourceSpec } from "../resources/spec.js";
import { readSshKeyPair, SshKeyProblem } from "../config/ssh-key.js";
import { computeId, placed } from "./common.js";
import { parseResourceId } from "../audit/ids.js";

export const ATTACHED_SSH_RULE_NAME = "AllowAzureMachineLearningSsh";

/** The training page's inbound rule for an attached VM or HDInsight cluster. */
export function attachedSshRule(priority: number): SecurityRule {
  return {
    name: ATTACHED_SSH_RULE_NAME,
    direction: "Inbound",
    priority,
    protocol: "*",
    access: "Allow",
    sourceAddressPrefix: "AzureMachineLearning",
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: "22",
    description: "attached VM / HDInsight: SSH from Azure Machine Learning (training page)",
  };
}

/** The rule's differences from what the page asks (empty when it allows what it must). */
export function sshRuleChanges(actual: SecurityRule | undefined): Change[] {
  if (!actual) return [change(`securityRules.${ATTACHED_SSH_RULE_NAME}`, undefined, "Inbound AzureMachineLearning → port 22, Allow")];
  const ports = actual.destinationPortRange ? [actual.destinationPortRange] : (actual.destinationPortRanges ?? []);
  return changesOf(
    differs("direction", actual.direction, "Inbound"),
    differs("access", actual.access, "Allow"),
    differs("protocol", actual.protocol, "*"),
    differs("sourceAddressPrefix", actual.sourceAddressPrefix, "AzureMachineLearning"),
    differs("sourcePortRange", actual.sourcePortRange, "*"),
    differs("destinationAddressPrefix", actual.destinationAddressPrefix, "*"),
    differs("destinationPortRange", ports.join(","), "22"),
  );
}

/** The lowest free inbound priority from 100 (the rule keeps its own priority when it exists). */
export function freeInboundPriority(rules: SecurityRule[] | undefined): number {
  const own = (rules ?? []).find((r) => (r.name ?? "").toLowerCase() === ATTACHED_SSH_RULE_NAME.toLowerCase());
  if (own?.priority !== undefined) return own.priority;
  const taken = new Set((rules ?? []).filter((r) => r.direction === "Inbound").map((r) => r.priority));
  let priority = 100;
  while (taken.has(priority)) priority += 1;
  return priority;
}

/** An NSG this deployment owns, holding the SSH rule (others' rules kept). */
export function ownedNsgSpec({ config, azure }: AzureStepContext, name: string, group: string): ResourceSpec<NetworkSecurityGroup> {
  const id = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
  const put = async (existing: NetworkSecurityGroup | undefined) => {
    const others = (existing?.securityRules ?? []).filter((r) => (r.name ?? "").toLowerCase() !== ATTACHED_SSH_RULE_NAME.toLowerCase());
    return (await azure.network()).networkSecurityGroups.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      name,
      { ...(existing ?? placed(config)), securityRules: [...others, attachedSshRule(freeInboundPriority(existing?.securityRules))] },
      azure.lro(),
    );
  };
  return {
    ...arm(kinds.networkSecurityGroup, azure, id, name, group),
    diff: (n) => sshRuleChanges((n.securityRules ?? []).find((r) => (r.name ?? "").toLowerCase() === ATTACHED_SSH_RULE_NAME.toLowerCase())),
    ...putOver(put),
  };
}

/** The SSH rule as a child of an NSG this deployment does not own (an existing VM's or subnet's). */
export function ruleInForeignNsgSpec(azure: AzureContext, nsg: NetworkSecurityGroup, group: string): ResourceSpec<SecurityRule> {
  const nsgId = nsg.id ?? "";
  const resourceGroup = parseResourceId(nsgId).resourceGroup ?? "";
  const nsgName = nsg.name ?? "";
  const priority = freeInboundPriority(nsg.securityRules);
  const put = async () => (await azure.network()).securityRules.beginCreateOrUpdateAndWait(resourceGroup, nsgName, ATTACHED_SSH_RULE_NAME, attachedSshRule(priority), azure.lro());
  return {
    ...arm(kinds.securityRule, azure, `${nsgId}/securityRules/${ATTACHED_SSH_RULE_NAME}`, ATTACHED_SSH_RULE_NAME, group),
    diff: (r) => sshRuleChanges(r),
    create: put,
    update: put,
  };
}

export interface AttachWanted {
  /** The compute's name in the workspace. */
  name: string;
  computeType: "VirtualMachine" | "HDInsight";
  /** The VM's or cluster's ARM ID. */
  resourceId: string;
  /** What Azure Machine Learning connects to: the VM's private IP, or the cluster's SSH host name. Read at create time when a function. */
  address: string | undefined | (() => Promise<string>);
  sshUser: string;
  /** The private key file; read only when the attach request is sent. */
  sshKeyPath: string;
}

function keyOrFail(path: string): string {
  try {
    return readSshKeyPair(path).privateKey;
  } catch (error) {
    if (error instanceof SshKeyProblem) {
      throw new SecureAmlError(
        "ATTACH_SSH_KEY_INVALID",
        `The SSH private key file ${path} ${error.message}.`,
        ExitCode.badInput,
        "secure-aml init --attached-vm-ssh-key <path of a private key>",
      );
    }
    throw error;
  }
}

/** The inner properties of an attached compute (address, sshPort, username; never a key: ARM returns none). */
export function attachedView(c: ComputeResource): { computeType?: string; resourceId?: string; address?: string; sshPort?: number; username?: string } {
  const outer = c.properties as
    | { computeType?: string; resourceId?: string; properties?: { address?: string; sshPort?: number; administratorAccount?: { username?: string } } }
    | undefined;
  return {
    computeType: outer?.computeType,
    resourceId: outer?.resourceId,
    address: outer?.properties?.address,
    sshPort: outer?.properties?.sshPort,
    username: outer?.properties?.administratorAccount?.username,
  };
}

/** The workspace compute that attaches a VM or HDInsight cluster. Attached computes cannot be changed in place. */
export function attachSpec({ config, azure }: AzureStepContext, wanted: AttachWanted, group: string): ResourceSpec<ComputeResource> {
  const ml = async () => (await azure.machineLearning()).computeOperations;
  const fixed = { immutable: true };
  const drift = (changes: Change[]) =>
    new SecureAmlError(
      "ATTACHED_COMPUTE_DRIFT",
      `The attached compute ${wanted.name} differs in ${changes.map((c) => c.field).join(", ")}, which Azure Machine Learning cannot change in place; detach it (az ml compute detach -n ${wanted.name} -g ${config.resourceGroup} -w ${config.workspace}) and re-run.`,
    );
  return {
    ...arm(kinds.mlCompute, azure, computeId(config, wanted.name), wanted.name, group),
    diff: (c) => {
      const view = attachedView(c);
      const address = typeof wanted.address === "string" ? wanted.address : undefined;
      return changesOf(
        differs("computeType", view.computeType, wanted.computeType, fixed),
        differsId("resourceId", view.resourceId, wanted.resourceId, fixed),
        address === undefined ? undefined : differs("address", view.address, address, fixed),
        differs("sshPort", view.sshPort, 22, fixed),
        differs("administratorAccount.username", view.username, wanted.sshUser, fixed),
      );
    },
    immutableDrift: drift,
    update: async (_c, changes) => {
      throw drift(changes);
    },
    // An attach that ended Failed is detached (never deleting the VM or cluster) and sent again.
    deleteFailed: async () => (await ml()).beginDeleteAndWait(config.resourceGroup, config.workspace, wanted.name, "Detach", azure.lro()),
    create: async () => {
      const address = typeof wanted.address === "function" ? await wanted.address() : wanted.address;
      if (!address) throw new SecureAmlError("ATTACH_ADDRESS_UNKNOWN", `The address of ${wanted.resourceId} is unknown: it has no private IP address.`);
      const body: ComputeResource = {
        ...placed(config),
        properties: {
          computeType: wanted.computeType,
          resourceId: wanted.resourceId,
          description: `secure-aml attached ${wanted.computeType === "HDInsight" ? "HDInsight cluster" : "VM"} (SSH from Azure Machine Learning on port 22)`,
          properties: { address, sshPort: 22, administratorAccount: { username: wanted.sshUser, privateKeyData: keyOrFail(wanted.sshKeyPath) } },
        },
      };
      const result = await (await ml()).beginCreateOrUpdateAndWait(config.resourceGroup, config.workspace, wanted.name, body, azure.lro());
      // The request body held the key: drop it from the object before anything could keep it.
      (body.properties as { properties?: { administratorAccount?: { privateKeyData?: string } } }).properties!.administratorAccount!.privateKeyData = undefined;
      return result;
    },
  };
}

/** The private IP of a NIC's primary configuration. */
export async function privateIpOf(azure: AzureContext, resourceGroup: string, nicName: string): Promise<string | undefined> {
  const nic = await (await azure.network()).networkInterfaces.get(resourceGroup, nicName);
  const ipcs = nic.ipConfigurations ?? [];
  return (ipcs.find((c) => c.primary) ?? ipcs[0])?.privateIPAddress;
}
