// Microsoft.MachineLearningServices (2022-10-01): workspaces whose storage, key vault, registry and
// Application Insights must exist, with a system-assigned identity that gets a principal once the
// workspace succeeds; computes (AmlCompute clusters, ComputeInstances) whose workspace and subnet
// must exist, with start/stop on instances. Rules and messages: docs/emulator-services.md.
// The namespace's registry: each type's handler lives in its own file (ml-workspaces.ts, ml-computes.ts;
// attached computes in ml-attached.ts).
import type { EmulatorProvider } from "../types.js";
import { computeHandler } from "./ml-computes.js";
import { workspaceHandler } from "./ml-workspaces.js";

export const machineLearningProvider: EmulatorProvider = {
  namespace: "Microsoft.MachineLearningServices",
  types: [workspaceHandler, computeHandler],
};
