// POST .../virtualMachines/{vm}/runCommand (VirtualMachines_RunCommand, long-running, final result
// at the Location URL): the emulator cannot run a script, so it answers the ONE script it knows —
// secure-aml's private-name probe (src/audit/from-inside.ts) — from what it holds, the way the VM
// would see the network. The contract (docs/emulator-services.md, "Run Command"):
//
//   * commandId "RunPowerShellScript" on a Windows VM, "RunShellScript" on a Linux VM (else 400
//     InvalidParameter, as Azure refuses a command of the other OS); the VM must be running (409).
//   * The names to probe are on one script line `$SecureAmlNames = @('a.example', 'b.example')`
//     (single- or double-quoted). A script without that line gets StdErr "unsupported script" and
//     empty StdOut: the emulator never pretends to have run something else.
//   * Each name resolves as Azure DNS would from the VM's VNet: the public name's CNAME into its
//     privatelink zone (PRIVATE_LINK_ZONES, Microsoft's "Azure Private Endpoint private DNS zone
//     values"); when that zone is LINKED to the VM's VNet, its A record answers, and a linked zone
//     without the record answers NXDOMAIN (no addresses); when no zone is linked, the public
//     address answers (a documentation address, 20.0.x.x). TCP 443 connects when the address is a
//     private IP in the VM's VNet held by a NIC or private endpoint; the public endpoints of a
//     network-isolated deployment refuse (the emulator does not model the public internet).
//   * StdOut (value[0], code "ComponentStatus/StdOut/succeeded") is the script's JSON:
//     [{"name": "...", "addresses": ["10.0.0.5"], "tcp443": true}], as ConvertTo-Json prints it;
//     value[1] is StdErr.

import { isObject } from "../core/common.js";
import { ArmError, type ActionRequest, type ActionResponse, type HandlerContext, type JsonObject, type ResourceRecord, type ResourceStore } from "../types.js";
import { optionalString, resolveReference, section } from "./service-common.js";

const NIC_TYPE = "Microsoft.Network/networkInterfaces";
const ZONE_TYPE = "Microsoft.Network/privateDnsZones";
const LINK_TYPE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
const A_RECORD_TYPE = "Microsoft.Network/privateDnsZones/A";
const PRIVATE_ENDPOINT_TYPE = "Microsoft.Network/privateEndpoints";

/** How long a run command takes on real Azure (the agent picks it up and reports): about half a minute. */
export const RUN_COMMAND_SECONDS = 30;

/**
 * Public DNS suffix → the private DNS zone its names CNAME into (Microsoft Learn, "Azure Private
 * Endpoint private DNS zone values", commercial cloud). The record name is the name minus the suffix.
 */
export const PRIVATE_LINK_ZONES: ReadonlyArray<readonly [string, string]> = [
  ["api.azureml.ms", "privatelink.api.azureml.ms"],
  ["notebooks.azure.net", "privatelink.notebooks.azure.net"],
  ["blob.core.windows.net", "privatelink.blob.core.windows.net"],
  ["file.core.windows.net", "privatelink.file.core.windows.net"],
  ["queue.core.windows.net", "privatelink.queue.core.windows.net"],
  ["table.core.windows.net", "privatelink.table.core.windows.net"],
  ["dfs.core.windows.net", "privatelink.dfs.core.windows.net"],
  ["vault.azure.net", "privatelink.vaultcore.azure.net"],
  ["azurecr.io", "privatelink.azurecr.io"],
  ["monitor.azure.com", "privatelink.monitor.azure.com"],
  ["oms.opinsights.azure.com", "privatelink.oms.opinsights.azure.com"],
  ["ods.opinsights.azure.com", "privatelink.ods.opinsights.azure.com"],
  ["agentsvc.azure-automation.net", "privatelink.agentsvc.azure-automation.net"],
  ["applicationinsights.azure.com", "privatelink.monitor.azure.com"],
  ["services.visualstudio.com", "privatelink.monitor.azure.com"],
];

export const NAMES_LINE = /^\s*\$SecureAmlNames\s*=\s*@\((.*)\)\s*;?\s*$/m;

