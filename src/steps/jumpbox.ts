// Step 12: the jump box — a Windows 11 Enterprise VM in Training with no public IP (reached through
// Bastion), its NIC, and an auto-shutdown schedule (Microsoft.DevTestLab/schedules
// "shutdown-computevm-<vm>", the resource the portal's Auto-shutdown blade writes). Optional with
// --no-jumpbox. The admin password comes from Secrets and is only sent on creation.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { NetworkInterface } from "@azure/arm-network";
import type { VirtualMachine } from "@azure/arm-compute";
import type { Schedule } from "@azure/arm-devtestlabs";
import type { StepContext } from "./context.js";
import { getOrUndefined } from "../azure/arm-errors.js";
import { SecureAmlError, ExitCode } from "../errors.js";
import {
  managedTags,
  SUBNET_TRAINING,
  compare,
  converge,
  jumpboxNicName,
  outcome,
  planResource,
  resourceId,
  sameId,
  shutdownScheduleName,
  subnetId,
  type ResourceSpec,
} from "./common.js";
import { chained, writeSeconds } from "../durations.js";

export const jumpboxImage = { publisher: "MicrosoftWindowsDesktop", offer: "windows-11", sku: "win11-24h2-ent", version: "latest" } as const;

type Ctx = StepContext;
type Config = Ctx["config"];

function nicId(config: Config): string {
  return resourceId(config, "Microsoft.Network", "networkInterfaces", jumpboxNicName(config));
}

function vmId(config: Config): string {
  return resourceId(config, "Microsoft.Compute", "virtualMachines", config.jumpboxName);
}

function scheduleId(config: Config): string {
  return resourceId(config, "Microsoft.DevTestLab", "schedules", shutdownScheduleName(config.jumpboxName));
}

function nicSpec({ config, azure }: Pick<Ctx, "config" | "azure">): ResourceSpec<NetworkInterface> {
  const id = nicId(config);
  const name = jumpboxNicName(config);
  const put = async (existing: NetworkInterface | undefined) =>
    (await azure.network()).networkInterfaces.beginCreateOrUpdateAndWait(
      config.resourceGroup,
      name,
      {
        ...(existing ?? { location: config.location, tags: managedTags(config) }),
        // No public IP: the jump box is reached through Bastion only.
        ipConfigurations: [{ name: "ipconfig1", subnet: { id: subnetId(config, SUBNET_TRAINING) }, privateIPAllocationMethod: "Dynamic", primary: true }],
      },
      azure.lro(),
    );
  return {
    id,
    kind: "Microsoft.Network/networkInterfaces",
    name,
    group: "training-subnet",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.network()).networkInterfaces.get(config.resourceGroup, name)),
    provisioningState: (n) => n.provisioningState,
    diff: (n) => {
      const changes: string[] = [];
      const ipcs = n.ipConfigurations ?? [];
      if (!ipcs.some((c) => sameId(c.subnet?.id, subnetId(config, SUBNET_TRAINING)))) changes.push(`subnet → ${SUBNET_TRAINING}`);
      if (ipcs.some((c) => c.publicIPAddress !== undefined && c.publicIPAddress !== null)) changes.push("public IP attached → none");
      return changes;
    },
    create: () => put(undefined),
    update: (n) => put(n),
  };
}

