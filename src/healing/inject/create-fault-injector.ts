import { rm } from "node:fs/promises";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { forceAnomaly, type AnomalyKind, type ForcedAnomaly } from "./force-anomaly.js";

/**
 * Injects real faults into a deployed example app (examples/dashboard-app) for the healing demo
 * and `pitstop run --fail-type`. HTTP faults go to the app's /__faults hooks, which exist only when
 * the app runs with PITSTOP_FAULTS=1 and answer loopback callers only; this injector also refuses
 * any non-loopback URL before sending, so it can never be aimed at a remote service.
 */

export const FaultKind = {
  crash: "crash",
  latency: "latency",
  overload: "overload",
  clear: "clear",
  false_alarm: "false_alarm",
  bad_release: "bad_release",
  flaky_test: "flaky_test",
  data_anomaly: "data_anomaly",
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** What an injection did, for the audit log. */
export interface FaultInjection {
  fault: FaultKind;
  /** Epoch ms when the fault took effect (from `now`). */
  at: number;
  /** `pid:<n>`, the app's base URL, or a file path. */
  target: string;
  details: Record<string, unknown>;
}

/** Faults that act at the next deploy or test run: the caller passes `env` to it. */
export interface EnvFaultInjection extends FaultInjection {
  env: Record<string, string>;
}

/** `group`: the pid's whole process group (a deployed worker is a shell and the app it started). */
export type CrashTarget = { pid: number; group?: boolean } | { url: string };

export interface FaultInjectorDeps {
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface FaultInjector {
  /** `{pid}`: SIGKILL, a real crash with no shutdown; `{url}`: the app exits 1 after answering. */
  crash(target: CrashTarget): Promise<FaultInjection>;
  /** Every request of the app waits `ms` until `clear`. */
  latency(url: string, ms: number): Promise<FaultInjection>;
  /** The app burns CPU for `ms` (overload); it still answers, slowly. */
  overload(url: string, ms: number): Promise<FaultInjection>;
  clear(url: string): Promise<FaultInjection>;
  /** The live release turns bad: `/health` answers 503 until `clear` (a rollback's job). */
  unhealthy(url: string): Promise<FaultInjection>;
  /**
   * A false alarm: a detector fires but the system recovers on its own, so the right action is a
   * no-op. Sets `latencyMs` of latency for one probe window (`windowMs`), then clears it; resolves
   * after the clear.
   */
  falseAlarm(url: string, windowMs: number, latencyMs?: number): Promise<FaultInjection>;
  /** Env for the next deploy: its /health answers 503, so it is a bad release to roll back. */
  badRelease(): EnvFaultInjection;
  /** Env for the next test run: one test fails once, then passes. Removes a stale marker first. */
  flakyTest(markerPath: string): Promise<EnvFaultInjection>;
  /** Writes a copy of a dataset breaking a seed threshold to `outputPath`; the source is unchanged. */
  forceAnomaly(csvPath: string, kind: AnomalyKind, outputPath: string): Promise<FaultInjection & { anomaly: ForcedAnomaly }>;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

function usage(message: string, details: Record<string, unknown>): PitstopError {
  return new PitstopError(ErrorCode.USAGE, message, { details });
}

function appBase(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usage(`'${url}' is not a URL; pass the app's base URL, e.g. http://127.0.0.1:3000`, { url });
  }
  if (parsed.protocol !== "http:" || !LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw usage(`faults are injected only into apps on this machine (http://127.0.0.1:<port>), not ${url}`, { url });
  }
  return parsed;
}

function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function checkMs(ms: number, field: string): void {
  if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) throw usage(`${field} must be an integer from 0 to 600000 ms, got ${ms}`, { [field]: ms });
}

export function createFaultInjector(deps: FaultInjectorDeps = {}): FaultInjector {
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function post(url: string, action: string, body?: { ms: number }): Promise<{ base: string; status: number; answer: unknown }> {
    const base = appBase(url);
    const endpoint = new URL(`/__faults/${action}`, base);
    let res: Response;
    try {
      res = await doFetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new PitstopError(ErrorCode.EXECUTOR_FAILED, `cannot reach ${endpoint.href}: ${(e as Error).message}; is the app running?`, { cause: e, retryable: true });
    }
    const text = await res.text();
    if (res.status === 404) {
      throw usage(`${endpoint.href} answered 404: the app has no fault hooks; start it with PITSTOP_FAULTS=1`, { url: endpoint.href });
    }
    if (!res.ok) throw new PitstopError(ErrorCode.EXECUTOR_FAILED, `${endpoint.href} answered ${res.status}: ${text.trim()}`, { details: { url: endpoint.href } });
    return { base: base.origin, status: res.status, answer: parseAnswer(text) };
  }

  async function httpFault(fault: FaultKind, url: string, action: string, ms?: number): Promise<FaultInjection> {
    if (ms !== undefined) checkMs(ms, "ms");
    const { base, status, answer } = await post(url, action, ms === undefined ? undefined : { ms });
    return { fault, at: now(), target: base, details: { endpoint: `POST /__faults/${action}`, status, answer } };
  }

  return {
    async crash(target) {
      if ("url" in target) return httpFault(FaultKind.crash, target.url, "crash");
      if (!Number.isInteger(target.pid) || target.pid <= 1) throw usage(`pid must be a process id above 1, got ${target.pid}`, { pid: target.pid });
      try {
        process.kill(target.group ? -target.pid : target.pid, "SIGKILL");
      } catch (e) {
        throw usage(`cannot kill pid ${target.pid}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; is the worker running?`, { pid: target.pid });
      }
      return { fault: FaultKind.crash, at: now(), target: `pid:${target.pid}`, details: { signal: "SIGKILL", ...(target.group ? { group: true } : {}) } };
    },
    latency: (url, ms) => httpFault(FaultKind.latency, url, "latency", ms),
    overload: (url, ms) => httpFault(FaultKind.overload, url, "cpu", ms),
    clear: (url) => httpFault(FaultKind.clear, url, "clear"),
    unhealthy: (url) => httpFault(FaultKind.bad_release, url, "unhealthy"),
    async falseAlarm(url, windowMs, latencyMs = windowMs) {
      checkMs(windowMs, "windowMs");
      const set = await httpFault(FaultKind.false_alarm, url, "latency", latencyMs);
      await sleep(windowMs);
      const cleared = await httpFault(FaultKind.false_alarm, url, "clear");
      return { ...set, details: { latencyMs, windowMs, clearedAt: cleared.at, expectedAction: "noop" } };
    },
    badRelease() {
      return { fault: FaultKind.bad_release, at: now(), target: "next deploy", env: { FAULT_UNHEALTHY: "1" }, details: { health: 503 } };
    },
    async flakyTest(markerPath) {
      if (markerPath === "") throw usage("the flaky-test marker path is empty; pass a file path", {});
      // A marker left by an earlier run would make the test pass at once: no flake to detect.
      await rm(markerPath, { force: true });
      return { fault: FaultKind.flaky_test, at: now(), target: markerPath, env: { FAULT_FLAKY_TEST: markerPath }, details: { failsRuns: 1 } };
    },
    async forceAnomaly(csvPath, kind, outputPath) {
      const anomaly = await forceAnomaly(csvPath, kind, outputPath);
      return { fault: FaultKind.data_anomaly, at: now(), target: anomaly.output, anomaly, details: { kind, source: anomaly.source, breaks: anomaly.breaks, rowsChanged: anomaly.lines.length } };
    },
  };
}
