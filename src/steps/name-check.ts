// Global-name availability, checked once before the first write of a resource whose name must be
// unique across Azure (storage, key vault, registry). A taken name fails the step with a message
// naming the resource and a free alternative.

import { SecureAmlError, ExitCode } from "../errors.js";
import { armCall } from "../azure/arm-errors.js";
import { suggestFreeName } from "./common.js";

export interface NameCheck {
  /** "storage account", "key vault", ... */
  label: string;
  name: string;
  /** The flag that sets the name, e.g. "--storage-account". */
  flag: string;
  maxLength: number;
  allowHyphen: boolean;
  /** Asks Azure; true when the name can be used. */
  isAvailable(name: string): Promise<{ available: boolean; reason?: string; message?: string }>;
}

export async function ensureNameAvailable(check: NameCheck): Promise<void> {
  const result = await armCall({ resource: check.name, operation: `check ${check.label} name availability` }, () => check.isAvailable(check.name));
  if (result.available) return;
  let suggestion: string | undefined;
  for (let i = 0; i < 3 && suggestion === undefined; i++) {
    const candidate = suggestFreeName(check.name, check.maxLength, check.allowHyphen);
    const r = await armCall({ resource: candidate, operation: `check ${check.label} name availability` }, () => check.isAvailable(candidate));
    if (r.available) suggestion = candidate;
  }
  const why = result.message ?? result.reason ?? "the name is not available";
  throw new SecureAmlError(
    "NAME_TAKEN",
    `The ${check.label} name "${check.name}" is taken (${why}). ${check.label[0]!.toUpperCase()}${check.label.slice(1)} names are global across Azure; ` +
      (suggestion ? `"${suggestion}" is free: re-run with ${check.flag} ${suggestion}.` : `choose another with ${check.flag}.`),
    ExitCode.failed,
    suggestion ? `secure-aml init ${check.flag} ${suggestion}` : `secure-aml init ${check.flag} <another-name>`,
  );
}
