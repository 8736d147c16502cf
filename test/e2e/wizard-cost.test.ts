// The cost before the click, from the command line against the emulator: `plan` shows a cost column,
// the total per hour and per month, what `stop` saves and the price list's source and date;
// `plan --output json` carries `estimatedMonthlyCost` per resource and in total; `--prices live` asks a
// local server that answers like the Azure Retail Prices API (never the internet); a bad --prices exits 2.

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { cleanEnv, emulatorArgs, emulatorForFile, oneJsonDocument, runCli, tempDir } from "./cli-init-fixture.js";
import { OFFLINE_PRICES } from "../../src/pricing/table.js";
import { idSet } from "../helpers/declared.js";

const emulator = emulatorForFile();

test("plan: a cost column, the total per hour and per month, what stop saves, the price list's source and date", async (t) => {
  const dir = await tempDir(t, "cost");
  const result = await runCli(["plan", ...emulatorArgs(emulator(), "costtext", path.join(dir, "state.json"))], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /\+ create\s+bastionHosts\s+costtext-bastion\s+\$\d+\.\d\d\/month/);
  assert.match(result.stdout, /\+ create\s+registries\s+\S+\s+\$\d+\.\d\d\/month/);
  assert.match(result.stdout, new RegExp(`Estimated cost \\(USD, list prices of ${OFFLINE_PRICES.date} for eastus`));
  assert.match(result.stdout, /Total\s+\$\d+\.\d+\/h\s+\$\d+\.\d\d\/month\s+while everything runs/);
  assert.match(result.stdout, /`secure-aml stop` saves \$\d+\.\d+\/h/);
});

test("plan --output json: estimatedMonthlyCost per resource and in total, with the details of the estimate", async (t) => {
  const dir = await tempDir(t, "costjson");
  const result = await runCli(["plan", "--output", "json", ...emulatorArgs(emulator(), "costjson", path.join(dir, "state.json"))], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  const doc = oneJsonDocument(result.stdout) as {
    estimatedMonthlyCost?: unknown;
    resources: Array<{ id: string; kind: string; name: string; estimatedMonthlyCost?: unknown }>;
    planned?: Array<{ id: string }>;
    cost?: {
      currency: string;
      priceDate: string;
      source: string;
      prices: string;
      total: { hourly: number; estimatedMonthlyCost: number };
      stopSaves: { estimatedMonthlyCost: number };
    };
  };
  assert.equal(typeof doc.estimatedMonthlyCost, "number");
  // A cost for every resource plan announces (plan's list is checked against init's in cli-plan.test.ts).
  assert.deepEqual(idSet(doc.resources), idSet(doc.planned ?? []), "a cost line for each planned resource, and only those");
  for (const r of doc.resources) assert.ok(typeof r.estimatedMonthlyCost === "number" || r.estimatedMonthlyCost === null, `${r.kind} ${r.name} has estimatedMonthlyCost`);
  const bastion = doc.resources.find((r) => r.kind === "Microsoft.Network/bastionHosts");
  assert.ok(typeof bastion?.estimatedMonthlyCost === "number" && bastion.estimatedMonthlyCost > 100, "Bastion costs money every month");
  const vnet = doc.resources.find((r) => r.kind === "Microsoft.Network/virtualNetworks");
  assert.equal(vnet?.estimatedMonthlyCost, 0);
  const sum = doc.resources.reduce((s, r) => s + (typeof r.estimatedMonthlyCost === "number" ? r.estimatedMonthlyCost : 0), 0);
  assert.ok(Math.abs(sum - Number(doc.estimatedMonthlyCost)) < 0.05, `the total (${String(doc.estimatedMonthlyCost)}) is the sum of the resources (${sum})`);
  assert.equal(doc.cost?.currency, "USD");
  assert.equal(doc.cost?.priceDate, OFFLINE_PRICES.date);
  assert.equal(doc.cost?.prices, "offline");
  assert.match(doc.cost?.source ?? "", /Azure/);
  assert.ok((doc.cost?.stopSaves.estimatedMonthlyCost ?? 0) > 0);
});

test("plan --prices live: prices from the Retail Prices API's address in SECURE_AML_PRICES_URL (a local server); a bad --prices exits 2", async (t) => {
  const dir = await tempDir(t, "costlive");
  const filters: string[] = [];
  const server = http.createServer((req, res) => {
    const filter = new URL(req.url ?? "/", "http://127.0.0.1").searchParams.get("$filter") ?? "";
    filters.push(filter);
    // Bastion only; every other meter unanswered (they keep the bundled price).
    const items = /meterName eq 'Standard Gateway'/.test(filter)
      ? [
          {
            currencyCode: "USD",
            retailPrice: 1,
            unitPrice: 1,
            armRegionName: "eastus",
            meterName: "Standard Gateway",
            productName: "Azure Bastion",
            skuName: "Standard",
            serviceName: "Azure Bastion",
            type: "Consumption",
            unitOfMeasure: "1 Hour",
          },
        ]
      : [];
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ BillingCurrency: "USD", CustomerEntityId: "Default", CustomerEntityType: "Retail", Items: items, NextPageLink: null, Count: items.length }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/retail/prices`;
  const args = ["plan", "--output", "json", "--prices", "live", ...emulatorArgs(emulator(), "costlive", path.join(dir, "state.json"))];
  const result = await runCli(args, { cwd: dir, env: cleanEnv({ SECURE_AML_PRICES_URL: url }) });
  assert.equal(result.code, 0, result.stderr);
  const doc = oneJsonDocument(result.stdout) as { cost: { prices: string; source: string }; resources: Array<{ kind: string; estimatedMonthlyCost: number }> };
  assert.equal(doc.cost.prices, "live");
  assert.match(doc.cost.source, /Azure Retail Prices API/);
  assert.equal(doc.resources.find((r) => r.kind === "Microsoft.Network/bastionHosts")?.estimatedMonthlyCost, 730, "$1/h × 730 h");
  assert.ok(filters.length > 0 && filters.every((f) => f.includes("armRegionName eq 'eastus'")));
  assert.match(result.stderr, /live prices: no answer for/);

  const bad = await runCli(["plan", "--prices", "cheap", ...emulatorArgs(emulator(), "costbad", path.join(dir, "state.json"))], { cwd: dir });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--prices.*must be offline .* or live/);
  const badInit = await runCli(["init", "--yes", "--prices", "cheap", ...emulatorArgs(emulator(), "costbad", path.join(dir, "state.json"))], { cwd: dir });
  assert.equal(badInit.code, 2, badInit.stderr);
  assert.match(badInit.stderr, /--prices/);
});

test("init --output json: the deployment's estimated monthly cost per resource and in total", async (t) => {
  const dir = await tempDir(t, "costinit");
  const result = await runCli(["init", "--yes", "--output", "json", ...emulatorArgs(emulator(), "costinit", path.join(dir, "state.json"))], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  const doc = oneJsonDocument(result.stdout) as {
    estimatedMonthlyCost?: unknown;
    cost?: { stopSaves: { hourly: number } };
    resources: Array<{ kind: string; estimatedMonthlyCost?: unknown }>;
  };
  assert.equal(typeof doc.estimatedMonthlyCost, "number");
  assert.ok(Number(doc.estimatedMonthlyCost) > 100);
  const bastion = doc.resources.find((r) => r.kind === "Microsoft.Network/bastionHosts");
  assert.equal(typeof bastion?.estimatedMonthlyCost, "number");
  assert.ok((doc.cost?.stopSaves.hourly ?? 0) > 0);
});
