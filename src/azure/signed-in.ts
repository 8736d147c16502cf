// Who is signed in, read from the claims of a Resource Manager token (never the token itself): a
// person (a `upn` or `scp` claim) or an application (`idtyp` "app", or neither claim), with the
// object id (`oid`). The compute instance is assigned to the signed-in person by default; signed in
// as a service principal (CI), the person must be named with --compute-instance-user.

import type { TokenCredential } from "@azure/core-auth";
import type { DeploymentConfig } from "../config/types.js";
import { LOCAL_USER_OBJECT_ID } from "../config/local.js";
import { InputError } from "../errors.js";

export interface SignedIn {
  kind: "user" | "app" | "unknown";
  /** The identity's object id (`oid`), when the token says. */
  objectId?: string;
}

/** What the claims of a JWT access token say about the identity; "unknown" for anything that is not a JWT. */
export function signedInFromToken(token: string): SignedIn {
  const payload = token.split(".")[1];
  if (!payload) return { kind: "unknown" };
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return { kind: "unknown" };
  }
  const text = (key: string) => (typeof claims[key] === "string" && claims[key] !== "" ? (claims[key] as string) : undefined);
  const objectId = text("oid");
  const isApp = text("idtyp") === "app" || (text("upn") === undefined && text("scp") === undefined);
  return { kind: isApp ? "app" : "user", ...(objectId ? { objectId } : {}) };
}

function userRequired(rule: string): InputError {
  return new InputError([{ field: "computeInstanceUser", flag: "--compute-instance-user", env: "SECURE_AML_COMPUTE_INSTANCE_USER", rule }]);
}

/**
 * The config with `computeInstanceUser` filled in: as given, else the signed-in person's object id
 * (the loopback emulator's static token: LOCAL_USER_OBJECT_ID). Signed in as an application, or with a
 * token that names no object id: InputError (exit 2) naming --compute-instance-user, before any write.
 */
export async function withComputeInstanceUser(config: DeploymentConfig, opts: { credential: TokenCredential; scope: string; loopback: boolean }): Promise<DeploymentConfig> {
  if (config.computeInstanceUser !== undefined) return config;
  const token = await opts.credential.getToken(opts.scope);
  const who = token ? signedInFromToken(token.token) : { kind: "unknown" as const };
  if (who.kind === "unknown" && opts.loopback) return { ...config, computeInstanceUser: LOCAL_USER_OBJECT_ID };
  if (who.kind === "app") {
    throw userRequired(
      "required when signed in as a service principal (the instance would belong to the application and no person could open it): " +
        "give the object id of the person who will use it (`az ad user show --id someone@example.com --query id -o tsv`)",
    );
  }
  if (who.objectId === undefined) throw userRequired("the sign-in token names no object id (oid); give the object id of the person who will use the compute instance");
  return { ...config, computeInstanceUser: who.objectId };
}
