import path from "node:path";
import { ErrorCode, PitstopError, coerceError } from "../../../core/errors.js";
import {
  DEFAULT_DEPLOY_PORTS,
  type DeployCallOptions,
  type DeployEnvironment,
  type DeployErrorClass,
  type DeployRelease,
  type DeployResult,
  type DeployTarget,
  type HealthReport,
  type ReleaseInfo,
  type StopResult,
  type TargetStatus,
} from "../../port.js";
import { RELEASE_ID_PATTERN, canDeploy, listReleases } from "../../release-history.js";
import { ControlPath, MAX_WORKERS } from "./control-protocol.js";
import { ControlUnreachableError, controlGet, controlPost } from "./control-client.js";
import { ReleaseCopyError, copyRelease } from "./copy-release.js";
import { envPaths } from "./env-paths.js";
import { launchSupervisor } from "./launch-supervisor.js";
import { buildStatus, publicUrl } from "./local-status.js";
import { describePortHolder } from "./port-holder.js";
import { isSameProcess, signalGroup } from "./process-identity.js";
import { DEFAULT_HEALTH, readState, writeJsonAtomic, type HealthConfig, type LocalState, type SupervisorRecord } from "./state-file.js";

export interface LocalTargetOptions {
  dataDir: string;
  environment: DeployEnvironment;
  /** Public port. Absent: the one the environment already has, else 4100/4200/4300. 0: any free port (then kept). */
  port?: number;
  /** Interface of the public port (default 127.0.0.1; 0.0.0.0 exposes the app to the network). */
  host?: string;
  /** Workers a deploy starts (default: as many as the environment runs now, else 1). */
  workers?: number;
  health?: Partial<HealthConfig>;
  /** SIGTERM → SIGKILL grace when stopping a worker (default 5000 ms). */
  stopGraceMs?: number;
  /** Release directories kept (default 5; the live one and the rollback target always are). */
  keepReleases?: number;
  /** Where PATH for the supervisor comes from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => number;
}

type Connected = { state: LocalState; sup: SupervisorRecord };

/**
 * The `local` DeployTarget: a thin client of the environment's supervisor daemon, which it starts
 * on demand. Files are copied here; everything about processes happens in the supervisor.
 */
export function createLocalDeployTarget(o: LocalTargetOptions): DeployTarget {
  const environment = o.environment;
  const paths = envPaths(o.dataDir, environment);
  const now = o.now ?? Date.now;
  const host = o.host ?? "127.0.0.1";
  const fail = (started: number, cls: DeployErrorClass, error: string, extra: Partial<DeployResult> = {}): DeployResult => ({
    ok: false, releaseId: null, previousReleaseId: null, url: null, healthy: false, responseMs: null, workers: null, durationMs: now() - started, error, class: cls, ...extra,
  });

  /** The running supervisor, verified by asking it (a stale state file is not proof). */
  const connect = async (): Promise<Connected | null> => {
    const state = await readState(paths.state);
    const sup = state?.supervisor;
    if (!state || !sup || !isSameProcess(sup.pid, sup.startTicks)) return null;
    const ok = await controlGet(sup, ControlPath.status, 5000).then(() => true, () => false);
    return ok ? { state, sup } : null;
  };

  const wantedPort = (state: LocalState | null): number => {
    if (o.port !== undefined && o.port !== 0) return o.port;
    return state?.port ?? (o.port === 0 ? 0 : DEFAULT_DEPLOY_PORTS[environment]);
  };

  const ensureSupervisor = async (started: number, log: (l: string) => void): Promise<Connected | DeployResult> => {
    for (let tries = 0; tries < 5; tries++) {
      const c = await connect();
      if (c) {
        if (o.port !== undefined && o.port !== 0 && c.state.port !== o.port) {
          return fail(started, "port_mismatch", `environment ${environment} already serves on port ${c.state.port}, not ${o.port}: stop it first (\`pitstop deploy stop --env ${environment}\`) to move it, or set with.port to ${c.state.port}`);
        }
        return c;
      }
      const state = await readState(paths.state);
      const port = wantedPort(state);
      log(`starting the supervisor of ${environment} on ${host}:${port}`);
      const msg = await launchSupervisor({ dataDir: o.dataDir, environment, paths, host, port, stopGraceMs: o.stopGraceMs ?? 5000, keepReleases: o.keepReleases ?? 5, env: o.env ?? process.env });
      if (msg.type === "ready") continue;
      if (msg.code === "port_in_use") {
        const holder = await describePortHolder(port);
        return fail(started, "port_in_use", `port ${port} (environment ${environment}) is already in use by another program${holder ? `, ${holder}` : ""}: stop that program, or give ${environment} another port with with.port (deploy.port) in the pipeline`);
      }
      if (msg.code === "already_running") {
        await new Promise((r) => setTimeout(r, 300));
        continue;
      }
      return fail(started, "target_error", msg.message);
    }
    return fail(started, "target_error", `could not reach the supervisor of ${environment}: see ${paths.supervisorLog}`);
  };

  const call = async (started: number, route: string, body: unknown, opts: DeployCallOptions | undefined): Promise<DeployResult> => {
    const log = opts?.log ?? (() => undefined);
    const c = await ensureSupervisor(started, log);
    if ("ok" in c) return c;
    try {
      return (await controlPost(c.sup, route, body, log, opts?.signal)) as DeployResult;
    } catch (e) {
      if ((e as Error).name === "AbortError") return fail(started, "cancelled", "cancelled; an operation not yet switched over leaves the environment as it was", { url: publicUrl(c.state.host, c.state.port) });
      const why = e instanceof ControlUnreachableError ? `lost the supervisor of ${environment}: ${e.message} (see ${paths.supervisorLog})` : coerceError(e).message;
      return fail(started, "target_error", why);
    }
  };

  const requireDeployed = async (started: number): Promise<DeployResult | null> => {
    const state = await readState(paths.state);
    if (state === null || state.history.served.length === 0) {
      return fail(started, "nothing_deployed", `nothing is deployed to ${environment}: deploy a release first (\`pitstop run\` with a deploy stage)`);
    }
    return null;
  };

  return {
    environment,
    kind: "local",

    async deploy(release: DeployRelease, opts?: DeployCallOptions): Promise<DeployResult> {
      const started = now();
      if (!RELEASE_ID_PATTERN.test(release.id)) return fail(started, "invalid_release", `release id ${JSON.stringify(release.id)} is not valid: use letters, digits, ".", "_" and "-" (at most 64)`);
      if (release.start.trim() === "") return fail(started, "invalid_release", "the start command is empty: set with.start (e.g. `node server.js`)");
      const state = await readState(paths.state);
      if (state && !canDeploy(state.history, release.id)) return fail(started, "invalid_release", `release ${release.id} already serves ${environment} (or is its rollback target): use a new release id`, { releaseId: release.id });
      const log = opts?.log ?? (() => undefined);
      const c = await ensureSupervisor(started, log);
      if ("ok" in c) return { ...c, releaseId: release.id };
      try {
        const copied = await copyRelease({ sourceDir: release.sourceDir, files: release.files, dest: paths.releaseDir(release.id), exclude: [paths.root, path.resolve(o.dataDir)] });
        log(`copied ${copied.files ?? "the"} file${copied.files === 1 ? "" : "s"} of ${release.sourceDir} to ${paths.releaseDir(release.id)}`);
      } catch (e) {
        if (e instanceof ReleaseCopyError) return fail(started, "invalid_release", e.message, { releaseId: release.id });
        throw e;
      }
      const health = { ...DEFAULT_HEALTH, ...o.health };
      const workers = o.workers ?? (c.state.history.served.length > 0 ? c.state.desiredWorkers : 1);
      return call(started, ControlPath.deploy, { id: release.id, start: release.start, env: release.env, health, workers }, opts);
    },

    async rollback(opts) {
      const started = now();
      return (await requireDeployed(started)) ?? call(started, ControlPath.rollback, {}, opts);
    },

    async restart(opts) {
      const started = now();
      return (await requireDeployed(started)) ?? call(started, ControlPath.restart, {}, opts);
    },

    async scale(n, opts) {
      if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
        throw new PitstopError(ErrorCode.USAGE, `scale: workers must be a whole number from 1 to ${MAX_WORKERS}, got ${n} (use stop to stop the environment)`);
      }
      const started = now();
      return (await requireDeployed(started)) ?? call(started, ControlPath.scale, { workers: n }, opts);
    },

    async health(): Promise<HealthReport> {
      const c = await connect();
      const live = c ? ((await controlGet(c.sup, ControlPath.health, 60_000).catch(() => null)) as HealthReport | null) : null;
      if (live !== null) return live;
      const status = await offlineStatus();
      const why = status.state === "stopped" ? `${environment} is stopped` : `the supervisor of ${environment} is not running: \`pitstop deploy restart --env ${environment}\` brings it back`;
      const checks = status.workers.map((w) => ({ worker: w.slot, pid: w.pid, ok: false, status: null, responseMs: null, error: why }));
      return { healthy: false, releaseId: status.current?.id ?? null, checks };
    },

    async releases(): Promise<ReleaseInfo[]> {
      const state = await readState(paths.state);
      return state ? listReleases(state.history) : [];
    },

    async status(): Promise<TargetStatus> {
      const c = await connect();
      const answer = c ? ((await controlGet(c.sup, ControlPath.status).catch(() => null)) as { status: TargetStatus } | null) : null;
      return answer?.status ?? offlineStatus();
    },

    async stop(): Promise<StopResult> {
      const c = await connect();
      const r = c ? ((await controlPost(c.sup, ControlPath.stop, {}, () => undefined).catch(() => null)) as StopResult | null) : null;
      if (c && r) {
        for (let waited = 0; isSameProcess(c.sup.pid, c.sup.startTicks) && waited < 10_000; waited += 50) await new Promise((res) => setTimeout(res, 50));
        if (!isSameProcess(c.sup.pid, c.sup.startTicks)) return r;
      }
      // No supervisor, or one that did not finish stopping: end what it left, by recorded identity.
      return stopOffline(c?.sup);
    },
  };

