// `secure-aml destroy`: deletes the resource group secure-aml created for this deployment — proven by
// the deployment id the state records, which init stamped on the group and everything in it (a
// group without it, or holding anything without it, needs --force, and the list is shown) — after
// the person has seen what will be deleted and typed the group's name (or --yes in scripts). Shows progress while Azure deletes. With
// --purge, the Machine Learning and Log Analytics workspaces are deleted for good first and the
// soft-deleted key vault is purged after, so every name can be reused — only what carries this
// deployment's id; without it, a person at a terminal is offered the purge, and the output says
// plainly what stays behind. Interrupted half-way, a re-run resumes: deleting a group that is already being
// deleted waits on it, and a group that is gone is success. The state file is marked destroyed under
// its lock.

import type { CommandResult, DestroyCommandInput } from "../cli/command-contract.js";
import type { AzureContext } from "../azure/clients.js";
import type { ResourceOutcome } from "../engine/types.js";
import type { StateHandle } from "../engine/state.js";
import { ExitCode, InputError, SecureAmlError } from "../errors.js";
import { armCall, getOrUndefined, isNotFound } from "../azure/arm-errors.js";
import { collect, isWithin, lastSegment, sameText } from "../audit/ids.js";
import { withDayTwoRuntime } from "./daytwo.js";
import { rawArmGet } from "../audit/inventory.js";
import { DEPLOYMENT_TAG } from "../steps/common.js";
import { carriesDeployment, deploymentIdOf, describeResources, partitionOwned } from "./ownership.js";
import { openState } from "../engine/state.js";
import { detachExistingCompute } from "../steps/attach-compute.js";
import { buildResult } from "../ui/index.js";

/** api-version of workspace deletion with forceToPurge (2022-10-01, the SDK's, has no such flag). */
const WORKSPACE_PURGE_API_VERSION = "2023-04-01";

function yesProblem(): InputError {
  return new InputError([
    {
      field: "yes",
      flag: "--yes",
      env: "SECURE_AML_YES",
      rule: "destroy deletes the resource group and everything in it; nobody can type its name here (no terminal, or CI), so confirm with --yes",
    },
  ]);
}

async function purgeWorkspace(azure: AzureContext, workspaceId: string, signal: AbortSignal): Promise<string | undefined> {
  const client = await azure.resources();
  const { createPipelineRequest } = await import("@azure/core-rest-pipeline");
  const response = await client.sendRequest(
    createPipelineRequest({ url: `${azure.endpoint}${workspaceId}?api-version=${WORKSPACE_PURGE_API_VERSION}&forceToPurge=true`, method: "DELETE", abortSignal: signal }),
  );
  if (response.status === 404) return undefined;
  if (response.status >= 400) {
    let message = `HTTP ${response.status}`;
    try {
      const body = JSON.parse(response.bodyAsText ?? "{}") as { error?: { code?: string; message?: string } };
      if (body.error) message = `${body.error.code ?? ""}: ${body.error.message ?? ""}`;
    } catch {
      /* keep the status */
    }
    return message;
  }
  // Wait until the workspace is gone (the delete is long-running).
  const interval = azure.lro().updateIntervalInMs ?? 5000;
  const deadline = Date.now() + 30 * 60 * 1000;
  while (Date.now() < deadline) {
    const { status } = await rawArmGet(azure, workspaceId, "2022-10-01");
    if (status === 404) return undefined;
    await new Promise((r) => setTimeout(r, interval));
    signal.throwIfAborted();
  }
  return "still deleting after 30 minutes";
}

