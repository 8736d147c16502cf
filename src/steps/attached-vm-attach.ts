// The attached VM (attached-vm.ts), attached to the workspace as a compute target: computeType
// "VirtualMachine", its private IP, port 22, the SSH user and the private key — read from its file
// only for this one request (attach-compute-common.ts). A step of its own so that the VM is built
// while the workspace and its private endpoint are, and only the attach waits for both.

import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { nicName, vmIds } from "../resources/factories/vm.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { placement } from "./common.js";
import { attachSpec, privateIpOf } from "./attach-compute-common.js";
import { attachedVmName } from "./attached-vm.js";
import { writeSeconds } from "../durations.js";

export const attachedVmAttachStep = declareStep<AzureStepContext>({
  id: "attached-vm-attach",
  title: "Attach the VM to the workspace",
  dependsOn: ["attached-vm", "workspace-endpoint"],
  expectedSeconds: writeSeconds("Microsoft.MachineLearningServices/workspaces/computes"),
  resources: async (ctx) => {
    const { config, azure } = ctx;
    const at = placement(config);
    const name = attachedVmName(config);
    // Known when the NIC exists (a rerun compares it with the attached address); read again at attach time.
    const knownIp = await getOrUndefined({ resource: vmIds(at, name).nic }, () => privateIpOf(azure, config.resourceGroup, nicName(name)));
    return [
      attachSpec(
        ctx,
        {
          name,
          computeType: "VirtualMachine",
          resourceId: vmIds(at, name).vm,
          address: knownIp ?? (async () => (await privateIpOf(azure, config.resourceGroup, nicName(name))) ?? ""),
          sshUser: config.attachedVmAdmin ?? "azureuser",
          sshKeyPath: config.attachedVmSshKeyPath ?? "",
        },
        "training-subnet",
      ),
    ];
  },
});
