// Microsoft.Compute/virtualMachines (compute 2024-03-01; @azure/arm-compute 24 sends 2025-03-03 or
// 2026-03-01): NICs must exist and be free, the admin name must not be reserved, the password must be
// complex enough (and is never stored or returned), Windows computer names are 15 characters at most,
// platform images must exist; power actions and the instance view. Rules: docs/emulator-services.md.

import { isKnownVmSizeName } from "../../config/vm-sizes.js";
import { ArmError, type ActionRequest, type EmulatorProvider, type HandlerContext, type JsonObject, type ResourceRecord } from "../types.js";
import {
  clone,
  compact,
  editProperties,
  invalidParameter,
  isObject,
  nowIso,
  optionalBoolean,
  optionalString,
  patchedBody,
  replaceBody,
  requireLocation,
  resolveReference,
  sameId,
  section,
  tagsOf,
} from "./service-common.js";
import { forgetPrincipal, notePrincipalCreated, observeCreate, systemIdentity } from "./principals.js";
import { REALISTIC_SECONDS, latencyOf } from "../../durations.js";
import { runCommand } from "./run-command.js";

export const VIRTUAL_MACHINE_TYPE = "Microsoft.Compute/virtualMachines";
const NIC_TYPE = "Microsoft.Network/networkInterfaces";

/** compute 2024-03-01 (spec) and the versions @azure/arm-compute 24 sends (2025-03-03, 2026-03-01). */
const API_VERSIONS = ["2024-03-01", "2024-07-01", "2024-11-01", "2025-03-03", "2025-04-01", "2026-03-01"];

export const VM_CREATE_SECONDS = REALISTIC_SECONDS[VIRTUAL_MACHINE_TYPE].create;

/** Azure's reserved admin user names (Virtual Machines FAQ, "What are the username requirements"). */
export const RESERVED_ADMIN_NAMES = [
  "administrator",
  "admin",
  "user",
  "user1",
  "test",
  "user2",
  "test1",
  "user3",
  "admin1",
  "1",
  "123",
  "a",
  "actuser",
  "adm",
  "admin2",
  "aspnet",
  "backup",
  "console",
  "david",
  "guest",
  "john",
  "owner",
  "root",
  "server",
  "sql",
  "support",
  "support_388945a0",
  "sys",
  "test2",
  "test3",
  "user4",
  "user5",
];

/** Passwords Azure refuses outright (Virtual Machines FAQ, "What are the password requirements"). */
export const DISALLOWED_PASSWORDS = ["abc@123", "iloveyou!", "P@$$w0rd", "P@ssw0rd", "P@ssword123", "Pa$$word", "pass@word1", "Password!", "Password1", "Password22"];

/** Platform images the emulator knows, by lower-cased `publisher:offer`: their SKUs. */
const PLATFORM_IMAGES: Record<string, string[]> = {
  "microsoftwindowsdesktop:windows-11": [
    "win11-21h2-ent",
    "win11-21h2-pro",
    "win11-21h2-avd",
    "win11-22h2-ent",
    "win11-22h2-pro",
    "win11-22h2-avd",
    "win11-23h2-ent",
    "win11-23h2-pro",
    "win11-23h2-avd",
    "win11-24h2-ent",
    "win11-24h2-pro",
    "win11-24h2-avd",
    "win11-25h2-ent",
    "win11-25h2-pro",
    "win11-25h2-avd",
  ],
  "microsoftwindowsdesktop:windows-10": ["win10-22h2-ent", "win10-22h2-pro", "win10-22h2-ent-g2", "win10-22h2-pro-g2", "win10-22h2-avd"],
  "microsoftwindowsserver:windowsserver": [
    "2016-datacenter",
    "2016-datacenter-gensecond",
    "2019-datacenter",
    "2019-datacenter-gensecond",
    "2022-datacenter",
    "2022-datacenter-g2",
    "2022-datacenter-azure-edition",
    "2025-datacenter",
    "2025-datacenter-g2",
    "2025-datacenter-azure-edition",
  ],
  "canonical:0001-com-ubuntu-server-jammy": ["22_04-lts", "22_04-lts-gen2"],
  "canonical:ubuntu-24_04-lts": ["server", "server-gen1"],
  "microsoft-dsvm:dsvm-win-2022": ["winserver-2022"],
  "microsoft-dsvm:ubuntu-2204": ["2204", "2204-gen2"],
};

const WINDOWS_PUBLISHERS = ["microsoftwindowsdesktop", "microsoftwindowsserver", "microsoft-dsvm:dsvm-win"];

const PASSWORD_RULES_WINDOWS =
  "The supplied password must be between 12-123 characters long and must satisfy at least 3 of password complexity requirements from the following:\r\n1) Contains an uppercase character\r\n2) Contains a lowercase character\r\n3) Contains a numeric digit\r\n4) Contains a special character\r\n5) Control characters are not allowed";
const PASSWORD_RULES_LINUX = PASSWORD_RULES_WINDOWS.replace("12-123", "6-72");

function isWindows(storageProfile: JsonObject, osProfile: JsonObject): boolean {
  const osType = optionalString(section(storageProfile, "osDisk"), "osType");
  if (osType) return osType.toLowerCase() === "windows";
  if (isObject(osProfile.windowsConfiguration)) return true;
  if (isObject(osProfile.linuxConfiguration)) return false;
  const image = section(storageProfile, "imageReference");
  const key = `${optionalString(image, "publisher") ?? ""}:${optionalString(image, "offer") ?? ""}`.toLowerCase();
  return WINDOWS_PUBLISHERS.some((prefix) => key.startsWith(prefix));
}

