// The estimated cost of a deployment: each planned resource priced from a price table (offline or
// refreshed live), per hour while it runs and per month (730 hours), with what `secure-aml stop` saves
// (it deallocates the jump box and the compute instance; their disks stay and keep costing).

import type { DeploymentConfig } from "../config/types.js";
import { vmPriceKey, type PriceEntry, type PriceTable } from "./table.js";

/** Azure's month for hourly prices (8760 hours / 12). */
export const HOURS_PER_MONTH = 730;

export interface ResourceCost {
  id: string;
  kind: string;
  name: string;
  /** Cost per hour while it runs (null: no price known for it). */
  hourly: number | null;
  /** Cost per month when it runs all month (null: no price known). */
  estimatedMonthlyCost: number | null;
  /** Part of the hourly cost that `secure-aml stop` saves. */
  stoppableHourly: number;
  /** How it is billed, in a few words. */
  basis: string;
}

export interface CostEstimate {
  currency: string;
  /** The region the prices are for, and the region deployed to (they may differ with the offline table). */
  priceRegion: string;
  region: string;
  source: string;
  url: string;
  /** The date of the price list. */
  priceDate: string;
  /** "offline" (the bundled table) or "live" (fetched from the Retail Prices API for this run). */
  prices: "offline" | "live";
  resources: ResourceCost[];
  total: { hourly: number; estimatedMonthlyCost: number };
  /** What stopping the jump box and compute instance saves. */
  stopSaves: { hourly: number; estimatedMonthlyCost: number };
  /** Caveats (usage-based meters, sizes without a price). */
  notes: string[];
}

interface Priced {
  hourly: number;
  fixedMonthly?: number;
  stoppable?: boolean;
  basis: string;
}

function hourlyOf(entry: PriceEntry): number {
  if (entry.unitOfMeasure === "1 Hour") return entry.retailPrice;
  if (entry.unitOfMeasure === "1/Day") return entry.retailPrice / 24;
  return entry.retailPrice / HOURS_PER_MONTH;
}

function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Types billed by the hour (or day) while they exist: the price table's key and what the price covers. */
const FIXED_HOURLY: ReadonlyArray<[kind: string, key: string, basis: string]> = [
  ["microsoft.network/bastionhosts", "bastion-standard", "Bastion Standard, per hour while it exists (cannot be stopped)"],
  ["microsoft.network/publicipaddresses", "public-ip-standard", "Standard static IPv4, per hour"],
  ["microsoft.containerregistry/registries", "registry-premium", "Premium registry, per day"],
  ["microsoft.network/privateendpoints", "private-endpoint", "per endpoint-hour (+ data processed)"],
];

const USAGE_BASED: ReadonlyArray<[prefix: string, basis: string]> = [
  ["microsoft.storage/storageaccounts", "billed by use (GB stored, transactions)"],
  ["microsoft.keyvault/vaults", "billed by use (operations)"],
  ["microsoft.operationalinsights/workspaces", "billed by use (GB ingested)"],
  ["microsoft.insights/components", "billed by use (GB ingested)"],
];

