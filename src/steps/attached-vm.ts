// Training page, "Use a virtual machine or HDInsight cluster": with --attached-vm NAME, an Ubuntu VM
// (Azure Machine Learning supports only Ubuntu) in the Training subnet with no public IP and SSH key
// login only, behind its own NIC network security group with the page's inbound rule (AzureMachineLearning
// → port 22), attached to the workspace as a compute target ("VirtualMachine", its private IP, port 22).
// The public key (PATH.pub or derived) goes into the VM; the private key only into the attach request.

import type { StepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { nicName, nicSpec, vmIds, vmSpec, type VmWanted } from "../resources/factories/vm.js";
import { readSshKeyPair } from "../config/ssh-key.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { SUBNET_TRAINING, computeId, placement, resourceId, subnetId } from "./common.js";
import { attachSpec, ownedNsgSpec, privateIpOf } from "./attach-compute-common.js";
import { chained, writeSeconds } from "../durations.js";
import type { DeploymentConfig } from "../config/types.js";

/** Canonical's Ubuntu 24.04 LTS (the training page: Azure Machine Learning supports Ubuntu only). */
export const attachedVmImage = { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" } as const;

export function attachedVmName(config: DeploymentConfig): string {
  return config.attachedVm ?? "";
}

export function attachedVmNsgName(vmName: string): string {
  return `${vmName}-nsg`;
}

export function attachedVmWanted(config: DeploymentConfig): VmWanted {
  const name = attachedVmName(config);
  const user = config.attachedVmAdmin ?? "azureuser";
  return {
    name,
    label: "attached VM",
    errorPrefix: "ATTACHED_VM",
    subnetId: subnetId(config, SUBNET_TRAINING),
    image: { ...attachedVmImage },
    size: config.attachedVmSize ?? "Standard_DS3_v2",
    adminUsername: user,
    // SSH key login only: no password is sent.
    adminPassword: undefined,
    passwordHint: "no password is used (SSH key login)",
    os: { linuxConfiguration: { disablePasswordAuthentication: true } },
  };
}

export const attachedVmStep = declareStep<StepContext>({
  id: "attached-vm",
  title: "Attached Ubuntu VM (compute target)",
  dependsOn: ["network", "workspace-endpoint"],
  // its NSG, the NIC, the VM, then the attach
  expectedSeconds: chained(
    writeSeconds("Microsoft.Network/networkSecurityGroups"),
    writeSeconds("Microsoft.Network/networkInterfaces"),
    writeSeconds("Microsoft.Compute/virtualMachines"),
    writeSeconds("Microsoft.MachineLearningServices/workspaces/computes"),
  ),
  resources: async (ctx) => {
    const { config, azure } = ctx;
    const at = placement(config);
    const wanted = attachedVmWanted(config);
    const nsgName = attachedVmNsgName(wanted.name);
    const nsgId = resourceId(config, "Microsoft.Network", "networkSecurityGroups", nsgName);
    const keyPath = config.attachedVmSshKeyPath ?? "";
    const vm = vmSpec(azure, at, wanted);
    // Known when the NIC exists (a rerun compares it with the attached address); read again at attach time.
    const knownIp = await getOrUndefined({ resource: vmIds(at, wanted.name).nic }, () => privateIpOf(azure, config.resourceGroup, nicName(wanted.name)));
    return [
      ownedNsgSpec(ctx, nsgName, "training-subnet"),
      nicSpec(azure, at, { name: nicName(wanted.name), subnetId: wanted.subnetId, networkSecurityGroupId: nsgId }),
      {
        ...vm,
        // No password to check: the public key is read (and checked) when the VM is created.
        beforeCreate: async () => {
          readSshKeyPair(keyPath);
        },
        create: async () =>
          (await azure.compute()).virtualMachines.createOrUpdate(
            config.resourceGroup,
            wanted.name,
            {
              location: at.location,
              tags: { ...at.tags },
              hardwareProfile: { vmSize: wanted.size },
              storageProfile: {
                imageReference: { ...wanted.image },
                osDisk: { createOption: "FromImage", managedDisk: { storageAccountType: "StandardSSD_LRS" }, deleteOption: "Delete" },
              },
              osProfile: {
                computerName: wanted.name,
                adminUsername: wanted.adminUsername,
                linuxConfiguration: {
                  disablePasswordAuthentication: true,
                  ssh: { publicKeys: [{ path: `/home/${wanted.adminUsername}/.ssh/authorized_keys`, keyData: readSshKeyPair(keyPath).publicKey }] },
                },
              },
              networkProfile: { networkInterfaces: [{ id: vmIds(at, wanted.name).nic, primary: true, deleteOption: "Delete" }] },
            },
            azure.lro(),
          ),
      },
      attachSpec(
        ctx,
        {
          name: wanted.name,
          computeType: "VirtualMachine",
          resourceId: vmIds(at, wanted.name).vm,
          address: knownIp ?? (async () => (await privateIpOf(azure, config.resourceGroup, nicName(wanted.name))) ?? ""),
          sshUser: wanted.adminUsername,
          sshKeyPath: keyPath,
        },
        "training-subnet",
      ),
    ];
  },
  outputs: ({ config }) => ({
    attachedVmId: vmIds(placement(config), attachedVmName(config)).vm,
    attachedComputeId: computeId(config, attachedVmName(config)),
  }),
});
