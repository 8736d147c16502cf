// `--prices live`: refreshes the offline table from the public, unauthenticated Azure Retail Prices
// API (https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices), one
// filtered query per meter, in the deployment's region. SECURE_AML_PRICES_URL replaces the API's
// address (tests point it at a local server on 127.0.0.1). No credential is ever sent there.

import { OFFLINE_PRICES, RETAIL_PRICES_URL, vmPriceKey, type PriceEntry, type PriceTable } from "./table.js";

export const PRICES_URL_ENV = "SECURE_AML_PRICES_URL";

/** One item of the API's `Items` array (the fields this module reads). */
interface RetailPriceItem {
  currencyCode?: string;
  retailPrice?: number;
  unitPrice?: number;
  armRegionName?: string;
  meterName?: string;
  productName?: string;
  skuName?: string;
  armSkuName?: string;
  serviceName?: string;
  type?: string;
  unitOfMeasure?: string;
  effectiveStartDate?: string;
}

interface RetailPricesPage {
  Items?: RetailPriceItem[];
  NextPageLink?: string | null;
}

export interface LivePricesResult {
  table: PriceTable;
  /** Meters the API did not answer for: their offline price is kept. */
  missing: string[];
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The OData filter for one meter in one region. */
export function filterFor(entry: PriceEntry, region: string): string {
  const parts = [`serviceName eq ${quote(entry.serviceName)}`, `armRegionName eq ${quote(region)}`, `priceType eq 'Consumption'`];
  if (entry.armSkuName) parts.push(`armSkuName eq ${quote(entry.armSkuName)}`);
  else if (entry.skuName) parts.push(`skuName eq ${quote(entry.skuName)}`);
  if (!entry.armSkuName) parts.push(`meterName eq ${quote(entry.meterName)}`);
  return parts.join(" and ");
}

function matches(entry: PriceEntry, item: RetailPriceItem): boolean {
  if (typeof item.retailPrice !== "number" || (item.type !== undefined && item.type !== "Consumption")) return false;
  const product = item.productName ?? "";
  const sku = `${item.skuName ?? ""} ${item.meterName ?? ""}`;
  if (/spot|low priority/i.test(sku)) return false;
  if (entry.productIncludes && !product.includes(entry.productIncludes)) return false;
  if (entry.productExcludes && product.includes(entry.productExcludes)) return false;
  if (item.unitOfMeasure !== undefined && item.unitOfMeasure !== entry.unitOfMeasure) return false;
  return true;
}

async function fetchPage(url: string, fetcher: typeof fetch, signal?: AbortSignal): Promise<RetailPricesPage> {
  const response = await fetcher(url, { headers: { accept: "application/json" }, signal });
  if (!response.ok) throw new Error(`the Retail Prices API answered ${response.status} for ${url}`);
  return (await response.json()) as RetailPricesPage;
}

/** VM sizes the configuration uses that the table may not hold (Windows for the jump box, Linux for compute). */
function vmEntries(sizes: { windows: string[]; linux: string[] }): PriceEntry[] {
  const entry = (os: "linux" | "windows", size: string): PriceEntry => ({
    key: vmPriceKey(os, size),
    serviceName: "Virtual Machines",
    armSkuName: size,
    meterName: size,
    ...(os === "windows" ? { productIncludes: "Windows" } : { productExcludes: "Windows" }),
    unitOfMeasure: "1 Hour",
    retailPrice: Number.NaN,
  });
  return [...sizes.windows.map((s) => entry("windows", s)), ...sizes.linux.map((s) => entry("linux", s))];
}

/**
 * The table refreshed for `region`: every meter looked up; a meter the API does not answer keeps its
 * offline price (listed in `missing`). Throws when the API cannot be reached at all.
 */
export async function fetchLivePrices(options: {
  region: string;
  vmSizes: { windows: string[]; linux: string[] };
  env?: NodeJS.ProcessEnv;
  fetcher?: typeof fetch;
  signal?: AbortSignal;
  now?: () => Date;
}): Promise<LivePricesResult> {
  const base = options.env?.[PRICES_URL_ENV] || RETAIL_PRICES_URL;
  const fetcher = options.fetcher ?? fetch;
  const known = new Map(OFFLINE_PRICES.entries.map((e) => [e.key, e]));
  for (const e of vmEntries(options.vmSizes)) if (!known.has(e.key)) known.set(e.key, e);

  const entries: PriceEntry[] = [];
  const missing: string[] = [];
  let currency = "USD";
  let reached = false;
  let lastError: unknown;
  for (const entry of known.values()) {
    let url: string | undefined = `${base}?currencyCode='USD'&$filter=${encodeURIComponent(filterFor(entry, options.region))}`;
    let found: RetailPriceItem | undefined;
    try {
      // The API pages at 1000 items; these filters return a handful, but follow NextPageLink anyway.
      for (let page = 0; url && page < 5 && !found; page++) {
        const body: RetailPricesPage = await fetchPage(url, fetcher, options.signal);
        reached = true;
        found = (body.Items ?? []).find((item) => matches(entry, item));
        url = body.NextPageLink ?? undefined;
      }
    } catch (error) {
      lastError = error;
    }
    if (found && typeof found.retailPrice === "number") {
      currency = found.currencyCode ?? currency;
      entries.push({ ...entry, retailPrice: found.retailPrice });
    } else {
      missing.push(entry.key);
      if (Number.isFinite(entry.retailPrice)) entries.push(entry);
    }
  }
  if (!reached) throw new Error(`could not reach the Azure Retail Prices API at ${base}: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  const today = (options.now?.() ?? new Date()).toISOString().slice(0, 10);
  return {
    table: {
      ...OFFLINE_PRICES,
      source: `Azure Retail Prices API (${base}), fetched for this run`,
      url: base,
      date: today,
      currency,
      region: options.region,
      entries,
    },
    missing,
  };
}
