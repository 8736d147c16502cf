// Registering the resource providers a deployment needs (what Terraform's azurerm provider does before
// any write), then waiting until each one is Registered: Azure answers the register call at once with
// "Registering", and a write into the namespace before "Registered" still fails MissingSubscriptionRegistration.
import type { AzureContext } from "../azure/clients.js";
import { ExitCode, SecureAmlError } from "../errors.js";

export interface RegisterOptions {
  signal?: AbortSignal;
  /** Between reads of the registration state; default: the context's LRO interval, else 5 s. */
  pollIntervalMs?: number;
  /** Give up after this long (default 15 minutes: Microsoft.Compute has been seen to take over 10). */
  timeoutMs?: number;
  /** Progress lines ("Microsoft.Network: Registered"). */
  progress?: (message: string) => void;
}

const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_POLL_MS = 5_000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Registers every namespace (in parallel) and resolves once all are Registered. */
export async function registerProviders(azure: AzureContext, namespaces: readonly string[], options: RegisterOptions = {}): Promise<void> {
  if (namespaces.length === 0) return;
  const client = await azure.resources();
  const pollMs = options.pollIntervalMs ?? azure.lro().updateIntervalInMs ?? DEFAULT_POLL_MS;
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const pending = new Set<string>();
  await Promise.all(
    namespaces.map(async (namespace) => {
      const provider = await client.providers.register(namespace, { abortSignal: options.signal });
      if (provider.registrationState === "Registered") options.progress?.(`${namespace}: Registered`);
      else pending.add(namespace);
    }),
  );
  while (pending.size > 0) {
    if (Date.now() > deadline) {
      throw new SecureAmlError(
        "PROVIDER_REGISTRATION_TIMEOUT",
        `Still registering after ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 60_000)} minutes: ${[...pending].join(", ")}. Nothing else was created.`,
        ExitCode.failed,
        `az provider show --namespace ${[...pending][0]} --query registrationState   (then run the same command again)`,
      );
    }
    await sleep(pollMs, options.signal);
    await Promise.all(
      [...pending].map(async (namespace) => {
        const provider = await client.providers.get(namespace, { abortSignal: options.signal });
        if (provider.registrationState === "Registered") {
          pending.delete(namespace);
          options.progress?.(`${namespace}: Registered`);
        }
      }),
    );
  }
}