  /** Status from the state file when no supervisor answers; liveness checked against the OS. */
  async function offlineStatus(): Promise<TargetStatus> {
    const state = await readState(paths.state);
    if (state === null) {
      return { environment, target: "local", state: "empty", current: null, workers: [], desiredWorkers: null, url: null, supervisor: null };
    }
    const workers = state.workers.map((w) => ({ ...w, alive: w.alive && isSameProcess(w.pid, w.startTicks) }));
    return buildStatus({ ...state, workers }, false);
  }

  /** No supervisor: kill whatever it left (identity-checked), and record the environment as stopped. */
  async function stopOffline(known?: SupervisorRecord): Promise<StopResult> {
    const state = await readState(paths.state);
    if (state === null) return { ok: true, stoppedPids: [] };
    const sups = [state.supervisor, known].filter((x): x is SupervisorRecord => x !== null && x !== undefined);
    const refs = [...state.workers, ...state.pending, ...sups].filter((r, i, all) => isSameProcess(r.pid, r.startTicks) && all.findIndex((o) => o.pid === r.pid) === i);
    for (const r of refs) signalGroup(r.pid, "SIGKILL");
    for (let waited = 0; refs.some((r) => isSameProcess(r.pid, r.startTicks)) && waited < 5000; waited += 50) await new Promise((res) => setTimeout(res, 50));
    if (state.lifecycle !== "empty") state.lifecycle = "stopped";
    await writeJsonAtomic(paths.state, { ...state, workers: [], pending: [], supervisor: null, updatedAt: now() });
    return { ok: true, stoppedPids: refs.map((r) => r.pid) };
  }
}
