// The ARM part of a request, in ARM's order (docs/emulator.md "Order of checks"): authentication, the
// api-version parameter, the URI, the JSON body, the subscription's world, then the route by its path
// below `/subscriptions` (ARM's own subscription routes here; resource groups, providers and resources
// in their modules).
import { locationsBody, RESOURCES_API_VERSIONS, subscriptionBody, SUBSCRIPTIONS_API_VERSIONS } from "../providers/resources.js";
import { ArmError, type Json } from "../types.js";
import { isObject, sameText } from "./common.js";
import { genericList } from "./listing.js";
import { subscriptionProvidersRoute } from "./provider-routes.js";
import { invalidRequestUri, requireApiVersion, requireMethod, type Reply, type RequestState } from "./request.js";
import { resourceGroupRoute } from "./resource-groups.js";
import { isGuid, subscriptionIdOf, subscriptionOfId } from "./routing.js";
import type { World } from "./store.js";
import { checkWorld } from "./world-checks.js";

type Core = Parameters<typeof subscriptionProvidersRoute>[0];

/** The subscription the emulator lists by default. Any GUID-form subscription ID is accepted and exists. */
export const EMULATOR_SUBSCRIPTION_ID = "00000000-0000-4000-8000-0000000000e1";

export async function dispatch(core: Core, state: RequestState): Promise<Reply> {
  const { headers, segments, method } = state;
  const authorization = headers["authorization"];
  if (authorization === undefined) {
    throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
  }
  if (!/^Bearer\s+\S+/i.test(authorization)) {
    throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.");
  }
  if (state.apiVersion === undefined || state.apiVersion === "") {
    throw new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  }
  if (!sameText(segments[0], "subscriptions")) throw invalidRequestUri(state);
  if (state.rawBody.trim().length > 0) {
    try {
      const parsed = JSON.parse(state.rawBody) as Json;
      if (!isObject(parsed)) throw new Error("the body is not a JSON object");
      state.body = parsed;
    } catch (error) {
      throw new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${(error as Error).message}'.`);
    }
  }
  checkWorld(core, state);
  if (segments.length === 1) {
    requireMethod(method, ["GET"]);
    requireApiVersion(state.apiVersion, SUBSCRIPTIONS_API_VERSIONS);
    return { status: 200, body: { value: knownSubscriptions(core.world).map((id) => subscriptionBody(id)) } };
  }
  const subscriptionId = segments[1]!;
  if (!isGuid(subscriptionId)) {
    throw new ArmError(400, "InvalidSubscriptionId", `The provided subscription identifier '${subscriptionId}' is malformed or invalid.`);
  }
  const rest = segments.slice(2);
  if (rest.length === 0) {
    requireMethod(method, ["GET"]);
    requireApiVersion(state.apiVersion, SUBSCRIPTIONS_API_VERSIONS);
    return { status: 200, body: subscriptionBody(subscriptionId) };
  }
  const head = rest[0]!.toLowerCase();
  if (head === "locations" && rest.length === 1) {
    requireMethod(method, ["GET"]);
    requireApiVersion(state.apiVersion, SUBSCRIPTIONS_API_VERSIONS);
    return { status: 200, body: locationsBody(subscriptionId) };
  }
  if (head === "operationresults" && rest.length === 2) {
    requireMethod(method, ["GET"]);
    return core.operations.result(rest[1]!, subscriptionId);
  }
  if (head === "resources" && rest.length === 1) {
    requireMethod(method, ["GET"]);
    requireApiVersion(state.apiVersion, RESOURCES_API_VERSIONS);
    return { status: 200, body: { value: genericList(core, subscriptionIdOf(subscriptionId)) } };
  }
  if (head === "resourcegroups") return resourceGroupRoute(core, state, subscriptionId, rest.slice(1));
  if (head === "providers") return subscriptionProvidersRoute(core, state, subscriptionId, rest);
  throw invalidRequestUri(state);
}

/** The default subscription and every subscription the world holds a record in. */
function knownSubscriptions(world: World): string[] {
  const ids = new Map<string, string>([[EMULATOR_SUBSCRIPTION_ID, EMULATOR_SUBSCRIPTION_ID]]);
  for (const record of world.all()) {
    const subscription = subscriptionOfId(record.id);
    if (subscription !== undefined && !ids.has(subscription.toLowerCase())) ids.set(subscription.toLowerCase(), subscription);
  }
  return [...ids.values()];
}
