// The network-isolation checks of `secure-aml verify`: small functions over the Inventory (what the
// SDK read back from Azure), each returning findings that name the resource, what is wrong, why it
// matters and how to fix it. docs/verify.md describes every check; keep the two in step.

import type { ComputeResource } from "@azure/arm-machinelearning";
import type { NetworkSecurityGroup, SecurityRule, Subnet, VirtualNetwork } from "@azure/arm-network";
import type { Inventory } from "./inventory.js";
import { isWithin, lastSegment, sameId, sameText, typeOfId } from "./ids.js";
import { ATTACHED_COMPUTE_SSH_FLOW, REQUIRED_TRAINING_FLOWS, blockedFlows, restrictedTrainingFlows, type BlockedFlow } from "./nsg.js";
import { DATABRICKS_DELEGATION, READER_ROLE_ID, SUBNET_DATABRICKS_PRIVATE, SUBNET_DATABRICKS_PUBLIC, SUBNET_DEFAULT, SUBNET_TRAINING } from "../steps/common.js";
import { DENY_INTERNET_RULE, restrictedOutboundRules, type NsgRule } from "../steps/training-nsg.js";

export type CheckId =
  | "public-network-access"
  | "private-endpoint-present"
  | "private-endpoint-approved"
  | "private-endpoint-dns-zone-group"
  | "private-dns-records"
  | "private-dns-zone-link"
  | "monitor-private-link-scope"
  | "monitor-access-modes"
  | "jumpbox-no-public-ip"
  | "compute-no-public-ip"
  | "compute-in-training-subnet"
  | "storage-endpoint-reader"
  | "image-build-compute"
  | "training-nsg-rules"
  | "databricks-subnets"
  | "databricks-workspace-injection"
  | "restricted-outbound"
  | "attached-compute-ssh";

export interface Finding {
  check: CheckId;
  /** ARM ID of the resource the finding is about. */
  resource: string;
  /** Its short name, for people. */
  name: string;
  /** What is wrong. */
  problem: string;
  /** Why it matters. */
  why: string;
  /** How to fix it. */
  fix: string;
}

export interface CheckResult {
  id: CheckId;
  title: string;
  /** How many resources the check looked at (0: nothing to check here). */
  examined: number;
  findings: Finding[];
}

interface Check {
  id: CheckId;
  title: string;
  why: string;
  run(inv: Inventory, ctx: CheckContext): { examined: number; findings: Finding[] };
}

/** What several checks derive from the inventory once. */
export interface CheckContext {
  /** The subnets that hold training compute: named "Training", else the workspace endpoint's subnet. */
  trainingSubnets: Array<{ vnet: VirtualNetwork; subnet: Subnet }>;
  /** VNets whose subnets hold the private endpoints (all the group's VNets when there are none). */
  endpointVnetIds: string[];
  /** Whether the group carries secure-aml's tag (then `secure-aml init` is the fix). */
  managed: boolean;
  /** What the recorded configuration asked for, when verify knows it (the state file). */
  expected: ExpectedFeatures;
}

/**
 * Optional features the configuration recorded by `init` turned on. Without it (an environment
 * secure-aml did not build) the checks infer them from what is deployed.
 */
export interface ExpectedFeatures {
  databricks?: boolean;
  restrictOutbound?: boolean;
  cloud?: string;
  location?: string;
}

const INIT_FIX = "run `secure-aml init` again with the same settings (it reads what is deployed and puts back only what drifted)";

function fixWith(ctx: CheckContext, manual: string): string {
  return ctx.managed ? `${manual}; or ${INIT_FIX}` : manual;
}

function finding(check: Check, resource: string, problem: string, fix: string, name = lastSegment(resource)): Finding {
  return { check: check.id, resource, name, problem, why: check.why, fix };
}

function connectionsOf(inv: Inventory["privateEndpoints"][number]) {
  return [...(inv.endpoint.privateLinkServiceConnections ?? []), ...(inv.endpoint.manualPrivateLinkServiceConnections ?? [])];
}

function computeProps(c: ComputeResource): { computeType?: string; props?: { enableNodePublicIp?: boolean; subnet?: { id?: string } } } {
  const outer = c.properties as { computeType?: string; properties?: { enableNodePublicIp?: boolean; subnet?: { id?: string } } } | undefined;
  return { computeType: outer?.computeType, props: outer?.properties };
}

function subnetPrefixes(subnet: Subnet): string[] {
  return [...(subnet.addressPrefixes ?? []), ...(subnet.addressPrefix ? [subnet.addressPrefix] : [])];
}

// ---------------------------------------------------------------------------------------------

const publicNetworkAccess: Check = {
  id: "public-network-access",
  title: "Public network access off on storage, key vault, registry and workspace",
  why: "With public network access on, the service answers from the internet, and the VNet and private endpoints no longer form the security boundary the tutorial builds.",
  run(inv, ctx) {
    const out: Finding[] = [];
    const rg = inv.resourceGroup;
    for (const s of inv.storageAccounts) {
      if (!sameText(s.publicNetworkAccess, "Disabled")) {
        out.push(
          finding(
            this,
            s.id ?? "",
            `storage account publicNetworkAccess is ${s.publicNetworkAccess ?? "unset (Enabled)"}`,
            fixWith(ctx, `az storage account update -g ${rg} -n ${s.name} --public-network-access Disabled`),
          ),
        );
      }
    }
    for (const v of inv.keyVaults) {
      if (!sameText(v.properties.publicNetworkAccess, "Disabled")) {
        out.push(
          finding(
            this,
            v.id ?? "",
            `key vault publicNetworkAccess is ${v.properties.publicNetworkAccess ?? "unset (Enabled)"}`,
            fixWith(ctx, `az keyvault update -g ${rg} -n ${v.name} --public-network-access Disabled`),
          ),
        );
      }
    }
    for (const r of inv.registries) {
      if (!sameText(r.publicNetworkAccess, "Disabled")) {
        out.push(
          finding(
            this,
            r.id ?? "",
            `container registry publicNetworkAccess is ${r.publicNetworkAccess ?? "unset (Enabled)"}`,
            fixWith(ctx, `az acr update -g ${rg} -n ${r.name} --public-network-enabled false`),
          ),
        );
      }
    }
    for (const { workspace: w } of inv.workspaces) {
      if (!sameText(w.publicNetworkAccess, "Disabled")) {
        out.push(
          finding(
            this,
            w.id ?? "",
            `workspace publicNetworkAccess is ${w.publicNetworkAccess ?? "unset (Enabled)"}`,
            fixWith(ctx, `az ml workspace update -g ${rg} -n ${w.name} --public-network-access Disabled`),
          ),
        );
      }
    }
    return { examined: inv.storageAccounts.length + inv.keyVaults.length + inv.registries.length + inv.workspaces.length, findings: out };
  },
};

