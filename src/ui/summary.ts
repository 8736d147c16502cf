// The end-of-init summary: what was created, where it is in the portal, how to reach studio through
// Bastion and the jump box, how to stop what costs money and how to tear everything down.

import type { DeploymentConfig } from "../config/types.js";
import type { ResourceAction } from "../engine/types.js";
import { formatDuration, mergeResourceOutcomes, portalLink } from "./format.js";
import { groupPlan } from "./plan.js";

export interface SummaryInput {
  config: DeploymentConfig;
  resources: ReadonlyArray<{ id: string; kind: string; name: string; action: ResourceAction }>;
  durationMs?: number;
  /** Deployed to the local emulator: portal links would point nowhere, so they are not shown. */
  local?: boolean;
  /** The jump-box password was generated for this run (--local without SECURE_AML_JUMPBOX_PASSWORD and nothing typed). */
  passwordGenerated?: boolean;
  /** The estimated cost while everything runs and what `stop` saves (same currency), for the "costs" lines. */
  cost?: { currency: string; monthly: number; stopSavesMonthly: number };
  /** Appended to the printed commands so they address this deployment, e.g. "--config secure-aml.json". */
  commandSuffix?: string;
}

function findId(resources: SummaryInput["resources"], kind: string, name: string): string | undefined {
  return resources.find((r) => r.kind.toLowerCase() === kind.toLowerCase() && r.name === name)?.id;
}

