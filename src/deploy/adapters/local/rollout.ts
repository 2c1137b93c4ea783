import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { DeployEnvironment } from "../../port.js";
import type { EnvPaths } from "./env-paths.js";
import { waitHealthy } from "./probe.js";
import type { ReleaseMeta } from "./state-file.js";
import { freePort, logTail, startWorker, type Worker } from "./worker-process.js";

export interface RolloutDeps {
  paths: EnvPaths;
  environment: DeployEnvironment;
  /** Host the workers bind and are probed on (always loopback: only the proxy is public). */
  workerHost: string;
  now: () => number;
  stopGraceMs: number;
  /** Every process the supervisor owns, so a crash mid-rollout leaves nothing unaccounted for. */
  owned: Set<Worker>;
  /** Persist the state (a worker started, exited or stopped). */
  changed: () => void;
}

export type LaunchResult =
  | { ok: true; workers: Worker[]; responseMs: number | null }
  | { ok: false; cancelled: boolean; error: string };

/**
 * Starts workers of `meta` in `slots` and waits until every one passes its health check. All or
 * nothing: when one never gets healthy (or exits, or the call is cancelled) every worker of the
 * batch is stopped, so a failed rollout leaves no process behind and touches nothing that serves.
 */
export async function launchWorkers(deps: RolloutDeps, meta: ReleaseMeta, slots: readonly number[], signal: AbortSignal, progress: (line: string) => void): Promise<LaunchResult> {
  await mkdir(deps.paths.logs, { recursive: true });
  const workers: Worker[] = [];
  for (const slot of slots) {
    const port = await freePort(deps.workerHost);
    const logFile = path.join(deps.paths.logs, `${meta.id}-w${slot}-${deps.now()}.log`);
    const spec = { slot, releaseId: meta.id, environment: deps.environment, dir: deps.paths.releaseDir(meta.id), start: meta.start, env: meta.env, host: deps.workerHost, port, logFile };
    const w = startWorker(spec, deps.now, () => deps.changed());
    deps.owned.add(w);
    workers.push(w);
  }
  deps.changed();
  progress(`started ${describe(workers)} of release ${meta.id}: \`${meta.start}\`, health check GET ${meta.health.path} (${meta.health.retries} tries, ${meta.health.intervalMs} ms apart)`);
  const results = await Promise.all(
    workers.map((w) => waitHealthy({ host: deps.workerHost, port: w.record.port, health: meta.health, signal, gone: () => w.goneReason() })),
  );
  const badIndex = results.findIndex((r) => !r.ok);
  if (badIndex >= 0 || signal.aborted) {
    const bad = workers[badIndex] ?? workers[0];
    const why = results[badIndex];
    const tail = bad ? await logTail(bad.logFile, 8) : [];
    await stopWorkers(deps, workers);
    if (signal.aborted) return { ok: false, cancelled: true, error: `cancelled while release ${meta.id} was starting; its workers were stopped` };
    const where = bad ? `worker ${bad.record.slot} (pid ${bad.record.pid}, port ${bad.record.port})` : "a worker";
    const output = tail.length > 0 ? `; its last output: ${tail.join(" | ")}` : "";
    return { ok: false, cancelled: false, error: `release ${meta.id} never became healthy: ${where}: ${why?.error ?? "unhealthy"} after ${why?.attempts ?? 0} health check(s)${output}` };
  }
  workers.forEach((w, i) => progress(`worker ${w.record.slot} (pid ${w.record.pid}, port ${w.record.port}) healthy after ${results[i]?.attempts ?? 1} check(s), ${results[i]?.responseMs ?? "?"} ms`));
  const times = results.map((r) => r.responseMs).filter((t): t is number => t !== null);
  return { ok: true, workers, responseMs: times.length > 0 ? Math.max(...times) : null };
}

/** Stops workers in parallel (SIGTERM, SIGKILL after the grace) and forgets them. */
export async function stopWorkers(deps: RolloutDeps, workers: readonly Worker[]): Promise<number[]> {
  await Promise.all(workers.map((w) => w.stop(deps.stopGraceMs)));
  for (const w of workers) deps.owned.delete(w);
  deps.changed();
  return workers.map((w) => w.record.pid);
}

export function describe(workers: readonly Worker[]): string {
  const list = workers.map((w) => `pid ${w.record.pid} on :${w.record.port}`).join(", ");
  return `${workers.length} worker${workers.length === 1 ? "" : "s"} (${list})`;
}
