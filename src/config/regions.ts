// Azure public-cloud regions (programmatic names) that offer Azure Machine Learning, with display names.
// Used to validate --location before any network call and by the emulator's subscription locations list.
// For a real subscription the wizard lists the regions the subscription offers instead.
export interface AzureRegion {
  name: string;
  displayName: string;
}

export const AZURE_REGIONS: readonly AzureRegion[] = [
  { name: "australiaeast", displayName: "Australia East" },
  { name: "brazilsouth", displayName: "Brazil South" },
  { name: "canadacentral", displayName: "Canada Central" },
  { name: "canadaeast", displayName: "Canada East" },
  { name: "centralindia", displayName: "Central India" },
  { name: "centralus", displayName: "Central US" },
  { name: "eastasia", displayName: "East Asia" },
  { name: "eastus", displayName: "East US" },
  { name: "eastus2", displayName: "East US 2" },
  { name: "francecentral", displayName: "France Central" },
  { name: "germanywestcentral", displayName: "Germany West Central" },
  { name: "italynorth", displayName: "Italy North" },
  { name: "japaneast", displayName: "Japan East" },
  { name: "japanwest", displayName: "Japan West" },
  { name: "koreacentral", displayName: "Korea Central" },
  { name: "northcentralus", displayName: "North Central US" },
  { name: "northeurope", displayName: "North Europe" },
  { name: "norwayeast", displayName: "Norway East" },
  { name: "polandcentral", displayName: "Poland Central" },
  { name: "qatarcentral", displayName: "Qatar Central" },
  { name: "southafricanorth", displayName: "South Africa North" },
  { name: "southcentralus", displayName: "South Central US" },
  { name: "southeastasia", displayName: "Southeast Asia" },
  { name: "swedencentral", displayName: "Sweden Central" },
  { name: "switzerlandnorth", displayName: "Switzerland North" },
  { name: "uaenorth", displayName: "UAE North" },
  { name: "uksouth", displayName: "UK South" },
  { name: "ukwest", displayName: "UK West" },
  { name: "westcentralus", displayName: "West Central US" },
  { name: "westeurope", displayName: "West Europe" },
  { name: "westus", displayName: "West US" },
  { name: "westus2", displayName: "West US 2" },
  { name: "westus3", displayName: "West US 3" },
];

/** Sovereign clouds' regions, checked when --cloud selects them. */
const SOVEREIGN_REGIONS: Readonly<Record<string, readonly AzureRegion[]>> = {
  AzureUSGovernment: [
    { name: "usgovvirginia", displayName: "USGov Virginia" },
    { name: "usgovarizona", displayName: "USGov Arizona" },
    { name: "usgovtexas", displayName: "USGov Texas" },
  ],
  AzureChinaCloud: [
    { name: "chinaeast2", displayName: "China East 2" },
    { name: "chinanorth2", displayName: "China North 2" },
    { name: "chinanorth3", displayName: "China North 3" },
  ],
};

export function isKnownRegion(name: string, cloud = "AzureCloud"): boolean {
  const list = cloud === "AzureCloud" ? AZURE_REGIONS : (SOVEREIGN_REGIONS[cloud] ?? []);
  return list.some((r) => r.name === name.toLowerCase());
}
