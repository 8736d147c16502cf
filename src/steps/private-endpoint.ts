// The private endpoints of this deployment: in the Training subnet, registered in the cloud's
// private DNS zones (created and linked by the private-dns step). The endpoint and zone-group specs
// themselves are the factory in src/resources/factories/private-endpoint.ts.

import type { AzureStepContext } from "./context.js";
import { zonesFor, type PrivateLinkGroup } from "../azure/clouds.js";
import { declareStep, type DeclaredStep } from "../resources/reconcile.js";
import { endpointsInParallel, type PrivateEndpointWanted } from "../resources/factories/private-endpoint.js";
import { SUBNET_TRAINING, placement, privateDnsZoneId, privateEndpointName, subnetId } from "./common.js";
import { chained, writeSeconds } from "../durations.js";

export { DNS_ZONE_GROUP_NAME } from "../resources/factories/private-endpoint.js";

/** An endpoint in Training to `target` for sub-resource `group`, named pe-<targetName>-<group>. */
export function endpointTo({ config, azure }: AzureStepContext, targetName: string, targetId: string, group: PrivateLinkGroup): PrivateEndpointWanted {
  return {
    name: privateEndpointName(targetName, group),
    targetId,
    groupId: group,
    subnetId: subnetId(config, SUBNET_TRAINING),
    zoneIds: zonesFor(azure.cloud, [group])[group].map((z) => privateDnsZoneId(config, z)),
  };
}

/** What a one-endpoint step is: its id and title, the step that creates the target, the target and its sub-resource. */
export interface EndpointStep {
  id: string;
  title: string;
  targetStep: string;
  target: (config: AzureStepContext["config"]) => { name: string; id: string };
  group: PrivateLinkGroup;
}

/** A step that puts one service behind one private endpoint in Training (the endpoint, then its zone group). */
export function endpointStep(step: EndpointStep): DeclaredStep<AzureStepContext> {
  return declareStep<AzureStepContext>({
    id: step.id,
    title: step.title,
    dependsOn: [step.targetStep, "network", "private-dns"],
    // the endpoint, then its DNS zone group
    expectedSeconds: chained(writeSeconds("Microsoft.Network/privateEndpoints"), writeSeconds("Microsoft.Network/privateEndpoints/privateDnsZoneGroups")),
    resources: (ctx) => {
      const target = step.target(ctx.config);
      return endpointsInParallel(ctx.azure, placement(ctx.config), [endpointTo(ctx, target.name, target.id, step.group)]);
    },
  });
}
