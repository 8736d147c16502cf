// Small pure helpers over JSON-shaped values, shared by every layer (this folder imports nothing).

/** The value at `path` inside `obj` (ARM bodies: `prop(vm, "properties", "storageProfile")`), or undefined. */
export function prop(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}
