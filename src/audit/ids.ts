// Small helpers over ARM resource IDs shared by the audit, status and destroy.

export interface ParsedId {
  subscriptionId?: string;
  resourceGroup?: string;
  /** e.g. "Microsoft.Network" */
  provider?: string;
  /** Type segments after the provider, e.g. ["privateEndpoints", "privateDnsZoneGroups"]. */
  types: string[];
  /** Name segments matching `types`. */
  names: string[];
}

/** Splits an ARM ID; extension resources (".../providers/X/y/z/providers/A/b/c") keep the last provider. */
export function parseResourceId(id: string): ParsedId {
  const parts = id.split("/").filter(Boolean);
  const out: ParsedId = { types: [], names: [] };
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i]!.toLowerCase();
    if (key === "subscriptions" && out.subscriptionId === undefined) out.subscriptionId = parts[++i];
    else if (key === "resourcegroups" && out.resourceGroup === undefined) out.resourceGroup = parts[++i];
    else if (key === "providers") {
      out.provider = parts[++i];
      out.types = [];
      out.names = [];
    } else if (out.provider !== undefined) {
      out.types.push(parts[i]!);
      if (i + 1 < parts.length) out.names.push(parts[++i]!);
    }
  }
  return out;
}

/** "Microsoft.Network/privateEndpoints" for any ID of that type. */
export function typeOfId(id: string): string {
  const p = parseResourceId(id);
  if (!p.provider) return p.resourceGroup ? "Microsoft.Resources/resourceGroups" : "Microsoft.Resources/subscriptions";
  return [p.provider, ...p.types].join("/");
}

export function lastSegment(id: string | undefined): string {
  const parts = (id ?? "").split("/").filter(Boolean);
  return parts[parts.length - 1] ?? "";
}

export function sameId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.toLowerCase().replace(/\/+$/, "") === b.toLowerCase().replace(/\/+$/, "");
}

export function sameText(a: string | undefined, b: string | undefined): boolean {
  return (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
}

/** Whether `inner` is `outer` or below it (a subnet in a VNet, a PE inside a group...). */
export function isWithin(inner: string | undefined, outer: string | undefined): boolean {
  if (inner === undefined || outer === undefined) return false;
  const a = inner.toLowerCase().replace(/\/+$/, "");
  const b = outer.toLowerCase().replace(/\/+$/, "");
  return a === b || a.startsWith(`${b}/`);
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
