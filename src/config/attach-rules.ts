// Rules of the attached-compute options of the training page (--attached-vm, --attach-compute),
// checked with every other value before any request.

/**
 * The attached VM's name is both its Azure VM name (and Linux host name) and the name of the compute
 * target in the workspace, so it must satisfy the stricter of the two: the compute name rule
 * (Compute_CreateOrUpdate: 2-24 characters, letters, digits and hyphens, starting with a letter).
 */
export function checkAttachedVmName(value: unknown): string[] {
  if (typeof value !== "string") return ["must be text"];
  const problems: string[] = [];
  if (value.length < 2 || value.length > 24) problems.push(`is ${value.length} characters long`);
  const bad = [...new Set([...value].filter((ch) => !/[A-Za-z0-9-]/.test(ch)))];
  if (bad.length > 0) problems.push(`contains ${bad.map((ch) => JSON.stringify(ch)).join(", ")}`);
  if (value.length > 0 && !/^[A-Za-z]/.test(value)) problems.push("does not start with a letter");
  if (value.endsWith("-")) problems.push("ends with a hyphen");
  if (problems.length === 0) return [];
  return [
    `attached VM name ${problems.join(", ")}; it names the VM and its compute target, so it needs 2-24 letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
  ];
}

export type AttachableKind = "VirtualMachine" | "HDInsight";

/** The compute type of an attachable resource ID, or undefined. */
export function attachableKind(id: string): AttachableKind | undefined {
  if (/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachines\/[^/]+\/?$/i.test(id)) return "VirtualMachine";
  if (/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.HDInsight\/clusters\/[^/]+\/?$/i.test(id)) return "HDInsight";
  return undefined;
}

/** --attach-compute: a VM or HDInsight cluster ID in the deployment's subscription. */
export function checkAttachComputeId(value: unknown, subscriptionId: string | undefined): string[] {
  if (typeof value !== "string") return ["must be text"];
  if (!attachableKind(value)) {
    return [
      "must be the resource ID of a virtual machine (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachines/<name>) or an HDInsight cluster (.../providers/Microsoft.HDInsight/clusters/<name>)",
    ];
  }
  const subscription = /^\/subscriptions\/([^/]+)/i.exec(value)?.[1] ?? "";
  if (subscriptionId && subscription.toLowerCase() !== subscriptionId.toLowerCase()) {
    return [`is in subscription ${subscription}; Azure Machine Learning attaches compute from the workspace's subscription (${subscriptionId}) only`];
  }
  return [];
}

/** The name an attached existing resource gets in the workspace: its own name, cut to the compute rule. */
export function attachedComputeName(resourceId: string): string {
  const name = resourceId.replace(/\/+$/, "").split("/").pop() ?? "attached";
  const cleaned = name.replace(/[^A-Za-z0-9-]/g, "-").replace(/^[^A-Za-z]+/, "");
  const cut = cleaned.slice(0, 24).replace(/-+$/, "");
  return cut.length >= 2 ? cut : `attached-${cut}`.slice(0, 24);
}
