// What the conformance replay (conformance.test.ts) leaves out, and the differences from Azure that are
// accepted, each with its reason. docs/emulator-conformance.md is rendered from this file and the replay.
import type { Difference, Metric, NotEmulatedType } from "./replay.js";

/** Types (and actions) the recordings use that the emulator deliberately does not serve: secure-aml never calls them. */
export const NOT_EMULATED: readonly NotEmulatedType[] = [
  { type: "Microsoft.Network/loadBalancers", reason: "secure-aml creates no load balancer (the workspace's managed network and Bastion bring their own)." },
  { type: "Microsoft.Network/privateLinkServices", reason: "secure-aml consumes private link services (Azure's own), it never publishes one." },
  { type: "Microsoft.Network/locations/availablePrivateEndpointTypes", reason: "secure-aml knows the group IDs it needs; it never lists them." },
  { type: "Microsoft.Network/virtualNetworks/CheckIPAddressAvailability", reason: "secure-aml plans its address space from its own configuration." },
  { type: "Microsoft.KeyVault/managedHSMs", reason: "secure-aml uses a key vault, not a managed HSM." },
  { type: "Microsoft.OperationalInsights/workspaces/intelligencePacks", reason: "Log Analytics solutions are not part of the secure workspace." },
  { type: "Microsoft.OperationalInsights/workspaces/sharedKeys", reason: "secure-aml never reads a workspace's shared keys (no secret handling)." },
  { type: "Microsoft.OperationalInsights/workspaces/schema", reason: "Log Analytics query schema: data-plane-like, not used." },
  { type: "Microsoft.OperationalInsights/workspaces/usages", reason: "Log Analytics ingestion usages: not used." },
  { type: "Microsoft.ContainerRegistry/registries/listUsages", reason: "Registry storage usages: not used." },
  { type: "Microsoft.ContainerRegistry/registries/regenerateCredential", reason: "secure-aml keeps the registry's admin user off; it never regenerates its passwords." },
  { type: "Microsoft.Resources/resourceGroups/exportTemplate", reason: "secure-aml never exports a resource group as a template." },
];

/** An accepted difference: every given field must match. */
export interface AcceptedDifference {
  metric?: Metric;
  /** Matched against the recording's file name. */
  file?: RegExp;
  /** Matched against `METHOD path` (path as recorded). */
  request?: RegExp;
  /** Matched against the recorded facet as rendered in the difference list (e.g. "200", "AO+L", "Updating"). */
  recorded?: RegExp;
  /** Matched against the emulator's facet as rendered. */
  emulator?: RegExp;
  reason: string;
}

export const ACCEPTED: readonly AcceptedDifference[] = [
  // The recordings' own history and what a replay cannot do.
  {
    file: /^role__/,
    request: /roleAssignments/,
    reason:
      "The test's service principal was created through Microsoft Graph (not replayed; the emulator knows only its own principals), so Azure found it and the emulator answers PrincipalNotFound; the reads and deletes that follow find nothing.",
  },
  {
    file: /^role__/,
    request: /roleDefinitions$/,
    reason:
      "Role definitions listed at a resource group's scope: the emulator serves the built-in definitions at the subscription's scope only (where secure-aml reads them).",
  },
  {
    file: /^vm__test_vm_create_existing_nic/,
    reason:
      "The VM was made by an ARM template deployment (not emulated), from an image (CentOS 7.5) outside the emulator's catalog; the NIC update that follows attaches the VM's NSG made by the same deployment.",
  },
  {
    request: /Microsoft\.Insights\/components\//,
    metric: "status",
    emulator: /BadRequest/,
    reason:
      "The 2020 recording created a classic (non workspace-based) Application Insights component. Azure retired classic creation in February 2024 and now refuses it as the emulator does.",
  },
  {
    request: /Microsoft\.Insights\/components\//,
    reason: "Follows from the retired classic component (see the status difference above).",
  },
  {
    request: /scopedResources\/assigned_app/,
    reason: "Links the classic Application Insights component that today's Azure (and the emulator) refuse to create.",
  },
  {
    request: /registries\/[^/]+\/privateEndpointConnections\/[^/]+$/,
    metric: "status",
    recorded: /^201$/,
    emulator: /^200$/,
    reason:
      "ACR answered the approval of an existing connection 201 Created; the emulator answers 200 as for every update (both are in the spec and the SDKs accept both).",
  },
];

export function acceptedReason(difference: Difference): string | undefined {
  return ACCEPTED.find(
    (rule) =>
      (rule.metric === undefined || rule.metric === difference.metric) &&
      (rule.file === undefined || rule.file.test(difference.file)) &&
      (rule.request === undefined || rule.request.test(`${difference.method} ${difference.path}`)) &&
      (rule.recorded === undefined || rule.recorded.test(difference.recorded)) &&
      (rule.emulator === undefined || rule.emulator.test(difference.emulator)),
  )?.reason;
}
