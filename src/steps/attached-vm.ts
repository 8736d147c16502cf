// Training page, "Use a virtual machine or HDInsight cluster": with --attached-vm NAME, an Ubuntu VM
// (Azure Machine Learning supports only Ubuntu) in the Training subnet with no public IP and SSH key
// login only, behind its own NIC network security group with the page's inbound rule (AzureMachineLearning
// → port 22); attached-vm-attach.ts then attaches it to the workspace as a compute target.
// The public key (PATH.pub or derived) goes into the VM; the private key only into the attach request.

import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { nicName, nicSpec, vmSpec, type VmWanted } from "../resources/factories/vm.js";
import { readSshKeyPair } from "../config/ssh-key.js";
import { SUBNET_TRAINING, placement, resourceId, subnetId } from "./common.js";
import { ownedNsgSpec } from "./attach-compute-common.js";
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
    errorPrefix: "VM",
    subnetId: subnetId(config, SUBNET_TRAINING),
    image: { ...attachedVmImage },
    size: config.attachedVmSize ?? "Standard_DS3_v2",
    sizeOption: "--attached-vm-size",
    adminUsername: user,
    // SSH key login only: no password is sent; the public key is read (and checked) when the VM is created.
    adminPassword: undefined,
    sshPublicKey: () => readSshKeyPair(config.attachedVmSshKeyPath ?? "").publicKey,
    passwordHint: "no password is used (SSH key login)",
    os: { linuxConfiguration: { disablePasswordAuthentication: true } },
  };
}

export const attachedVmStep = declareStep<AzureStepContext>({
  id: "attached-vm",
  title: "Attached Ubuntu VM (compute target)",
  // Only the network: the VM is built while the workspace and its endpoint are (attached-vm-attach waits for both).
  dependsOn: ["network"],
  // its NSG, the NIC, then the VM
  expectedSeconds: chained(
    writeSeconds("Microsoft.Network/networkSecurityGroups"),
    writeSeconds("Microsoft.Network/networkInterfaces"),
    writeSeconds("Microsoft.Compute/virtualMachines"),
  ),
  resources: (ctx) => {
    const { config, azure } = ctx;
    const at = placement(config);
    const wanted = attachedVmWanted(config);
    const nsgName = attachedVmNsgName(wanted.name);
    const nsgId = resourceId(config, "Microsoft.Network", "networkSecurityGroups", nsgName);
    return [
      ownedNsgSpec(ctx, nsgName, "training-subnet"),
      nicSpec(azure, at, { name: nicName(wanted.name), subnetId: wanted.subnetId, networkSecurityGroupId: nsgId }),
      vmSpec(azure, at, wanted),
    ];
  },
});
