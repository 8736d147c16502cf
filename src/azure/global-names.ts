// Names that must be unique across Azure (storage account, key vault, container registry): asking the
// provider whether one is free, and suggesting a free alternative. ONE algorithm, used by the steps
// (before the first write, steps/name-check.ts) and by the wizard (commands/wizard-deps.ts). The
// length and character rules come from config/rules.ts.

import { randomBytes } from "node:crypto";
import type { AzureContext } from "./clients.js";
import { armCall } from "./arm-errors.js";
import { NAME_RULES, checkName, type NameKind } from "../config/rules.js";

export type GlobalNameKind = "storageAccount" | "keyVault" | "registry";

interface GlobalNameInfo {
  /** The naming rule in config/rules.ts. */
  rule: NameKind;
  /** The flag that sets it. */
  flag: string;
  ask(azure: AzureContext, name: string): Promise<{ nameAvailable?: boolean; reason?: string; message?: string }>;
}

export const GLOBAL_NAMES: Readonly<Record<GlobalNameKind, GlobalNameInfo>> = {
  storageAccount: {
    rule: "storageAccount",
    flag: "--storage-account",
    ask: async (azure, name) => (await azure.storage()).storageAccounts.checkNameAvailability({ name, type: "Microsoft.Storage/storageAccounts" }),
  },
  keyVault: {
    rule: "keyVault",
    flag: "--key-vault",
    ask: async (azure, name) => (await azure.keyVault()).vaults.checkNameAvailability({ name, type: "Microsoft.KeyVault/vaults" }),
  },
  registry: {
    rule: "containerRegistry",
    flag: "--registry",
    ask: async (azure, name) => (await azure.containerRegistry()).registries.checkNameAvailability({ name, type: "Microsoft.ContainerRegistry/registries" }),
  },
};

export interface GlobalNameVerdict {
  available: boolean;
  /** Why not, in Azure's words (e.g. "AlreadyExists"). */
  reason?: string;
  message?: string;
  /** A free name to offer instead (only for a taken, valid name). */
  suggestion?: string;
}

/** The person's word for a kind: "storage account", "key vault", "container registry". */
export function globalNameLabel(kind: GlobalNameKind): string {
  return NAME_RULES[GLOBAL_NAMES[kind].rule].kind;
}

/** Asks the provider whether `name` is free. */
export async function isNameFree(azure: AzureContext, kind: GlobalNameKind, name: string): Promise<GlobalNameVerdict> {
  const answer = await armCall({ resource: name, operation: `check ${globalNameLabel(kind)} name availability` }, () => GLOBAL_NAMES[kind].ask(azure, name));
  return {
    available: answer.nameAvailable === true,
    ...(answer.reason ? { reason: String(answer.reason) } : {}),
    ...(answer.message ? { message: answer.message } : {}),
  };
}

const SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * `name` with a short random suffix of lower-case letters and digits (valid in all three kinds), cut
 * to the kind's maximum length from config/rules.ts, trailing hyphens dropped.
 */
export function suggestName(kind: GlobalNameKind, name: string, random: () => Buffer = () => randomBytes(4)): string {
  const max = NAME_RULES[GLOBAL_NAMES[kind].rule].max;
  const suffix = [...random()].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join("");
  const base = name
    .replace(/-+$/, "")
    .slice(0, max - suffix.length)
    .replace(/-+$/, "");
  return `${base}${suffix}`;
}

/**
 * Whether `name` is free; when it is taken, tries up to `attempts` suggested names (skipping any the
 * rules refuse) and offers the first free one. An invalid name gets no suggestion (the rule is the message).
 */
export async function checkGlobalName(azure: AzureContext, kind: GlobalNameKind, name: string, attempts = 3): Promise<GlobalNameVerdict> {
  const verdict = await isNameFree(azure, kind, name);
  if (verdict.available || /invalid/i.test(verdict.reason ?? "")) return verdict;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const candidate = suggestName(kind, name);
    if (checkName(GLOBAL_NAMES[kind].rule, candidate).length > 0) continue;
    if ((await isNameFree(azure, kind, candidate)).available) return { ...verdict, suggestion: candidate };
  }
  return verdict;
}