/** The names of a probe script, or undefined when the script is not the probe. */
export function namesOfScript(script: string): string[] | undefined {
  const match = NAMES_LINE.exec(script);
  if (!match) return undefined;
  return [...(match[1] ?? "").matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => (m[1] ?? m[2] ?? "").trim().toLowerCase()).filter((n) => n !== "");
}

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

function inPrefix(address: string, prefix: string): boolean {
  const [base, bits] = prefix.split("/");
  if (!base || bits === undefined || !/^\d+\.\d+\.\d+\.\d+$/.test(address) || !/^\d+\.\d+\.\d+\.\d+$/.test(base)) return false;
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipv4ToNumber(base) / size) * size;
  const value = ipv4ToNumber(address);
  return value >= start && value < start + size;
}

function vnetOfVm(store: ResourceStore, vm: ResourceRecord): { vnetId: string; prefixes: string[] } | undefined {
  const refs = section(section(vm.body, "properties"), "networkProfile").networkInterfaces;
  for (const ref of (Array.isArray(refs) ? refs : []).filter(isObject)) {
    const nic = resolveReference(store, optionalString(ref, "id") ?? "", NIC_TYPE);
    const ipcs = section(nic?.body, "properties").ipConfigurations;
    for (const ipc of (Array.isArray(ipcs) ? ipcs : []).filter(isObject)) {
      const subnetId = optionalString(section(section(ipc, "properties"), "subnet"), "id");
      if (!subnetId) continue;
      const vnetId = subnetId.replace(/\/subnets\/[^/]+$/i, "");
      const vnet = store.get(vnetId);
      const space = section(section(vnet?.body, "properties"), "addressSpace").addressPrefixes;
      return { vnetId, prefixes: (Array.isArray(space) ? space : []).filter((p): p is string => typeof p === "string") };
    }
  }
  return undefined;
}

/** Private IPs held in the VNet by NICs and private endpoints (what TCP can reach). */
function reachableAddresses(store: ResourceStore, vnetId: string): Set<string> {
  const addresses = new Set<string>();
  const inVnet = (subnetId: string | undefined) => (subnetId ?? "").toLowerCase().startsWith(`${vnetId.toLowerCase()}/subnets/`);
  for (const nic of store.listByType(NIC_TYPE)) {
    const ipcs = section(nic.body, "properties").ipConfigurations;
    for (const ipc of (Array.isArray(ipcs) ? ipcs : []).filter(isObject)) {
      const p = section(ipc, "properties");
      if (inVnet(optionalString(section(p, "subnet"), "id"))) addresses.add(optionalString(p, "privateIPAddress") ?? "");
    }
  }
  for (const endpoint of store.listByType(PRIVATE_ENDPOINT_TYPE)) {
    const p = section(endpoint.body, "properties");
    if (!inVnet(optionalString(section(p, "subnet"), "id"))) continue;
    const configs = p.customDnsConfigs;
    for (const config of (Array.isArray(configs) ? configs : []).filter(isObject)) {
      const ips = config.ipAddresses;
      for (const ip of Array.isArray(ips) ? ips : []) if (typeof ip === "string") addresses.add(ip);
    }
  }
  return addresses;
}

/** A stable documentation-range public address for a name that resolves publicly. */
function publicAddressOf(name: string): string {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `20.0.${(hash >>> 8) % 256}.${(hash % 254) + 1}`;
}

export interface ProbeAnswer {
  name: string;
  addresses: string[];
  tcp443: boolean;
}

