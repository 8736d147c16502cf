// Preflight checks: what the subscription must allow for this deployment, read through the real SDK
// clients before anything is written (Azure answers each of these only after a write otherwise, often
// minutes into a run). Every check reads; none writes. A check that cannot be read (no permission to
// read usages, an API a cloud lacks) becomes a note, not a problem: preflight never blocks on a guess.
import type { DeploymentConfig } from "../config/types.js";
import type { AzureContext } from "../azure/clients.js";
import type { PlannedResource } from "../engine/types.js";

/** Stable codes of preflight problems (the `code` of each error in `--output json`). */
export const PreflightCode = {
  quota: "PREFLIGHT_QUOTA",
  vmSizeUnavailable: "PREFLIGHT_VM_SIZE_UNAVAILABLE",
  vmSizeUnknown: "PREFLIGHT_VM_SIZE_UNKNOWN",
  roleAssignmentDenied: "PREFLIGHT_ROLE_ASSIGNMENT_DENIED",
  softDeletedKeyVault: "PREFLIGHT_SOFT_DELETED_KEY_VAULT",
  softDeletedLogAnalytics: "PREFLIGHT_SOFT_DELETED_LOG_ANALYTICS",
  providerUnknown: "PREFLIGHT_PROVIDER_UNKNOWN",
  providersNotRegistered: "PREFLIGHT_PROVIDERS_NOT_REGISTERED",
} as const;
export type PreflightCodeValue = (typeof PreflightCode)[keyof typeof PreflightCode];

export interface PreflightProblem {
  code: PreflightCodeValue;
  /** What stands in the way. */
  message: string;
  /** What to do about it (the quota to request, the sizes available, the missing role, ...). */
  fix: string;
}

export interface ProviderNeed {
  /** As Azure spells it (from the providers list), e.g. "Microsoft.MachineLearningServices". */
  namespace: string;
  registrationState: string;
  /** The steps whose resources live in the namespace. */
  neededBy: string[];
}

export interface QuotaNeed {
  /** "compute": Microsoft.Compute usages (virtual machines); "machineLearning": Machine Learning usages (compute cluster, instance). */
  quota: "compute" | "machineLearning";
  /** VM family (e.g. standardDSv2Family) or "cores" (total regional vCPUs). */
  family: string;
  /** vCPUs this deployment adds. */
  needed: number;
  /** vCPUs left (limit − current usage); undefined when the usages do not report the family. */
  available?: number;
  for: string[];
}

export interface PreflightReport {
  location: string;
  providers: ProviderNeed[];
  /** Namespaces this deployment needs that are not Registered (registered by init before its first write). */
  toRegister: string[];
  quotas: QuotaNeed[];
  /** The caller's right to create role assignments, where this deployment creates some. */
  roleAssignments?: { scope: string; allowed: boolean | undefined };
  problems: PreflightProblem[];
  /** Checks that could not be made, and why (shown, never blocking). */
  notes: string[];
}

export interface PreflightInput {
  azure: AzureContext;
  config: DeploymentConfig;
  /** The plan of every step (read-only), with the step that owns each resource. */
  plan: { steps: Array<{ id: string; resources: PlannedResource[] }> };
  signal?: AbortSignal;
}

const ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write";

function lower(value: string): string {
  return value.toLowerCase();
}

