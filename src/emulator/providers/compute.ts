// Microsoft.Compute/virtualMachines (compute 2024-03-01; @azure/arm-compute 24 sends 2025-03-03 or
// 2026-03-01): NICs must exist and be free, the admin name must not be reserved, the password must be
// complex enough (and is never stored or returned), Windows computer names are 15 characters at most,
// platform images must exist; power actions and the instance view. Rules: docs/emulator-services.md.
// The image and OS-profile rules (admin names, passwords, computer names) are in compute-os-profile.ts.

import { isObject, normalizeLocation, sameId } from "../core/common.js";
import { isKnownVmSizeName } from "../../config/vm-sizes.js";
import { ArmError, type ActionRequest, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord } from "../types.js";
import {
  clone,
  compact,
  editProperties,
  invalidParameter,
  nowIso,
  optionalBoolean,
  optionalString,
  patchedBody,
  replaceBody,
  requireLocation,
  resolveReference,
  section,
  tagsOf,
} from "./service-common.js";
import { forgetPrincipal, notePrincipalCreated, observeCreate, systemIdentity } from "./principals.js";
import { REALISTIC_SECONDS, latencyOf } from "../../durations.js";
import { runCommand } from "./run-command.js";
import { checkImage, checkOsProfile, isWindows } from "./compute-os-profile.js";

export const VIRTUAL_MACHINE_TYPE = "Microsoft.Compute/virtualMachines";
const NIC_TYPE = "Microsoft.Network/networkInterfaces";

/** compute 2024-03-01 (spec) and the versions @azure/arm-compute 24 sends (2025-03-03, 2026-03-01). */
const API_VERSIONS = ["2024-03-01", "2024-07-01", "2024-11-01", "2025-03-03", "2025-04-01", "2026-03-01"];

export const VM_CREATE_SECONDS = REALISTIC_SECONDS[VIRTUAL_MACHINE_TYPE].create;

