// init's preflight at a terminal without --yes: it says which resource providers it would register and
// asks; "no" ends with exit 4 (PREFLIGHT_PROVIDERS_NOT_REGISTERED) and nothing registered, "yes" registers
// and waits until each is Registered. Real SDK clients against a fresh-subscription emulator; the person
// is a scripted UiHost (the wizard's terminal rendering is tested elsewhere).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ExitCode } from "../../src/errors.js";
import type { EngineEvent, Question } from "../../src/engine/types.js";
import type { UiHost, RunRecord } from "../../src/ui/types.js";
import { preflightForInit, PreflightError } from "../../src/preflight/index.js";
import { stepsFor } from "../../src/steps/index.js";
import { emulatorForFile } from "./cli-init-fixture.js";
import { azureFor, testConfig } from "./steps-fixture.js";

function scriptedUi(answer: boolean): UiHost & { questions: Question[]; events: EngineEvent[] } {
  const questions: Question[] = [];
  const events: EngineEvent[] = [];
  const record: RunRecord = { resources: [], stepDurationsMs: {}, errors: [], skipped: [], retries: 0, elapsedMs: 0 };
  return {
    mode: "plain",
    interactive: true,
    questions,
    events,
    notify: (event) => void events.push(event),
    request: async (question) => {
      questions.push(question);
      return answer;
    },
    writeResult: () => undefined,
    print: () => undefined,
    record: () => record,
    running: () => [],
    close: () => undefined,
  };
}

describe("preflight asks before registering at a terminal", () => {
  const emulator = emulatorForFile({ world: "fresh" });

  it("a 'no' exits 4 with the register commands and registers nothing", async () => {
    const config = testConfig(emulator().subscriptionId, { prefix: "ask1" });
    const ui = scriptedUi(false);
    await emulator().clearRequestLog();
    const error = await preflightForInit({ azure: azureFor(emulator(), config), config, steps: stepsFor(config), ui, yes: false }).then(
      () => assert.fail("declining must stop the run"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PreflightError);
    assert.equal(error.exitCode, ExitCode.cannotDeploy);
    assert.deepEqual(
      error.errorInfos().map((e) => e.code),
      ["PREFLIGHT_PROVIDERS_NOT_REGISTERED"],
    );
    assert.match(error.errorInfos()[0]?.next ?? "", /az provider register --namespace Microsoft\.MachineLearningServices/);
    assert.equal(ui.questions.length, 1);
    assert.equal(ui.questions[0]?.id, "register-providers");
    assert.match(ui.questions[0]?.message ?? "", /has not registered \d+ resource providers the deployment needs: .*Microsoft\.Network \(/);
    const log = await emulator().requestLog();
    assert.deepEqual(
      log.filter((e) => e.method !== "GET"),
      [],
      "only reads",
    );
  });

  it("a 'yes' registers each provider and returns once all are Registered", async () => {
    const config = testConfig(emulator().subscriptionId, { prefix: "ask2" });
    const ui = scriptedUi(true);
    const azure = azureFor(emulator(), config);
    const report = await preflightForInit({ azure, config, steps: stepsFor(config), ui, yes: false });
    assert.ok(report.toRegister.includes("Microsoft.KeyVault"));
    assert.equal(ui.questions.length, 1);
    const resources = await azure.resources();
    for (const namespace of report.toRegister) {
      assert.equal((await resources.providers.get(namespace)).registrationState, "Registered", namespace);
    }
    const lines = ui.events.flatMap((e) => (e.type === "log" ? [e.message] : []));
    assert.ok(
      lines.some((line) => /Resource provider Microsoft\.KeyVault: Registered/.test(line)),
      lines.join("\n"),
    );
  });
});
