// Step 12: the jump box — a Windows 11 Enterprise VM in Training with no public IP (reached through
// Bastion), its NIC, and an auto-shutdown schedule. Optional with --no-jumpbox. The admin password
// comes from Secrets and is only sent on creation. The specs are the VM factory's
// (src/resources/factories/vm.ts), which an attached or second VM reuses.

import type { StepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { vmSpecs, type VmWanted } from "../resources/factories/vm.js";
import { SUBNET_TRAINING, placement, subnetId } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

export const jumpboxImage = { publisher: "MicrosoftWindowsDesktop", offer: "windows-11", sku: "win11-24h2-ent", version: "latest" } as const;

/** licenseType of a Windows 10/11 VM run under eligible licences with multitenant hosting rights. */
export const WINDOWS_CLIENT_LICENSE = "Windows_Client";

export function jumpboxVm({ config, secrets }: Pick<StepContext, "config" | "secrets">): VmWanted {
  return {
    name: config.jumpboxName,
    label: "jump box",
    errorPrefix: "JUMPBOX",
    subnetId: subnetId(config, SUBNET_TRAINING),
    image: { ...jumpboxImage },
    size: config.jumpboxSize,
    sizeOption: "--jumpbox-size",
    adminUsername: config.jumpboxAdmin,
    adminPassword: secrets.jumpboxPassword,
    passwordHint: "set SECURE_AML_JUMPBOX_PASSWORD (or answer the prompt), or use --no-jumpbox",
    os: { windowsConfiguration: { enableAutomaticUpdates: true, provisionVMAgent: true } },
    shutdown: { time: config.jumpboxShutdownTime, timeZoneId: config.jumpboxShutdownTimeZone },
    // The tutorial's "Security type: Standard" unless --jumpbox-security-type TrustedLaunch; sent always,
    // because newer api-versions make an unspecified Gen2 VM Trusted Launch.
    securityType: config.jumpboxSecurityType ?? "Standard",
    // The portal's licence question for a Windows 10/11 image (multitenant hosting rights); see README.
    ...(config.windowsClientLicense !== false ? { licenseType: WINDOWS_CLIENT_LICENSE } : {}),
  };
}

export const jumpboxStep = declareStep<StepContext>({
  id: "jumpbox",
  title: "Jump box VM",
  dependsOn: ["network"],
  // the NIC, the VM, then its auto-shutdown schedule
  expectedSeconds: chained(writeSeconds("Microsoft.Network/networkInterfaces"), writeSeconds("Microsoft.Compute/virtualMachines"), writeSeconds("Microsoft.DevTestLab/schedules")),
  resources: (ctx) => vmSpecs(ctx.azure, placement(ctx.config), jumpboxVm(ctx)),
});