const endpointPresent: Check = {
  id: "private-endpoint-present",
  title: "A private endpoint for every service behind the VNet",
  why: "Without its private endpoint a service with public access off cannot be reached from the VNet at all: the workspace, its jobs and the studio fail.",
  run(inv, ctx) {
    const out: Finding[] = [];
    const wanted: Array<{ id: string; groups: string[] }> = [
      ...inv.storageAccounts.map((s) => ({ id: s.id ?? "", groups: ["blob", "file"] })),
      ...inv.keyVaults.map((v) => ({ id: v.id ?? "", groups: ["vault"] })),
      ...inv.registries.map((r) => ({ id: r.id ?? "", groups: ["registry"] })),
      ...inv.workspaces.map(({ workspace }) => ({ id: workspace.id ?? "", groups: ["amlworkspace"] })),
      ...inv.privateLinkScopes.map((s) => ({ id: s.id, groups: ["azuremonitor"] })),
    ];
    for (const w of wanted) {
      for (const group of w.groups) {
        const has = inv.privateEndpoints.some((e) => connectionsOf(e).some((c) => sameId(c.privateLinkServiceId, w.id) && (c.groupIds ?? []).some((g) => sameText(g, group))));
        if (!has) {
          out.push(
            finding(
              this,
              w.id,
              `no private endpoint for sub-resource "${group}" in resource group ${inv.resourceGroup}`,
              fixWith(ctx, `create a private endpoint for ${lastSegment(w.id)} (target sub-resource ${group}) in the Training subnet with private DNS integration`),
            ),
          );
        }
      }
    }
    return { examined: wanted.length, findings: out };
  },
};

const endpointApproved: Check = {
  id: "private-endpoint-approved",
  title: "Every private endpoint connection Approved",
  why: "A pending, rejected or disconnected connection carries no traffic: the service is unreachable through its private endpoint.",
  run(inv, ctx) {
    const out: Finding[] = [];
    for (const e of inv.privateEndpoints) {
      const conns = connectionsOf(e);
      if (conns.length === 0) {
        out.push(
          finding(
            this,
            e.endpoint.id ?? "",
            "the private endpoint has no private link service connection",
            fixWith(ctx, "delete the private endpoint and create it again against its service"),
          ),
        );
      }
      for (const c of conns) {
        const status = c.privateLinkServiceConnectionState?.status;
        if (!sameText(status, "Approved")) {
          out.push(
            finding(
              this,
              e.endpoint.id ?? "",
              `connection to ${lastSegment(c.privateLinkServiceId)} is ${status ?? "in an unknown state"}${c.privateLinkServiceConnectionState?.description ? ` (${c.privateLinkServiceConnectionState.description})` : ""}`,
              fixWith(ctx, `approve it on the target: Networking > Private endpoint connections > Approve (az network private-endpoint-connection approve --id <connection id>)`),
            ),
          );
        }
      }
    }
    return { examined: inv.privateEndpoints.length, findings: out };
  },
};

const endpointZoneGroup: Check = {
  id: "private-endpoint-dns-zone-group",
  title: "A DNS zone group on every private endpoint",
  why: "The zone group is what writes the endpoint's private IP into the private DNS zone; without it the service's name resolves to its public address and traffic leaves the VNet (or fails).",
  run(inv, ctx) {
    const out: Finding[] = [];
    for (const e of inv.privateEndpoints) {
      const configs = e.zoneGroups.flatMap((g) => g.privateDnsZoneConfigs ?? []);
      if (e.zoneGroups.length === 0 || configs.length === 0) {
        out.push(
          finding(
            this,
            e.endpoint.id ?? "",
            "the private endpoint has no private DNS zone group",
            fixWith(
              ctx,
              `az network private-endpoint dns-zone-group create -g ${inv.resourceGroup} --endpoint-name ${e.endpoint.name} -n default --private-dns-zone <zone id> --zone-name <zone>`,
            ),
          ),
        );
      }
    }
    return { examined: inv.privateEndpoints.length, findings: out };
  },
};

const dnsRecords: Check = {
  id: "private-dns-records",
  title: "The A records of every private endpoint in its private DNS zones",
  why: "Clients in the VNet resolve the service's name through these records; a missing or wrong record sends them to the public endpoint, which is closed.",
  run(inv, ctx) {
    const out: Finding[] = [];
    let examined = 0;
    for (const e of inv.privateEndpoints) {
      for (const g of e.zoneGroups) {
        for (const cfg of g.privateDnsZoneConfigs ?? []) {
          const zone = inv.dnsZones.find((z) => sameId(z.id, cfg.privateDnsZoneId));
          if (!zone) {
            out.push(
              finding(
                this,
                e.endpoint.id ?? "",
                `its zone group points at the private DNS zone ${lastSegment(cfg.privateDnsZoneId)}, which does not exist`,
                fixWith(ctx, `create the private DNS zone ${lastSegment(cfg.privateDnsZoneId)}, link it to the VNet and re-create the zone group`),
              ),
            );
            continue;
          }
          for (const rs of cfg.recordSets ?? []) {
            if (rs.recordType !== undefined && !sameText(rs.recordType, "A")) continue;
            examined += 1;
            const record = zone.aRecords.find((a) => sameText(a.name, rs.recordSetName));
            const have = new Set((record?.aRecords ?? []).map((a) => a.ipv4Address ?? ""));
            const missing = (rs.ipAddresses ?? []).filter((ip) => !have.has(ip));
            if (!record || missing.length > 0) {
              out.push(
                finding(
                  this,
                  zone.id,
                  `${!record ? "no A record" : `the A record lacks ${missing.join(", ")}`} for ${rs.recordSetName}.${zone.name} (private endpoint ${e.endpoint.name}, ${(rs.ipAddresses ?? []).join(", ")})`,
                  fixWith(
                    ctx,
                    `re-create the DNS zone group of ${e.endpoint.name} (it rewrites the records), or add the A record ${rs.recordSetName} → ${(rs.ipAddresses ?? []).join(", ")} to ${zone.name}`,
                  ),
                  zone.name,
                ),
              );
            }
          }
        }
      }
    }
    return { examined, findings: out };
  },
};

