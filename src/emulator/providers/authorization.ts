// Microsoft.Authorization (2022-04-01): role assignments as extension resources on any scope, with
// ARM's rules (GUID names, known role definitions, one assignment per principal+role+scope, no
// updates of principal/role/scope, PrincipalNotFound for unknown or not yet replicated principals),
// and the built-in role definitions the steps use. Rules and messages: docs/emulator-services.md.

import { sameId } from "../core/common.js";
import { ArmError, type EmulatorProvider, type HandlerContext, type JsonObject } from "../types.js";
import { GUID_PATTERN, compact, enumValue, nowIso, optionalString, section } from "./service-common.js";
import { EMULATOR_TENANT_ID } from "./resources.js";
import { principalState, principalTypeOf } from "./principals.js";
import { latencyOf } from "../../durations.js";

export const ROLE_ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments";

/** @azure/arm-authorization 9 sends 2022-04-01 for role assignments and definitions. */
const API_VERSIONS = ["2022-04-01", "2020-04-01-preview", "2020-10-01-preview", "2022-01-01-preview"];

const PRINCIPAL_TYPES = ["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"] as const;

/** Built-in role definitions (IDs are the same in every Azure tenant). */
export const BUILT_IN_ROLES: ReadonlyArray<{ id: string; roleName: string; description: string; actions: string[]; dataActions: string[] }> = [
  {
    id: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    roleName: "Reader",
    description: "View all resources, but does not allow you to make any changes.",
    actions: ["*/read"],
    dataActions: [],
  },
  {
    id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    roleName: "Contributor",
    description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.",
    actions: ["*"],
    dataActions: [],
  },
  {
    id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    roleName: "Owner",
    description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    actions: ["*"],
    dataActions: [],
  },
  {
    id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    roleName: "User Access Administrator",
    description: "Lets you manage user access to Azure resources.",
    actions: ["*/read", "Microsoft.Authorization/*"],
    dataActions: [],
  },
  {
    id: "4d97b98b-1d4f-4787-a291-c67834d212e7",
    roleName: "Network Contributor",
    description: "Lets you manage networks, but not access to them.",
    actions: ["Microsoft.Network/*"],
    dataActions: [],
  },
  {
    id: "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    roleName: "Storage Account Contributor",
    description: "Lets you manage storage accounts, but not access to them.",
    actions: ["Microsoft.Storage/storageAccounts/*"],
    dataActions: [],
  },
  {
    id: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    roleName: "Storage Blob Data Contributor",
    description: "Allows for read, write and delete access to Azure Storage blob containers and data.",
    actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/*"],
    dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
  },
  {
    id: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    roleName: "Storage Blob Data Reader",
    description: "Allows for read access to Azure Storage blob containers and data.",
    actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
    dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
  },
  {
    id: "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    roleName: "Storage File Data Privileged Contributor",
    description: "Customer has read, write, delete and modify NTFS permission access on Azure Storage file shares.",
    actions: [],
    dataActions: ["Microsoft.Storage/storageAccounts/fileServices/*"],
  },
  { id: "7f951dda-4ed3-4680-a7ca-43fe172d538d", roleName: "AcrPull", description: "acr pull", actions: ["Microsoft.ContainerRegistry/registries/pull/read"], dataActions: [] },
  {
    id: "8311e382-0749-4cb8-b61a-304f252e45ec",
    roleName: "AcrPush",
    description: "acr push",
    actions: ["Microsoft.ContainerRegistry/registries/pull/read", "Microsoft.ContainerRegistry/registries/push/write"],
    dataActions: [],
  },
  {
    id: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    roleName: "Key Vault Administrator",
    description: "Perform all data plane operations on a key vault and all objects in it.",
    actions: ["Microsoft.KeyVault/vaults/*"],
    dataActions: ["Microsoft.KeyVault/vaults/*"],
  },
  {
    id: "4633458b-17de-408a-b874-0445c86b69e6",
    roleName: "Key Vault Secrets User",
    description: "Read secret contents.",
    actions: [],
    dataActions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
  },
  {
    id: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    roleName: "AzureML Data Scientist",
    description: "Can perform all actions within an Azure Machine Learning workspace, except for creating or deleting compute resources and modifying the workspace itself.",
    actions: ["Microsoft.MachineLearningServices/workspaces/*/read"],
    dataActions: [],
  },
  { id: "43d0d8ad-25c7-4714-9337-8ba259a9fe05", roleName: "Monitoring Reader", description: "Can read all monitoring data.", actions: ["*/read"], dataActions: [] },
  {
    id: "1c0163c0-47e6-4577-8991-ea5c82e286e4",
    roleName: "Virtual Machine Administrator Login",
    description: "View Virtual Machines in the portal and login as administrator",
    actions: ["Microsoft.Compute/virtualMachines/*/read"],
    dataActions: ["Microsoft.Compute/virtualMachines/login/action", "Microsoft.Compute/virtualMachines/loginAsAdmin/action"],
  },
  {
    id: "fb879df8-f326-4884-b1cf-06f3ad86be52",
    roleName: "Virtual Machine User Login",
    description: "View Virtual Machines in the portal and login as a regular user.",
    actions: ["Microsoft.Compute/virtualMachines/*/read"],
    dataActions: ["Microsoft.Compute/virtualMachines/login/action"],
  },
];