function vmSpec({ config, azure, secrets }: Ctx): ResourceSpec<VirtualMachine> {
  const id = vmId(config);
  return {
    id,
    kind: "Microsoft.Compute/virtualMachines",
    name: config.jumpboxName,
    group: "training-subnet",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.compute()).virtualMachines.get(config.resourceGroup, config.jumpboxName)),
    provisioningState: (vm) => vm.provisioningState,
    diff: (vm) => {
      const changes: string[] = [];
      compare(changes, "vmSize", vm.hardwareProfile?.vmSize, config.jumpboxSize);
      const nics = vm.networkProfile?.networkInterfaces ?? [];
      if (!nics.some((n) => sameId(n.id, nicId(config)))) changes.push(`network interface → ${jumpboxNicName(config)}`);
      return changes;
    },
    beforeCreate: async () => {
      if (!secrets.jumpboxPassword) {
        throw new SecureAmlError(
          "JUMPBOX_PASSWORD_MISSING",
          `The jump box ${config.jumpboxName} does not exist yet and no admin password was given; set SECURE_AML_JUMPBOX_PASSWORD (or answer the prompt), or use --no-jumpbox.`,
          ExitCode.badInput,
        );
      }
    },
    create: async () =>
      (await azure.compute()).virtualMachines.createOrUpdate(
        config.resourceGroup,
        config.jumpboxName,
        {
          location: config.location,
          tags: managedTags(config),
          hardwareProfile: { vmSize: config.jumpboxSize },
          storageProfile: {
            imageReference: { ...jumpboxImage },
            osDisk: { createOption: "FromImage", managedDisk: { storageAccountType: "StandardSSD_LRS" }, deleteOption: "Delete" },
          },
          osProfile: {
            computerName: config.jumpboxName.slice(0, 15),
            adminUsername: config.jumpboxAdmin,
            adminPassword: secrets.jumpboxPassword,
            windowsConfiguration: { enableAutomaticUpdates: true, provisionVMAgent: true },
          },
          networkProfile: { networkInterfaces: [{ id: nicId(config), primary: true, deleteOption: "Delete" }] },
          // The tutorial's "Security type: Standard".
        },
        azure.lro(),
      ),
    // Size is the only owned property that can change in place (the NIC is attached at creation).
    update: async (_vm, changes) => {
      if (changes.some((c) => c.startsWith("network interface"))) {
        throw new SecureAmlError("JUMPBOX_NIC_DRIFT", `The jump box ${config.jumpboxName} is attached to another network interface; delete the VM and re-run.`);
      }
      return (await azure.compute()).virtualMachines.update(config.resourceGroup, config.jumpboxName, { hardwareProfile: { vmSize: config.jumpboxSize } }, azure.lro());
    },
  };
}

function scheduleSpec({ config, azure }: Pick<Ctx, "config" | "azure">): ResourceSpec<Schedule> {
  const id = scheduleId(config);
  const name = shutdownScheduleName(config.jumpboxName);
  const put = async () =>
    (await azure.devTestLabs()).globalSchedules.createOrUpdate(config.resourceGroup, name, {
      location: config.location,
      tags: managedTags(config),
      status: "Enabled",
      taskType: "ComputeVmShutdownTask",
      dailyRecurrence: { time: config.jumpboxShutdownTime },
      timeZoneId: config.jumpboxShutdownTimeZone,
      notificationSettings: { status: "Disabled", timeInMinutes: 30 },
      targetResourceId: vmId(config),
    });
  return {
    id,
    kind: "Microsoft.DevTestLab/schedules",
    name,
    group: "training-subnet",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.devTestLabs()).globalSchedules.get(config.resourceGroup, name)),
    provisioningState: (s) => s.provisioningState,
    diff: (s) => {
      const changes: string[] = [];
      compare(changes, "status", s.status, "Enabled");
      compare(changes, "dailyRecurrence.time", s.dailyRecurrence?.time, config.jumpboxShutdownTime);
      compare(changes, "timeZoneId", s.timeZoneId, config.jumpboxShutdownTimeZone);
      if (!sameId(s.targetResourceId, vmId(config))) changes.push(`targetResourceId → ${config.jumpboxName}`);
      return changes;
    },
    create: put,
    update: put,
  };
}

export async function runJumpbox(ctx: Ctx, io: StepIo): Promise<StepResult> {
  const nic = await converge(nicSpec(ctx), ctx.azure, io);
  const vm = await converge(vmSpec(ctx), ctx.azure, io);
  const schedule = await converge(scheduleSpec(ctx), ctx.azure, io);
  return { resources: [outcome(nic), outcome(vm), outcome(schedule)], outputs: { jumpboxId: vmId(ctx.config) } };
}

export async function planJumpbox(ctx: Ctx): Promise<PlannedResource[]> {
  return Promise.all([planResource(nicSpec(ctx)), planResource(vmSpec(ctx)), planResource(scheduleSpec(ctx))]);
}

export const jumpboxStep: Step<Ctx> = {
  id: "jumpbox",
  title: "Jump box VM",
  dependsOn: ["network"],
  // the NIC, the VM, then its auto-shutdown schedule
  expectedSeconds: chained(writeSeconds("Microsoft.Network/networkInterfaces"), writeSeconds("Microsoft.Compute/virtualMachines"), writeSeconds("Microsoft.DevTestLab/schedules")),
  run: runJumpbox,
  plan: planJumpbox,
};
