import { cp, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_DATA_QUALITY_RULES } from "../../core/healing/data-quality.js";
import type { DeployTarget } from "../../deploy/port.js";
import type { Environment } from "../../core/healing/environment.js";
import { createUptimeMonitor } from "../../healing/detectors/uptime-monitor.js";
import { createDataQualityCheck } from "../../healing/detectors/data-quality-check.js";
import { DetectorKind, type Detector, type DetectorEvent } from "../../healing/detectors/detector-event.js";
import { createOverloadWatch } from "../../healing/detectors/overload-watch.js";
import { workerPids } from "../../healing/detectors/create-target-watch.js";
import { createWorkerWatch } from "../../healing/detectors/worker-watch.js";
import type { FaultInjector } from "../../healing/inject/create-fault-injector.js";
import type { HealEvent } from "../../healing/loop/heal-types.js";
import { detectFlakyTests } from "../../healing/detectors/flaky-tests.js";
import type { RunRecord, Store } from "../../store/port.js";
import { jobFailureEvent } from "../heal-feed.js";

/**
 * The demo's scenarios: each injects a real fault into the deployed example app and returns the
 * event a detector raised about it (or, where no detector watches that fault, the event built from
 * what was observed), with the time the fault took effect. The loop is run by the caller.
 */

export interface ScenarioContext {
  store: Store;
  /** Runs the demo's test pipeline with these extra job env values and returns the ended run. */
  runTests: (env: Record<string, string>) => Promise<RunRecord>;
  target: DeployTarget;
  /** The environment's public URL (the proxy in front of the workers). */
  url: string;
  injector: FaultInjector;
  /** The example's datasets, copied before one is broken. */
  datasetsDir: string;
  workDir: string;
  environment: Environment;
  /** `<env>/<app>`: what every incident of the demo names. */
  subject: string;
}

export interface Injected {
  /** Epoch ms when the fault took effect: time to recover is measured from here. */
  injectedAt: number;
  event: HealEvent;
  /** What was injected, in a few words (for the table and the JSON). */
  fault: string;
}

export interface Scenario {
  name: string;
  /** The decision the stage policy should make. */
  expected: string;
  /** False when the loop cannot heal it by design (escalate). */
  healable: boolean;
  inject: (c: ScenarioContext) => Promise<Injected>;
}

/** Resolves with a detector's first event, or rejects after `ms`; the detector is stopped either way. */
async function firstEvent(make: (emit: (e: DetectorEvent) => void) => Detector, ms: number, what: string): Promise<DetectorEvent> {
  let detector: Detector | null = null;
  try {
    return await new Promise<DetectorEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: no detector event within ${ms} ms`)), ms);
      detector = make((e) => {
        clearTimeout(timer);
        resolve(e);
      });
      detector.start();
    });
  } finally {
    await (detector as Detector | null)?.stop();
  }
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not observed within ${ms} ms`);
}

const base = (c: ScenarioContext) => ({ environment: c.environment, target: c.subject });

async function crash(c: ScenarioContext): Promise<Injected> {
  const worker = (await c.target.status()).workers.find((w) => w.alive);
  if (!worker) throw new Error("crash: no live worker to kill");
  // The whole process group, as a real crash takes the app and its shell together.
  const injectedAt = (await c.injector.crash({ pid: worker.pid, group: true })).at;
  const event = await firstEvent((emit) => createWorkerWatch({ ...base(c), emit, intervalMs: 100, status: () => c.target.status() }), 10_000, "crash");
  return { injectedAt, event, fault: `SIGKILL worker pid ${worker.pid}` };
}

async function overload(c: ScenarioContext): Promise<Injected> {
  const injection = await c.injector.overload(c.url, 3000);
  const event = await firstEvent((emit) => createOverloadWatch({ ...base(c), emit, pids: () => workerPids(c.target), cpuPercent: 50, intervalMs: 250 }), 10_000, "overload");
  // Stop the burn once it has been seen (on every worker: the proxy picked one of them).
  for (const u of await workerUrls(c)) await c.injector.clear(u);
  return { injectedAt: injection.at, event, fault: "POST /__faults/cpu 3000 ms" };
}

/** Each live worker's own URL: per-process faults must reach every worker, not the one the proxy picks. */
async function workerUrls(c: ScenarioContext): Promise<string[]> {
  return (await c.target.status()).workers.filter((w) => w.alive).map((w) => `http://127.0.0.1:${w.port}`);
}

/** Every worker answers 1.5 s late until restarted: the uptime monitor's latency threshold (1 s here) fires. */
async function latency(c: ScenarioContext): Promise<Injected> {
  const urls = await workerUrls(c);
  const injections = await Promise.all(urls.map((u) => c.injector.latency(u, 1500)));
  const event = await firstEvent((emit) => createUptimeMonitor({ ...base(c), emit, url: c.url, intervalMs: 200, timeoutMs: 5000, latencyMs: 1000 }), 15_000, "latency");
  return { injectedAt: Math.min(...injections.map((i) => i.at)), event, fault: `1500 ms latency on ${urls.length} worker(s)` };
}

