// A resource of a type written through the generic resources API (a `genericKind`): no SDK package,
// no reader, no client of its own. The step gives the PUT body and the properties it owns.

import type { GenericResource } from "@azure/arm-resources";
import type { AzureContext } from "../../azure/clients.js";
import type { GenericKind } from "../kinds/kind.js";
import { arm, putOver, type Change, type ResourceSpec } from "../spec.js";

export interface GenericWanted {
  id: string;
  name: string;
  /** Architecture-view group for `plan` (see ResourceSpec.group). */
  group: string;
  /** The PUT body, over what exists (`undefined` when creating): keep what others set. */
  body(existing: GenericResource | undefined): GenericResource;
  /** Differences on the properties this step owns; empty when as wanted. */
  diff(actual: GenericResource): Change[];
}

export function genericSpec(kind: GenericKind, azure: AzureContext, wanted: GenericWanted): ResourceSpec<GenericResource> {
  const put = async (existing: GenericResource | undefined) =>
    (await azure.resources()).resources.beginCreateOrUpdateByIdAndWait(wanted.id, kind.apiVersion, wanted.body(existing), azure.lro());
  return { ...arm(kind, azure, wanted.id, wanted.name, wanted.group), diff: (actual) => wanted.diff(actual), ...putOver(put) };
}
