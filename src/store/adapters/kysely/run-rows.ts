import type { Insertable, Selectable, Updateable } from "kysely";
import type { FailureClass, FailureEvidence } from "../../../core/failure/failure-class.js";
import type { ExecutionPlan } from "../../../core/pipeline/plan.js";
import type { AttemptStatus, JobStatus, RunStatus } from "../../../core/run/status.js";
import type {
  AttemptPatch,
  AttemptRecord,
  JobPatch,
  JobRecord,
  NewRun,
  RunEvent,
  RunPatch,
  RunRecord,
  RunTrigger,
} from "../../port.js";
import type { AttemptsTable, JobsTable, RunEventsTable, RunsTable } from "./db-schema.js";
import { escapeNulOrNull, parseJson } from "./sql-values.js";

/** Row ↔ record mappers of the run aggregate. */

export function toRunRecord(row: Selectable<RunsTable>): RunRecord {
  return {
    id: row.id,
    number: row.number,
    status: row.status as RunStatus,
    pipelineFile: row.pipeline_file,
    workspace: row.workspace,
    plan: parseJson<ExecutionPlan>(row.plan),
    trigger: parseJson<RunTrigger>(row.trigger),
    branch: row.branch,
    commit: row.commit_sha,
    env: parseJson<Record<string, string>>(row.env),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    ownerId: row.owner_id,
    cancelRequestedAt: row.cancel_requested_at,
    reason: row.reason,
  };
}

/** The full row of a new run (also what `getRun` would read back). */
export function toRunRow(run: NewRun, num: number): Selectable<RunsTable> {
  return {
    id: run.id,
    number: num,
    status: run.status,
    pipeline_file: run.pipelineFile,
    workspace: run.workspace,
    plan: JSON.stringify(run.plan),
    trigger: JSON.stringify(run.trigger),
    branch: run.branch,
    commit_sha: run.commit,
    env: JSON.stringify(run.env),
    created_at: run.createdAt,
    started_at: null,
    finished_at: null,
    owner_id: run.ownerId,
    cancel_requested_at: null,
    reason: null,
  };
}

export function toJobRecord(row: Selectable<JobsTable>): JobRecord {
  return {
    runId: row.run_id,
    jobId: row.job_id,
    name: row.name,
    kind: row.kind,
    status: row.status as JobStatus,
    attempt: row.attempt,
    reason: row.reason,
    failureClass: row.failure_class as FailureClass | null,
    notBefore: row.not_before,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export function toAttemptRecord(row: Selectable<AttemptsTable>): AttemptRecord {
  return {
    runId: row.run_id,
    jobId: row.job_id,
    attempt: row.attempt,
    status: row.status as AttemptStatus,
    token: row.token,
    agentId: row.agent_id,
    leaseExpiresAt: row.lease_expires_at,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    exitCode: row.exit_code,
    signal: row.signal,
    failureClass: row.failure_class as FailureClass | null,
    evidence: row.evidence === null ? null : parseJson<FailureEvidence>(row.evidence),
    outputBytes: row.output_bytes,
    truncatedBytes: row.truncated_bytes,
  };
}

export function toAttemptRow(a: AttemptRecord): Insertable<AttemptsTable> {
  return {
    run_id: a.runId,
    job_id: a.jobId,
    attempt: a.attempt,
    status: a.status,
    token: a.token,
    agent_id: a.agentId,
    lease_expires_at: a.leaseExpiresAt,
    queued_at: a.queuedAt,
    started_at: a.startedAt,
    finished_at: a.finishedAt,
    exit_code: a.exitCode,
    signal: a.signal,
    failure_class: a.failureClass,
    evidence: a.evidence === null ? null : JSON.stringify(a.evidence),
    output_bytes: a.outputBytes,
    truncated_bytes: a.truncatedBytes,
  };
}

export function toRunEvent(row: Selectable<RunEventsTable>): RunEvent {
  return {
    seq: row.seq,
    runId: row.run_id,
    jobId: row.job_id,
    attempt: row.attempt,
    type: row.type,
    at: row.at,
    data: parseJson<Record<string, unknown>>(row.data),
  };
}

// `satisfies Record<keyof Patch, …>`: a field added to a patch type in port.ts breaks the build here
// instead of being silently dropped.
const RUN_COLUMNS = {
  status: "status",
  startedAt: "started_at",
  finishedAt: "finished_at",
  ownerId: "owner_id",
  reason: "reason",
} as const satisfies Record<keyof RunPatch, keyof RunsTable>;

const JOB_COLUMNS = {
  status: "status",
  attempt: "attempt",
  reason: "reason",
  failureClass: "failure_class",
  notBefore: "not_before",
  startedAt: "started_at",
  finishedAt: "finished_at",
} as const satisfies Record<keyof JobPatch, keyof JobsTable>;

const ATTEMPT_COLUMNS = {
  status: "status",
  token: "token",
  agentId: "agent_id",
  leaseExpiresAt: "lease_expires_at",
  queuedAt: "queued_at",
  startedAt: "started_at",
  finishedAt: "finished_at",
  exitCode: "exit_code",
  signal: "signal",
  failureClass: "failure_class",
  evidence: "evidence",
  outputBytes: "output_bytes",
  truncatedBytes: "truncated_bytes",
} as const satisfies Record<keyof AttemptPatch, keyof AttemptsTable>;

/** The defined fields of a patch, renamed to columns; an empty object when nothing is set. */
function patchColumns(patch: object, columns: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    const column = columns[key];
    if (column !== undefined && value !== undefined) out[column] = value;
  }
  return out;
}

export function runPatchColumns(patch: RunPatch): Updateable<RunsTable> {
  const p = patch.reason === undefined ? patch : { ...patch, reason: escapeNulOrNull(patch.reason) };
  return patchColumns(p, RUN_COLUMNS) as Updateable<RunsTable>;
}

export function jobPatchColumns(patch: JobPatch): Updateable<JobsTable> {
  const p = patch.reason === undefined ? patch : { ...patch, reason: escapeNulOrNull(patch.reason) };
  return patchColumns(p, JOB_COLUMNS) as Updateable<JobsTable>;
}

export function attemptPatchColumns(patch: AttemptPatch): Updateable<AttemptsTable> {
  const evidence = patch.evidence === undefined || patch.evidence === null ? patch.evidence : JSON.stringify(patch.evidence);
  return patchColumns({ ...patch, evidence }, ATTEMPT_COLUMNS) as Updateable<AttemptsTable>;
}
