// The cost estimate: the bundled price table (source, date, region), prices per resource and in total,
// what `stop` saves, the plan's cost column, and `--prices live` against a local server that answers in
// the Azure Retail Prices API's documented shape (never the internet).

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { DeploymentConfig } from "../../src/config/types.js";
import { FIELDS } from "../../src/config/fields.js";
import { SecureAmlError } from "../../src/errors.js";
import { estimateCost, HOURS_PER_MONTH, renderCost } from "../../src/pricing/estimate.js";
import { costFor, priceSourceOf } from "../../src/pricing/index.js";
import { fetchLivePrices, filterFor, PRICES_URL_ENV } from "../../src/pricing/live.js";
import { OFFLINE_PRICES } from "../../src/pricing/table.js";
import { renderPlan } from "../../src/ui/plan.js";
import { privateEndpointName } from "../../src/steps/common.js";
import { declaredOffline } from "../helpers/declared.js";

function config(extra: Partial<DeploymentConfig> = {}): DeploymentConfig {
  const c: Record<string, unknown> = { subscriptionId: "00000000-0000-0000-0000-000000000001", location: "eastus", ...extra };
  for (let pass = 0; pass < 3; pass++) for (const f of FIELDS) if (c[f.key] === undefined && f.derive) c[f.key] = f.derive(c as Partial<DeploymentConfig>);
  return c as unknown as DeploymentConfig;
}

const RG = "/subscriptions/s/resourceGroups/secureaml-rg/providers";
function resources(c: DeploymentConfig) {
  return [
    { id: `${RG}/Microsoft.Network/virtualNetworks/${c.vnetName}`, kind: "Microsoft.Network/virtualNetworks", name: c.vnetName },
    { id: `${RG}/Microsoft.Network/bastionHosts/${c.bastionName}`, kind: "Microsoft.Network/bastionHosts", name: c.bastionName },
    { id: `${RG}/Microsoft.Network/publicIPAddresses/${c.bastionPublicIp}`, kind: "Microsoft.Network/publicIPAddresses", name: c.bastionPublicIp },
    { id: `${RG}/Microsoft.ContainerRegistry/registries/${c.registry}`, kind: "Microsoft.ContainerRegistry/registries", name: c.registry },
    ...[privateEndpointName(c.registry, "registry"), privateEndpointName(c.storageAccount, "blob")].map((name) => ({
      id: `${RG}/Microsoft.Network/privateEndpoints/${name}`,
      kind: "Microsoft.Network/privateEndpoints",
      name,
    })),
    { id: `${RG}/Microsoft.Network/privateDnsZones/privatelink.azurecr.io`, kind: "Microsoft.Network/privateDnsZones", name: "privatelink.azurecr.io" },
    { id: `${RG}/Microsoft.Compute/virtualMachines/${c.jumpboxName}`, kind: "Microsoft.Compute/virtualMachines", name: c.jumpboxName },
    {
      id: `${RG}/Microsoft.MachineLearningServices/workspaces/${c.workspace}/computes/${c.computeInstance}`,
      kind: "Microsoft.MachineLearningServices/workspaces/computes",
      name: c.computeInstance,
    },
    {
      id: `${RG}/Microsoft.MachineLearningServices/workspaces/${c.workspace}/computes/${c.computeCluster}`,
      kind: "Microsoft.MachineLearningServices/workspaces/computes",
      name: c.computeCluster,
    },
    { id: `${RG}/Microsoft.Storage/storageAccounts/${c.storageAccount}`, kind: "Microsoft.Storage/storageAccounts", name: c.storageAccount },
  ];
}