const zoneLinks: Check = {
  id: "private-dns-zone-link",
  title: "Every private DNS zone linked to the VNet",
  why: "A private DNS zone answers only inside the VNets it is linked to; without the link the VNet resolves the service to its public address.",
  run(inv, ctx) {
    const out: Finding[] = [];
    for (const zone of inv.dnsZones) {
      for (const vnetId of ctx.endpointVnetIds) {
        const linked = zone.links.some((l) => sameId(l.virtualNetwork?.id, vnetId));
        if (!linked) {
          out.push(
            finding(
              this,
              zone.id,
              `not linked to the virtual network ${lastSegment(vnetId)}`,
              fixWith(ctx, `az network private-dns link vnet create -g ${inv.resourceGroup} -z ${zone.name} -n ${lastSegment(vnetId)}-link -v ${vnetId} -e false`),
              zone.name,
            ),
          );
        }
      }
    }
    return { examined: inv.dnsZones.length, findings: out };
  },
};

const monitorScope: Check = {
  id: "monitor-private-link-scope",
  title: "Application Insights and Log Analytics reached through an Azure Monitor private link scope",
  why: "Ingestion and queries of the workspace's telemetry only go over the private link when the component and its Log Analytics workspace are scoped resources of a private link scope that has a private endpoint in the VNet.",
  run(inv, ctx) {
    const out: Finding[] = [];
    const monitored = [
      ...inv.appInsights.map((c) => ({ id: c.id ?? "", kind: "Application Insights component" })),
      ...inv.logAnalytics.map((w) => ({ id: w.id ?? "", kind: "Log Analytics workspace" })),
    ];
    for (const m of monitored) {
      const scopes = inv.privateLinkScopes.filter((s) => s.linkedResourceIds.some((id) => sameId(id, m.id)));
      if (scopes.length === 0) {
        out.push(
          finding(
            this,
            m.id,
            `the ${m.kind} is not a scoped resource of any Azure Monitor private link scope in ${inv.resourceGroup}`,
            fixWith(
              ctx,
              `add it to the private link scope: az monitor private-link-scope scoped-resource create -g ${inv.resourceGroup} --scope-name <scope> -n ${lastSegment(m.id)}-scoped --linked-resource ${m.id}`,
            ),
          ),
        );
        continue;
      }
      const withEndpoint = scopes.some((s) => inv.privateEndpoints.some((e) => connectionsOf(e).some((c) => sameId(c.privateLinkServiceId, s.id))));
      if (!withEndpoint) {
        out.push(
          finding(
            this,
            m.id,
            `its private link scope ${scopes.map((s) => s.name).join(", ")} has no private endpoint in ${inv.resourceGroup}`,
            fixWith(ctx, "create a private endpoint (sub-resource azuremonitor) for the scope in the Training subnet"),
          ),
        );
      }
    }
    return { examined: monitored.length, findings: out };
  },
};

const monitorModes: Check = {
  id: "monitor-access-modes",
  title: "Azure Monitor private link scope access modes Private Only",
  why: "With Open access modes, clients in the VNet may still send telemetry to and query Azure Monitor resources outside the scope over public endpoints (data exfiltration path); the tutorial sets ingestion and query to Private Only.",
  run(inv, ctx) {
    const out: Finding[] = [];
    for (const s of inv.privateLinkScopes) {
      const bad = [
        ...(sameText(s.ingestionAccessMode, "PrivateOnly") ? [] : [`ingestion access mode is ${s.ingestionAccessMode ?? "unset (Open)"}`]),
        ...(sameText(s.queryAccessMode, "PrivateOnly") ? [] : [`query access mode is ${s.queryAccessMode ?? "unset (Open)"}`]),
      ];
      if (bad.length > 0) {
        out.push(
          finding(
            this,
            s.id,
            bad.join("; "),
            fixWith(
              ctx,
              `Azure portal: the private link scope > Access modes > Private Only for ingestion and query (or az monitor private-link-scope update with accessModeSettings)`,
            ),
          ),
        );
      }
    }
    return { examined: inv.privateLinkScopes.length, findings: out };
  },
};

const jumpboxPublicIp: Check = {
  id: "jumpbox-no-public-ip",
  title: "No public IP on the jump box (every VM of the group)",
  why: "The jump box is meant to be reached through Bastion only; a public IP exposes RDP to the internet and bypasses the VNet boundary.",
  run(inv, ctx) {
    const out: Finding[] = [];
    for (const vm of inv.virtualMachines) {
      for (const ref of vm.networkProfile?.networkInterfaces ?? []) {
        const nic = inv.networkInterfaces.find((n) => sameId(n.id, ref.id));
        for (const ipc of nic?.ipConfigurations ?? []) {
          if (ipc.publicIPAddress?.id) {
            out.push(
              finding(
                this,
                vm.id ?? "",
                `network interface ${nic?.name} (${ipc.name}) has the public IP ${lastSegment(ipc.publicIPAddress.id)}`,
                fixWith(
                  ctx,
                  `az network nic ip-config update -g ${inv.resourceGroup} --nic-name ${nic?.name} -n ${ipc.name} --remove publicIpAddress; connect through Bastion instead`,
                ),
                vm.name,
              ),
            );
          }
        }
      }
    }
    return { examined: inv.virtualMachines.length, findings: out };
  },
};

