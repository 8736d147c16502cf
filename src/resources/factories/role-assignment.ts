// A role assignment for a principal on a scope. Its name is a GUID derived from scope + principal +
// role, so a re-run finds the same assignment instead of adding another.

import { createHash } from "node:crypto";
import type { RoleAssignment } from "@azure/arm-authorization";
import type { AzureContext } from "../../azure/clients.js";
import { ArmOperationError } from "../../azure/arm-errors.js";
import * as kinds from "../kinds/index.js";
import { arm, change, sameId, type Change, type ResourceSpec } from "../spec.js";

/**
 * A stable GUID from parts (RFC 4122 version 5 layout over SHA-1), so a re-run names a role
 * assignment the same way and never duplicates it.
 */
export function deterministicGuid(...parts: string[]): string {
  const hash = createHash("sha1")
    .update(parts.map((p) => p.toLowerCase()).join("|"))
    .digest();
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function roleDefinitionId(subscriptionId: string, roleId: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

export function roleAssignmentName(scope: string, principalId: string, roleDefinitionId: string): string {
  return deterministicGuid(scope, principalId, roleDefinitionId);
}

export interface RoleAssignmentWanted {
  scope: string;
  principalId: string;
  roleDefinitionId: string;
  /** "Reader", ... (for names and messages). */
  roleName: string;
  principalType?: "ServicePrincipal" | "User" | "Group";
  group?: string;
}

export function roleAssignmentSpec(azure: AzureContext, wanted: RoleAssignmentWanted): ResourceSpec<RoleAssignment> {
  const name = roleAssignmentName(wanted.scope, wanted.principalId, wanted.roleDefinitionId);
  const id = `${wanted.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  return {
    ...arm(kinds.roleAssignment, azure, id, `${wanted.roleName} on ${wanted.scope.split("/").pop()}`, wanted.group ?? "training-subnet"),
    diff: (ra) => {
      const changes: Change[] = [];
      if (!sameId(ra.roleDefinitionId, wanted.roleDefinitionId)) changes.push(change("roleDefinitionId", ra.roleDefinitionId, wanted.roleDefinitionId));
      if ((ra.principalId ?? "").toLowerCase() !== wanted.principalId.toLowerCase()) changes.push(change("principalId", ra.principalId, wanted.principalId));
      return changes;
    },
    create: async () => {
      try {
        return await (await azure.authorization()).roleAssignments.create(wanted.scope, name, {
          roleDefinitionId: wanted.roleDefinitionId,
          principalId: wanted.principalId,
          principalType: wanted.principalType ?? "ServicePrincipal",
        });
      } catch (err) {
        // The same role for the same principal under another name (made by hand) is what we want.
        if ((err as { code?: unknown }).code === "RoleAssignmentExists") return undefined;
        throw err;
      }
    },
    update: async () => {
      throw new ArmOperationError({
        code: "ROLE_ASSIGNMENT_CONFLICT",
        message: `Role assignment ${name} on ${wanted.scope} exists with another role or principal; delete it and re-run`,
        resource: id,
        operation: "update role assignment",
        transient: false,
      });
    },
  };
}
