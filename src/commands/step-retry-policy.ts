// How init's engine treats Azure's failures: what a failure means (the one classification in
// src/azure/arm-errors.ts) and how long a transient one is retried (--retry-timeout /
// SECURE_AML_RETRY_TIMEOUT, 15 minutes per step by default).

import { DEFAULT_RETRY_TIMEOUT_SECONDS } from "../config/fields.js";
import type { DeploymentConfig } from "../config/types.js";
import { DEFAULT_RETRY, type RetryPolicy } from "../engine/retry.js";
import type { ErrorInfo } from "../engine/types.js";
import { classifyError, isRetryable } from "../azure/arm-errors.js";

/** The engine's error options for Azure steps. */
export const AZURE_STEP_ERRORS = {
  isTransient: isRetryable,
  toErrorInfo: (err: unknown): ErrorInfo => classifyError(err, "STEP_FAILED"),
} as const;

/** The retry policy of a deployment: DEFAULT_RETRY with the budget of --retry-timeout / SECURE_AML_RETRY_TIMEOUT. */
export function retryPolicyFor(config: Pick<DeploymentConfig, "retryTimeout">): RetryPolicy {
  const seconds = config.retryTimeout ?? DEFAULT_RETRY_TIMEOUT_SECONDS;
  return { ...DEFAULT_RETRY, budgetMs: seconds * 1000 };
}
