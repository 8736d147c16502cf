// Where a factory puts a resource: subscription, group, region and the tags (from the caller's
// managedTags, so that tags keep coming from one function).

export interface Placement {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
}

export function idIn(at: Pick<Placement, "subscriptionId" | "resourceGroup">, provider: string, ...typeAndNames: string[]): string {
  return `/subscriptions/${at.subscriptionId}/resourceGroups/${at.resourceGroup}/providers/${provider}/${typeAndNames.join("/")}`;
}
