import type { RunStore } from "../store/port.js";

/**
 * Asks for a run to be cancelled. The orchestrator that drives it sees the request on its next
 * tick, kills the run's processes and marks it cancelled; works from any process on the store.
 */
export async function cancelRun(deps: { runs: RunStore; now: () => number }, runId: string): Promise<boolean> {
  return deps.runs.requestCancel(runId, deps.now());
}
