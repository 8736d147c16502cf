// Step 10 (the tutorial's "Enable studio"): the Reader role for the workspace's managed identity on
// each storage private endpoint. Assignment names are GUIDs derived from scope + principal + role,
// so a re-run finds the same assignment instead of adding another.

import type { Step, StepIo, StepResult, PlannedResource } from "../engine/types.js";
import type { RoleAssignment } from "@azure/arm-authorization";
import type { AzureStepContext } from "./context.js";
import { getOrUndefined, armCall, ArmOperationError } from "../azure/arm-errors.js";
import { READER_ROLE_ID, converge, deterministicGuid, outcome, planResource, privateEndpointId, sameId, type ResourceSpec } from "./common.js";
import { storageEndpoints } from "./storage-endpoints.js";
import { writeSeconds } from "../durations.js";

export function readerRoleDefinitionId(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE_ID}`;
}

export function roleAssignmentName(scope: string, principalId: string, roleDefinitionId: string): string {
  return deterministicGuid(scope, principalId, roleDefinitionId);
}

function spec({ config, azure }: AzureStepContext, scope: string, principalId: string): ResourceSpec<RoleAssignment> {
  const roleDefinitionId = readerRoleDefinitionId(config.subscriptionId);
  const name = roleAssignmentName(scope, principalId, roleDefinitionId);
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  return {
    id,
    kind: "Microsoft.Authorization/roleAssignments",
    name: `Reader on ${scope.split("/").pop()}`,
    group: "training-subnet",
    read: async () => getOrUndefined({ resource: id }, async () => (await azure.authorization()).roleAssignments.get(scope, name)),
    diff: (ra) => {
      const changes: string[] = [];
      if (!sameId(ra.roleDefinitionId, roleDefinitionId)) changes.push(`roleDefinitionId → Reader`);
      if ((ra.principalId ?? "").toLowerCase() !== principalId.toLowerCase()) changes.push(`principalId → ${principalId}`);
      return changes;
    },
    create: async () => {
      try {
        return await (await azure.authorization()).roleAssignments.create(scope, name, { roleDefinitionId, principalId, principalType: "ServicePrincipal" });
      } catch (err) {
        // The same role for the same principal under another name (made by hand) is what we want.
        const code = (err as { code?: unknown }).code;
        if (code === "RoleAssignmentExists") return undefined;
        throw err;
      }
    },
    update: async () => {
      throw new ArmOperationError({
        code: "ROLE_ASSIGNMENT_CONFLICT",
        message: `Role assignment ${name} on ${scope} exists with another role or principal; delete it and re-run`,
        resource: id,
        operation: "update role assignment",
        transient: false,
      });
    },
  };
}

async function principalOf(ctx: AzureStepContext, io: Pick<StepIo, "outputs"> | undefined): Promise<string | undefined> {
  const fromOutputs = io?.outputs("workspace").workspacePrincipalId;
  if (fromOutputs) return fromOutputs;
  const ws = await getOrUndefined({ resource: ctx.config.workspace }, async () => (await ctx.azure.machineLearning()).workspaces.get(ctx.config.resourceGroup, ctx.config.workspace));
  return ws?.identity?.principalId;
}

export async function runStorageEndpointReader(ctx: AzureStepContext, io: StepIo): Promise<StepResult> {
  const principalId = await principalOf(ctx, io);
  if (!principalId) {
    throw new ArmOperationError({ code: "WORKSPACE_NO_IDENTITY", message: `Workspace ${ctx.config.workspace} has no managed identity yet`, transient: false });
  }
  const scopes = storageEndpoints(ctx).map((w) => privateEndpointId(ctx.config, w.name));
  const results = await armCall({ resource: ctx.config.workspace, operation: "assign Reader" }, () =>
    Promise.all(scopes.map((scope) => converge(spec(ctx, scope, principalId), ctx.azure, io))),
  );
  return { resources: results.map(outcome) };
}

export async function planStorageEndpointReader(ctx: AzureStepContext): Promise<PlannedResource[]> {
  const principalId = await principalOf(ctx, undefined);
  const scopes = storageEndpoints(ctx).map((w) => privateEndpointId(ctx.config, w.name));
  if (!principalId) {
    return scopes.map((scope) => ({
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/(new)`,
      kind: "Microsoft.Authorization/roleAssignments",
      name: `Reader on ${scope.split("/").pop()}`,
      group: "training-subnet",
      action: "create" as const,
    }));
  }
  return Promise.all(scopes.map((scope) => planResource(spec(ctx, scope, principalId))));
}

export const storageEndpointReaderStep: Step<AzureStepContext> = {
  id: "storage-endpoint-reader",
  title: "Reader role for the workspace on storage endpoints",
  dependsOn: ["workspace", "storage-endpoints"],
  // role assignments in parallel
  expectedSeconds: writeSeconds("Microsoft.Authorization/roleAssignments"),
  run: runStorageEndpointReader,
  plan: planStorageEndpointReader,
};
