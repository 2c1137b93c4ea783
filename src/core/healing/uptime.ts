/**
 * Uptime maths for the Monitor step: probe samples in, an UP/DOWN timeline, uptime % over a window
 * and latency percentiles out. Pure: times are epoch milliseconds passed in by the prober.
 */

/** Seed default: a response slower than this is a latency incident (configurable per monitor). */
export const DEFAULT_LATENCY_MS = 24_000;

export interface ProbeSample {
  /** When the probe started (epoch ms). */
  at: number;
  up: boolean;
  /** Time to the response headers; null when no response came (refused, timed out). */
  responseMs: number | null;
  /** Why the probe counts as down (`HTTP 503`, `timeout after 2000 ms`, …); null when up. */
  error: string | null;
}

export const UptimeState = { up: "UP", down: "DOWN" } as const;
export type UptimeState = (typeof UptimeState)[keyof typeof UptimeState];

/** A stretch of one state: from the first probe that saw it to the first probe that saw the other. */
export interface UptimeSpan {
  state: UptimeState;
  from: number;
  /** null while the span is still open (the last probe saw this state). */
  to: number | null;
  probes: number;
}

function stateOf(sample: ProbeSample): UptimeState {
  return sample.up ? UptimeState.up : UptimeState.down;
}

function byTime(samples: readonly ProbeSample[]): ProbeSample[] {
  return [...samples].sort((a, b) => a.at - b.at);
}

/** The transitions: consecutive samples of one state merge into one span. */
export function uptimeTimeline(samples: readonly ProbeSample[]): UptimeSpan[] {
  const spans: UptimeSpan[] = [];
  for (const sample of byTime(samples)) {
    const state = stateOf(sample);
    const last = spans.at(-1);
    if (last !== undefined && last.state === state) {
      last.probes++;
      continue;
    }
    if (last !== undefined) last.to = sample.at;
    spans.push({ state, from: sample.at, to: null, probes: 1 });
  }
  return spans;
}

export interface TimeWindow {
  from: number;
  to: number;
}

/**
 * Share of the window (0..100) the target was UP, weighting each probe's state until the next probe
 * (the last one until `window.to`). Time before the first probe is unknown and left out; a probe
 * before the window carries its state into it. null when nothing is known.
 */
export function uptimePercent(samples: readonly ProbeSample[], window: TimeWindow): number | null {
  const sorted = byTime(samples).filter((s) => s.at <= window.to);
  let upMs = 0;
  let knownMs = 0;
  sorted.forEach((sample, i) => {
    const start = Math.max(sample.at, window.from);
    const end = Math.min(sorted[i + 1]?.at ?? window.to, window.to);
    if (end <= start) return;
    knownMs += end - start;
    if (sample.up) upMs += end - start;
  });
  return knownMs === 0 ? null : (upMs / knownMs) * 100;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list; no interpolation, so it is a real sample. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export interface LatencyStats {
  p50: number | null;
  p95: number | null;
  /** Samples with a response that took longer than the threshold. */
  overThreshold: number;
  samples: number;
}

/** Latency of the probes that got a response (down probes have no meaningful latency). */
export function latencyStats(samples: readonly ProbeSample[], thresholdMs: number = DEFAULT_LATENCY_MS): LatencyStats {
  const times = samples.filter((s) => s.up && s.responseMs !== null).map((s) => s.responseMs as number);
  return {
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    overThreshold: times.filter((t) => t > thresholdMs).length,
    samples: times.length,
  };
}

/** A response that came but too slowly. Strictly greater: exactly the threshold is still fine. */
export function isOverLatency(sample: ProbeSample, thresholdMs: number = DEFAULT_LATENCY_MS): boolean {
  return sample.up && sample.responseMs !== null && sample.responseMs > thresholdMs;
}

export interface UptimeSummary {
  window: TimeWindow;
  uptimePercent: number | null;
  state: UptimeState | null;
  timeline: UptimeSpan[];
  latency: LatencyStats;
}

/** Everything a status page or the Verify step wants about one target over a window. */
export function summarizeUptime(samples: readonly ProbeSample[], window: TimeWindow, thresholdMs: number = DEFAULT_LATENCY_MS): UptimeSummary {
  const inWindow = samples.filter((s) => s.at >= window.from && s.at <= window.to);
  const timeline = uptimeTimeline(inWindow);
  return {
    window,
    uptimePercent: uptimePercent(samples, window),
    state: timeline.at(-1)?.state ?? null,
    timeline,
    latency: latencyStats(inWindow, thresholdMs),
  };
}

/**
 * Episode tracking for "N consecutive probes" alerts: an episode opens (`opened`, emit once) when
 * the condition held for `n` probes in a row, and closes (`closed`) at the first probe without it.
 * While it lasts nothing new fires, so one outage is one incident.
 */
export interface EpisodeState {
  streak: number;
  active: boolean;
}

export const INITIAL_EPISODE: EpisodeState = Object.freeze({ streak: 0, active: false });

export function stepEpisode(state: EpisodeState, breached: boolean, n: number): { state: EpisodeState; opened: boolean; closed: boolean } {
  if (!breached) return { state: INITIAL_EPISODE, opened: false, closed: state.active };
  const streak = state.streak + 1;
  const opened = !state.active && streak >= n;
  return { state: { streak, active: state.active || opened }, opened, closed: false };
}