function checkNetworkProfile(ctx: HandlerContext, networkProfile: JsonObject, location: string): JsonObject {
  const interfaces = Array.isArray(networkProfile.networkInterfaces) ? networkProfile.networkInterfaces.filter(isObject) : [];
  if (interfaces.length === 0) throw invalidParameter("Required parameter 'networkProfile' is missing (null).", "networkProfile");
  const result: JsonObject[] = [];
  for (const [index, item] of interfaces.entries()) {
    const nicId = optionalString(item, "id");
    if (!nicId) throw invalidParameter(`Required parameter 'networkProfile.networkInterfaces[${index}].id' is missing (null).`, `networkProfile.networkInterfaces[${index}].id`);
    const nic = resolveReference(ctx.store, nicId, NIC_TYPE);
    if (!nic) {
      const message = `Resource ${nicId} referenced by resource ${ctx.id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`;
      throw new ArmError(400, "InvalidResourceReference", message, [
        { code: "NotFound", message: `Resource ${nicId} not found.`, target: `networkProfile.networkInterfaces[${index}].id` },
      ]);
    }
    const nicLocation = normalizeLocation(optionalString(nic.body, "location"));
    if (nicLocation && nicLocation !== location) {
      throw new ArmError(
        400,
        "InvalidResourceReference",
        `Resource ${nicId} referenced by resource ${ctx.id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
      );
    }
    const user = ctx.store
      .listByType(VIRTUAL_MACHINE_TYPE)
      .find(
        (vm) =>
          !sameId(vm.id, ctx.id) &&
          (section(section(vm.body, "properties"), "networkProfile").networkInterfaces as JsonObject[] | undefined)?.some?.((ref) => sameId(optionalString(ref, "id"), nicId)),
      );
    if (user) {
      throw new ArmError(400, "NicInUse", `Network Interface ${nic.id} is used by existing resource ${user.id}. In order to use it with this resource, it must be detached first.`);
    }
    const properties = section(item, "properties");
    result.push({
      id: nic.id,
      properties: { primary: optionalBoolean(properties, "primary") ?? index === 0, deleteOption: optionalString(properties, "deleteOption") ?? "Detach" },
    });
  }
  return { networkInterfaces: result };
}

function statusesFor(power: string, time: string): JsonObject[] {
  const display: Record<string, string> = {
    running: "VM running",
    deallocated: "VM deallocated",
    stopped: "VM stopped",
    deallocating: "VM deallocating",
    stopping: "VM stopping",
    starting: "VM starting",
  };
  return [
    { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded", time },
    { code: `PowerState/${power}`, level: "Info", displayStatus: display[power] ?? power },
  ];
}

function instanceView(computerName: string, windows: boolean, power: string, time: string): JsonObject {
  return {
    computerName,
    osName: windows ? "Windows 11 Enterprise" : "ubuntu",
    osVersion: windows ? "10.0.26100" : "22.04",
    vmAgent: {
      vmAgentVersion: "2.7.41491.1102",
      statuses: [{ code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Ready", message: "GuestAgent is running and processing the extensions.", time }],
    },
    hyperVGeneration: "V2",
    statuses: statusesFor(power, time),
  };
}

function powerOf(record: ResourceRecord): string {
  const statuses = section(section(record.body, "properties"), "instanceView").statuses;
  const power = Array.isArray(statuses)
    ? statuses
        .filter(isObject)
        .map((status) => optionalString(status, "code") ?? "")
        .find((code) => code.startsWith("PowerState/"))
    : undefined;
  return power?.slice("PowerState/".length) ?? "running";
}

function buildVm(ctx: HandlerContext, request: JsonObject, existing: ResourceRecord | undefined): JsonObject {
  const creating = !existing;
  const location = requireLocation(request);
  if (existing && optionalString(existing.body, "location") !== location) {
    throw new ArmError(409, "PropertyChangeNotAllowed", "Changing property 'location' is not allowed.");
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]$|^[A-Za-z0-9]$/.test(ctx.name)) {
    throw invalidParameter(
      `The resource name '${ctx.name}' is invalid: virtual machine names are 1-64 characters of letters, digits, underscores, periods and hyphens, and cannot end with a period or hyphen.`,
      "name",
      "InvalidResourceName",
    );
  }
  const requested = section(request, "properties");
  const previous = section(existing?.body, "properties");
  const hardware = section(requested, "hardwareProfile");
  const vmSize = optionalString(hardware, "vmSize") ?? optionalString(section(previous, "hardwareProfile"), "vmSize") ?? "Standard_D2s_v3";
  if (!isKnownVmSizeName(vmSize))
    throw invalidParameter(`The value ${vmSize} provided for the VM size is not valid. The valid sizes in the current region are listed by GET .../vmSizes.`, "vmSize");
  const storageProfile = isObject(requested.storageProfile) ? requested.storageProfile : section(previous, "storageProfile");
  const imageReference = creating ? checkImage(storageProfile) : section(previous, "storageProfile").imageReference;
  const osProfileRequested = section(requested, "osProfile");
  const windows = isWindows(storageProfile, creating ? osProfileRequested : section(previous, "osProfile"));
  if (creating && imageReference !== undefined && Object.keys(osProfileRequested).length === 0) {
    throw invalidParameter("Required parameter 'osProfile' is missing (null).", "osProfile");
  }
  const osProfile = checkOsProfile(ctx, osProfileRequested, windows, creating, section(previous, "osProfile"));
  const networkProfile = checkNetworkProfile(ctx, isObject(requested.networkProfile) ? requested.networkProfile : section(previous, "networkProfile"), location);
  const osDisk = section(storageProfile, "osDisk");
  const previousOsDisk = section(section(previous, "storageProfile"), "osDisk");
  const now = nowIso(ctx);
  const computerName = optionalString(osProfile, "computerName") ?? ctx.name;
  const identity = isObject(request.identity) ? clone(request.identity) : existing && isObject(existing.body.identity) ? clone(existing.body.identity) : undefined;
  if (identity && existing && isObject(existing.body.identity) && optionalString(existing.body.identity, "principalId")) {
    identity.principalId = existing.body.identity.principalId!;
    identity.tenantId = existing.body.identity.tenantId!;
  }
  return compact({
    location,
    tags: tagsOf(request, existing) ?? {},
    identity,
    zones: Array.isArray(request.zones) ? clone(request.zones) : undefined,
    properties: compact({
      vmId: optionalString(previous, "vmId") ?? ctx.guid(),
      hardwareProfile: { vmSize },
      storageProfile: compact({
        imageReference: isObject(imageReference) ? imageReference : undefined,
        osDisk: compact({
          osType: windows ? "Windows" : "Linux",
          name: optionalString(osDisk, "name") ?? optionalString(previousOsDisk, "name") ?? `${ctx.name}_OsDisk_1_${ctx.guid().replace(/-/g, "")}`,
          createOption: optionalString(osDisk, "createOption") ?? "FromImage",
          caching: optionalString(osDisk, "caching") ?? "ReadWrite",
          managedDisk: {
            storageAccountType:
              optionalString(section(osDisk, "managedDisk"), "storageAccountType") ?? optionalString(section(previousOsDisk, "managedDisk"), "storageAccountType") ?? "Premium_LRS",
          },
          deleteOption: optionalString(osDisk, "deleteOption") ?? optionalString(previousOsDisk, "deleteOption") ?? "Detach",
          diskSizeGB: windows ? 127 : 30,
        }),
        dataDisks: Array.isArray(storageProfile.dataDisks) ? clone(storageProfile.dataDisks) : [],
      }),
      osProfile,
      networkProfile,
      securityProfile: isObject(requested.securityProfile) ? clone(requested.securityProfile) : isObject(previous.securityProfile) ? clone(previous.securityProfile) : undefined,
      diagnosticsProfile: isObject(requested.diagnosticsProfile)
        ? clone(requested.diagnosticsProfile)
        : isObject(previous.diagnosticsProfile)
          ? clone(previous.diagnosticsProfile)
          : undefined,
      licenseType: optionalString(requested, "licenseType") ?? optionalString(previous, "licenseType"),
      timeCreated: optionalString(previous, "timeCreated") ?? now,
      // The instance view is always included (GET ?$expand=instanceView and GET .../instanceView read it).
      instanceView: instanceView(computerName, windows, existing ? powerOf(existing) : "running", now),
    }),
  });
}

function powerAction(target: "running" | "deallocated" | "stopped", seconds: number) {
  return (ctx: HandlerContext, req: ActionRequest) => {
    const record = req.record;
    if (!record) throw new ArmError(404, "ResourceNotFound", "The virtual machine was not found.");
    if (target === "stopped" && powerOf(record) === "deallocated") {
      throw new ArmError(409, "OperationNotAllowed", "Operation 'powerOff' is not allowed on VM since the VM is deallocated.");
    }
    const body = editProperties(clone(record.body), (properties) => {
      const view = section(properties, "instanceView");
      view.statuses = statusesFor(target, nowIso(ctx));
      properties.instanceView = view;
    });
    replaceBody(ctx.store, record, body);
    return { status: 202, longRunningSeconds: seconds };
  };
}

export const computeProvider: EmulatorProvider = {
  namespace: "Microsoft.Compute",
  types: [
    {
      type: VIRTUAL_MACHINE_TYPE,
      apiVersions: API_VERSIONS,
      location: "required",
      // VirtualMachines_CreateOrUpdate: 200/201 long-running (Azure-AsyncOperation); Delete: 200/202/204.
      lro: { put: "async", delete: "async", header: "Azure-AsyncOperation" },
      latency: latencyOf(VIRTUAL_MACHINE_TYPE),
      put(ctx, req) {
        return buildVm(ctx, req.body, req.existing);
      },
      patch(ctx, req) {
        const body = patchedBody(req.existing.body, { properties: req.body.properties, identity: req.body.identity, zones: req.body.zones }, req.body.tags);
        return buildVm(ctx, body, req.existing);
      },
      onSucceeded(ctx, record) {
        const identity = section(record.body, "identity");
        if (!optionalString(identity, "type")?.includes("SystemAssigned") || optionalString(identity, "principalId")) return;
        const current = ctx.store.get(record.id) ?? record;
        const assigned = systemIdentity(identity);
        replaceBody(ctx.store, current, { ...clone(current.body), identity: assigned });
        notePrincipalCreated(ctx, optionalString(assigned, "principalId") ?? "", record, VM_CREATE_SECONDS);
      },
      onDeleted(ctx, record) {
        forgetPrincipal(ctx.store, optionalString(section(record.body, "identity"), "principalId"));
        // Azure deletes a VM's auto-shutdown schedule with the VM.
        if (record.resourceGroup) {
          ctx.store.remove(
            `/subscriptions/${record.subscriptionId}/resourceGroups/${record.resourceGroup}/providers/Microsoft.DevTestLab/schedules/shutdown-computevm-${record.name}`,
          );
        }
      },
      view(_ctx, record) {
        observeCreate(record, VM_CREATE_SECONDS);
        const pending = record.pendingOperation;
        if (pending?.kind !== "action" && pending?.kind !== "create") return record.body;
        const body = clone(record.body);
        const properties = section(body, "properties");
        const view = section(properties, "instanceView");
        const target = powerOf(record);
        const transitional = pending.kind === "create" ? "starting" : target === "running" ? "starting" : target === "deallocated" ? "deallocating" : "stopping";
        view.statuses = statusesFor(transitional, record.updatedAt);
        if (pending.kind === "create") view.statuses = [{ code: "ProvisioningState/creating", level: "Info", displayStatus: "Creating" }];
        properties.instanceView = view;
        body.properties = properties;
        return body;
      },
      actions: {
        start: powerAction("running", 30),
        restart: powerAction("running", 60),
        deallocate: powerAction("deallocated", 60),
        poweroff: powerAction("stopped", 30),
        // Run Command answers secure-aml's private-name probe only (run-command.ts).
        runcommand: runCommand,
        instanceview(_ctx, req) {
          if (!req.record) throw new ArmError(404, "ResourceNotFound", "The virtual machine was not found.");
          return { status: 200, body: section(section(computeProvider.types[0]?.view?.(_ctx, req.record) ?? req.record.body, "properties"), "instanceView") };
        },
      },
    },
  ],
};
