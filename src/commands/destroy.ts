// `secure-aml destroy`: deletes the resource group secure-aml created — it checks the tag init sets
// and the state file (a group secure-aml did not create, or adopted, needs --force) — after the
// person types the group's name (or --yes in scripts). Shows progress while Azure deletes. With
// --purge, the Machine Learning and Log Analytics workspaces are deleted for good first and the
// soft-deleted key vault is purged after, so every name can be reused; without it, says plainly what
// stays behind. Interrupted half-way, a re-run resumes: deleting a group that is already being
// deleted waits on it, and a group that is gone is success. The state file is marked destroyed under
// its lock.

import type { CommandResult, DestroyCommandInput } from "../cli/command-contract.js";
import type { AzureContext } from "../azure/clients.js";
import type { ResourceOutcome } from "../engine/types.js";
import type { StateHandle } from "../engine/state.js";
import { ExitCode, InputError, SecureAmlError } from "../errors.js";
import { armCall, getOrUndefined, isNotFound } from "../azure/arm-errors.js";
import { collect, isWithin, lastSegment, sameId, sameText } from "../audit/ids.js";
import { withDayTwoRuntime } from "./daytwo.js";
import { rawArmGet } from "../audit/inventory.js";
import { MANAGED_TAG, MANAGED_TAG_VALUE } from "../steps/common.js";

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
    return await withDayTwoRuntime(
      input,
      "destroy",
      async ({ target, runtime, azure }) => {
        const { ui, signal } = runtime;
        const rg = target.resourceGroup;
        const rgId = `/subscriptions/${target.subscriptionId}/resourceGroups/${rg}`;
        if (target.state) {
          const { openState } = await import("../engine/state.js");
          state = await openState(target.statePath, { create: false });
        }
        const resources = await azure.resources();
        const group = await getOrUndefined({ resource: rgId, operation: "read resource group" }, () => resources.resourceGroups.get(rg));
        const outcomes: ResourceOutcome[] = [];
        const notes: string[] = [];
        const leftBehind: string[] = [];
        const purged: string[] = [];

        if (group) {
          // Did secure-aml create this group? The tag says it manages it; the state says whether init created or adopted it.
          const tagged = group.tags?.[MANAGED_TAG] === MANAGED_TAG_VALUE;
          const rgStep = target.state?.steps["resource-group"];
          const adopted = rgStep !== undefined && !(rgStep.createdIds ?? []).some((id) => sameId(id, rgId)) && rgStep.resources.some((r) => sameId(r.id, rgId) && r.action !== "created");
          if ((!tagged || adopted) && !input.force) {
            throw new SecureAmlError(
              "NOT_CREATED_BY_SECURE_AML",
              !tagged
                ? `Resource group ${rg} does not carry the tag ${MANAGED_TAG}=${MANAGED_TAG_VALUE} that secure-aml sets on the groups it creates, so secure-aml did not create it. Nothing was deleted. To delete it and everything in it anyway, add --force.`
                : `Resource group ${rg} existed before secure-aml used it (the state file ${target.statePath} records that init adopted it rather than created it); it may hold resources that are not part of this deployment. Nothing was deleted. To delete it and everything in it anyway, add --force.`,
              ExitCode.badInput,
              `secure-aml destroy --resource-group ${rg} --force`,
            );
          }
          const listed = await armCall({ resource: rgId, operation: "list resources of" }, () => collect(resources.resources.listByResourceGroup(rg)));
          const foreign = listed.filter((r) => r.tags?.[MANAGED_TAG] !== MANAGED_TAG_VALUE);
          ui.notify({ type: "log", level: "info", message: `resource group ${rg} holds ${listed.length} resource(s)${foreign.length > 0 ? `, ${foreign.length} of them not tagged by secure-aml (${foreign.slice(0, 5).map((r) => r.name).join(", ")}${foreign.length > 5 ? ", ..." : ""})` : ""}` });
          if (sameText(group.properties?.provisioningState, "Deleting")) ui.notify({ type: "log", level: "info", message: `resource group ${rg} is already being deleted (an earlier run); waiting for it` });

          if (!input.run.yes) {
            const answer = await ui.request({ kind: "input", id: "confirmResourceGroup", message: `Type the resource group's name (${rg}) to delete it and everything in it` });
            if (typeof answer !== "string" || answer.trim() !== rg) {
              throw new SecureAmlError("DESTROY_NOT_CONFIRMED", `The name typed does not match ${rg}; nothing was deleted.`, ExitCode.badInput);
            }
          }

          if (input.purge) {
            const workspaces = listed.filter((r) => sameText(r.type, "Microsoft.MachineLearningServices/workspaces"));
            const logs = listed.filter((r) => sameText(r.type, "Microsoft.OperationalInsights/workspaces"));
            for (const ws of workspaces) {
              const id = `purge:${ws.name}`;
              const title = `Delete workspace ${ws.name} for good (no soft delete)`;
              ui.notify({ type: "step-start", id, title, attempt: 1, expectedSeconds: 120 });
              const started = Date.now();
              const problem = await purgeWorkspace(azure, ws.id ?? "", signal);
              if (problem) leftBehind.push(`Machine Learning workspace ${ws.name}: could not be deleted for good (${problem}); after the group is deleted it stays soft-deleted for 14 days (recover or purge it in the portal: Machine Learning > Recently deleted)`);
              else purged.push(`Machine Learning workspace ${ws.name}`);
              ui.notify({ type: "step-done", id, title, durationMs: Date.now() - started, resources: [{ id: ws.id ?? "", kind: ws.type ?? "", name: ws.name ?? "", action: "deleted" }] });
            }
            for (const la of logs) {
              const id = `purge:${la.name}`;
              const title = `Delete Log Analytics workspace ${la.name} for good`;
              ui.notify({ type: "step-start", id, title, attempt: 1, expectedSeconds: 30 });
              const started = Date.now();
              await armCall({ resource: la.id ?? "", operation: "force-delete Log Analytics workspace" }, async () => (await azure.operationalInsights()).workspaces.beginDeleteAndWait(rg, la.name ?? "", { force: true, ...azure.lro(signal) }));
              purged.push(`Log Analytics workspace ${la.name}`);
              ui.notify({ type: "step-done", id, title, durationMs: Date.now() - started, resources: [{ id: la.id ?? "", kind: la.type ?? "", name: la.name ?? "", action: "deleted" }] });
            }
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

        // Key vaults of this group are soft-deleted with it: purge them, or say so.
        const kv = await azure.keyVault();
        const deleted = await armCall({ resource: rg, operation: "list soft-deleted key vaults" }, () => collect(kv.vaults.listDeleted()));
        const ours = deleted.filter((v) => isWithin(v.properties?.vaultId, rgId));
        for (const v of ours) {
          const name = v.name ?? lastSegment(v.properties?.vaultId);
          const location = v.properties?.location ?? "";
          if (input.purge && !v.properties?.purgeProtectionEnabled) {
            const id = `purge:${name}`;
            const title = `Purge soft-deleted key vault ${name}`;
            ui.notify({ type: "step-start", id, title, attempt: 1, expectedSeconds: 60 });
            const started = Date.now();
            await armCall({ resource: name, operation: "purge soft-deleted key vault" }, async () => {
              await kv.vaults.purgeDeleted(name, location, azure.lro(signal));
            });
            purged.push(`key vault ${name}`);
            ui.notify({ type: "step-done", id, title, durationMs: Date.now() - started, resources: [{ id: v.properties?.vaultId ?? name, kind: "Microsoft.KeyVault/vaults", name, action: "deleted" }] });
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
          const { buildResult } = await import("../ui/index.js");
          ui.writeResult(
            buildResult({
              command: "destroy",
              record: ui.record(),
              counts: azure.counter.snapshot(),
              ok: true,
              exitCode: ExitCode.ok,
              details: { resourceGroup: rg, deleted: group !== undefined, purged, leftBehind, notes, stateMarkedDestroyed: state !== undefined },
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
      },
    );
  } finally {
    await state?.close();
  }
}
