// The subscription the emulator pretends to be: which resource providers are registered, how many vCPUs
// each VM family has left per region, which VM sizes a region refuses, whether the caller may assign roles,
// which global names someone else holds, and whether one storage account takes one private-endpoint
// operation at a time. Set with `secure-aml emulator --world FILE` (or `--fresh-subscription`); without
// either the world is the kind one of earlier versions: everything registered, ample quota, every size
// offered, roles assignable, no contention. Spec of the file: docs/emulator.md ("The world file").
import fs from "node:fs";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { Ajv, type ErrorObject } from "ajv";
import { AZURE_REGIONS } from "../config/regions.js";
import { ArmError, type Json, type JsonObject } from "./types.js";

// ---------------------------------------------------------------------------------------------
// The world file

export interface WorldSettings {
  /** "all": every namespace (the default world); "default": what Azure registers on a new subscription; or a list. */
  registeredProviders: "all" | "default" | string[];
  /** Per region (e.g. "eastus"), vCPUs left per VM family ("standardDSv2Family") or in total ("cores") before this world deploys anything. */
  quotas: Record<string, Record<string, number>>;
  /** Per region, VM sizes the region refuses this subscription (resource SKUs show a Location restriction). */
  unavailableVmSizes: Record<string, string[]>;
  /** Whether the signed-in identity may write role assignments (Owner / User Access Administrator). */
  callerCanAssignRoles: boolean;
  /** Globally unique names held by someone else, per kind. */
  takenNames: { storage: string[]; keyVault: string[]; registry: string[] };
  /** Concurrent private-endpoint operations on one storage account fail with StorageAccountOperationInProgress. */
  storageAccountContention: boolean;
}

/** The world of an emulator started without --world: kind (every provider, no quota), but Azure's storage contention is on. */
export const DEFAULT_WORLD: WorldSettings = {
  registeredProviders: "all",
  quotas: {},
  unavailableVmSizes: {},
  callerCanAssignRoles: true,
  takenNames: { storage: [], keyVault: [], registry: [] },
  // Azure's contention is on everywhere (issue 16): secure-aml retries StorageAccountOperationInProgress (issue 11).
  storageAccountContention: true,
};

/**
 * Resource providers Azure registers on every new subscription. Source: Microsoft Learn, "Resource providers
 * for Azure services" (articles/azure-resource-manager/management/azure-services-resource-providers.md in
 * MicrosoftDocs/azure-docs, CC BY 4.0), the namespaces marked "Registered by default".
 */
export const DEFAULT_REGISTERED_PROVIDERS: readonly string[] = [
  "Microsoft.ADHybridHealthService",
  "Microsoft.Authorization",
  "Microsoft.Billing",
  "Microsoft.ClassicSubscription",
  "Microsoft.Commerce",
  "Microsoft.Consumption",
  "Microsoft.CostManagement",
  "Microsoft.Features",
  "Microsoft.MarketplaceOrdering",
  "Microsoft.Portal",
  "Microsoft.ResourceGraph",
  "Microsoft.Resources",
  "Microsoft.SerialConsole",
  "microsoft.support",
  "Microsoft.WorkloadMonitor",
];

/**
 * Seconds a registration stays "Registering" on real Azure (scaled by --time-scale; immediate with
 * --latency none). Estimate: `az provider register --wait` returns after about a minute for
 * Microsoft.MachineLearningServices and Microsoft.ContainerRegistry; Microsoft.Compute can take several.
 */
export const PROVIDER_REGISTRATION_SECONDS = 60;

/** vCPUs a family has when the world file says nothing about it. */
export const DEFAULT_FAMILY_VCPUS = 100;
/** Total regional vCPUs ("cores") when the world file says nothing. */
export const DEFAULT_REGIONAL_VCPUS = 350;
/**
 * The kind world (no world file) has no quota to speak of: every limit is this, so that long-lived
 * emulators (benchmarks, reliability runs with many deployments) never run into one.
 */
