// The provider registry: every resource provider the emulator serves. Module names and exports are fixed
// (see BRIEF.md) so that provider authors and the core can work independently.
import type { EmulatorProvider } from "../types.js";
import { resourcesProvider } from "./resources.js";
import { networkProvider } from "./network.js";
import { natGatewayProvider } from "./network-nat-gateways.js";
import { privateDnsProvider } from "./privatedns.js";
import { storageProvider } from "./storage.js";
import { keyVaultProvider } from "./keyvault.js";
import { containerRegistryProvider } from "./containerregistry.js";
import { machineLearningProvider } from "./machinelearning.js";
import { insightsProvider } from "./insights.js";
import { operationalInsightsProvider } from "./operationalinsights.js";
import { authorizationProvider } from "./authorization.js";
import { computeProvider } from "./compute.js";
import { devTestLabsProvider } from "./devtestlabs.js";
import { databricksProvider } from "./databricks.js";

export const allProviders: readonly EmulatorProvider[] = [
  resourcesProvider,
  networkProvider,
  natGatewayProvider,
  privateDnsProvider,
  storageProvider,
  keyVaultProvider,
  containerRegistryProvider,
  machineLearningProvider,
  insightsProvider,
  operationalInsightsProvider,
  authorizationProvider,
  computeProvider,
  devTestLabsProvider,
  databricksProvider,
];
