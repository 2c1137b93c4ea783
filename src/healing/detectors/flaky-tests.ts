import type { Environment } from "../../core/healing/environment.js";
import { isFailingCase, testId, type TestCase } from "../../core/run/test-case.js";
import type { Store } from "../../store/port.js";
import { DetectorKind, type DetectorEvent } from "./detector-event.js";

/**
 * The flaky-test detector: a test that failed and then passed when rerun on the same code. A
 * rerun is either the next attempt of the job in the same run (a retry reruns only the failed
 * tests) or a run started to rerun that job (`trigger.rerunOf`, the healing loop's reruns).
 */

export interface RerunPair {
  /** The failed attempt the job was rerun from. */
  before: { runId: string; attempt: number };
  /** The attempt that reran it (the job's latest in `runId`). */
  after: { runId: string; attempt: number };
  commit: string | null;
}

/**
 * The attempt a job's latest attempt reran, when it reran one on the same code: the previous
 * attempt of the same run, else the earlier run's attempt named by `trigger.rerunOf` when both
 * runs built the same commit in the same workspace (outside git both commits are null: the same
 * workspace is then all that is known). Null otherwise.
 */
export async function findRerunPair(store: Store, runId: string, jobId: string): Promise<RerunPair | null> {
  const run = await store.runs.getRun(runId);
  if (run === null) return null;
  const attempts = await store.runs.listAttempts(runId, jobId);
  const last = attempts.at(-1);
  if (last === undefined) return null;
  if (attempts.length >= 2) {
    return { before: { runId, attempt: attempts.at(-2)!.attempt }, after: { runId, attempt: last.attempt }, commit: run.commit };
  }
  const of = run.trigger.rerunOf;
  if (of === undefined || of.jobId !== jobId) return null;
  const earlier = await store.runs.getRun(of.runId);
  // Different code is not a rerun: a test fixed by a commit did not flake.
  if (earlier === null || earlier.commit !== run.commit || earlier.workspace !== run.workspace) return null;
  return { before: { runId: of.runId, attempt: of.attempt }, after: { runId, attempt: last.attempt }, commit: run.commit };
}

export interface RerunComparison {
  testId: string;
  /** It failed before and passed in the rerun: a flake. */
  passed: boolean;
}

/** How each test that failed before did in the rerun; tests the rerun did not run are left out. */
export function compareReruns(before: readonly TestCase[], after: readonly TestCase[]): RerunComparison[] {
  // A test reported more than once in the rerun (two reports, two files) passed only if no copy
  // failed, whatever the order; skipped copies say nothing.
  const failedNow = new Map<string, boolean>();
  for (const c of after) {
    if (c.status === "skipped") continue;
    const id = testId(c);
    failedNow.set(id, (failedNow.get(id) ?? false) || isFailingCase(c));
  }
  const out: RerunComparison[] = [];
  for (const id of new Set(before.filter(isFailingCase).map(testId))) {
    const failed = failedNow.get(id);
    if (failed === undefined) continue;
    out.push({ testId: id, passed: !failed });
  }
  return out;
}

/** The comparison for a job's latest attempt, without recording anything (null: not a rerun). */
export async function compareJobRerun(store: Store, runId: string, jobId: string): Promise<(RerunPair & { tests: RerunComparison[] }) | null> {
  const pair = await findRerunPair(store, runId, jobId);
  if (pair === null) return null;
  const [before, after] = await Promise.all([
    store.tests.listTestCases({ runId: pair.before.runId, jobId, attempt: pair.before.attempt }),
    store.tests.listTestCases({ runId: pair.after.runId, jobId, attempt: pair.after.attempt }),
  ]);
  return { ...pair, tests: compareReruns(before, after) };
}

/**
 * Call once when a test job of a run has ended: records each rerun test in the flake history and
 * returns a `flaky_test` event per test that failed and then passed.
 */
export async function detectFlakyTests(
  store: Store,
  input: { runId: string; jobId: string; environment: Environment; now: number },
): Promise<DetectorEvent[]> {
  const compared = await compareJobRerun(store, input.runId, input.jobId);
  if (compared === null) return [];
  const events: DetectorEvent[] = [];
  for (const t of compared.tests) {
    const history = await store.remedies.recordRerun({ testId: t.testId, passed: t.passed, at: input.now });
    if (!t.passed) continue;
    events.push({
      kind: DetectorKind.flaky_test,
      environment: input.environment,
      target: t.testId,
      at: input.now,
      evidence: { testId: t.testId, runId: input.runId, jobId: input.jobId, commit: compared.commit, failedIn: compared.before, passedIn: compared.after, history: { runs: history.runs, flakes: history.flakes } },
    });
  }
  return events;
}