export const KIND_WORLD_VCPUS = 100_000;

const WORLD_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    $schema: { type: "string" },
    description: { type: "string" },
    registeredProviders: {
      oneOf: [{ enum: ["default", "all"] }, { type: "array", uniqueItems: true, items: { type: "string", pattern: "^[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z0-9]+)+$" } }],
    },
    quotas: {
      type: "object",
      additionalProperties: {
        type: "object",
        propertyNames: { pattern: "^(cores|[A-Za-z][A-Za-z0-9_]*Family)$" },
        additionalProperties: { type: "integer", minimum: 0 },
      },
    },
    unavailableVmSizes: {
      type: "object",
      additionalProperties: { type: "array", uniqueItems: true, items: { type: "string", pattern: "^(Standard|Basic)_[A-Za-z0-9_]+$" } },
    },
    callerCanAssignRoles: { type: "boolean" },
    takenNames: {
      type: "object",
      additionalProperties: false,
      properties: {
        storage: { type: "array", items: { type: "string", minLength: 1 } },
        keyVault: { type: "array", items: { type: "string", minLength: 1 } },
        registry: { type: "array", items: { type: "string", minLength: 1 } },
      },
    },
    storageAccountContention: { type: "boolean" },
  },
} as const;

export class WorldFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"} with the world file:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "WorldFileError";
  }
}

let compiledValidator: ReturnType<Ajv["compile"]> | undefined;

function describeAjvError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "the file" : error.instancePath.slice(1).replace(/\//g, ".");
  if (error.keyword === "additionalProperties") return `${where}: unknown key "${String((error.params as { additionalProperty?: unknown }).additionalProperty)}"`;
  if (error.keyword === "propertyNames")
    return `${where}: key "${String((error.params as { propertyName?: unknown }).propertyName)}" must be "cores" or a VM family such as "standardDSv2Family"`;
  return `${where}: ${error.message ?? error.keyword}`;
}

/** Validates a parsed world file (JSON schema, then known regions) and fills in the defaults. */
export function parseWorldSettings(value: unknown, file = "world file"): WorldSettings {
  compiledValidator ??= new Ajv({ allErrors: true }).compile(WORLD_SCHEMA);
  if (!compiledValidator(value)) {
    const errors = (compiledValidator.errors ?? []).filter((e) => e.keyword !== "oneOf" && e.keyword !== "if");
    throw new WorldFileError(file, [...new Set(errors.map(describeAjvError))]);
  }
  const raw = value as Partial<WorldSettings> & { takenNames?: Partial<WorldSettings["takenNames"]> };
  const problems: string[] = [];
  const known = new Set(AZURE_REGIONS.map((r) => r.name));
  for (const key of ["quotas", "unavailableVmSizes"] as const) {
    for (const region of Object.keys(raw[key] ?? {})) {
      if (!known.has(region)) problems.push(`${key}.${region}: not an Azure region name (e.g. "eastus", "westeurope")`);
    }
  }
  if (problems.length > 0) throw new WorldFileError(file, problems);
  return {
    registeredProviders: raw.registeredProviders ?? "all",
    quotas: raw.quotas ?? {},
    unavailableVmSizes: raw.unavailableVmSizes ?? {},
    callerCanAssignRoles: raw.callerCanAssignRoles ?? true,
    takenNames: { storage: raw.takenNames?.storage ?? [], keyVault: raw.takenNames?.keyVault ?? [], registry: raw.takenNames?.registry ?? [] },
    // A world file describes a real subscription: Azure's contention is on unless the file turns it off.
    storageAccountContention: raw.storageAccountContention ?? true,
  };
}