function mlComputes(inv: Inventory): Array<{ workspace: string; compute: ComputeResource; type?: string; props?: { enableNodePublicIp?: boolean; subnet?: { id?: string } } }> {
  return inv.workspaces.flatMap(({ workspace, computes }) =>
    computes
      .map((c) => ({ workspace: workspace.name ?? "", compute: c, ...computeProps(c) }))
      .filter((c) => c.computeType === "AmlCompute" || c.computeType === "ComputeInstance")
      .map(({ computeType, ...rest }) => ({ ...rest, type: computeType })),
  );
}

const computePublicIp: Check = {
  id: "compute-no-public-ip",
  title: "Compute cluster and instance without public node IPs",
  why: "Nodes with public IPs are reachable from the internet and send traffic outside the VNet; the secure setup keeps them private (no public IP).",
  run(inv, ctx) {
    const out: Finding[] = [];
    const computes = mlComputes(inv);
    for (const c of computes) {
      if (c.props?.enableNodePublicIp !== false) {
        out.push(
          finding(
            this,
            c.compute.id ?? "",
            `${c.type === "ComputeInstance" ? "compute instance" : "compute cluster"} has enableNodePublicIp ${c.props?.enableNodePublicIp ?? "unset (true)"}`,
            fixWith(ctx, `this is fixed at creation: delete the compute and create it again with "No public IP" (enableNodePublicIp false) in the Training subnet`),
          ),
        );
      }
    }
    return { examined: computes.length, findings: out };
  },
};

const computeSubnet: Check = {
  id: "compute-in-training-subnet",
  title: "Compute cluster and instance in the Training subnet",
  why: "Compute outside the VNet cannot reach the workspace's storage, key vault and registry through their private endpoints, and is not covered by the VNet's controls.",
  run(inv, ctx) {
    const out: Finding[] = [];
    const computes = mlComputes(inv);
    for (const c of computes) {
      const subnet = c.props?.subnet?.id;
      const kind = c.type === "ComputeInstance" ? "compute instance" : "compute cluster";
      if (!subnet) {
        out.push(
          finding(
            this,
            c.compute.id ?? "",
            `${kind} is not in a virtual network subnet`,
            fixWith(ctx, "this is fixed at creation: delete the compute and create it again in the Training subnet"),
          ),
        );
      } else if (ctx.trainingSubnets.length > 0 && !ctx.trainingSubnets.some((t) => sameId(t.subnet.id, subnet))) {
        out.push(
          finding(
            this,
            c.compute.id ?? "",
            `${kind} is in subnet ${lastSegment(subnet)}, not ${ctx.trainingSubnets.map((t) => t.subnet.name).join(" or ")}`,
            fixWith(ctx, "this is fixed at creation: delete the compute and create it again in the Training subnet"),
          ),
        );
      }
    }
    return { examined: computes.length, findings: out };
  },
};

