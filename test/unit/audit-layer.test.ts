// src/audit is the pure audit layer (inventory, checks, ids): it must import nothing from the
// command layer (src/commands) or the command line (src/cli) — day-two command code lives in
// src/commands (issue 17, review item 7).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("src/audit layering", () => {
  it("imports nothing from src/commands or src/cli, and holds no command code", async () => {
    const dir = path.join(root, "src", "audit");
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith(".ts"));
    assert.ok(files.length >= 3, `found the audit sources (${files.join(", ")})`);
    const offending: string[] = [];
    for (const file of files) {
      const text = await fs.readFile(path.join(dir, file), "utf8");
      for (const match of text.matchAll(/(?:from|import\()\s*["']([^"']+)["']/g)) {
        const target = match[1]!;
        if (/^\.\.\/(commands|cli)\//.test(target)) offending.push(`${file} → ${target}`);
      }
    }
    assert.deepEqual(offending, []);
    for (const moved of ["power.ts", "daytwo.ts", "target.ts"]) assert.ok(!files.includes(moved), `${moved} lives in src/commands`);
  });
});
