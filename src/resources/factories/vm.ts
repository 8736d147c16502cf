// A virtual machine in a subnet with no public IP: its NIC, the VM and (optionally) an auto-shutdown
// schedule (Microsoft.DevTestLab/schedules "shutdown-computevm-<vm>", what the portal's Auto-shutdown
// blade writes). Used by the jump box; an attached Ubuntu VM or a second VM calls the same factory.

import type { NetworkInterface, NetworkInterfaceIPConfiguration } from "@azure/arm-network";
import type { ImageReference, OSProfile, VirtualMachine } from "@azure/arm-compute";
import type { Schedule } from "@azure/arm-devtestlabs";
import type { AzureContext } from "../../azure/clients.js";
import { SecureAmlError, ExitCode } from "../../errors.js";
import * as kinds from "../kinds/index.js";
import { arm, change, compare, putOver, sameId, type Change, type ResourceSpec } from "../spec.js";
import { idIn, type Placement } from "./placement.js";

export interface VmWanted {
  name: string;
  /** The subnet the NIC sits in. */
  subnetId: string;
  image: ImageReference;
  size: string;
  /** The option that sets `size` ("--jumpbox-size"): preflight's fix when the region lacks the size or its quota. */
  sizeOption: string;
  adminUsername: string;
  /** Only sent on creation; a missing password fails before the first write (unless sshPublicKey is given). */
  adminPassword: string | undefined;
  /**
   * Linux SSH-key login instead of a password: returns the public key, read when the VM is created (and
   * once before the first write, so a missing or bad key fails early). No password is sent.
   */
  sshPublicKey?: () => string;
  /** The OS part of osProfile (windowsConfiguration or linuxConfiguration). */
  os: Pick<OSProfile, "windowsConfiguration" | "linuxConfiguration">;
  /** How to tell a person to give the password (error text), e.g. "set SECURE_AML_JUMPBOX_PASSWORD". */
  passwordHint: string;
  /** Daily shutdown time "HHMM" and Windows time zone id; no schedule when absent. */
  shutdown?: { time: string; timeZoneId: string };
  /** Architecture-view group. */
  group?: string;
  /** Prefix of this VM's error codes, e.g. "JUMPBOX" (JUMPBOX_PASSWORD_MISSING); default "VM". */
  errorPrefix?: "JUMPBOX" | "VM";
  /** What a person calls it in messages, e.g. "jump box"; default "VM". */
  label?: string;
  /**
   * securityProfile.securityType, fixed at creation: "Standard" (no UEFI features) or "TrustedLaunch"
   * (secure boot and vTPM on). Absent: not sent (Azure's own default applies, which newer api-versions
   * make TrustedLaunch for Gen2 images).
   */
  securityType?: "Standard" | "TrustedLaunch";
  /** licenseType, e.g. "Windows_Client" (Windows 10/11 with multitenant hosting rights); changes in place. */
  licenseType?: string;
}

/** The securityProfile a security type stands for. */
export function securityProfileOf(securityType: "Standard" | "TrustedLaunch"): { securityType: string; uefiSettings?: { secureBootEnabled: boolean; vTpmEnabled: boolean } } {
  return securityType === "TrustedLaunch" ? { securityType, uefiSettings: { secureBootEnabled: true, vTpmEnabled: true } } : { securityType };
}

export function nicName(vmName: string): string {
  return `${vmName}-nic`;
}

export function shutdownScheduleName(vmName: string): string {
  return `shutdown-computevm-${vmName}`;
}

export function vmIds(at: Placement, vmName: string): { nic: string; vm: string; schedule: string } {
  return {
    nic: idIn(at, "Microsoft.Network", "networkInterfaces", nicName(vmName)),
    vm: idIn(at, "Microsoft.Compute", "virtualMachines", vmName),
    schedule: idIn(at, "Microsoft.DevTestLab", "schedules", shutdownScheduleName(vmName)),
  };
}

export interface NicWanted {
  name: string;
  subnetId: string;
  group?: string;
  /** A network security group on the NIC itself (the attached VM's port-22 rule); none when absent. */
  networkSecurityGroupId?: string;
}

