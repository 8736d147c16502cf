// The config file (`--config FILE`): JSON whose keys are DeploymentConfig fields. Its shape is
// checked with a JSON Schema built from FIELDS (ajv, loaded lazily so --help stays fast).
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { InputProblem } from "../errors.js";
import type { DeploymentConfig } from "./types.js";
import { FIELDS, fieldByKey } from "./fields.js";
import { PASSWORD_ENV } from "./validate.js";
import { jsonLimitProblem } from "./json-limits.js";

/** A config file holds about 40 scalar settings (a few KB): 256 KB is generous, and caps what is read. */
export const CONFIG_MAX_BYTES = 256 * 1024;
/** Settings are scalars in one object; a little room for "$schema" and future small objects. */
export const CONFIG_MAX_DEPTH = 4;

/** The JSON Schema of a config file (also usable by editors through "$schema"). */
function configFileSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = { $schema: { type: "string" } };
  for (const field of FIELDS) {
    const base = { description: field.description };
    if (field.type === "enum") properties[field.key] = { ...base, type: "string", enum: [...(field.choices ?? [])] };
    else properties[field.key] = { ...base, type: field.type };
  }
  return { type: "object", properties, additionalProperties: false };
}

/** Levenshtein distance, for "did you mean" on misspelt keys (two rows of the classic table). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function describeUnknownKey(key: string): string {
  if (/password|secret/i.test(key)) {
    return `secrets never go in the config file: give the jump-box password in ${PASSWORD_ENV} or at the masked prompt`;
  }
  const wanted = key.toLowerCase().replace(/[-_]/g, "");
  const close = FIELDS.map((f) => ({ f, d: editDistance(f.key.toLowerCase(), wanted) }))
    .filter(({ d }) => d <= 2)
    .sort((a, b) => a.d - b.d)[0]?.f;
  const hint = close ? `did you mean "${close.key}"? ` : "";
  return `unknown key; ${hint}known keys: ${FIELDS.map((f) => f.key).join(", ")}`;
}

/** Reads and checks a config file; every problem is returned, none thrown. */
export async function loadConfigFile(path: string): Promise<{ values: Partial<DeploymentConfig>; problems: InputProblem[] }> {
  const at = (rule: string): string => `in config file ${path}: ${rule}`;
  let text: string;
  try {
    // Read no more than the cap (and one byte) so that a huge file (or /dev/zero) is refused, not loaded.
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(CONFIG_MAX_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      text = buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const rule = code === "ENOENT" ? "file not found" : `cannot be read (${code ?? String(error)})`;
    return { values: {}, problems: [{ field: "config", flag: "--config", env: "SECURE_AML_CONFIG", value: path, rule }] };
  }
  const tooBig = Buffer.byteLength(text, "utf8") > CONFIG_MAX_BYTES ? `it is larger than ${CONFIG_MAX_BYTES} bytes, far more than a config file needs` : undefined;
  const limit = tooBig ?? jsonLimitProblem(text, { maxBytes: CONFIG_MAX_BYTES, maxDepth: CONFIG_MAX_DEPTH });
  if (limit) return { values: {}, problems: [{ field: "config", flag: "--config", env: "SECURE_AML_CONFIG", value: path, rule: at(limit) }] };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const rule = `is not valid JSON (${(error as Error).message})`;
    return { values: {}, problems: [{ field: "config", flag: "--config", env: "SECURE_AML_CONFIG", value: path, rule }] };
  }
  const { Ajv } = await import("ajv");
  const validate = new Ajv({ allErrors: true, strict: true }).compile(configFileSchema());
  const problems: InputProblem[] = [];
  if (!validate(data)) {
    for (const error of validate.errors ?? []) {
      if (error.instancePath === "" && error.keyword === "type") {
        problems.push({ field: "config", flag: "--config", value: path, rule: at("must hold one JSON object of settings") });
        continue;
      }
      const key =
        error.keyword === "additionalProperties"
          ? String((error.params as { additionalProperty?: unknown }).additionalProperty)
          : error.instancePath.replace(/^\//, "").split("/")[0]!;
      const value = (data as Record<string, unknown>)[key];
      const field = fieldByKey(key);
      const rule =
        error.keyword === "additionalProperties"
          ? describeUnknownKey(key)
          : error.keyword === "enum"
            ? `must be one of: ${(field?.choices ?? []).join(", ")}`
            : `must be ${error.keyword === "type" ? `a JSON ${String((error.params as { type?: unknown }).type)}` : error.message}`;
      const secret = /password|secret/i.test(key);
      problems.push({
        field: key,
        flag: field?.flag,
        value: secret || value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value),
        rule: at(rule),
      });
    }
    return { values: {}, problems };
  }
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) if (key !== "$schema") values[key] = value;
  return { values: values as Partial<DeploymentConfig>, problems };
}

/** Saves answers for a later `--config FILE --yes` run: only the fields of FIELDS, in table order; never a secret. */
export async function writeConfigFile(path: string, config: Partial<DeploymentConfig>): Promise<void> {
  const ordered: Record<string, unknown> = {};
  for (const field of FIELDS) if (config[field.key] !== undefined) ordered[field.key] = config[field.key];
  const { default: writeFileAtomic } = await import("write-file-atomic");
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(ordered, null, 2) + "\n", { mode: 0o644 });
}
