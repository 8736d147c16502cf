// Resume by default: a state file that records a deployment makes its saved answers the defaults of
// `init` (lowest precedence: flags, variables and the config file still win), so that a plain
// `secure-aml init` (or `init --yes`) after Ctrl-C or a failure finishes the same deployment. Values
// the person gives that name another deployment (subscription, resource group, prefix) switch this off:
// that run is a different deployment and needs its own state file.

import type { DeploymentConfig } from "../config/types.js";
import { FIELDS } from "../config/fields.js";
import type { ResolveConfigInput, ValueSource } from "../config/resolve.js";
import type { DeploymentState } from "../engine/state.js";
import type { SavedDeployment } from "../ui/wizard.js";
import { readState } from "../engine/state.js";
import { precheckConfig } from "../config/resolve.js";
import { stepsFor } from "../steps/index.js";

const PERSON: ReadonlySet<ValueSource> = new Set<ValueSource>(["flag", "env", "file"]);
const IDENTITY: ReadonlyArray<keyof DeploymentConfig> = ["subscriptionId", "resourceGroup", "prefix"];

/** The deployment fields of a stored configuration (anything else in the file is ignored). */
export function savedConfigOf(state: Pick<DeploymentState, "config">): Partial<DeploymentConfig> {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = state.config[field.key];
    if (value !== undefined && value !== null) out[field.key] = value;
  }
  return out as Partial<DeploymentConfig>;
}

function same(a: unknown, b: unknown): boolean {
  return typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/**
 * The saved answers to use as defaults for `init`, or undefined when there is no recorded deployment
 * or the person named a different one. Never throws: bad input is reported by the real precheck.
 */
export async function resumeDefaults(
  statePath: string,
  input: Omit<ResolveConfigInput, "interactive" | "defaults">,
  local = false,
): Promise<Partial<DeploymentConfig> | undefined> {
  let state: DeploymentState | undefined;
  try {
    state = await readState(statePath);
  } catch {
    return undefined;
  }
  if (!state) return undefined;
  // A deployment made in the local emulator is not resumed against Azure, nor the other way round.
  if (state.meta?.local !== undefined && state.meta.local !== String(local)) return undefined;
  const saved = savedConfigOf(state);
  if (typeof saved.subscriptionId !== "string" || typeof saved.resourceGroup !== "string") return undefined;
  try {
    const pre = await precheckConfig({ ...input, interactive: true, requirePassword: false });
    for (const key of IDENTITY) {
      const source = pre.sources[key];
      if (source !== undefined && PERSON.has(source) && !same(pre.partial[key], saved[key])) return undefined;
    }
  } catch {
    return undefined;
  }
  return saved;
}

/** What the first screen of `init` says about the recorded deployment. */
export async function savedDeployment(statePath: string): Promise<SavedDeployment | undefined> {
  const state = await readState(statePath).catch(() => undefined);
  if (!state) return undefined;
  const config = savedConfigOf(state);
  if (typeof config.subscriptionId !== "string" || typeof config.resourceGroup !== "string") return undefined;
  let stepsTotal = Object.keys(state.steps).length;
  if (FIELDS.every((f) => config[f.key] !== undefined)) {
    stepsTotal = stepsFor(config as DeploymentConfig).length;
  }
  const stepsDone = Object.values(state.steps).filter((s) => s.status === "done").length;
  return {
    config,
    stepsDone: Math.min(stepsDone, stepsTotal),
    stepsTotal,
    updatedAt: state.updatedAt,
    ...(state.meta?.destroyedAt ? { destroyedAt: state.meta.destroyedAt } : {}),
    statePath,
  };
}

/** Ids the state proves this deployment created (lower-case), for the soft-deleted key vault choice. */
export async function createdResourceIds(statePath: string): Promise<Set<string>> {
  const state = await readState(statePath).catch(() => undefined);
  const ids = new Set<string>();
  for (const step of Object.values(state?.steps ?? {})) for (const id of step.createdIds ?? []) ids.add(id.toLowerCase());
  return ids;
}

/** Where a different deployment keeps its state when the default file holds another one: beside it, named after its group. */
export function otherStatePath(statePath: string, resourceGroup: string): string {
  const safe = resourceGroup.toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
  const dot = statePath.lastIndexOf(".json");
  return dot > 0 ? `${statePath.slice(0, dot)}-${safe}.json` : `${statePath}-${safe}`;
}
