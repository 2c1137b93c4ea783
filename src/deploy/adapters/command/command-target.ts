import { stat } from "node:fs/promises";
import { ErrorCode, PitstopError } from "../../../core/errors.js";
import type { DeployCallOptions, DeployEnvironment, DeployErrorClass, DeployRelease, DeployResult, DeployTarget, HealthReport, ReleaseInfo, StopResult, TargetStatus } from "../../port.js";
import * as history from "../../release-history.js";
import { CommandReleaseSchema, CommandStateSchema, commandPaths, readJson, withFileLock, writeJson, type CommandState, type Commands } from "./command-state.js";
import { describeShell, runShell, type ShellResult } from "./run-shell.js";

export interface CommandTargetOptions {
  dataDir: string;
  environment: DeployEnvironment;
  /** Absent: the commands of the last deploy (so the CLI can roll back without the pipeline). */
  commands?: Commands;
  /** Where commands run (default: the release's source directory). */
  cwd?: string;
  /** Shown in results and status (the command target cannot know it). */
  url?: string;
  /** Health command polling after deploy, rollback, restart, scale: tries and pause (default 10 × 2 s). */
  health?: { retries?: number; intervalMs?: number };
  /** Per command (default 10 min). */
  timeoutMs?: number;
  /** Run the rollback command when a deploy's health check never passes (default true). */
  autoRollback?: boolean;
  /** Base environment of commands run outside a deploy (PATH, HOME…); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => number;
}

const BASE_KEYS = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "KUBECONFIG"];

/**
 * The `command` DeployTarget: the user's own deploy, health, rollback (and optional restart,
 * scale, stop) shell commands, for kubectl, helm, ssh or anything else. pitstop keeps the release
 * history and the result model; the commands do the work. Each command gets PITSTOP_ENVIRONMENT,
 * PITSTOP_RELEASE_ID, PITSTOP_PREVIOUS_RELEASE_ID, PITSTOP_SOURCE_DIR (and PITSTOP_REPLICAS for
 * scale) on top of the release's environment. Healthy means the health command exited 0.
 */
export function createCommandDeployTarget(o: CommandTargetOptions): DeployTarget {
  const environment = o.environment;
  const paths = commandPaths(o.dataDir, environment);
  const now = o.now ?? Date.now;
  const timeoutMs = o.timeoutMs ?? 600_000;
  const retries = o.health?.retries ?? 10;
  const intervalMs = o.health?.intervalMs ?? 2000;

  const load = async (): Promise<CommandState> =>
    (await readJson(paths.state, CommandStateSchema)) ?? { version: 1, environment, lifecycle: "empty", commands: null, cwd: null, url: null, replicas: null, history: history.emptyHistory(), updatedAt: now() };
  const save = (s: CommandState): Promise<void> => writeJson(paths.state, { ...s, updatedAt: now() });
  const locked = <T>(fn: () => Promise<T>): Promise<T> => withFileLock(paths.lock, fn, isAlive);
  const commandsOf = (s: CommandState): Commands | null => o.commands ?? s.commands;

  const result = (s: CommandState, started: number, fields: Partial<DeployResult> & { ok: boolean }): DeployResult => ({
    releaseId: null, previousReleaseId: null, url: o.url ?? s.url, healthy: false, responseMs: null, workers: s.replicas, durationMs: now() - started, ...fields,
  });
  const fail = (s: CommandState, started: number, cls: DeployErrorClass, error: string, extra: Partial<DeployResult> = {}): DeployResult => result(s, started, { ok: false, class: cls, error, ...extra });

  /** Runs one command with the release's environment and pitstop's variables. */
  const run = async (command: string, vars: Record<string, string>, releaseId: string | null, opts?: DeployCallOptions): Promise<ShellResult> => {
    const rel = releaseId ? await readJson(paths.release(releaseId), CommandReleaseSchema).catch(() => null) : null;
    const base: Record<string, string> = {};
    for (const k of BASE_KEYS) if ((o.env ?? process.env)[k] !== undefined) base[k] = (o.env ?? process.env)[k] as string;
    const state = await load();
    const cwd = o.cwd ?? rel?.sourceDir ?? state.cwd ?? paths.root;
    const env = { ...base, ...rel?.env, PITSTOP_ENVIRONMENT: environment, ...vars };
    opts?.log?.(`$ ${command}`);
    return runShell({ command, cwd, env, timeoutMs, signal: opts?.signal, onLine: (l) => opts?.log?.(l) });
  };

  /** Polls the health command until it exits 0. */
  const waitHealthy = async (commands: Commands, releaseId: string, opts?: DeployCallOptions): Promise<{ ok: boolean; responseMs: number | null; why: string }> => {
    let why = "not checked";
    for (let attempt = 1; attempt <= retries; attempt++) {
      if (opts?.signal?.aborted) return { ok: false, responseMs: null, why: "cancelled" };
      const r = await run(commands.health, { PITSTOP_RELEASE_ID: releaseId }, releaseId, opts);
      if (r.exitCode === 0) return { ok: true, responseMs: r.durationMs, why: "" };
      why = describeShell(r, timeoutMs);
      if (attempt < retries) await new Promise((res) => setTimeout(res, intervalMs));
    }
    return { ok: false, responseMs: null, why: `health command never passed in ${retries} tries (last: ${why})` };
  };

  const deploy = async (release: DeployRelease, opts?: DeployCallOptions): Promise<DeployResult> => {
    const started = now();
    let s = await load();
    const commands = commandsOf(s);
    const previous = history.liveRelease(s.history)?.id ?? null;
    const base = { releaseId: release.id, previousReleaseId: previous };
    if (commands === null) return fail(s, started, "invalid_release", "the command target needs with.deploy and with.health commands", base);
    if (!history.RELEASE_ID_PATTERN.test(release.id)) return fail(s, started, "invalid_release", `release id ${JSON.stringify(release.id)} is not valid: use letters, digits, ".", "_" and "-"`, base);
    if (!history.canDeploy(s.history, release.id)) return fail(s, started, "invalid_release", `release ${release.id} already serves ${environment}: use a new release id`, base);
    if (!(await stat(release.sourceDir).then((x) => x.isDirectory(), () => false))) return fail(s, started, "invalid_release", `source directory ${release.sourceDir} does not exist`, base);
    await writeJson(paths.release(release.id), { id: release.id, sourceDir: release.sourceDir, env: release.env });
    s = { ...s, commands, cwd: o.cwd ?? release.sourceDir, url: o.url ?? s.url, lifecycle: "running", history: history.addRelease(s.history, { id: release.id, createdAt: started, healthy: false, error: null }) };
    await save(s);
    const vars = { PITSTOP_RELEASE_ID: release.id, PITSTOP_PREVIOUS_RELEASE_ID: previous ?? "", PITSTOP_SOURCE_DIR: release.sourceDir };
    const r = await run(commands.deploy, vars, release.id, opts);
    if (r.exitCode !== 0) {
      const error = `deploy command ${describeShell(r, timeoutMs)}`;
      await save({ ...s, history: history.markFailed(s.history, release.id, error) });
      return fail(s, started, r.cancelled ? "cancelled" : "command_failed", error, base);
    }
    const h = await waitHealthy(commands, release.id, opts);
    if (!h.ok) return unhealthyDeploy(s, started, commands, release.id, previous, h.why, opts);
    s = { ...s, history: history.promote(s.history, release.id) };
    await save(s);
    return result(s, started, { ok: true, ...base, healthy: true, responseMs: h.responseMs });
  };

  /** The new release failed its health check: mark it failed and, when possible, put the previous one back. */
  const unhealthyDeploy = async (s: CommandState, started: number, commands: Commands, id: string, previous: string | null, why: string, opts?: DeployCallOptions): Promise<DeployResult> => {
    await save({ ...s, history: history.markFailed(s.history, id, why) });
    let after = "";
    if ((o.autoRollback ?? true) && commands.rollback && previous !== null) {
      opts?.log?.(`release ${id} is unhealthy: rolling back to ${previous}`);
      const rb = await run(commands.rollback, { PITSTOP_RELEASE_ID: previous, PITSTOP_CURRENT_RELEASE_ID: id }, previous, opts);
      after = rb.exitCode === 0 ? `; rolled back to ${previous}` : `; the rollback command to ${previous} failed too (${describeShell(rb, timeoutMs)})`;
    } else if (previous !== null) {
      after = `; no rollback command ran: the environment may still run ${id}`;
    }
    return fail(s, started, "deploy_unhealthy", `release ${id} is unhealthy: ${why}${after}`, { releaseId: id, previousReleaseId: previous });
  };

  /** rollback/restart/scale share the shape: need a live release and a command, run it, check health. */
  const operate = async (kind: "rollback" | "restart" | "scale", replicas: number | null, opts?: DeployCallOptions): Promise<DeployResult> => {
    const started = now();
    let s = await load();
    const commands = commandsOf(s);
    const live = history.liveRelease(s.history);
    if (live === null || commands === null) return fail(s, started, "nothing_deployed", `nothing is deployed to ${environment}`);
    const command = commands[kind];
    if (command === undefined) return fail(s, started, "command_failed", `no ${kind} command is configured for ${environment}: set with.${kind} on the deploy stage`);
    const target = kind === "rollback" ? history.rollbackTarget(s.history) : live;
    if (target === null) return fail(s, started, "no_previous_release", `no earlier healthy release of ${environment} to roll back to`, { previousReleaseId: live.id });
    const vars: Record<string, string> = { PITSTOP_RELEASE_ID: target.id, PITSTOP_CURRENT_RELEASE_ID: live.id };
    if (replicas !== null) vars.PITSTOP_REPLICAS = String(replicas);
    const base = { releaseId: target.id, previousReleaseId: live.id };
    const r = await run(replicas === null ? command : command.replaceAll("{replicas}", String(replicas)), vars, target.id, opts);
    if (r.exitCode !== 0) return fail(s, started, r.cancelled ? "cancelled" : "command_failed", `${kind} command ${describeShell(r, timeoutMs)}`, base);
    if (kind === "rollback") s = { ...s, history: history.popLive(s.history) };
    if (replicas !== null) s = { ...s, replicas };
    s = { ...s, lifecycle: "running" };
    await save(s);
    const h = await waitHealthy(commands, target.id, opts);
    if (!h.ok) return fail(s, started, "deploy_unhealthy", `after ${kind}, release ${target.id} is unhealthy: ${h.why}`, base);
    return result(s, started, { ok: true, ...base, healthy: true, responseMs: h.responseMs });
  };

  return {
    environment,
    kind: "command",
    deploy: (release, opts) => locked(() => deploy(release, opts)),
    rollback: (opts) => locked(() => operate("rollback", null, opts)),
    restart: (opts) => locked(() => operate("restart", null, opts)),
    scale(n, opts) {
      if (!Number.isInteger(n) || n < 0) throw new PitstopError(ErrorCode.USAGE, `scale: replicas must be a whole number of 0 or more, got ${n}`);
      return locked(() => operate("scale", n, opts));
    },
    async health(): Promise<HealthReport> {
      const s = await load();
      const commands = commandsOf(s);
      const live = history.liveRelease(s.history);
      if (commands === null || live === null) return { healthy: false, releaseId: null, checks: [] };
      const r = await run(commands.health, { PITSTOP_RELEASE_ID: live.id }, live.id);
      const ok = r.exitCode === 0;
      return { healthy: ok, releaseId: live.id, checks: [{ worker: 0, pid: r.pid, ok, status: r.exitCode, responseMs: r.durationMs, error: ok ? null : describeShell(r, timeoutMs) }] };
    },
    async releases(): Promise<ReleaseInfo[]> {
      return history.listReleases((await load()).history);
    },
    async status(): Promise<TargetStatus> {
      const s = await load();
      const current = history.liveRelease(s.history);
      const info = current ? (history.listReleases(s.history).find((r) => r.id === current.id) ?? null) : null;
      return { environment, target: "command", state: s.lifecycle, current: info, workers: [], desiredWorkers: s.replicas, url: o.url ?? s.url, supervisor: null };
    },
    stop: () =>
      locked(async (): Promise<StopResult> => {
        const s = await load();
        const commands = commandsOf(s);
        if (s.lifecycle === "empty") return { ok: true, stoppedPids: [] };
        if (!commands?.stop) return { ok: false, stoppedPids: [], error: `no stop command is configured for ${environment}: set with.stop on the deploy stage` };
        const live = history.liveRelease(s.history);
        const r = await run(commands.stop, { PITSTOP_RELEASE_ID: live?.id ?? "" }, live?.id ?? null);
        if (r.exitCode !== 0) return { ok: false, stoppedPids: [], error: `stop command ${describeShell(r, timeoutMs)}` };
        await save({ ...s, lifecycle: "stopped" });
        return { ok: true, stoppedPids: [] };
      }),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
