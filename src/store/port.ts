import type { AuditRecord, StoredAuditRecord } from "../core/healing/audit-record.js";
import type { ExecutionPlan } from "../core/pipeline/plan.js";
import type { FailureClass, FailureEvidence } from "../core/failure/failure-class.js";
import type { AttemptStatus, JobStatus, RunStatus } from "../core/run/status.js";
import type { TestCase, TestCounts } from "../core/run/test-case.js";
import type { HealingStore } from "./healing-port.js";
import type { RemedyStore } from "./remedies-port.js";

export type * from "./healing-port.js";
export type * from "./remedies-port.js";

/**
 * Store port: narrow stores per aggregate (DESIGN.md §3). One implementation over Kysely serves
 * SQLite and PostgreSQL; `defineStoreConformance` (conformance.ts) runs against both.
 *
 * All timestamps are epoch milliseconds passed in by the caller (the store never reads a clock),
 * all ids are strings chosen by the caller. Every method may reject with a PitstopError of code
 * STORE_UNAVAILABLE when the database cannot be reached; nothing else is thrown for valid input.
 */

export interface RunTrigger {
  /** `heal`: the healing loop started it (a retry or a rerun of a failed job of another run). */
  source: "cli" | "api" | "webhook" | "schedule" | "heal";
  /** Who or what triggered it (user name, webhook delivery id, healing decision id…). */
  by: string | null;
  /** Set when this run reruns one job of an earlier run on the same code. */
  rerunOf?: RerunOf;
}

export interface RerunOf {
  runId: string;
  jobId: string;
  /** The earlier run's attempt that failed. */
  attempt: number;
  /** Rerun only the tests that failed in that attempt (the test stage), not the whole job. */
  failedTestsOnly: boolean;
}

export interface RunRecord {
  id: string;
  /** 1, 2, 3… per store, assigned by createRun. */
  number: number;
  status: RunStatus;
  pipelineFile: string;
  /** Absolute path the jobs run in. */
  workspace: string;
  plan: ExecutionPlan;
  trigger: RunTrigger;
  branch: string | null;
  commit: string | null;
  /** `--env K=V` values given at trigger time (never secrets). */
  env: Record<string, string>;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Orchestrator instance that drives the run; another may adopt it when that one is dead. */
  ownerId: string | null;
  /** Set by `pitstop cancel`; the owning orchestrator acts on it. */
  cancelRequestedAt: number | null;
  /** Why the run ended the way it did (first failure, cancellation…). */
  reason: string | null;
}

export type NewRun = Omit<RunRecord, "number" | "startedAt" | "finishedAt" | "cancelRequestedAt" | "reason">;