export function renderSummary(input: SummaryInput): string {
  const { config } = input;
  const resources = mergeResourceOutcomes(input.resources);
  const suffix = input.commandSuffix ? ` ${input.commandSuffix}` : "";
  const lines: string[] = [];

  const counts = new Map<ResourceAction, number>();
  for (const r of resources) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  const tally = [...counts].map(([a, n]) => `${n} ${a}`).join(", ") || "nothing changed";
  lines.push(`Secure Azure Machine Learning workspace "${config.workspace}" is ready${input.durationMs !== undefined ? ` (${formatDuration(input.durationMs)})` : ""}: ${tally}.`);
  lines.push("");

  // What this run changed, by architecture section (the plan was shown before; it is not repeated).
  const changed = resources.filter((r) => r.action !== "unchanged" && r.action !== "absent");
  if (changed.length === 0) {
    lines.push(`Nothing changed: all ${resources.length} resources were already as wanted.`);
  } else {
    lines.push("What changed:");
    const asPlanned = changed.map((r) => ({ ...r, action: "none" as const, group: "" }));
    for (const group of groupPlan(asPlanned)) {
      const byAction = new Map<string, number>();
      for (const r of group.resources) {
        const action = changed.find((c) => c.id === r.id)?.action ?? "changed";
        byAction.set(action, (byAction.get(action) ?? 0) + 1);
      }
      const what = [...byAction].map(([a, n]) => `${n} ${a}`).join(", ");
      const title = group.title.replace(/ \(.*$/, "").replace(/:.*$/, "");
      lines.push(`  ${title.padEnd(48)} ${what}`);
    }
    const same = resources.length - changed.length;
    if (same > 0) lines.push(`  (${same} other resource${same === 1 ? "" : "s"} already as wanted)`);
  }
  lines.push("");

  const rgId = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}`;
  const workspaceId =
    findId(resources, "Microsoft.MachineLearningServices/workspaces", config.workspace) ?? `${rgId}/providers/Microsoft.MachineLearningServices/workspaces/${config.workspace}`;
  const jumpboxId = config.jumpbox
    ? (findId(resources, "Microsoft.Compute/virtualMachines", config.jumpboxName) ?? `${rgId}/providers/Microsoft.Compute/virtualMachines/${config.jumpboxName}`)
    : undefined;
  const vnetId = findId(resources, "Microsoft.Network/virtualNetworks", config.vnetName) ?? `${rgId}/providers/Microsoft.Network/virtualNetworks/${config.vnetName}`;

  if (input.local) {
    lines.push("This deployment lives in the local emulator: nothing was created in Azure and nothing costs money.");
    lines.push("Run the same command without --local (signed in with `az login`) to build it for real.");
    lines.push("");
  } else {
    lines.push("In the Azure portal:");
    lines.push(`  Resource group    ${portalLink(rgId)}`);
    lines.push(`  Workspace         ${portalLink(workspaceId)}`);
    lines.push(`  Virtual network   ${portalLink(vnetId)}`);
    if (jumpboxId) lines.push(`  Jump box          ${portalLink(jumpboxId)}`);
    if (config.bastion) {
      const bastionId = findId(resources, "Microsoft.Network/bastionHosts", config.bastionName) ?? `${rgId}/providers/Microsoft.Network/bastionHosts/${config.bastionName}`;
      lines.push(`  Bastion           ${portalLink(bastionId)}`);
    }
    lines.push("");
  }

  lines.push("Reach Azure Machine Learning studio (the workspace accepts no traffic from the internet):");
  if (config.jumpbox && config.bastion) {
    lines.push(`  1. Open the jump box "${config.jumpboxName}" in the portal${jumpboxId && !input.local ? ` (${portalLink(jumpboxId)})` : ""}, select Connect, then Bastion.`);
    lines.push(
      `  2. Sign in as "${config.jumpboxAdmin}" with ${input.passwordGenerated ? "its password (generated for this run and deliberately not kept; set SECURE_AML_JUMPBOX_PASSWORD to choose one)" : "the password you chose"}; a remote desktop opens in your browser.`,
    );
    lines.push(`  3. In the jump box, open Microsoft Edge, go to https://ml.azure.com and choose the workspace "${config.workspace}".`);
  } else if (config.jumpbox) {
    lines.push(`  The jump box "${config.jumpboxName}" has no public address and Bastion is off: connect to it over a VPN or`);
    lines.push("  ExpressRoute into the VNet (or re-run with Bastion on), then open https://ml.azure.com in its browser.");
  } else {
    lines.push("  There is no jump box: connect a machine to the VNet (VPN, ExpressRoute or a peered network) and open");
    lines.push(`  https://ml.azure.com there, then choose the workspace "${config.workspace}".`);
  }
  lines.push("");

  lines.push("Next:");
  lines.push(`  secure-aml status${suffix}    what exists and whether it runs`);
  lines.push(`  secure-aml verify${suffix}    audit the network isolation`);
  lines.push("");
  lines.push("Costs while idle:");
  if (input.cost && !input.local) {
    const money = (n: number) => (input.cost?.currency === "USD" ? `$${n.toFixed(2)}` : `${n.toFixed(2)} ${input.cost?.currency}`);
    lines.push(
      `  About ${money(input.cost.monthly)}/month with everything running; stopping saves about ${money(input.cost.stopSavesMonthly)}/month (secure-aml plan shows the details).`,
    );
  }
  lines.push(`  secure-aml stop${suffix}      stops the compute instance${config.jumpbox ? " and the jump box" : ""} (start them again with secure-aml start${suffix})`);
  if (config.jumpbox) {
    const t = config.jumpboxShutdownTime;
    const time = /^\d{4}$/.test(t) ? `${t.slice(0, 2)}:${t.slice(2)}` : t;
    lines.push(`  The jump box also shuts itself down every day at ${time} (${config.jumpboxShutdownTimeZone}).`);
  }
  lines.push(`  The compute cluster scales down to ${config.clusterMinNodes} node${config.clusterMinNodes === 1 ? "" : "s"} when idle.`);
  if (config.bastion) lines.push("  Azure Bastion is billed by the hour for as long as it exists, running or not.");
  lines.push("");
  lines.push(`Tear everything down:  secure-aml destroy${suffix}`);
  return lines.join("\n") + "\n";
}
