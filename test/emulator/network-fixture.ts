// Shared setup for the network provider tests: an emulator, the real SDK clients pointed at it, and
// helpers to assert Azure's error codes. Not a test file itself (no `.test.` in the name).
import assert from "node:assert/strict";
import type { NetworkManagementClient } from "@azure/arm-network";
import type { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import type { ResourceManagementClient } from "@azure/arm-resources";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator.js";

export const REGION = "eastus";
/** LRO pollers wait 2 s between polls unless told otherwise. */
export const POLL = { updateIntervalInMs: 5 } as const;

export interface NetworkFixture {
  emulator: TestEmulator;
  network: NetworkManagementClient;
  dns: PrivateDnsManagementClient;
  resources: ResourceManagementClient;
  subscriptionId: string;
  /** Creates a resource group in REGION and returns its name. */
  resourceGroup(name: string): Promise<string>;
}

export async function startNetworkFixture(): Promise<NetworkFixture> {
  const emulator = await startTestEmulator({ latency: "none", validateSpecs: true });
  const [{ NetworkManagementClient }, { PrivateDnsManagementClient }, { ResourceManagementClient }] = await Promise.all([
    import("@azure/arm-network"),
    import("@azure/arm-privatedns"),
    import("@azure/arm-resources"),
  ]);
  const network = new NetworkManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
  const dns = new PrivateDnsManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
  const resources = new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
  return {
    emulator,
    network,
    dns,
    resources,
    subscriptionId: emulator.subscriptionId,
    async resourceGroup(name: string) {
      await resources.resourceGroups.createOrUpdate(name, { location: REGION });
      return name;
    },
  };
}

/** Awaits `operation` and asserts it fails with ARM error `code` (and HTTP `status` when given). */
export async function rejectsWithCode(operation: Promise<unknown>, code: string, status?: number): Promise<void> {
  await assert.rejects(operation, (error: unknown) => {
    const details = error as { code?: string; statusCode?: number; message?: string };
    assert.equal(details.code, code, `expected ARM error ${code}, got ${String(details.code)}: ${String(details.message)}`);
    if (status !== undefined) assert.equal(details.statusCode, status);
    return true;
  });
}

export function subnetIdOf(subscriptionId: string, resourceGroup: string, vnet: string, subnet: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;
}

/** The tutorial's VNet: 172.16.0.0/16 with Training, Scoring and AzureBastionSubnet. */
export const TUTORIAL_SUBNETS = [
  { name: "Training", addressPrefix: "172.16.0.0/24", privateEndpointNetworkPolicies: "Disabled" },
  { name: "Scoring", addressPrefix: "172.16.1.0/24", privateEndpointNetworkPolicies: "Enabled" },
  { name: "AzureBastionSubnet", addressPrefix: "172.16.2.0/26" },
] as const;

export async function createTutorialVnet(fixture: NetworkFixture, resourceGroup: string, name = "vnet", location = REGION) {
  return fixture.network.virtualNetworks.beginCreateOrUpdateAndWait(
    resourceGroup,
    name,
    {
      location,
      addressSpace: { addressPrefixes: ["172.16.0.0/16"] },
      subnets: TUTORIAL_SUBNETS.map((subnet) => ({ ...subnet })),
    },
    POLL,
  );
}

/** Every spec finding the emulator logged, as one line each (errors and unverified). */
export async function specFindingLines(fixture: NetworkFixture, severity?: "error" | "unverified"): Promise<string[]> {
  const entries = await fixture.emulator.specFindings();
  return entries.flatMap((entry) =>
    entry.findings
      // INVALID_CONTENT_TYPE is about the core passing headers to the validator, not about a provider's shapes.
      .filter((finding) => (severity === undefined || finding.severity === severity) && finding.code !== "INVALID_CONTENT_TYPE")
      .map((finding) => `${entry.direction} ${entry.method} ${entry.path} ${entry.status ?? ""}: ${finding.severity} ${finding.code} ${finding.path} ${finding.message}`),
  );
}
