// `/_emulator/...`: the routes tests and tools use to look inside (health, the request log, the world's
// records and operations, spec findings) and to steer (faults, directory principals, names taken
// elsewhere). No authentication, no api-version: these are not ARM's. See docs/emulator.md "Introspection".
import { parseFaultSpec, type FaultSpec } from "../faults.js";
import { seedPrincipal } from "../providers/principals.js";
import { ArmError, type Json, type JsonObject } from "../types.js";
import { isObject } from "./common.js";
import { armErrorBody, type EmulatorCore, type Reply } from "./request.js";
import { isGuid } from "./routing.js";

type Core = Pick<EmulatorCore, "world" | "records" | "operations" | "findings" | "faults" | "requestLog" | "latency" | "endpoint">;

/** The reply to `method /_emulator/{segments}`; ArmErrors thrown here come back through `errorReply`. */
export async function introspect(core: Core, method: string, segments: string[], rawBody: string, url: URL): Promise<Reply> {
  const { world, faults } = core;
  const route = `${method} ${segments.join("/").toLowerCase()}`;
  const parseBody = (): JsonObject => {
    try {
      const parsed = JSON.parse(rawBody === "" ? "{}" : rawBody) as Json;
      if (isObject(parsed)) return parsed;
    } catch {
      // fall through
    }
    throw new ArmError(400, "InvalidRequestContent", "The body must be a JSON object.");
  };
  switch (route) {
    case "GET health":
      return {
        status: 200,
        body: {
          status: "ok",
          endpoint: core.endpoint(),
          latency: core.latency.profile,
          timeScale: core.latency.timeScale,
          specValidation: core.findings.enabled,
        },
      };
    case "GET requests":
      return { status: 200, body: { value: core.requestLog.entries as unknown as Json[] } };
    case "DELETE requests":
      core.requestLog.clear();
      return { status: 204 };
    case "GET resources":
      core.operations.advance();
      return {
        status: 200,
        body: {
          value: world.all().map((record) => ({ ...record, body: core.records.viewOf(record, undefined) })) as unknown as Json[],
          softDeleted: world.softDeletedDump(),
          takenNames: world.listTakenNames(),
        },
      };
    case "GET operations":
      return { status: 200, body: { value: [...world.operations.values()] as unknown as Json[] } };
    case "GET spec-findings":
      return { status: 200, body: { enabled: core.findings.enabled, value: core.findings.entries as unknown as Json[] } };
    case "DELETE spec-findings":
      core.findings.clear();
      return { status: 204 };
    case "GET faults":
      return { status: 200, body: faults.describe() as unknown as Json };
    case "POST faults":
    case "PUT faults": {
      const body = parseBody();
      const spec = typeof body.spec === "string" ? body.spec : undefined;
      if (spec === undefined) throw new ArmError(400, "InvalidRequestContent", 'Expected {"spec": "..."}.');
      let parsed: FaultSpec;
      try {
        parsed = parseFaultSpec(spec);
      } catch (error) {
        throw new ArmError(400, "InvalidFaultSpec", (error as Error).message);
      }
      faults.set(parsed);
      return { status: 200, body: faults.describe() as unknown as Json };
    }
    case "DELETE faults":
      faults.set(parseFaultSpec(""));
      return { status: 204 };
    case "POST principals": {
      // A directory principal made outside ARM (by Microsoft Graph), already replicated: role assignments find it.
      const body = parseBody();
      if (typeof body.principalId !== "string" || !isGuid(body.principalId)) {
        throw new ArmError(400, "InvalidRequestContent", 'Expected {"principalId": "<GUID>", "principalType"?: "User|Group|ServicePrincipal"}.');
      }
      const principalType = body.principalType ?? "ServicePrincipal";
      if (principalType !== "User" && principalType !== "Group" && principalType !== "ServicePrincipal") {
        throw new ArmError(400, "InvalidRequestContent", "principalType must be User, Group or ServicePrincipal.");
      }
      seedPrincipal(world, body.principalId, principalType);
      world.saveIfDirty();
      return { status: 204 };
    }
    case "GET taken-names":
      return { status: 200, body: world.listTakenNames() };
    case "POST taken-names": {
      const body = parseBody();
      if (typeof body.kind !== "string" || typeof body.name !== "string" || body.kind === "" || body.name === "") {
        throw new ArmError(400, "InvalidRequestContent", 'Expected {"kind": "storage|keyvault|registry|...", "name": "..."}.');
      }
      world.seedTakenName(body.kind, body.name);
      world.saveIfDirty();
      return { status: 204 };
    }
    default:
      return {
        status: 404,
        body: armErrorBody(new ArmError(404, "NotFound", `No emulator route ${method} ${url.pathname}.`)),
      };
  }
}
