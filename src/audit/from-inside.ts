// `verify --from-inside`: proof from inside the VNet. The jump box runs a PowerShell probe through
// the VM Run Command API (VirtualMachines_RunCommand, RunPowerShellScript): for each private FQDN of
// the deployment's private endpoints (workspace API and notebooks, storage blob and file, vault,
// registry, Azure Monitor) `Resolve-DnsName` and `Test-NetConnection -Port 443`, printed as JSON.
// Each name must resolve to its private endpoint's address in the VNet and TCP 443 must connect;
// each name that does not is one finding, like the other `verify` findings (docs/verify.md).
//
// The names come from the endpoints' customDnsConfigs (the FQDNs and private IPs Azure assigned);
// wildcard names (*.inference...) cannot be resolved and are left out. The script's contract with
// the emulator (docs/emulator-services.md, "Run Command"): the names are on ONE line,
// `$SecureAmlNames = @('a', 'b')`, and the JSON on StdOut is [{name, addresses, tcp443}].

import type { VirtualMachine } from "@azure/arm-compute";
import type { AzureContext } from "../azure/clients.js";
import type { Inventory } from "./inventory.js";
import { armCall } from "../azure/arm-errors.js";
import { ExitCode, SecureAmlError } from "../errors.js";
import { lastSegment, sameText } from "./ids.js";

export const FROM_INSIDE_CHECK_ID = "from-inside";

export interface InsideFinding {
  check: typeof FROM_INSIDE_CHECK_ID;
  resource: string;
  name: string;
  problem: string;
  why: string;
  fix: string;
}

export interface InsideResult {
  id: typeof FROM_INSIDE_CHECK_ID;
  title: string;
  /** How many names were probed. */
  examined: number;
  findings: InsideFinding[];
  /** Each name as the jump box saw it. */
  names: Array<{ name: string; expected: string[]; addresses: string[]; tcp443: boolean; ok: boolean }>;
  /** The VM that ran the probe. */
  vm: string;
}

const WHY =
  "Inside the VNet each service name must resolve, through the private DNS zones linked to the VNet, to its private endpoint's address and accept TCP 443 there; otherwise the jump box, compute and studio reach the closed public endpoint (or nothing).";