/** A NIC with one dynamic private IP in a subnet and no public IP. Other properties others set are kept. */
export function nicSpec(azure: AzureContext, at: Placement, wanted: NicWanted): ResourceSpec<NetworkInterface> {
  const id = idIn(at, "Microsoft.Network", "networkInterfaces", wanted.name);
  const ipConfiguration: NetworkInterfaceIPConfiguration = { name: "ipconfig1", subnet: { id: wanted.subnetId }, privateIPAllocationMethod: "Dynamic", primary: true };
  const put = async (existing: NetworkInterface | undefined) =>
    (await azure.network()).networkInterfaces.beginCreateOrUpdateAndWait(
      at.resourceGroup,
      wanted.name,
      {
        ...(existing ?? { location: at.location, tags: { ...at.tags } }),
        ipConfigurations: [ipConfiguration],
        ...(wanted.networkSecurityGroupId ? { networkSecurityGroup: { id: wanted.networkSecurityGroupId } } : {}),
      },
      azure.lro(),
    );
  return {
    ...arm(kinds.networkInterface, azure, id, wanted.name, wanted.group ?? "training-subnet"),
    diff: (n) => {
      const changes: Change[] = [];
      const ipcs = n.ipConfigurations ?? [];
      if (!ipcs.some((c) => sameId(c.subnet?.id, wanted.subnetId))) changes.push(change("ipConfigurations.subnet", ipcs[0]?.subnet?.id, wanted.subnetId));
      if (ipcs.some((c) => c.publicIPAddress !== undefined && c.publicIPAddress !== null)) changes.push(change("ipConfigurations.publicIPAddress", "attached", "none"));
      if (wanted.networkSecurityGroupId && !sameId(n.networkSecurityGroup?.id, wanted.networkSecurityGroupId))
        changes.push(change("networkSecurityGroup.id", n.networkSecurityGroup?.id, wanted.networkSecurityGroupId));
      return changes;
    },
    ...putOver(put),
  };
}

/** The osProfile sent on creation: a password login, or a Linux SSH-key one with the key read now. */
function osProfileOf(wanted: VmWanted): OSProfile {
  if (!wanted.sshPublicKey) {
    // Windows computer names are at most 15 characters.
    return { computerName: wanted.name.slice(0, 15), adminUsername: wanted.adminUsername, adminPassword: wanted.adminPassword, ...wanted.os };
  }
  return {
    computerName: wanted.name,
    adminUsername: wanted.adminUsername,
    linuxConfiguration: {
      ...wanted.os.linuxConfiguration,
      ssh: { publicKeys: [{ path: `/home/${wanted.adminUsername}/.ssh/authorized_keys`, keyData: wanted.sshPublicKey() }] },
    },
  };
}

