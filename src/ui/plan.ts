// The plan view: every resource with its kind, name and action, grouped the way the tutorial draws
// the architecture (VNet and subnets; what sits in Training; the private-linked services and their
// DNS zones; remote access; monitoring and other global resources).

import type { PlannedResource } from "../engine/types.js";
import { formatChange, formatEstimate, plural, shortKind } from "./format.js";
import type { PlanEstimate } from "./types.js";
import { formatMoney, renderCost, type CostEstimate } from "../pricing/estimate.js";

export type PlanSectionId = "resource-group" | "network" | "training" | "services" | "dns" | "access" | "global" | "other";

export const PLAN_SECTIONS: ReadonlyArray<{ id: PlanSectionId; title: string }> = [
  { id: "resource-group", title: "Resource group" },
  { id: "network", title: "Virtual network and its subnets (Training, Scoring, AzureBastionSubnet)" },
  { id: "training", title: "In the Training subnet: private endpoints, jump box, computes" },
  { id: "services", title: "Private-linked services (reachable only through their private endpoints)" },
  { id: "dns", title: "Private DNS zones linked to the VNet (resolve the services to private addresses)" },
  { id: "access", title: "Remote access: Azure Bastion" },
  { id: "global", title: "Monitoring, identity and other global resources" },
  { id: "other", title: "Other" },
];

// Resource kinds (lower-case) to sections. Sub-resources inherit their parent's section unless listed.
const KIND_SECTIONS: ReadonlyArray<[prefix: string, section: PlanSectionId]> = [
  ["microsoft.resources/resourcegroups", "resource-group"],
  ["microsoft.network/privatednszones", "dns"],
  ["microsoft.network/privateendpoints", "training"],
  ["microsoft.network/networkinterfaces", "training"],
  ["microsoft.compute/virtualmachines", "training"],
  ["microsoft.devtestlab/schedules", "training"],
  ["microsoft.machinelearningservices/workspaces/computes", "training"],
  ["microsoft.network/virtualnetworks", "network"],
  ["microsoft.network/networksecuritygroups", "network"],
  ["microsoft.network/bastionhosts", "access"],
  ["microsoft.network/publicipaddresses", "access"],
  ["microsoft.storage/storageaccounts", "services"],
  ["microsoft.keyvault/vaults", "services"],
  ["microsoft.containerregistry/registries", "services"],
  ["microsoft.machinelearningservices/workspaces", "services"],
  ["microsoft.insights/privatelinkscopes", "services"],
  ["microsoft.insights/components", "global"],
  ["microsoft.operationalinsights/workspaces", "global"],
  ["microsoft.authorization/roleassignments", "global"],
];

// The `group` a step sets, for kinds this view does not know.
const GROUP_SECTIONS: Readonly<Record<string, PlanSectionId>> = {
  "resource-group": "resource-group",
  network: "network",
  vnet: "network",
  "training-subnet": "training",
  training: "training",
  "private-link": "services",
  services: "services",
  "private-dns": "dns",
  dns: "dns",
  access: "access",
  bastion: "access",
  global: "global",
  monitoring: "global",
};

/** The architecture section a planned resource belongs to. */
export function planSection(resource: Pick<PlannedResource, "kind" | "group">): PlanSectionId {
  const kind = resource.kind.toLowerCase();
  // Longest prefix first, so that workspaces/computes wins over workspaces.
  let best: [string, PlanSectionId] | undefined;
  for (const entry of KIND_SECTIONS) {
    if ((kind === entry[0] || kind.startsWith(entry[0] + "/")) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  if (best) return best[1];
  return GROUP_SECTIONS[resource.group] ?? "other";
}

export interface PlanGroup {
  id: PlanSectionId;
  title: string;
  resources: PlannedResource[];
}

/** Planned resources by architecture section, in the tutorial's order; empty sections left out. */
export function groupPlan(planned: readonly PlannedResource[]): PlanGroup[] {
  return PLAN_SECTIONS.map((s) => ({
    id: s.id,
    title: s.title,
    resources: planned.filter((p) => planSection(p) === s.id),
  })).filter((g) => g.resources.length > 0);
}

const ACTION_MARK: Readonly<Record<PlannedResource["action"], string>> = { create: "+", update: "~", recreate: "±", none: "=" };
const ACTION_WORD: Readonly<Record<PlannedResource["action"], string>> = {
  create: "create",
  update: "update",
  recreate: "recreate",
  none: "exists",
};

/** The plan as text (no colour codes, so it reads the same in every output mode). */
export function renderPlan(planned: readonly PlannedResource[], estimate?: PlanEstimate, cost?: CostEstimate): string {
  const lines: string[] = [];
  // The cost column: what each resource costs a month while everything runs (blank when free or billed by use).
  const costs = new Map((cost?.resources ?? []).map((c) => [c.id.toLowerCase(), c]));
  const costColumn = (r: PlannedResource): string => {
    const c = costs.get(r.id.toLowerCase());
    if (!c || !cost) return "";
    if (c.estimatedMonthlyCost === null) return "   (no price)";
    return c.estimatedMonthlyCost > 0 ? `   ${formatMoney(c.estimatedMonthlyCost, cost.currency)}/month` : "";
  };
  const groups = groupPlan(planned);
  const kindWidth = Math.min(40, Math.max(0, ...planned.map((p) => shortKind(p.kind).length)));
  const nameWidth = Math.min(45, Math.max(0, ...planned.map((p) => p.name.length)));
  for (const group of groups) {
    lines.push(group.title);
    for (const r of group.resources) {
      const row = `  ${ACTION_MARK[r.action]} ${ACTION_WORD[r.action].padEnd(6)}  ${shortKind(r.kind).padEnd(kindWidth)}  ${r.name}`;
      const money = costColumn(r);
      lines.push(money ? `${row.padEnd(14 + kindWidth + nameWidth)}${money}` : row);
      for (const change of r.changes ?? []) lines.push(`             ~ ${formatChange(change)}`);
    }
    lines.push("");
  }
  const count = (a: PlannedResource["action"]) => planned.filter((p) => p.action === a).length;
  const creates = count("create");
  const updates = count("update") + count("recreate");
  const unchanged = count("none");
  lines.push(planned.length === 0 ? "Nothing to do." : `${plural(creates, "resource")} to create, ${updates} to update, ${unchanged} already as wanted.`);
  if (estimate && (creates > 0 || updates > 0)) {
    lines.push(
      `Expected time on Azure: ${formatEstimate(estimate.criticalPathSeconds)} ` +
        `(steps run in parallel where they can; ${formatEstimate(estimate.sequentialSeconds)} one after another).`,
    );
  }
  lines.push(`Legend: + create   ~ update${count("recreate") > 0 ? "   ± delete (Failed) and create again" : ""}   = exists and stays as it is`);
  if (cost) {
    lines.push("");
    lines.push(renderCost(cost, { perResource: false }).trimEnd());
  }
  return lines.join("\n") + "\n";
}
