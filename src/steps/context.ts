// What a provisioning step is given. Each step declares the part it needs (Pick<StepContext, ...>)
// so that it cannot reach for more (for example only the jump-box step sees the secrets).

import type { AzureContext } from "../azure/clients.js";
import type { DeploymentConfig, Secrets } from "../config/types.js";

export interface StepContext {
  config: DeploymentConfig;
  secrets: Secrets;
  azure: AzureContext;
}

/** The context of most steps: configuration and Azure, no secrets. */
export type AzureStepContext = Pick<StepContext, "config" | "azure">;
