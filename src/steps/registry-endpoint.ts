// Step 6b: the container registry's private endpoint (`registry`) in Training, with its DNS zone group.

import { registryId } from "./common.js";
import { endpointStep } from "./private-endpoint.js";

const target = (config: Parameters<typeof registryId>[0]) => ({ name: config.registry, id: registryId(config) });
export const registryEndpointStep = endpointStep({ id: "registry-endpoint", title: "Container registry private endpoint", targetStep: "registry", target, group: "registry" });
