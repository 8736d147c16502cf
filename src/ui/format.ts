// Small formatting helpers shared by the renderers, the plan and the summary.

import { stripVTControlCharacters } from "node:util";
import type { Change, ResourceAction, ResourceOutcome } from "../engine/types.js";

/** "0.4s", "12.3s", "4m 05s", "1h 02m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, "0")}m`;
  return `${minutes}m ${String(seconds).padStart(2, "0")}s`;
}

/** Whole seconds while running: "7s", "2m 10s". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m ${String(s % 60).padStart(2, "0")}s`;
}

/** Steps expected to take at least this long are announced as long. */
const LONG_STEP_SECONDS = 120;

/** "usually ~10 min" for long steps, undefined for short ones. */
export function expectedNote(expectedSeconds: number | undefined): string | undefined {
  if (expectedSeconds === undefined || expectedSeconds < LONG_STEP_SECONDS) return undefined;
  return `usually ~${Math.round(expectedSeconds / 60)} min`;
}

/** "~25 min" / "~45 s" for plan estimates. */
export function formatEstimate(seconds: number): string {
  if (seconds < 90) return `~${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `~${Math.round(seconds / 60)} min`;
  return `~${(seconds / 3600).toFixed(1)} h`;
}

/** Text from outside (ARM messages) with every terminal control sequence and control character removed. */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return stripVTControlCharacters(text).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "");
}

/** True when the text contains an ANSI escape or other control character (newline and tab excepted). */
export function hasControlCharacters(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text);
}

/** Azure portal page of a resource. */
export function portalLink(resourceId: string): string {
  return `https://portal.azure.com/#@/resource${resourceId}`;
}

/** The last segment of a resource type, e.g. "virtualNetworks". */
export function shortKind(kind: string): string {
  const parts = kind.split("/");
  return parts.length > 1 ? parts.slice(1).join("/") : kind;
}

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** Which action wins when one resource appears in several steps' outcomes. */
const ACTION_RANK: Record<ResourceAction, number> = { absent: 0, unchanged: 1, updated: 2, created: 3, deleted: 4 };

/**
 * One entry per resource ID (case-insensitive), with the strongest action of the run: the workspace is
 * created by one step and set to build images on the cluster by another, and is one resource.
 */
export function mergeResourceOutcomes<T extends ResourceOutcome>(outcomes: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const r of outcomes) {
    const key = r.id.toLowerCase();
    const seen = byId.get(key);
    if (!seen) byId.set(key, { ...r });
    else if (ACTION_RANK[r.action] > ACTION_RANK[seen.action]) seen.action = r.action;
  }
  return [...byId.values()];
}

/** One structured change as a line of text: "field: actual → wanted (cannot change in place)". */
export function formatChange(change: Change): string {
  return `${change.field}: ${changeValue(change.actual)} → ${changeValue(change.wanted)}${change.immutable ? " (cannot change in place)" : ""}`;
}

function changeValue(value: unknown): string {
  if (value === undefined) return "(unset)";
  if (typeof value !== "string") return JSON.stringify(value);
  // An ARM ID reads best as the name at its end.
  return value.startsWith("/subscriptions/") ? (value.split("/").pop() ?? value) : value;
}
