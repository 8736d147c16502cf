// Step 5b: the key vault's private endpoint (`vault`) in Training, with its DNS zone group.

import { keyVaultId } from "./common.js";
import { endpointStep } from "./private-endpoint.js";

export const keyVaultEndpointStep = endpointStep({
  id: "key-vault-endpoint",
  title: "Key vault private endpoint",
  targetStep: "key-vault",
  target: (config) => ({ name: config.keyVault, id: keyVaultId(config) }),
  group: "vault",
});
