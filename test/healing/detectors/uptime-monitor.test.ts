import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DetectorEvent } from "../../../src/healing/detectors/detector-event.js";
import { createUptimeMonitor, timeoutFor, type UptimeMonitor } from "../../../src/healing/detectors/uptime-monitor.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import { waitFor } from "./helpers.js";

type Mode = "ok" | "fail" | "slow" | "hang";

let server: http.Server;
let url: string;
let mode: Mode;
let monitor: UptimeMonitor | null;

beforeEach(async () => {
  mode = "ok";
  monitor = null;
  server = http.createServer((_req, res) => {
    if (mode === "fail") return void res.writeHead(503).end("down");
    if (mode === "hang") return; // never answers: the probe must time out
    const delay = mode === "slow" ? 250 : 0;
    setTimeout(() => res.writeHead(200).end("ok"), delay);
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});

afterEach(async () => {
  await monitor?.stop();
  server.closeAllConnections();
  if (server.listening) await new Promise((r) => server.close(r));
});

function start(events: DetectorEvent[], timeoutMs = 5_000): UptimeMonitor {
  monitor = createUptimeMonitor({ url, intervalMs: 20, timeoutMs, latencyMs: 150, environment: "stage", target: "stage/dashboard", emit: (e) => events.push(e) });
  monitor.start();
  return monitor;
}

const count = (events: DetectorEvent[], kind: string): number => events.filter((e) => e.kind === kind).length;

describe("createUptimeMonitor against a real HTTP server", () => {
  it("emits crash after 2 failed probes and latency when slow, once per episode, and recovers", async () => {
    const events: DetectorEvent[] = [];
    const m = start(events);
    await waitFor(() => m.samples().length >= 3, 10_000, "healthy probes");
    expect(events).toEqual([]);

    mode = "fail";
    await waitFor(() => count(events, "crash") === 1, 10_000, "crash");
    const crash = events[0] as DetectorEvent;
    expect(crash).toMatchObject({ kind: "crash", environment: "stage", target: "stage/dashboard" });
    const evidence = crash.evidence as { samples: { up: boolean; error: string }[] };
    expect(evidence.samples).toHaveLength(2);
    expect(evidence.samples.every((s) => !s.up && s.error === "HTTP 503")).toBe(true);
    // The outage goes on: more failed probes, still one incident.
    const failedSoFar = m.samples().length;
    await waitFor(() => m.samples().length >= failedSoFar + 4, 10_000, "more failed probes");
    expect(count(events, "crash")).toBe(1);
    // rearm() forgets the episode: the outage still holds, so it is one more incident.
    m.rearm();
    await waitFor(() => count(events, "crash") === 2, 10_000, "crash again after rearm");
    events.splice(1, 1);
    expect(count(events, "crash")).toBe(1);

    mode = "slow";
    await waitFor(() => count(events, "latency") === 1, 10_000, "latency");
    const slowSoFar = m.samples().length;
    await waitFor(() => m.samples().length >= slowSoFar + 3, 10_000, "more slow probes");
    expect(count(events, "latency")).toBe(1);
    expect(count(events, "crash")).toBe(1);

    // A second outage (the server is gone) is a new episode.
    mode = "ok";
    await waitFor(() => m.samples().at(-1)?.responseMs !== undefined && (m.samples().at(-1)?.responseMs ?? 999) < 150, 10_000, "fast probe");
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await waitFor(() => count(events, "crash") === 2, 10_000, "second crash");
    const last = (events.at(-1)?.evidence as { samples: { error: string }[] }).samples.at(-1);
    expect(last?.error).toMatch(/ECONNREFUSED/);

    const summary = m.uptime();
    expect(summary.state).toBe("DOWN");
    expect(summary.timeline.map((s) => s.state)).toEqual(["UP", "DOWN", "UP", "DOWN"]);
    expect(summary.uptimePercent).toBeGreaterThan(0);
    expect(summary.uptimePercent).toBeLessThan(100);
    expect(summary.latency.overThreshold).toBeGreaterThanOrEqual(2);

    await m.stop();
    const after = m.samples().length;
    await new Promise((r) => setTimeout(r, 100));
    expect(m.samples().length).toBe(after);
    await m.stop(); // idempotent
  });

  it("counts a probe with no answer within the timeout as down; the timeout leaves room for slow answers", async () => {
    mode = "hang";
    const events: DetectorEvent[] = [];
    // 100 ms asked for, but a 150 ms latency threshold needs answers up to 150 to be able to arrive:
    // the monitor waits 1.25 × 150 = 188 ms, so a slow answer is latency and only no answer is DOWN.
    start(events, 100);
    await waitFor(() => count(events, "crash") === 1, 10_000, "crash by timeout");
    const evidence = events[0]?.evidence as { timeoutMs: number; samples: { error: string; responseMs: number | null }[] };
    expect(evidence.timeoutMs).toBe(188);
    expect(evidence.samples.map((s) => [s.error, s.responseMs])).toEqual([
      ["timeout after 188 ms", null],
      ["timeout after 188 ms", null],
    ]);
    expect([timeoutFor(2000, 24_000), timeoutFor(5000, 1000), timeoutFor(0, 120_000)]).toEqual([30_000, 5000, 150_000]);
  });

  it("stops when its AbortSignal aborts, even with a probe in flight", async () => {
    mode = "hang";
    const controller = new AbortController();
    const events: DetectorEvent[] = [];
    monitor = createUptimeMonitor({ url, intervalMs: 20, timeoutMs: 30_000, signal: controller.signal, environment: "dev", target: url, emit: (e) => events.push(e) });
    monitor.start();
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await monitor.stop();
    expect(monitor.samples()).toEqual([]);
    expect(events).toEqual([]);
  });

  it("keeps running when emit throws, reporting the error", async () => {
    mode = "fail";
    const errors: unknown[] = [];
    monitor = createUptimeMonitor({
      url, intervalMs: 20, timeoutMs: 2_000, consecutive: 1, environment: "dev", target: url,
      emit: () => { throw new Error("listener broke"); },
      onError: (e) => errors.push(e),
    });
    monitor.start();
    await waitFor(() => errors.length === 1 && monitor!.samples().length >= 3, 10_000, "probes after a throwing emit");
    expect((errors[0] as Error).message).toBe("listener broke");
  });
});

describe("createUptimeMonitor with a stored latency threshold", () => {
  it("reads the threshold before every probe: a raise ends the episode, a lower one starts the next, no restart", async () => {
    const store = await createSqliteStore({ memory: true });
    await store.migrate();
    try {
      mode = "slow"; // every answer takes at least 250 ms
      const events: DetectorEvent[] = [];
      const change = (to: number | null, at: number) => store.remedies.changeThreshold({ detector: "stage/dashboard", key: "latency_ms", to, by: "test", decisionId: null, reason: "test", at });
      monitor = createUptimeMonitor({
        url, intervalMs: 20, timeoutMs: 5_000, latencyMs: 150, environment: "stage", target: "stage/dashboard", emit: (e) => events.push(e),
        latencyThreshold: () => store.remedies.getThreshold("stage/dashboard", "latency_ms"),
      });
      const m = monitor;
      m.start();
      // Nothing stored: the configured 150 ms applies.
      await waitFor(() => count(events, "latency") === 1, 10_000, "latency at the configured threshold");
      expect(events[0]?.evidence).toMatchObject({ latencyMs: 150 });

      await change(1_000, 1);
      // Probes started after the change are judged against 1000 ms: the episode closes.
      const before = m.samples().length;
      await waitFor(() => m.samples().length >= before + 4, 10_000, "probes under the raised threshold");
      expect(count(events, "latency")).toBe(1);
      expect(m.uptime().latency.overThreshold).toBe(0);

      // Only a closed episode can open again, so a second event proves the raise was honoured.
      await change(200, 2);
      await waitFor(() => count(events, "latency") === 2, 10_000, "latency at the lowered threshold");
      expect(events[1]?.evidence).toMatchObject({ latencyMs: 200 });
    } finally {
      await monitor?.stop();
      await store.close();
    }
  });

  it("keeps probing with the last value when reading the threshold fails", async () => {
    mode = "slow";
    const events: DetectorEvent[] = [];
    const errors: unknown[] = [];
    let reads = 0;
    monitor = createUptimeMonitor({
      url, intervalMs: 20, timeoutMs: 5_000, latencyMs: 10_000, consecutive: 3, environment: "dev", target: url, emit: (e) => events.push(e), onError: (e) => errors.push(e),
      // 100 ms on the first read, then the source breaks: 100 must stay in force.
      latencyThreshold: () => (++reads === 1 ? Promise.resolve(100) : Promise.reject(new Error("store gone"))),
    });
    monitor.start();
    await waitFor(() => count(events, "latency") === 1, 10_000, "latency with the last value read");
    expect(events[0]?.evidence).toMatchObject({ latencyMs: 100 });
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect((errors[0] as Error).message).toBe("store gone");
  });
});
