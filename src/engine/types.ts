// The contract between the step engine, the steps and the UI. The engine knows nothing of Azure and
// never imports prompts, spinners or colours: it emits EngineEvents to an IoHost, and renderers in
// src/ui/ turn them into TTY, plain or JSON output.

import type { ErrorInfo } from "../errors.js";

export type ResourceAction = "created" | "updated" | "unchanged" | "deleted" | "absent";

/** One Azure resource a step owns, and what the step did to it in this run. */
export interface ResourceOutcome {
  id: string;
  kind: string; // e.g. "Microsoft.Network/virtualNetworks"
  name: string;
  action: ResourceAction;
}

/**
 * One property of a resource that differs from what the deployment wants (data, never text: views in
 * src/ui/ render it). `immutable`: Azure cannot change it in place.
 */
export interface Change {
  field: string;
  actual?: unknown;
  wanted?: unknown;
  immutable?: boolean;
}

/** What `plan` says about a resource without writing anything. */
/** The vCPUs a resource takes from a regional quota when it is created (a VM, an ML compute): preflight adds them up. */
export interface CapacityDemand {
  /** The VM size, e.g. Standard_DS3_v2. */
  vmSize: string;
  /** How many VMs of that size at most (a cluster's maximum node count). */
  instances: number;
  /** The regional quota the vCPUs count against: the Compute provider's, or Machine Learning's for ML computes. */
  quota: "compute" | "machineLearning";
  /** The option that sets the size, for the fix ("--jumpbox-size"). */
  sizeOption: string;
  /** What it is, in messages ("jump box jumpbox", "compute cluster cpu-cluster (4 nodes at most)"). */
  what: string;
}

export interface PlannedResource {
  id: string;
  kind: string;
  name: string;
  /** What creating it takes from a quota (VMs and ML computes), declared by its spec. */
  capacity?: CapacityDemand;
  /** create: missing; update: exists but differs (with `changes`); recreate: Failed, deleted and created anew; none: as wanted. */
  action: "create" | "update" | "recreate" | "none";
  changes?: Change[];
  /** Grouping for the architecture view: "network", "training-subnet", "private-dns", "global", ... */
  group: string;
}

/** An error as data (code, message, ARM's code, next command, whether a retry helps): see src/errors.ts. */
export type { ErrorInfo };

export type EngineEvent =
  | { type: "plan"; steps: Array<{ id: string; title: string; expectedSeconds?: number }> }
  | { type: "step-start"; id: string; title: string; attempt: number; expectedSeconds?: number }
  | { type: "step-progress"; id: string; message: string }
  /** `attempt` failed; the next starts after `delayMs`. `budgetLeftMs`: how long retrying may go on after that wait. */
  | { type: "step-retry"; id: string; attempt: number; delayMs: number; error: ErrorInfo; budgetLeftMs?: number }
  | { type: "step-done"; id: string; title: string; durationMs: number; resources: ResourceOutcome[] }
  | { type: "step-skip"; id: string; title: string; reason: string }
  | { type: "step-failed"; id: string; title: string; durationMs: number; error: ErrorInfo }
  | { type: "log"; level: "info" | "warn" | "error"; message: string };

/** A question the engine or a command needs a person to answer (the wizard renders it). */
export type Question =
  | { kind: "confirm"; id: string; message: string; default?: boolean }
  | { kind: "input"; id: string; message: string; default?: string; validate?: (v: string) => string | true | Promise<string | true> }
  | { kind: "password"; id: string; message: string; validate?: (v: string) => string | true }
  | { kind: "select"; id: string; message: string; choices: Array<{ value: string; name: string; description?: string }>; default?: string };

/** Where engine and UI meet (notify / request-response). */
export interface IoHost {
  notify(event: EngineEvent): void;
  /** Rejects with a NonInteractiveError when no person can answer. */
  request(question: Question): Promise<string | boolean>;
}

/** What a step returns: the resources it owns and values later steps need (IDs, principal IDs). */
export interface StepResult {
  resources: ResourceOutcome[];
  outputs?: Record<string, string>;
}

/**
 * One provisioning step. `run` must be idempotent: read what exists, compare the properties the step
 * owns, write only when they differ. The engine calls `run` even for steps recorded as done in the
 * state file (the state is a cache, not the truth), so a converged deployment costs reads only.
 */
export interface Step<C = unknown> {
  id: string;
  title: string;
  dependsOn: string[];
  /** Realistic duration in seconds on real Azure (for the plan's estimate and progress display). */
  expectedSeconds?: number;
  /** Steps that must not run at the same time as each other (e.g. writers of one VNet). */
  mutex?: string;
  run(ctx: C, io: StepIo): Promise<StepResult>;
  /** Read-only: what this step would do. */
  plan?(ctx: C, io: StepIo): Promise<PlannedResource[]>;
}

/** The engine's handle given to a running step. */
export interface StepIo {
  signal: AbortSignal;
  progress(message: string): void;
  /** Outputs of finished steps, by step id (for example the workspace's principal id). */
  outputs(stepId: string): Record<string, string>;
}
