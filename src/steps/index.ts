// The provisioning graph of the secure-workspace tutorial. The engine runs independent steps in
// parallel; `dependsOn` is the order that matters and `mutex: "vnet"` serialises the steps that
// write the virtual network itself.
//
//   resource-group ─┬─ network ─┬─ private-dns ─┬─ storage-endpoints ──┬─ storage-endpoint-reader
//                   │           │               ├─ key-vault-endpoint ─┤          ▲
//                   │           ├─ bastion*     ├─ registry-endpoint ──┤          │
//                   │           ├─ training-nsg*├─ workspace-endpoint ─┴─ compute-cluster ─ image-build
//                   │           └─ jumpbox*     │   (all four endpoints) └ compute-instance
//                   │                           └─ monitor-private-link
//                   ├─ storage ────┐
//                   ├─ key-vault ──┼─ workspace ── (workspace-endpoint, storage-endpoint-reader)
//                   ├─ registry ───┤
//                   └─ monitoring ─┘ (also monitor-private-link)
//                   (network ── databricks-network* ── databricks-workspace*)
//   The computes wait for every endpoint they use at boot (storage, key vault, registry, workspace)
//   and its DNS zone group, not only the workspace's.
//                   network ─ attached-vm* ─┬─ attached-vm-attach* (also after workspace-endpoint)
//                   workspace-endpoint ─────┘  workspace-endpoint ─ attach-compute*
//   * optional: --no-bastion, --training-nsg / --restrict-outbound, --no-jumpbox, --databricks, --databricks-workspace,
//     --attached-vm, --attach-compute; nat-gateway (after network) with --outbound nat-gateway

import type { Step } from "../engine/types.js";
import type { DeploymentConfig } from "../config/types.js";
import type { StepContext } from "./context.js";
import { resourceGroupStep } from "./resource-group.js";
import { networkStep } from "./network.js";
import { trainingNsgStep } from "./training-nsg.js";
import { databricksNetworkStep } from "./databricks-network.js";
import { databricksWorkspaceStep } from "./databricks-workspace.js";
import { bastionStep } from "./bastion.js";
import { natGatewayStep } from "./nat-gateway.js";
import { privateDnsStep } from "./private-dns.js";
import { storageStep } from "./storage.js";
import { storageEndpointsStep } from "./storage-endpoints.js";
import { keyVaultStep } from "./key-vault.js";
import { keyVaultEndpointStep } from "./key-vault-endpoint.js";
import { registryStep } from "./registry.js";
import { registryEndpointStep } from "./registry-endpoint.js";
import { monitoringStep } from "./monitoring.js";
import { workspaceStep } from "./workspace.js";
import { workspaceEndpointStep } from "./workspace-endpoint.js";
import { storageEndpointReaderStep } from "./storage-endpoint-reader.js";
import { monitorPrivateLinkStep } from "./monitor-private-link.js";
import { jumpboxStep } from "./jumpbox.js";
import { computeClusterStep } from "./compute-cluster.js";
import { computeInstanceStep } from "./compute-instance.js";
import { imageBuildStep } from "./image-build.js";
import { attachedVmStep } from "./attached-vm.js";
import { attachedVmAttachStep } from "./attached-vm-attach.js";
import { attachComputeStep } from "./attach-compute.js";

export type { StepContext, AzureStepContext } from "./context.js";

interface StepEntry {
  step: Step<StepContext>;
  /** For optional steps: the config switch that turns it on, and what to say when it is off. */
  optional?: { enabled: (c: DeploymentConfig) => boolean; offBecause: string };
}

/** Every step, ONCE, in a valid sequential order (dependencies first). A new step: one line here. */
const TABLE: readonly StepEntry[] = [
  { step: resourceGroupStep },
  { step: networkStep },
  { step: trainingNsgStep, optional: { enabled: (c) => c.trainingNsg, offBecause: "no --training-nsg" } },
  { step: databricksNetworkStep, optional: { enabled: (c) => c.databricks, offBecause: "no --databricks" } },
  { step: databricksWorkspaceStep, optional: { enabled: (c) => c.databricks && Boolean(c.databricksWorkspace), offBecause: "no --databricks-workspace" } },
  { step: bastionStep, optional: { enabled: (c) => c.bastion, offBecause: "--no-bastion" } },
  { step: natGatewayStep, optional: { enabled: (c) => c.outbound === "nat-gateway", offBecause: "--outbound default" } },
  { step: privateDnsStep },
  { step: storageStep },
  { step: keyVaultStep },
  { step: registryStep },
  { step: monitoringStep },
  { step: storageEndpointsStep },
  { step: keyVaultEndpointStep },
  { step: registryEndpointStep },
  { step: workspaceStep },
  { step: workspaceEndpointStep },
  { step: storageEndpointReaderStep },
  { step: monitorPrivateLinkStep },
  { step: jumpboxStep, optional: { enabled: (c) => c.jumpbox, offBecause: "--no-jumpbox" } },
  { step: computeClusterStep },
  { step: computeInstanceStep },
  { step: imageBuildStep },
  { step: attachedVmStep, optional: { enabled: (c) => Boolean(c.attachedVm), offBecause: "no --attached-vm" } },
  { step: attachedVmAttachStep, optional: { enabled: (c) => Boolean(c.attachedVm), offBecause: "no --attached-vm" } },
  { step: attachComputeStep, optional: { enabled: (c) => Boolean(c.attachCompute), offBecause: "no --attach-compute" } },
];

export const allSteps: ReadonlyArray<Step<StepContext>> = TABLE.map((e) => e.step);

function isOn(entry: StepEntry, config: DeploymentConfig): boolean {
  return entry.optional?.enabled(config) ?? true;
}

/** The steps this deployment runs (optional ones dropped when switched off). No step depends on an optional one. */
export function stepsFor(config: DeploymentConfig): Array<Step<StepContext>> {
  return TABLE.filter((e) => isOn(e, config)).map((e) => e.step);
}

/** Steps switched off by the config, with the reason (for `step-skip` events and `plan`). */
export function skippedSteps(config: DeploymentConfig): Array<{ step: Step<StepContext>; reason: string }> {
  return TABLE.filter((e) => !isOn(e, config)).map((e) => ({ step: e.step, reason: e.optional?.offBecause ?? "switched off" }));
}

/** A step by id (tests, `--only`). */
export function stepById(id: string): Step<StepContext> | undefined {
  return allSteps.find((s) => s.id === id);
}
