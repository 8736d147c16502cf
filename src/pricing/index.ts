// Prices for a command: the bundled table, or (`--prices live` / SECURE_AML_PRICES=live) the Azure
// Retail Prices API for the deployment's region, falling back to the bundled table with a warning
// when the API cannot be reached.

import type { DeploymentConfig } from "../config/types.js";
import { InputError } from "../errors.js";
import { estimateCost, type CostEstimate } from "./estimate.js";
import { OFFLINE_PRICES, type PriceTable } from "./table.js";

export { estimateCost, renderCost, formatMoney, HOURS_PER_MONTH } from "./estimate.js";
export type { CostEstimate, ResourceCost } from "./estimate.js";
export { OFFLINE_PRICES, RETAIL_PRICES_URL } from "./table.js";
export type { PriceTable, PriceEntry } from "./table.js";

export type PriceSource = "offline" | "live";
export const PRICES_ENV = "SECURE_AML_PRICES";

/** --prices / SECURE_AML_PRICES: "offline" (default) or "live"; anything else is bad input (exit 2). */
export function priceSourceOf(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): PriceSource {
  const raw = flags.prices ?? env[PRICES_ENV];
  if (raw === undefined || raw === "") return "offline";
  if (raw === "offline" || raw === "live") return raw;
  throw new InputError([
    { field: "prices", flag: "--prices", env: PRICES_ENV, value: String(raw), rule: "must be offline (the bundled price table) or live (the Azure Retail Prices API)" },
  ]);
}

export interface PricesForOptions {
  source: PriceSource;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Told when live prices could not be had (the bundled table is used instead). */
  warn?: (message: string) => void;
}

/** The price table for `config` and where it came from. */
export async function priceTableFor(config: DeploymentConfig, options: PricesForOptions): Promise<{ table: PriceTable; mode: PriceSource }> {
  if (options.source === "offline") return { table: OFFLINE_PRICES, mode: "offline" };
  const { fetchLivePrices } = await import("./live.js");
  try {
    const { table, missing } = await fetchLivePrices({
      region: config.location,
      vmSizes: { windows: config.jumpbox ? [config.jumpboxSize] : [], linux: [config.instanceVmSize, config.clusterVmSize] },
      env: options.env,
      signal: options.signal,
    });
    if (missing.length > 0) options.warn?.(`live prices: no answer for ${missing.join(", ")}; the bundled prices of ${OFFLINE_PRICES.date} are used for them`);
    return { table, mode: "live" };
  } catch (error) {
    options.warn?.(`live prices unavailable (${error instanceof Error ? error.message : String(error)}); using the bundled prices of ${OFFLINE_PRICES.date}`);
    return { table: OFFLINE_PRICES, mode: "offline" };
  }
}

/** The estimate for planned resources (those that will exist after init). */
export async function costFor(resources: ReadonlyArray<{ id: string; kind: string; name: string }>, config: DeploymentConfig, options: PricesForOptions): Promise<CostEstimate> {
  const { table, mode } = await priceTableFor(config, options);
  return estimateCost(resources, config, table, mode);
}
