import type { Generated, Kysely } from "kysely";

/**
 * Kysely table types of the store (DESIGN.md §7.6: they never leave `store/adapters`).
 * Timestamps are epoch ms in `bigint` columns; JSON values are text. Column names are snake_case;
 * the mappers in `rows.ts` translate to the port's camelCase records.
 */

export interface RunsTable {
  id: string;
  number: number;
  status: string;
  pipeline_file: string;
  workspace: string;
  plan: string;
  trigger: string;
  branch: string | null;
  commit_sha: string | null;
  env: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  owner_id: string | null;
  cancel_requested_at: number | null;
  reason: string | null;
}

export interface JobsTable {
  run_id: string;
  job_id: string;
  /** Position in the plan, so jobs list in the order they were created. */
  position: number;
  name: string;
  kind: string;
  status: string;
  attempt: number;
  reason: string | null;
  failure_class: string | null;
  not_before: number | null;
  started_at: number | null;
  finished_at: number | null;
}

export interface AttemptsTable {
  run_id: string;
  job_id: string;
  attempt: number;
  status: string;
  token: string;
  agent_id: string | null;
  lease_expires_at: number | null;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  failure_class: string | null;
  evidence: string | null;
  output_bytes: number;
  truncated_bytes: number;
}

export interface RunEventsTable {
  seq: Generated<number>;
  run_id: string;
  job_id: string | null;
  attempt: number | null;
  type: string;
  at: number;
  data: string;
}

export interface LogsTable {
  id: Generated<number>;
  run_id: string;
  job_id: string;
  attempt: number;
  seq: number;
  stream: string;
  text: string;
  at: number;
}

export interface TestCasesTable {
  run_id: string;
  job_id: string;
  attempt: number;
  /** Position within the attempt's report(s), so cases list in report order. */
  idx: number;
  suite: string;
  classname: string;
  name: string;
  status: string;
  duration_ms: number;
  message: string | null;
  file: string;
}

export interface BusMessagesTable {
  /** Insertion order = publish order. */
  seq: Generated<number>;
  id: string;
  topic: string;
  payload: string;
  published_at: number;
}

export interface BusGroupsTable {
  topic: string;
  group_name: string;
  created_at: number;
}

export interface BusAcksTable {
  message_id: string;
  group_name: string;
}

export interface OrchestratorsTable {
  id: string;
  host: string;
  pid: number;
  started_at: number;
  heartbeat_at: number;
}

/** Single-row counters (run numbers), incremented under a row lock. */
export interface CountersTable {
  name: string;
  value: number;
}

export interface Database {
  runs: RunsTable;
  jobs: JobsTable;
  attempts: AttemptsTable;
  run_events: RunEventsTable;
  logs: LogsTable;
  test_cases: TestCasesTable;
  stage_reports: StageReportsTable;
  bus_messages: BusMessagesTable;
  bus_groups: BusGroupsTable;
  bus_acks: BusAcksTable;
  orchestrators: OrchestratorsTable;
  counters: CountersTable;
  audit_records: AuditRecordsTable;
  audit_head: AuditHeadTable;
  healing_incidents: HealingIncidentsTable;
  healing_decisions: HealingDecisionsTable;
  healing_feedback: HealingFeedbackTable;
  healing_policy_state: HealingPolicyStateTable;
  healing_actions: HealingActionsTable;
  healing_breakers: HealingBreakersTable;
  quarantine_entries: QuarantineEntriesTable;
  flake_history: FlakeHistoryTable;
  threshold_changes: ThresholdChangesTable;
}

export interface StageReportsTable {
  run_id: string;
  job_id: string;
  attempt: number;
  kind: string;
  summary: string;
  /** JSON text. */
  data: string;
  at: number;
}

/** The audit hash chain; subject and data are JSON text. */
export interface AuditRecordsTable {
  seq: number;
  at: number;
  type: string;
  actor: string;
  subject: string;
  data: string;
  prev_hash: string;
  hash: string;
}

/** One row (id 1): the chain's head, locked by every append. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** Healing incidents; target and context are JSON text. */
export interface HealingIncidentsTable {
  id: string;
  at: number;
  environment: string;
  kind: string;
  target: string | null;
  signature: string | null;
  context: string;
  status: string;
  resolved_at: number | null;
  note: string | null;
}

/** Healing decisions with their approval; target, explanation and outcome are JSON text. */
export interface HealingDecisionsTable {
  id: string;
  incident_id: string;
  at: number;
  environment: string;
  action: string;
  target: string | null;
  explanation: string;
  status: string;
  requested_by: string;
  verdict: string | null;
  verified_at: number | null;
  outcome: string | null;
  approval_requested_by: string | null;
  approval_requested_at: number | null;
  approved_by: string | null;
  approved_at: number | null;
}

export interface HealingFeedbackTable {
  id: Generated<number>;
  decision_id: string;
  at: number;
  by: string;
  verdict: string;
  note: string | null;
}

/** One row per environment; state is JSON text, version counts saves (optimistic concurrency). */
export interface HealingPolicyStateTable {
  environment: string;
  state: string;
  version: number;
}

export interface HealingActionsTable {
  seq: Generated<number>;
  decision_id: string;
  at: number;
  environment: string;
  action: string;
  target: string | null;
  signature: string | null;
}

/** One row per environment once its breaker first tripped; tripped is 0/1. */
export interface HealingBreakersTable {
  environment: string;
  tripped: number;
  tripped_at: number | null;
  reset_at: number | null;
  reset_by: string | null;
  reason: string | null;
}

/** Test quarantines, one row per entry; an entry is active while unreleased and before expires_at. */
export interface QuarantineEntriesTable {
  id: Generated<number>;
  test_id: string;
  reason: string;
  by: string;
  decision_id: string | null;
  created_at: number;
  expires_at: number;
  released_at: number | null;
  released_by: string | null;
}

/** One row per test ever rerun after failing: counters incremented in place. */
export interface FlakeHistoryTable {
  test_id: string;
  runs: number;
  flakes: number;
  last_flake_at: number | null;
  updated_at: number;
}

/** Detector threshold changes; the newest (highest id) of a (detector, key) holds its current value. */
export interface ThresholdChangesTable {
  id: Generated<number>;
  detector: string;
  key: string;
  from_value: number | null;
  to_value: number | null;
  by: string;
  decision_id: string | null;
  reason: string;
  at: number;
}

/** What every Kysely-backed store needs: the database and which SQL dialect it speaks. */
export interface StoreContext {
  db: Kysely<Database>;
  dialect: "sqlite" | "postgres";
}
