import { countTests, type TestCounts } from "../core/run/test-case.js";
import type { AttemptRecord, JobRecord, RunRecord, Store } from "../store/port.js";

/** The run record printed by `run --json` and `show --json`: stable, documented in docs/cli.md. */
export interface RunReport {
  id: string;
  number: number;
  status: string;
  reason: string | null;
  pipelineFile: string;
  workspace: string;
  branch: string | null;
  commit: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  tests: TestCounts;
  jobs: JobReport[];
}

export interface JobReport {
  id: string;
  name: string;
  kind: string;
  status: string;
  reason: string | null;
  failureClass: string | null;
  durationMs: number | null;
  tests: TestCounts | null;
  /** The stage agent's report of the latest attempt that made one (findings, artifacts, deployment…). */
  stage: { kind: string; summary: string; attempt: number; data: Record<string, unknown> } | null;
  attempts: Array<{
    attempt: number;
    status: string;
    agentId: string | null;
    exitCode: number | null;
    signal: string | null;
    failureClass: string | null;
    durationMs: number | null;
    outputBytes: number;
    truncatedBytes: number;
  }>;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const span = (a: number | null, b: number | null) => (a !== null && b !== null ? b - a : null);

export async function buildRunReport(store: Store, run: RunRecord): Promise<RunReport> {
  const [jobs, attempts, counts, stages] = await Promise.all([
    store.runs.listJobs(run.id),
    store.runs.listAttempts(run.id),
    store.tests.testCounts(run.id),
    store.stages.listStageReports(run.id),
  ]);
  const latestStage = new Map<string, JobReport["stage"]>();
  for (const r of stages) latestStage.set(r.jobId, { kind: r.kind, summary: r.summary, attempt: r.attempt, data: r.data });
  const order = new Map(run.plan.jobs.map((j, i) => [j.id, i]));
  jobs.sort((a, b) => (order.get(a.jobId) ?? 0) - (order.get(b.jobId) ?? 0));
  const total: TestCounts = countTests([]);
  for (const c of Object.values(counts)) for (const k of Object.keys(total) as Array<keyof TestCounts>) total[k] += c[k];
  return {
    id: run.id,
    number: run.number,
    status: run.status,
    reason: run.reason,
    pipelineFile: run.pipelineFile,
    workspace: run.workspace,
    branch: run.branch,
    commit: run.commit,
    createdAt: iso(run.createdAt)!,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    durationMs: span(run.startedAt, run.finishedAt),
    tests: total,
    jobs: jobs.map((j) => jobReport(j, attempts.filter((a) => a.jobId === j.jobId), counts[j.jobId] ?? null, latestStage.get(j.jobId) ?? null)),
  };
}

function jobReport(j: JobRecord, attempts: AttemptRecord[], tests: TestCounts | null, stage: JobReport["stage"]): JobReport {
  return {
    id: j.jobId,
    name: j.name,
    kind: j.kind,
    status: j.status,
    reason: j.reason,
    failureClass: j.failureClass,
    durationMs: span(j.startedAt, j.finishedAt),
    tests,
    stage,
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      status: a.status,
      agentId: a.agentId,
      exitCode: a.exitCode,
      signal: a.signal,
      failureClass: a.failureClass,
      durationMs: span(a.startedAt, a.finishedAt),
      outputBytes: a.outputBytes,
      truncatedBytes: a.truncatedBytes,
    })),
  };
}