/** Reads and validates a world file. Throws WorldFileError naming every problem. */
export function loadWorldFile(file: string): WorldSettings {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new WorldFileError(file, [`cannot be read (${(error as Error).message})`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new WorldFileError(file, [`is not JSON (${(error as Error).message})`]);
  }
  return parseWorldSettings(parsed, file);
}

/** `--fresh-subscription`: a new subscription as Azure hands it out (only the default providers registered). */
export function freshSubscriptionWorld(): WorldSettings {
  return parseWorldSettings({ registeredProviders: "default" });
}

// ---------------------------------------------------------------------------------------------
// VM sizes: the resource-SKU catalog (family, vCPUs, memory), from Microsoft Learn's size pages.

export interface VmSizeInfo {
  name: string;
  family: string;
  vCPUs: number;
  memoryGB: number;
}

const SIZE_ROWS: Array<[string, string, number, number]> = [
  ["Standard_B2s", "standardBSFamily", 2, 4],
  ["Standard_B2ms", "standardBSFamily", 2, 8],
  ["Standard_B4ms", "standardBSFamily", 4, 16],
  ["Standard_DS1_v2", "standardDSv2Family", 1, 3.5],
  ["Standard_DS2_v2", "standardDSv2Family", 2, 7],
  ["Standard_DS3_v2", "standardDSv2Family", 4, 14],
  ["Standard_DS4_v2", "standardDSv2Family", 8, 28],
  ["Standard_DS5_v2", "standardDSv2Family", 16, 56],
  ["Standard_D1_v2", "standardDv2Family", 1, 3.5],
  ["Standard_D2_v2", "standardDv2Family", 2, 7],
  ["Standard_D3_v2", "standardDv2Family", 4, 14],
  ["Standard_D4_v2", "standardDv2Family", 8, 28],
  ["Standard_D2_v3", "standardDv3Family", 2, 8],
  ["Standard_D4_v3", "standardDv3Family", 4, 16],
  ["Standard_D8_v3", "standardDv3Family", 8, 32],
  ["Standard_D2s_v3", "standardDSv3Family", 2, 8],
  ["Standard_D4s_v3", "standardDSv3Family", 4, 16],
  ["Standard_D8s_v3", "standardDSv3Family", 8, 32],
  ["Standard_D16s_v3", "standardDSv3Family", 16, 64],
  ["Standard_D2s_v5", "standardDSv5Family", 2, 8],
  ["Standard_D4s_v5", "standardDSv5Family", 4, 16],
  ["Standard_D8s_v5", "standardDSv5Family", 8, 32],
  ["Standard_D2as_v5", "standardDASv5Family", 2, 8],
  ["Standard_D4as_v5", "standardDASv5Family", 4, 16],
  ["Standard_E2s_v3", "standardESv3Family", 2, 16],
  ["Standard_E4s_v3", "standardESv3Family", 4, 32],
  ["Standard_E8s_v3", "standardESv3Family", 8, 64],
  ["Standard_F2s_v2", "standardFSv2Family", 2, 4],
  ["Standard_F4s_v2", "standardFSv2Family", 4, 8],
  ["Standard_F8s_v2", "standardFSv2Family", 8, 16],
  ["Standard_NC4as_T4_v3", "standardNCASv3_T4Family", 4, 28],
  ["Standard_NC6s_v3", "standardNCSv3Family", 6, 112],
];

export const VM_SIZES: readonly VmSizeInfo[] = SIZE_ROWS.map(([name, family, vCPUs, memoryGB]) => ({ name, family, vCPUs, memoryGB }));

export function vmSizeInfo(size: string): VmSizeInfo | undefined {
  const key = size.toLowerCase();
  return VM_SIZES.find((s) => s.name.toLowerCase() === key);
}

/** "standardDSv2Family" → "Standard DSv2 Family" (how Azure's usages name a family). */
export function familyDisplayName(family: string): string {
  const inner = family.replace(/^standard/i, "").replace(/Family$/, "");
  return `Standard ${inner.replace(/_/g, " ")} Family`;
}

// ---------------------------------------------------------------------------------------------
// The live subscription state: registrations (persisted beside world.json so --local runs keep them).

export type RegistrationState = "NotRegistered" | "Registering" | "Registered" | "Unregistering";

interface SubscriptionWorldFile {
  version: 1;
  settings: WorldSettings;
  /** Lower-cased namespace → state and, while Registering, when it becomes Registered (epoch ms). */
  registrations: Record<string, { namespace: string; state: RegistrationState; registeredAt?: number }>;
}

const SUBSCRIPTION_WORLD_FILE = "subscription-world.json";

export interface WorldUsage {
  family: string;
  /** vCPUs deployed in the region (by this emulator's world). */
  currentValue: number;
  limit: number;
}

export class SubscriptionWorld {
  private readonly registrations = new Map<string, { namespace: string; state: RegistrationState; registeredAt?: number }>();

  private constructor(
    readonly settings: WorldSettings,
    private readonly file: string | undefined,
    /** No world file was ever given: the kind default world. */
    readonly kind: boolean,
  ) {}

  /**
   * The world for a data directory: `settings` when given (a new world file resets the registrations it
   * has not seen), else what the directory holds from an earlier start, else the default world.
   */
  static open(dataDir: string | undefined, settings: WorldSettings | undefined): SubscriptionWorld {
    const file = dataDir === undefined ? undefined : path.join(dataDir, SUBSCRIPTION_WORLD_FILE);
    let saved: SubscriptionWorldFile | undefined;
    if (file !== undefined && fs.existsSync(file)) {
      try {
        saved = JSON.parse(fs.readFileSync(file, "utf8")) as SubscriptionWorldFile;
      } catch {
        saved = undefined;
      }
    }
    const sameSettings = saved !== undefined && settings !== undefined && JSON.stringify(saved.settings) === JSON.stringify(settings);
    const effective = settings ?? saved?.settings ?? DEFAULT_WORLD;
    const world = new SubscriptionWorld(effective, file, settings === undefined && saved === undefined);
    if (saved !== undefined && (settings === undefined || sameSettings)) {
      for (const [key, value] of Object.entries(saved.registrations)) world.registrations.set(key, value);
    }
    if (settings !== undefined || saved !== undefined) world.save();
    return world;
  }

  private save(): void {
    if (this.file === undefined) return;
    const content: SubscriptionWorldFile = { version: 1, settings: this.settings, registrations: Object.fromEntries(this.registrations) };
    writeFileAtomic.sync(this.file, JSON.stringify(content, null, 1) + "\n", { mode: 0o600 });
  }

  /** Names the world file says someone else holds: (kind as the store spells it, name). */
  takenNames(): Array<[string, string]> {
    const { storage, keyVault, registry } = this.settings.takenNames;
    return [
      ...storage.map((n): [string, string] => ["storage", n]),
      ...keyVault.map((n): [string, string] => ["keyvault", n]),
      ...registry.map((n): [string, string] => ["registry", n]),
    ];
  }

  // ----- registration

  private initiallyRegistered(namespace: string): boolean {
    const setting = this.settings.registeredProviders;
    if (setting === "all") return true;
    const list = setting === "default" ? DEFAULT_REGISTERED_PROVIDERS : setting;
    // ARM itself (resource groups, deployments) and role assignments cannot be unregistered.
    const always = ["microsoft.resources", "microsoft.authorization"];
    const key = namespace.toLowerCase();
    return always.includes(key) || list.some((n) => n.toLowerCase() === key);
  }

  registrationState(namespace: string, now = Date.now()): RegistrationState {
    const entry = this.registrations.get(namespace.toLowerCase());
    if (entry === undefined) return this.initiallyRegistered(namespace) ? "Registered" : "NotRegistered";
    if (entry.state === "Registering" && entry.registeredAt !== undefined && entry.registeredAt <= now) {
      entry.state = "Registered";
      delete entry.registeredAt;
      this.save();
    }
    return entry.state;
  }

  /** POST .../providers/{ns}/register: Registering now, Registered after `delayMs`. */
  register(namespace: string, delayMs: number, now = Date.now()): RegistrationState {
    const current = this.registrationState(namespace, now);
    if (current === "Registered" || current === "Registering") return current;
    this.registrations.set(namespace.toLowerCase(), { namespace, state: "Registering", registeredAt: now + delayMs });
    this.save();
    return "Registering";
  }

  /** 409 MissingSubscriptionRegistration for a write into a namespace that is not Registered (as ARM answers). */
  assertRegistered(namespace: string): void {
    const state = this.registrationState(namespace);
    if (state === "Registered") return;
    const message =
      state === "NotRegistered"
        ? `The subscription is not registered to use namespace '${namespace}'. See https://aka.ms/rps-not-found for how to register subscriptions.`
        : `The subscription registration is in '${state}' state. The subscription must be registered to use namespace '${namespace}'. See https://aka.ms/rps-not-found for how to register subscriptions.`;
    throw new ArmError(409, "MissingSubscriptionRegistration", message, [{ code: "MissingSubscriptionRegistration", target: namespace, message }]);
  }

  // ----- quotas, sizes, permissions

  /** vCPUs the world file gives a family (or "cores") in a region, as a limit with nothing deployed. */
  limitFor(region: string, family: string): number {
    const quotas = this.settings.quotas[region.toLowerCase()] ?? {};
    const match = Object.entries(quotas).find(([key]) => key.toLowerCase() === family.toLowerCase());
    if (match) return match[1];
    if (this.kind) return KIND_WORLD_VCPUS;
    return family.toLowerCase() === "cores" ? DEFAULT_REGIONAL_VCPUS : DEFAULT_FAMILY_VCPUS;
  }

  /** Families a usages list reports for a region: the catalog's and the world file's. */
  families(region: string): string[] {
    const names = new Map<string, string>();
    for (const size of VM_SIZES) names.set(size.family.toLowerCase(), size.family);
    for (const key of Object.keys(this.settings.quotas[region.toLowerCase()] ?? {})) {
      if (key.toLowerCase() !== "cores") names.set(key.toLowerCase(), key);
    }
    return [...names.values()];
  }

  isSizeAvailable(region: string, size: string): boolean {
    const refused = this.settings.unavailableVmSizes[region.toLowerCase()] ?? [];
    return !refused.some((s) => s.toLowerCase() === size.toLowerCase());
  }

  /** What the Authorization permissions API answers for the caller: Owner's, or Contributor's without role writes. */
  permissionsBody(): JsonObject {
    const notActions: Json[] = this.settings.callerCanAssignRoles
      ? []
      : [
          "Microsoft.Authorization/*/Delete",
          "Microsoft.Authorization/*/Write",
          "Microsoft.Authorization/elevateAccess/Action",
          "Microsoft.Blueprint/blueprintAssignments/write",
          "Microsoft.Blueprint/blueprintAssignments/delete",
          "Microsoft.Compute/galleries/share/action",
          "Microsoft.Purview/consents/write",
          "Microsoft.Purview/consents/delete",
          "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
          "Microsoft.Subscription/cancel/action",
          "Microsoft.Subscription/enable/action",
        ];
    return { value: [{ actions: ["*"], notActions, dataActions: [], notDataActions: [] }] };
  }

  /** 403 AuthorizationFailed for a role-assignment write the caller may not make. */
  assertMayAssignRoles(scopeId: string): void {
    if (this.settings.callerCanAssignRoles) return;
    throw new ArmError(
      403,
      "AuthorizationFailed",
      `The client 'emulator-user@example.com' with object id '${EMULATOR_CALLER_OBJECT_ID}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '${scopeId}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }
}

/** The object id the emulator's caller has in AuthorizationFailed messages. */
export const EMULATOR_CALLER_OBJECT_ID = "00000000-0000-4000-8000-00000000ca11";
