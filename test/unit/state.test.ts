// The state file: modes, refusals that leave the file untouched, secret-looking fields, coalesced saves.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SecureAmlError } from "../../src/errors.js";
import { findSecretLookingFields, isSecretLookingName, openState, parseStateDocument, readState, STATE_SCHEMA_VERSION } from "../../src/engine/state.js";
import { tempDir } from "../fixtures/engine/processes.js";

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups) await c();
});
async function dir(): Promise<string> {
  const d = await tempDir("secure-aml-state-");
  cleanups.push(d.remove);
  return d.path;
}

function isCode(code: string, exitCode: number) {
  return (err: unknown) => {
    assert.ok(err instanceof SecureAmlError, `SecureAmlError expected, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.exitCode, exitCode);
    return true;
  };
}

describe("state file", () => {
  it("is created mode 0600 in a 0700 directory and round-trips", async () => {
    const path = join(await dir(), ".secure-aml", "state.json");
    const state = await openState(path, { create: true });
    state.setConfig({ prefix: "demo", keyVault: "kv-demo", keyVaultSoftDeleted: "fail", clusterMaxNodes: 4 });
    await state.update((s) => {
      s.steps.network = { status: "done", attempts: 1, outputs: { vnetId: "/x" }, resources: [{ id: "/x", kind: "K", name: "x", action: "created" }] };
    });
    await state.close();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(path, ".."))).mode & 0o777, 0o700);
    const again = await readState(path);
    assert.equal(again?.schemaVersion, STATE_SCHEMA_VERSION);
    assert.deepEqual(again?.config, { prefix: "demo", keyVault: "kv-demo", keyVaultSoftDeleted: "fail", clusterMaxNodes: 4 });
    assert.equal(again?.steps.network?.outputs.vnetId, "/x");
  });

  it("tightens an existing wider file back to 0600 on save", async () => {
    const path = join(await dir(), "state.json");
    await (await openState(path, { create: true })).close();
    await chmod(path, 0o644);
    const state = await openState(path, { create: false });
    await state.save();
    await state.close();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it("does not chmod a shared directory the state was pointed into", async () => {
    const shared = join(await dir(), "shared");
    await mkdir(shared, { mode: 0o755 });
    await chmod(shared, 0o755);
    const state = await openState(join(shared, "my-state.json"), { create: true });
    await state.close();
    assert.equal((await stat(shared)).mode & 0o777, 0o755);
  });

  it("missing file without create is STATE_NOT_FOUND (exit 2), and creates nothing", async () => {
    const d = await dir();
    await assert.rejects(openState(join(d, "nope", "state.json"), { create: false }), isCode("STATE_NOT_FOUND", 2));
    await assert.rejects(openState(join(d, "state.json"), { create: false }), isCode("STATE_NOT_FOUND", 2));
    assert.equal(existsSync(join(d, "nope")), false);
    assert.equal(existsSync(join(d, "state.json.lock")), false, "lock released after the refusal");
  });

  const refusals: Array<{ name: string; content: string; code: string; mention: RegExp }> = [
    {
      name: "a newer schema",
      content: JSON.stringify({ schemaVersion: 2, createdAt: "x", updatedAt: "x", config: {}, steps: {}, newThing: [] }),
      code: "STATE_FROM_FUTURE",
      mention: /schema 2/,
    },
    { name: "not JSON", content: "{ this is not json", code: "STATE_INVALID", mention: /not valid JSON/ },
    { name: "an empty file", content: "", code: "STATE_INVALID", mention: /empty/ },
    { name: "a JSON array", content: "[1,2]", code: "STATE_INVALID", mention: /not a JSON object/ },
    {
      name: "a wrong shape",
      content: JSON.stringify({ schemaVersion: 1, createdAt: "x", updatedAt: "x", config: {}, steps: { a: { status: "weird", attempts: -1, outputs: {}, resources: [] } } }),
      code: "STATE_INVALID",
      mention: /\/steps\/a\/status/,
    },
    { name: "no schema version", content: JSON.stringify({ config: {}, steps: {} }), code: "STATE_INVALID", mention: /schemaVersion/ },
    {
      name: "a secret-looking config field",
      content: JSON.stringify({ schemaVersion: 1, createdAt: "x", updatedAt: "x", config: { jumpboxPassword: "P@ss" }, steps: {} }),
      code: "STATE_INVALID",
      mention: /config\.jumpboxPassword/,
    },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name} with ${r.code} (exit 2) and leaves the file byte-identical`, async () => {
      const path = join(await dir(), "state.json");
      await writeFile(path, r.content, { mode: 0o600 });
      const before = await stat(path);
      await assert.rejects(openState(path, { create: true }), (err: unknown) => {
        isCode(r.code, 2)(err);
        assert.match((err as Error).message, r.mention);
        assert.match((err as Error).message, /left untouched/);
        return true;
      });
      await assert.rejects(readState(path), isCode(r.code, 2));
      assert.equal(await readFile(path, "utf8"), r.content);
      assert.equal((await stat(path)).mtimeMs, before.mtimeMs);
      assert.equal(existsSync(`${path}.lock`), false, "lock released after the refusal");
    });
  }

  it("refuses a truncated state file (a valid one cut in half)", async () => {
    const path = join(await dir(), "state.json");
    const state = await openState(path, { create: true });
    state.setConfig({ prefix: "demo", location: "westeurope" });
    await state.close();
    const full = await readFile(path, "utf8");
    const cut = full.slice(0, Math.floor(full.length / 2));
    await writeFile(path, cut);
    await assert.rejects(openState(path, { create: true }), isCode("STATE_INVALID", 2));
    assert.equal(await readFile(path, "utf8"), cut);
  });

  it("names secret-looking fields and never stores them", async () => {
    const table: Array<[string, boolean]> = [
      ["password", true],
      ["jumpboxPassword", true],
      ["JUMPBOX_PASSWORD", true],
      ["adminPwd", true],
      ["clientSecret", true],
      ["secrets", false],
      ["storageKey", true],
      ["accessKeys", true],
      ["primary_key", true],
      ["apiKey", true],
      ["key", true],
      ["sasToken", true],
      ["token", true],
      ["connectionString", true],
      ["primary-connection-string", true],
      ["credentials", true],
      ["keyVault", false],
      ["keyVaultSoftDeleted", false],
      ["monkey", false],
      ["keyboardLayout", false],
      ["registry", false],
      ["tokenizer", false],
      ["storageAccount", false],
      ["prefix", false],
    ];
    for (const [name, secret] of table) assert.equal(isSecretLookingName(name), secret, name);
    assert.deepEqual(findSecretLookingFields({ a: { nested: [{ apiToken: "x" }] }, keyVault: "kv" }), ["a.nested[0].apiToken"]);

    const path = join(await dir(), "state.json");
    const state = await openState(path, { create: true });
    assert.throws(() => state.setConfig({ prefix: "p", jumpboxPassword: "Sup3r$ecret!!" }), isCode("STATE_SECRET_FIELD", 2));
    assert.throws(() => state.setConfig({ nested: { storageKeys: ["k"] } }), isCode("STATE_SECRET_FIELD", 2));
    await assert.rejects(
      state.update((s) => {
        s.steps.x = { status: "done", attempts: 1, outputs: { registryToken: "abc" }, resources: [] };
      }),
      isCode("STATE_SECRET_FIELD", 2),
    );
    await state.close();
    const text = await readFile(path, "utf8");
    assert.doesNotMatch(text, /Sup3r|registryToken|storageKeys/);
  });

  it("redacts known secret values wherever they would appear", async () => {
    const path = join(await dir(), "state.json");
    const password = 'Unique"Pa$$w0rd-7f3c';
    const state = await openState(path, { create: true, secretValues: [password] });
    await state.update((s) => {
      s.steps.vm = { status: "failed", attempts: 1, outputs: {}, resources: [], lastError: { code: "ARM_ERROR", message: `bad password ${password} for admin` } };
    });
    await state.close();
    const text = await readFile(path, "utf8");
    assert.equal(text.includes("Pa$$w0rd"), false);
    assert.equal(parseStateDocument(text, path).steps.vm!.lastError?.message, "bad password [redacted] for admin");
  });

  it("serializes and coalesces concurrent saves; the file ends with the last change", async () => {
    const path = join(await dir(), "state.json");
    const state = await openState(path, { create: true });
    const saves: Array<Promise<void>> = [];
    for (let i = 0; i < 50; i++) {
      saves.push(
        state.update((s) => {
          s.meta = { counter: String(i) };
        }),
      );
    }
    await Promise.all(saves);
    await state.close();
    assert.equal((await readState(path))?.meta?.counter, "49");
  });
});
