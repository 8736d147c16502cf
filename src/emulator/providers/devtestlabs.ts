// Microsoft.DevTestLab/schedules (devtestlabs 2018-09-15, "global schedules"): the auto-shutdown of a
// VM, named shutdown-computevm-{vmName}, targeting an existing VM, with an HHmm daily time and a
// Windows time zone ID. Rules and messages: docs/emulator-services.md.

import { isObject } from "../core/common.js";
import { ArmError, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord } from "../types.js";
import { compact, enumValue, nowIso, optionalNumber, optionalString, parseResourceId, patchedBody, requireLocation, resolveReference, section, tagsOf } from "./service-common.js";
import { latencyOf } from "../../durations.js";

export const SCHEDULE_TYPE = "Microsoft.DevTestLab/schedules";
const VM_TYPE = "Microsoft.Compute/virtualMachines";

/** @azure/arm-devtestlabs 4.1 sends 2018-09-15, the spec's version. */
const API_VERSIONS = ["2018-09-15", "2016-05-15"];

/** Windows time zone IDs (the form DevTest Labs schedules take), as listed by `tzutil /l`. */
export const WINDOWS_TIME_ZONES = [
  "Dateline Standard Time",
  "UTC-11",
  "Aleutian Standard Time",
  "Hawaiian Standard Time",
  "Marquesas Standard Time",
  "Alaskan Standard Time",
  "UTC-09",
  "Pacific Standard Time (Mexico)",
  "UTC-08",
  "Pacific Standard Time",
  "US Mountain Standard Time",
  "Mountain Standard Time (Mexico)",
  "Mountain Standard Time",
  "Yukon Standard Time",
  "Central America Standard Time",
  "Central Standard Time",
  "Easter Island Standard Time",
  "Central Standard Time (Mexico)",
  "Canada Central Standard Time",
  "SA Pacific Standard Time",
  "Eastern Standard Time (Mexico)",
  "Eastern Standard Time",
  "Haiti Standard Time",
  "Cuba Standard Time",
  "US Eastern Standard Time",
  "Turks And Caicos Standard Time",
  "Paraguay Standard Time",
  "Atlantic Standard Time",
  "Venezuela Standard Time",
  "Central Brazilian Standard Time",
  "SA Western Standard Time",
  "Pacific SA Standard Time",
  "Newfoundland Standard Time",
  "Tocantins Standard Time",
  "E. South America Standard Time",
  "SA Eastern Standard Time",
  "Argentina Standard Time",
  "Greenland Standard Time",
  "Montevideo Standard Time",
  "Magallanes Standard Time",
  "Saint Pierre Standard Time",
  "Bahia Standard Time",
  "UTC-02",
  "Mid-Atlantic Standard Time",
  "Azores Standard Time",
  "Cape Verde Standard Time",
  "UTC",
  "Coordinated Universal Time",
  "GMT Standard Time",
  "Greenwich Standard Time",
  "Sao Tome Standard Time",
  "Morocco Standard Time",
  "W. Europe Standard Time",
  "Central Europe Standard Time",
  "Romance Standard Time",
  "Central European Standard Time",
  "W. Central Africa Standard Time",
  "Jordan Standard Time",
  "GTB Standard Time",
  "Middle East Standard Time",
  "Egypt Standard Time",
  "E. Europe Standard Time",
  "Syria Standard Time",
  "West Bank Standard Time",
  "South Africa Standard Time",
  "FLE Standard Time",
  "Israel Standard Time",
  "South Sudan Standard Time",
  "Kaliningrad Standard Time",
  "Sudan Standard Time",
  "Libya Standard Time",
  "Namibia Standard Time",
  "Arabic Standard Time",
  "Turkey Standard Time",
  "Arab Standard Time",
  "Belarus Standard Time",
  "Russian Standard Time",
  "E. Africa Standard Time",
  "Volgograd Standard Time",
  "Iran Standard Time",
  "Arabian Standard Time",
  "Astrakhan Standard Time",
  "Azerbaijan Standard Time",
  "Russia Time Zone 3",
  "Mauritius Standard Time",
  "Saratov Standard Time",
  "Georgian Standard Time",
  "Caucasus Standard Time",
  "Afghanistan Standard Time",
  "West Asia Standard Time",
  "Qyzylorda Standard Time",
  "Ekaterinburg Standard Time",
  "Pakistan Standard Time",
  "India Standard Time",
  "Sri Lanka Standard Time",
  "Nepal Standard Time",
  "Central Asia Standard Time",
  "Bangladesh Standard Time",
  "Omsk Standard Time",
  "Myanmar Standard Time",
  "SE Asia Standard Time",
  "Altai Standard Time",
  "W. Mongolia Standard Time",
  "North Asia Standard Time",
  "N. Central Asia Standard Time",
  "Tomsk Standard Time",
  "China Standard Time",
  "North Asia East Standard Time",
  "Singapore Standard Time",
  "W. Australia Standard Time",
  "Taipei Standard Time",
  "Ulaanbaatar Standard Time",
  "Aus Central W. Standard Time",
  "Transbaikal Standard Time",
  "Tokyo Standard Time",
  "North Korea Standard Time",
  "Korea Standard Time",
  "Yakutsk Standard Time",
  "Cen. Australia Standard Time",
  "AUS Central Standard Time",
  "E. Australia Standard Time",
  "AUS Eastern Standard Time",
  "West Pacific Standard Time",
  "Tasmania Standard Time",
  "Vladivostok Standard Time",
  "Lord Howe Standard Time",
  "Bougainville Standard Time",
  "Russia Time Zone 10",
  "Magadan Standard Time",
  "Norfolk Standard Time",
  "Sakhalin Standard Time",
  "Central Pacific Standard Time",
  "Russia Time Zone 11",
  "New Zealand Standard Time",
  "UTC+12",
  "Fiji Standard Time",
  "Kamchatka Standard Time",
  "Chatham Islands Standard Time",
  "UTC+13",
  "Tonga Standard Time",
  "Samoa Standard Time",
  "Line Islands Standard Time",
];

