// Step 8b: the workspace's private endpoint (`amlworkspace`) in Training, registered in both the
// api.azureml.ms and notebooks zones (or the cloud's equivalents).

import { workspaceId } from "./common.js";
import { endpointStep } from "./private-endpoint.js";

export const workspaceEndpointStep = endpointStep({
  id: "workspace-endpoint",
  title: "Workspace private endpoint",
  targetStep: "workspace",
  target: (config) => ({ name: config.workspace, id: workspaceId(config) }),
  group: "amlworkspace",
});
