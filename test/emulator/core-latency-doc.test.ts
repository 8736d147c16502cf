// docs/emulator.md's table of realistic durations must be complete and true to the code: one row per
// resource type handler, with the handler's `latency` figures and LRO shape, and a source for each figure.
// On a mismatch the failure message prints the rows as the code has them.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { allProviders } from "../../src/emulator/providers/index.js";
import type { ResourceTypeHandler } from "../../src/emulator/types.js";

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
  const { put, patch, delete: del, createStatus, header } = handler.lro;
  const parts = [`PUT ${put}${createStatus !== undefined ? ` (create ${createStatus})` : ""}`];
  if (patch !== undefined && patch !== put) parts.push(`PATCH ${patch}`);
  parts.push(`DELETE ${del}`);
  const anyAsync = put === "async" || del === "async" || patch === "async";
  if (anyAsync) parts.push(header ?? "no header (body polling)");
  return parts.join(", ");
}

function expectedCells(handler: ResourceTypeHandler): string[] {
  return [handler.type, String(handler.latency.create), String(handler.latency.update), String(handler.latency.delete), lroShape(handler)];
}

function latencyTable(markdown: string): string[][] {
  const start = markdown.indexOf("## Latency profile");
  assert.ok(start >= 0, 'docs/emulator.md has a "## Latency profile" section');
  const section = markdown.slice(start).split(/\n## /)[0];
  const lines = section.split("\n").filter((line) => line.startsWith("|"));
  const header = lines[0]?.split("|").slice(1, -1).map((cell) => cell.trim()) ?? [];
  assert.deepEqual(header, ["Type", "Create", "Update", "Delete", "LRO shape", "Source"], "the first table of the section");
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    const cells = line.split("|").slice(1, -1).map((cell) => cell.trim());
    if (cells.length !== header.length) break; // the next table
    rows.push(cells);
  }
  return rows;
}

describe("docs/emulator.md realistic latency table", () => {
  it("has one row per handler, with the handler's figures and LRO shape, and a source for each", () => {
    const handlers = allProviders.flatMap((provider) => provider.types);
    const rows = latencyTable(readFileSync(path.join(projectRoot(), "docs", "emulator.md"), "utf8"));
    const expected = handlers.map(expectedCells);
    const problems: string[] = [];
    for (const cells of expected) {
      const row = rows.find((candidate) => candidate[0] === cells[0]);
      if (!row) problems.push(`missing row: | ${cells.join(" | ")} | <source> |`);
      else if (row.slice(0, 5).join("|") !== cells.join("|")) problems.push(`row differs from the code:\n  doc:  | ${row.slice(0, 5).join(" | ")} |\n  code: | ${cells.join(" | ")} |`);
      else if (row[5].length < 5) problems.push(`row without a source: ${cells[0]}`);
    }
    for (const row of rows) if (!handlers.some((handler) => handler.type === row[0])) problems.push(`row for a type no handler serves: ${row[0]}`);
    assert.deepEqual(problems, [], problems.join("\n"));
    assert.equal(rows.length, handlers.length);
  });
});
