import { describe, expect, it } from "vitest";
import { DEFAULT_LATENCY_MS, INITIAL_EPISODE, isOverLatency, latencyStats, percentile, stepEpisode, summarizeUptime, uptimePercent, uptimeTimeline, type EpisodeState, type ProbeSample } from "./uptime.js";

const up = (at: number, responseMs = 10): ProbeSample => ({ at, up: true, responseMs, error: null });
const down = (at: number): ProbeSample => ({ at, up: false, responseMs: null, error: "HTTP 503" });

describe("uptimeTimeline", () => {
  it("merges probes of one state and records each transition, in time order", () => {
    const samples = [up(0), up(10), down(20), down(30), up(40)].reverse();
    expect(uptimeTimeline(samples)).toEqual([
      { state: "UP", from: 0, to: 20, probes: 2 },
      { state: "DOWN", from: 20, to: 40, probes: 2 },
      { state: "UP", from: 40, to: null, probes: 1 },
    ]);
    expect(uptimeTimeline([])).toEqual([]);
  });
});

describe("uptimePercent", () => {
  it("weights each probe's state until the next probe and clips to the window", () => {
    const samples = [up(0), down(60), up(90)];
    expect(uptimePercent(samples, { from: 0, to: 100 })).toBe(70);
    // The probe at 0 carries UP into a window that starts at 30.
    expect(uptimePercent(samples, { from: 30, to: 90 })).toBe(50);
    expect(uptimePercent(samples, { from: 60, to: 90 })).toBe(0);
  });

  it("leaves unknown time out and says null when nothing is known", () => {
    expect(uptimePercent([down(50), up(75)], { from: 0, to: 100 })).toBe(50);
    expect(uptimePercent([], { from: 0, to: 100 })).toBeNull();
    expect(uptimePercent([up(200)], { from: 0, to: 100 })).toBeNull();
  });
});

describe("latency", () => {
  it("uses nearest-rank percentiles over probes that got a response", () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(10);
    expect(percentile(values, 95)).toBe(19);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
    const stats = latencyStats([up(0, 100), up(1, 300), down(2), up(3, 200)], 250);
    expect(stats).toEqual({ p50: 200, p95: 300, overThreshold: 1, samples: 3 });
  });

  it("defaults to the seeds' 24000 ms and treats exactly the threshold as fine", () => {
    expect(DEFAULT_LATENCY_MS).toBe(24_000);
    expect(isOverLatency(up(0, 24_000))).toBe(false);
    expect(isOverLatency(up(0, 24_001))).toBe(true);
    expect(isOverLatency(down(0))).toBe(false);
  });

  it("summarizes a window: state, timeline and latency inside it", () => {
    const s = summarizeUptime([up(0, 50), down(10), up(20, 500)], { from: 5, to: 30 }, 100);
    expect(s.state).toBe("UP");
    expect(s.timeline.map((t) => t.state)).toEqual(["DOWN", "UP"]);
    expect(s.uptimePercent).toBeCloseTo(60);
    expect(s.latency).toEqual({ p50: 500, p95: 500, overThreshold: 1, samples: 1 });
  });
});

describe("stepEpisode", () => {
  it("opens once after n breaches in a row, stays quiet while it lasts, closes on the first good probe", () => {
    let state: EpisodeState = INITIAL_EPISODE;
    const events: string[] = [];
    for (const breached of [true, false, true, true, true, true, false, true, true]) {
      const r = stepEpisode(state, breached, 2);
      state = r.state;
      events.push(r.opened ? "open" : r.closed ? "close" : ".");
    }
    expect(events).toEqual([".", ".", ".", "open", ".", ".", "close", ".", "open"]);
  });
});
