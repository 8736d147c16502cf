// `secure-aml verify`: a network-isolation audit of what is deployed in the resource group (read
// from Azure, not from the state file), also for environments secure-aml did not build. Exit 0 when
// every check passes, 1 when there are findings. The checks: src/audit/checks.ts, docs/verify.md.
// With --from-inside the jump box also probes each private name through Run Command
// (src/audit/from-inside.ts): its findings are reported like the others.

import type { CommandResult, DayTwoCommandInput } from "../cli/command-contract.js";
import { ExitCode, SecureAmlError } from "../errors.js";
import { collectInventory } from "../audit/inventory.js";
import { runChecks } from "../audit/checks.js";
import { withDayTwoRuntime } from "./daytwo.js";
import { MANAGED_TAG, MANAGED_TAG_VALUE } from "../steps/common.js";
import type { InsideFinding, InsideResult } from "../audit/from-inside.js";
import { pickJumpbox, verifyFromInside } from "../audit/from-inside.js";
import { buildResult } from "../ui/index.js";

export async function runVerify(input: DayTwoCommandInput): Promise<CommandResult> {
  return withDayTwoRuntime(input, "verify", async ({ target, runtime, azure }) => {
    const { ui } = runtime;
    ui.notify({ type: "log", level: "info", message: `auditing resource group ${target.resourceGroup} in subscription ${target.subscriptionId}` });
    const inventory = await collectInventory(azure, target.resourceGroup);
    if (!inventory.group) {
      throw new SecureAmlError(
        "RESOURCE_GROUP_NOT_FOUND",
        `Resource group ${target.resourceGroup} does not exist in subscription ${target.subscriptionId}: there is nothing to verify.`,
        ExitCode.failed,
        "secure-aml init",
      );
    }
    const managed = inventory.group.tags[MANAGED_TAG] === MANAGED_TAG_VALUE;
    // The features init recorded (state file) make their checks strict; without it they are inferred.
    const recorded = target.config ?? {};
    const checked = runChecks(inventory, managed, {
      databricks: recorded.databricks,
      restrictOutbound: recorded.restrictOutbound,
      cloud: recorded.cloud ?? target.cloud,
      location: recorded.location,
    });
    let results: Array<Pick<(typeof checked)[number], "title" | "examined"> & { id: string; findings: Array<(typeof checked)[number]["findings"][number] | InsideFinding> }> =
      checked;
    let inside: InsideResult | undefined;
    if (input.flags.fromInside === true) {
      const jumpbox = pickJumpbox(inventory, target.config?.jumpboxName);
      ui.notify({ type: "log", level: "info", message: `probing the private names from inside the VNet on ${jumpbox.name ?? "the jump box"} (VM Run Command)` });
      inside = await verifyFromInside(azure, inventory, jumpbox);
      results = [...checked, inside];
    }
    const findings = results.flatMap((r) => r.findings);
    const exitCode = findings.length === 0 ? ExitCode.ok : ExitCode.failed;

    if (ui.mode === "json") {
      ui.writeResult(
        buildResult({
          command: "verify",
          record: ui.record(),
          counts: azure.counter.snapshot(),
          ok: findings.length === 0,
          exitCode,
          details: {
            subscriptionId: target.subscriptionId,
            resourceGroup: target.resourceGroup,
            managedBySecureAml: managed,
            resourcesExamined: inventory.resources.length,
            checks: results.map((r) => ({ id: r.id, title: r.title, examined: r.examined, passed: r.findings.length === 0, findings: r.findings.length })),
            findings,
            ...(inside ? { fromInside: { vm: inside.vm, names: inside.names } } : {}),
          },
        }),
      );
    } else {
      const lines: string[] = [`Network isolation of ${target.resourceGroup} (${inventory.resources.length} resources):`, ""];
      for (const r of results) {
        const mark = r.findings.length > 0 ? "✗" : r.examined === 0 ? "-" : "✓";
        lines.push(`${mark} ${r.title}${r.examined === 0 ? " (nothing to check)" : ""}`);
        if (inside && r === inside) {
          for (const n of inside.names) lines.push(`    ${n.ok ? "✓" : "✗"} ${n.name} → ${n.addresses.join(", ") || "NXDOMAIN"}${n.ok ? " (TCP 443 connects)" : ""}`);
        }
        for (const f of r.findings) {
          lines.push(`    ${f.name}: ${f.problem}`);
          lines.push(`      why: ${f.why}`);
          lines.push(`      fix: ${f.fix}`);
        }
      }
      lines.push("");
      lines.push(
        findings.length === 0 ? "No findings: the deployment is network-isolated as the tutorial builds it." : `${findings.length} finding${findings.length === 1 ? "" : "s"}.`,
      );
      ui.print(lines.join("\n"));
    }
    return exitCode;
  });
}
