// The one decision `plan` and `init` share (resources/reconcile.ts): for every provisioning state and
// drift, `planResource` announces exactly what `converge` then does, immutable drift is refused before
// any write with the spec's own error, and a step's layout runs in declaration order.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { AzureContext } from "../../src/azure/clients.js";
import { converge, decide, planAll, planResource } from "../../src/resources/reconcile.js";
import { change, parallel, type Change, type ResourceSpec } from "../../src/resources/spec.js";

interface Fake {
  state?: string;
  drift?: boolean;
}

/** Only `lro()` of the context is used (for the poll interval while waiting); no SDK client is involved. */
const azure = { lro: () => ({ updateIntervalInMs: 1 }) } as unknown as AzureContext;
const io = { signal: new AbortController().signal, progress: () => undefined };

function fakeSpec(actual: Fake | undefined, opts: { deleteFailed?: boolean; immutable?: boolean } = {}) {
  const writes: string[] = [];
  const spec: ResourceSpec<Fake> = {
    id: "/subscriptions/s/resourceGroups/g/providers/Test.Fake/things/one",
    kind: "Test.Fake/things",
    name: "one",
    group: "global",
    read: async () => actual,
    provisioningState: (a) => a.state,
    diff: (a): Change[] => (a.drift ? [change("setting", "off", "on", opts.immutable ? { immutable: true } : {})] : []),
    create: async () => writes.push("create"),
    update: async () => writes.push("update"),
    ...(opts.deleteFailed ? { deleteFailed: async () => writes.push("delete") } : {}),
    immutableDrift: (changes) => Object.assign(new Error(`fixed: ${changes.map((c) => c.field).join(",")}`), { code: "FAKE_IMMUTABLE" }),
  };
  return { spec, writes };
}

const DONE: Record<string, string> = { create: "created", recreate: "created", update: "updated", none: "unchanged" };

test("plan announces what init does, for every final state, drift and failed-create policy", async () => {
  const cases: Array<[Fake | undefined, boolean]> = [[undefined, false]];
  for (const state of [undefined, "Succeeded", "Failed", "Canceled"])
    for (const drift of [false, true]) for (const del of [false, true]) cases.push([{ ...(state ? { state } : {}), drift }, del]);
  for (const [actual, deleteFailed] of cases) {
    const label = JSON.stringify({ actual, deleteFailed });
    const planned = await planResource(fakeSpec(actual, { deleteFailed }).spec);
    const { spec, writes } = fakeSpec(actual, { deleteFailed });
    const done = await converge(spec, azure, io);
    assert.equal(done.action, DONE[planned.action], label);
    assert.equal(planned.action === "none", writes.length === 0, `${label}: writes ${writes.join(",")}`);
  }
});

test("decide: missing → create; Failed with deleteFailed → recreate; Canceled is a change; Succeeded and as wanted → none", () => {
  const { spec } = fakeSpec(undefined, { deleteFailed: true });
  assert.deepEqual(decide(spec, undefined), { action: "create" });
  assert.equal(decide(spec, { state: "Failed" }).action, "recreate");
  assert.deepEqual(decide(spec, { state: "Canceled" }), { action: "update", changes: [{ field: "provisioningState", actual: "Canceled", wanted: "Succeeded" }] });
  assert.deepEqual(decide(spec, { state: "Succeeded" }), { action: "none" });
});

test("immutable drift is refused with the spec's error and nothing is written; plan shows it as data", async () => {
  const { spec, writes } = fakeSpec({ state: "Succeeded", drift: true }, { immutable: true });
  await assert.rejects(converge(spec, azure, io), (e: unknown) => (e as { code?: unknown }).code === "FAKE_IMMUTABLE");
  assert.deepEqual(writes, []);
  const planned = await planResource(spec);
  assert.deepEqual(planned.changes, [{ field: "setting", actual: "off", wanted: "on", immutable: true }]);
});

test("a layout plans in declaration order; a child of a resource to create is planned without a read", async () => {
  let childReads = 0;
  const parent = fakeSpec(undefined).spec;
  const child: ResourceSpec<Fake> = {
    ...fakeSpec({ state: "Succeeded" }).spec,
    id: `${parent.id}/children/c`,
    name: "c",
    parentId: parent.id,
    read: async () => (childReads++, { state: "Succeeded" }),
  };
  const other = { ...fakeSpec({ state: "Succeeded" }).spec, id: "/x/other", name: "other" };
  const planned = await planAll([parent, parallel(child, [other])]);
  assert.deepEqual(
    planned.map((p) => `${p.name}:${p.action}`),
    ["one:create", "c:create", "other:none"],
  );
  assert.equal(childReads, 0);
});
