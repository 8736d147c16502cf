// Shared setup for the service-provider tests (services*.test.ts): an emulator with spec validation,
// the real SDK clients pointed at it, and helpers for Azure's error codes. Not a test file itself.
import assert from "node:assert/strict";
import { startTestEmulator, type TestEmulator, type TestEmulatorOptions } from "../helpers/emulator.js";

export const REGION = "eastus";
/** LRO pollers wait 2 s between polls unless told otherwise. */
export const POLL = { updateIntervalInMs: 5 } as const;

export interface ServicesFixture {
  emulator: TestEmulator;
  subscriptionId: string;
  /** Creates a resource group in REGION and returns its name. */
  resourceGroup(name: string): Promise<string>;
  id(resourceGroup: string, type: string, name: string): string;
}

export async function startServicesFixture(options: TestEmulatorOptions = {}): Promise<ServicesFixture> {
  const emulator = await startTestEmulator({ latency: "none", validateSpecs: true, ...options });
  const { ResourceManagementClient } = await import("@azure/arm-resources");
  const resources = new ResourceManagementClient(emulator.credential, emulator.subscriptionId, emulator.clientOptions);
  return {
    emulator,
    subscriptionId: emulator.subscriptionId,
    async resourceGroup(name: string) {
      await resources.resourceGroups.createOrUpdate(name, { location: REGION });
      return name;
    },
    id(resourceGroup: string, type: string, name: string) {
      return `/subscriptions/${emulator.subscriptionId}/resourceGroups/${resourceGroup}/providers/${type}/${name}`;
    },
  };
}

/** Awaits `operation` and asserts it fails with ARM error `code` (and HTTP `status` when given); returns the message. */
export async function rejectsWithCode(operation: Promise<unknown> | PromiseLike<unknown>, code: string, status?: number): Promise<string> {
  let message = "";
  await assert.rejects(Promise.resolve(operation), (error: unknown) => {
    const details = error as { code?: string; statusCode?: number; message?: string };
    assert.equal(details.code, code, `expected ARM error ${code}, got ${String(details.code)}: ${String(details.message)}`);
    if (status !== undefined) assert.equal(details.statusCode, status, `expected HTTP ${status} for ${code}`);
    message = details.message ?? "";
    return true;
  });
  return message;
}

/** Spec findings the emulator recorded on its own responses must be none. */
export async function assertNoResponseFindings(emulator: TestEmulator): Promise<void> {
  const entries = await emulator.specFindings();
  const errors = entries
    // Error answers are checked by their own tests; specs without a `default` response list no 4xx.
    .filter((entry) => entry.direction === "response" && (entry.status ?? 0) < 400)
    // INVALID_CONTENT_TYPE is about the core's response headers, not a provider's body (reported to the core).
    .map((entry) => ({ ...entry, findings: entry.findings.filter((finding) => finding.severity === "error" && finding.code !== "INVALID_CONTENT_TYPE") }))
    .filter((entry) => entry.findings.length > 0);
  assert.deepEqual(errors, [], `spec findings on the emulator's responses:\n${JSON.stringify(errors, null, 1)}`);
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
