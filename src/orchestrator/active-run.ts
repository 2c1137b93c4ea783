import type { ExecutionPlan, PlanJob } from "../core/pipeline/plan.js";
import type { JobState } from "../core/run/scheduler.js";
import type { TestCounts } from "../core/run/test-case.js";
import type { AttemptRecord, JobRecord, RunEvent, RunRecord, Store, StoredStageReport } from "../store/port.js";

/**
 * The orchestrator's in-memory view of a run it drives. The store stays the source of truth:
 * this is loaded from it on start or adoption and every change is written through.
 */
export interface ActiveRun {
  run: RunRecord;
  plan: ExecutionPlan;
  planJobs: Map<string, PlanJob>;
  jobs: Map<string, JobRecord>;
  /** Latest attempt per job. */
  attempts: Map<string, AttemptRecord>;
  /** Retries each retry rule has granted, per job (index = rule index in job.retry + defaults). */
  retriesUsed: Map<string, number[]>;
  cancelled: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  /** Latest stage report per job, for the context of later jobs (the report agent). */
  stages: Map<string, StoredStageReport>;
  /** Test counts per job (latest attempt with cases). */
  testCounts: Map<string, TestCounts>;
}

export async function loadActiveRun(store: Store, run: RunRecord): Promise<ActiveRun> {
  const [jobs, attempts, events, stages, counts] = await Promise.all([
    store.runs.listJobs(run.id),
    store.runs.listAttempts(run.id),
    store.runs.listEvents(run.id),
    store.stages.listStageReports(run.id),
    store.tests.testCounts(run.id),
  ]);
  const latest = new Map<string, AttemptRecord>();
  for (const a of attempts) {
    const cur = latest.get(a.jobId);
    if (!cur || a.attempt > cur.attempt) latest.set(a.jobId, a);
  }
  return {
    run,
    plan: run.plan,
    planJobs: new Map(run.plan.jobs.map((j) => [j.id, j])),
    jobs: new Map(jobs.map((j) => [j.jobId, j])),
    attempts: latest,
    retriesUsed: retriesFromEvents(events),
    cancelled: run.cancelRequestedAt !== null,
    timer: null,
    stages: new Map(stages.map((r) => [r.jobId, r])),
    testCounts: new Map(Object.entries(counts)),
  };
}

/** `job.retrying` events carry the rule that granted the retry, so budgets survive a restart. */
function retriesFromEvents(events: readonly RunEvent[]): Map<string, number[]> {
  const used = new Map<string, number[]>();
  for (const e of events) {
    if (e.type !== "job.retrying" || e.jobId === null || typeof e.data.ruleIndex !== "number") continue;
    const arr = used.get(e.jobId) ?? [];
    arr[e.data.ruleIndex] = (arr[e.data.ruleIndex] ?? 0) + 1;
    used.set(e.jobId, arr);
  }
  return used;
}

export function jobStates(active: ActiveRun): Map<string, JobState> {
  const m = new Map<string, JobState>();
  for (const [id, j] of active.jobs) m.set(id, { status: j.status, notBefore: j.notBefore });
  return m;
}
