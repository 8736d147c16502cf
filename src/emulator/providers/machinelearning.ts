// Microsoft.MachineLearningServices (2022-10-01): workspaces whose storage, key vault, registry and
// Application Insights must exist, with a system-assigned identity that gets a principal once the
// workspace succeeds; computes (AmlCompute clusters, ComputeInstances) whose workspace and subnet
// must exist, with start/stop on instances. Rules and messages: docs/emulator-services.md.

import type { EmulatorProvider } from "../types.js";
import { computeHandler } from "./ml-computes.js";
import { workspaceHandler } from "./ml-workspaces.js";

export { COMPUTE_TYPE, WORKSPACE_CREATE_SECONDS, WORKSPACE_TYPE } from "./ml-workspaces.js";

export const machineLearningProvider: EmulatorProvider = {
  namespace: "Microsoft.MachineLearningServices",
  types: [workspaceHandler, computeHandler],
};
