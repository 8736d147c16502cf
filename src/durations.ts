// The realistic durations of Azure operations: ONE table, in seconds on real Azure, used by
// - the emulator's `--latency realistic` profile (each handler's `latency`, multiplied by `--time-scale`),
// - the steps' `expectedSeconds` (the real-Azure estimate of `plan`: critical path against sequential sum).
// Each figure keeps its source next to it; docs/emulator.md shows the same table with the same sources, and
// test/emulator/core-latency-doc.test.ts fails when the two differ. "estimate" marks a figure without a
// published Microsoft number (typical CLI/portal runs).

/** Seconds of a create, an update and a delete of one resource on real Azure. */
export interface OperationSeconds {
  create: number;
  update: number;
  delete: number;
}

export interface DurationFigures extends OperationSeconds {
  /** Where the figures come from (shown in docs/emulator.md). */
  source: string;
}

export type WriteKind = keyof OperationSeconds;

/** Per resource type (the type as ARM spells it). */
export const REALISTIC_SECONDS = {
  "Microsoft.Resources/resourceGroups": {
    create: 1,
    update: 1,
    delete: 30,
    source: "ARM answers a group PUT synchronously; an empty group's delete takes ~15–60 s (ARM's first poll says Retry-After 15); estimate",
  },
  "Microsoft.Network/virtualNetworks": {
    create: 5,
    update: 3,
    delete: 10,
    source: "estimate: VNet writes complete in seconds in CLI runs",
  },
  "Microsoft.Network/virtualNetworks/subnets": {
    create: 3,
    update: 3,
    delete: 3,
    source: "estimate, as VNets",
  },
  "Microsoft.Network/publicIPAddresses": {
    create: 3,
    update: 3,
    delete: 10,
    source: "estimate: seconds in CLI runs",
  },
  "Microsoft.Network/natGateways": {
    create: 10,
    update: 10,
    delete: 10,
    source: "estimate: NAT gateway CLI runs finish in seconds",
  },
  "Microsoft.Network/bastionHosts": {
    create: 600,
    update: 300,
    delete: 300,
    source:
      'create: "It takes about 10 minutes for the Bastion resource to create and deploy" (Microsoft Learn, "Quickstart: Deploy Azure Bastion"); update/delete: estimate (half)',
  },
  "Microsoft.Network/networkInterfaces": {
    create: 3,
    update: 3,
    delete: 5,
    source: "estimate: seconds in CLI runs",
  },
  "Microsoft.Network/networkSecurityGroups": {
    create: 3,
    update: 3,
    delete: 5,
    source: "estimate: seconds in CLI runs",
  },
  "Microsoft.Network/networkSecurityGroups/securityRules": {
    create: 3,
    update: 3,
    delete: 3,
    source: "estimate, as NSGs",
  },
  "Microsoft.Network/privateEndpoints": {
    create: 60,
    update: 30,
    delete: 30,
    source: "create: about a minute per endpoint (issue 3; typical portal/CLI runs, no Microsoft figure); update/delete: estimate",
  },
  "Microsoft.Network/privateEndpoints/privateDnsZoneGroups": {
    create: 10,
    update: 10,
    delete: 10,
    source: "estimate: seconds in CLI runs",
  },
  "Microsoft.Network/privateDnsZones": {
    create: 30,
    update: 10,
    delete: 30,
    source: "estimate: zone and link operations are asynchronous and take tens of seconds in CLI runs",
  },
  "Microsoft.Network/privateDnsZones/virtualNetworkLinks": {
    create: 30,
    update: 30,
    delete: 30,
    source: "estimate, as zones",
  },
  "Microsoft.Network/privateDnsZones/A": {
    create: 1,
    update: 1,
    delete: 1,
    source: "RecordSets_CreateOrUpdate is not long-running in the spec (figures unused: sync writes complete at once)",
  },
  "Microsoft.Storage/storageAccounts": {
    create: 25,
    update: 5,
    delete: 5,
    source: 'create: Azure quickstarts, "usually takes 20-30 seconds", and `az storage account create` runs; update/delete: estimate',
  },
  "Microsoft.KeyVault/vaults": {
    create: 20,
    update: 5,
    delete: 5,
    source: "estimate: `az keyvault create` ≈ 15–25 s",
  },
  "Microsoft.ContainerRegistry/registries": {
    create: 30,
    update: 10,
    delete: 15,
    source: "Registries_Create/Update/Delete answer 200 at once (recorded, Azure CLI); figures unused",
  },
  "Microsoft.MachineLearningServices/workspaces": {
    create: 90,
    update: 30,
    delete: 60,
    source: 'create: "a workspace 1–2 minutes" (issue 3); update/delete: estimate',
  },
  "Microsoft.MachineLearningServices/workspaces/computes": {
    create: 300,
    update: 30,
    delete: 120,
    source: "computeTypes other than the two below (secure-aml writes none): as a ComputeInstance; the handler's `latencyFor` picks the row per computeType",
  },
  "Microsoft.Insights/components": {
    create: 5,
    update: 2,
    delete: 5,
    source: "Components_CreateOrUpdate is synchronous, 200 only (spec); figures unused",
  },
  "Microsoft.Insights/privateLinkScopes": {
    create: 5,
    update: 5,
    delete: 30,
    source: "PUT synchronous (spec); delete answers 200 at once (recorded, Azure CLI); figures unused",
  },
  "Microsoft.Insights/privateLinkScopes/scopedResources": {
    create: 10,
    update: 10,
    delete: 10,
    source: "long-running in the spec, delete answers 200 at once (recorded); estimate",
  },
  "Microsoft.Storage/storageAccounts/privateEndpointConnections": {
    create: 1,
    update: 1,
    delete: 1,
    source: "approve/reject and delete answer 200 at once (recorded, Azure CLI); figures unused",
  },
  "Microsoft.KeyVault/vaults/privateEndpointConnections": {
    create: 1,
    update: 1,
    delete: 1,
    source: "PrivateEndpointConnections_Put answers 200 (spec); figures unused",
  },
  "Microsoft.ContainerRegistry/registries/privateEndpointConnections": {
    create: 10,
    update: 10,
    delete: 10,
    source: "long-running (recorded: 201 + Azure-AsyncOperation, delete 202 + Location); estimate",
  },
  "Microsoft.Insights/privateLinkScopes/privateEndpointConnections": {
    create: 10,
    update: 10,
    delete: 10,
    source: "long-running in the spec; estimate",
  },
  "Microsoft.OperationalInsights/workspaces": {
    create: 15,
    update: 5,
    delete: 10,
    source: "estimate: `az monitor log-analytics workspace create` ≈ 10–20 s",
  },
  "Microsoft.Authorization/roleAssignments": {
    create: 2,
    update: 2,
    delete: 2,
    source: "synchronous in the spec (200/201); figures unused",
  },
  "Microsoft.Compute/virtualMachines": {
    create: 150,
    update: 30,
    delete: 90,
    source: 'create: "2–3 minutes" for a Windows VM (portal deployment times); update/delete: estimate',
  },
  "Microsoft.DevTestLab/schedules": {
    create: 3,
    update: 3,
    delete: 3,
    source: "synchronous in the spec; figures unused",
  },
  "Microsoft.Databricks/workspaces": {
    create: 300,
    update: 120,
    delete: 600,
    source: "estimate: a VNet-injected workspace deploys in about 5 minutes in portal/CLI runs; its delete also removes the managed resource group",
  },
} as const satisfies Record<string, DurationFigures>;

