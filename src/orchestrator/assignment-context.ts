import type { TestCase } from "../core/run/test-case.js";
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

const isFailed = (t: Pick<TestCase, "status">) => t.status === "failed" || t.status === "errored";

export async function buildAssignmentContext(store: Store, active: ActiveRun, previous: AttemptRecord | null): Promise<AssignmentContext> {
  const run = active.run;
  let prev: AssignmentContext["previous"] = null;
  if (previous) {
    const cases = await store.tests.listTestCases({ runId: run.id, jobId: previous.jobId, attempt: previous.attempt });
    prev = {
      attempt: previous.attempt,
      failureClass: previous.failureClass,
      failedTests: cases.filter(isFailed).map((c) => ({ suite: c.suite, classname: c.classname, name: c.name, file: c.file })),
    };
  }
  return {
    run: { id: run.id, number: run.number, pipelineFile: run.pipelineFile, branch: run.branch, commit: run.commit, startedAt: run.startedAt, jobs: snapshotJobs(active) },
    previous: prev,
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
