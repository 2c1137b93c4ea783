import type { DataQualityRule } from "../../core/healing/data-quality.js";
import type { Environment } from "../../core/healing/environment.js";
import { THRESHOLDS } from "../../core/healing/thresholds.js";
import type { ProbeSample, UptimeSummary } from "../../core/healing/uptime.js";
import type { DeployTarget } from "../../deploy/port.js";
import type { RemedyStore } from "../../store/port.js";
import { createDataQualityCheck } from "./data-quality-check.js";
import { createHealthWatch } from "./health-watch.js";
import type { Detector, DetectorEvent, EmitDetectorEvent } from "./detector-event.js";
import { createOverloadWatch } from "./overload-watch.js";
import { processTree } from "./proc-reading.js";
import { createUptimeMonitor } from "./uptime-monitor.js";
import { createWorkerWatch } from "./worker-watch.js";

export interface TargetWatchOptions {
  environment: Environment;
  /** `<environment>/<app>`: what the incidents name, and the detector id thresholds are stored under. */
  subject: string;
  target: Pick<DeployTarget, "status" | "health">;
  /** The environment's public URL, probed by the uptime monitor. */
  url: string;
  /** Uptime, worker and CPU polls. */
  intervalMs: number;
  /** A probe without an answer after this is DOWN. */
  timeoutMs: number;
  /** Latency bound when none is stored for the subject (`pitstop thresholds`); seed default 24000. */
  latencyMs: number;
  /** CPU bound (% of a core) when none is stored; default the seeds' 90. */
  cpuPercent?: number;
  /** Resident memory bound per process; omitted = memory not checked. */
  rssBytes?: number;
  /** Requests in flight at the environment's front above this is an overload; omitted = not checked. */
  maxBacklog?: number;
  /** The datasets the app serves, checked every `dataIntervalMs` (default 60 s); null = no data-quality check. */
  datasetsDir: string | null;
  rules: readonly DataQualityRule[];
  dataIntervalMs?: number;
  /** After an event of one kind, more of that kind are dropped for this long (one outage, one incident). */
  quietMs: number;
  /** Where thresholds changed by `adjust_threshold` or by hand are read on every check. */
  thresholds: Pick<RemedyStore, "getThreshold">;
  emit: EmitDetectorEvent;
  onSample?: (sample: ProbeSample) => void;
  /** An event dropped as a repeat within `quietMs`. */
  onQuiet?: (event: DetectorEvent) => void;
  onError?: (error: unknown) => void;
  now?: () => number;
  signal?: AbortSignal;
}

/** Every process of the target's live workers: each worker is a shell and the app it started. */
export async function workerPids(target: Pick<DeployTarget, "status">): Promise<number[]> {
  const { workers } = await target.status();
  return (await Promise.all(workers.filter((w) => w.alive).map((w) => processTree(w.pid)))).flat();
}

export interface TargetWatch extends Detector {
  /** The uptime monitor's timeline, uptime % and latency since the watch started. */
  uptime(): UptimeSummary;
}

/**
 * Every Monitor-step detector for one deployed app, side by side: the uptime monitor (DOWN →
 * crash, slow → latency) on its public URL, the worker watch (a worker process died → crash), the
 * health watch (the release's health checks fail with every worker alive → deploy_unhealthy), the
 * overload watch (CPU, and memory when bounded, of each worker's process tree) and, when the app
 * serves datasets, the data-quality check. Repeats of a kind within `quietMs` are dropped: a crash seen by both the
 * uptime monitor and the worker watch, or an outage still going on while the loop acts, is one
 * incident.
 */
export function createTargetWatch(o: TargetWatchOptions): TargetWatch {
  const now = o.now ?? Date.now;
  const lastEmitted = new Map<string, number>();
  const emit: EmitDetectorEvent = (event) => {
    const last = lastEmitted.get(event.kind);
    if (last !== undefined && event.at - last < o.quietMs) {
      o.onQuiet?.(event);
      return;
    }
    lastEmitted.set(event.kind, event.at);
    o.emit(event);
  };
  const base = { environment: o.environment, target: o.subject, emit, now, ...(o.onError ? { onError: o.onError } : {}), ...(o.signal ? { signal: o.signal } : {}) };
  const stored = (key: "latency_ms" | "cpu_percent") => () => o.thresholds.getThreshold(o.subject, key);
  const uptime = createUptimeMonitor({
    ...base,
    url: o.url,
    intervalMs: o.intervalMs,
    timeoutMs: o.timeoutMs,
    latencyMs: o.latencyMs,
    latencyThreshold: stored("latency_ms"),
    ...(o.onSample ? { onSample: o.onSample } : {}),
  });
  const detectors: Detector[] = [
    uptime,
    createWorkerWatch({ ...base, intervalMs: o.intervalMs, status: () => o.target.status() }),
    createOverloadWatch({
      ...base,
      intervalMs: o.intervalMs,
      pids: () => workerPids(o.target),
      cpuPercent: o.cpuPercent ?? THRESHOLDS.cpu_percent.default,
      cpuThreshold: stored("cpu_percent"),
      ...(o.rssBytes === undefined ? {} : { rssBytes: o.rssBytes }),
      ...(o.maxBacklog === undefined ? {} : { maxBacklog: o.maxBacklog, backlog: async () => (await o.target.status()).requestsInFlight ?? null }),
    }),
    createHealthWatch({ ...base, intervalMs: o.intervalMs, health: () => o.target.health(), status: () => o.target.status() }),
  ];
  if (o.datasetsDir !== null) {
    detectors.push(createDataQualityCheck({ ...base, datasetsDir: o.datasetsDir, rules: o.rules, intervalMs: o.dataIntervalMs ?? 60_000 }));
  }
  return {
    start() {
      for (const d of detectors) d.start();
    },
    async stop() {
      await Promise.all(detectors.map((d) => d.stop()));
    },
    rearm() {
      for (const d of detectors) d.rearm();
    },
    uptime: () => uptime.uptime(),
  };
}
