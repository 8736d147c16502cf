// `--state`: a path or a Blob Storage URL. A URL that would carry a credential, reach a non-loopback
// host over http, or name an invalid account, container or blob is bad input (exit 2, nothing sent).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveRunOptions } from "../../src/config/resolve.js";
import { InputError } from "../../src/errors.js";
import { isStateUrl, parseStateLocation, stateLocationProblem } from "../../src/state/location.js";

describe("--state location", () => {
  it("paths stay paths (including Windows-looking ones and names with colons)", () => {
    for (const path of [".secure-aml/state.json", "/tmp/x.json", "C:\\state\\state.json", "a:b.json", "state"]) {
      assert.equal(isStateUrl(path), false, path);
      assert.deepEqual(parseStateLocation(path), { kind: "file", path });
    }
  });

  it("an Azure blob URL names account, container and blob (blob paths may have folders)", () => {
    const parsed = parseStateLocation("https://teamstate01.blob.core.windows.net/tfstate/prod/aml/state.json");
    assert.ok(!("problem" in parsed) && parsed.kind === "blob");
    assert.equal(parsed.account, "teamstate01");
    assert.equal(parsed.container, "tfstate");
    assert.equal(parsed.blob, "prod/aml/state.json");
    assert.equal(parsed.serviceUrl, "https://teamstate01.blob.core.windows.net");
    assert.equal(parsed.loopback, false);
    assert.equal(parsed.authorityHost, "https://login.microsoftonline.com");
    const gov = parseStateLocation("https://acct123.blob.core.usgovcloudapi.net/c01/s.json");
    assert.ok(!("problem" in gov) && gov.kind === "blob" && gov.authorityHost === "https://login.microsoftonline.us");
  });

  it("an Azurite URL (path-style, http allowed on loopback only)", () => {
    const parsed = parseStateLocation("http://127.0.0.1:10000/devaccount/team-state/state.json");
    assert.ok(!("problem" in parsed) && parsed.kind === "blob");
    assert.equal(parsed.account, "devaccount");
    assert.equal(parsed.serviceUrl, "http://127.0.0.1:10000/devaccount");
    assert.equal(parsed.loopback, true);
  });

  const bad: Array<[string, RegExp]> = [
    ["http://teamstate01.blob.core.windows.net/c01/s.json", /https/],
    ["https://teamstate01.blob.core.windows.net/c01/s.json?sv=2024&sig=abc", /query string/],
    ["https://user:pw@teamstate01.blob.core.windows.net/c01/s.json", /credentials/],
    ["https://example.com/c01/s.json", /Blob Storage URL/],
    ["https://Team_State.blob.core.windows.net/c01/s.json", /Blob Storage URL|storage account/],
    ["https://teamstate01.blob.core.windows.net/C1/s.json", /container/],
    ["https://teamstate01.blob.core.windows.net/a--b/s.json", /container/],
    ["https://teamstate01.blob.core.windows.net/state-container", /must name a blob/],
    ["https://teamstate01.blob.core.windows.net/c01/dir/", /must name a blob/],
    ["https://teamstate01.blob.core.windows.net:444/c01/s.json", /port/],
    ["https://127.0.0.1:10000/x/c01/s.json", /storage account/],
    ["ftp://somewhere/x", /https/],
    ["", /empty/],
  ];
  for (const [text, rule] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      const problem = stateLocationProblem(text);
      assert.ok(problem !== undefined, "a problem is reported");
      assert.match(problem, rule);
      if (text !== "") {
        assert.throws(
          () => resolveRunOptions({ state: text }, {}, false),
          (err: unknown) => err instanceof InputError && err.exitCode === 2 && err.problems.some((p) => p.field === "state" && p.flag === "--state"),
        );
      }
    });
  }

  it("a refused URL with a SAS is not echoed back with its signature in the rule", () => {
    const problem = stateLocationProblem("https://teamstate01.blob.core.windows.net/c01/s.json?sig=SECRETSIG");
    assert.ok(problem);
    assert.equal(problem.includes("SECRETSIG"), false);
  });
});

describe("--state shown in a bad-input report", () => {
  it("hides a SAS query and user info", () => {
    assert.throws(
      () => resolveRunOptions({ state: "https://teamstate01.blob.core.windows.net/c01/s.json?sv=1&sig=SECRETSIG" }, {}, false),
      (err: unknown) => err instanceof InputError && !err.message.includes("SECRETSIG") && /teamstate01/.test(err.message),
    );
    assert.throws(
      () => resolveRunOptions({ state: "https://me:hunter2@teamstate01.blob.core.windows.net/c01/s.json" }, {}, false),
      (err: unknown) => err instanceof InputError && !err.message.includes("hunter2"),
    );
  });
});
