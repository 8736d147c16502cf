// Where the state lives: a local file, or a blob in Azure Storage (team state, like Terraform's azurerm
// backend). `--state` takes either; this module tells them apart and checks the URL form (and that a
// path is not a directory), so a bad value is reported with the other bad input (exit 2, nothing sent).

import { statSync } from "node:fs";
import { join } from "node:path";
import { isLoopbackHost } from "../azure/credential.js";

export interface FileLocation {
  kind: "file";
  path: string;
}

export interface BlobLocation {
  kind: "blob";
  /** The URL as given (it never holds a credential: query strings and user info are refused). */
  url: string;
  /** Service endpoint: `https://ACCOUNT.blob.core.windows.net` or `http://127.0.0.1:PORT/ACCOUNT` (Azurite). */
  serviceUrl: string;
  account: string;
  container: string;
  blob: string;
  /** A loopback storage emulator (Azurite): only a connection string may authenticate to it. */
  loopback: boolean;
  /** The Microsoft Entra authority of the storage account's cloud (for the Azure credential). */
  authorityHost: string;
}

export type StateLocation = FileLocation | BlobLocation;

/** The variable holding a storage connection string for a blob state (never a flag: it is a secret). */
export const STATE_CONNECTION_STRING_ENV = "SECURE_AML_STATE_CONNECTION_STRING";

// The connection string is taken once from the process environment and kept here only: later
// opens in the same process (status, then destroy) still have it, child processes never see it.
let takenFromProcess: string | undefined;

/**
 * Takes the state's connection string out of `env` (and out of process.env): call it early (CLI
 * start) so that no child process (the Azure CLI a credential starts) inherits it. Returns it.
 */
export function takeStateConnectionString(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[STATE_CONNECTION_STRING_ENV];
  const value = raw !== undefined && raw.trim() !== "" ? raw.trim() : undefined;
  delete env[STATE_CONNECTION_STRING_ENV];
  delete process.env[STATE_CONNECTION_STRING_ENV];
  if (env !== process.env) return value; // an explicit environment (tests, embedding) is used as given
  takenFromProcess = value ?? takenFromProcess;
  return takenFromProcess;
}

/** Blob endpoints of the public clouds, with the authority a token for them comes from. */
const BLOB_SUFFIXES: Array<{ suffix: string; authorityHost: string }> = [
  { suffix: "blob.core.windows.net", authorityHost: "https://login.microsoftonline.com" },
  { suffix: "blob.core.usgovcloudapi.net", authorityHost: "https://login.microsoftonline.us" },
  { suffix: "blob.core.chinacloudapi.cn", authorityHost: "https://login.chinacloudapi.cn" },
];

const ACCOUNT_RULE = /^[a-z0-9]{3,24}$/;
// Azure's container rule: 3-63 characters, lowercase letters, digits and single hyphens, starting and ending with a letter or digit.
const CONTAINER_RULE = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

/** Whether `--state` is a URL rather than a path (a scheme followed by "://"). */
export function isStateUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

const URL_FORMS = "https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH.json (or, for a local storage emulator, http://127.0.0.1:PORT/ACCOUNT/CONTAINER/PATH.json)";

/** Parses `--state`; returns the rule it breaks instead when it is not a usable location. */
export function parseStateLocation(text: string): StateLocation | { problem: string } {
  if (text.trim() === "") return { problem: "must name a state file or a blob URL (it is empty)" };
  if (text.includes("\0")) return { problem: "must not contain a NUL character" };
  if (!isStateUrl(text)) return { kind: "file", path: text };

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: `is not a valid URL; a blob state is ${URL_FORMS}` };
  }
  if (url.username !== "" || url.password !== "") {
    return { problem: `must not carry credentials; put a connection string in ${STATE_CONNECTION_STRING_ENV} instead` };
  }
  if (url.search !== "" || url.hash !== "") {
    return { problem: `must not carry a query string (a SAS token would be printed and stored); put it in ${STATE_CONNECTION_STRING_ENV} (SharedAccessSignature=...)` };
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    return { problem: `must be an https:// URL (http only for a storage emulator on 127.0.0.1); a blob state is ${URL_FORMS}` };
  }
  let segments: string[];
  try {
    segments = url.pathname
      .split("/")
      .slice(1)
      .map((s) => decodeURIComponent(s));
  } catch {
    return { problem: "has a malformed percent-encoding in its path" };
  }
  let account: string;
  let serviceUrl: string;
  let authorityHost = BLOB_SUFFIXES[0]!.authorityHost;
  if (loopback) {
    account = segments.shift() ?? "";
    serviceUrl = `${url.protocol}//${url.host}/${account}`;
  } else {
    const host = url.hostname.toLowerCase();
    const cloud = BLOB_SUFFIXES.find((c) => host.endsWith(`.${c.suffix}`));
    if (!cloud) return { problem: `must be a Blob Storage URL: ${URL_FORMS}` };
    account = host.slice(0, host.length - cloud.suffix.length - 1);
    authorityHost = cloud.authorityHost;
    if (url.port !== "") return { problem: "must not name a port for an Azure Storage account" };
    serviceUrl = `https://${host}`;
  }
  if (!ACCOUNT_RULE.test(account)) return { problem: `names the storage account "${account}", which must be 3-24 lowercase letters and digits` };
  const container = segments.shift() ?? "";
  if (!CONTAINER_RULE.test(container)) {
    return { problem: `names the container "${container}", which must be 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit` };
  }
  const blob = segments.join("/");
  if (blob === "" || blob.endsWith("/") || segments.some((s) => s === "" || s === "." || s === "..")) {
    return { problem: `must name a blob after the container (CONTAINER/PATH.json), without empty, "." or ".." path segments` };
  }
  if (blob.length > 1024) return { problem: "names a blob longer than 1024 characters (Azure's limit)" };
  return { kind: "blob", url: text, serviceUrl, account, container, blob, loopback, authorityHost };
}

/**
 * The rule `--state` breaks, for the bad-input report (exit 2, before anything runs), or undefined.
 * Besides the URL form: a path must not name an existing directory.
 */
export function stateLocationProblem(text: string): string | undefined {
  const location = parseStateLocation(text);
  if ("problem" in location) return location.problem;
  if (location.kind === "file") {
    let isDirectory = false;
    try {
      isDirectory = statSync(location.path).isDirectory();
    } catch {
      isDirectory = false; // missing (created later) or unreadable (reported when opened)
    }
    if (isDirectory) return `names a directory; it must name a file (for example ${join(location.path, "state.json")})`;
  }
  return undefined;
}

/** `--state` as it may be shown: a URL without its query string or user info (a SAS, a password). */
export function displayStateLocation(text: string): string {
  if (!isStateUrl(text)) return text;
  try {
    const url = new URL(text);
    const hidden = url.search !== "" || url.username !== "" || url.password !== "";
    url.search = "";
    url.username = "";
    url.password = "";
    url.hash = "";
    return hidden ? `${url.toString()} (query and credentials not shown)` : text;
  } catch {
    return text.replace(/[?#].*$/, "");
  }
}
