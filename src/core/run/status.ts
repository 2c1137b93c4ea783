/** Status objects for runs, jobs and attempts (DESIGN.md §5): `as const`, never TS enums. */
export const RunStatus = {
  queued: "queued",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const JobStatus = {
  /** Waiting for its needs. */
  pending: "pending",
  /** Dispatched to `agent.<kind>`, no agent has started it yet. */
  queued: "queued",
  running: "running",
  /** Failed an attempt; waiting for the retry backoff to pass. */
  retrying: "retrying",
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
  cancelled: "cancelled",
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const AttemptStatus = {
  queued: "queued",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  /** The lease expired: the agent is presumed dead. */
  lost: "lost",
  cancelled: "cancelled",
} as const;
export type AttemptStatus = (typeof AttemptStatus)[keyof typeof AttemptStatus];

const TERMINAL_RUN: ReadonlySet<RunStatus> = new Set([RunStatus.succeeded, RunStatus.failed, RunStatus.cancelled]);
const TERMINAL_JOB: ReadonlySet<JobStatus> = new Set([
  JobStatus.succeeded,
  JobStatus.failed,
  JobStatus.skipped,
  JobStatus.cancelled,
]);
const TERMINAL_ATTEMPT: ReadonlySet<AttemptStatus> = new Set([
  AttemptStatus.succeeded,
  AttemptStatus.failed,
  AttemptStatus.lost,
  AttemptStatus.cancelled,
]);

export const isTerminalRun = (s: RunStatus): boolean => TERMINAL_RUN.has(s);
export const isTerminalJob = (s: JobStatus): boolean => TERMINAL_JOB.has(s);
export const isTerminalAttempt = (s: AttemptStatus): boolean => TERMINAL_ATTEMPT.has(s);
