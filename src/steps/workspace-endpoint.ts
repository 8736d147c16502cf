// Step 8b: the workspace's private endpoint (`amlworkspace`) in Training, registered in both the
// api.azureml.ms and notebooks zones (or the cloud's equivalents).

import { workspaceId } from "./common.js";
import { endpointStep } from "./private-endpoint.js";

const target = (config: Parameters<typeof workspaceId>[0]) => ({ name: config.workspace, id: workspaceId(config) });
export const workspaceEndpointStep = endpointStep({ id: "workspace-endpoint", title: "Workspace private endpoint", targetStep: "workspace", target, group: "amlworkspace" });