function checkImage(storageProfile: JsonObject): JsonObject | undefined {
  const image = section(storageProfile, "imageReference");
  if (Object.keys(image).length === 0) return undefined;
  if (optionalString(image, "id") || optionalString(image, "sharedGalleryImageId") || optionalString(image, "communityGalleryImageId")) return clone(image);
  const publisher = optionalString(image, "publisher") ?? "";
  const offer = optionalString(image, "offer") ?? "";
  const sku = optionalString(image, "sku") ?? "";
  const version = optionalString(image, "version") ?? "latest";
  const skus = PLATFORM_IMAGES[`${publisher}:${offer}`.toLowerCase()];
  if (!skus || !skus.includes(sku.toLowerCase()) || !(version === "latest" || /^\d+\.\d+\.\d+$/.test(version))) {
    throw new ArmError(
      404,
      "PlatformImageNotFound",
      `The platform image '${publisher}:${offer}:${sku}:${version}' is not available. Verify that all fields in the storage profile are correct. For more details about storage profile information, please refer to https://aka.ms/storageprofile`,
    );
  }
  return { publisher, offer, sku, version, exactVersion: version === "latest" ? "26100.2033.241004" : version };
}

function checkPassword(password: string, windows: boolean): void {
  const [min, max] = windows ? [12, 123] : [6, 72];
  const rules = windows ? PASSWORD_RULES_WINDOWS : PASSWORD_RULES_LINUX;
  if (DISALLOWED_PASSWORDS.includes(password)) throw invalidParameter("The supplied password is not allowed. Choose a password that is not a commonly used one.", "adminPassword");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password)) throw invalidParameter(rules, "adminPassword");
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password)).length;
  if (password.length < min || password.length > max || classes < 3) throw invalidParameter(rules, "adminPassword");
}

function checkOsProfile(ctx: HandlerContext, osProfile: JsonObject, windows: boolean, creating: boolean, previous: JsonObject): JsonObject {
  if (!creating) {
    // osProfile is set at creation; later PUTs may only repeat it (without the password).
    for (const key of ["adminUsername", "computerName"]) {
      const given = optionalString(osProfile, key);
      if (given !== undefined && given !== optionalString(previous, key)) {
        throw new ArmError(409, "PropertyChangeNotAllowed", `Changing property 'osProfile.${key}' is not allowed.`, [
          { code: "PropertyChangeNotAllowed", message: `Changing property 'osProfile.${key}' is not allowed.`, target: `osProfile.${key}` },
        ]);
      }
    }
    return clone(previous);
  }
  const adminUsername = optionalString(osProfile, "adminUsername");
  if (!adminUsername) throw invalidParameter("Required parameter 'adminUsername' is missing (null).", "adminUsername");
  const maxUser = windows ? 20 : 64;
  if (
    RESERVED_ADMIN_NAMES.includes(adminUsername.toLowerCase()) ||
    adminUsername.length > maxUser ||
    adminUsername.endsWith(".") ||
    /[\\/"[\]:|<>+=;,?*@&\s]/.test(adminUsername)
  ) {
    throw invalidParameter("The Admin Username specified is not allowed.", "adminUsername");
  }
  const computerName = optionalString(osProfile, "computerName") ?? ctx.name;
  if (windows && (computerName.length > 15 || /^\d+$/.test(computerName) || /[`~!@#$%^&*()=+_[\]{}\\|;:.'",<>/?]/.test(computerName))) {
    throw invalidParameter(
      "Windows computer name cannot be more than 15 characters long, be entirely numeric, or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : . ' \" , < > / ?.",
      "computerName",
    );
  }
  if (!windows && (computerName.length > 64 || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(computerName))) {
    throw invalidParameter(
      "Linux host name cannot exceed 64 characters in length or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : ' \" , < > / ?.",
      "computerName",
    );
  }
  const password = optionalString(osProfile, "adminPassword");
  const linux = section(osProfile, "linuxConfiguration");
  const sshOnly = !windows && optionalBoolean(linux, "disablePasswordAuthentication") === true;
  if (password === undefined && !sshOnly) throw invalidParameter("Required parameter 'adminPassword' is missing (null).", "adminPassword");
  if (password !== undefined) checkPassword(password, windows);
  // adminPassword is write-only: it is validated above and never stored, logged or returned.
  const windowsConfiguration = section(osProfile, "windowsConfiguration");
  return compact({
    computerName,
    adminUsername,
    windowsConfiguration: windows
      ? compact({
          provisionVMAgent: optionalBoolean(windowsConfiguration, "provisionVMAgent") ?? true,
          enableAutomaticUpdates: optionalBoolean(windowsConfiguration, "enableAutomaticUpdates") ?? true,
          timeZone: optionalString(windowsConfiguration, "timeZone"),
          patchSettings: isObject(windowsConfiguration.patchSettings) ? clone(windowsConfiguration.patchSettings) : { patchMode: "AutomaticByOS", assessmentMode: "ImageDefault" },
        })
      : undefined,
    linuxConfiguration: windows ? undefined : compact({ disablePasswordAuthentication: sshOnly, ssh: isObject(linux.ssh) ? clone(linux.ssh) : undefined, provisionVMAgent: true }),
    secrets: [],
    allowExtensionOperations: optionalBoolean(osProfile, "allowExtensionOperations") ?? true,
    requireGuestProvisionSignal: true,
  });
}

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
    const nicLocation = optionalString(nic.body, "location")?.replace(/\s+/g, "").toLowerCase();
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
