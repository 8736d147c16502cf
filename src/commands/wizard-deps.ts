// The wizard's window on Azure for `secure-aml init`: WizardDeps (src/ui/wizard.ts) built from a
// CommandRuntime. Sign-in (a real endpoint only), the subscriptions, regions and resource groups the
// account can see, the providers' own checkNameAvailability for the global names (with a free
// suggestion when a name is taken), the read-only plan and saving the answers. The UI layer never
// imports @azure/*; this module is where the two meet.

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { TokenCredential } from "@azure/core-auth";
import type { ConfigCommandInput } from "../cli/command-contract.js";
import type { DeploymentConfig, Secrets } from "../config/types.js";
import { FIELDS } from "../config/fields.js";
import type { ValueSource } from "../config/resolve.js";
import type { AzureContext } from "../azure/clients.js";
import { cloudProfile } from "../azure/clouds.js";
import { signInError } from "../azure/arm-errors.js";
import { checkGlobalName as checkGlobalNameOnce, suggestName } from "../azure/global-names.js";
import type { DeletedKeyVault, GlobalNameKind, NameAvailability, PromptBackend, WizardDeps } from "../ui/index.js";
import type { CommandRuntime } from "./runtime.js";
import { estimateFor } from "./deployment-checks.js";
import { commandSuffix } from "./resume-command.js";
import { listLocations, listResourceGroups, listSubscriptions } from "./azure-choices.js";
import { createInquirerBackend } from "../ui/index.js";
import { writeConfigFile } from "../config/file.js";
import { stepsFor } from "../steps/index.js";
import { planSteps } from "../engine/engine.js";
import { costFor, priceSourceOf } from "../pricing/index.js";

/** Where the wizard offers to save the answers. */
export const DEFAULT_WIZARD_CONFIG_FILE = "secure-aml.json";

/** What the person supplied (flags, variables, the config file): the wizard uses these and does not ask. */
const PERSON_SOURCES: ReadonlySet<ValueSource> = new Set<ValueSource>(["flag", "env", "file"]);

/** A failed sign-in as NOT_SIGNED_IN with what to run (the one translator, src/azure/arm-errors.ts). */
function signInFailure(error: unknown): unknown {
  return signInError(error) ?? error;
}

/** The account a token stands for (upn / preferred_username / app id), read from its claims; never the token. */
export function accountOfToken(token: string): string | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    for (const key of ["upn", "preferred_username", "unique_name", "email", "appid", "azp"]) {
      const value = claims[key];
      if (typeof value === "string" && value !== "") return key === "appid" || key === "azp" ? `application ${value}` : value;
    }
  } catch {
    // Not a JWT (e.g. a test token): nothing to say about the account.
  }
  return undefined;
}

/** Asks the credential for a Resource Manager token once, so that a missing login shows before the first question. */
export async function signInWith(credential: TokenCredential, scope: string): Promise<{ account?: string }> {
  let token: { token: string } | null;
  try {
    token = await credential.getToken(scope);
  } catch (error) {
    throw signInFailure(error);
  }
  if (!token) throw signInFailure(Object.assign(new Error("no token"), { name: "CredentialUnavailableError" }));
  const account = accountOfToken(token.token);
  return account ? { account } : {};
}

/** The values the person gave (flags, variables, file); derived defaults are not among them. */
export function givenByPerson(partial: Partial<DeploymentConfig>, sources: Record<string, ValueSource>): Partial<DeploymentConfig> {
  const given: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = partial[field.key];
    const source = sources[field.key];
    if (value !== undefined && source !== undefined && PERSON_SOURCES.has(source)) given[field.key] = value;
  }
  return given as Partial<DeploymentConfig>;
}

/**
 * Whether `init` should run the wizard: a person at a terminal (and no --yes), and a required value
 * (subscription, region) or the password that the person did not supply. With --local the emulator's
 * subscription and region are only defaults, so `init --local` in a terminal is the wizard too.
 */
export function wantsWizard(input: ConfigCommandInput): boolean {
  if (!input.run.interactive || input.run.yes) return false;
  if (!input.precheck.resolved) return true;
  const { sources } = input.precheck;
  const required = FIELDS.filter((f) => f.required);
  return required.some((f) => !PERSON_SOURCES.has(sources[f.key] as ValueSource));
}

// ---------------------------------------------------------------------------------------------
// Global names

// One algorithm for the wizard and the steps: azure/global-names.ts.
/** `name` with a short random suffix, cut to the kind's length limit (azure/global-names.ts). */
export function nameWithSuffix(kind: GlobalNameKind, name: string, random?: () => Buffer): string {
  return suggestName(kind, name, random);
}

/** Asks the provider whether `name` is free; a taken name comes with a free suggestion (azure/global-names.ts). */
export async function checkGlobalName(azure: AzureContext, kind: GlobalNameKind, name: string): Promise<NameAvailability> {
  const { available, reason, suggestion } = await checkGlobalNameOnce(azure, kind, name);
  return { available, ...(reason !== undefined ? { reason } : {}), ...(suggestion !== undefined ? { suggestion } : {}) };
}

function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@=,+%-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------

/**
 * The az CLI's current subscription: the `isDefault` entry of azureProfile.json in AZURE_CONFIG_DIR
 * (default ~/.azure). Read from the file, never by running az (no child process sees our environment).
 */
