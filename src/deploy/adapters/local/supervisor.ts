import { readdir, rename, rm, symlink } from "node:fs/promises";
import path from "node:path";
import type { DeployResult, HealthReport, ReleaseInfo, StopResult, TargetStatus } from "../../port.js";
import * as history from "../../release-history.js";
import type { DeployRequest } from "./control-protocol.js";
import type { EnvPaths } from "./env-paths.js";
import { buildStatus, publicUrl } from "./local-status.js";
import { probe } from "./probe.js";
import type { Proxy } from "./proxy.js";
import { describe, launchWorkers, stopWorkers, type RolloutDeps } from "./rollout.js";
import { DEFAULT_HEALTH, readReleaseMeta, writeJsonAtomic, type LocalState, type ReleaseMeta } from "./state-file.js";
import type { Worker } from "./worker-process.js";

export interface SupervisorDeps {
  paths: EnvPaths;
  /** Loaded and cleaned by the entry point (no leftover workers, this supervisor recorded). */
  state: LocalState;
  proxy: Proxy;
  workerHost: string;
  stopGraceMs: number;
  keepReleases: number;
  now: () => number;
  log: (line: string) => void;
}

type Progress = (line: string) => void;

export interface Supervisor {
  deploy(req: DeployRequest, signal: AbortSignal, progress: Progress): Promise<DeployResult>;
  rollback(signal: AbortSignal, progress: Progress): Promise<DeployResult>;
  restart(signal: AbortSignal, progress: Progress): Promise<DeployResult>;
  scale(n: number, signal: AbortSignal, progress: Progress): Promise<DeployResult>;
  stop(): Promise<StopResult>;
  status(): TargetStatus & { releases: ReleaseInfo[] };
  health(): Promise<HealthReport>;
  /** Resolves once every state write so far is on disk. */
  flush(): Promise<void>;
}

/**
 * One environment's supervisor: owns the workers (its children), the proxy's backend set and the
 * state file (its only writer while it runs). Mutating operations run one at a time.
 */
