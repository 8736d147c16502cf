// Step 10 (the tutorial's "Enable studio"): the Reader role for the workspace's managed identity on
// each storage private endpoint (the role-assignment factory names each one with a GUID derived from
// scope + principal + role, so a re-run finds the same assignment instead of adding another).

import type { AzureStepContext } from "./context.js";
import { ArmOperationError, getOrUndefined } from "../azure/arm-errors.js";
import { declareStep, type StepDeps } from "../resources/reconcile.js";
import { parallel, type AnySpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { roleAssignmentSpec, roleDefinitionId } from "../resources/factories/role-assignment.js";
import { READER_ROLE_ID, privateEndpointId, workspaceId } from "./common.js";
import { storageEndpoints } from "./storage-endpoints.js";
import { writeSeconds } from "../durations.js";

export { roleAssignmentName } from "../resources/factories/role-assignment.js";

export function readerRoleDefinitionId(subscriptionId: string): string {
  return roleDefinitionId(subscriptionId, READER_ROLE_ID);
}

/** The workspace's principal: from the workspace step's outputs, or read (plan; a resumed run). */
async function principalOf(ctx: AzureStepContext, deps: StepDeps): Promise<string | undefined> {
  const fromOutputs = deps.outputs("workspace").workspacePrincipalId;
  if (fromOutputs) return fromOutputs;
  const id = workspaceId(ctx.config);
  const ws = await getOrUndefined({ resource: id }, () =>
    kinds.mlWorkspace.read(ctx.azure, { resourceGroup: ctx.config.resourceGroup, types: ["workspaces"], names: [ctx.config.workspace] }, id),
  );
  return ws?.identity?.principalId;
}

/** Before the workspace (and its identity) exists: what `plan` shows, and what `init` refuses to write. */
function awaitingIdentity(ctx: AzureStepContext, scope: string): AnySpec {
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/(new)`,
    kind: kinds.roleAssignment.type,
    name: `Reader on ${scope.split("/").pop()}`,
    group: "training-subnet",
    read: async () => undefined,
    diff: () => [],
    create: async () => {
      throw new ArmOperationError({ code: "WORKSPACE_NO_IDENTITY", message: `Workspace ${ctx.config.workspace} has no managed identity yet`, transient: false });
    },
  };
}

export const storageEndpointReaderStep = declareStep<AzureStepContext>({
  id: "storage-endpoint-reader",
  title: "Reader role for the workspace on storage endpoints",
  dependsOn: ["workspace", "storage-endpoints"],
  // role assignments in parallel
  expectedSeconds: writeSeconds("Microsoft.Authorization/roleAssignments"),
  resources: async (ctx, deps) => {
    const principalId = await principalOf(ctx, deps);
    const scopes = storageEndpoints(ctx).map((w) => privateEndpointId(ctx.config, w.name));
    return [
      parallel(
        ...scopes.map((scope) =>
          principalId
            ? roleAssignmentSpec(ctx.azure, { scope, principalId, roleDefinitionId: readerRoleDefinitionId(ctx.config.subscriptionId), roleName: "Reader" })
            : awaitingIdentity(ctx, scope),
        ),
      ),
    ];
  },
});
