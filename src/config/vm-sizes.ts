// Azure VM size names, as Azure spells them (learn.microsoft.com "Virtual machine sizes naming
// conventions"): [Tier]_[Family][Sub-family]#[# of constrained vCPUs][Additive features]
// [Accelerator type][Version], e.g. Standard_DS3_v2, Standard_D4as_v5, Standard_E8-4ds_v5,
// Standard_NC24ads_A100_v4, Standard_M128ms, Basic_A1. Both secure-aml (the jumpbox, cluster and
// instance sizes, exit 2 before any request) and the emulator (which refuses an unknown size instead
// of resizing, as ARM answers InvalidParameter on vmSize) use this one check.

/** Families and sub-families Azure publishes (general purpose, compute, memory, storage, GPU, HPC). */
export const VM_SIZE_FAMILIES: readonly string[] = [
  "A",
  "B",
  "D",
  "DC",
  "DS",
  "E",
  "EC",
  "F",
  "FX",
  "G",
  "GS",
  "H",
  "HB",
  "HC",
  "HX",
  "L",
  "M",
  "NC",
  "NCC",
  "ND",
  "NG",
  "NP",
  "NV",
];

const VM_SIZE_GRAMMAR =
  /^(Standard|Basic)_(?<family>[A-Z]{1,3})(?<vcpus>\d{1,3})(?:-(?<constrained>\d{1,3}))?(?<features>[a-z]{0,6})(?:_(?<accelerator>[A-Z]{1,2}\d{1,4}[a-z]?))?(?:_\d{1,2})?(?:_v(?<version>[1-7]))?(?:_Promo)?$/;

/** The rule, for messages. */
export const VM_SIZE_RULE =
  "must be an Azure VM size name: Standard_<family><vCPUs>[-<constrained vCPUs>][<features>][_<accelerator>][_v<version>], " +
  `family one of ${VM_SIZE_FAMILIES.join(", ")} (e.g. Standard_DS3_v2, Standard_D4as_v5, Standard_NC24ads_A100_v4; \`az vm list-sizes -l REGION\` lists a region's)`;

/** Whether a name is a VM size Azure could have: the naming grammar, a known family, sane vCPU counts. */
export function isKnownVmSizeName(value: string): boolean {
  if (value.length > 40) return false;
  const m = VM_SIZE_GRAMMAR.exec(value);
  if (!m?.groups) return false;
  const { family, vcpus, constrained } = m.groups as { family: string; vcpus: string; constrained?: string };
  if (!VM_SIZE_FAMILIES.includes(family)) return false;
  if (m[1] === "Basic" && family !== "A") return false;
  const cpus = Number(vcpus);
  // The largest sizes have 896 vCPUs (Mv3); constrained-core sizes keep fewer active vCPUs than the size.
  if (cpus > 896 || /^0\d/.test(vcpus)) return false;
  if (constrained !== undefined && (Number(constrained) < 1 || Number(constrained) >= cpus)) return false;
  return true;
}
