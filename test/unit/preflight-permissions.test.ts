// Azure's rule for the permissions API answer: an operation is allowed when one permission entry's
// actions match it (with `*` wildcards, case-insensitive) and that entry's notActions do not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { permitsAction } from "../../src/preflight/index.js";

const WRITE = "Microsoft.Authorization/roleAssignments/write";

test("Owner may write role assignments; Contributor may not", () => {
  assert.equal(permitsAction([{ actions: ["*"], notActions: [] }], WRITE), true);
  assert.equal(permitsAction([{ actions: ["*"], notActions: ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"] }], WRITE), false);
});

test("User Access Administrator and Role Based Access Control Administrator may; Reader may not", () => {
  assert.equal(permitsAction([{ actions: ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], notActions: [] }], WRITE), true);
  assert.equal(permitsAction([{ actions: ["Microsoft.Authorization/roleAssignments/write"], notActions: [] }], WRITE.toUpperCase()), true);
  assert.equal(permitsAction([{ actions: ["*/read"], notActions: [] }], WRITE), false);
  assert.equal(permitsAction([], WRITE), false);
});

test("a notAction excludes only within its own entry", () => {
  const contributorPlusUaa = [
    { actions: ["*"], notActions: ["Microsoft.Authorization/*/Write"] },
    { actions: ["Microsoft.Authorization/*"], notActions: [] },
  ];
  assert.equal(permitsAction(contributorPlusUaa, WRITE), true);
  assert.equal(permitsAction([{ actions: ["Microsoft.Authorization/role*"], notActions: ["Microsoft.Authorization/roleAssignments/*"] }], WRITE), false);
});