async function falseAlarm(c: ScenarioContext): Promise<Injected> {
  // A latency spike shorter than one probe window: the detector fires, the app recovers alone.
  const urls = await workerUrls(c);
  const injections = await Promise.all(urls.map((u) => c.injector.falseAlarm(u, 400, 400)));
  const event: DetectorEvent = { kind: DetectorKind.false_alarm, ...base(c), at: Date.now(), evidence: { injections: injections.map((i) => i.details), recovered: (await c.target.health()).healthy } };
  return { injectedAt: Math.min(...injections.map((i) => i.at)), event, fault: `400 ms latency spike on ${urls.length} worker(s), cleared` };
}

async function badRelease(c: ScenarioContext): Promise<Injected> {
  const { workers, current } = await c.target.status();
  // Every worker of the live release turns bad (the hook is per process), as a bad config would.
  for (const w of workers.filter((x) => x.alive)) await c.injector.unhealthy(`http://127.0.0.1:${w.port}`);
  const injectedAt = Date.now();
  await until(async () => !(await c.target.health()).healthy, 10_000, "bad release");
  const health = await c.target.health();
  const event: DetectorEvent = { kind: DetectorKind.deploy_unhealthy, ...base(c), at: Date.now(), evidence: { release: current?.id ?? null, health } };
  return { injectedAt, event, fault: `release ${current?.id ?? "?"} /health → 503` };
}

/** The job of the demo's test pipeline that runs the tests. */
const TEST_JOB = "test";

async function flakyTest(c: ScenarioContext): Promise<Injected> {
  const marker = path.join(c.workDir, "flaky.marker");
  const injection = await c.injector.flakyTest(marker);
  // The real test stage runs the example's suite; one test fails on its first run only.
  const run = await c.runTests(injection.env);
  const event = run.status === "failed" ? await jobFailureEvent(c.store, { runId: run.id, jobId: TEST_JOB, environment: c.environment }) : null;
  const failed = event?.failedTestIds ?? [];
  if (event === null || failed.length === 0) throw new Error(`flaky test: test run #${run.number} ended ${run.status} without a failed test`);
  // Time to recover counts from the failure, not from the start of the test run.
  return { injectedAt: event.at, event, fault: `${failed.join(", ")} fails once (test run #${run.number})` };
}

/** The flaky-test detector on the rerun the previous scenario made: failed, then passed on the same commit. */
async function flakyConfirmed(c: ScenarioContext): Promise<Injected> {
  const rerun = (await c.store.runs.listRuns({ limit: 20 })).find((r) => r.trigger.rerunOf?.jobId === TEST_JOB);
  if (rerun === undefined) throw new Error("flaky test confirmed: no rerun of the test job to compare (the flaky-test scenario did not rerun it)");
  const [event] = await detectFlakyTests(c.store, { runId: rerun.id, jobId: TEST_JOB, environment: c.environment, now: Date.now() });
  if (event === undefined) throw new Error(`flaky test confirmed: run #${rerun.number} reran the failed tests but none of them passed`);
  return { injectedAt: event.at, event, fault: `${String(event.evidence["testId"])} failed, then passed in run #${rerun.number} (same commit)` };
}

async function dataAnomaly(c: ScenarioContext): Promise<Injected> {
  const copy = path.join(c.workDir, "datasets");
  await rm(copy, { recursive: true, force: true });
  await mkdir(c.workDir, { recursive: true });
  await cp(c.datasetsDir, copy, { recursive: true });
  // The copy is overwritten from the shipped file: the example's own datasets stay clean.
  const injection = await c.injector.forceAnomaly(path.join(c.datasetsDir, "student_scores.csv"), "low_scores", path.join(copy, "student_scores.csv"));
  let event: DetectorEvent | null = null;
  const detector = createDataQualityCheck({ ...base(c), emit: (e) => (event ??= e), datasetsDir: copy, rules: DEFAULT_DATA_QUALITY_RULES });
  await detector.checkNow();
  await detector.stop();
  if (event === null) throw new Error("data anomaly: the data-quality check found nothing");
  return { injectedAt: injection.at, event, fault: injection.anomaly.breaks };
}

/** Faults `pitstop run --fail-type` injects that the demo does not run. */
export const EXTRA_SCENARIOS: readonly Scenario[] = [{ name: "latency", expected: "scale_up", healable: true, inject: latency }];

export const SCENARIOS: readonly Scenario[] = [
  { name: "crash", expected: "restart", healable: true, inject: crash },
  { name: "overload", expected: "scale_up", healable: true, inject: overload },
  { name: "false alarm", expected: "noop", healable: true, inject: falseAlarm },
  { name: "bad release", expected: "rollback", healable: true, inject: badRelease },
  { name: "flaky test", expected: "rerun_failed_tests", healable: true, inject: flakyTest },
  { name: "flaky test confirmed", expected: "quarantine_test", healable: true, inject: flakyConfirmed },
  { name: "data anomaly", expected: "escalate", healable: false, inject: dataAnomaly },
];