/** What the VM's resolver and a TCP 443 connection see for one name. */
export function probeName(store: ResourceStore, vnet: { vnetId: string; prefixes: string[] }, name: string, reachable: Set<string>): ProbeAnswer {
  const lower = name.toLowerCase().replace(/\.$/, "");
  const linkedZones = new Map<string, ResourceRecord>();
  for (const link of store.listByType(LINK_TYPE)) {
    const target = optionalString(section(section(link.body, "properties"), "virtualNetwork"), "id");
    if ((target ?? "").toLowerCase() !== vnet.vnetId.toLowerCase()) continue;
    const zoneId = link.id.replace(/\/virtualNetworkLinks\/[^/]+$/i, "");
    const zone = resolveReference(store, zoneId, ZONE_TYPE);
    if (zone) linkedZones.set(zone.name.toLowerCase(), zone);
  }
  for (const [suffix, zoneName] of PRIVATE_LINK_ZONES) {
    const candidates: Array<[string, string]> = [];
    if (lower.endsWith(`.${suffix}`)) candidates.push([zoneName, lower.slice(0, -(suffix.length + 1))]);
    if (lower.endsWith(`.${zoneName}`)) candidates.push([zoneName, lower.slice(0, -(zoneName.length + 1))]);
    for (const [zone, recordName] of candidates) {
      const zoneRecord = linkedZones.get(zone);
      if (!zoneRecord) continue;
      const record = store.children(zoneRecord.id, A_RECORD_TYPE).find((r) => r.name.toLowerCase() === recordName);
      const entries = section(record?.body, "properties").aRecords;
      const addresses = (Array.isArray(entries) ? entries : [])
        .filter(isObject)
        .map((a) => optionalString(a, "ipv4Address") ?? "")
        .filter((a) => a !== "");
      // A linked zone without the record: NXDOMAIN (Azure DNS does not fall back to public DNS).
      return { name, addresses, tcp443: addresses.some((a) => reachable.has(a) && vnet.prefixes.some((p) => inPrefix(a, p))) };
    }
  }
  // No linked private zone answers: the public CNAME chain ends at the public address.
  return { name, addresses: [publicAddressOf(lower)], tcp443: false };
}

function powerState(record: ResourceRecord): string {
  const statuses = section(section(record.body, "properties"), "instanceView").statuses;
  const code = (Array.isArray(statuses) ? statuses : [])
    .filter(isObject)
    .map((s) => optionalString(s, "code") ?? "")
    .find((c) => c.startsWith("PowerState/"));
  return code?.slice("PowerState/".length) ?? "running";
}

export function runCommand(ctx: HandlerContext, req: ActionRequest): ActionResponse {
  const vm = req.record;
  if (!vm) throw new ArmError(404, "ResourceNotFound", "The virtual machine was not found.");
  const osType = optionalString(section(section(section(vm.body, "properties"), "storageProfile"), "osDisk"), "osType") ?? "Linux";
  const commandId = optionalString(req.body, "commandId");
  if (!commandId)
    throw new ArmError(400, "InvalidParameter", "Required parameter 'commandId' is missing (null).", [
      { code: "InvalidParameter", message: "commandId is required", target: "commandId" },
    ]);
  const wanted = osType.toLowerCase() === "windows" ? "RunPowerShellScript" : "RunShellScript";
  if (!["RunPowerShellScript", "RunShellScript"].includes(commandId) || commandId !== wanted) {
    throw new ArmError(400, "InvalidParameter", `The command '${commandId}' is not supported for the ${osType} virtual machine ${vm.name}; use ${wanted}.`, [
      { code: "InvalidParameter", message: `unsupported command ${commandId}`, target: "commandId" },
    ]);
  }
  const power = powerState(vm);
  if (power !== "running") throw new ArmError(409, "OperationNotAllowed", `Cannot run a command on virtual machine ${vm.name}: it is ${power}. Start it first.`);
  const script = (Array.isArray(req.body.script) ? req.body.script : []).filter((line): line is string => typeof line === "string").join("\n");
  const names = namesOfScript(script);
  const vnet = vnetOfVm(ctx.store, vm);
  let stdout = "";
  let stderr = "";
  if (names === undefined) stderr = "emulator: unsupported script (only secure-aml's $SecureAmlNames probe is interpreted; docs/emulator-services.md)";
  else if (!vnet) stderr = `emulator: virtual machine ${vm.name} has no network interface in a virtual network`;
  else {
    const reachable = reachableAddresses(ctx.store, vnet.vnetId);
    stdout = JSON.stringify(names.map((name) => probeName(ctx.store, vnet, name, reachable)));
  }
  const body: JsonObject = {
    value: [
      { code: "ComponentStatus/StdOut/succeeded", level: "Info", displayStatus: "Provisioning succeeded", message: stdout },
      { code: "ComponentStatus/StdErr/succeeded", level: "Info", displayStatus: "Provisioning succeeded", message: stderr },
    ],
  };
  return { status: 200, body, longRunningSeconds: RUN_COMMAND_SECONDS };
}
