// The lazy Azure client factory. Each SDK is imported on first use (loading all of them costs
// ~1.5 s), every client shares one options object (endpoint, the emulator's CA, the token audience)
// and one request-counting pipeline policy, so `init --output json` can report ARM reads, writes
// and polls for the run.

import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import type { ResourceManagementClient } from "@azure/arm-resources";
import type { NetworkManagementClient } from "@azure/arm-network";
import type { StorageManagementClient } from "@azure/arm-storage";
import type { KeyVaultManagementClient } from "@azure/arm-keyvault";
import type { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import type { OperationalInsightsManagementClient } from "@azure/arm-operationalinsights";
import type { ApplicationInsightsManagementClient } from "@azure/arm-appinsights";
import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { ComputeManagementClient } from "@azure/arm-compute";
import type { DevTestLabsClient } from "@azure/arm-devtestlabs";
import type { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import type { AzureDatabricksManagementClient } from "@azure/arm-databricks";
import type { CloudName } from "../config/types.js";
import { cloudProfile, type CloudProfile } from "./clouds.js";
import { originOf } from "./credential.js";
import { ExitCode, SecureAmlError } from "../errors.js";

export interface ArmRequestCounts {
  /** GET/HEAD on resources (and read-only POSTs such as checkNameAvailability). */
  reads: number;
  /** PUT/PATCH/DELETE and state-changing POSTs. */
  writes: number;
  /** GETs that poll a long-running operation. */
  polls: number;
}

/** Counts ARM requests by class. One instance per AzureContext. */
export class ArmRequestCounter {
  private counts: ArmRequestCounts = { reads: 0, writes: 0, polls: 0 };
  /** Operation-status URLs announced by write responses (Azure-AsyncOperation / Location). */
  private readonly statusUrls = new Set<string>();
  /** Resource URLs being polled through their own provisioningState (no status header). */
  private readonly bodyPolled = new Set<string>();

  snapshot(): ArmRequestCounts {
    return { ...this.counts };
  }

  reset(): void {
    this.counts = { reads: 0, writes: 0, polls: 0 };
  }

  /** The class of a request before it is sent. */
  classify(method: string, url: string): keyof ArmRequestCounts {
    const m = method.toUpperCase();
    const key = urlKey(url);
    if (m === "GET" || m === "HEAD") {
      if (this.statusUrls.has(key) || this.bodyPolled.has(key) || isOperationStatusUrl(url)) return "polls";
      return "reads";
    }
    if (m === "POST" && isReadOnlyAction(url)) return "reads";
    return "writes";
  }

  /** Learns polling URLs from a response. */
  observe(method: string, url: string, status: number, headers: { get(name: string): string | undefined }, body: string | undefined): void {
    const m = method.toUpperCase();
    const key = urlKey(url);
    if (m === "PUT" || m === "PATCH" || m === "DELETE" || m === "POST") {
      const async = headers.get("azure-asyncoperation");
      const location = headers.get("location");
      if (async) this.statusUrls.add(urlKey(async));
      if (location) this.statusUrls.add(urlKey(location));
      if (!async && !location && (m === "PUT" || m === "PATCH") && (status === 201 || status === 200 || status === 202)) {
        const state = provisioningStateOf(body);
        if (state !== undefined && !isTerminal(state)) this.bodyPolled.add(key);
      }
      return;
    }
    if (m === "GET" && this.bodyPolled.has(key)) {
      const state = provisioningStateOf(body);
      if (state === undefined || isTerminal(state) || status >= 400) this.bodyPolled.delete(key);
    }
  }

  count(kind: keyof ArmRequestCounts): void {
    this.counts[kind] += 1;
  }

  policy(): PipelinePolicy {
    return {
      name: "secureAmlRequestCounter",
      sendRequest: async (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
        this.count(this.classify(request.method, request.url));
        const response = await next(request);
        const body = response.bodyAsText ?? undefined;
        this.observe(request.method, request.url, response.status, { get: (n) => response.headers.get(n) }, body === null ? undefined : body);
        return response;
      },
    };
  }
}

function urlKey(url: string): string {
  try {
    const u = new URL(url);
    u.searchParams.delete("api-version");
    return `${u.host}${u.pathname}${u.search}`.toLowerCase();
  } catch {
    return url.toLowerCase();
  }
}

function isOperationStatusUrl(url: string): boolean {
  return (
    /\/(operationStatuses|operationResults|asyncOperations|operations)\/[^/?]+(\?|$)/i.test(url) ||
    /\/locations\/[^/]+\/(operationStatuses|operationResults|asyncoperations)\//i.test(url)
  );
}

function isReadOnlyAction(url: string): boolean {
  const path = url.split("?")[0] ?? url;
  return /\/checkNameAvailability$/i.test(path);
}

function provisioningStateOf(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") {
      const props = (parsed as { properties?: unknown }).properties;
      if (props && typeof props === "object") {
        const state = (props as { provisioningState?: unknown }).provisioningState;
        if (typeof state === "string") return state;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function isTerminal(state: string): boolean {
  return ["succeeded", "failed", "canceled", "cancelled"].includes(state.toLowerCase());
}

export interface AzureContextOptions {
  subscriptionId: string;
  /** ARM endpoint; default is the cloud's. */
  endpoint?: string;
  /** PEM text of the CA that signs the endpoint's certificate (the local emulator's). */
  caCertPem?: string;
  credential: TokenCredential;
  cloud: CloudName;
  /** Interval between LRO polls; the SDK's default is 2 s. The emulator sends Retry-After when it needs longer. */
  pollIntervalMs?: number;
  /** --record: a policy that logs every request and response, sanitized (src/azure/record.ts). */
  recorder?: { policy(): PipelinePolicy };
}

/** Options every LRO call passes. */
export interface LroOptions {
  updateIntervalInMs?: number;
  abortSignal?: AbortSignal;
}

export interface AzureContext {
  readonly subscriptionId: string;
  readonly cloud: CloudProfile;
  readonly endpoint: string;
  readonly counter: ArmRequestCounter;
  /** Options for a long-running call (poll interval, cancellation). */
  lro(signal?: AbortSignal): LroOptions;
  resources(): Promise<ResourceManagementClient>;
  network(): Promise<NetworkManagementClient>;
  storage(): Promise<StorageManagementClient>;
  keyVault(): Promise<KeyVaultManagementClient>;
  containerRegistry(): Promise<ContainerRegistryManagementClient>;
  machineLearning(): Promise<AzureMachineLearningWorkspaces>;
  privateDns(): Promise<PrivateDnsManagementClient>;
  operationalInsights(): Promise<OperationalInsightsManagementClient>;
  appInsights(): Promise<ApplicationInsightsManagementClient>;
  authorization(): Promise<AuthorizationManagementClient>;
  compute(): Promise<ComputeManagementClient>;
  devTestLabs(): Promise<DevTestLabsClient>;
  databricks(): Promise<AzureDatabricksManagementClient>;
  /** Tenant-level reads: subscriptions the account sees, their regions and tenant. */
  subscriptions(): Promise<SubscriptionClient>;
}

/** The options object every client constructor receives (generated and modular clients alike). */
interface SharedClientOptions {
  endpoint: string;
  credentialScopes: string[];
  credentials: { scopes: string[] };
  tlsOptions?: { ca: string };
  additionalPolicies: Array<{ policy: PipelinePolicy; position: "perCall" | "perRetry" }>;
  userAgentOptions: { userAgentPrefix: string };
}

/**
 * Every request of a context goes to the endpoint it was built for, and nowhere else: a response
 * could name another host (an Azure-AsyncOperation or Location URL, a nextLink) and the SDK would
 * follow it with the bearer token. This policy runs before the token is attached (perCall comes
 * before the Sign phase) and refuses such a request.
 */
export function sameOriginPolicy(endpoint: string): PipelinePolicy {
  const expected = originOf(endpoint);
  return {
    name: "secureAmlSameOrigin",
    sendRequest: async (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
      const origin = originOf(request.url);
      if (origin === undefined || origin !== expected) {
        throw new SecureAmlError(
          "FOREIGN_ENDPOINT_REFUSED",
          `Refused to send a request to ${origin ?? request.url}: this run talks only to ${endpoint} (a response pointed elsewhere; the Azure token is never sent to another host).`,
          ExitCode.failed,
        );
      }
      return next(request);
    },
  };
}

export function createAzureContext(opts: AzureContextOptions): AzureContext {
  const cloud = cloudProfile(opts.cloud);
  const endpoint = (opts.endpoint ?? cloud.armEndpoint).replace(/\/+$/, "");
  const counter = new ArmRequestCounter();
  const options: SharedClientOptions = {
    endpoint,
    credentialScopes: [cloud.armScope],
    credentials: { scopes: [cloud.armScope] },
    additionalPolicies: [
      { policy: sameOriginPolicy(endpoint), position: "perCall" },
      { policy: counter.policy(), position: "perRetry" },
      ...(opts.recorder ? [{ policy: opts.recorder.policy(), position: "perRetry" as const }] : []),
    ],
    userAgentOptions: { userAgentPrefix: "secure-aml" },
  };
  if (opts.caCertPem !== undefined) options.tlsOptions = { ca: opts.caCertPem };
  const { credential, subscriptionId } = opts;

  const cache = new Map<string, Promise<unknown>>();
  function lazy<T>(key: string, make: () => Promise<T>): () => Promise<T> {
    return () => {
      let client = cache.get(key) as Promise<T> | undefined;
      if (!client) {
        client = make();
        cache.set(key, client);
        // A failed import must not be cached forever.
        client.catch(() => cache.delete(key));
      }
      return client;
    };
  }

  return {
    subscriptionId,
    cloud,
    endpoint,
    counter,
    lro(signal?: AbortSignal): LroOptions {
      const o: LroOptions = {};
      if (opts.pollIntervalMs !== undefined) o.updateIntervalInMs = opts.pollIntervalMs;
      if (signal) o.abortSignal = signal;
      return o;
    },
    resources: lazy("resources", async () => new (await import("@azure/arm-resources")).ResourceManagementClient(credential, subscriptionId, options)),
    network: lazy("network", async () => new (await import("@azure/arm-network")).NetworkManagementClient(credential, subscriptionId, options)),
    storage: lazy("storage", async () => new (await import("@azure/arm-storage")).StorageManagementClient(credential, subscriptionId, options)),
    keyVault: lazy("keyVault", async () => new (await import("@azure/arm-keyvault")).KeyVaultManagementClient(credential, subscriptionId, options)),
    containerRegistry: lazy(
      "containerRegistry",
      async () => new (await import("@azure/arm-containerregistry")).ContainerRegistryManagementClient(credential, subscriptionId, options),
    ),
    machineLearning: lazy("machineLearning", async () => new (await import("@azure/arm-machinelearning")).AzureMachineLearningWorkspaces(credential, subscriptionId, options)),
    privateDns: lazy("privateDns", async () => new (await import("@azure/arm-privatedns")).PrivateDnsManagementClient(credential, subscriptionId, options)),
    operationalInsights: lazy(
      "operationalInsights",
      async () => new (await import("@azure/arm-operationalinsights")).OperationalInsightsManagementClient(credential, subscriptionId, options),
    ),
    appInsights: lazy("appInsights", async () => new (await import("@azure/arm-appinsights")).ApplicationInsightsManagementClient(credential, subscriptionId, options)),
    authorization: lazy("authorization", async () => new (await import("@azure/arm-authorization")).AuthorizationManagementClient(credential, subscriptionId, options)),
    compute: lazy("compute", async () => new (await import("@azure/arm-compute")).ComputeManagementClient(credential, subscriptionId, options)),
    devTestLabs: lazy("devTestLabs", async () => new (await import("@azure/arm-devtestlabs")).DevTestLabsClient(credential, subscriptionId, options)),
    databricks: lazy("databricks", async () => new (await import("@azure/arm-databricks")).AzureDatabricksManagementClient(credential, subscriptionId, options)),
    subscriptions: lazy("subscriptions", async () => new (await import("@azure/arm-resources-subscriptions")).SubscriptionClient(credential, options)),
  };
}

/** The subscription's Microsoft Entra tenant (key vaults need it); read once per context. */
export async function subscriptionTenantId(azure: AzureContext): Promise<string> {
  const cached = tenantCache.get(azure);
  if (cached) return cached;
  const lookup = (async () => {
    const subscription = await (await azure.subscriptions()).subscriptions.get(azure.subscriptionId);
    if (typeof subscription.tenantId !== "string") throw new Error(`could not read the tenant of subscription ${azure.subscriptionId}`);
    return subscription.tenantId;
  })();
  tenantCache.set(azure, lookup);
  lookup.catch(() => tenantCache.delete(azure));
  return lookup;
}
const tenantCache = new WeakMap<AzureContext, Promise<string>>();
