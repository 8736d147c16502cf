// What init and plan share, now in files named after what they do; this module only re-exports them
// (kept so that existing imports keep working; import from the files below in new code).

export { assertCloudSupported, assertKnownCloudSupported, estimateFor } from "./deployment-checks.js";
export { AZURE_STEP_ERRORS, retryPolicyFor } from "./step-retry-policy.js";
export { commandSuffix, resumeCommand } from "./resume-command.js";
export { listLocations, listResourceGroups, listSubscriptions, resolveInteractively } from "./azure-choices.js";