export async function runDestroy(input: DestroyCommandInput): Promise<CommandResult> {
  // No confirmation possible and none given: refuse before any request.
  if (!input.run.yes && !input.run.interactive) throw yesProblem();

  let state: StateHandle | undefined;
  try {
    return await withDayTwoRuntime(input, "destroy", async ({ target, runtime, azure }) => {
      const { ui, signal } = runtime;
      const rg = target.resourceGroup;
      const rgId = `/subscriptions/${target.subscriptionId}/resourceGroups/${rg}`;
      if (target.state) {
        state = await openState(target.statePath, { create: false });
      }
      const resources = await azure.resources();
      const group = await getOrUndefined({ resource: rgId, operation: "read resource group" }, () => resources.resourceGroups.get(rg));
      const outcomes: ResourceOutcome[] = [];
      const notes: string[] = [];
      const leftBehind: string[] = [];
      const purged: string[] = [];
      /** What the group's deletion takes with it, shown before confirmation. */
      const planned: string[] = [];

      const deploymentId = deploymentIdOf(target.state);
      if (group) {
        // Ownership is proven by this deployment's id (kept in the state, stamped on everything init
        // created): the group must carry it and so must everything in it, or --force must be given
        // (and then the full list of what is not ours is shown before anything is deleted).
        const listed = await armCall({ resource: rgId, operation: "list resources of" }, () => collect(resources.resources.listByResourceGroup(rg)));
        const { ours, foreign } = partitionOwned(listed, deploymentId);
        const groupOurs = carriesDeployment(group.tags, deploymentId);
        const reasons: string[] = [];
        if (deploymentId === undefined) {
          reasons.push(
            target.state
              ? `the state file ${target.statePath} records no deployment id (it predates them), so nothing proves that secure-aml created ${rg}`
              : `no state file for ${rg} records this deployment's id (looked in ${target.statePath}), so nothing proves that secure-aml created ${rg}`,
          );
        } else if (!groupOurs) {
          reasons.push(`resource group ${rg} does not carry the tag ${DEPLOYMENT_TAG}=${deploymentId} that init set on the group it created for this deployment`);
        }
        if (foreign.length > 0) reasons.push(`it holds ${foreign.length} resource(s) that do not carry this deployment's id: ${describeResources(foreign).join(", ")}`);
        if (reasons.length > 0 && !input.force) {
          throw new SecureAmlError(
            "NOT_CREATED_BY_SECURE_AML",
            `Refusing to delete ${rg}: ${reasons.join("; ")}. Nothing was deleted. To delete the group and everything in it anyway, add --force (the list of what is not ours is shown first).`,
            ExitCode.badInput,
            `secure-aml destroy --resource-group ${rg} --force`,
          );
        }
        if (reasons.length > 0) {
          notes.push(`--force: deleting although ${reasons.join("; ")}.`);
          ui.notify({ type: "log", level: "warn", message: `--force: ${reasons.join("; ")}` });
        }
        const willDelete = [...describeResources(ours), ...describeResources(foreign).map((l) => `${l} (not created by this deployment)`)];
        planned.push(...willDelete);
        const purgeable = input.purge
          ? ours.filter((r) => /^Microsoft\.(MachineLearningServices|OperationalInsights)\/workspaces$/i.test(r.type ?? "")).map((r) => r.name ?? "")
          : [];
        ui.notify({
          type: "log",
          level: "info",
          message:
            `deleting resource group ${rg} deletes ${listed.length} resource(s):${willDelete.length > 0 ? "\n  " + willDelete.join("\n  ") : " (none)"}` +
            (purgeable.length > 0 ? `\nand deletes for good (no soft delete): ${purgeable.join(", ")}, then purges this deployment's soft-deleted key vault` : ""),
        });
        if (sameText(group.properties?.provisioningState, "Deleting"))
          ui.notify({ type: "log", level: "info", message: `resource group ${rg} is already being deleted (an earlier run); waiting for it` });

        if (!input.run.yes) {
          const answer = await ui.request({
            kind: "input",
            id: "confirmResourceGroup",
            message: `Type the resource group's name (${rg}) to delete it and everything listed above`,
          });
          if (typeof answer !== "string" || answer.trim() !== rg) {
            throw new SecureAmlError("DESTROY_NOT_CONFIRMED", `The name typed does not match ${rg}; nothing was deleted.`, ExitCode.badInput);
          }
        }

        if (input.purge) {
          // Only this deployment's workspaces are deleted for good; others in the group (with --force)
          // go with the group and stay soft-deleted, recoverable by their owners.
          const workspaces = ours.filter((r) => sameText(r.type, "Microsoft.MachineLearningServices/workspaces"));
          const logs = ours.filter((r) => sameText(r.type, "Microsoft.OperationalInsights/workspaces"));
          // Each purge is shown as a step of its own: started, then done with the resource it deleted.
          const asStep = async (r: (typeof ours)[number], title: string, expectedSeconds: number, purge: () => Promise<void>) => {
            const id = `purge:${r.name}`;
            ui.notify({ type: "step-start", id, title, attempt: 1, expectedSeconds });
            const started = Date.now();
            await purge();
            const resources: ResourceOutcome[] = [{ id: r.id ?? "", kind: r.type ?? "", name: r.name ?? "", action: "deleted" }];
            ui.notify({ type: "step-done", id, title, durationMs: Date.now() - started, resources });
          };
          for (const ws of workspaces) {
            await asStep(ws, `Delete workspace ${ws.name} for good (no soft delete)`, 120, async () => {
              const problem = await purgeWorkspace(azure, ws.id ?? "", signal);
              if (problem)
                leftBehind.push(
                  `Machine Learning workspace ${ws.name}: could not be deleted for good (${problem}); after the group is deleted it stays soft-deleted for 14 days (recover or purge it in the portal: Machine Learning > Recently deleted)`,
                );
              else purged.push(`Machine Learning workspace ${ws.name}`);
            });
          }
          for (const la of logs) {
            await asStep(la, `Delete Log Analytics workspace ${la.name} for good`, 30, async () => {
              await armCall({ resource: la.id ?? "", operation: "force-delete Log Analytics workspace" }, async () =>
                (await azure.operationalInsights()).workspaces.beginDeleteAndWait(rg, la.name ?? "", { force: true, ...azure.lro(signal) }),
              );
              purged.push(`Log Analytics workspace ${la.name}`);
            });
          }
        }

        // An existing VM or HDInsight cluster attached with --attach-compute lives outside this group: it is
        // detached (never deleted), and only the NSG rule this deployment recorded creating is removed.
        const recorded = target.state?.config as { attachCompute?: unknown; workspace?: unknown } | undefined;
        if (typeof recorded?.attachCompute === "string" && typeof recorded.workspace === "string") {
          const createdIds = target.state?.steps["attach-compute"]?.createdIds ?? [];
          const detached = await detachExistingCompute(
            azure,
            { subscriptionId: target.subscriptionId, resourceGroup: rg, workspace: recorded.workspace, attachCompute: recorded.attachCompute },
            createdIds,
          );
          if (detached.length > 0) ui.notify({ type: "log", level: "info", message: `detached (the resource itself is kept): ${detached.join(", ")}` });
        }

        const stepId = "delete-resource-group";
        const title = `Delete resource group ${rg} and everything in it`;
        ui.notify({ type: "step-start", id: stepId, title, attempt: 1, expectedSeconds: 600 });
        const started = Date.now();
        try {
          const poller = await resources.resourceGroups.beginDelete(rg, azure.lro(signal));
          let polls = 0;
          poller.onProgress(() => {
            polls += 1;
            ui.notify({ type: "step-progress", id: stepId, message: `Azure is deleting ${rg} (${Math.round((Date.now() - started) / 1000)} s, check ${polls})` });
          });
          await poller.pollUntilDone();
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        outcomes.push({ id: rgId, kind: "Microsoft.Resources/resourceGroups", name: rg, action: "deleted" });
        ui.notify({ type: "step-done", id: stepId, title, durationMs: Date.now() - started, resources: outcomes });
      } else {
        notes.push(`Resource group ${rg} does not exist (already deleted): nothing to delete.`);
        outcomes.push({ id: rgId, kind: "Microsoft.Resources/resourceGroups", name: rg, action: "absent" });
      }

      // Key vaults of this group are soft-deleted with it. Only the ones carrying this deployment's
      // id (a soft-deleted vault keeps its tags) are ever purged: a purge cannot be undone, and
      // another team's vault may have lived under the same group name.
      const kv = await azure.keyVault();
      const deleted = await armCall({ resource: rg, operation: "list soft-deleted key vaults" }, () => collect(kv.vaults.listDeleted()));
      const underGroup = deleted.filter((v) => isWithin(v.properties?.vaultId, rgId));
      const ours = underGroup.filter((v) => carriesDeployment(v.properties?.tags, deploymentId));
      for (const v of underGroup.filter((d) => !ours.includes(d))) {
        notes.push(`Soft-deleted key vault ${v.name ?? lastSegment(v.properties?.vaultId)} was under a group named ${rg} but does not carry this deployment's id: left alone.`);
      }
      // A person at a terminal who did not ask for --purge is offered it for what was just deleted.
      let purgeVaults = input.purge;
      const purgeable = ours.filter((v) => !v.properties?.purgeProtectionEnabled);
      if (!purgeVaults && purgeable.length > 0 && ui.interactive && !input.run.yes) {
        const names = purgeable.map((v) => v.name ?? lastSegment(v.properties?.vaultId)).join(", ");
        const answer = await ui.request({
          kind: "confirm",
          id: "purgeDeleted",
          message: `Purge the soft-deleted key vault${purgeable.length === 1 ? "" : "s"} ${names} now, so the name can be used again? (cannot be undone)`,
          default: false,
        });
        purgeVaults = answer === true;
      }
      for (const v of ours) {
        const name = v.name ?? lastSegment(v.properties?.vaultId);
        const location = v.properties?.location ?? "";
        if (purgeVaults && !v.properties?.purgeProtectionEnabled) {
          const id = `purge:${name}`;
          const title = `Purge soft-deleted key vault ${name}`;
          ui.notify({ type: "step-start", id, title, attempt: 1, expectedSeconds: 60 });
          const started = Date.now();
          await armCall({ resource: name, operation: "purge soft-deleted key vault" }, async () => {
            await kv.vaults.purgeDeleted(name, location, azure.lro(signal));
          });
          purged.push(`key vault ${name}`);
          ui.notify({
            type: "step-done",
            id,
            title,
            durationMs: Date.now() - started,
            resources: [{ id: v.properties?.vaultId ?? name, kind: "Microsoft.KeyVault/vaults", name, action: "deleted" }],
          });
        } else {
          const until = v.properties?.scheduledPurgeDate ? ` until ${v.properties.scheduledPurgeDate.toISOString()}` : "";
          leftBehind.push(
            v.properties?.purgeProtectionEnabled
              ? `key vault ${name}: soft-deleted with purge protection${until}; the name cannot be reused before then (recover it with \`secure-aml init --key-vault-soft-deleted recover\`)`
              : `key vault ${name}: soft-deleted${until}; the name cannot be reused before then (\`secure-aml destroy --purge\` purges it, or \`secure-aml init --key-vault-soft-deleted recover\` brings it back)`,
          );
        }
      }
      if (!input.purge && group) {
        leftBehind.push("the Machine Learning workspace: soft-deleted for 14 days (its name is reserved; `--purge` deletes it for good)");
        leftBehind.push("the Log Analytics workspace: its name stays reserved for 14 days (`--purge` force-deletes it)");
      }

      if (state) {
        const now = new Date().toISOString();
        await state.update((s) => {
          s.meta = { ...(s.meta ?? {}), destroyedAt: now, destroyedResourceGroup: rg };
          for (const step of Object.values(s.steps)) step.resources = step.resources.map((r) => ({ ...r, action: "deleted" as const }));
        });
      }

      if (ui.mode === "json") {
        ui.writeResult(
          buildResult({
            command: "destroy",
            record: ui.record(),
            counts: azure.counter.snapshot(),
            ok: true,
            exitCode: ExitCode.ok,
            details: {
              resourceGroup: rg,
              deploymentId: deploymentId ?? null,
              deleted: group !== undefined,
              resourcesDeleted: planned,
              purged,
              leftBehind,
              notes,
              stateMarkedDestroyed: state !== undefined,
            },
          }),
        );
      } else {
        const lines = [...notes];
        if (group) lines.push(`Deleted resource group ${rg}.`);
        if (purged.length > 0) lines.push(`Purged (names free again): ${purged.join(", ")}.`);
        if (leftBehind.length > 0) lines.push("Left behind:", ...leftBehind.map((l) => `  - ${l}`));
        ui.print(lines.join("\n"));
      }
      return ExitCode.ok;
    });
  } finally {
    await state?.close();
  }
}
