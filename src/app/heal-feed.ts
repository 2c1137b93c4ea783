import type { Environment } from "../core/healing/environment.js";
import { isFailingCase, testId } from "../core/run/test-case.js";
import type { Logger } from "../core/logger.js";
import { detectFlakyTests } from "../healing/detectors/flaky-tests.js";
import type { HealEvent, HealOutcome, JobFailureEvent } from "../healing/loop/heal-types.js";
import type { OrchestratorEvent } from "../orchestrator/events.js";
import type { Store } from "../store/port.js";

/** Last log lines kept for the log signature. */
const SIGNATURE_LINES = 20;

/**
 * A failed job, as the Monitor step hands it to the loop: its failure class and exit code, its
 * last log lines (for the signature) and the tests that failed in its last attempt.
 */
export async function jobFailureEvent(store: Store, input: { runId: string; jobId: string; environment: Environment }): Promise<JobFailureEvent | null> {
  const job = await store.runs.getJob(input.runId, input.jobId);
  if (job === null || job.attempt === 0) return null;
  const attempt = await store.runs.getAttempt(input.runId, input.jobId, job.attempt);
  const [cases, logs] = await Promise.all([
    store.tests.listTestCases({ runId: input.runId, jobId: input.jobId, attempt: job.attempt }),
    store.logs.readLogs({ runId: input.runId, jobId: input.jobId, attempt: job.attempt, limit: SIGNATURE_LINES, fromEnd: true }),
  ]);
  const failed = [...new Set(cases.filter(isFailingCase).map(testId))];
  return {
    kind: "job_failure",
    environment: input.environment,
    jobId: input.jobId,
    runId: input.runId,
    attempt: job.attempt,
    failureClass: job.failureClass,
    exitCode: attempt?.exitCode ?? null,
    lines: logs.map((l) => l.text),
    failedTests: failed.length,
    failedTestIds: failed,
    at: job.finishedAt ?? attempt?.finishedAt ?? Date.now(),
  };
}

export interface HealFeedOptions {
  store: Store;
  /** Hands an event to the loop and resolves with its outcome: `HealDispatch.heal` (over the bus), or `loop.handle`. */
  heal: (event: HealEvent) => Promise<HealOutcome>;
  environment: Environment;
  log: Logger;
  now: () => number;
  /** Called as each incident the feed raised is settled (healed, escalated, awaiting approval…). */
  onOutcome?: (event: HealEvent, outcome: HealOutcome) => void | Promise<void>;
}

export interface HealFeed {
  /** Give it every orchestrator event (`orchestrator.on(feed.onEvent)`). */
  onEvent(event: OrchestratorEvent): void;
  /** Resolves when every incident raised so far is settled. */
  idle(): Promise<void>;
}

/**
 * The Monitor step for pipelines: a job that failed for good (no retry left) becomes a job-failure
 * incident, and a test job that ended after rerunning failed tests is checked for flaky tests.
 * Incidents are handled one at a time, in order, once their run has ended. Failures of the loop's own reruns are not new
 * incidents: the incident that started the rerun judges them.
 */
export function createHealFeed(o: HealFeedOptions): HealFeed {
  let chain: Promise<void> = Promise.resolve();
  const heal = async (event: HealEvent): Promise<void> => {
    const outcome = await o.heal(event);
    await o.onOutcome?.(event, outcome);
  };
  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work).catch((err: unknown) => o.log.error({ err }, "healing a pipeline event failed"));
  };
  const kinds = new Map<string, { kind: string; heal: boolean }>();
  // Work waits for its run to end: a rerun must not share the workspace with the run's other jobs.
  const pending = new Map<string, Array<() => Promise<void>>>();
  const later = (runId: string, work: () => Promise<void>) => pending.set(runId, [...(pending.get(runId) ?? []), work]);
  return {
    onEvent(event) {
      if (event.type === "run.started") {
        for (const j of event.run.plan.jobs) kinds.set(`${event.run.id}\u0000${j.id}`, { kind: j.kind, heal: event.run.trigger.source !== "heal" });
        return;
      }
      if (event.type === "run.finished") {
        for (const work of pending.get(event.run.id) ?? []) enqueue(work);
        pending.delete(event.run.id);
        for (const key of kinds.keys()) if (key.startsWith(`${event.run.id}\u0000`)) kinds.delete(key);
        return;
      }
      if (event.type !== "job.status") return;
      const job = kinds.get(`${event.runId}\u0000${event.jobId}`);
      const ref = { runId: event.runId, jobId: event.jobId, environment: o.environment };
      if (job?.kind === "test" && (event.status === "succeeded" || event.status === "failed")) {
        later(event.runId, async () => {
          for (const flaky of await detectFlakyTests(o.store, { ...ref, now: o.now() })) await heal(flaky);
        });
      }
      if (event.status === "failed" && job?.heal !== false) {
        later(event.runId, async () => {
          const failure = await jobFailureEvent(o.store, ref);
          if (failure) await heal(failure);
        });
      }
    },
    async idle() {
      let seen: Promise<void>;
      do {
        seen = chain;
        await seen;
      } while (seen !== chain);
    },
  };
}