export function azCliDefaultSubscription(env: NodeJS.ProcessEnv): string | undefined {
  const dir = env.AZURE_CONFIG_DIR || join(env.HOME || homedir(), ".azure");
  try {
    // az writes this file with a UTF-8 byte-order mark.
    const text = readFileSync(join(dir, "azureProfile.json"), "utf8").replace(/^\uFEFF/, "");
    const profile = JSON.parse(text) as { subscriptions?: Array<{ id?: unknown; isDefault?: unknown }> };
    const current = profile.subscriptions?.find((s) => s.isDefault === true);
    return typeof current?.id === "string" ? current.id : undefined;
  } catch {
    return undefined;
  }
}

/** The soft-deleted key vault named `name` in the subscription; owned when its id is one this deployment created. */
export async function findDeletedKeyVault(azure: AzureContext, name: string, ownedIds: ReadonlySet<string>): Promise<DeletedKeyVault | undefined> {
  const client = await azure.keyVault();
  for await (const deleted of client.vaults.listDeleted()) {
    if (deleted.name?.toLowerCase() !== name.toLowerCase()) continue;
    const vaultId = deleted.properties?.vaultId?.toLowerCase();
    return {
      name: deleted.name,
      location: deleted.properties?.location ?? "",
      ...(deleted.properties?.deletionDate ? { deletionDate: new Date(deleted.properties.deletionDate).toISOString() } : {}),
      ...(deleted.properties?.purgeProtectionEnabled ? { purgeProtection: true } : {}),
      owned: vaultId !== undefined && ownedIds.has(vaultId),
    };
  }
  return undefined;
}

export interface InitWizardDepsOptions {
  /** Resource ids the state file proves this deployment created (lower-case): a soft-deleted vault among them may be recovered or purged. */
  ownedResourceIds?: ReadonlySet<string>;
  /** The prompts; default: @inquirer/prompts on the command's stdin, drawn on its stderr. */
  prompt?: PromptBackend;
  /** Where the answers are saved: default config/file.ts writeConfigFile. */
  saveConfig?: (path: string, config: DeploymentConfig) => Promise<void>;
}

/** WizardDeps for `init`, backed by the runtime's Azure endpoint and credential. */
export async function createInitWizardDeps(input: ConfigCommandInput, runtime: CommandRuntime, options: InitWizardDepsOptions = {}): Promise<WizardDeps> {
  const { precheck } = input;
  const given = givenByPerson(precheck.partial, precheck.sources);
  // --local: the emulator serves one subscription, so it is not a question.
  if (input.run.local && given.subscriptionId === undefined && precheck.partial.subscriptionId !== undefined) {
    given.subscriptionId = precheck.partial.subscriptionId;
  }
  const givenSecrets: Secrets = precheck.sources.jumpboxPassword === "env" && precheck.secrets.jumpboxPassword ? { jumpboxPassword: precheck.secrets.jumpboxPassword } : {};

  let prompt = options.prompt;
  if (!prompt) {
    prompt = createInquirerBackend({ input: input.io.stdin, output: input.io.stderr, signal: runtime.signal });
  }
  const saveConfig =
    options.saveConfig ??
    (async (path: string, config: DeploymentConfig) => {
      await writeConfigFile(path, config);
    });
  // Saving is offered only when something was asked: a run that replays a whole file has nothing new.
  const everythingGiven = FIELDS.every((f) => given[f.key] !== undefined);

  const deps: WizardDeps = {
    prompt,
    output: input.io.stderr,
    listSubscriptions: async () => {
      const current = runtime.loopback ? undefined : azCliDefaultSubscription(input.env);
      return (await listSubscriptions(runtime)).map((sub) => ({ ...sub, ...(current && sub.id.toLowerCase() === current.toLowerCase() ? { isDefault: true } : {}) }));
    },
    listLocations: (subscriptionId) => listLocations(runtime, subscriptionId),
    listResourceGroups: (subscriptionId) => listResourceGroups(runtime, subscriptionId),
    checkName: (kind, name, subscriptionId) => {
      const subscription = subscriptionId ?? given.subscriptionId;
      if (!subscription) return Promise.resolve({ available: true });
      return checkGlobalName(runtime.azureFor(subscription), kind, name);
    },
    findDeletedKeyVault: (subscriptionId, name) => findDeletedKeyVault(runtime.azureFor(subscriptionId), name, options.ownedResourceIds ?? new Set()),
    given,
    givenSecrets,
    plan: async (config) => {
      const steps = stepsFor(config);
      const planned = await planSteps(steps, { config, secrets: {}, azure: runtime.azureFor(config.subscriptionId) }, { io: runtime.ui, signal: runtime.signal });
      const cost = await costFor(planned.resources, config, {
        source: priceSourceOf(input.flags, input.env),
        env: input.env,
        signal: runtime.signal,
        warn: (message) => input.io.stderr.write(`secure-aml: ${message}\n`),
      });
      return { planned: planned.resources, estimate: estimateFor(steps), cost };
    },
    defaultConfigPath: DEFAULT_WIZARD_CONFIG_FILE,
    replayCommand: (path) => ["secure-aml init --config", shellWord(path), commandSuffix(input), "--yes"].filter((p) => p !== "").join(" "),
    ...(everythingGiven ? {} : { saveConfig }),
  };
  // A real endpoint: sign in first, so that a missing login is the first thing said. A loopback
  // emulator takes the static test token; there is nobody to sign in as.
  if (!runtime.loopback) {
    const scope = cloudProfile(precheck.partial.cloud ?? "AzureCloud").armScope;
    deps.signIn = () => signInWith(runtime.credential, scope);
  }
  return deps;
}
