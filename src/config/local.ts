// Defaults for `--local` runs against the bundled ARM emulator, so a newcomer needs no Azure account:
// `secure-aml init --local --yes` works without --subscription or --location.
import type { DeploymentConfig } from "./types.js";

/** The subscription the local emulator serves; real Azure never issues this id. */
export const LOCAL_SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001";

export const LOCAL_DEFAULTS: Readonly<Partial<DeploymentConfig>> = {
  subscriptionId: LOCAL_SUBSCRIPTION_ID,
  location: "eastus",
};

/**
 * The person the local emulator's static token stands for (it is no JWT, so it has no `oid` claim):
 * the compute instance of a `--local` run is assigned to this object id. Real Entra never issues it.
 */
export const LOCAL_USER_OBJECT_ID = "00000000-0000-4000-8000-0000000000a1";
