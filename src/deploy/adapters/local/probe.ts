import http from "node:http";
import { performance } from "node:perf_hooks";
import type { HealthConfig } from "./state-file.js";

export interface ProbeResult {
  ok: boolean;
  status: number | null;
  responseMs: number | null;
  error: string | null;
}

/** One HTTP GET; 2xx and 3xx are healthy. Never rejects. */
export function probe(host: string, port: number, pathName: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const req = http.get({ host, port, path: pathName, agent: false, headers: { "user-agent": "pitstop-health", connection: "close" } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const responseMs = Math.round(performance.now() - started);
      const ok = status >= 200 && status < 400;
      res.on("end", () => done({ ok, status, responseMs, error: ok ? null : `GET ${pathName} answered ${status}` }));
      res.on("error", (e) => done({ ok: false, status, responseMs, error: e.message }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy(new Error(`no answer to GET ${pathName} within ${timeoutMs} ms`));
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      const why = e.code === "ECONNREFUSED" ? `nothing listens on port ${port}` : e.message;
      done({ ok: false, status: null, responseMs: null, error: why });
    });
  });
}

export interface WaitHealthyInput {
  host: string;
  port: number;
  health: HealthConfig;
  signal: AbortSignal;
  /** Why waiting is pointless (e.g. "exited with code 1"), checked before each attempt. */
  gone: () => string | null;
}

export interface WaitHealthyResult extends ProbeResult {
  attempts: number;
}

/** Probes until healthy, `retries` times at most, `intervalMs` apart. */
export async function waitHealthy(input: WaitHealthyInput): Promise<WaitHealthyResult> {
  const { health } = input;
  let last: ProbeResult = { ok: false, status: null, responseMs: null, error: "not probed" };
  for (let attempt = 1; attempt <= health.retries; attempt++) {
    if (input.signal.aborted) return { ...last, ok: false, error: "cancelled", attempts: attempt - 1 };
    const gone = input.gone();
    if (gone !== null) return { ok: false, status: null, responseMs: null, error: gone, attempts: attempt - 1 };
    last = await probe(input.host, input.port, health.path, health.timeoutMs);
    if (last.ok) return { ...last, attempts: attempt };
    if (attempt < health.retries) await sleep(health.intervalMs, input.signal);
  }
  // A process that died during the last interval explains more than "nothing listens".
  const gone = input.gone();
  return { ...last, error: gone ?? last.error, attempts: health.retries };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
