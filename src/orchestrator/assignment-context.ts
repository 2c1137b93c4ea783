import { isFailingCase, type TestCase } from "../core/run/test-case.js";
import type { AssignmentContext, RunJobSnapshot } from "../protocol/messages.js";
import type { AttemptRecord, Store } from "../store/port.js";
import type { ActiveRun } from "./active-run.js";

/** The run as it stands, for agents that report on it (the report stage). */
export function snapshotJobs(active: ActiveRun): RunJobSnapshot[] {
  return active.plan.jobs.map((pj) => {
    const j = active.jobs.get(pj.id)!;
    const stage = active.stages.get(pj.id);
    return {
      id: pj.id,
      name: pj.name,
      kind: pj.kind,
      status: j.status,
      attempts: j.attempt,
      failureClass: j.failureClass,
      reason: j.reason,
      durationMs: j.startedAt !== null && j.finishedAt !== null ? j.finishedAt - j.startedAt : null,
      tests: active.testCounts.get(pj.id) ?? null,
      stage: stage ? { kind: stage.kind, summary: stage.summary, data: stage.data } : null,
    };
  });
}


const failedCases = async (store: Store, runId: string, jobId: string, attempt: number) =>
  (await store.tests.listTestCases({ runId, jobId, attempt })).filter(isFailingCase).map((c) => ({ suite: c.suite, classname: c.classname, name: c.name, file: c.file }));

/**
 * What the agent needs besides the job: the run as it stands, the previous attempt (a retry, or
 * the failed attempt of the run this one reruns) and, for test jobs, the tests in quarantine.
 */
export async function buildAssignmentContext(store: Store, active: ActiveRun, jobId: string, previous: AttemptRecord | null, now: number): Promise<AssignmentContext> {
  const run = active.run;
  let prev: AssignmentContext["previous"] = null;
  const rerunOf = run.trigger.rerunOf;
  if (previous) {
    prev = { attempt: previous.attempt, failureClass: previous.failureClass, failedTests: await failedCases(store, run.id, previous.jobId, previous.attempt) };
  } else if (rerunOf && rerunOf.jobId === jobId && rerunOf.failedTestsOnly) {
    const before = await store.runs.getAttempt(rerunOf.runId, rerunOf.jobId, rerunOf.attempt);
    prev = { runId: rerunOf.runId, attempt: rerunOf.attempt, failureClass: before?.failureClass ?? null, failedTests: await failedCases(store, rerunOf.runId, rerunOf.jobId, rerunOf.attempt) };
  }
  const kind = active.planJobs.get(jobId)?.kind;
  const quarantined = kind === "test" ? (await store.remedies.listQuarantine({ activeAt: now })).map((q) => q.testId) : [];
  return {
    run: { id: run.id, number: run.number, pipelineFile: run.pipelineFile, branch: run.branch, commit: run.commit, startedAt: run.startedAt, jobs: snapshotJobs(active) },
    previous: prev,
    quarantined,
  };
}

/**
 * A rerun of only the failed tests keeps the first attempt's results: the previous attempt's
 * cases stay unless the rerun reports the same test again, in which case the rerun wins.
 */
export async function mergeRerunCases(store: Store, runId: string, jobId: string, previousAttempt: number, rerun: readonly TestCase[]): Promise<TestCase[]> {
  const key = (t: Pick<TestCase, "suite" | "classname" | "name">) => `${t.suite}\u0000${t.classname}\u0000${t.name}`;
  const fresh = new Set(rerun.map(key));
  const before = await store.tests.listTestCases({ runId, jobId, attempt: previousAttempt });
  const kept: TestCase[] = before
    .filter((c) => !fresh.has(key(c)))
    .map((c) => ({ suite: c.suite, classname: c.classname, name: c.name, status: c.status, durationMs: c.durationMs, message: c.message, file: c.file }));
  return [...kept, ...rerun];
}
