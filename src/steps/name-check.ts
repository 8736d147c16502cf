// Global-name availability, checked once before the first write of a resource whose name must be
// unique across Azure (storage, key vault, registry). A taken name fails the step with a message
// naming the resource and a free alternative (the algorithm is azure/global-names.ts, shared with
// the wizard).

import { SecureAmlError, ExitCode } from "../errors.js";
import type { AzureContext } from "../azure/clients.js";
import { GLOBAL_NAMES, checkGlobalName, globalNameLabel, type GlobalNameKind } from "../azure/global-names.js";

export async function ensureNameAvailable(azure: AzureContext, kind: GlobalNameKind, name: string): Promise<void> {
  const result = await checkGlobalName(azure, kind, name);
  if (result.available) return;
  const label = globalNameLabel(kind);
  const { flag } = GLOBAL_NAMES[kind];
  const why = result.message ?? result.reason ?? "the name is not available";
  throw new SecureAmlError(
    "NAME_TAKEN",
    `The ${label} name "${name}" is taken (${why}). ${label[0]!.toUpperCase()}${label.slice(1)} names are global across Azure; ` +
      (result.suggestion ? `"${result.suggestion}" is free: re-run with ${flag} ${result.suggestion}.` : `choose another with ${flag}.`),
    ExitCode.failed,
    result.suggestion ? `secure-aml init ${flag} ${result.suggestion}` : `secure-aml init ${flag} <another-name>`,
  );
}