function badRequest(code: string, message: string, target?: string): ArmError {
  return new ArmError(400, code, message, target ? [{ code, message, target }] : undefined);
}

function build(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const requested = section(request, "properties");
  const previous = section(existing?.body, "properties");
  const taskType = optionalString(requested, "taskType") ?? optionalString(previous, "taskType");
  if (taskType !== "ComputeVmShutdownTask") {
    throw badRequest("InvalidScheduleTaskType", `The task type '${taskType ?? ""}' is not supported for a global schedule. Use ComputeVmShutdownTask.`, "properties.taskType");
  }
  const targetResourceId = optionalString(requested, "targetResourceId") ?? optionalString(previous, "targetResourceId");
  if (!targetResourceId)
    throw badRequest("MissingTargetResourceId", "The property 'targetResourceId' is required for a ComputeVmShutdownTask schedule.", "properties.targetResourceId");
  const vm = parseResourceId(targetResourceId).type?.toLowerCase() === VM_TYPE.toLowerCase() ? resolveReference(ctx.store, targetResourceId, VM_TYPE) : undefined;
  if (!vm)
    throw badRequest("InvalidTargetResource", `The target resource '${targetResourceId}' was not found. It must be an existing virtual machine.`, "properties.targetResourceId");
  const expectedName = `shutdown-computevm-${vm.name}`;
  if (ctx.name.toLowerCase() !== expectedName.toLowerCase()) {
    throw badRequest(
      "InvalidScheduleName",
      `The schedule name '${ctx.name}' is invalid: the auto-shutdown schedule of virtual machine '${vm.name}' must be named '${expectedName}'.`,
      "name",
    );
  }
  const location = requireLocation(request);
  const vmLocation = optionalString(vm.body, "location");
  if (vmLocation && vmLocation !== location) {
    throw badRequest("InvalidScheduleLocation", `The schedule location '${location}' must match the location '${vmLocation}' of its target virtual machine.`, "location");
  }
  const recurrence = isObject(requested.dailyRecurrence) ? requested.dailyRecurrence : section(previous, "dailyRecurrence");
  const time = optionalString(recurrence, "time");
  if (!time || !/^([01]\d|2[0-3])[0-5]\d$/.test(time)) {
    throw badRequest(
      "InvalidScheduleTime",
      `The daily recurrence time '${time ?? ""}' is invalid. It must be in 24-hour HHmm format, e.g. 1900.`,
      "properties.dailyRecurrence.time",
    );
  }
  const timeZoneId = optionalString(requested, "timeZoneId") ?? optionalString(previous, "timeZoneId");
  if (!timeZoneId || !WINDOWS_TIME_ZONES.some((zone) => zone.toLowerCase() === timeZoneId.toLowerCase())) {
    throw badRequest(
      "InvalidTimeZoneId",
      `The time zone ID '${timeZoneId ?? ""}' is invalid. Use a Windows time zone ID such as 'UTC' or 'Pacific Standard Time'.`,
      "properties.timeZoneId",
    );
  }
  const status = enumValue(optionalString(requested, "status") ?? optionalString(previous, "status") ?? "Disabled", ["Enabled", "Disabled"], (v) =>
    badRequest("InvalidScheduleStatus", `The status '${v}' is invalid. Valid values: Enabled, Disabled.`, "properties.status"),
  );
  const notification = isObject(requested.notificationSettings) ? requested.notificationSettings : section(previous, "notificationSettings");
  return compact({
    location,
    tags: tagsOf(request, existing) ?? {},
    properties: compact({
      status,
      taskType,
      dailyRecurrence: { time },
      timeZoneId,
      notificationSettings: compact({
        status: optionalString(notification, "status") ?? "Disabled",
        timeInMinutes: optionalNumber(notification, "timeInMinutes") ?? 30,
        webhookUrl: optionalString(notification, "webhookUrl"),
        emailRecipient: optionalString(notification, "emailRecipient"),
        notificationLocale: optionalString(notification, "notificationLocale") ?? "en",
      }),
      targetResourceId: vm.id,
      createdDate: optionalString(previous, "createdDate") ?? nowIso(ctx),
      uniqueIdentifier: optionalString(previous, "uniqueIdentifier") ?? ctx.guid(),
    }),
  });
}

export const devTestLabsProvider: EmulatorProvider = {
  namespace: "Microsoft.DevTestLab",
  types: [
    {
      type: SCHEDULE_TYPE,
      apiVersions: API_VERSIONS,
      location: "required",
      // GlobalSchedules_CreateOrUpdate: 200/201 synchronous.
      lro: { put: "sync", delete: "sync" },
      latency: latencyOf(SCHEDULE_TYPE),
      put(ctx, req) {
        return build(ctx, req.body, req.existing);
      },
      patch(ctx, req) {
        const body = patchedBody(req.existing.body, { properties: req.body.properties }, req.body.tags);
        return build(ctx, body, req.existing);
      },
    },
  ],
};
