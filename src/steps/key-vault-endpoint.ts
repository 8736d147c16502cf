// Step 5b: the key vault's private endpoint (`vault`) in Training, with its DNS zone group.

import { keyVaultId } from "./common.js";
import { endpointStep } from "./private-endpoint.js";

const target = (config: Parameters<typeof keyVaultId>[0]) => ({ name: config.keyVault, id: keyVaultId(config) });
export const keyVaultEndpointStep = endpointStep({ id: "key-vault-endpoint", title: "Key vault private endpoint", targetStep: "key-vault", target, group: "vault" });
