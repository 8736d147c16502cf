// Network security groups and their security rules.
// Part of the Microsoft.Network provider (network.ts); rules and sources: docs/emulator-network.md.
import { asArray, asObject, asString, isObject, sameText } from "../core/common.js";
import type { HandlerContext, Json, JsonObject, ResourceRecord, ResourceStore, ResourceTypeHandler } from "../types.js";
import { ASYNC_LRO, NETWORK_API_VERSIONS, badRequest, clone, lastSegment, propertiesOf, refId, weakEtag } from "./network-common.js";
import { latencyOf } from "../../durations.js";
import {
  NIC,
  NSG,
  SECURITY_RULE,
  SUBNET,
  baseBody,
  childBody,
  matchEnum,
  patchTags,
  resourceGuidOf,
  sameChildProperties,
  referringRecords,
  setReferences,
} from "./network-shared.js";

// Network security groups and their rules

export const DEFAULT_SECURITY_RULES: Array<[string, string, number, "Inbound" | "Outbound", "Allow" | "Deny", string, string]> = [
  ["AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"],
  ["AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"],
  ["DenyAllInBound", "Deny all inbound traffic", 65500, "Inbound", "Deny", "*", "*"],
  ["AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"],
  ["AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", 65001, "Outbound", "Allow", "*", "Internet"],
  ["DenyAllOutBound", "Deny all outbound traffic", 65500, "Outbound", "Deny", "*", "*"],
];

export function defaultSecurityRules(ctx: HandlerContext, nsgId: string): Json[] {
  return DEFAULT_SECURITY_RULES.map(([name, description, priority, direction, access, source, destination]) => ({
    id: `${nsgId}/defaultSecurityRules/${name}`,
    name,
    type: "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
    etag: weakEtag(ctx.guid()),
    properties: {
      provisioningState: "Succeeded",
      description,
      protocol: "*",
      sourcePortRange: "*",
      destinationPortRange: "*",
      sourceAddressPrefix: source,
      destinationAddressPrefix: destination,
      access,
      priority,
      direction,
      sourcePortRanges: [],
      destinationPortRanges: [],
      sourceAddressPrefixes: [],
      destinationAddressPrefixes: [],
    },
  }));
}

export function normalizeSecurityRule(ruleId: string, input: JsonObject): JsonObject {
  const name = lastSegment(ruleId);
  const missing = ["protocol", "access", "priority", "direction"].filter((key) => input[key] === undefined);
  if (missing.length > 0) {
    throw badRequest("SecurityRuleParameterMissing", `Security rule ${name} is missing required properties: ${missing.join(", ")}.`);
  }
  const priority = input.priority;
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 100 || priority > 4096) {
    throw badRequest("SecurityRuleInvalidPriority", `Security rule ${name} has invalid Priority ${String(priority)}. Value provided: ${String(priority)} Allowed range 100-4096.`);
  }
  const properties: JsonObject = {
    protocol: matchEnum(asString(input.protocol) ?? "", ["Tcp", "Udp", "Icmp", "Esp", "*", "Ah"], "protocol"),
    access: matchEnum(asString(input.access) ?? "", ["Allow", "Deny"], "access"),
    priority,
    direction: matchEnum(asString(input.direction) ?? "", ["Inbound", "Outbound"], "direction"),
    sourcePortRanges: clone(asArray(input.sourcePortRanges)),
    destinationPortRanges: clone(asArray(input.destinationPortRanges)),
    sourceAddressPrefixes: clone(asArray(input.sourceAddressPrefixes)),
    destinationAddressPrefixes: clone(asArray(input.destinationAddressPrefixes)),
  };
  for (const key of ["description", "sourcePortRange", "destinationPortRange", "sourceAddressPrefix", "destinationAddressPrefix"]) {
    const value = asString(input[key]);
    if (value !== undefined) properties[key] = value;
  }
  for (const key of ["sourceApplicationSecurityGroups", "destinationApplicationSecurityGroups"]) {
    if (Array.isArray(input[key])) properties[key] = clone(input[key] as Json[]);
  }
  return properties;
}

export function checkRuleConflicts(rules: Array<{ id: string; properties: JsonObject }>): void {
  const seen = new Map<string, string>();
  for (const rule of rules) {
    const key = `${String(rule.properties.direction)}:${String(rule.properties.priority)}`;
    const other = seen.get(key);
    if (other) {
      throw badRequest(
        "SecurityRuleConflict",
        `Security rule ${lastSegment(rule.id)} conflicts with rule ${lastSegment(other)}. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules.`,
      );
    }
    seen.set(key, rule.id);
  }
}