/** The names to probe: each private endpoint's FQDNs and the private IPs Azure gave them. */
export function probeTargets(inv: Inventory): Array<{ name: string; expected: string[]; endpointId: string }> {
  const byName = new Map<string, { name: string; expected: string[]; endpointId: string }>();
  for (const { endpoint } of inv.privateEndpoints) {
    for (const config of endpoint.customDnsConfigs ?? []) {
      const name = (config.fqdn ?? "").toLowerCase().replace(/\.$/, "");
      if (name === "" || name.includes("*") || !/^[a-z0-9.-]+$/.test(name)) continue;
      const entry = byName.get(name) ?? { name, expected: [], endpointId: endpoint.id ?? "" };
      for (const ip of config.ipAddresses ?? []) if (!entry.expected.includes(ip)) entry.expected.push(ip);
      byName.set(name, entry);
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The PowerShell probe. Names are checked against /^[a-z0-9.-]+$/ above, so quoting them is safe. */
export function probeScript(names: string[]): string[] {
  return [
    "$ErrorActionPreference = 'SilentlyContinue'",
    `$SecureAmlNames = @(${names.map((n) => `'${n}'`).join(", ")})`,
    "$results = foreach ($name in $SecureAmlNames) {",
    "  $addresses = @(Resolve-DnsName -Name $name -Type A -DnsOnly | Where-Object { $_.Type -eq 'A' } | ForEach-Object { $_.IPAddress })",
    "  $tcp = $false",
    "  if ($addresses.Count -gt 0) { $tcp = [bool](Test-NetConnection -ComputerName $name -Port 443 -WarningAction SilentlyContinue).TcpTestSucceeded }",
    "  [pscustomobject]@{ name = $name; addresses = $addresses; tcp443 = $tcp }",
    "}",
    "ConvertTo-Json -InputObject @($results) -Compress -Depth 3",
  ];
}

interface ProbeLine {
  name: string;
  addresses: string[];
  tcp443: boolean;
}

/** StdOut of the probe → one line per name; a clear error when it is not the probe's JSON. */
export function parseProbeOutput(stdout: string, stderr: string): ProbeLine[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.trim());
  } catch {
    throw new SecureAmlError(
      "FROM_INSIDE_OUTPUT_UNREADABLE",
      `The probe on the jump box did not print its JSON result${stderr.trim() ? ` (stderr: ${stderr.trim().slice(0, 300)})` : ""}.`,
      ExitCode.failed,
      "secure-aml start   (then run verify --from-inside again)",
    );
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items
    .filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null)
    .map((item) => {
      const raw = item.addresses;
      // ConvertTo-Json prints a one-element array as a plain string in older PowerShell.
      const addresses = (Array.isArray(raw) ? raw : typeof raw === "string" ? [raw] : []).filter((a): a is string => typeof a === "string");
      return { name: String(item.name ?? "").toLowerCase(), addresses, tcp443: item.tcp443 === true };
    });
}

/** The jump box: the recorded name when given, else the group's only Windows VM. */
export function pickJumpbox(inv: Inventory, recordedName: string | undefined): VirtualMachine {
  const vms = inv.virtualMachines;
  const named = recordedName ? vms.find((vm) => sameText(vm.name, recordedName)) : undefined;
  if (named) return named;
  const windows = vms.filter((vm) => sameText(vm.storageProfile?.osDisk?.osType, "Windows") || vm.osProfile?.windowsConfiguration !== undefined);
  if (windows.length === 1) return windows[0]!;
  throw new SecureAmlError(
    "FROM_INSIDE_NO_JUMPBOX",
    windows.length === 0
      ? `verify --from-inside runs its probe on the jump box, and resource group ${inv.resourceGroup} has no Windows VM.`
      : `verify --from-inside runs its probe on the jump box, and resource group ${inv.resourceGroup} has several Windows VMs (${windows.map((v) => v.name).join(", ")}); run it from the state file secure-aml init wrote.`,
    ExitCode.failed,
    "secure-aml init   (with the jump box: without --no-jumpbox)",
  );
}

function finding(resource: string, name: string, problem: string, fix: string): InsideFinding {
  return { check: FROM_INSIDE_CHECK_ID, resource, name, problem, why: WHY, fix };
}

/** Runs the probe on the jump box and turns what it saw into findings. */
export async function verifyFromInside(azure: AzureContext, inv: Inventory, jumpbox: VirtualMachine): Promise<InsideResult> {
  const title = `From inside the VNet (jump box ${jumpbox.name}): each private name resolves to its private endpoint and TCP 443 connects`;
  const targets = probeTargets(inv);
  if (targets.length === 0) return { id: FROM_INSIDE_CHECK_ID, title, examined: 0, findings: [], names: [], vm: jumpbox.name ?? "" };
  const vmId = jumpbox.id ?? "";
  const group = /\/resourceGroups\/([^/]+)/i.exec(vmId)?.[1] ?? inv.resourceGroup;
  const compute = await azure.compute();
  const result = await armCall({ resource: vmId, operation: "run command" }, () =>
    compute.virtualMachines.runCommand(group, jumpbox.name ?? "", { commandId: "RunPowerShellScript", script: probeScript(targets.map((t) => t.name)) }, azure.lro()),
  );
  const messageOf = (kind: string) => (result.value ?? []).find((s) => (s.code ?? "").includes(`/${kind}/`))?.message ?? "";
  const lines = parseProbeOutput(messageOf("StdOut"), messageOf("StdErr"));
  const findings: InsideFinding[] = [];
  const names: InsideResult["names"] = [];
  for (const target of targets) {
    const seen = lines.find((l) => l.name === target.name);
    const addresses = seen?.addresses ?? [];
    const tcp443 = seen?.tcp443 ?? false;
    const endpoint = lastSegment(target.endpointId);
    let problem: string | undefined;
    if (!seen) problem = "the probe did not report it";
    else if (addresses.length === 0) problem = `does not resolve (NXDOMAIN) from the jump box; its private endpoint ${endpoint} has ${target.expected.join(", ")}`;
    else if (!addresses.some((a) => target.expected.includes(a))) {
      problem = `resolves to ${addresses.join(", ")}, not its private endpoint ${endpoint}'s address ${target.expected.join(", ")}${addresses.some((a) => !isPrivate(a)) ? " (a public address: the private DNS zone is not linked to the VNet, or has no record for it)" : ""}`;
    } else if (!tcp443) problem = `resolves to ${addresses.join(", ")} but TCP 443 does not connect from the jump box`;
    const ok = problem === undefined;
    names.push({ name: target.name, expected: target.expected, addresses, tcp443, ok });
    if (problem !== undefined) {
      findings.push(
        finding(
          target.endpointId,
          target.name,
          problem,
          `check the private DNS zone of ${target.name}: it must be linked to the jump box's VNet (az network private-dns link vnet list) and hold the A record of ${endpoint} (re-create the endpoint's DNS zone group); then run secure-aml init again with the same settings, or verify without --from-inside to see which zone or record is missing`,
        ),
      );
    }
  }
  return { id: FROM_INSIDE_CHECK_ID, title, examined: targets.length, findings, names, vm: jumpbox.name ?? "" };
}

/** RFC 1918 / CGNAT / RFC 6598 space: what a private endpoint's address is drawn from. */
function isPrivate(address: string): boolean {
  return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/.test(address);
}
