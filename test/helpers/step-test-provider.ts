// Microsoft.StepTest: a synthetic provider for test/e2e/extend-step.test.ts, the proof that a new step
// with an ARM type secure-aml has never seen needs only the step, its line in a step table and an
// emulator provider. Its one type behaves like a user-assigned identity: tracked (location and tags),
// an asynchronous PUT and DELETE (Azure-AsyncOperation), a provisioning state, and an ID-like property
// the service fills in. Registered only by test/helpers/emulator-entry.ts (`testProvider: true`).
import type { EmulatorProvider, Json, JsonObject } from "../../src/emulator/types.js";

export const STEP_TEST_TYPE = "Microsoft.StepTest/badges";
export const STEP_TEST_API_VERSION = "2024-05-01";

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const stepTestProvider: EmulatorProvider = {
  namespace: "Microsoft.StepTest",
  types: [
    {
      type: STEP_TEST_TYPE,
      apiVersions: [STEP_TEST_API_VERSION],
      location: "required",
      lro: { put: "async", delete: "async", header: "Azure-AsyncOperation" },
      latency: { create: 20, update: 10, delete: 10 },
      put(ctx, req) {
        const properties = isObject(req.body.properties) ? { ...req.body.properties } : {};
        delete properties.provisioningState;
        const previous = req.existing && isObject(req.existing.body.properties) ? req.existing.body.properties : {};
        // Filled in by the service once, like an identity's principalId.
        return { properties: { ...properties, badgeId: typeof previous.badgeId === "string" ? previous.badgeId : ctx.guid() } };
      },
    },
  ],
};
