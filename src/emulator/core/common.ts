// Generic helpers that every part of the emulator shares, the core and the providers alike: JSON
// narrowing (isObject, asObject, asArray, asString), ARM's case-insensitive comparison of names and IDs,
// and its normalised form of a region. One copy of each, so that the copies cannot drift apart.
import type { Json, JsonObject } from "../types.js";

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object, or an empty one for anything else (optional sections read without undefined checks). */
export function asObject(value: Json | undefined): JsonObject {
  return isObject(value) ? value : {};
}

export function asArray(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: Json | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** ARM compares names, types and namespaces without case; an absent side never matches. */
export function sameText(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** Resource IDs compare as text does: ARM keeps the first casing but matches any. */
export const sameId = sameText;

/** ARM normalises regions to lower case without spaces ("East US" -> "eastus"). */
export function normalizeLocation(location: string): string;
export function normalizeLocation(location: string | undefined): string | undefined;
export function normalizeLocation(location: string | undefined): string | undefined {
  return location?.replace(/\s+/g, "").toLowerCase();
}

/** Azure compares regions without case or spaces ("East US" is "eastus"). */
export function sameRegion(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && normalizeLocation(a) === normalizeLocation(b);
}
