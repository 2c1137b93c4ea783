import type { OrchestratorStore } from "../store/port.js";

/**
 * Orchestrator instances that are gone: their heartbeat is older than `staleMs`, or they ran on
 * this host and their process no longer exists (so a crash on one machine is seen at once).
 */
export async function findDeadOrchestrators(
  store: OrchestratorStore,
  opts: { self: string; host: string; now: number; staleMs: number; isPidAlive: (pid: number) => boolean },
): Promise<Set<string>> {
  const dead = new Set<string>();
  for (const o of await store.listOrchestrators()) {
    if (o.id === opts.self) continue;
    const stale = opts.now - o.heartbeatAt > opts.staleMs;
    const gone = o.host === opts.host && !opts.isPidAlive(o.pid);
    if (stale || gone) dead.add(o.id);
  }
  return dead;
}
