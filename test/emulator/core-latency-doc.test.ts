// docs/emulator.md's table of realistic durations must be complete and true to the code: one row per
// resource type handler (plus one per body-dependent variant, e.g. ML compute kinds), with the handler's
// figures and LRO shape, and the source src/durations.ts gives for them. The handlers' figures must come
// from src/durations.ts (the one table the steps' estimates use too). On a mismatch the failure message
// prints the rows as the code has them.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { allProviders } from "../../src/emulator/providers/index.js";
import type { ResourceTypeHandler } from "../../src/emulator/types.js";
import { DEFAULT_WRITE_SECONDS, ML_COMPUTE_SECONDS, REALISTIC_SECONDS, isDurationType, latencyOf } from "../../src/durations.js";

const ML_COMPUTE_TYPE = "Microsoft.MachineLearningServices/workspaces/computes";

function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "docs", "emulator.md"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("docs/emulator.md not found above the test file");
    dir = parent;
  }
  return dir;
}

/** The LRO shape column, derived from `lro` (docs/emulator.md explains the words). */
function lroShape(handler: ResourceTypeHandler): string {
  const { put, patch, update, delete: del, createStatus, header, acceptedWrites, deleteHeader, pendingState } = handler.lro;
  const pending = pendingState?.create !== undefined ? `, ${pendingState.create}` : "";
  const parts = [`PUT ${put}${createStatus !== undefined || pending ? ` (create ${createStatus ?? 201}${pending})` : ""}`];
  if (update !== undefined && update !== put) parts.push(`update ${update}`);
  if (patch !== undefined && patch !== (update ?? put)) parts.push(`PATCH ${patch}`);
  parts.push(`DELETE ${del}`);
  const anyAsync = put === "async" || del === "async" || patch === "async";
  if (anyAsync) parts.push(header ?? "no header (body polling)");
  if (acceptedWrites) parts.push("writes 202 + Location");
  if (deleteHeader) parts.push(`delete ${deleteHeader} only`);
  return parts.join(", ");
}

type Figures = { create: number; update: number; delete: number };

function cells(label: string, figures: Figures, handler: ResourceTypeHandler, source: string): string[] {
  return [label, String(figures.create), String(figures.update), String(figures.delete), lroShape(handler), source];
}

/**
 * The rows the code implies: the handler's own, then one per variant its `latencyFor` distinguishes. A type
 * not measured yet (no row in src/durations.ts: it runs at DEFAULT_WRITE_SECONDS) has no row.
 */
function expectedRows(handler: ResourceTypeHandler, problems: string[]): string[][] {
  if (!isDurationType(handler.type)) return [];
  const rows = [cells(handler.type, handler.latency, handler, REALISTIC_SECONDS[handler.type].source)];
  if (!handler.latencyFor) return rows;
  if (handler.type !== ML_COMPUTE_TYPE) {
    problems.push(`${handler.type} has latencyFor: teach this test its variants (a probe body per variant)`);
    return rows;
  }
  for (const [kind, figures] of Object.entries(ML_COMPUTE_SECONDS)) {
    const chosen = handler.latencyFor({ properties: { computeType: kind } });
    if (!chosen) problems.push(`${handler.type}: latencyFor gives nothing for computeType ${kind}`);
    else rows.push(cells(`${handler.type} (${kind})`, chosen, handler, figures.source));
  }
  return rows;
}

function latencyTable(markdown: string): string[][] {
  const start = markdown.indexOf("## Latency profile");
  assert.ok(start >= 0, 'docs/emulator.md has a "## Latency profile" section');
  const section = markdown.slice(start).split(/\n## /)[0]!;
  const lines = section.split("\n").filter((line) => line.startsWith("|"));
  const header =
    lines[0]
      ?.split("|")
      .slice(1, -1)
      .map((cell) => cell.trim()) ?? [];
  assert.deepEqual(header, ["Type", "Create", "Update", "Delete", "LRO shape", "Source"], "the first table of the section");
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (cells.length !== header.length) break; // the next table
    rows.push(cells);
  }
  return rows;
}

describe("docs/emulator.md realistic latency table", () => {
  it("has one row per handler (and per body variant), with the code's figures, LRO shape and source", () => {
    const handlers = allProviders.flatMap((provider) => provider.types);
    const rows = latencyTable(readFileSync(path.join(projectRoot(), "docs", "emulator.md"), "utf8"));
    const problems: string[] = [];
    const expected = handlers.flatMap((handler) => expectedRows(handler, problems));
    for (const cellsOfCode of expected) {
      const row = rows.find((candidate) => candidate[0] === cellsOfCode[0]);
      if (!row) problems.push(`missing row: | ${cellsOfCode.join(" | ")} |`);
      else if (row.join("|") !== cellsOfCode.join("|")) problems.push(`row differs from the code:\n  doc:  | ${row.join(" | ")} |\n  code: | ${cellsOfCode.join(" | ")} |`);
      else if ((row[5] ?? "").length < 5) problems.push(`row without a source: ${cellsOfCode[0]}`);
    }
    for (const row of rows) if (!expected.some((cellsOfCode) => cellsOfCode[0] === row[0])) problems.push(`row for a type no handler serves: ${row[0]}`);
    assert.deepEqual(problems, [], problems.join("\n"));
    assert.equal(rows.length, expected.length);
  });

  it("takes every handler's figures from src/durations.ts (the table the steps' estimates use) or its default", () => {
    const handlers = allProviders.flatMap((provider) => provider.types);
    const problems: string[] = [];
    for (const handler of handlers) {
      // A type not measured yet runs at the default (latencyOf's fallback), never at figures of its own.
      const wanted = isDurationType(handler.type) ? latencyOf(handler.type) : DEFAULT_WRITE_SECONDS;
      assert.deepEqual(handler.latency, wanted, handler.type);
    }
    for (const type of Object.keys(REALISTIC_SECONDS)) {
      if (!handlers.some((handler) => handler.type === type)) problems.push(`src/durations.ts has ${type}, which no handler serves`);
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  it("picks ML compute durations by computeType, and the type's row for any other kind", () => {
    const handler = allProviders.flatMap((provider) => provider.types).find((candidate) => candidate.type === ML_COMPUTE_TYPE);
    assert.ok(handler?.latencyFor);
    assert.equal(handler.latencyFor({ properties: { computeType: "AmlCompute" } })?.create, ML_COMPUTE_SECONDS.AmlCompute.create);
    assert.equal(handler.latencyFor({ properties: { computeType: "ComputeInstance" } })?.create, ML_COMPUTE_SECONDS.ComputeInstance.create);
    assert.notEqual(ML_COMPUTE_SECONDS.AmlCompute.create, ML_COMPUTE_SECONDS.ComputeInstance.create);
    assert.equal(handler.latencyFor({ properties: { computeType: "Kubernetes" } }), undefined);
  });
});
