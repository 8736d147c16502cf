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
    request: /roleAssignments\/[^/]+$/,
    metric: "status",
    recorded: /^201$/,
    emulator: /^200$/,
    reason: "Azure answered 201 to a PUT repeating an existing assignment; the emulator answers 200 as for any update (both are in the spec; the SDKs accept both).",
  },
  {
    file: /^role__/,
    request: /roleAssignments/,
    metric: "bodyKeys",
    reason:
      "Azure fills createdBy/updatedBy from the caller's identity (the emulator has no caller identity) and 2020-04-01-preview adds delegatedManagedIdentityResourceId; a list's first element in Azure is one of the recorded subscription's other assignments.",
  },
  {
    file: /^role__/,
    request: /roleDefinitions$/,
    reason: "Role definitions listed at a resource group's scope: the emulator serves the built-in definitions at the subscription's scope only (where secure-aml reads them).",
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
    reason: "ACR answered the approval of an existing connection 201 Created; the emulator answers 200 as for every update (both are in the spec and the SDKs accept both).",
  },
  {
    request: /registries\/[^/]+\/privateEndpointConnections\/[^/]+$/,
    metric: "provisioningState",
    recorded: /^Updating$/,
    reason: "Read while Azure was still applying the approval (timing of the recorded run); the emulator had finished it (latency none).",
  },
  {
    request: /privateLinkScopes/i,
    metric: "bodyKeys",
    reason:
      "The 2019-10-17-preview answers the recording holds had etag, kind, scopeId and systemData; the specs the emulator validates against (2019-10-17-preview, 2021-07-01-preview) list none of them on scopes, scoped resources or connections, so the emulator leaves them out to stay spec-valid.",
  },
  {
    request: /deletedVaults$/,
    metric: "bodyKeys",
    reason:
      "The recorded subscription's list of deleted vaults held other tests' vaults (its first element is one of them); the emulator's subscription holds only this recording's.",
  },
  {
    request: /networkInterfaces\/[^/]+$/,
    metric: "provisioningState",
    recorded: /^Succeeded$/,
    reason:
      "Azure had finished this NIC update before answering (it still sent Azure-AsyncOperation); the emulator answers every network write Updating and completes it at the next request.",
  },
  {
    request: /privateEndpoints$/,
    metric: "bodyKeys",
    reason: "A list whose first element in Azure is the endpoint to a private link service, which the emulator does not serve (left out of the figures).",
  },
  {
    request: /scopedResources$/,
    metric: "bodyKeys",
    reason: "A list whose first element in Azure is the retired classic Application Insights component's link.",
  },
  {
    request: /Microsoft\.OperationalInsights\/workspaces(\/[^/]+)?$/,
    metric: "bodyKeys",
    emulator: /^lacks properties\.source$/,
    reason: "properties.source is in the 2020-08-01 answers only; the specs the emulator validates against (2022-10-01 and later) do not have it.",
  },
  {
    request: /\/resources$/,
    metric: "bodyKeys",
    emulator: /systemData/,
    reason: "The generic resource list (2020-10-01) showed systemData; the emulator's generic list shows id, name, type, location, tags, kind, sku, identity and managedBy only.",
  },
  {
    request: /storageAccounts\/[^/]+$/,
    metric: "bodyKeys",
    emulator: /secondaryLocation/,
    reason:
      "The recorded account was updated to geo-redundant storage (Standard_GRS); the emulator has no table of paired regions, so it shows no secondaryLocation / statusOfSecondary.",
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
