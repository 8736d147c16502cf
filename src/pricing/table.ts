// The offline price table: the pay-as-you-go retail prices of what this deployment bills for, in the
// shape of the Azure Retail Prices API (https://prices.azure.com/api/retail/prices) so that
// `--prices live` can refresh every entry with the same filter. Only the meters that cost money while
// the deployment exists are here; everything else is free (VNet, NSG, workspace, private link scope) or
// billed by use (storage, key vault operations, log ingestion), and the estimate says so.
//
// Source and date: Microsoft's pay-as-you-go list prices for East US in USD, as published on the Azure
// pricing pages cited beside each entry (the same figures the Retail Prices API returns for these
// meters), written down on 2026-11-30. This machine cannot reach prices.azure.com, so the figures were
// not fetched from the API here; they are the long-standing published list prices (e.g. Bastion Basic
// $0.19/h, Standard $0.29/h, still quoted at those rates in 2026). Run with `--prices live` for today's
// prices in your region. Other regions cost within a few percent for these meters, except VMs.

export interface PriceEntry {
  /** What secure-aml calls it (stable, used by the estimate). */
  key: string;
  /** The Retail Prices API's fields, used as the live filter. */
  serviceName: string;
  armSkuName?: string;
  skuName?: string;
  meterName: string;
  /** A text the API's productName must contain (e.g. "Windows" for a Windows VM). */
  productIncludes?: string;
  /** …and must not contain (e.g. "Windows" for a Linux VM). */
  productExcludes?: string;
  unitOfMeasure: "1 Hour" | "1/Day" | "1/Month";
  retailPrice: number;
}

export interface PriceTable {
  source: string;
  url: string;
  /** When these prices were read (ISO date). */
  date: string;
  currency: string;
  /** The region the prices are for (programmatic name). */
  region: string;
  priceType: "Consumption";
  entries: PriceEntry[];
}

export const RETAIL_PRICES_URL = "https://prices.azure.com/api/retail/prices";

export const OFFLINE_PRICES: PriceTable = {
  source: "Azure retail list prices (Azure pricing pages / Azure Retail Prices API), bundled with secure-aml",
  url: RETAIL_PRICES_URL,
  date: "2026-11-30",
  currency: "USD",
  region: "eastus",
  priceType: "Consumption",
  entries: [
    // https://azure.microsoft.com/pricing/details/azure-bastion/ — Standard: $0.29 per hour (the SKU src/steps/bastion.ts uses).
    { key: "bastion-standard", serviceName: "Azure Bastion", skuName: "Standard", meterName: "Standard Gateway", unitOfMeasure: "1 Hour", retailPrice: 0.29 },
    // https://azure.microsoft.com/pricing/details/ip-addresses/ — Standard static IPv4: $0.005 per hour.
    { key: "public-ip-standard", serviceName: "Virtual Network", skuName: "Standard", meterName: "Standard IPv4 Static Public IP", unitOfMeasure: "1 Hour", retailPrice: 0.005 },
    // https://azure.microsoft.com/pricing/details/container-registry/ — Premium: $1.667 per registry per day.
    { key: "registry-premium", serviceName: "Container Registry", skuName: "Premium", meterName: "Premium Registry Unit", unitOfMeasure: "1/Day", retailPrice: 1.667 },
    // https://azure.microsoft.com/pricing/details/private-link/ — $0.01 per endpoint per hour (data processed is extra).
    { key: "private-endpoint", serviceName: "Virtual Network", skuName: "Standard", meterName: "Standard Private Endpoint", unitOfMeasure: "1 Hour", retailPrice: 0.01 },
    // https://azure.microsoft.com/pricing/details/dns/ — private zones: $0.50 per zone per month (first 25 zones).
    { key: "private-dns-zone", serviceName: "Azure DNS", skuName: "Private", meterName: "Private Zone", unitOfMeasure: "1/Month", retailPrice: 0.5 },
    // https://azure.microsoft.com/pricing/details/virtual-machines/windows/ — D2s v3 Windows: $0.188 per hour.
    {
      key: "vm-windows:standard_d2s_v3",
      serviceName: "Virtual Machines",
      armSkuName: "Standard_D2s_v3",
      meterName: "D2s v3",
      productIncludes: "Windows",
      unitOfMeasure: "1 Hour",
      retailPrice: 0.188,
    },
    // https://azure.microsoft.com/pricing/details/virtual-machines/linux/ — DS3 v2 Linux: $0.293 per hour (AML compute is priced as Linux VMs).
    {
      key: "vm-linux:standard_ds3_v2",
      serviceName: "Virtual Machines",
      armSkuName: "Standard_DS3_v2",
      meterName: "DS3 v2",
      productExcludes: "Windows",
      unitOfMeasure: "1 Hour",
      retailPrice: 0.293,
    },
    // https://azure.microsoft.com/pricing/details/managed-disks/ — Standard SSD E10 (128 GiB, the jump box's OS disk): $9.60 per month.
    { key: "disk-standardssd-e10", serviceName: "Storage", skuName: "E10 LRS", meterName: "E10 LRS Disk", unitOfMeasure: "1/Month", retailPrice: 9.6 },
  ],
};

/** The table key of a VM size's price ("vm-linux:standard_ds3_v2"). */
export function vmPriceKey(os: "linux" | "windows", size: string): string {
  return `vm-${os}:${size.toLowerCase()}`;
}
