// What the engine writes to the state file about each step, and nothing else. Every write goes
// through StateHandle.update (which saves atomically), so that a crash at any moment leaves a file
// the next run resumes from. Once the run is closed (summary built), late-finishing steps write nothing.

import type { ErrorInfo } from "../errors.js";
import type { StateHandle, StepRecord } from "./state.js";
import type { ResourceOutcome } from "./types.js";

function emptyRecord(): StepRecord {
  return { status: "pending", attempts: 0, outputs: {}, resources: [] };
}

function lastErrorOf(error: ErrorInfo): StepRecord["lastError"] {
  return { code: error.code, message: error.message };
}

export class StepRecords {
  #closed = false;

  constructor(private readonly state: StateHandle) {}

  /** Recorded as done when the run started. */
  wasDone(id: string): boolean {
    return this.state.step(id)?.status === "done";
  }

  /** Outputs of a step recorded as done, or undefined. */
  doneOutputs(id: string): Record<string, string> | undefined {
    const record = this.state.step(id);
    return record?.status === "done" ? { ...record.outputs } : undefined;
  }

  /** From now on, writes for single steps are dropped (the run gave up waiting for them). */
  close(): void {
    this.#closed = true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Steps that have no record yet get a pending one, so the file lists every step from the start. */
  async register(ids: readonly string[]): Promise<void> {
    const missing = ids.filter((id) => !this.state.step(id));
    if (missing.length === 0) return;
    await this.state.update((s) => {
      for (const id of missing) s.steps[id] = emptyRecord();
    });
  }

  /** Applies `mutate` to one step's record; resolves with the write's error (or null), never rejects. */
  async #write(id: string, mutate: (record: StepRecord) => void): Promise<unknown> {
    if (this.#closed) return null;
    try {
      await this.state.update((s) => {
        const record = s.steps[id] ?? emptyRecord();
        s.steps[id] = record;
        mutate(record);
      });
      return null;
    } catch (err) {
      return err;
    }
  }

  attemptStarted(id: string, startedAt: string): Promise<unknown> {
    return this.#write(id, (r) => {
      r.status = "running";
      r.attempts++;
      r.startedAt = startedAt;
    });
  }

  /** Done: outputs, resources, and the IDs it ever created (proof for destroy). */
  done(id: string, result: { finishedAt: string; durationMs: number; outputs: Record<string, string>; resources: ResourceOutcome[] }): Promise<unknown> {
    return this.#write(id, (r) => {
      r.status = "done";
      r.finishedAt = result.finishedAt;
      r.durationMs = result.durationMs;
      r.outputs = { ...result.outputs };
      r.resources = result.resources.map((res) => ({ ...res }));
      const created = new Set(r.createdIds ?? []);
      for (const res of result.resources) if (res.action === "created") created.add(res.id);
      if (created.size > 0) r.createdIds = [...created];
      delete r.lastError;
    });
  }

  retrying(id: string, error: ErrorInfo): Promise<unknown> {
    return this.#write(id, (r) => {
      r.lastError = lastErrorOf(error);
    });
  }

  failed(id: string, finishedAt: string, error: ErrorInfo): Promise<unknown> {
    return this.#write(id, (r) => {
      r.status = "failed";
      r.finishedAt = finishedAt;
      r.lastError = lastErrorOf(error);
    });
  }

  /** Interrupted: back to pending, so that the resume command runs it again. */
  interrupted(id: string, error: ErrorInfo): Promise<unknown> {
    return this.#write(id, (r) => {
      r.status = "pending";
      r.lastError = lastErrorOf(error);
    });
  }

  /**
   * Steps still running when the run stopped waiting for them (interrupt grace expired): pending, so
   * the next run does them again. Written even though the run is closed; rejects when the write fails.
   */
  async abandoned(ids: readonly string[], error: ErrorInfo): Promise<void> {
    const known = ids.filter((id) => this.state.step(id));
    if (known.length === 0) return;
    await this.state.update((s) => {
      for (const id of known) {
        const record = s.steps[id];
        if (!record) continue;
        record.status = "pending";
        record.lastError = lastErrorOf(error);
      }
    });
  }

  /** Waits until everything written so far is on disk. */
  flush(): Promise<void> {
    return this.state.save();
  }
}