const ROLES_COVERING_READER = [READER_ROLE_ID, "b24988ac-6180-42a0-ab88-20f7382dd24c", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"];

const storageReader: Check = {
  id: "storage-endpoint-reader",
  title: "Reader role for the workspace identity on each storage private endpoint",
  why: "The studio reads the storage private endpoints as the workspace's identity (the tutorial's \"Enable studio\" step); without Reader, data preview and datastore browsing fail behind the VNet.",
  run(inv, ctx) {
    const out: Finding[] = [];
    const principals = inv.workspaces.map((w) => ({ name: w.workspace.name ?? "", principalId: w.workspace.identity?.principalId })).filter((p) => p.principalId);
    let examined = 0;
    for (const e of inv.privateEndpoints) {
      if (!e.roleAssignments) continue;
      examined += 1;
      for (const p of principals) {
        const has = e.roleAssignments.some(
          (ra) =>
            sameText(ra.principalId, p.principalId) &&
            ROLES_COVERING_READER.some((role) => sameText(lastSegment(ra.roleDefinitionId), role)) &&
            (ra.scope === undefined || isWithin(e.endpoint.id, ra.scope)),
        );
        if (!has) {
          out.push(
            finding(
              this,
              e.endpoint.id ?? "",
              `the identity of workspace ${p.name} (${p.principalId}) has no Reader role on this storage private endpoint`,
              fixWith(ctx, `az role assignment create --assignee-object-id ${p.principalId} --assignee-principal-type ServicePrincipal --role Reader --scope ${e.endpoint.id}`),
            ),
          );
        }
      }
    }
    return { examined, findings: out };
  },
};

const imageBuild: Check = {
  id: "image-build-compute",
  title: "Image builds set to the compute cluster",
  why: "With the registry behind the VNet, Azure Machine Learning cannot build Docker images on the registry's own build service; without an image-build compute, environment builds fail.",
  run(inv, ctx) {
    const out: Finding[] = [];
    for (const { workspace, computes } of inv.workspaces) {
      const name = workspace.imageBuildCompute;
      const clusters = computes.filter((c) => computeProps(c).computeType === "AmlCompute");
      if (!name) {
        out.push(
          finding(
            this,
            workspace.id ?? "",
            "imageBuildCompute is not set",
            fixWith(ctx, `az ml workspace update -g ${inv.resourceGroup} -n ${workspace.name} -i ${clusters[0]?.name ?? "<compute cluster>"}`),
          ),
        );
      } else if (!clusters.some((c) => sameText(c.name, name))) {
        out.push(
          finding(
            this,
            workspace.id ?? "",
            `imageBuildCompute is ${name}, which is not a compute cluster of the workspace`,
            fixWith(
              ctx,
              `create the cluster ${name} in the Training subnet, or point image builds at an existing one: az ml workspace update -g ${inv.resourceGroup} -n ${workspace.name} -i <cluster>`,
            ),
          ),
        );
      }
    }
    return { examined: inv.workspaces.length, findings: out };
  },
};

function describeBlocked(items: BlockedFlow[]): string {
  const first = items[0]!;
  const ports = items.map((b) => b.port).join(", ");
  const rules = [...new Set(items.map((b) => `${b.rule} (priority ${b.priority})`))].join(", ");
  const where = first.flow.direction === "Inbound" ? `inbound from ${first.flow.serviceTag}` : `outbound to ${first.flow.serviceTag}`;
  return `${items.some((b) => b.partial) ? "partly blocks" : "blocks"} ${where} ${first.flow.protocol === "*" ? "" : `${first.flow.protocol} `}port ${ports} (${first.flow.reason}) by rule ${rules}`;
}

const trainingNsg: Check = {
  id: "training-nsg-rules",
  title: "No NSG on the Training subnet blocks what training needs",
  why: "Compute nodes are managed through inbound BatchNodeManagement (29876-29877) and AzureMachineLearning (44224), and training needs outbound access to the service tags of the training page; a blocking rule leaves clusters unusable or jobs failing.",
  run(inv, ctx) {
    const out: Finding[] = [];
    const attached = inv.workspaces.some(({ computes }) => computes.some((c) => ["VirtualMachine", "HDInsight"].includes(computeProps(c).computeType ?? "")));
    let examined = 0;
    for (const { subnet } of ctx.trainingSubnets) {
      const nsg = inv.networkSecurityGroups.find((n) => sameId(n.id, subnet.networkSecurityGroup?.id));
      if (!nsg) continue;
      examined += 1;
      // Outbound restricted (a Deny to the internet): the flows of the restricted list, in the region.
      const restricted = ctx.expected.restrictOutbound === true || (nsg.securityRules ?? []).some(isInternetDeny);
      const required = restricted
        ? restrictedTrainingFlows(ctx.expected.location ?? nsg.location ?? inv.group?.location ?? "", ctx.expected.cloud ?? "AzureCloud")
        : REQUIRED_TRAINING_FLOWS;
      const flows = attached ? [ATTACHED_COMPUTE_SSH_FLOW, ...required] : required;
      const blocked = blockedFlows(nsg, subnetPrefixes(subnet), flows);
      const byFlow = new Map<string, BlockedFlow[]>();
      for (const b of blocked) {
        const key = `${b.flow.direction}|${b.flow.serviceTag}|${b.flow.protocol}|${b.flow.ports.join(",")}`;
        byFlow.set(key, [...(byFlow.get(key) ?? []), b]);
      }
      for (const items of byFlow.values()) {
        const f = items[0]!.flow;
        out.push(
          finding(
            this,
            nsg.id ?? "",
            `on subnet ${subnet.name}: ${describeBlocked(items)}`,
            fixWith(
              ctx,
              `add an Allow rule with a lower priority number than the blocking rule: az network nsg rule create -g ${parseGroup(nsg.id) ?? inv.resourceGroup} --nsg-name ${nsg.name} -n Allow${f.serviceTag.replace(/[^A-Za-z0-9]/g, "")}${f.direction} --priority <below ${items[0]!.priority}> --direction ${f.direction} --access Allow --protocol ${f.protocol === "*" ? "'*'" : f.protocol} ${f.direction === "Inbound" ? `--source-address-prefixes ${f.serviceTag} --destination-address-prefixes VirtualNetwork` : `--source-address-prefixes VirtualNetwork --destination-address-prefixes ${f.serviceTag}`} --destination-port-ranges ${f.ports.join(" ")}`,
            ),
            nsg.name,
          ),
        );
      }
    }
    return { examined, findings: out };
  },
};

// ---------------------------------------------------------------------------------------------
// Training page: Azure Databricks and restricted outbound

function delegatedToDatabricks(subnet: Subnet | undefined): boolean {
  return (subnet?.delegations ?? []).some((d) => sameText(d.serviceName, DATABRICKS_DELEGATION));
}

/** The VNets (with subnet names) Databricks uses or should use: injected workspaces, delegated or named subnets, the recorded config. */
function databricksNetworks(inv: Inventory, ctx: CheckContext): Array<{ vnetId: string; vnet?: VirtualNetwork; publicName: string; privateName: string; via: string }> {
  const out = new Map<string, { vnetId: string; vnet?: VirtualNetwork; publicName: string; privateName: string; via: string }>();
  for (const w of inv.databricksWorkspaces) {
    const vnetId = w.parameters?.customVirtualNetworkId?.value;
    if (!vnetId) continue;
    out.set(vnetId.toLowerCase(), {
      vnetId,
      vnet: inv.virtualNetworks.find((v) => sameId(v.id, vnetId)),
      publicName: w.parameters?.customPublicSubnetName?.value ?? SUBNET_DATABRICKS_PUBLIC,
      privateName: w.parameters?.customPrivateSubnetName?.value ?? SUBNET_DATABRICKS_PRIVATE,
      via: `Azure Databricks workspace ${w.name ?? ""}`,
    });
  }
  for (const vnet of inv.virtualNetworks) {
    if (!vnet.id || out.has(vnet.id.toLowerCase())) continue;
    const named = (vnet.subnets ?? []).some((s) => sameText(s.name, SUBNET_DATABRICKS_PUBLIC) || sameText(s.name, SUBNET_DATABRICKS_PRIVATE) || delegatedToDatabricks(s));
    if (named || ctx.expected.databricks === true) {
      out.set(vnet.id.toLowerCase(), {
        vnetId: vnet.id,
        vnet,
        publicName: SUBNET_DATABRICKS_PUBLIC,
        privateName: SUBNET_DATABRICKS_PRIVATE,
        via: named ? `subnets of ${vnet.name ?? ""}` : "the recorded --databricks",
      });
    }
  }
  return [...out.values()];
}

const databricksSubnets: Check = {
  id: "databricks-subnets",
  title: "Azure Databricks subnets present, delegated and behind a network security group",
  why: "The training page: Azure Databricks in the VNet needs its databricks-public and databricks-private subnets delegated to Microsoft.Databricks/workspaces with a network security group, and the default subnet too; without them clusters cannot start in the VNet.",
  run(inv, ctx) {
    const out: Finding[] = [];
    const networks = databricksNetworks(inv, ctx);
    for (const n of networks) {
      if (!n.vnet) {
        out.push(
          finding(
            this,
            n.vnetId,
            `${n.via} is injected into virtual network ${lastSegment(n.vnetId)}, which is not in resource group ${inv.resourceGroup}`,
            "keep the Databricks VNet in the deployment's resource group (same subscription and region as the workspace)",
          ),
        );
        continue;
      }
      const subnets = n.vnet.subnets ?? [];
      const group = parseGroup(n.vnet.id) ?? inv.resourceGroup;
      for (const name of [n.publicName, n.privateName]) {
        const subnet = subnets.find((s) => sameText(s.name, name));
        const id = `${n.vnet.id ?? n.vnetId}/subnets/${name}`;
        if (!subnet) {
          out.push(
            finding(
              this,
              id,
              `subnet ${name} is missing from ${n.vnet.name ?? ""}`,
              fixWith(
                ctx,
                `az network vnet subnet create -g ${group} --vnet-name ${n.vnet.name ?? ""} -n ${name} --address-prefixes <cidr, /26 or larger> --delegations ${DATABRICKS_DELEGATION} --network-security-group <nsg>`,
              ),
              name,
            ),
          );
          continue;
        }
        if (!delegatedToDatabricks(subnet)) {
          out.push(
            finding(
              this,
              subnet.id ?? id,
              `subnet ${name} is not delegated to ${DATABRICKS_DELEGATION}`,
              fixWith(ctx, `az network vnet subnet update -g ${group} --vnet-name ${n.vnet.name ?? ""} -n ${name} --delegations ${DATABRICKS_DELEGATION}`),
              name,
            ),
          );
        }
        if (!subnet.networkSecurityGroup?.id) {
          out.push(
            finding(
              this,
              subnet.id ?? id,
              `subnet ${name} has no network security group`,
              fixWith(ctx, `az network vnet subnet update -g ${group} --vnet-name ${n.vnet.name ?? ""} -n ${name} --network-security-group <the Databricks NSG>`),
              name,
            ),
          );
        }
      }
      if (!subnets.some((s) => sameText(s.name, SUBNET_DEFAULT))) {
        out.push(
          finding(
            this,
            `${n.vnet.id ?? n.vnetId}/subnets/${SUBNET_DEFAULT}`,
            `the default subnet the training page also requires is missing from ${n.vnet.name ?? ""}`,
            fixWith(ctx, `az network vnet subnet create -g ${group} --vnet-name ${n.vnet.name ?? ""} -n ${SUBNET_DEFAULT} --address-prefixes <cidr>`),
            SUBNET_DEFAULT,
          ),
        );
      }
    }
    return { examined: networks.length, findings: out };
  },
};

const databricksInjection: Check = {
  id: "databricks-workspace-injection",
  title: "Azure Databricks workspaces in the workspace's VNet, without public IPs",
  why: "The training page: the VNet must be in the same subscription and region as the Azure Machine Learning workspace and the storage must be secured in that same VNet; clusters with public IPs bypass the network isolation.",
  run(inv, ctx) {
    const out: Finding[] = [];
    const mlLocations = inv.workspaces.map((w) => w.workspace.location ?? "").filter((l) => l !== "");
    const storageVnets = inv.privateEndpoints
      .filter((e) => connectionsOf(e).some((c) => sameText(typeOfId(c.privateLinkServiceId ?? ""), "Microsoft.Storage/storageAccounts")))
      .map((e) => (e.endpoint.subnet?.id ?? "").replace(/\/subnets\/[^/]+$/i, ""));
    for (const w of inv.databricksWorkspaces) {
      const id = w.id ?? "";
      const name = w.name ?? lastSegment(id);
      const vnetId = w.parameters?.customVirtualNetworkId?.value;
      if (!vnetId) {
        out.push(
          finding(
            this,
            id,
            "is not injected into a virtual network (Azure Databricks manages its own)",
            `VNet injection is fixed at creation: delete ${name} and run \`secure-aml init --databricks --databricks-workspace ${name}\``,
            name,
          ),
        );
        continue;
      }
      const vnetSubscription = /^\/subscriptions\/([^/]+)/i.exec(vnetId)?.[1];
      if (!sameText(vnetSubscription, inv.subscriptionId)) {
        out.push(
          finding(
            this,
            id,
            `its virtual network is in subscription ${vnetSubscription ?? "?"}, not the workspace's ${inv.subscriptionId}`,
            "recreate the Databricks workspace in the Azure Machine Learning workspace's VNet",
            name,
          ),
        );
      }
      const vnet = inv.virtualNetworks.find((v) => sameId(v.id, vnetId));
      const region = (text: string | undefined) => (text ?? "").replace(/\s/g, "").toLowerCase();
      if (vnet && mlLocations.length > 0 && !mlLocations.some((l) => region(l) === region(vnet.location))) {
        out.push(
          finding(
            this,
            id,
            `its virtual network is in ${vnet.location ?? "?"}, the Azure Machine Learning workspace in ${mlLocations.join(", ")}`,
            "recreate the Databricks workspace in a VNet of the Azure Machine Learning workspace's region",
            name,
          ),
        );
      }
      if (storageVnets.length > 0 && !storageVnets.some((v) => sameId(v, vnetId))) {
        out.push(
          finding(
            this,
            id,
            `its virtual network ${lastSegment(vnetId)} is not the one the storage account is secured in (${[...new Set(storageVnets.map(lastSegment))].join(", ")})`,
            "inject the Databricks workspace into the VNet of the storage's private endpoints",
            name,
          ),
        );
      }
      if (w.parameters?.enableNoPublicIp?.value !== true) {
        out.push(
          finding(
            this,
            id,
            "its clusters get public IP addresses (enableNoPublicIp is off)",
            fixWith(ctx, `az databricks workspace update -g ${inv.resourceGroup} -n ${name} --enable-no-public-ip`),
            name,
          ),
        );
      }
    }
    return { examined: inv.databricksWorkspaces.length, findings: out };
  },
};

function portsOf(rule: SecurityRule): string[] {
  return [...(rule.destinationPortRange ? [rule.destinationPortRange] : []), ...(rule.destinationPortRanges ?? [])];
}

function coversPort(ranges: string[], port: string): boolean {
  if (port === "*") return ranges.includes("*");
  const p = Number(port);
  return ranges.some((r) => {
    if (r === "*") return true;
    const [lo, hi] = r.split("-").map(Number);
    return lo !== undefined && (hi === undefined ? lo === p : lo <= p && p <= hi);
  });
}

function destinationsOf(rule: SecurityRule): string[] {
  return [...(rule.destinationAddressPrefix ? [rule.destinationAddressPrefix] : []), ...(rule.destinationAddressPrefixes ?? [])];
}

/** An Allow that lets the wanted flow out: its tag (regional or global form), protocol and every port. */
function allows(rule: SecurityRule, wanted: NsgRule): boolean {
  if (!sameText(rule.direction, "Outbound") || !sameText(rule.access, "Allow")) return false;
  const globalTag = wanted.destination.split(".")[0] ?? wanted.destination;
  const tags = destinationsOf(rule);
  const tagOk = tags.some(
    (t) => sameText(t, wanted.destination) || (wanted.destination.includes(".") && !wanted.destination.startsWith("AzureFrontDoor") && sameText(t, globalTag)),
  );
  const protocolOk = rule.protocol === "*" || (wanted.protocol !== "*" && sameText(rule.protocol, wanted.protocol));
  return tagOk && protocolOk && wanted.ports.every((p) => coversPort(portsOf(rule), p));
}

function isInternetDeny(rule: SecurityRule): boolean {
  return sameText(rule.direction, "Outbound") && sameText(rule.access, "Deny") && destinationsOf(rule).some((d) => sameText(d, "Internet") || d === "*");
}

const restrictedOutbound: Check = {
  id: "restricted-outbound",
  title: "Restricted outbound: only the service tags training needs, the rest of the internet denied",
  why: 'Microsoft\'s "required public internet access to train models": with outbound restricted, training works only when each required service tag is allowed above the Deny to the internet, and the Deny comes after them.',
  run(inv, ctx) {
    const out: Finding[] = [];
    let examined = 0;
    for (const { subnet } of ctx.trainingSubnets) {
      const nsg: NetworkSecurityGroup | undefined = inv.networkSecurityGroups.find((n) => sameId(n.id, subnet.networkSecurityGroup?.id));
      const rules = nsg?.securityRules ?? [];
      const denies = rules.filter(isInternetDeny);
      if (denies.length === 0 && ctx.expected.restrictOutbound !== true) continue; // outbound not restricted here
      examined += 1;
      const nsgId = nsg?.id ?? subnet.id ?? "";
      const nsgName = nsg?.name ?? `(no NSG on ${subnet.name ?? ""})`;
      const group = parseGroup(nsg?.id) ?? inv.resourceGroup;
      const location = ctx.expected.location ?? nsg?.location ?? inv.group?.location ?? "";
      if (denies.length === 0) {
        out.push(
          finding(
            this,
            nsgId,
            `on subnet ${subnet.name ?? ""}: no outbound Deny to Internet, so outbound is not restricted`,
            fixWith(
              ctx,
              `az network nsg rule create -g ${group} --nsg-name ${nsgName} -n ${DENY_INTERNET_RULE} --priority 4000 --direction Outbound --access Deny --protocol '*' --destination-address-prefixes Internet --destination-port-ranges '*'`,
            ),
            nsgName,
          ),
        );
        continue;
      }
      const deny = denies.reduce((a, b) => ((a.priority ?? 0) <= (b.priority ?? 0) ? a : b));
      const denyPriority = deny.priority ?? 4096;
      const wanted = restrictedOutboundRules(location, ctx.expected.cloud ?? "AzureCloud").filter((r) => (r.access ?? "Allow") === "Allow");
      for (const w of wanted) {
        const allowing = rules.filter((r) => allows(r, w));
        if (allowing.length === 0) {
          out.push(
            finding(
              this,
              nsgId,
              `on subnet ${subnet.name ?? ""}: no outbound Allow to ${w.destination} ${w.protocol === "*" ? "" : `${w.protocol} `}port ${w.ports.join(", ")} (${w.reason})`,
              fixWith(
                ctx,
                `az network nsg rule create -g ${group} --nsg-name ${nsgName} -n ${w.name} --priority ${w.priority} --direction Outbound --access Allow --protocol ${w.protocol === "*" ? "'*'" : w.protocol} --source-address-prefixes VirtualNetwork --destination-address-prefixes ${w.destination} --destination-port-ranges ${w.ports.join(" ")}`,
              ),
              nsgName,
            ),
          );
        } else if (!allowing.some((r) => (r.priority ?? 4096) < denyPriority)) {
          out.push(
            finding(
              this,
              nsgId,
              `on subnet ${subnet.name ?? ""}: the Allow to ${w.destination} (priority ${allowing[0]?.priority ?? "?"}) comes after the Deny ${deny.name ?? ""} (priority ${denyPriority}), so it never applies`,
              fixWith(
                ctx,
                `give the Deny a higher priority number than every Allow: az network nsg rule update -g ${group} --nsg-name ${nsgName} -n ${deny.name ?? DENY_INTERNET_RULE} --priority 4000`,
              ),
              nsgName,
            ),
          );
        }
      }
      // The Deny last: no custom outbound rule after it (only Azure's defaults, 65000+, follow).
      const after = rules.filter((r) => sameText(r.direction, "Outbound") && sameText(r.access, "Allow") && (r.priority ?? 0) > denyPriority);
      if (after.length > 0) {
        out.push(
          finding(
            this,
            nsgId,
            `on subnet ${subnet.name ?? ""}: the Deny ${deny.name ?? ""} (priority ${denyPriority}) is not the last outbound rule: ${after.map((r) => `${r.name ?? ""} (${r.priority ?? "?"})`).join(", ")} come after it and never apply`,
            fixWith(ctx, `move the Deny below them: az network nsg rule update -g ${group} --nsg-name ${nsgName} -n ${deny.name ?? DENY_INTERNET_RULE} --priority 4096`),
            nsgName,
          ),
        );
      }
      // Anything open to the whole internet before the Deny defeats it.
      const open = rules.filter(
        (r) =>
          sameText(r.direction, "Outbound") &&
          sameText(r.access, "Allow") &&
          (r.priority ?? 0) < denyPriority &&
          destinationsOf(r).some((d) => sameText(d, "Internet") || d === "*"),
      );
      for (const r of open) {
        out.push(
          finding(
            this,
            nsgId,
            `on subnet ${subnet.name ?? ""}: rule ${r.name ?? ""} (priority ${r.priority ?? "?"}) allows outbound to ${destinationsOf(r).join(", ")} before the Deny`,
            fixWith(ctx, `az network nsg rule delete -g ${group} --nsg-name ${nsgName} -n ${r.name ?? ""}`),
            nsgName,
          ),
        );
      }
    }
    return { examined, findings: out };
  },
};

const attachedComputeSsh: Check = {
  id: "attached-compute-ssh",
  title: "Every attached VM lets Azure Machine Learning in on port 22",
  why: "Azure Machine Learning reaches an attached VM over SSH from its AzureMachineLearning service tag (training page); an NSG in front of the VM (its NIC's or its subnet's) that blocks inbound port 22 from that tag makes the compute unusable.",
  run(inv, ctx) {
    const out: Finding[] = [];
    let examined = 0;
    for (const { computes } of inv.workspaces) {
      for (const c of computes) {
        const outer = c.properties as { computeType?: string; resourceId?: string } | undefined;
        if (outer?.computeType !== "VirtualMachine" || !outer.resourceId) continue;
        const vm = inv.virtualMachines.find((v) => sameId(v.id, outer.resourceId));
        // A VM in another resource group is not in this inventory: nothing to read here.
        if (!vm) continue;
        examined += 1;
        const nicRef = (vm.networkProfile?.networkInterfaces ?? []).find((n) => n.primary) ?? vm.networkProfile?.networkInterfaces?.[0];
        const nic = inv.networkInterfaces.find((n) => sameId(n.id, nicRef?.id));
        const ipc = (nic?.ipConfigurations ?? []).find((i) => i.primary) ?? nic?.ipConfigurations?.[0];
        const subnet = inv.virtualNetworks.flatMap((v) => v.subnets ?? []).find((s) => sameId(s.id, ipc?.subnet?.id));
        const prefixes = ipc?.privateIPAddress ? [`${ipc.privateIPAddress}/32`] : subnet ? subnetPrefixes(subnet) : [];
        for (const nsgId of [subnet?.networkSecurityGroup?.id, nic?.networkSecurityGroup?.id]) {
          const nsg = inv.networkSecurityGroups.find((n) => sameId(n.id, nsgId));
          if (!nsg) continue;
          const blocked = blockedFlows(nsg, prefixes, [ATTACHED_COMPUTE_SSH_FLOW]);
          if (blocked.length === 0) continue;
          out.push(
            finding(
              this,
              nsg.id ?? "",
              `in front of the attached VM ${vm.name} (compute ${c.name}): ${describeBlocked(blocked)}`,
              fixWith(
                ctx,
                `az network nsg rule create -g ${parseGroup(nsg.id) ?? inv.resourceGroup} --nsg-name ${nsg.name} -n AllowAzureMachineLearningSsh --priority <below ${blocked[0]!.priority}> --direction Inbound --access Allow --protocol '*' --source-address-prefixes AzureMachineLearning --source-port-ranges '*' --destination-address-prefixes '*' --destination-port-ranges 22`,
              ),
              nsg.name,
            ),
          );
        }
      }
    }
    return { examined, findings: out };
  },
};

function parseGroup(id: string | undefined): string | undefined {
  const m = /\/resourceGroups\/([^/]+)/i.exec(id ?? "");
  return m?.[1];
}

const CHECKS: readonly Check[] = [
  publicNetworkAccess,
  endpointPresent,
  endpointApproved,
  endpointZoneGroup,
  dnsRecords,
  zoneLinks,
  monitorScope,
  monitorModes,
  jumpboxPublicIp,
  computePublicIp,
  computeSubnet,
  storageReader,
  imageBuild,
  trainingNsg,
  databricksSubnets,
  databricksInjection,
  restrictedOutbound,
  attachedComputeSsh,
];

/** Derives the subnets and VNets several checks share. */
function checkContext(inv: Inventory, managed: boolean, expected: ExpectedFeatures): CheckContext {
  const named: CheckContext["trainingSubnets"] = [];
  for (const vnet of inv.virtualNetworks) for (const subnet of vnet.subnets ?? []) if (sameText(subnet.name, SUBNET_TRAINING)) named.push({ vnet, subnet });
  let trainingSubnets = named;
  if (trainingSubnets.length === 0) {
    // Not the tutorial's naming: the subnet that holds the workspace's private endpoint.
    const wsEndpoints = inv.privateEndpoints.filter((e) =>
      connectionsOf(e).some((c) => sameText(typeOfId(c.privateLinkServiceId ?? ""), "Microsoft.MachineLearningServices/workspaces")),
    );
    for (const e of wsEndpoints) {
      for (const vnet of inv.virtualNetworks) for (const subnet of vnet.subnets ?? []) if (sameId(subnet.id, e.endpoint.subnet?.id)) trainingSubnets.push({ vnet, subnet });
    }
    trainingSubnets = trainingSubnets.filter((t, i, all) => all.findIndex((o) => sameId(o.subnet.id, t.subnet.id)) === i);
  }
  const vnetIds = new Map<string, string>();
  for (const e of inv.privateEndpoints) {
    const subnetId = e.endpoint.subnet?.id;
    if (subnetId) {
      const vnetId = subnetId.replace(/\/subnets\/[^/]+$/i, "");
      vnetIds.set(vnetId.toLowerCase(), vnetId);
    }
  }
  if (vnetIds.size === 0) for (const v of inv.virtualNetworks) if (v.id) vnetIds.set(v.id.toLowerCase(), v.id);
  return { trainingSubnets, endpointVnetIds: [...vnetIds.values()], managed, expected };
}

/** Runs every check over the inventory. */
export function runChecks(inv: Inventory, managed: boolean, expected: ExpectedFeatures = {}): CheckResult[] {
  const ctx = checkContext(inv, managed, expected);
  return CHECKS.map((check) => {
    const { examined, findings } = check.run(inv, ctx);
    return { id: check.id, title: check.title, examined, findings };
  });
}
