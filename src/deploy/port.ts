/**
 * DeployTarget port (DESIGN.md §3): puts a release of an application into an environment and keeps
 * it there. One target object serves one environment (`dev`, `stage`, `prod`); environments never
 * share ports, directories or state. Healing (issue 4) drives `restart`, `scale`, `rollback` and
 * `health`, so those are part of the contract, not conveniences.
 *
 * Contract for every method:
 * - Failures of the deployment itself (a release that never gets healthy, a port taken by another
 *   program, nothing to roll back to, a user command that exits non-zero) are DATA: the method
 *   resolves with `ok: false`, a `class` and an `error` sentence that says what to do. Methods
 *   reject only for misuse (an invalid argument, e.g. `scale(-1)`: a PitstopError with code USAGE)
 *   or an internal fault.
 * - Mutating methods (`deploy`, `rollback`, `restart`, `scale`, `stop`) of one environment are
 *   serialised by the target: two callers (an agent and a person at the CLI) never interleave.
 * - State survives the process that made the call: a new target object over the same data
 *   directory and environment (a restarted pitstop, the CLI) sees the same releases and workers.
 * - Cancellation (`opts.signal`): a deploy, rollback, restart or scale that is cancelled before
 *   traffic switched leaves the environment as it was (new processes stopped); after the switch it
 *   completes. `stop` ignores cancellation.
 * - Nothing is restarted automatically: a crashed worker shows as `alive: false` in `status()` and
 *   fails `health()`; deciding what to do about it is healing's job.
 */

/** The environments pitstop deploys to; their policies differ in healing (DESIGN.md §6). */
export const DEPLOY_ENVIRONMENTS = ["dev", "stage", "prod"] as const;
export type DeployEnvironment = (typeof DEPLOY_ENVIRONMENTS)[number];

/** Public port of each environment's local target unless configured (`with.port`). */
export const DEFAULT_DEPLOY_PORTS: Readonly<Record<DeployEnvironment, number>> = { dev: 4100, stage: 4200, prod: 4300 };

/** Names people write for the environments (`deploy_environment: staging` in docs/pipeline.md). */
const ENVIRONMENT_ALIASES: Readonly<Record<string, DeployEnvironment>> = {
  dev: "dev",
  development: "dev",
  stage: "stage",
  staging: "stage",
  prod: "prod",
  production: "prod",
};

/** `dev`/`development`, `stage`/`staging`, `prod`/`production` (any case) → the canonical name; null otherwise. */
export function toDeployEnvironment(name: string): DeployEnvironment | null {
  return ENVIRONMENT_ALIASES[name.trim().toLowerCase()] ?? null;
}

/** What to deploy. */
export interface DeployRelease {
  /** Unique within the environment; `[A-Za-z0-9._-]`, at most 64 characters (e.g. `12-1`: run 12, attempt 1). */
  id: string;
  /** Absolute directory holding the built application. */
  sourceDir: string;
  /** Globs relative to `sourceDir` selecting what to ship; default: everything but node_modules, .git, .pitstop. */
  files?: string[];
  /** Shell command that starts one worker (local target), e.g. `npm start`; it must listen on `$PORT`. */
  start: string;
  /** Environment of the started processes (secrets included); never written to logs or status output. */
  env: Record<string, string>;
}

/**
 * Why an operation failed. `deploy_unhealthy` is the failure class of DESIGN.md §5; the others are
 * bad input or a state that a person has to change (they never warrant a blind retry).
 */
export const DeployErrorClass = {
  /** The new processes never passed the health check (or exited); the previous release still serves. */
  deploy_unhealthy: "deploy_unhealthy",
  /** The environment's public port is held by another program. */
  port_in_use: "port_in_use",
  /** The environment already serves on another port than the one asked for. */
  port_mismatch: "port_mismatch",
  /** Nothing is deployed to this environment (restart, scale, rollback need a current release). */
  nothing_deployed: "nothing_deployed",
  /** No earlier healthy release to roll back to. */
  no_previous_release: "no_previous_release",
  /** The release itself is unusable: bad id, missing source directory, a glob escaping it. */
  invalid_release: "invalid_release",
  /** A user-given command (command target) exited non-zero or could not start. */
  command_failed: "command_failed",
  /** The operation was cancelled before traffic switched; nothing changed. */
  cancelled: "cancelled",
  /** The target's own machinery failed (the supervisor could not start or answer). */
  target_error: "target_error",
} as const;
export type DeployErrorClass = (typeof DeployErrorClass)[keyof typeof DeployErrorClass];

/** The outcome of `deploy`, `rollback`, `restart` and `scale`: the seeds' deployment log entry. */
export interface DeployResult {
  ok: boolean;
  /** The release the operation was about (the new one for deploy, the target of a rollback). */
  releaseId: string | null;
  /** The release that served before the operation (null when none did). */
  previousReleaseId: string | null;
  /** Where the environment answers; stable across restart, scale and rollback. */
  url: string | null;
  /** Whether the environment passed its health check at the end of the operation. */
  healthy: boolean;
  /** Response time of the last successful health check, in ms (null when none succeeded). */
  responseMs: number | null;
  /** Workers serving at the end of the operation (command target: the replicas asked for, or null). */
  workers: number | null;
  durationMs: number;
  error?: string;
  class?: DeployErrorClass;
}

/** One health probe of one worker (local) or of the health command (command target). */
export interface HealthCheck {
  /** Worker slot (0-based); 0 for the command target's single check. */
  worker: number;
  pid: number | null;
  ok: boolean;
  /** HTTP status (local) or exit code (command target); null when nothing answered. */
  status: number | null;
  responseMs: number | null;
  error: string | null;
}

