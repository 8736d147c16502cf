// Training page, Azure Databricks (--databricks): in the deployment's one VNet (same subscription and
// region as the Azure Machine Learning workspace, and the VNet its storage is secured in), the
// `default` subnet the page also requires, and the `databricks-public` / `databricks-private`
// subnets delegated to Microsoft.Databricks/workspaces with a network security group on both
// (Microsoft's "Deploy Azure Databricks in your Azure virtual network (VNet injection)").
//
// The NSG starts with no rules of ours: Azure Databricks adds its own (network intent policy rules
// named Microsoft.Databricks-workspaces_UseOnly_*) when a workspace is injected, so this step only
// makes sure the NSG exists and never rewrites its rules (a rerun does not fight Databricks).
// Subnets are written one by one from what was read, keeping what others put on them (the same rule
// as the network step), so an association or a service endpoint added by someone else survives.

import type { Delegation, NetworkSecurityGroup, Subnet } from "@azure/arm-network";
import type { AzureStepContext } from "./context.js";
import { declareStep } from "../resources/reconcile.js";
import { arm, changesOf, differs, differsId, putOver, change, type ResourceSpec } from "../resources/spec.js";
import * as kinds from "../resources/kinds/index.js";
import { DATABRICKS_DELEGATION, SUBNET_DATABRICKS_PRIVATE, SUBNET_DATABRICKS_PUBLIC, SUBNET_DEFAULT, databricksNsgName, placed, resourceId, subnetId } from "./common.js";
import { chained, writeSeconds } from "../durations.js";
import { writeSubnet } from "./network.js";

export interface DatabricksSubnet {
  name: string;
  prefix: string;
  /** The two Databricks subnets: delegated and behind the Databricks NSG. `default` is a plain subnet. */
  databricks: boolean;
}

/** The subnets of the training page's Databricks section, in the order they are written. */
export function databricksSubnets(config: AzureStepContext["config"]): DatabricksSubnet[] {
  return [
    { name: SUBNET_DEFAULT, prefix: config.defaultSubnet, databricks: false },
    { name: SUBNET_DATABRICKS_PUBLIC, prefix: config.databricksPublicSubnet, databricks: true },
    { name: SUBNET_DATABRICKS_PRIVATE, prefix: config.databricksPrivateSubnet, databricks: true },
  ];
}

export function databricksNsgId(config: AzureStepContext["config"]): string {
  return resourceId(config, "Microsoft.Network", "networkSecurityGroups", databricksNsgName(config));
}

/** True when a subnet carries the Databricks delegation (compared case-insensitively, as ARM does). */
export function hasDatabricksDelegation(s: Pick<Subnet, "delegations">): boolean {
  return (s.delegations ?? []).some((d) => (d.serviceName ?? "").toLowerCase() === DATABRICKS_DELEGATION.toLowerCase());
}

function prefixOf(s: Subnet): string | undefined {
  return s.addressPrefix ?? s.addressPrefixes?.[0];
}

function nsgSpec({ config, azure }: AzureStepContext): ResourceSpec<NetworkSecurityGroup> {
  const name = databricksNsgName(config);
  return {
    ...arm(kinds.networkSecurityGroup, azure, databricksNsgId(config), name, "network"),
    // Only its existence is ours; its rules are Azure Databricks'.
    diff: () => [],
    ...putOver(async () =>
      (await azure.network()).networkSecurityGroups.beginCreateOrUpdateAndWait(config.resourceGroup, name, { ...placed(config), securityRules: [] }, azure.lro()),
    ),
  };
}

function subnetSpec(ctx: AzureStepContext, wanted: DatabricksSubnet): ResourceSpec<Subnet> {
  const { config, azure } = ctx;
  const nsgId = databricksNsgId(config);
  const put = async (existing: Subnet | undefined) => {
    const delegations: Delegation[] = [...(existing?.delegations ?? [])];
    if (wanted.databricks && !hasDatabricksDelegation({ delegations })) {
      delegations.push({ name: "databricks-delegation", serviceName: DATABRICKS_DELEGATION });
    }
    return writeSubnet(ctx, existing, wanted.name, wanted.prefix, wanted.databricks ? { delegations, networkSecurityGroup: { id: nsgId } } : {});
  };
  return {
    ...arm(kinds.subnet, azure, subnetId(config, wanted.name), wanted.name, "network"),
    diff: (s) =>
      changesOf(
        differs("addressPrefix", prefixOf(s), wanted.prefix),
        wanted.databricks && !hasDatabricksDelegation(s)
          ? change(
              "delegations",
              (s.delegations ?? []).map((d) => d.serviceName),
              [DATABRICKS_DELEGATION],
            )
          : undefined,
        wanted.databricks ? differsId("networkSecurityGroup.id", s.networkSecurityGroup?.id, nsgId) : undefined,
      ),
    ...putOver(put),
  };
}

export const databricksNetworkStep = declareStep<AzureStepContext>({
  id: "databricks-network",
  title: "Azure Databricks subnets and network security group",
  dependsOn: ["network"],
  // the NSG, then three subnets one after another
  expectedSeconds: chained(
    writeSeconds("Microsoft.Network/networkSecurityGroups"),
    writeSeconds("Microsoft.Network/virtualNetworks/subnets"),
    writeSeconds("Microsoft.Network/virtualNetworks/subnets"),
    writeSeconds("Microsoft.Network/virtualNetworks/subnets"),
  ),
  mutex: "vnet",
  resources: (ctx) => [nsgSpec(ctx), ...databricksSubnets(ctx.config).map((s) => subnetSpec(ctx, s))],
});
