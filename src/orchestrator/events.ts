import type { FailureClass } from "../core/failure/failure-class.js";
import type { JobStatus } from "../core/run/status.js";
import type { RunRecord } from "../store/port.js";

/** Typed in-process events for live views (CLI progress, SSE later). */
export type OrchestratorEvent =
  | { type: "run.started"; run: RunRecord; adopted: boolean }
  | {
      type: "job.status";
      runId: string;
      jobId: string;
      name: string;
      status: JobStatus;
      attempt: number;
      at: number;
      /** Duration of the attempt that just ended. */
      durationMs: number | null;
      reason: string | null;
      failureClass: FailureClass | null;
    }
  | { type: "job.log"; runId: string; jobId: string; attempt: number; lines: Array<{ stream: string; text: string }> }
  | { type: "run.finished"; run: RunRecord };

export type Listener = (event: OrchestratorEvent) => void;

export interface EventHub {
  on(listener: Listener): () => void;
  /** Calls every listener; a throwing listener is reported and never breaks the emitter (graphile's safeEmit). */
  safeEmit(event: OrchestratorEvent): void;
}

export function createEventHub(onListenerError: (err: unknown, event: OrchestratorEvent) => void): EventHub {
  const listeners = new Set<Listener>();
  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    safeEmit(event) {
      for (const l of listeners) {
        try {
          l(event);
        } catch (err) {
          onListenerError(err, event);
        }
      }
    },
  };
}