export interface HealthReport {
  /** True when at least one worker is serving and every check passed. */
  healthy: boolean;
  releaseId: string | null;
  checks: HealthCheck[];
}

export const ReleaseStatus = {
  /** The release the environment serves (or served, when the environment is stopped). */
  live: "live",
  /** The release `rollback()` returns to: the one that was live before the current one. */
  previous: "previous",
  /** Never became healthy; it never served. */
  failed: "failed",
  /** Served once, no longer a rollback target (older, or rolled back from). */
  retired: "retired",
} as const;
export type ReleaseStatus = (typeof ReleaseStatus)[keyof typeof ReleaseStatus];

export interface ReleaseInfo {
  id: string;
  createdAt: number;
  status: ReleaseStatus;
  /** Passed its health check when it was deployed. */
  healthy: boolean;
  error: string | null;
}

export interface WorkerStatus {
  slot: number;
  pid: number;
  port: number;
  releaseId: string;
  alive: boolean;
  startedAt: number;
  /** Set once the process has exited (it is not restarted automatically). */
  exitCode: number | null;
  signal: string | null;
}

export const EnvironmentState = {
  /** Nothing was ever deployed here. */
  empty: "empty",
  /** The environment is up: its supervisor (local) answers, or the last deploy succeeded (command). */
  running: "running",
  /** It should be running but its supervisor is gone (e.g. killed, machine rebooted): `restart()` brings it back. */
  down: "down",
  /** Stopped on purpose with `stop()`. */
  stopped: "stopped",
} as const;
export type EnvironmentState = (typeof EnvironmentState)[keyof typeof EnvironmentState];

export interface TargetStatus {
  environment: DeployEnvironment;
  target: "local" | "command";
  state: EnvironmentState;
  current: ReleaseInfo | null;
  /** Workers that serve (or served) the current release; empty for the command target. */
  workers: WorkerStatus[];
  /** How many workers the environment should run. */
  desiredWorkers: number | null;
  url: string | null;
  /** The local target's supervisor process, when it runs. */
  supervisor: { pid: number; startedAt: number } | null;
  /**
   * Requests the environment's front (the local target's proxy) is forwarding right now: the
   * request backlog. Absent when the target cannot know (command target, no supervisor running).
   */
  requestsInFlight?: number;
}

export interface StopResult {
  ok: boolean;
  /** Processes that were stopped (workers and supervisor). */
  stoppedPids: number[];
  error?: string;
}

/**
 * How to build a target for an environment, as a pipeline's deploy stage says it (`with`), after
 * the deploy agent validated it. Absent fields take the target's defaults.
 */
export interface DeployTargetSettings {
  target: "local" | "command";
  /** local: public port (0 = any free port, then kept). */
  port?: number;
  /** local: interface of the public port. */
  host?: string;
  /** local: workers a deploy starts. */
  workers?: number;
  /** local: HTTP check; command: `command` is the health command, retries/intervalMs its polling. */
  health?: { path?: string; timeoutMs?: number; retries?: number; intervalMs?: number; command?: string };
  /** local: release directories kept. */
  keepReleases?: number;
  /** local: SIGTERM → SIGKILL grace for workers. */
  stopGraceMs?: number;
  /** command: the user's commands (`health` comes from `health.command`). */
  commands?: { deploy?: string; rollback?: string; restart?: string; scale?: string; stop?: string };
  /** command: where the commands run (default: the release's source directory). */
  cwd?: string;
  /** command: the URL to report. */
  url?: string;
  /** command: per-command time limit. */
  timeoutMs?: number;
  /** command: run the rollback command when a deploy never gets healthy (default true). */
  autoRollback?: boolean;
}

/** Per-call options of the mutating methods. */
export interface DeployCallOptions {
  /** Progress lines for a person ("worker 0 healthy after 340 ms"), never secrets. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface DeployTarget {
  readonly environment: DeployEnvironment;
  readonly kind: "local" | "command";
  /**
   * Ships `release` and switches traffic to it once it is healthy. An unhealthy release never gets
   * traffic: `ok: false`, class `deploy_unhealthy`, its processes stopped, the previous release
   * still serving. Not idempotent: deploying the id that is live or the rollback target is refused
   * (`invalid_release`); a failed or retired id may be deployed again (its files are replaced).
   */
  deploy(release: DeployRelease, opts?: DeployCallOptions): Promise<DeployResult>;
  /**
   * Returns to the previous healthy release (the one live before the current). It is
   * health-checked first like a deploy; when it is unhealthy the current release keeps serving.
   * Rolling back twice walks further back. `no_previous_release` when there is none.
   */
  rollback(opts?: DeployCallOptions): Promise<DeployResult>;
  /**
   * Restarts the current release's workers, one at a time when there are several, so the
   * environment keeps serving. Also brings a `down` environment back.
   */
  restart(opts?: DeployCallOptions): Promise<DeployResult>;
  /**
   * Runs `n` workers of the current release (local: 1..32; command: the scale command with
   * `{replicas}` = n, 0 allowed); new workers are health-checked before they get traffic.
   */
  scale(n: number, opts?: DeployCallOptions): Promise<DeployResult>;
  /** Probes every worker now (no retries). Never throws for an unhealthy environment. */
  health(): Promise<HealthReport>;
  /** Releases of the environment, newest first. */
  releases(): Promise<ReleaseInfo[]>;
  status(): Promise<TargetStatus>;
  /** Stops everything of the environment; state says `stopped`. Idempotent. */
  stop(): Promise<StopResult>;
}
