import { performance } from "node:perf_hooks";
import { DEFAULT_LATENCY_MS, INITIAL_EPISODE, isOverLatency, stepEpisode, summarizeUptime, type EpisodeState, type ProbeSample, type TimeWindow, type UptimeSummary } from "../../core/healing/uptime.js";
import { DetectorKind, type Detector, type DetectorBase } from "./detector-event.js";
import { createPollLoop, liveThreshold, safeEmit } from "./poll-loop.js";

export interface UptimeMonitorOptions extends DetectorBase {
  url: string;
  intervalMs: number;
  /**
   * A probe without response headers after this is DOWN. Never less than 1.25 × the current
   * latency threshold (`timeoutFor`): a slow answer must be able to arrive to count as slow, even
   * after `adjust_threshold` raised the threshold past the timeout configured.
   */
  timeoutMs: number;
  /** A slower response is a latency breach; seed default 24000. */
  latencyMs?: number;
  /**
   * The current latency threshold, read before every probe so a change (`adjust_threshold`,
   * `pitstop thresholds set`) applies without a restart; null = `latencyMs`. Typically
   * `() => store.remedies.getThreshold(target, "latency_ms")`. A failed read goes to `onError`
   * and the last value read is kept: probing goes on.
   */
  latencyThreshold?: () => Promise<number | null>;
  /** Consecutive breaches before an incident; default 2 (one lost probe is not an outage). */
  consecutive?: number;
  /** Samples kept for `uptime()`; default 10000 (about 28 h at one probe every 10 s). */
  maxSamples?: number;
  /** Every probe as it is taken (for a live UP/DOWN timeline); a throw goes to `onError`. */
  onSample?: (sample: ProbeSample) => void;
}

export interface UptimeMonitor extends Detector {
  /** Timeline, uptime % and latency over the window; default: all samples kept. */
  uptime(window?: TimeWindow): UptimeSummary;
  samples(): ProbeSample[];
}

/** One real HTTP GET: 2xx/3xx is UP (redirects are not followed, a redirect is an answer). */
export async function probeUrl(url: string, timeoutMs: number, stop: AbortSignal | null, at: number): Promise<ProbeSample> {
  const started = performance.now();
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    const res = await fetch(url, { redirect: "manual", signal: stop ? AbortSignal.any([stop, timeout]) : timeout });
    const responseMs = Math.round(performance.now() - started);
    // The body is not needed; cancelling frees the socket at once.
    await res.body?.cancel().catch(() => undefined);
    const up = res.status < 400;
    return { at, up, responseMs, error: up ? null : `HTTP ${res.status}` };
  } catch (e) {
    const name = e instanceof Error ? e.name : "";
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
    const error = name === "TimeoutError" ? `timeout after ${timeoutMs} ms` : cause;
    return { at, up: false, responseMs: null, error };
  }
}

/** The probe timeout in force: the one configured, raised to leave room for answers up to 1.25 × the latency threshold. */
export function timeoutFor(timeoutMs: number, latencyMs: number): number {
  return Math.max(timeoutMs, Math.ceil(latencyMs * 1.25));
}

/**
 * Probes `url` every `intervalMs`. Emits `crash` once the target was DOWN for `consecutive` probes
 * and `latency` once it answered slower than the latency threshold that many times in a row; one
 * episode is one event, and the next episode starts after a probe without the condition.
 */
export function createUptimeMonitor(opts: UptimeMonitorOptions): UptimeMonitor {
  const now = opts.now ?? Date.now;
  const configuredMs = opts.latencyMs ?? DEFAULT_LATENCY_MS;
  let latencyMs = configuredMs;
  const n = opts.consecutive ?? 2;
  const maxSamples = opts.maxSamples ?? 10_000;
  const kept: ProbeSample[] = [];
  let down: EpisodeState = INITIAL_EPISODE;
  let slow: EpisodeState = INITIAL_EPISODE;

  function emit(kind: DetectorKind, recent: ProbeSample[]): void {
    const evidence = { url: opts.url, consecutive: n, latencyMs, timeoutMs: timeoutFor(opts.timeoutMs, latencyMs), samples: recent };
    safeEmit(opts.emit, { kind, environment: opts.environment, target: opts.target, at: now(), evidence }, opts.onError);
  }

  async function tick(signal: AbortSignal): Promise<void> {
    latencyMs = await liveThreshold(opts.latencyThreshold, configuredMs, latencyMs, opts.onError);
    const sample = await probeUrl(opts.url, timeoutFor(opts.timeoutMs, latencyMs), signal, now());
    if (signal.aborted) return;
    kept.push(sample);
    if (opts.onSample) safeEmit(opts.onSample, sample, opts.onError);
    if (kept.length > maxSamples) kept.splice(0, kept.length - maxSamples);
    const d = stepEpisode(down, !sample.up, n);
    const s = stepEpisode(slow, isOverLatency(sample, latencyMs), n);
    down = d.state;
    slow = s.state;
    if (d.opened) emit(DetectorKind.crash, kept.slice(-n));
    if (s.opened) emit(DetectorKind.latency, kept.slice(-n));
  }

  const loop = createPollLoop({ intervalMs: opts.intervalMs, tick, signal: opts.signal, onError: opts.onError });
  return {
    start: loop.start,
    stop: loop.stop,
    rearm() {
      down = INITIAL_EPISODE;
      slow = INITIAL_EPISODE;
    },
    samples: () => [...kept],
    uptime(window) {
      const range = window ?? { from: kept[0]?.at ?? now(), to: now() };
      return summarizeUptime(kept, range, latencyMs);
    },
  };
}