export function createSupervisor(deps: SupervisorDeps): Supervisor {
  const { paths, proxy, now } = deps;
  const state = deps.state;
  let serving: Worker[] = [];
  const owned = new Set<Worker>();
  let writes: Promise<void> = Promise.resolve();
  let queue: Promise<unknown> = Promise.resolve();
  /** The operation running now: `stop` cancels it rather than wait for its health checks. */
  let inflight: AbortController | null = null;
  let stopping = false;

  const save = (): void => {
    const snapshot: LocalState = {
      ...state,
      workers: serving.map((w) => ({ ...w.record })),
      pending: [...owned].filter((w) => !serving.includes(w) && w.record.alive).map((w) => ({ pid: w.record.pid, startTicks: w.record.startTicks })),
      updatedAt: now(),
    };
    writes = writes.then(() => writeJsonAtomic(paths.state, snapshot)).catch((e: Error) => deps.log(`could not write ${paths.state}: ${e.message}`));
  };
  const rollout: RolloutDeps = { paths, environment: state.environment, workerHost: deps.workerHost, now, stopGraceMs: deps.stopGraceMs, owned, changed: save };
  // An operation answers only once the state it changed is on disk, so a reader right after
  // (releases(), a restarted pitstop) never sees the state from before it.
  const settled = async <T>(fn: () => Promise<T>): Promise<T> => {
    const r = await fn();
    await writes;
    return r;
  };
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(() => settled(fn), () => settled(fn));
    queue = run.catch(() => undefined);
    return run;
  };
  const url = (): string | null => publicUrl(state.host, state.port);
  const aliveServing = (): Worker[] => serving.filter((w) => w.record.alive);
  const liveId = (): string | null => history.liveRelease(state.history)?.id ?? null;

  const result = (started: number, fields: Partial<DeployResult> & { ok: boolean }): DeployResult => {
    const r: DeployResult = { releaseId: null, previousReleaseId: null, url: url(), healthy: false, responseMs: null, workers: aliveServing().length, durationMs: now() - started, ...fields };
    deps.log(`${r.ok ? "ok" : "failed"}: release ${r.releaseId ?? "-"}${r.error ? `: ${r.error}` : ""}`);
    return r;
  };

  /** Routes traffic to `next` (replacing `replaced`), then stops the replaced workers. */
  const switchTo = async (next: Worker[], replaced: Worker[], progress: Progress): Promise<void> => {
    serving = [...serving.filter((w) => !replaced.includes(w)), ...next].sort((a, b) => a.record.slot - b.record.slot);
    proxy.setBackends(serving.map((w) => ({ port: w.record.port, isAlive: () => w.record.alive })));
    save();
    if (replaced.length > 0) {
      progress(`traffic switched; stopping ${describe(replaced)}`);
      await stopWorkers(rollout, replaced);
    }
  };

  /** Runs a mutating operation in turn, cancelled by its caller or by a stop. */
  const operation = (signal: AbortSignal, fn: (signal: AbortSignal) => Promise<DeployResult>): Promise<DeployResult> =>
    serial(async () => {
      if (stopping) return result(now(), { ok: false, class: "cancelled", error: `${state.environment} is stopping` });
      const ac = new AbortController();
      const relay = (): void => ac.abort();
      if (signal.aborted) ac.abort();
      else signal.addEventListener("abort", relay, { once: true });
      inflight = ac;
      try {
        return await fn(ac.signal);
      } finally {
        inflight = null;
        signal.removeEventListener("abort", relay);
      }
    });

  /** A health check through the public port: what a user sees, once traffic switched. */
  const publicProbe = async (meta: ReleaseMeta): Promise<{ healthy: boolean; responseMs: number | null }> => {
    if (state.port === null) return { healthy: false, responseMs: null };
    const host = state.host === "0.0.0.0" || state.host === "::" ? deps.workerHost : state.host;
    const r = await probe(host, state.port, meta.health.path, meta.health.timeoutMs);
    return { healthy: r.ok, responseMs: r.responseMs };
  };

  const setCurrentLink = async (id: string): Promise<void> => {
    const tmp = `${paths.current}.${process.pid}.tmp`;
    await rm(tmp, { force: true });
    await symlink(path.relative(path.dirname(paths.current), paths.releaseDir(id)), tmp);
    await rename(tmp, paths.current);
  };

  const pruneReleases = async (): Promise<void> => {
    const { history: kept, dropped } = history.prune(state.history, deps.keepReleases);
    state.history = kept;
    save();
    const logs = await readdir(paths.logs).catch(() => [] as string[]);
    for (const id of dropped) {
      await rm(paths.releaseDir(id), { recursive: true, force: true });
      await rm(paths.releaseMeta(id), { force: true });
      const ofRelease = new RegExp(`^${id.replace(/[.]/g, "\\.")}-w\\d+-\\d+\\.log$`);
      for (const f of logs.filter((l) => ofRelease.test(l))) await rm(path.join(paths.logs, f), { force: true });
    }
  };

  const metaOf = async (id: string): Promise<ReleaseMeta | null> => readReleaseMeta(paths.releaseMeta(id));

  const deploy = async (req: DeployRequest, signal: AbortSignal, progress: Progress): Promise<DeployResult> => {
    const started = now();
    const previousReleaseId = liveId();
    if (!history.canDeploy(state.history, req.id)) {
      return result(started, { ok: false, releaseId: req.id, previousReleaseId, class: "invalid_release", error: `release ${req.id} already serves ${state.environment} (or is its rollback target): use a new release id` });
    }
    const meta: ReleaseMeta = { id: req.id, createdAt: started, start: req.start, env: req.env, health: req.health };
    await writeJsonAtomic(paths.releaseMeta(req.id), meta);
    state.history = history.addRelease(state.history, { id: req.id, createdAt: started, healthy: false, error: null });
    state.lifecycle = "running";
    save();
    const slots = Array.from({ length: req.workers }, (_, i) => i);
    const launched = await launchWorkers(rollout, meta, slots, signal, progress);
    if (!launched.ok) {
      state.history = history.markFailed(state.history, req.id, launched.error);
      save();
      const keeps = previousReleaseId ? `; release ${previousReleaseId} still serves` : "";
      return result(started, { ok: false, releaseId: req.id, previousReleaseId, class: launched.cancelled ? "cancelled" : "deploy_unhealthy", error: `${launched.error}${keeps}` });
    }
    state.history = history.promote(state.history, req.id);
    state.desiredWorkers = req.workers;
    await switchTo(launched.workers, [...serving], progress);
    await setCurrentLink(req.id);
    await pruneReleases();
    const pub = await publicProbe(meta);
    progress(`release ${req.id} is live at ${url() ?? "?"}${pub.responseMs !== null ? ` (${pub.responseMs} ms)` : ""}`);
    return result(started, { ok: true, releaseId: req.id, previousReleaseId, healthy: pub.healthy, responseMs: pub.responseMs ?? launched.responseMs });
  };

  const rollback = async (signal: AbortSignal, progress: Progress): Promise<DeployResult> => {
    const started = now();
    const current = liveId();
    const target = history.rollbackTarget(state.history);
    if (current === null) return result(started, { ok: false, class: "nothing_deployed", error: `nothing is deployed to ${state.environment}` });
    if (target === null) return result(started, { ok: false, releaseId: null, previousReleaseId: current, class: "no_previous_release", error: `no earlier healthy release of ${state.environment} to roll back to (${current} is the only one that served)` });
    const meta = await metaOf(target.id);
    if (meta === null) return result(started, { ok: false, releaseId: target.id, previousReleaseId: current, class: "invalid_release", error: `the files of release ${target.id} are gone from ${paths.releases}` });
    progress(`rolling back ${state.environment} from ${current} to ${target.id}`);
    const slots = Array.from({ length: state.desiredWorkers }, (_, i) => i);
    const launched = await launchWorkers(rollout, meta, slots, signal, progress);
    if (!launched.ok) {
      return result(started, { ok: false, releaseId: target.id, previousReleaseId: current, class: launched.cancelled ? "cancelled" : "deploy_unhealthy", error: `${launched.error}; release ${current} still serves` });
    }
    state.history = history.popLive(state.history);
    await switchTo(launched.workers, [...serving], progress);
    await setCurrentLink(target.id);
    const pub = await publicProbe(meta);
    return result(started, { ok: true, releaseId: target.id, previousReleaseId: current, healthy: pub.healthy, responseMs: pub.responseMs ?? launched.responseMs });
  };

  const needLive = async (started: number): Promise<{ meta: ReleaseMeta } | { fail: DeployResult }> => {
    const id = liveId();
    if (id === null) return { fail: result(started, { ok: false, class: "nothing_deployed", error: `nothing is deployed to ${state.environment}: deploy a release first` }) };
    const meta = await metaOf(id);
    if (meta === null) return { fail: result(started, { ok: false, releaseId: id, class: "invalid_release", error: `the files of release ${id} are gone from ${paths.releases}: deploy again` }) };
    return { meta };
  };

  const restart = async (signal: AbortSignal, progress: Progress): Promise<DeployResult> => {
    const started = now();
    const live = await needLive(started);
    if ("fail" in live) return live.fail;
    const { meta } = live;
    const base = { releaseId: meta.id, previousReleaseId: meta.id };
    let responseMs: number | null = null;
    if (aliveServing().length === 0) {
      // Nothing serves (crashed workers, or a new supervisor): start them all at once.
      const launched = await launchWorkers(rollout, meta, Array.from({ length: state.desiredWorkers }, (_, i) => i), signal, progress);
      if (!launched.ok) return result(started, { ...base, ok: false, class: launched.cancelled ? "cancelled" : "deploy_unhealthy", error: launched.error });
      await switchTo(launched.workers, [...serving], progress);
      responseMs = launched.responseMs;
    } else {
      for (let slot = 0; slot < state.desiredWorkers; slot++) {
        const old = serving.filter((w) => w.record.slot === slot);
        const launched = await launchWorkers(rollout, meta, [slot], signal, progress);
        if (!launched.ok) {
          return result(started, { ...base, ok: false, class: launched.cancelled ? "cancelled" : "deploy_unhealthy", error: `${launched.error}; the other workers keep serving` });
        }
        await switchTo(launched.workers, old, progress);
        responseMs = launched.responseMs;
      }
    }
    const pub = await publicProbe(meta);
    return result(started, { ...base, ok: true, healthy: pub.healthy, responseMs: pub.responseMs ?? responseMs });
  };

  const scale = async (n: number, signal: AbortSignal, progress: Progress): Promise<DeployResult> => {
    const started = now();
    const live = await needLive(started);
    if ("fail" in live) return live.fail;
    const { meta } = live;
    const base = { releaseId: meta.id, previousReleaseId: meta.id };
    const dead = serving.filter((w) => !w.record.alive);
    if (dead.length > 0) await switchTo([], dead, progress);
    const alive = [...serving];
    if (n > alive.length) {
      const used = new Set(alive.map((w) => w.record.slot));
      const free: number[] = [];
      for (let s = 0; free.length < n - alive.length; s++) if (!used.has(s)) free.push(s);
      const launched = await launchWorkers(rollout, meta, free, signal, progress);
      if (!launched.ok) return result(started, { ...base, ok: false, class: launched.cancelled ? "cancelled" : "deploy_unhealthy", error: `${launched.error}; ${alive.length} worker(s) keep serving` });
      await switchTo(launched.workers, [], progress);
    } else if (n < alive.length) {
      const extra = [...alive].sort((a, b) => b.record.slot - a.record.slot).slice(0, alive.length - n);
      await switchTo([], extra, progress);
    }
    state.desiredWorkers = n;
    save();
    const pub = await publicProbe(meta);
    progress(`${state.environment} runs ${describe(serving)}`);
    return result(started, { ...base, ok: true, healthy: pub.healthy, responseMs: pub.responseMs });
  };

  const stop = async (): Promise<StopResult> => {
    const all = [...owned];
    proxy.setBackends([]);
    const pids = await stopWorkers(rollout, all);
    serving = [];
    await proxy.close();
    state.lifecycle = "stopped";
    state.supervisor = null;
    save();
    await writes;
    deps.log(`stopped ${pids.length} worker(s)`);
    return { ok: true, stoppedPids: [...pids, process.pid] };
  };

  const health = async (): Promise<HealthReport> => {
    const id = liveId();
    const meta = id ? await metaOf(id) : null;
    const cfg = meta?.health ?? DEFAULT_HEALTH;
    const checks = await Promise.all(
      serving.map(async (w) => {
        const base = { worker: w.record.slot, pid: w.record.pid };
        if (!w.record.alive) return { ...base, ok: false, status: null, responseMs: null, error: w.goneReason() };
        const r = await probe(deps.workerHost, w.record.port, cfg.path, cfg.timeoutMs);
        return { ...base, ...r };
      }),
    );
    return { healthy: checks.length > 0 && checks.every((c) => c.ok), releaseId: id, checks };
  };

  return {
    deploy: (req, signal, progress) => operation(signal, (s) => deploy(req, s, progress)),
    rollback: (signal, progress) => operation(signal, (s) => rollback(s, progress)),
    restart: (signal, progress) => operation(signal, (s) => restart(s, progress)),
    scale: (n, signal, progress) => operation(signal, (s) => scale(n, s, progress)),
    stop: () => {
      stopping = true;
      inflight?.abort();
      return serial(stop);
    },
    status: () => ({ ...buildStatus({ ...state, workers: serving.map((w) => ({ ...w.record })) }, true), requestsInFlight: proxy.inflight(), releases: history.listReleases(state.history) }),
    health,
    flush: () => writes,
  };
}
