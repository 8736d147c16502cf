// `/subscriptions/{id}/providers[/...]`: the emulator's own operation polls, the providers' routes
// (checkNameAvailability, deleted vaults, purges, usages ...), the providers list and registration, and
// subscription-level resources (extension of `/subscriptions/{id}`).
import { operationDurationMs } from "../latency.js";
import { RESOURCES_API_VERSIONS } from "../providers/resources.js";
import { providerBody } from "../providers/subscription.js";
import { ArmError } from "../types.js";
import { PROVIDER_REGISTRATION_SECONDS } from "../world.js";
import { sameText } from "./common.js";
import {
  invalidRequestUri,
  OPERATION_RESULTS_SEGMENT,
  OPERATION_STATUS_SEGMENT,
  queryOf,
  requireApiVersion,
  requireMethod,
  requireTypeApiVersion,
  type EmulatorCore,
  type Reply,
  type RequestState,
} from "./request.js";
import { resourceRoute } from "./resource-route.js";
import { parseResourcePath, subscriptionIdOf } from "./routing.js";

type Core = Parameters<typeof resourceRoute>[0] & Pick<EmulatorCore, "latency">;

/** `rest`: the path after `/subscriptions/{id}`, starting with `providers`. */
export async function subscriptionProvidersRoute(core: Core, state: RequestState, subscriptionId: string, rest: string[]): Promise<Reply> {
  const { method } = state;
  const { registry, operations } = core;
  const apiVersion = state.apiVersion ?? "";
  // providers/{ns}/locations/{loc}/operationStatuses|operationResults/{id}: the emulator's own operation routes.
  if (rest.length === 6 && sameText(rest[2], "locations") && method === "GET") {
    if (sameText(rest[4], OPERATION_STATUS_SEGMENT)) return operations.status(rest[5]!, subscriptionId);
    if (sameText(rest[4], OPERATION_RESULTS_SEGMENT)) return operations.result(rest[5]!, subscriptionId);
  }
  const after = rest.slice(1);
  const routeMatch = registry.matchRoute(method, after);
  if (routeMatch) {
    const { route, params } = routeMatch;
    requireTypeApiVersion(apiVersion, { type: `${routeMatch.provider.namespace}/${after.slice(1).join("/")}`, apiVersions: route.apiVersions });
    await core.findings.validateRequest(state);
    const ctx = core.records.context(subscriptionId, subscriptionIdOf(subscriptionId), subscriptionId, undefined, apiVersion);
    const { id: _id, name: _name, resourceGroup: _resourceGroup, ...routeCtx } = ctx;
    const response = await route.handle(routeCtx, params, { body: state.body ?? {}, query: queryOf(state) });
    if (response.longRunningSeconds === undefined) return { status: response.status, body: response.body };
    const operation = operations.startDetached(state, subscriptionId, routeMatch.provider.namespace, response.longRunningSeconds);
    operation.result = response.body ?? null;
    operation.resultStatus = response.status === 202 ? 200 : response.status;
    const headers: Record<string, string> = { Location: operations.url(operation, "results") };
    operations.setRetryAfter(headers, operation);
    return { status: 202, headers };
  }
  if (rest.length === 1) {
    requireMethod(method, ["GET"]);
    requireApiVersion(apiVersion, RESOURCES_API_VERSIONS);
    const world = core.subscriptionWorld;
    return { status: 200, body: { value: registry.providers().map((provider) => providerBody(subscriptionId, provider, world.registrationState(provider.namespace))) } };
  }
  const provider = registry.provider(rest[1]!);
  if (rest.length === 2 || (rest.length === 3 && sameText(rest[2], "register") && method === "POST")) {
    requireMethod(method, rest.length === 2 ? ["GET"] : ["POST"]);
    requireApiVersion(apiVersion, RESOURCES_API_VERSIONS);
    if (!provider) throw new ArmError(404, "InvalidResourceNamespace", `The resource namespace '${rest[1]}' is invalid.`);
    // Register answers at once with "Registering"; the namespace is Registered after a realistic delay.
    const registrationState =
      rest.length === 3
        ? core.subscriptionWorld.register(provider.namespace, operationDurationMs(core.latency, PROVIDER_REGISTRATION_SECONDS))
        : core.subscriptionWorld.registrationState(provider.namespace);
    return { status: 200, body: providerBody(subscriptionId, provider, registrationState) };
  }
  const resourcePath = parseResourcePath(subscriptionIdOf(subscriptionId), rest);
  if (!resourcePath) throw invalidRequestUri(state);
  return resourceRoute(core, state, subscriptionId, resourcePath);
}
