import { performance } from "node:perf_hooks";
import { INITIAL_EPISODE, stepEpisode, type EpisodeState } from "../../core/healing/uptime.js";
import { DetectorKind, type Detector, type DetectorBase } from "./detector-event.js";
import { createPollLoop, liveThreshold, safeEmit } from "./poll-loop.js";
import { cpuPercent as cpuBetween, readProc } from "./proc-reading.js";

export interface OverloadWatchOptions extends DetectorBase {
  /** The deployed workers' pids, asked again on every poll (workers come and go). */
  pids: () => Promise<readonly number[]>;
  /** CPU % of one core (100 = a core fully busy); omitted = not checked. */
  cpuPercent?: number;
  /**
   * The current CPU bound, read once per poll so a change (`adjust_threshold`, `pitstop
   * thresholds set`) applies without a restart; null = `cpuPercent`. A stored value is checked
   * even when `cpuPercent` is omitted. Typically `() => store.remedies.getThreshold(target,
   * "cpu_percent")`. A failed read goes to `onError` and the last value read is kept.
   */
  cpuThreshold?: () => Promise<number | null>;
  /** Resident memory bound; omitted = not checked. */
  rssBytes?: number;
  /** Requests waiting at the environment's front (TargetStatus.requestsInFlight), asked every poll; null = unknown. */
  backlog?: () => Promise<number | null>;
  /** More requests in flight than this is an overload of the whole environment; omitted = not checked. */
  maxBacklog?: number;
  intervalMs: number;
  /** Polls in a row over a bound before an incident; default 1 (CPU is already averaged over one interval). */
  consecutive?: number;
  /** Monotonic milliseconds for CPU deltas; default performance.now (wall clock may jump). */
  monotonicMs?: () => number;
}

interface PidState {
  ticks: number;
  atMs: number;
  episode: EpisodeState;
}

/**
 * Reads /proc/<pid>/stat and /status of every worker each poll and emits `overload` once per
 * episode per pid when CPU over the last interval or RSS is above its bound. A pid's first poll
 * only sets the CPU baseline (its RSS is checked at once). With `backlog` and `maxBacklog`, more
 * requests in flight than the bound is an overload of the environment (its own episode).
 */
export function createOverloadWatch(opts: OverloadWatchOptions): Detector {
  const now = opts.now ?? Date.now;
  const mono = opts.monotonicMs ?? (() => performance.now());
  const n = opts.consecutive ?? 1;
  let states = new Map<number, PidState>();
  let cpuLimit = opts.cpuPercent;
  let backlogEpisode: EpisodeState = INITIAL_EPISODE;

  async function measure(pid: number, next: Map<number, PidState>): Promise<void> {
    const reading = await readProc(pid);
    if (reading === null) return;
    const atMs = mono();
    const prev = states.get(pid);
    const cpu = prev === undefined ? null : cpuBetween(prev.ticks, reading.cpuTicks, atMs - prev.atMs);
    const overCpu = cpu !== null && cpuLimit !== undefined && cpu > cpuLimit;
    const overRss = opts.rssBytes !== undefined && reading.rssBytes > opts.rssBytes;
    const step = stepEpisode(prev?.episode ?? INITIAL_EPISODE, overCpu || overRss, n);
    next.set(pid, { ticks: reading.cpuTicks, atMs, episode: step.state });
    if (!step.opened) return;
    const evidence = {
      pid,
      cpuPercent: cpu === null ? null : Math.round(cpu * 10) / 10,
      rssBytes: reading.rssBytes,
      limits: { cpuPercent: cpuLimit ?? null, rssBytes: opts.rssBytes ?? null },
      over: [...(overCpu ? ["cpu"] : []), ...(overRss ? ["memory"] : [])],
    };
    safeEmit(opts.emit, { kind: DetectorKind.overload, environment: opts.environment, target: opts.target, at: now(), evidence }, opts.onError);
  }

  /** The environment's request backlog: one episode for the whole target, not per process. */
  async function measureBacklog(): Promise<void> {
    if (opts.backlog === undefined || opts.maxBacklog === undefined) return;
    const inFlight = await opts.backlog();
    const step = stepEpisode(backlogEpisode, inFlight !== null && inFlight > opts.maxBacklog, n);
    backlogEpisode = step.state;
    if (!step.opened) return;
    const evidence = { requestsInFlight: inFlight, limits: { maxBacklog: opts.maxBacklog }, over: ["backlog"] };
    safeEmit(opts.emit, { kind: DetectorKind.overload, environment: opts.environment, target: opts.target, at: now(), evidence }, opts.onError);
  }

  async function tick(): Promise<void> {
    // A failed backlog read (the control socket timing out) must not skip the CPU and memory check.
    await measureBacklog().catch((e: unknown) => opts.onError?.(e));
    cpuLimit = await liveThreshold(opts.cpuThreshold, opts.cpuPercent, cpuLimit, opts.onError);
    const pids = [...new Set(await opts.pids())];
    const next = new Map<number, PidState>();
    await Promise.all(pids.map((pid) => measure(pid, next)));
    // Pids no longer listed (or gone) drop out; a reused pid starts over with a fresh baseline.
    states = next;
  }

  const loop = createPollLoop({ intervalMs: opts.intervalMs, tick, signal: opts.signal, onError: opts.onError });
  return {
    ...loop,
    rearm() {
      // Keep each pid's CPU baseline; only its episode starts over.
      for (const st of states.values()) st.episode = INITIAL_EPISODE;
      backlogEpisode = INITIAL_EPISODE;
    },
  };
}