/** The VM over a NIC made by nicSpec. Size changes in place; the NIC is fixed at creation. */
export function vmSpec(azure: AzureContext, at: Placement, wanted: VmWanted): ResourceSpec<VirtualMachine> {
  const ids = vmIds(at, wanted.name);
  return {
    ...arm(kinds.virtualMachine, azure, ids.vm, wanted.name, wanted.group ?? "training-subnet"),
    capacity: { vmSize: wanted.size, instances: 1, quota: "compute", sizeOption: wanted.sizeOption, what: `${wanted.label ?? "VM"} ${wanted.name}` },
    diff: (vm) => {
      const changes: Change[] = [];
      compare(changes, "hardwareProfile.vmSize", vm.hardwareProfile?.vmSize, wanted.size);
      const nics = vm.networkProfile?.networkInterfaces ?? [];
      if (!nics.some((n) => sameId(n.id, ids.nic)))
        changes.push(
          change(
            "networkProfile.networkInterfaces",
            nics.map((n) => n.id),
            [ids.nic],
            { immutable: true },
          ),
        );
      if (wanted.securityType !== undefined) {
        // A VM that reports no security type is a Standard one (ARM returns "Standard" from 2025-11-01).
        const actual = vm.securityProfile?.securityType ?? "Standard";
        if (actual.toLowerCase() !== wanted.securityType.toLowerCase()) changes.push(change("securityProfile.securityType", actual, wanted.securityType, { immutable: true }));
      }
      if (wanted.licenseType !== undefined) compare(changes, "licenseType", vm.licenseType, wanted.licenseType);
      return changes;
    },
    immutableDrift: (changes) =>
      changes.some((c) => c.field === "securityProfile.securityType")
        ? new SecureAmlError(
            `${wanted.errorPrefix ?? "VM"}_SECURITY_TYPE_DRIFT`,
            `The ${wanted.label ?? "VM"} ${wanted.name} has another security type than ${wanted.securityType ?? "asked"}; Azure changes it only on a deallocated VM. Delete the VM and re-run, or ask for its security type${wanted.errorPrefix === "JUMPBOX" ? " with --jumpbox-security-type" : ""}.`,
          )
        : new SecureAmlError(
            `${wanted.errorPrefix ?? "VM"}_NIC_DRIFT`,
            `The ${wanted.label ?? "VM"} ${wanted.name} is attached to another network interface than ${nicName(wanted.name)}; delete the VM and re-run.`,
          ),
    beforeCreate: async () => {
      if (wanted.sshPublicKey) {
        wanted.sshPublicKey();
        return;
      }
      if (!wanted.adminPassword) {
        throw new SecureAmlError(
          `${wanted.errorPrefix ?? "VM"}_PASSWORD_MISSING`,
          `The ${wanted.label ?? "VM"} ${wanted.name} does not exist yet and no admin password was given; ${wanted.passwordHint}.`,
          ExitCode.badInput,
        );
      }
    },
    create: async () =>
      (await azure.compute()).virtualMachines.createOrUpdate(
        at.resourceGroup,
        wanted.name,
        {
          location: at.location,
          tags: { ...at.tags },
          hardwareProfile: { vmSize: wanted.size },
          storageProfile: {
            imageReference: { ...wanted.image },
            osDisk: { createOption: "FromImage", managedDisk: { storageAccountType: "StandardSSD_LRS" }, deleteOption: "Delete" },
          },
          osProfile: osProfileOf(wanted),
          networkProfile: { networkInterfaces: [{ id: ids.nic, primary: true, deleteOption: "Delete" }] },
          ...(wanted.securityType !== undefined ? { securityProfile: securityProfileOf(wanted.securityType) } : {}),
          ...(wanted.licenseType !== undefined ? { licenseType: wanted.licenseType } : {}),
        },
        azure.lro(),
      ),
    update: async () =>
      (await azure.compute()).virtualMachines.update(
        at.resourceGroup,
        wanted.name,
        { hardwareProfile: { vmSize: wanted.size }, ...(wanted.licenseType !== undefined ? { licenseType: wanted.licenseType } : {}) },
        azure.lro(),
      ),
  };
}

export function shutdownScheduleSpec(
  azure: AzureContext,
  at: Placement,
  vmName: string,
  shutdown: { time: string; timeZoneId: string },
  group = "training-subnet",
): ResourceSpec<Schedule> {
  const ids = vmIds(at, vmName);
  const name = shutdownScheduleName(vmName);
  const put = async () =>
    (await azure.devTestLabs()).globalSchedules.createOrUpdate(at.resourceGroup, name, {
      location: at.location,
      tags: { ...at.tags },
      status: "Enabled",
      taskType: "ComputeVmShutdownTask",
      dailyRecurrence: { time: shutdown.time },
      timeZoneId: shutdown.timeZoneId,
      notificationSettings: { status: "Disabled", timeInMinutes: 30 },
      targetResourceId: ids.vm,
    });
  return {
    ...arm(kinds.schedule, azure, ids.schedule, name, group),
    diff: (s) => {
      const changes: Change[] = [];
      compare(changes, "status", s.status, "Enabled");
      compare(changes, "dailyRecurrence.time", s.dailyRecurrence?.time, shutdown.time);
      compare(changes, "timeZoneId", s.timeZoneId, shutdown.timeZoneId);
      if (!sameId(s.targetResourceId, ids.vm)) changes.push(change("targetResourceId", s.targetResourceId, ids.vm));
      return changes;
    },
    create: put,
    update: put,
  };
}

/** NIC, VM, then its shutdown schedule (when wanted), in that order. */
export function vmSpecs(azure: AzureContext, at: Placement, wanted: VmWanted): Array<ResourceSpec<NetworkInterface> | ResourceSpec<VirtualMachine> | ResourceSpec<Schedule>> {
  return [
    nicSpec(azure, at, { name: nicName(wanted.name), subnetId: wanted.subnetId, ...(wanted.group ? { group: wanted.group } : {}) }),
    vmSpec(azure, at, wanted),
    ...(wanted.shutdown ? [shutdownScheduleSpec(azure, at, wanted.name, wanted.shutdown, wanted.group)] : []),
  ];
}
