// The network-isolation checks of `secure-aml verify`: small functions over the Inventory (what the
// SDK read back from Azure), each returning findings that name the resource, what is wrong, why it
// matters and how to fix it. docs/verify.md describes every check; keep the two in step.

import type { ComputeResource } from "@azure/arm-machinelearning";
import type { Subnet, VirtualNetwork } from "@azure/arm-network";
import type { Inventory } from "./inventory.js";
import { isWithin, lastSegment, sameId, sameText, typeOfId } from "./ids.js";
import { ATTACHED_COMPUTE_SSH_FLOW, REQUIRED_TRAINING_FLOWS, blockedFlows, type BlockedFlow } from "./nsg.js";
import { READER_ROLE_ID, SUBNET_TRAINING } from "../steps/common.js";

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
        out.push(finding(this, s.id ?? "", `storage account publicNetworkAccess is ${s.publicNetworkAccess ?? "unset (Enabled)"}`, fixWith(ctx, `az storage account update -g ${rg} -n ${s.name} --public-network-access Disabled`)));
      }
    }
    for (const v of inv.keyVaults) {
      if (!sameText(v.properties.publicNetworkAccess, "Disabled")) {
        out.push(finding(this, v.id ?? "", `key vault publicNetworkAccess is ${v.properties.publicNetworkAccess ?? "unset (Enabled)"}`, fixWith(ctx, `az keyvault update -g ${rg} -n ${v.name} --public-network-access Disabled`)));
      }
    }
    for (const r of inv.registries) {
      if (!sameText(r.publicNetworkAccess, "Disabled")) {
        out.push(finding(this, r.id ?? "", `container registry publicNetworkAccess is ${r.publicNetworkAccess ?? "unset (Enabled)"}`, fixWith(ctx, `az acr update -g ${rg} -n ${r.name} --public-network-enabled false`)));
      }
    }
    for (const { workspace: w } of inv.workspaces) {
      if (!sameText(w.publicNetworkAccess, "Disabled")) {
        out.push(finding(this, w.id ?? "", `workspace publicNetworkAccess is ${w.publicNetworkAccess ?? "unset (Enabled)"}`, fixWith(ctx, `az ml workspace update -g ${rg} -n ${w.name} --public-network-access Disabled`)));
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
          out.push(finding(this, w.id, `no private endpoint for sub-resource "${group}" in resource group ${inv.resourceGroup}`, fixWith(ctx, `create a private endpoint for ${lastSegment(w.id)} (target sub-resource ${group}) in the Training subnet with private DNS integration`)));
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
        out.push(finding(this, e.endpoint.id ?? "", "the private endpoint has no private link service connection", fixWith(ctx, "delete the private endpoint and create it again against its service")));
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
        out.push(finding(this, e.endpoint.id ?? "", "the private endpoint has no private DNS zone group", fixWith(ctx, `az network private-endpoint dns-zone-group create -g ${inv.resourceGroup} --endpoint-name ${e.endpoint.name} -n default --private-dns-zone <zone id> --zone-name <zone>`)));
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
            out.push(finding(this, e.endpoint.id ?? "", `its zone group points at the private DNS zone ${lastSegment(cfg.privateDnsZoneId)}, which does not exist`, fixWith(ctx, `create the private DNS zone ${lastSegment(cfg.privateDnsZoneId)}, link it to the VNet and re-create the zone group`)));
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
                  fixWith(ctx, `re-create the DNS zone group of ${e.endpoint.name} (it rewrites the records), or add the A record ${rs.recordSetName} → ${(rs.ipAddresses ?? []).join(", ")} to ${zone.name}`),
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
          out.push(finding(this, zone.id, `not linked to the virtual network ${lastSegment(vnetId)}`, fixWith(ctx, `az network private-dns link vnet create -g ${inv.resourceGroup} -z ${zone.name} -n ${lastSegment(vnetId)}-link -v ${vnetId} -e false`), zone.name));
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
    const monitored = [...inv.appInsights.map((c) => ({ id: c.id ?? "", kind: "Application Insights component" })), ...inv.logAnalytics.map((w) => ({ id: w.id ?? "", kind: "Log Analytics workspace" }))];
    for (const m of monitored) {
      const scopes = inv.privateLinkScopes.filter((s) => s.linkedResourceIds.some((id) => sameId(id, m.id)));
      if (scopes.length === 0) {
        out.push(finding(this, m.id, `the ${m.kind} is not a scoped resource of any Azure Monitor private link scope in ${inv.resourceGroup}`, fixWith(ctx, `add it to the private link scope: az monitor private-link-scope scoped-resource create -g ${inv.resourceGroup} --scope-name <scope> -n ${lastSegment(m.id)}-scoped --linked-resource ${m.id}`)));
        continue;
      }
      const withEndpoint = scopes.some((s) => inv.privateEndpoints.some((e) => connectionsOf(e).some((c) => sameId(c.privateLinkServiceId, s.id))));
      if (!withEndpoint) {
        out.push(finding(this, m.id, `its private link scope ${scopes.map((s) => s.name).join(", ")} has no private endpoint in ${inv.resourceGroup}`, fixWith(ctx, "create a private endpoint (sub-resource azuremonitor) for the scope in the Training subnet")));
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
        out.push(finding(this, s.id, bad.join("; "), fixWith(ctx, `Azure portal: the private link scope > Access modes > Private Only for ingestion and query (or az monitor private-link-scope update with accessModeSettings)`)));
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
                fixWith(ctx, `az network nic ip-config update -g ${inv.resourceGroup} --nic-name ${nic?.name} -n ${ipc.name} --remove publicIpAddress; connect through Bastion instead`),
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
        out.push(finding(this, c.compute.id ?? "", `${c.type === "ComputeInstance" ? "compute instance" : "compute cluster"} has enableNodePublicIp ${c.props?.enableNodePublicIp ?? "unset (true)"}`, fixWith(ctx, `this is fixed at creation: delete the compute and create it again with "No public IP" (enableNodePublicIp false) in the Training subnet`)));
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
        out.push(finding(this, c.compute.id ?? "", `${kind} is not in a virtual network subnet`, fixWith(ctx, "this is fixed at creation: delete the compute and create it again in the Training subnet")));
      } else if (ctx.trainingSubnets.length > 0 && !ctx.trainingSubnets.some((t) => sameId(t.subnet.id, subnet))) {
        out.push(finding(this, c.compute.id ?? "", `${kind} is in subnet ${lastSegment(subnet)}, not ${ctx.trainingSubnets.map((t) => t.subnet.name).join(" or ")}`, fixWith(ctx, "this is fixed at creation: delete the compute and create it again in the Training subnet")));
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
        out.push(finding(this, workspace.id ?? "", "imageBuildCompute is not set", fixWith(ctx, `az ml workspace update -g ${inv.resourceGroup} -n ${workspace.name} -i ${clusters[0]?.name ?? "<compute cluster>"}`)));
      } else if (!clusters.some((c) => sameText(c.name, name))) {
        out.push(finding(this, workspace.id ?? "", `imageBuildCompute is ${name}, which is not a compute cluster of the workspace`, fixWith(ctx, `create the cluster ${name} in the Training subnet, or point image builds at an existing one: az ml workspace update -g ${inv.resourceGroup} -n ${workspace.name} -i <cluster>`)));
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
    const flows = attached ? [ATTACHED_COMPUTE_SSH_FLOW, ...REQUIRED_TRAINING_FLOWS] : REQUIRED_TRAINING_FLOWS;
    let examined = 0;
    for (const { subnet } of ctx.trainingSubnets) {
      const nsg = inv.networkSecurityGroups.find((n) => sameId(n.id, subnet.networkSecurityGroup?.id));
      if (!nsg) continue;
      examined += 1;
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
              fixWith(ctx, `az network nsg rule create -g ${parseGroup(nsg.id) ?? inv.resourceGroup} --nsg-name ${nsg.name} -n AllowAzureMachineLearningSsh --priority <below ${blocked[0]!.priority}> --direction Inbound --access Allow --protocol '*' --source-address-prefixes AzureMachineLearning --source-port-ranges '*' --destination-address-prefixes '*' --destination-port-ranges 22`),
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
  attachedComputeSsh,
];

/** Derives the subnets and VNets several checks share. */
function checkContext(inv: Inventory, managed: boolean): CheckContext {
  const named: CheckContext["trainingSubnets"] = [];
  for (const vnet of inv.virtualNetworks) for (const subnet of vnet.subnets ?? []) if (sameText(subnet.name, SUBNET_TRAINING)) named.push({ vnet, subnet });
  let trainingSubnets = named;
  if (trainingSubnets.length === 0) {
    // Not the tutorial's naming: the subnet that holds the workspace's private endpoint.
    const wsEndpoints = inv.privateEndpoints.filter((e) => connectionsOf(e).some((c) => sameText(typeOfId(c.privateLinkServiceId ?? ""), "Microsoft.MachineLearningServices/workspaces")));
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
  return { trainingSubnets, endpointVnetIds: [...vnetIds.values()], managed };
}

/** Runs every check over the inventory. */
export function runChecks(inv: Inventory, managed: boolean): CheckResult[] {
  const ctx = checkContext(inv, managed);
  return CHECKS.map((check) => {
    const { examined, findings } = check.run(inv, ctx);
    return { id: check.id, title: check.title, examined, findings };
  });
}