export type DurationType = keyof typeof REALISTIC_SECONDS;

/**
 * Machine Learning computes take very different times by kind: an AmlCompute cluster with a minimum of 0
 * nodes allocates no VM at creation, a ComputeInstance provisions and boots its VM. The emulator picks the
 * figures by the body's `properties.computeType` (the handler's `latencyFor`); any other kind gets the
 * computes row of REALISTIC_SECONDS.
 */
export const ML_COMPUTE_SECONDS = {
  AmlCompute: {
    create: 120,
    update: 30,
    delete: 120,
    source:
      "create: about 2 minutes for a cluster at 0 nodes (estimate: `az ml compute create --type AmlCompute` runs; no VM is allocated until a job runs); update (scale settings)/delete: estimate",
  },
  ComputeInstance: {
    create: 300,
    update: 30,
    delete: 120,
    source:
      'create: "it takes a few minutes to create the compute instance" (Microsoft\'s Azure ML tutorials) and "compute instance several minutes" (issue 3); update/delete: estimate',
  },
} as const satisfies Record<string, DurationFigures>;

export type MlComputeKind = keyof typeof ML_COMPUTE_SECONDS;

function figures(entry: DurationFigures): OperationSeconds {
  return { create: entry.create, update: entry.update, delete: entry.delete };
}

/** The create/update/delete seconds of a resource type (an emulator handler's `latency`). */
/**
 * The realistic seconds of a type's writes: its row above, or DEFAULT_WRITE_SECONDS for a type not measured
 * yet (an emulator handler for a new type needs no row here; docs/emulator.md lists the measured ones).
 */
export function latencyOf(type: string): OperationSeconds {
  return isDurationType(type) ? figures(REALISTIC_SECONDS[type]) : { ...DEFAULT_WRITE_SECONDS };
}

export function isDurationType(type: string): type is DurationType {
  return Object.hasOwn(REALISTIC_SECONDS, type);
}

/** The create/update/delete seconds of an ML compute kind. */
export function mlComputeLatency(kind: MlComputeKind): OperationSeconds {
  return figures(ML_COMPUTE_SECONDS[kind]);
}

export function isMlComputeKind(value: unknown): value is MlComputeKind {
  return typeof value === "string" && Object.hasOwn(ML_COMPUTE_SECONDS, value);
}

/** What a write to a type not (yet) in REALISTIC_SECONDS is assumed to take: a new resource kind needs no entry here. */
export const DEFAULT_WRITE_SECONDS: OperationSeconds = { create: 30, update: 30, delete: 30 };

/** Seconds of one write to a resource type (DEFAULT_WRITE_SECONDS for a type the table does not list). */
export function writeSeconds(type: DurationType | (string & {}), kind: WriteKind = "create"): number {
  return isDurationType(type) ? REALISTIC_SECONDS[type][kind] : DEFAULT_WRITE_SECONDS[kind];
}

/** Seconds of one write to an ML compute of a kind. */
export function mlComputeWriteSeconds(computeKind: MlComputeKind, kind: WriteKind = "create"): number {
  return ML_COMPUTE_SECONDS[computeKind][kind];
}

/** Writes that wait for each other add up. */
export function chained(...seconds: number[]): number {
  return seconds.reduce((sum, s) => sum + s, 0);
}

/** Writes sent together take as long as the longest. */
export function parallel(...seconds: number[]): number {
  return seconds.reduce((max, s) => Math.max(max, s), 0);
}
