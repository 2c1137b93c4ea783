import type { HealthReport, TargetStatus } from "../../deploy/port.js";
import { INITIAL_EPISODE, stepEpisode, type EpisodeState } from "../../core/healing/uptime.js";
import { DetectorKind, type Detector, type DetectorBase } from "./detector-event.js";
import { createPollLoop, safeEmit } from "./poll-loop.js";

export interface HealthWatchOptions extends DetectorBase {
  /** The deploy target's own health check of every worker (DeployTarget.health fits). */
  health: () => Promise<HealthReport>;
  /** Which workers are alive (DeployTarget.status fits): a dead worker is the worker watch's crash, not a bad release. */
  status: () => Promise<Pick<TargetStatus, "workers" | "current">>;
  intervalMs: number;
  /** Unhealthy checks in a row before an incident; default 2 (one slow check is not a bad release). */
  consecutive?: number;
}

/**
 * The unhealthy-deploy detector: the release's own health checks answer with an error status
 * (a 503 from /health, a broken config) while every worker process is alive, so the release
 * itself is bad, which a restart does not fix and a rollback does. Emits `deploy_unhealthy` once per episode with the health
 * report; a worker that died is left to the worker watch (`crash`).
 */
export function createHealthWatch(opts: HealthWatchOptions): Detector {
  const now = opts.now ?? Date.now;
  const n = opts.consecutive ?? 2;
  let episode: EpisodeState = INITIAL_EPISODE;

  async function tick(): Promise<void> {
    const [status, report] = await Promise.all([opts.status(), opts.health()]);
    const allAlive = status.workers.length > 0 && status.workers.every((w) => w.alive);
    // An error status is the release saying it is bad. A timeout is slowness (the uptime monitor's
    // latency), a refused connection a worker going down, no answer at all a supervisor that is
    // gone: none of them is a bad release, and a rollback would not help.
    const bad = allAlive && report.checks.some((c) => c.status !== null && c.status >= 400);
    const step = stepEpisode(episode, bad, n);
    episode = step.state;
    if (!step.opened) return;
    const evidence = { release: status.current?.id ?? report.releaseId, health: report };
    safeEmit(opts.emit, { kind: DetectorKind.deploy_unhealthy, environment: opts.environment, target: opts.target, at: now(), evidence }, opts.onError);
  }

  const loop = createPollLoop({ intervalMs: opts.intervalMs, tick, signal: opts.signal, onError: opts.onError });
  return { ...loop, rearm: () => (episode = INITIAL_EPISODE) };
}