export function nsgView(store: ResourceStore, record: ResourceRecord): JsonObject {
  const body = clone(record.body);
  const properties = asObject(body.properties);
  properties.securityRules = store.children(record.id, SECURITY_RULE).map((rule) => clone(rule.body));
  setReferences(
    properties,
    "subnets",
    referringRecords(store, SUBNET, "networkSecurityGroup", record.id).map((subnet) => ({ id: subnet.id })),
  );
  setReferences(
    properties,
    "networkInterfaces",
    referringRecords(store, NIC, "networkSecurityGroup", record.id).map((nic) => ({ id: nic.id })),
  );
  body.properties = properties;
  return body;
}

export const nsgHandler: ResourceTypeHandler = {
  type: NSG,
  apiVersions: NETWORK_API_VERSIONS,
  location: "required",
  lro: ASYNC_LRO,
  latency: latencyOf(NSG),
  put(ctx, req) {
    const input = propertiesOf(req.body);
    const rules = asArray(input.securityRules).map((item) => {
      const rule = asObject(item);
      const name = asString(rule.name);
      if (!name) throw badRequest("InvalidRequestFormat", `A security rule of ${ctx.id} has no name.`);
      const id = ctx.store.get(`${ctx.id}/securityRules/${name}`)?.id ?? `${ctx.id}/securityRules/${name}`;
      return { id, name, properties: normalizeSecurityRule(id, propertiesOf(rule)) };
    });
    checkRuleConflicts(rules);
    // A PUT replaces the rule set: rules it does not list are removed.
    const wanted = new Set(rules.map((rule) => rule.name.toLowerCase()));
    for (const child of ctx.store.children(ctx.id, SECURITY_RULE)) {
      if (!wanted.has(child.name.toLowerCase())) ctx.store.remove(child.id);
    }
    const inline: Json[] = [];
    for (const rule of rules) {
      const existing = ctx.store.get(rule.id);
      if (existing && sameChildProperties(propertiesOf(existing.body), rule.properties)) {
        inline.push(clone(existing.body));
        continue;
      }
      const body = childBody(rule.id, existing?.name ?? rule.name, SECURITY_RULE, weakEtag(ctx.guid()), rule.properties);
      ctx.store.upsert({
        id: rule.id,
        type: SECURITY_RULE,
        name: existing?.name ?? rule.name,
        resourceGroup: ctx.resourceGroup,
        subscriptionId: ctx.subscriptionId,
        apiVersion: ctx.apiVersion,
        body,
        ...(existing ? { createdAt: existing.createdAt } : {}),
      });
      inline.push(body);
    }
    const body = baseBody(ctx, req);
    body.properties = {
      securityRules: inline,
      defaultSecurityRules: isObject(req.existing?.body.properties) ? clone(asArray(propertiesOf(req.existing?.body).defaultSecurityRules)) : defaultSecurityRules(ctx, ctx.id),
      resourceGuid: resourceGuidOf(ctx, req.existing),
    };
    if (asArray(asObject(body.properties).defaultSecurityRules).length === 0) asObject(body.properties).defaultSecurityRules = defaultSecurityRules(ctx, ctx.id);
    if (typeof input.flushConnection === "boolean") asObject(body.properties).flushConnection = input.flushConnection;
    return body;
  },
  patch: patchTags,
  beforeDelete(ctx, record) {
    const view = nsgView(ctx.store, record);
    const users = [...asArray(propertiesOf(view).subnets), ...asArray(propertiesOf(view).networkInterfaces)].map((item) => refId(item) ?? "");
    if (users.length > 0) {
      throw badRequest(
        "InUseNetworkSecurityGroupCannotBeDeleted",
        `Network security group ${record.id} cannot be deleted because it is in use by the following resources: ${users.join(", ")}. In order to delete the Network security group, remove the association with the resource(s).`,
      );
    }
  },
  view(ctx, record) {
    return nsgView(ctx.store, record);
  },
};

export const securityRuleHandler: ResourceTypeHandler = {
  type: SECURITY_RULE,
  apiVersions: NETWORK_API_VERSIONS,
  location: "none",
  lro: ASYNC_LRO,
  latency: latencyOf(SECURITY_RULE),
  put(ctx, req) {
    const nsgId = ctx.parentId(ctx.id) ?? "";
    const properties = normalizeSecurityRule(ctx.id, propertiesOf(req.body));
    const siblings = ctx.store
      .children(nsgId, SECURITY_RULE)
      .filter((rule) => !sameText(rule.id, ctx.id))
      .map((rule) => ({ id: rule.id, properties: propertiesOf(rule.body) }));
    checkRuleConflicts([...siblings, { id: ctx.id, properties }]);
    return { etag: weakEtag(ctx.guid()), properties };
  },
};
