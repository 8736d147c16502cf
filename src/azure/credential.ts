// Credentials and where they may go. Against a local emulator (an endpoint that resolves to a
// loopback address) a fixed test token is enough; the person's real token (DefaultAzureCredential,
// built in src/commands/runtime.ts) goes only to the cloud's Resource Manager endpoint or to one
// declared trusted with --trust-endpoint; any other endpoint is refused before a token is asked for.

import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { isIP } from "node:net";
import { SecureAmlError, ExitCode, InputError } from "../errors.js";
import type { CloudProfile } from "./clouds.js";

export const STATIC_TEST_TOKEN = "secure-aml-local-emulator-token";

/**
 * True for 127.0.0.0/8, ::1 and localhost, judged by the text alone. Deciding where a token may go
 * uses resolvesToLoopback (the resolved address) instead: "localhost." or a name that resolves to
 * 127.0.0.1 is as local as "localhost".
 */
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

// ---------------------------------------------------------------------------------------------
// Endpoint trust: where a token may go

/** Resolves a host name to all its addresses (dns.lookup by default; injectable for tests). */
export type HostLookup = (host: string) => Promise<string[]>;

async function systemLookup(host: string): Promise<string[]> {
  const { lookup } = await import("node:dns/promises");
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  if (a === "::1" || a === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  return v4 !== null && v4.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * Whether a host is loopback by the address it RESOLVES to (every address of the name, at least one):
 * "localhost." (trailing dot) and a name whose only address is 127.0.0.1 are loopback; a name that
 * does not resolve is not.
 */
export async function resolvesToLoopback(host: string, lookup: HostLookup = systemLookup): Promise<boolean> {
  // "localhost." is the absolute form of "localhost": the same name (the hosts file knows only the
  // relative form), so the trailing dot goes before the lookup.
  const h = host.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (isIP(h) !== 0) return isLoopbackAddress(h);
  try {
    const addresses = await lookup(h);
    return addresses.length > 0 && addresses.every(isLoopbackAddress);
  } catch {
    return false;
  }
}

/** Origin (scheme, host, port) of an https URL, lower-case, without a trailing dot on the host. */
export function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/\.$/, "").toLowerCase();
    const port = u.port === "" ? (u.protocol === "https:" ? "443" : "80") : u.port;
    return `${u.protocol}//${host}:${port}`;
  } catch {
    return undefined;
  }
}

/** Environment variable listing endpoints the person declares trusted with a real token (comma-separated URLs). */
export const TRUSTED_ENDPOINTS_ENV = "SECURE_AML_TRUSTED_ENDPOINTS";

export type EndpointTrust =
  /** A local emulator: only the static test token is ever sent. */
  | { kind: "loopback"; endpoint: string }
  /** The chosen cloud's own Resource Manager endpoint: the person's real token. */
  | { kind: "cloud"; endpoint: string }
  /** An endpoint the person declared trusted (--trust-endpoint / SECURE_AML_TRUSTED_ENDPOINTS): the real token. */
  | { kind: "trusted"; endpoint: string };

/**
 * Decides which token an endpoint may receive. Loopback is judged by the resolved address; a real
 * token goes only to the cloud's ARM endpoint or one the person declared trusted; anything else is
 * refused with InputError (exit 2) before any token is requested or any request sent.
 */
export async function decideEndpointTrust(opts: {
  endpoint: string | undefined;
  cloud: CloudProfile;
  trustedEndpoints?: readonly string[];
  lookup?: HostLookup;
}): Promise<EndpointTrust> {
  const endpoint = (opts.endpoint ?? opts.cloud.armEndpoint).replace(/\/+$/, "");
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    throw new InputError([{ field: "endpoint", flag: "--endpoint", env: "SECURE_AML_ARM_ENDPOINT", value: endpoint, rule: "must be an https:// URL" }]);
  }
  const origin = originOf(endpoint);
  // The cloud's own endpoint first: it is never loopback, and needs no name lookup.
  if (origin !== undefined && origin === originOf(opts.cloud.armEndpoint)) return { kind: "cloud", endpoint };
  if (await resolvesToLoopback(host, opts.lookup)) return { kind: "loopback", endpoint };
  if (origin !== undefined && (opts.trustedEndpoints ?? []).some((t) => originOf(t) === origin)) return { kind: "trusted", endpoint };
  throw new InputError([
    {
      field: "endpoint",
      flag: "--endpoint",
      env: "SECURE_AML_ARM_ENDPOINT",
      value: endpoint,
      rule:
        `is neither ${opts.cloud.name}'s Resource Manager endpoint (${opts.cloud.armEndpoint}) nor a loopback emulator, so your Azure sign-in token would be sent to it; ` +
        `if you trust it with your token, say so with --trust-endpoint ${origin ?? endpoint} (or ${TRUSTED_ENDPOINTS_ENV})`,
    },
  ]);
}

/** Trusted endpoints from --trust-endpoint (repeatable) and SECURE_AML_TRUSTED_ENDPOINTS. */
export function trustedEndpointsFrom(flag: unknown, env: NodeJS.ProcessEnv): string[] {
  const fromFlag = Array.isArray(flag) ? flag.map(String) : typeof flag === "string" ? [flag] : [];
  const fromEnv = (env[TRUSTED_ENDPOINTS_ENV] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return [...fromFlag, ...fromEnv];
}
