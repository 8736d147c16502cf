// Microsoft.MachineLearningServices/workspaces/computes of computeType "VirtualMachine" and
// "HDInsight": attached computes (the training page's "Use a virtual machine or HDInsight cluster";
// Compute_CreateOrUpdate in machinelearningservices 2022-10-01, VirtualMachineSchema/HDInsightSchema).
// Azure Machine Learning logs in over SSH when it attaches, so the emulator checks what that login
// needs: the resource exists, a VM is Linux from an Ubuntu image (the only OS Azure ML supports), the
// address is the VM's private IP, the user and a private key (or password) are given, and the
// network security groups in front of the VM (NIC's and subnet's) let AzureMachineLearning reach
// port 22. The credentials are write-only: they are never stored, logged, echoed in an error or
// returned (ARM returns administratorAccount without them). Rules: docs/emulator-services.md.

import { isObject } from "../core/common.js";
import { ArmError, type HandlerContext, type JsonObject, type ResourceRecord, type ResourceStore } from "../types.js";
import { clone, compact, nowIso, optionalNumber, optionalString, resolveReference, section } from "./service-common.js";

const VM_TYPE = "Microsoft.Compute/virtualMachines";
const HDINSIGHT_TYPE = "Microsoft.HDInsight/clusters";
const NIC_TYPE = "Microsoft.Network/networkInterfaces";
const NSG_TYPE = "Microsoft.Network/networkSecurityGroups";
const SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets";
const SECURITY_RULE_TYPE = "Microsoft.Network/networkSecurityGroups/securityRules";

export const ATTACHED_COMPUTE_TYPES = ["VirtualMachine", "HDInsight"] as const;

export function isAttachedComputeType(value: string | undefined): boolean {
  return value !== undefined && (ATTACHED_COMPUTE_TYPES as readonly string[]).includes(value);
}

function badRequest(message: string, target?: string): ArmError {
  return new ArmError(400, "BadRequest", message, target ? [{ code: "BadRequest", message, target }] : undefined);
}

function ruleMatchesPort(rule: JsonObject, port: number): boolean {
  const ranges = [
    optionalString(rule, "destinationPortRange"),
    ...(Array.isArray(rule.destinationPortRanges) ? rule.destinationPortRanges.filter((r): r is string => typeof r === "string") : []),
  ].filter((r): r is string => r !== undefined);
  return ranges.some((range) => {
    if (range === "*") return true;
    const [low, high] = range.split("-").map(Number);
    return low !== undefined && port >= low && port <= (high ?? low);
  });
}

/**
 * Whether an NSG lets Azure Machine Learning's SSH in: the first inbound rule (by priority, custom
 * then default) whose source covers the AzureMachineLearning tag (it, "*" or "Internet") and whose
 * port and protocol cover TCP 22 decides; none (the default DenyAllInBound) denies.
 */
function nsgAllowsMlSsh(store: ResourceStore, nsgId: string): { allowed: boolean; rule: string } {
  const rules = store
    .children(nsgId, SECURITY_RULE_TYPE)
    .map((r) => ({ name: r.name, p: section(r.body, "properties") }))
    .filter(({ p }) => (optionalString(p, "direction") ?? "").toLowerCase() === "inbound")
    .sort((a, b) => (optionalNumber(a.p, "priority") ?? 0) - (optionalNumber(b.p, "priority") ?? 0));
  for (const { name, p } of rules) {
    const sources = [
      optionalString(p, "sourceAddressPrefix"),
      ...(Array.isArray(p.sourceAddressPrefixes) ? p.sourceAddressPrefixes.filter((s): s is string => typeof s === "string") : []),
    ]
      .filter((s): s is string => s !== undefined)
      .map((s) => s.toLowerCase());
    const source = sources.some((s) => s === "*" || s === "azuremachinelearning" || s.startsWith("azuremachinelearning.") || s === "internet");
    const protocol = ["*", "tcp"].includes((optionalString(p, "protocol") ?? "*").toLowerCase());
    if (source && protocol && ruleMatchesPort(p, 22)) return { allowed: (optionalString(p, "access") ?? "").toLowerCase() === "allow", rule: name };
  }
  return { allowed: false, rule: "DenyAllInBound" };
}