test("the bundled price table names its source, date, region and currency, and prices every meter", async () => {
  assert.match(OFFLINE_PRICES.url, /^https:\/\/prices\.azure\.com\/api\/retail\/prices$/);
  assert.match(OFFLINE_PRICES.date, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(OFFLINE_PRICES.currency, "USD");
  assert.equal(OFFLINE_PRICES.region, "eastus");
  for (const e of OFFLINE_PRICES.entries) assert.ok(e.retailPrice > 0 && Number.isFinite(e.retailPrice), e.key);
  // Every resource the tutorial's deployment declares gets a price (or a stated zero) from the table.
  const c = config();
  const estimate = estimateCost(await declaredOffline(c), c, OFFLINE_PRICES);
  assert.deepEqual(
    estimate.resources.filter((r) => r.estimatedMonthlyCost === null).map((r) => `${r.kind} ${r.name}: ${r.basis}`),
    [],
  );
});

test("estimateCost: each resource per hour and per month, the total, and what stop saves", () => {
  const c = config();
  const est = estimateCost(resources(c), c, OFFLINE_PRICES);
  const byName = new Map(est.resources.map((r) => [r.name, r]));
  const price = (key: string) => OFFLINE_PRICES.entries.find((e) => e.key === key)?.retailPrice ?? NaN;
  assert.equal(byName.get(c.bastionName)?.hourly, price("bastion-standard"));
  assert.equal(byName.get(c.bastionName)?.estimatedMonthlyCost, Math.round(price("bastion-standard") * HOURS_PER_MONTH * 100) / 100);
  assert.equal(byName.get(c.registry)?.estimatedMonthlyCost, Math.round((price("registry-premium") / 24) * HOURS_PER_MONTH * 100) / 100);
  assert.equal(byName.get("privatelink.azurecr.io")?.estimatedMonthlyCost, price("private-dns-zone"));
  assert.equal(byName.get(c.vnetName)?.estimatedMonthlyCost, 0, "a VNet costs nothing");
  assert.equal(byName.get(c.computeCluster)?.estimatedMonthlyCost, 0, "a cluster with 0 idle nodes costs nothing while idle");
  assert.match(byName.get(c.storageAccount)?.basis ?? "", /billed by use/);
  // The jump box: the VM while running plus its disk all month.
  const jump = byName.get(c.jumpboxName);
  assert.equal(jump?.hourly, price("vm-windows:standard_d2s_v3"));
  assert.equal(jump?.estimatedMonthlyCost, Math.round((price("vm-windows:standard_d2s_v3") * HOURS_PER_MONTH + price("disk-standardssd-e10")) * 100) / 100);

  const sumMonthly = est.resources.reduce((s, r) => s + (r.estimatedMonthlyCost ?? 0), 0);
  assert.ok(Math.abs(est.total.estimatedMonthlyCost - sumMonthly) < 0.02, "the total is the sum of the resources");
  const stoppable = price("vm-windows:standard_d2s_v3") + price("vm-linux:standard_ds3_v2");
  assert.ok(Math.abs(est.stopSaves.hourly - stoppable) < 1e-6, "stop saves the jump box and the compute instance");
  assert.equal(est.priceDate, OFFLINE_PRICES.date);
  assert.equal(est.prices, "offline");

  // Bigger clusters at rest cost money; an unknown size is said, not guessed.
  const busy = estimateCost(resources(config({ clusterMinNodes: 2 })), config({ clusterMinNodes: 2 }), OFFLINE_PRICES);
  assert.ok((busy.resources.find((r) => r.name === c.computeCluster)?.hourly ?? 0) > 0);
  const odd = estimateCost(resources(config({ instanceVmSize: "Standard_NC6s_v3" })), config({ instanceVmSize: "Standard_NC6s_v3" }), OFFLINE_PRICES);
  assert.equal(odd.resources.find((r) => r.name === c.computeInstance)?.estimatedMonthlyCost, null);
  assert.ok(odd.notes.some((n) => /No price for Standard_NC6s_v3/.test(n)));
  // Another region: the estimate says the prices are East US's.
  const west = estimateCost(resources(c), config({ location: "westeurope" }), OFFLINE_PRICES);
  assert.ok(west.notes.some((n) => /Prices are eastus's; westeurope may differ/.test(n)));
});

test("the plan shows a cost column, the total, what stop saves and where the prices come from", () => {
  const c = config();
  const est = estimateCost(resources(c), c, OFFLINE_PRICES);
  const planned = resources(c).map((r) => ({ ...r, action: "create" as const, group: "" }));
  const text = renderPlan(planned, { criticalPathSeconds: 600, sequentialSeconds: 1800 }, est);
  assert.match(text, new RegExp(`bastionHosts\\s+${c.bastionName}\\s+\\$211\\.70/month`));
  assert.match(text, /Total\s+\$\d+\.\d+\/h\s+\$\d+\.\d+\/month/);
  assert.match(text, /`secure-aml stop` saves \$0\.481\/h/);
  assert.match(text, new RegExp(`list prices of ${OFFLINE_PRICES.date} for eastus`));
  assert.doesNotMatch(renderPlan(planned), /month/, "no cost without an estimate");
  // The wizard's review lists paid resources, those of one kind and price on one line.
  const review = renderCost(est);
  assert.match(review, /2 × privateEndpoints\s+\$0\.020\/h\s+\$14\.60\/month/);
});

test("--prices: offline or live; anything else is bad input (exit 2)", () => {
  assert.equal(priceSourceOf({}, {}), "offline");
  assert.equal(priceSourceOf({ prices: "live" }, {}), "live");
  assert.equal(priceSourceOf({}, { SECURE_AML_PRICES: "live" }), "live");
  assert.throws(
    () => priceSourceOf({ prices: "cheap" }, {}),
    (e: unknown) => e instanceof SecureAmlError && e.exitCode === 2 && /--prices/.test(e.message),
  );
});

/** A local server that answers like https://prices.azure.com/api/retail/prices (documented response shape). */
async function retailPricesServer(prices: Record<string, number>): Promise<{ url: string; filters: string[]; close(): Promise<void> }> {
  const filters: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const filter = url.searchParams.get("$filter") ?? "";
    filters.push(filter);
    const sku = /armSkuName eq '([^']+)'/.exec(filter)?.[1];
    const meter = /meterName eq '([^']+)'/.exec(filter)?.[1];
    const service = /serviceName eq '([^']+)'/.exec(filter)?.[1];
    const key = sku ?? meter ?? "";
    const items =
      key in (prices as object)
        ? [
            // A Spot meter first: never taken for a pay-as-you-go price.
            {
              currencyCode: "USD",
              retailPrice: 0.01,
              unitPrice: 0.01,
              armRegionName: "westeurope",
              meterName: `${key} Spot`,
              skuName: `${key} Spot`,
              productName: sku ? "Virtual Machines DSv2 Series Windows" : service,
              serviceName: service,
              type: "Consumption",
              unitOfMeasure: "1 Hour",
            },
            ...[sku ? "Virtual Machines Series" : service, sku ? "Virtual Machines Series Windows" : undefined]
              .filter((p): p is string => p !== undefined)
              .map((productName) => ({
                currencyCode: "USD",
                retailPrice: productName.includes("Windows") ? (prices[key] ?? 0) * 2 : prices[key],
                unitPrice: prices[key],
                armRegionName: "westeurope",
                location: "EU West",
                effectiveStartDate: "2026-01-01T00:00:00Z",
                meterName: meter ?? key,
                productName,
                skuName: sku ?? "Standard",
                armSkuName: sku ?? "",
                serviceName: service,
                type: "Consumption",
                isPrimaryMeterRegion: true,
                unitOfMeasure: /Registry|DNS/.test(service ?? "") ? (service === "Azure DNS" ? "1/Month" : "1/Day") : "1 Hour",
              })),
          ]
        : [];
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ BillingCurrency: "USD", CustomerEntityId: "Default", CustomerEntityType: "Retail", Items: items, NextPageLink: null, Count: items.length }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/retail/prices`,
    filters,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test("--prices live refreshes the table from the Retail Prices API (a local server here) for the deployment's region", async (t) => {
  const server = await retailPricesServer({ "Standard Gateway": 0.5, Standard_DS3_v2: 0.4, Standard_D2s_v3: 0.1, "Premium Registry Unit": 2.4 });
  t.after(() => server.close());
  const env = { [PRICES_URL_ENV]: server.url };
  const live = await fetchLivePrices({
    region: "westeurope",
    vmSizes: { windows: ["Standard_D2s_v3"], linux: ["Standard_DS3_v2"] },
    env,
    now: () => new Date("2026-12-01T00:00:00Z"),
  });
  const entry = (key: string) => live.table.entries.find((e) => e.key === key)?.retailPrice;
  assert.equal(entry("bastion-standard"), 0.5, "Bastion from the API");
  assert.equal(entry("vm-linux:standard_ds3_v2"), 0.4, "Linux price for compute, not the Windows or Spot one");
  assert.equal(entry("vm-windows:standard_d2s_v3"), 0.2, "Windows price for the jump box");
  assert.equal(entry("registry-premium"), 2.4);
  assert.equal(entry("private-endpoint"), OFFLINE_PRICES.entries.find((e) => e.key === "private-endpoint")?.retailPrice, "unanswered meters keep the bundled price");
  assert.ok(live.missing.includes("private-endpoint"));
  assert.equal(live.table.date, "2026-12-01");
  assert.equal(live.table.region, "westeurope");
  assert.match(live.table.source, /Azure Retail Prices API/);
  assert.ok(
    server.filters.every((f) => f.includes("armRegionName eq 'westeurope'") && f.includes("priceType eq 'Consumption'")),
    server.filters.join("\n"),
  );

  const c = config({ location: "westeurope" });
  const est = await costFor(resources(c), c, { source: "live", env });
  assert.equal(est.prices, "live");
  assert.equal(est.resources.find((r) => r.name === c.bastionName)?.hourly, 0.5);
  assert.match(renderCost(est), /live prices of \d{4}-\d{2}-\d{2} for westeurope/);
});

test("--prices live with the API out of reach: the bundled table, and a warning saying so", async () => {
  const warnings: string[] = [];
  const c = config();
  // Port 9 on 127.0.0.1 (discard) is closed here: the connection is refused at once.
  const est = await costFor(resources(c), c, { source: "live", env: { [PRICES_URL_ENV]: "http://127.0.0.1:9/api/retail/prices" }, warn: (m) => warnings.push(m) });
  assert.equal(est.prices, "offline");
  assert.equal(est.priceDate, OFFLINE_PRICES.date);
  assert.match(warnings[0] ?? "", /live prices unavailable .*using the bundled prices/);
  assert.match(filterFor(OFFLINE_PRICES.entries[0]!, "eastus"), /^serviceName eq 'Azure Bastion' and armRegionName eq 'eastus'/);
});
