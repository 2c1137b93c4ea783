import { DetectorKind, type Detector, type DetectorBase } from "./detector-event.js";
import { createPollLoop, safeEmit } from "./poll-loop.js";

/** The part of a deploy target's status the watch needs (DeployTarget.status() fits). */
export interface WorkerStatusReport {
  workers: readonly { pid: number; alive: boolean }[];
}

export interface WorkerWatchOptions extends DetectorBase {
  status: () => Promise<WorkerStatusReport>;
  intervalMs: number;
}

/**
 * Emits `crash` for each worker the status reports as not alive, once per pid: a dead worker stays
 * in the status until something restarts it, and that is one crash, not one per poll.
 */
export function createWorkerWatch(opts: WorkerWatchOptions): Detector {
  const now = opts.now ?? Date.now;
  let reported = new Set<number>();

  async function tick(): Promise<void> {
    const { workers } = await opts.status();
    const dead = workers.filter((w) => !w.alive);
    for (const worker of dead) {
      if (reported.has(worker.pid)) continue;
      const evidence = { pid: worker.pid, workers: workers.map((w) => ({ pid: w.pid, alive: w.alive })) };
      safeEmit(opts.emit, { kind: DetectorKind.crash, environment: opts.environment, target: opts.target, at: now(), evidence }, opts.onError);
    }
    // Forget pids that are alive again or gone, so the set does not grow forever.
    reported = new Set(dead.map((w) => w.pid));
  }

  const loop = createPollLoop({ intervalMs: opts.intervalMs, tick, signal: opts.signal, onError: opts.onError });
  return { ...loop, rearm: () => (reported = new Set()) };
}
