// Evaluates network security group rules for the flows Azure Machine Learning training needs
// (the training page and the tutorial's compute NSG tip), the way Azure does: rules in priority
// order, the first rule that matches a flow decides, Azure's default rules last. Service tags are
// matched by name (a rule on "Storage" covers "Storage"; "Internet" and "*" cover every Azure
// service tag; a regional tag such as "Storage.EastUS" covers only part of "Storage"). A Deny rule
// that covers part of a flow before the deciding rule is reported too, since it breaks that part.

import type { NetworkSecurityGroup, SecurityRule } from "@azure/arm-network";
import ipaddr from "ipaddr.js";
import { restrictedOutboundRules, trainingNsgRules, type NsgRule } from "../steps/training-nsg.js";

export interface RequiredFlow {
  direction: "Inbound" | "Outbound";
  protocol: "Tcp" | "Udp" | "*";
  /** The service tag at the far end (source for inbound, destination for outbound). */
  serviceTag: string;
  ports: string[];
  reason: string;
}

function flowsOf(rules: NsgRule[]): RequiredFlow[] {
  return rules
    .filter((r) => (r.access ?? "Allow") === "Allow" && !(r.direction === "Inbound" && r.ports.includes("22")))
    .map((r) => ({
      direction: r.direction,
      protocol: r.protocol,
      serviceTag: r.direction === "Inbound" ? r.source : r.destination,
      ports: r.ports,
      reason: r.reason,
    }));
}

/** Inbound flows the compute cluster and instance need; outbound flows training needs. */
export const REQUIRED_TRAINING_FLOWS: RequiredFlow[] = flowsOf(trainingNsgRules);

/**
 * With outbound restricted (--restrict-outbound): the same inbound flows, and exactly the outbound
 * flows of Microsoft's list, with regional tags in the workspace's region (the broader situational
 * ports such as 445 and 8787 are not required then).
 */
export function restrictedTrainingFlows(location: string, cloud: string): RequiredFlow[] {
  return [...REQUIRED_TRAINING_FLOWS.filter((f) => f.direction === "Inbound"), ...flowsOf(restrictedOutboundRules(location, cloud))];
}

/** SSH from Azure Machine Learning: needed only when a VM or HDInsight cluster is attached for training. */
export const ATTACHED_COMPUTE_SSH_FLOW: RequiredFlow = {
  direction: "Inbound",
  protocol: "*",
  serviceTag: "AzureMachineLearning",
  ports: ["22"],
  reason: "attached VM / HDInsight: SSH from Azure Machine Learning",
};

/** One of Azure's default rules: any protocol and port, from `source` to `destination`. */
function defaultRule(name: string, priority: number, direction: "Inbound" | "Outbound", access: "Allow" | "Deny", source: string, destination: string): SecurityRule {
  return { name, priority, direction, access, protocol: "*", sourceAddressPrefix: source, sourcePortRange: "*", destinationAddressPrefix: destination, destinationPortRange: "*" };
}