const ROLE_DEFINITION_ID = /^(?:\/subscriptions\/([^/]+))?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i;

function roleDefinitionBody(subscriptionId: string, role: (typeof BUILT_IN_ROLES)[number]): JsonObject {
  return {
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role.id}`,
    name: role.id,
    type: "Microsoft.Authorization/roleDefinitions",
    properties: {
      roleName: role.roleName,
      type: "BuiltInRole",
      description: role.description,
      assignableScopes: ["/"],
      permissions: [{ actions: role.actions, notActions: [], dataActions: role.dataActions, notDataActions: [] }],
      createdOn: "2015-02-02T21:55:09.8806423Z",
      updatedOn: "2024-01-01T00:00:00.0000000Z",
    },
  };
}

function principalNotFound(principalId: string): ArmError {
  return new ArmError(
    400,
    "PrincipalNotFound",
    `Principal ${principalId.replace(/-/g, "")} does not exist in the directory ${EMULATOR_TENANT_ID}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
  );
}

function assignmentBody(ctx: HandlerContext, request: JsonObject, existing: JsonObject | undefined): JsonObject {
  if (!GUID_PATTERN.test(ctx.name)) {
    throw new ArmError(400, "InvalidRoleAssignmentId", `The role assignment ID '${ctx.name}' is not valid. The role assignment ID must be a GUID.`);
  }
  const requested = section(request, "properties");
  const scope = ctx.parentId(ctx.id) ?? "/";
  const roleDefinitionId = optionalString(requested, "roleDefinitionId");
  const principalId = optionalString(requested, "principalId");
  if (!roleDefinitionId) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid: properties.roleDefinitionId is required.");
  if (!principalId) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid: properties.principalId is required.");
  const match = ROLE_DEFINITION_ID.exec(roleDefinitionId);
  const roleGuid = match?.[2] ?? roleDefinitionId.split("/").pop() ?? roleDefinitionId;
  const role = BUILT_IN_ROLES.find((candidate) => candidate.id.toLowerCase() === roleGuid.toLowerCase());
  if (!match || !role) {
    throw new ArmError(400, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${roleGuid}' does not exist.`);
  }
  if (match[1] !== undefined && match[1].toLowerCase() !== ctx.subscriptionId.toLowerCase()) {
    throw new ArmError(400, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${roleGuid}' does not exist.`);
  }
  const principalType = enumValue(
    optionalString(requested, "principalType"),
    PRINCIPAL_TYPES,
    (v) => new ArmError(400, "InvalidPrincipalType", `The principal type '${v}' is not valid. Valid values: ${PRINCIPAL_TYPES.join(", ")}.`),
  );

  if (existing) {
    const previous = section(existing, "properties");
    const changed =
      !sameId(optionalString(previous, "principalId"), principalId) ||
      !sameId(optionalString(previous, "roleDefinitionId")?.split("/").pop(), roleGuid) ||
      !sameId(optionalString(previous, "scope"), scope);
    if (changed) {
      throw new ArmError(409, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
    }
  } else {
    const duplicate = ctx.store.listByType(ROLE_ASSIGNMENT_TYPE).find((record) => {
      const properties = section(record.body, "properties");
      return (
        !sameId(record.id, ctx.id) &&
        sameId(optionalString(properties, "principalId"), principalId) &&
        sameId(optionalString(properties, "scope"), scope) &&
        sameId(optionalString(properties, "roleDefinitionId")?.split("/").pop(), roleGuid)
      );
    });
    if (duplicate)
      throw new ArmError(409, "RoleAssignmentExists", "The role assignment already exists.", [
        { code: "RoleAssignmentExists", message: `The role assignment already exists with ID '${duplicate.name}'.`, target: duplicate.id },
      ]);
  }

  const state = GUID_PATTERN.test(principalId) ? principalState(ctx.store, principalId, ctx.now().getTime()) : "unknown";
  if (state === "unknown") throw principalNotFound(principalId);
  if (state === "replicating" && principalType === undefined) throw principalNotFound(principalId);
  // The emulated directory holds service principals (managed identities) and the principals seeded through
  // POST /_emulator/principals (users or groups made outside ARM).
  const actualType = principalTypeOf(ctx.store, principalId);
  if (principalType !== undefined && principalType !== actualType) {
    throw new ArmError(
      400,
      "UnmatchedPrincipalType",
      `The PrincipalId '${principalId.replace(/-/g, "")}' has type '${actualType}' , which is different from specified PrincipalType '${principalType}'.`,
    );
  }
  const previous = section(existing, "properties");
  const now = nowIso(ctx);
  return {
    properties: compact({
      roleDefinitionId: `/subscriptions/${ctx.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role.id}`,
      principalId,
      principalType: principalType ?? optionalString(previous, "principalType") ?? "ServicePrincipal",
      scope,
      description: optionalString(requested, "description"),
      condition: optionalString(requested, "condition"),
      conditionVersion: optionalString(requested, "conditionVersion"),
      createdOn: optionalString(previous, "createdOn") ?? now,
      updatedOn: now,
    }),
  };
}

export const authorizationProvider: EmulatorProvider = {
  namespace: "Microsoft.Authorization",
  types: [
    {
      type: ROLE_ASSIGNMENT_TYPE,
      apiVersions: API_VERSIONS,
      location: "none",
      // RoleAssignments_Create: 200/201, synchronous.
      lro: { put: "sync", delete: "sync" },
      // The 2022-04-01 RoleAssignment has no provisioningState.
      provisioningState: false,
      latency: latencyOf(ROLE_ASSIGNMENT_TYPE),
      put(ctx, req) {
        return assignmentBody(ctx, req.body, req.existing?.body);
      },
    },
  ],
  routes: [
    {
      method: "GET",
      path: "Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
      apiVersions: API_VERSIONS,
      handle(ctx, params) {
        const role = BUILT_IN_ROLES.find((candidate) => candidate.id.toLowerCase() === params.roleDefinitionId!.toLowerCase());
        if (!role) throw new ArmError(404, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${params.roleDefinitionId}' does not exist.`);
        return { status: 200, body: roleDefinitionBody(ctx.subscriptionId, role) };
      },
    },
    {
      method: "GET",
      path: "Microsoft.Authorization/roleDefinitions",
      apiVersions: API_VERSIONS,
      handle(ctx, _params, req) {
        // Supports the SDK's `$filter=roleName eq '...'`.
        const filter = /roleName\s+eq\s+'([^']*)'/i.exec(req.query.$filter ?? "")?.[1];
        const value = BUILT_IN_ROLES.filter((role) => filter === undefined || role.roleName.toLowerCase() === filter.toLowerCase()).map((role) =>
          roleDefinitionBody(ctx.subscriptionId, role),
        );
        return { status: 200, body: { value } };
      },
    },
  ],
};