export interface JobRecord {
  runId: string;
  jobId: string;
  name: string;
  kind: string;
  status: JobStatus;
  /** Number of the current (latest) attempt; 0 before the first dispatch. */
  attempt: number;
  /** Why it was skipped, or a one-line summary of its failure. */
  reason: string | null;
  failureClass: FailureClass | null;
  /** When a `retrying` job may be dispatched again. */
  notBefore: number | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export type NewJob = Pick<JobRecord, "jobId" | "name" | "kind">;

export interface AttemptRecord {
  runId: string;
  jobId: string;
  attempt: number;
  status: AttemptStatus;
  /** Fencing token of the lease; results carrying another token are rejected. */
  token: string;
  agentId: string | null;
  leaseExpiresAt: number | null;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  failureClass: FailureClass | null;
  evidence: FailureEvidence | null;
  outputBytes: number;
  truncatedBytes: number;
}

export type JobPatch = Partial<Omit<JobRecord, "runId" | "jobId" | "name" | "kind">>;
export type AttemptPatch = Partial<Omit<AttemptRecord, "runId" | "jobId" | "attempt">>;
export type RunPatch = Partial<Pick<RunRecord, "status" | "startedAt" | "finishedAt" | "ownerId" | "reason">>;

/** An append-only history row: every state change writes one (history is never overwritten). */
export interface RunEvent {
  /** Assigned by the store, increasing within a store. */
  seq: number;
  runId: string;
  jobId: string | null;
  attempt: number | null;
  /** e.g. `run.started`, `job.queued`, `attempt.lost`, `result.rejected`, `job.problem`. */
  type: string;
  at: number;
  data: Record<string, unknown>;
}
export type NewRunEvent = Omit<RunEvent, "seq" | "runId">;

/** One atomic change to a run: all of it lands, or none of it does. */
export interface RunChange {
  runId: string;
  /**
   * Apply the change only if the run's owner is this (null: no owner) when the change commits;
   * otherwise reject with CONFLICT and change nothing. Taking a run is a compare-and-set on its
   * owner, so two orchestrators adopting the same orphan cannot both own it.
   */
  ifOwner?: string | null;
  run?: RunPatch;
  jobs?: ReadonlyArray<{ jobId: string; patch: JobPatch }>;
  newAttempts?: readonly AttemptRecord[];
  attempts?: ReadonlyArray<{ jobId: string; attempt: number; patch: AttemptPatch }>;
  events: readonly NewRunEvent[];
}

export interface RunQuery {
  limit?: number;
  /** Only runs in one of these statuses; absent or empty means any status. */
  statuses?: readonly RunStatus[];
}

export interface RunStore {
  /** Creates the run, its jobs (status `pending`, attempt 0) and a `run.created` event. */
  createRun(run: NewRun, jobs: readonly NewJob[], at: number): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | null>;
  /** Finds a run by full id, unique id prefix (≥ 4 chars) or run number ("12" or "#12"). */
  findRun(ref: string): Promise<RunRecord | null>;
  /** Newest first. */
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  listJobs(runId: string): Promise<JobRecord[]>;
  getJob(runId: string, jobId: string): Promise<JobRecord | null>;
  /** Ordered by jobId, then attempt. */
  listAttempts(runId: string, jobId?: string): Promise<AttemptRecord[]>;
  getAttempt(runId: string, jobId: string, attempt: number): Promise<AttemptRecord | null>;
  /** Applies a RunChange in one transaction. Patching a missing job/attempt rejects with JOB_NOT_FOUND. */
  apply(change: RunChange): Promise<void>;
  /** Ordered by seq; `afterSeq` for tailing. */
  listEvents(runId: string, afterSeq?: number): Promise<RunEvent[]>;
  /** Marks the run for cancellation (idempotent: keeps the first time). Returns false if the run is missing. */
  requestCancel(runId: string, at: number): Promise<boolean>;
}

export interface LogLine {
  runId: string;
  jobId: string;
  attempt: number;
  /** Per (run, job, attempt), from 0, assigned by the agent; (run, job, attempt, seq) is unique. */
  seq: number;
  stream: "stdout" | "stderr" | "system";
  /**
   * Already masked. Invalid UTF-8 bytes are kept as `\xNN` escapes. A NUL character is stored
   * (and read back) as `\x00` too: PostgreSQL text cannot hold it.
   */
  text: string;
  at: number;
}

export interface LogQuery {
  runId: string;
  jobId?: string;
  attempt?: number;
  /** Return lines with a store id greater than this (for --follow). */
  afterId?: number;
  limit?: number;
  /** With `limit`: the last `limit` matching lines instead of the first (still in insertion order). */
  fromEnd?: boolean;
}

export interface LogStore {
  /** Idempotent on (run, job, attempt, seq): a redelivered batch does not duplicate lines. */
  appendLogs(lines: readonly LogLine[]): Promise<void>;
  /** In insertion order; each line carries its store id. */
  readLogs(query: LogQuery): Promise<Array<LogLine & { id: number }>>;
}

export interface StoredTestCase extends TestCase {
  runId: string;
  jobId: string;
  attempt: number;
}

export interface TestResultStore {
  /** Replaces the cases of (run, job, attempt): idempotent. */
  saveTestCases(runId: string, jobId: string, attempt: number, cases: readonly TestCase[]): Promise<void>;
  listTestCases(query: { runId: string; jobId?: string; attempt?: number }): Promise<StoredTestCase[]>;
  /** Counts per job for the job's latest attempt that has cases. */
  testCounts(runId: string): Promise<Record<string, TestCounts>>;
}

/** A stage agent's report on one attempt (findings, coverage, artifacts, deployment…). */
export interface StoredStageReport {
  runId: string;
  jobId: string;
  attempt: number;
  kind: string;
  summary: string;
  data: Record<string, unknown>;
  at: number;
}

export interface StageReportStore {
  /** Replaces the report of (run, job, attempt): idempotent. */
  saveStageReport(report: StoredStageReport): Promise<void>;
  /** Ordered by jobId, then attempt. */
  listStageReports(runId: string, jobId?: string): Promise<StoredStageReport[]>;
}

/** A message retained by the durable memory bus. */
export interface StoredBusMessage {
  id: string;
  topic: string;
  /** JSON text. */
  payload: string;
  publishedAt: number;
}

/**
 * Durability for the embedded (memory) bus: messages are written before publish returns and
 * removed once every group of their topic has acked them, so a crash loses nothing.
 */
export interface BusMessageStore {
  saveMessage(message: StoredBusMessage): Promise<void>;
  /** Records that `group` exists on `topic` (idempotent). */
  saveGroup(topic: string, group: string, at: number): Promise<void>;
  /** Records acks; idempotent. */
  saveAcks(topic: string, group: string, ids: readonly string[]): Promise<void>;
  /** Deletes messages and their acks. */
  deleteMessages(ids: readonly string[]): Promise<void>;
  /** Everything retained, for a bus starting on existing data. Messages in publish order. */
  loadAll(): Promise<{
    messages: StoredBusMessage[];
    groups: Array<{ topic: string; group: string }>;
    acks: Array<{ group: string; messageId: string }>;
  }>;
}

/** Orchestrator instances, so a live one can adopt the runs of a dead one. */
export interface OrchestratorRecord {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
}

export interface OrchestratorStore {
  /** Upserts the instance with a fresh heartbeat. */
  heartbeat(record: OrchestratorRecord): Promise<void>;
  listOrchestrators(): Promise<OrchestratorRecord[]>;
  removeOrchestrator(id: string): Promise<void>;
}

/** The chain's head: the last appended record's seq and hash ({ seq: 0, hash: GENESIS_HASH } when empty). */
export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditQuery {
  /** Only records with a greater seq (for paging and tailing). */
  afterSeq?: number;
  limit?: number;
}

/**
 * The tamper-evident audit log's storage: an append-only hash chain (DESIGN.md §6). The store
 * assigns the order; the caller (src/healing/audit) computes hashes. Nothing here updates or
 * deletes a record.
 */
export interface AuditStore {
  /**
   * Appends one record in a single transaction that holds the chain's head lock (a row lock on
   * PostgreSQL, the database write lock on SQLite): reads the head, calls `build(head)`, inserts
   * what it returns and advances the head. So appenders in several processes still produce one
   * chain without gaps or forks. `build` must be synchronous and must return a record with
   * `seq = head.seq + 1` and `prevHash = head.hash`; otherwise nothing is written and the call
   * rejects with INTERNAL. Not idempotent: each call appends a record.
   */
  append(build: (head: AuditHead) => AuditRecord): Promise<AuditRecord>;
  /** Ordered by seq. Records are returned as stored: verifying them is the caller's job. */
  list(query?: AuditQuery): Promise<StoredAuditRecord[]>;
  /**
   * The head as the store last advanced it. It is kept apart from the records, so comparing it
   * with the last listed record reveals records deleted from the end of the table.
   */
  head(): Promise<AuditHead>;
}

/** Everything the app needs from one database, plus lifecycle. */
export interface Store {
  readonly dialect: "sqlite" | "postgres";
  readonly runs: RunStore;
  readonly logs: LogStore;
  readonly tests: TestResultStore;
  readonly stages: StageReportStore;
  readonly busMessages: BusMessageStore;
  readonly orchestrators: OrchestratorStore;
  readonly audit: AuditStore;
  /** Incidents, decisions, approvals, feedback, policy state, action history, breaker (healing-port.ts). */
  readonly healing: HealingStore;
  /** Quarantined tests, flake history, detector thresholds (remedies-port.ts). */
  readonly remedies: RemedyStore;
  /** Applies pending numbered migrations. Idempotent; safe to call from several processes. */
  migrate(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}