/** Prices planned resources with `table`; `mode` says where the table came from. */
export function estimateCost(
  resources: ReadonlyArray<{ id: string; kind: string; name: string }>,
  config: DeploymentConfig,
  table: PriceTable,
  mode: "offline" | "live" = "offline",
): CostEstimate {
  const byKey = new Map(table.entries.map((e) => [e.key, e]));
  const notes: string[] = [];
  const price = (key: string): number | undefined => {
    const entry = byKey.get(key);
    return entry ? hourlyOf(entry) : undefined;
  };
  const vm = (os: "linux" | "windows", size: string): number | undefined => {
    const p = price(vmPriceKey(os, size));
    if (p === undefined) notes.push(`No price for ${size} (${os}) in the table: not counted; \`--prices live\` looks it up.`);
    return p;
  };

  const priceOf = (r: { kind: string; name: string }): Priced | null | undefined => {
    const kind = r.kind.toLowerCase();
    const fixed = FIXED_HOURLY.find(([k]) => kind === k);
    if (fixed) {
      const p = price(fixed[1]);
      return p === undefined ? null : { hourly: p, basis: fixed[2] };
    }
    if (kind === "microsoft.network/privatednszones") {
      const p = price("private-dns-zone");
      return p === undefined ? null : { hourly: 0, fixedMonthly: p * HOURS_PER_MONTH, basis: "per zone per month (+ queries)" };
    }
    if (kind === "microsoft.compute/virtualmachines") {
      const p = vm("windows", config.jumpboxSize);
      const disk = price("disk-standardssd-e10");
      if (p === undefined) return null;
      return {
        hourly: p,
        fixedMonthly: disk !== undefined ? disk * HOURS_PER_MONTH : undefined,
        stoppable: true,
        basis: `${config.jumpboxSize} Windows while running; its disk also when stopped`,
      };
    }
    if (kind === "microsoft.machinelearningservices/workspaces/computes") {
      if (r.name === config.computeInstance) {
        const p = vm("linux", config.instanceVmSize);
        return p === undefined ? null : { hourly: p, stoppable: true, basis: `${config.instanceVmSize} while running` };
      }
      if (r.name === config.computeCluster) {
        const p = vm("linux", config.clusterVmSize);
        if (p === undefined) return null;
        return {
          hourly: p * config.clusterMinNodes,
          basis: `${config.clusterMinNodes} idle node${config.clusterMinNodes === 1 ? "" : "s"}; up to ${config.clusterMaxNodes} × ${p.toFixed(3)}/h while jobs run`,
        };
      }
    }
    const usage = USAGE_BASED.find(([prefix]) => kind === prefix);
    if (usage) return { hourly: 0, basis: usage[1] };
    return undefined; // free
  };

  const costs: ResourceCost[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    // A resource one step creates and a later step updates is planned twice: price it once.
    if (seen.has(r.id.toLowerCase())) continue;
    seen.add(r.id.toLowerCase());
    const priced = priceOf(r);
    if (priced === null) {
      costs.push({ id: r.id, kind: r.kind, name: r.name, hourly: null, estimatedMonthlyCost: null, stoppableHourly: 0, basis: "no price in the table" });
      continue;
    }
    const p = priced ?? { hourly: 0, basis: "no charge" };
    costs.push({
      id: r.id,
      kind: r.kind,
      name: r.name,
      hourly: round(p.hourly),
      estimatedMonthlyCost: round(p.hourly * HOURS_PER_MONTH + (p.fixedMonthly ?? 0), 2),
      stoppableHourly: p.stoppable ? round(p.hourly) : 0,
      basis: p.basis,
    });
  }
  const sum = (f: (c: ResourceCost) => number | null) => costs.reduce((s, c) => s + (f(c) ?? 0), 0);
  const stoppable = sum((c) => c.stoppableHourly);
  if (resources.some((r) => USAGE_BASED.some(([prefix]) => r.kind.toLowerCase() === prefix))) {
    notes.push("Storage, key vault and log ingestion are billed by use and not counted (small for a tutorial workload).");
  }
  if (table.region !== config.location) notes.push(`Prices are ${table.region}'s; ${config.location} may differ (\`--prices live\` prices your region).`);
  return {
    currency: table.currency,
    priceRegion: table.region,
    region: config.location,
    source: table.source,
    url: table.url,
    priceDate: table.date,
    prices: mode,
    resources: costs,
    total: {
      hourly: round(sum((c) => c.hourly)),
      estimatedMonthlyCost: round(
        sum((c) => c.estimatedMonthlyCost),
        2,
      ),
    },
    stopSaves: { hourly: round(stoppable), estimatedMonthlyCost: round(stoppable * HOURS_PER_MONTH, 2) },
    notes: [...new Set(notes)],
  };
}

/** "$1.23" style, with the currency code for anything but USD. */
export function formatMoney(amount: number | null, currency: string): string {
  if (amount === null) return "?";
  const digits = amount !== 0 && Math.abs(amount) < 1 ? 3 : 2;
  const text = amount.toFixed(digits);
  return currency === "USD" ? `$${text}` : `${text} ${currency}`;
}

/** The cost lines shown under the plan and in the wizard's review. */
export function renderCost(estimate: CostEstimate, options: { perResource?: boolean } = {}): string {
  const m = (n: number | null) => formatMoney(n, estimate.currency);
  const lines: string[] = [];
  const paid = estimate.resources.filter((r) => (r.estimatedMonthlyCost ?? 1) > 0);
  lines.push(
    `Estimated cost (${estimate.currency}, ${estimate.prices === "live" ? "live" : "list"} prices of ${estimate.priceDate} for ${estimate.priceRegion}; ${estimate.source}):`,
  );
  // Resources of one kind at one price (private endpoints, DNS zones) share a line.
  const rows: Array<{ label: string; hourly: number | null; monthly: number | null; basis: string }> = [];
  for (const r of paid) {
    const same = paid.filter((o) => o.kind === r.kind && o.basis === r.basis && o.estimatedMonthlyCost === r.estimatedMonthlyCost);
    if (same.length === 1) rows.push({ label: r.name, hourly: r.hourly, monthly: r.estimatedMonthlyCost, basis: r.basis });
    else if (same[0] === r) {
      const kind = r.kind.split("/").pop() ?? r.kind;
      rows.push({
        label: `${same.length} × ${kind}`,
        hourly: (r.hourly ?? 0) * same.length,
        monthly: (r.estimatedMonthlyCost ?? 0) * same.length,
        basis: `${r.basis}, each ${m(r.estimatedMonthlyCost)}/month`,
      });
    }
  }
  const width = Math.min(40, Math.max(8, ...rows.map((r) => r.label.length)));
  for (const r of options.perResource === false ? [] : rows) {
    lines.push(`  ${r.label.padEnd(width)}  ${m(r.hourly).padStart(8)}/h  ${m(r.monthly).padStart(9)}/month  ${r.basis}`);
  }
  lines.push(`  ${"Total".padEnd(width)}  ${m(estimate.total.hourly).padStart(8)}/h  ${m(estimate.total.estimatedMonthlyCost).padStart(9)}/month  while everything runs`);
  if (estimate.stopSaves.hourly > 0) {
    lines.push(
      `  \`secure-aml stop\` saves ${m(estimate.stopSaves.hourly)}/h (${m(estimate.stopSaves.estimatedMonthlyCost)}/month if stopped all the time): it deallocates the jump box and the compute instance.`,
    );
  }
  for (const note of estimate.notes) lines.push(`  ${note}`);
  return lines.join("\n") + "\n";
}