function requireSshReachable(store: ResourceStore, vm: ResourceRecord, address: string): void {
  const nicRefs = section(section(vm.body, "properties"), "networkProfile").networkInterfaces;
  const nics = (Array.isArray(nicRefs) ? nicRefs : [])
    .filter(isObject)
    .map((ref) => resolveReference(store, optionalString(ref, "id") ?? "", NIC_TYPE))
    .filter((n): n is ResourceRecord => n !== undefined);
  const configurations = nics.flatMap((nic) => {
    const ipcs = section(nic.body, "properties").ipConfigurations;
    return (Array.isArray(ipcs) ? ipcs : []).filter(isObject).map((ipc) => ({ nic, p: section(ipc, "properties") }));
  });
  const match = configurations.find(({ p }) => optionalString(p, "privateIPAddress") === address);
  if (!match) {
    const known = configurations
      .map(({ p }) => optionalString(p, "privateIPAddress"))
      .filter(Boolean)
      .join(", ");
    throw badRequest(
      `Unable to connect to ${address} over SSH: it is not an address of virtual machine ${vm.name} (its private addresses: ${known || "none"}).`,
      "properties.properties.address",
    );
  }
  const nicNsg = optionalString(section(section(match.nic.body, "properties"), "networkSecurityGroup"), "id");
  const subnet = resolveReference(store, optionalString(section(match.p, "subnet"), "id") ?? "", SUBNET_TYPE);
  const subnetNsg = optionalString(section(section(subnet?.body, "properties"), "networkSecurityGroup"), "id");
  for (const nsgId of [subnetNsg, nicNsg]) {
    if (!nsgId || !resolveReference(store, nsgId, NSG_TYPE)) continue;
    const verdict = nsgAllowsMlSsh(store, nsgId);
    if (!verdict.allowed) {
      throw badRequest(
        `Unable to connect to ${address} on port 22: network security group ${nsgId.split("/").pop() ?? nsgId} denies inbound SSH from the AzureMachineLearning service tag (rule ${verdict.rule}). Add an inbound rule allowing AzureMachineLearning to port 22.`,
        "properties.properties.address",
      );
    }
  }
}

function requireUbuntu(vm: ResourceRecord): void {
  const storage = section(section(vm.body, "properties"), "storageProfile");
  const osType = optionalString(section(storage, "osDisk"), "osType");
  const image = section(storage, "imageReference");
  const ubuntu = (optionalString(image, "publisher") ?? "").toLowerCase() === "canonical" || /ubuntu/i.test(optionalString(image, "offer") ?? "");
  if ((osType ?? "").toLowerCase() !== "linux" || !ubuntu) {
    throw badRequest(
      `Virtual machine ${vm.name} cannot be attached: Azure Machine Learning supports only Ubuntu virtual machines (found ${osType ?? "unknown OS"}, image ${optionalString(image, "publisher") ?? "?"}:${optionalString(image, "offer") ?? "?"}).`,
      "properties.resourceId",
    );
  }
}

/** The stored `properties` of an attached compute (no credentials kept). */
export function attachedComputeProperties(ctx: HandlerContext, workspace: ResourceRecord, compute: JsonObject, previous: JsonObject | undefined): JsonObject {
  const computeType = optionalString(compute, "computeType") ?? "";
  if (previous) {
    // Attached computes are not updated in place: detach and attach again.
    throw badRequest(`The attached compute '${ctx.name}' already exists; attached computes cannot be updated. Detach it first.`);
  }
  const resourceId = optionalString(compute, "resourceId");
  if (!resourceId) throw badRequest(`properties.resourceId is required to attach a ${computeType}.`, "properties.resourceId");
  const target = resolveReference(ctx.store, resourceId, computeType === "HDInsight" ? HDINSIGHT_TYPE : VM_TYPE);
  if (!target)
    throw badRequest(`The resource '${resourceId}' to attach was not found (expected a ${computeType === "HDInsight" ? HDINSIGHT_TYPE : VM_TYPE}).`, "properties.resourceId");
  const inner = section(compute, "properties");
  const address = optionalString(inner, "address");
  if (!address) throw badRequest("properties.properties.address is required: the address Azure Machine Learning connects to over SSH.", "properties.properties.address");
  const sshPort = optionalNumber(inner, "sshPort") ?? 22;
  const account = section(inner, "administratorAccount");
  const username = optionalString(account, "username");
  if (!username) throw badRequest("properties.properties.administratorAccount.username is required.", "properties.properties.administratorAccount.username");
  const privateKey = optionalString(account, "privateKeyData");
  const password = optionalString(account, "password");
  if (!privateKey && !password) {
    throw badRequest("properties.properties.administratorAccount needs privateKeyData (or password) to log in over SSH.", "properties.properties.administratorAccount");
  }
  // Checked for shape only; never echoed.
  if (privateKey !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
    throw badRequest("properties.properties.administratorAccount.privateKeyData is not a private key.", "properties.properties.administratorAccount.privateKeyData");
  }
  if (computeType === "VirtualMachine") {
    requireUbuntu(target);
    if (sshPort !== 22) throw badRequest(`Unable to connect to ${address} on port ${sshPort}.`, "properties.properties.sshPort");
    requireSshReachable(ctx.store, target, address);
  }
  const now = nowIso(ctx);
  return compact({
    computeType,
    computeLocation: optionalString(target.body, "location") ?? optionalString(workspace.body, "location"),
    description: optionalString(compute, "description"),
    resourceId: target.id,
    createdOn: now,
    modifiedOn: now,
    isAttachedCompute: true,
    disableLocalAuth: false,
    properties: compact({
      address,
      sshPort,
      virtualMachineSize: computeType === "VirtualMachine" ? optionalString(section(section(target.body, "properties"), "hardwareProfile"), "vmSize") : undefined,
      // ARM never returns the credentials: only the user name is kept.
      administratorAccount: { username },
    }),
    provisioningErrors: clone([]),
  });
}
