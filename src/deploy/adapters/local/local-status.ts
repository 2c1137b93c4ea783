import type { ReleaseInfo, TargetStatus, WorkerStatus } from "../../port.js";
import { listReleases, liveRelease } from "../../release-history.js";
import type { LocalState, WorkerRecord } from "./state-file.js";

/** The URL people use: loopback when the proxy listens on every interface. */
export function publicUrl(host: string, port: number | null): string | null {
  if (port === null) return null;
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}

export function toWorkerStatus(w: WorkerRecord): WorkerStatus {
  return { slot: w.slot, pid: w.pid, port: w.port, releaseId: w.releaseId, alive: w.alive, startedAt: w.startedAt, exitCode: w.exitCode, signal: w.signal };
}

export function currentRelease(state: LocalState): ReleaseInfo | null {
  const live = liveRelease(state.history);
  return live === null ? null : (listReleases(state.history).find((r) => r.id === live.id) ?? null);
}

/** TargetStatus from a state snapshot; `supervisorAlive` decides between running and down. */
export function buildStatus(state: LocalState, supervisorAlive: boolean): TargetStatus {
  const lifecycle = state.lifecycle;
  const envState = lifecycle === "running" ? (supervisorAlive ? "running" : "down") : lifecycle;
  return {
    environment: state.environment,
    target: "local",
    state: envState,
    current: currentRelease(state),
    workers: state.workers.map(toWorkerStatus),
    desiredWorkers: state.desiredWorkers,
    url: publicUrl(state.host, state.port),
    supervisor: supervisorAlive && state.supervisor ? { pid: state.supervisor.pid, startedAt: state.supervisor.startedAt } : null,
  };
}
