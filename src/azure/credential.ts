// Credentials. Against the local emulator a fixed test token is enough; anywhere else the real
// DefaultAzureCredential chain is used, imported only when needed (it is slow to load and probes
// a managed-identity address that tests must never touch).

import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { SecureAmlError, ExitCode } from "../errors.js";
import type { CloudProfile } from "./clouds.js";

export const STATIC_TEST_TOKEN = "secure-aml-local-emulator-token";

/** True for 127.0.0.0/8, ::1 and localhost (the only hosts the static test credential may talk to). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255);
  const mapped = /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.exec(h);
  return mapped !== null;
}

/** A fixed bearer token; only ever sent to a loopback endpoint (see assertLoopbackEndpoint). */
export class StaticTestCredential implements TokenCredential {
  constructor(private readonly token: string = STATIC_TEST_TOKEN) {}
  async getToken(): Promise<AccessToken> {
    return { token: this.token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
  }
}

/** Refuses to pair the static test credential with anything but a loopback endpoint. */
export function assertLoopbackEndpoint(endpoint: string | undefined): void {
  let host: string | undefined;
  try {
    host = endpoint === undefined ? undefined : new URL(endpoint).hostname;
  } catch {
    host = undefined;
  }
  if (host === undefined || !isLoopbackHost(host)) {
    throw new SecureAmlError(
      "TEST_CREDENTIAL_NOT_LOOPBACK",
      `The local test credential may only be used with a loopback endpoint (127.0.0.0/8, ::1, localhost); ` +
        `got ${endpoint === undefined ? "no endpoint (the public Azure endpoint)" : JSON.stringify(endpoint)}. ` +
        `Sign in with \`az login\` and drop --local, or point --endpoint at the local emulator.`,
      ExitCode.badInput,
    );
  }
}

export function createStaticTestCredential(endpoint: string | undefined): TokenCredential {
  assertLoopbackEndpoint(endpoint);
  return new StaticTestCredential();
}

/**
 * The credential for an endpoint: the static test credential for a loopback endpoint when
 * `local` is set, otherwise DefaultAzureCredential for the cloud's authority (lazily imported).
 */
export async function credentialFor(opts: { endpoint?: string; local: boolean; cloud: CloudProfile }): Promise<TokenCredential> {
  if (opts.local) return createStaticTestCredential(opts.endpoint);
  const { DefaultAzureCredential } = await import("@azure/identity");
  return new DefaultAzureCredential({ authorityHost: opts.cloud.authorityHost });
}