function describe(error: unknown): string {
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  const code = typeof e?.code === "string" ? e.code : typeof e?.statusCode === "number" ? `HTTP ${e.statusCode}` : "error";
  return `${code}: ${typeof e?.message === "string" ? e.message.split("\n")[0] : String(error)}`;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** The namespace of a resource kind ("microsoft.insights/privateLinkScopes" → "microsoft.insights"). */
function namespaceOf(kind: string): string {
  return kind.split("/")[0] ?? kind;
}

// ---------------------------------------------------------------------------------------------
// Providers

async function checkProviders(input: PreflightInput, report: PreflightReport): Promise<void> {
  const neededBy = new Map<string, { namespace: string; steps: Set<string> }>();
  for (const step of input.plan.steps) {
    for (const resource of step.resources) {
      const namespace = namespaceOf(resource.kind);
      const entry = neededBy.get(lower(namespace)) ?? { namespace, steps: new Set<string>() };
      entry.steps.add(step.id);
      neededBy.set(lower(namespace), entry);
    }
  }
  // Nothing left to write (every step proven done): no namespace to check.
  if (neededBy.size === 0) return;
  const client = await input.azure.resources();
  const states = new Map<string, { namespace: string; state: string }>();
  for await (const provider of client.providers.list({ abortSignal: input.signal })) {
    if (provider.namespace) states.set(lower(provider.namespace), { namespace: provider.namespace, state: provider.registrationState ?? "NotRegistered" });
  }
  for (const [key, need] of neededBy) {
    const known = states.get(key);
    const steps = [...need.steps].sort();
    if (!known) {
      report.problems.push({
        code: PreflightCode.providerUnknown,
        message: `The resource provider ${need.namespace} (needed by ${steps.join(", ")}) is not offered to this subscription.`,
        fix: `check the cloud and subscription type; \`az provider show --namespace ${need.namespace}\` shows whether it exists here`,
      });
      continue;
    }
    report.providers.push({ namespace: known.namespace, registrationState: known.state, neededBy: steps });
    if (known.state !== "Registered") report.toRegister.push(known.namespace);
  }
  report.providers.sort((a, b) => a.namespace.localeCompare(b.namespace));
  report.toRegister.sort();
}

// ---------------------------------------------------------------------------------------------
// VM sizes and quotas

interface SkuInfo {
  name: string;
  family: string;
  vCPUs: number;
  restricted: boolean;
}

function willCreate(input: PreflightInput, kind: string, name: string): boolean {
  return input.plan.steps.some((step) => step.resources.some((r) => lower(r.kind) === lower(kind) && lower(r.name) === lower(name) && r.action === "create"));
}

/**
 * The VMs this run will create, from what each planned resource declares it takes (`capacity`: the jump box
 * and an attached VM from the Compute quota, the compute cluster at its maximum and the instance from Machine
 * Learning's): a step that adds a VM is checked without an entry here.
 */
function vmNeeds(input: PreflightInput): Array<{ what: string; flag: string; size: string; nodes: number; quota: QuotaNeed["quota"] }> {
  // Only creations: a resource Azure recreates after a failed create already counts in the usage read.
  const created = input.plan.steps.flatMap((step) => step.resources.filter((r) => r.action === "create"));
  return created.flatMap(({ capacity: c }) => (c ? [{ what: c.what, flag: c.sizeOption, size: c.vmSize, nodes: c.instances, quota: c.quota }] : []));
}

async function readSkus(input: PreflightInput): Promise<Map<string, SkuInfo>> {
  const compute = await input.azure.compute();
  const location = lower(input.config.location);
  const skus = new Map<string, SkuInfo>();
  for await (const sku of compute.resourceSkus.list({ filter: `location eq '${location}'`, abortSignal: input.signal })) {
    if (sku.resourceType !== "virtualMachines" || !sku.name) continue;
    if (sku.locations && !sku.locations.some((l) => lower(l) === location)) continue;
    const vCPUs = Number(sku.capabilities?.find((c) => c.name === "vCPUs")?.value ?? "0");
    const restricted = (sku.restrictions ?? []).some((r) => r.type === "Location" && (r.values ?? []).some((v) => lower(v) === location));
    skus.set(lower(sku.name), { name: sku.name, family: sku.family ?? "", vCPUs, restricted });
  }
  return skus;
}

/** Up to five sizes offered in the region with the same vCPUs (the same family first). */
function alternatives(skus: Map<string, SkuInfo>, wanted: SkuInfo | undefined, vCPUs: number): string[] {
  const offered = [...skus.values()].filter((s) => !s.restricted && s.vCPUs === vCPUs);
  offered.sort((a, b) => Number(b.family === wanted?.family) - Number(a.family === wanted?.family) || a.name.localeCompare(b.name));
  return offered.slice(0, 5).map((s) => s.name);
}

async function usagesByFamily(input: PreflightInput, quota: QuotaNeed["quota"]): Promise<Map<string, number>> {
  const location = lower(input.config.location);
  const left = new Map<string, number>();
  if (quota === "compute") {
    const compute = await input.azure.compute();
    for await (const usage of compute.usage.list(location, { abortSignal: input.signal })) {
      if (usage.name?.value) left.set(lower(usage.name.value), usage.limit - usage.currentValue);
    }
  } else {
    const ml = await input.azure.machineLearning();
    for await (const usage of ml.usages.list(location, { abortSignal: input.signal })) {
      // The region's per-family figures (workspace-level entries would repeat the family name).
      if (usage.type && /workspaces/i.test(usage.type)) continue;
      if (usage.name?.value && typeof usage.limit === "number") left.set(lower(usage.name.value), usage.limit - (usage.currentValue ?? 0));
    }
  }
  return left;
}

async function checkSizesAndQuotas(input: PreflightInput, report: PreflightReport): Promise<void> {
  const needs = vmNeeds(input);
  if (needs.length === 0) return;
  const { location } = input.config;
  // The usages are read while the SKU list (large in Azure) is: which quotas matter is known from the needs.
  const usages = new Map<QuotaNeed["quota"], Promise<Map<string, number>>>();
  for (const quota of new Set(needs.map((n) => n.quota))) {
    const read = usagesByFamily(input, quota);
    read.catch(() => undefined); // reported where it is awaited (or not needed: the SKU list failed)
    usages.set(quota, read);
  }
  let skus: Map<string, SkuInfo>;
  try {
    skus = await readSkus(input);
  } catch (error) {
    report.notes.push(`VM sizes in ${location} not checked (resource SKUs: ${describe(error)})`);
    return;
  }
  const totals = new Map<string, QuotaNeed>();
  const add = (quota: QuotaNeed["quota"], family: string, vCPUs: number, what: string) => {
    const key = `${quota}:${lower(family)}`;
    const entry = totals.get(key) ?? { quota, family, needed: 0, for: [] };
    entry.needed += vCPUs;
    entry.for.push(what);
    totals.set(key, entry);
  };
  for (const need of needs) {
    const sku = skus.get(lower(need.size));
    if (!sku) {
      const offered = alternatives(skus, undefined, 2)
        .concat(alternatives(skus, undefined, 4))
        .slice(0, 5);
      report.problems.push({
        code: PreflightCode.vmSizeUnknown,
        message: `The ${need.what} asks for ${need.size}, which ${location} does not offer.`,
        fix: `choose another size with ${need.flag}${offered.length > 0 ? `, e.g. ${offered.join(", ")}` : ""} (\`az vm list-skus --location ${location} --resource-type virtualMachines\`)`,
      });
      continue;
    }
    if (sku.restricted) {
      const offered = alternatives(skus, sku, sku.vCPUs);
      report.problems.push({
        code: PreflightCode.vmSizeUnavailable,
        message: `The ${need.what} asks for ${sku.name}, which is not available to this subscription in ${location}.`,
        fix: `choose another size with ${need.flag}${offered.length > 0 ? `; available in ${location} with ${sku.vCPUs} vCPUs: ${offered.join(", ")}` : ""}, or request access to ${sku.name} (Azure portal → Help + support → Quota: Compute)`,
      });
      continue;
    }
    add(need.quota, sku.family, sku.vCPUs * need.nodes, need.what);
    if (need.quota === "compute") add("compute", "cores", sku.vCPUs * need.nodes, need.what);
  }
  for (const quota of ["compute", "machineLearning"] as const) {
    const wanted = [...totals.values()].filter((t) => t.quota === quota);
    if (wanted.length === 0) continue;
    let left: Map<string, number>;
    try {
      left = await (usages.get(quota) ?? usagesByFamily(input, quota));
    } catch (error) {
      report.notes.push(`${quota === "compute" ? "Compute" : "Machine Learning"} vCPU quota in ${location} not checked (${describe(error)})`);
      continue;
    }
    for (const need of wanted) {
      const available = left.get(lower(need.family));
      if (available !== undefined) need.available = available;
      report.quotas.push(need);
      if (available === undefined || available >= need.needed) continue;
      const which = quota === "compute" ? "Compute" : "Machine Learning";
      const familyText = need.family === "cores" ? "total regional vCPUs" : `${need.family} vCPUs`;
      report.problems.push({
        code: PreflightCode.quota,
        message: `${which} quota: the ${need.for.join(" and the ")} need${need.for.length === 1 ? "s" : ""} ${need.needed} ${familyText} in ${location}; ${Math.max(0, available)} left.`,
        fix:
          `request ${which} quota for ${familyText} in ${location} of at least ${need.needed - available} more (Azure portal → Quotas → ${quota === "compute" ? "Compute" : "Machine learning"}; \`az quota\` or a support request)` +
          (quota === "machineLearning"
            ? ", or choose a size of another family (--cluster-vm-size, --instance-vm-size) or fewer --cluster-max-nodes"
            : ", or choose a size of another family (--jumpbox-size) or --no-jumpbox"),
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Role assignments

/** Whether an action pattern (with `*` wildcards, case-insensitive) matches an operation. */
function actionMatches(pattern: string, operation: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
  return regex.test(operation);
}

/** Azure's rule: allowed when some permission's actions match and that permission's notActions do not. */
export function permitsAction(permissions: Array<{ actions?: string[]; notActions?: string[] }>, operation: string): boolean {
  return permissions.some((p) => (p.actions ?? []).some((a) => actionMatches(a, operation)) && !(p.notActions ?? []).some((n) => actionMatches(n, operation)));
}

async function subscriptionPermissions(input: PreflightInput): Promise<Array<{ actions?: string[]; notActions?: string[] }>> {
  // arm-authorization lists permissions at a resource group or resource only; the subscription-scope
  // operation (Permissions_ListForSubscription, same shape) is sent through the pipeline of the resources
  // client (same credential, endpoint and policies), which the run has loaded already: a first run (the only
  // one that asks at subscription scope) then loads arm-authorization later, off its critical path.
  const client = await input.azure.resources();
  const { createSerializer } = await import("@azure/core-client");
  type Permissions = { value?: Array<{ actions?: string[]; notActions?: string[] }> };
  // Without a body mapper, core-client hands back the parsed JSON as `body`.
  const result = await client.sendOperationRequest<Permissions & { body?: Permissions }>(
    { options: { abortSignal: input.signal } },
    {
      path: "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/permissions",
      httpMethod: "GET",
      responses: { 200: {}, default: {} },
      queryParameters: [{ parameterPath: "apiVersion", mapper: { defaultValue: "2022-04-01", isConstant: true, serializedName: "api-version", type: { name: "String" } } }],
      urlParameters: [
        { parameterPath: "$host", mapper: { serializedName: "$host", required: true, type: { name: "String" } }, skipEncoding: true },
        { parameterPath: "subscriptionId", mapper: { serializedName: "subscriptionId", required: true, type: { name: "String" } } },
      ],
      headerParameters: [{ parameterPath: "accept", mapper: { defaultValue: "application/json", isConstant: true, serializedName: "Accept", type: { name: "String" } } }],
      serializer: createSerializer({}, false),
    },
  );
  return result.value ?? result.body?.value ?? [];
}

async function checkRoleAssignments(input: PreflightInput, report: PreflightReport): Promise<void> {
  const creates = input.plan.steps.flatMap((s) => s.resources).filter((r) => lower(r.kind) === "microsoft.authorization/roleassignments" && r.action === "create");
  if (creates.length === 0) return;
  const { config } = input;
  const groupExists = !willCreate(input, "Microsoft.Resources/resourceGroups", config.resourceGroup);
  const scope = groupExists ? `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}` : `/subscriptions/${config.subscriptionId}`;
  let permissions: Array<{ actions?: string[]; notActions?: string[] }>;
  try {
    if (groupExists) {
      const client = await input.azure.authorization();
      permissions = [];
      for await (const p of client.permissions.listForResourceGroup(config.resourceGroup, { abortSignal: input.signal })) permissions.push(p);
    } else {
      permissions = await subscriptionPermissions(input);
    }
  } catch (error) {
    report.roleAssignments = { scope, allowed: undefined };
    report.notes.push(`the right to assign roles at ${scope} not checked (${describe(error)})`);
    return;
  }
  const allowed = permitsAction(permissions, ROLE_ASSIGNMENT_WRITE);
  report.roleAssignments = { scope, allowed };
  if (allowed) return;
  report.problems.push({
    code: PreflightCode.roleAssignmentDenied,
    message: `The signed-in identity may not create role assignments (${ROLE_ASSIGNMENT_WRITE}) at ${scope}; this deployment creates ${creates.length} (the workspace's and the storage endpoints' access).`,
    fix: `ask an Owner of ${scope} to grant you Owner, User Access Administrator or Role Based Access Control Administrator there (\`az role assignment create --assignee <you> --role "User Access Administrator" --scope ${scope}\`), then run again`,
  });
}

// ---------------------------------------------------------------------------------------------
// Soft-deleted names

async function checkSoftDeleted(input: PreflightInput, report: PreflightReport): Promise<void> {
  const { config } = input;
  if (config.keyVaultSoftDeleted === "fail" && willCreate(input, "Microsoft.KeyVault/vaults", config.keyVault)) {
    try {
      const client = await input.azure.keyVault();
      const deleted = await client.vaults.getDeleted(config.keyVault, config.location, { abortSignal: input.signal });
      if (deleted) {
        report.problems.push({
          code: PreflightCode.softDeletedKeyVault,
          message: `A soft-deleted key vault holds the name ${config.keyVault} (deleted ${deleted.properties?.deletionDate?.toISOString?.() ?? "earlier"}, purge protection ${deleted.properties?.purgeProtectionEnabled ? "on" : "off"}).`,
          fix: `--key-vault-soft-deleted recover (take it back) or purge${deleted.properties?.purgeProtectionEnabled ? " (not possible: purge protection is on)" : ""}, or choose another --key-vault name`,
        });
      }
    } catch (error) {
      if (statusOf(error) !== 404) report.notes.push(`soft-deleted key vaults not checked (${describe(error)})`);
    }
  }
  if (willCreate(input, "Microsoft.OperationalInsights/workspaces", config.logAnalyticsWorkspace)) {
    try {
      const client = await input.azure.operationalInsights();
      for await (const deleted of client.deletedWorkspaces.list({ abortSignal: input.signal })) {
        if (lower(deleted.name ?? "") !== lower(config.logAnalyticsWorkspace)) continue;
        const group = deleted.id?.split("/")[4] ?? "";
        // Re-creating it in its own resource group recovers it; anywhere else the name is blocked.
        if (lower(group) === lower(config.resourceGroup)) continue;
        report.problems.push({
          code: PreflightCode.softDeletedLogAnalytics,
          message: `A soft-deleted Log Analytics workspace in resource group ${group} holds the name ${config.logAnalyticsWorkspace}.`,
          fix: `recover or permanently delete it (\`az monitor log-analytics workspace delete --force --resource-group ${group} --workspace-name ${config.logAnalyticsWorkspace}\`), or choose another --log-analytics-workspace name`,
        });
      }
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 400) report.notes.push(`soft-deleted Log Analytics workspaces not checked (${describe(error)})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** Runs every check (in parallel; reads only) and reports all problems at once. */
export async function runPreflightChecks(input: PreflightInput): Promise<PreflightReport> {
  const report: PreflightReport = { location: input.config.location, providers: [], toRegister: [], quotas: [], problems: [], notes: [] };
  await Promise.all([checkProviders(input, report), checkSizesAndQuotas(input, report), checkRoleAssignments(input, report), checkSoftDeleted(input, report)]);
  const order = Object.values(PreflightCode) as string[];
  report.problems.sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
  return report;
}
