// Step 6b: the container registry's private endpoint (`registry`) in Training, with its DNS zone group.

import { registryId } from "./common.js";
import { endpointStep } from "./private-endpoint.js";

export const registryEndpointStep = endpointStep({
  id: "registry-endpoint",
  title: "Container registry private endpoint",
  targetStep: "registry",
  target: (config) => ({ name: config.registry, id: registryId(config) }),
  group: "registry",
});