/** Azure's default rules (present in every NSG, lowest priority). */
const DEFAULT_RULES: SecurityRule[] = [
  defaultRule("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
  defaultRule("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
  defaultRule("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
  defaultRule("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
  defaultRule("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
  defaultRule("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
];

type Match = "full" | "partial" | "none";

const ANY = new Set(["*", "any", "0.0.0.0/0", "::/0"]);
/** Tags that are not public Azure service address space. */
const PRIVATE_TAGS = new Set(["virtualnetwork", "azureloadbalancer"]);

function isAddress(text: string): boolean {
  return ipaddr.isValid(text.split("/")[0] ?? "");
}

/** How a rule's prefix covers a service tag (the far end of a flow). */
function coversServiceTag(prefix: string, tag: string): Match {
  const p = prefix.trim().toLowerCase();
  const t = tag.toLowerCase();
  if (ANY.has(p)) return "full";
  if (p === t) return "full";
  if (p === "internet") return PRIVATE_TAGS.has(t) ? "none" : "full";
  // "Storage" covers "Storage.EastUS"; "Storage.EastUS" covers part of "Storage".
  if (t.startsWith(`${p}.`)) return "full";
  if (p.startsWith(`${t}.`)) return "partial";
  // An IP range may hold some of a service's addresses; without the service tag file we cannot tell.
  return "none";
}

/** How a rule's prefix covers the Training subnet (the near end of a flow). */
function coversSubnet(prefix: string, subnetPrefixes: string[]): Match {
  const p = prefix.trim().toLowerCase();
  if (ANY.has(p) || p === "virtualnetwork") return "full";
  if (!isAddress(p)) return "none";
  let best: Match = "none";
  for (const subnet of subnetPrefixes) {
    try {
      const [ruleAddr, ruleBits] = ipaddr.parseCIDR(p.includes("/") ? p : `${p}/${ipaddr.parse(p).kind() === "ipv4" ? 32 : 128}`);
      const [subAddr, subBits] = ipaddr.parseCIDR(subnet);
      if (ruleAddr.kind() !== subAddr.kind()) continue;
      if (ruleBits <= subBits && subAddr.match(ruleAddr, ruleBits)) return "full";
      if (ruleBits > subBits && ruleAddr.match(subAddr, subBits)) best = "partial";
    } catch {
      /* not a CIDR we understand */
    }
  }
  return best;
}

function prefixesOf(single: string | undefined, many: string[] | undefined): string[] {
  const list = [...(many ?? [])];
  if (single !== undefined && single !== "") list.push(single);
  return list;
}

function best(matches: Match[]): Match {
  if (matches.includes("full")) return "full";
  return matches.includes("partial") ? "partial" : "none";
}

function portCovers(range: string, port: number): boolean {
  const r = range.trim();
  if (r === "*") return true;
  const [lo, hi] = r.split("-").map((x) => Number(x.trim()));
  if (lo === undefined || Number.isNaN(lo)) return false;
  return port >= lo && port <= (hi === undefined || Number.isNaN(hi) ? lo : hi);
}

function protocolCovers(ruleProtocol: string | undefined, flow: RequiredFlow["protocol"]): Match {
  const r = (ruleProtocol ?? "*").toLowerCase();
  if (r === "*" || r === "any") return "full";
  if (flow === "*") return r === "tcp" || r === "udp" ? "partial" : "none";
  return r === flow.toLowerCase() ? "full" : "none";
}

function combine(...matches: Match[]): Match {
  if (matches.includes("none")) return "none";
  return matches.includes("partial") ? "partial" : "full";
}

/** Expands "29876-29877" into [29876, 29877] (small ranges only, as the required ones are). */
function expandPorts(ports: string[]): number[] {
  const out: number[] = [];
  for (const p of ports) {
    const [lo, hi] = p.split("-").map(Number);
    if (lo === undefined || Number.isNaN(lo)) continue;
    for (let n = lo; n <= (hi ?? lo); n++) out.push(n);
  }
  return out;
}

export interface BlockedFlow {
  flow: RequiredFlow;
  port: number;
  /** The rule that blocks the flow (or part of it). */
  rule: string;
  priority: number;
  partial: boolean;
}

function ruleMatch(rule: SecurityRule, flow: RequiredFlow, port: number, subnetPrefixes: string[]): Match {
  if ((rule.direction ?? "").toLowerCase() !== flow.direction.toLowerCase()) return "none";
  const sources = prefixesOf(rule.sourceAddressPrefix, rule.sourceAddressPrefixes);
  const destinations = prefixesOf(rule.destinationAddressPrefix, rule.destinationAddressPrefixes);
  const far = flow.direction === "Inbound" ? sources : destinations;
  const near = flow.direction === "Inbound" ? destinations : sources;
  // Application security groups name NICs, not the whole subnet: they cover part of it at most.
  const nearAsg = (flow.direction === "Inbound" ? rule.destinationApplicationSecurityGroups : rule.sourceApplicationSecurityGroups) ?? [];
  const farMatch = best(far.map((p) => coversServiceTag(p, flow.serviceTag)));
  const nearMatch = best([...near.map((p) => coversSubnet(p, subnetPrefixes)), ...(nearAsg.length > 0 ? ["partial" as const] : [])]);
  const destPorts = prefixesOf(rule.destinationPortRange, rule.destinationPortRanges);
  const portMatch: Match = destPorts.some((r) => portCovers(r, port)) ? "full" : "none";
  const sourcePorts = prefixesOf(rule.sourcePortRange, rule.sourcePortRanges);
  const sourcePortMatch: Match = sourcePorts.length === 0 || sourcePorts.some((r) => r.trim() === "*") ? "full" : "partial";
  return combine(farMatch, nearMatch, portMatch, sourcePortMatch, protocolCovers(rule.protocol, flow.protocol));
}

/**
 * The required flows (each port) an NSG blocks, wholly or partly. `subnetPrefixes` are the address
 * prefixes of the subnet the NSG is attached to.
 */
export function blockedFlows(nsg: NetworkSecurityGroup, subnetPrefixes: string[], flows: RequiredFlow[]): BlockedFlow[] {
  const custom = [...(nsg.securityRules ?? [])].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
  const defaults = nsg.defaultSecurityRules && nsg.defaultSecurityRules.length > 0 ? nsg.defaultSecurityRules : DEFAULT_RULES;
  const rules = [...custom, ...[...defaults].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))];
  const blocked: BlockedFlow[] = [];
  for (const flow of flows) {
    for (const port of expandPorts(flow.ports)) {
      for (const rule of rules) {
        const match = ruleMatch(rule, flow, port, subnetPrefixes);
        if (match === "none") continue;
        const deny = (rule.access ?? "").toLowerCase() === "deny";
        if (deny) blocked.push({ flow, port, rule: rule.name ?? "(unnamed)", priority: rule.priority ?? 0, partial: match === "partial" });
        if (match === "full" || deny) break;
      }
    }
  }
  return blocked;
}
