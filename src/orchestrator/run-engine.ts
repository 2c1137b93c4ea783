import { evaluateCondition } from "../core/pipeline/condition.js";
import { schedule } from "../core/run/scheduler.js";
import { decideRetry } from "../core/run/retry.js";
import { AttemptStatus, JobStatus, RunStatus } from "../core/run/status.js";
import type { FailureClass, FailureEvidence } from "../core/failure/failure-class.js";
import { summarizeFailure } from "../core/failure/classify.js";
import { message } from "../protocol/messages.js";
import { Topic, agentTopic } from "../protocol/topics.js";
import type { Bus } from "../bus/port.js";
import type { AttemptRecord, JobPatch, NewRunEvent, RunChange, Store } from "../store/port.js";
import { countTests, type TestCase } from "../core/run/test-case.js";
import type { StageReport } from "../protocol/messages.js";
import { buildAssignmentContext, mergeRerunCases } from "./assignment-context.js";
import { jobStates, type ActiveRun } from "./active-run.js";
import type { EventHub } from "./events.js";
import type { Logger } from "../core/logger.js";

export interface EngineDeps {
  store: Store;
  bus: Bus;
  hub: EventHub;
  log: Logger;
  now: () => number;
  newToken: () => string;
  maxParallel: number;
  leaseMs: number;
  /** Called when a run reaches a terminal status (after it is stored). */
  onRunFinished: (active: ActiveRun) => void;
  /** Called with the time a run wants to be looked at again (retry backoff). */
  wakeAt: (active: ActiveRun, at: number) => void;
}

/** How an attempt ended, from an agent's report or from the orchestrator itself (lost lease, no agent). */
export interface AttemptEnd {
  status: "succeeded" | "failed" | "cancelled" | "lost";
  failureClass: FailureClass | null;
  evidence: FailureEvidence | null;
  at: number;
  outputBytes?: number;
  truncatedBytes?: number;
  tests?: readonly TestCase[];
  problems?: readonly string[];
  /** Overrides the failure summary (e.g. "no agent serves kind lint"). */
  reason?: string;
  stage?: StageReport | null;
}

export function createRunEngine(deps: EngineDeps) {
  const { store, bus, hub, now } = deps;

  function emitJob(active: ActiveRun, jobId: string, extra: { durationMs?: number | null } = {}) {
    const j = active.jobs.get(jobId)!;
    hub.safeEmit({
      type: "job.status",
      runId: active.run.id,
      jobId,
      name: j.name,
      status: j.status,
      attempt: j.attempt,
      at: now(),
      durationMs: extra.durationMs ?? null,
      reason: j.reason,
      failureClass: j.failureClass,
    });
  }

  /** Writes a change and mirrors it into memory. */
  async function commit(active: ActiveRun, change: Omit<RunChange, "runId">): Promise<void> {
    await store.runs.apply({ runId: active.run.id, ...change });
    if (change.run) Object.assign(active.run, change.run);
    for (const { jobId, patch } of change.jobs ?? []) Object.assign(active.jobs.get(jobId)!, patch);
    for (const a of change.newAttempts ?? []) active.attempts.set(a.jobId, { ...a });
    for (const { jobId, attempt, patch } of change.attempts ?? []) {
      const cur = active.attempts.get(jobId);
      if (cur && cur.attempt === attempt) Object.assign(cur, patch);
    }
  }

  async function advance(active: ActiveRun): Promise<void> {
    if (active.run.status !== RunStatus.running) return;
    const at = now();
    const decision = schedule({
      plan: active.plan,
      jobs: jobStates(active),
      cancelled: active.cancelled,
      maxParallel: deps.maxParallel,
      env: { ...active.plan.env, ...active.run.env },
      branch: active.run.branch,
      now: at,
      evaluate: evaluateCondition,
    });
    if (decision.skip.length > 0) {
      await commit(active, {
        jobs: decision.skip.map((s) => ({ jobId: s.jobId, patch: { status: JobStatus.skipped, reason: s.reason, finishedAt: at } })),
        events: decision.skip.map((s) => ({ jobId: s.jobId, attempt: null, type: "job.skipped", at, data: { reason: s.reason } })),
      });
      for (const s of decision.skip) emitJob(active, s.jobId);
    }
    for (const jobId of decision.dispatch) await dispatch(active, jobId);
    if (decision.runStatus) {
      await finish(active, decision.runStatus, decision.failedJob);
      return;
    }
    if (decision.wakeAt !== null) deps.wakeAt(active, decision.wakeAt);
  }

  async function dispatch(active: ActiveRun, jobId: string): Promise<void> {
    const job = active.jobs.get(jobId)!;
    const planJob = active.planJobs.get(jobId)!;
    const previous = job.attempt > 0 ? (active.attempts.get(jobId) ?? null) : null;
    const at = now();
    const attempt: AttemptRecord = {
      runId: active.run.id,
      jobId,
      attempt: job.attempt + 1,
      status: AttemptStatus.queued,
      token: deps.newToken(),
      agentId: null,
      leaseExpiresAt: null,
      queuedAt: at,
      startedAt: null,
      finishedAt: null,
      exitCode: null,
      signal: null,
      failureClass: null,
      evidence: null,
      outputBytes: 0,
      truncatedBytes: 0,
    };
    await commit(active, {
      jobs: [{ jobId, patch: { status: JobStatus.queued, attempt: attempt.attempt, notBefore: null, reason: null, failureClass: null } }],
      newAttempts: [attempt],
      events: [{ jobId, attempt: attempt.attempt, type: "job.queued", at, data: { kind: planJob.kind } }],
    });
    await publishAssignment(active, attempt, previous);
    emitJob(active, jobId);
  }

  async function publishAssignment(active: ActiveRun, attempt: AttemptRecord, previous: AttemptRecord | null): Promise<void> {
    const planJob = active.planJobs.get(attempt.jobId)!;
    const run = active.run;
    const runEnv: Record<string, string> = {
      ...run.env,
      CI: "true",
      PITSTOP: "true",
      PITSTOP_RUN_ID: run.id,
      PITSTOP_RUN_NUMBER: String(run.number),
      PITSTOP_JOB_ID: planJob.id,
      PITSTOP_JOB_NAME: planJob.name,
      PITSTOP_ATTEMPT: String(attempt.attempt),
      ...(run.branch ? { PITSTOP_BRANCH: run.branch } : {}),
      ...(run.commit ? { PITSTOP_COMMIT: run.commit } : {}),
    };
    await bus.publish(
      agentTopic(planJob.kind),
      message("job.assigned", {
        runId: run.id,
        jobId: attempt.jobId,
        attempt: attempt.attempt,
        token: attempt.token,
        job: planJob,
        workspace: run.workspace,
        runEnv,
        leaseMs: deps.leaseMs,
        dispatchedAt: attempt.queuedAt,
        context: await buildAssignmentContext(store, active, attempt.jobId, previous, now()),
      }),
    );
  }

  /** Records how an attempt ended, then retries, fails or completes the job and advances the run. */
  async function settle(active: ActiveRun, jobId: string, end: AttemptEnd): Promise<void> {
    const attempt = active.attempts.get(jobId)!;
    const planJob = active.planJobs.get(jobId)!;
    const durationMs = attempt.startedAt !== null ? end.at - attempt.startedAt : null;
    const events: NewRunEvent[] = [
      {
        jobId,
        attempt: attempt.attempt,
        type: `attempt.${end.status}`,
        at: end.at,
        data: { failureClass: end.failureClass, exitCode: end.evidence?.exitCode ?? null, signal: end.evidence?.signal ?? null, durationMs },
      },
      ...(end.problems ?? []).map((p) => ({ jobId, attempt: attempt.attempt, type: "job.problem", at: end.at, data: { message: p } })),
    ];
    const attemptPatch = {
      status: end.status as AttemptStatus,
      finishedAt: end.at,
      exitCode: end.evidence?.exitCode ?? null,
      signal: end.evidence?.signal ?? null,
      failureClass: end.failureClass,
      evidence: end.evidence,
      outputBytes: end.outputBytes ?? attempt.outputBytes,
      truncatedBytes: end.truncatedBytes ?? attempt.truncatedBytes,
      leaseExpiresAt: null,
    };
    let jobPatch: JobPatch;
    const reason = end.status === "succeeded" ? null : end.reason ?? summarize(end);
    if (end.status === "succeeded") {
      jobPatch = { status: JobStatus.succeeded, finishedAt: end.at, reason: null, failureClass: null };
    } else if (end.status === "cancelled" || active.cancelled) {
      jobPatch = { status: JobStatus.cancelled, finishedAt: end.at, reason: reason ?? "cancelled", failureClass: end.failureClass };
    } else {
      const used = active.retriesUsed.get(jobId) ?? [];
      const d = decideRetry(planJob.retry, { failureClass: end.failureClass!, exitCode: end.evidence?.exitCode ?? null, signal: end.evidence?.signal ?? null }, used);
      if (d.retry) {
        used[d.ruleIndex] = (used[d.ruleIndex] ?? 0) + 1;
        active.retriesUsed.set(jobId, used);
        jobPatch = { status: JobStatus.retrying, notBefore: end.at + d.delayMs, reason, failureClass: end.failureClass };
        events.push({ jobId, attempt: attempt.attempt, type: "job.retrying", at: end.at, data: { ruleIndex: d.ruleIndex, delayMs: d.delayMs, failureClass: end.failureClass } });
      } else {
        jobPatch = { status: JobStatus.failed, finishedAt: end.at, reason, failureClass: end.failureClass };
        events.push({ jobId, attempt: attempt.attempt, type: "job.failed", at: end.at, data: { reason, noRetry: d.reason } });
      }
    }
    await saveResults(active, jobId, attempt.attempt, end);
    await commit(active, {
      jobs: [{ jobId, patch: jobPatch }],
      attempts: [{ jobId, attempt: attempt.attempt, patch: attemptPatch }],
      events,
    });
    emitJob(active, jobId, { durationMs });
    await advance(active);
  }

  /** Test cases (merged with the previous attempt's for a rerun of failed tests) and the stage report. */
  async function saveResults(active: ActiveRun, jobId: string, attempt: number, end: AttemptEnd): Promise<void> {
    let tests = end.tests ?? [];
    if (end.stage?.data.rerun && attempt > 1 && tests.length > 0) tests = await mergeRerunCases(store, active.run.id, jobId, attempt - 1, tests);
    if (tests.length > 0) {
      await store.tests.saveTestCases(active.run.id, jobId, attempt, tests);
      active.testCounts.set(jobId, countTests(tests));
    }
    if (end.stage) {
      const report = { runId: active.run.id, jobId, attempt, kind: end.stage.kind, summary: end.stage.summary, data: end.stage.data, at: end.at };
      await store.stages.saveStageReport(report);
      active.stages.set(jobId, report);
    }
  }

  function summarize(end: AttemptEnd): string {
    if (!end.failureClass || !end.evidence) return end.status;
    return summarizeFailure(end.failureClass, end.evidence);
  }

  async function finish(active: ActiveRun, status: RunStatus, failedJob: string | null): Promise<void> {
    const at = now();
    const reason =
      status === RunStatus.cancelled
        ? "cancelled"
        : failedJob
          ? `${active.planJobs.get(failedJob)?.name ?? failedJob} failed: ${active.jobs.get(failedJob)?.reason ?? ""}`.trim()
          : firstCancelledJob(active);
    await commit(active, {
      run: { status, finishedAt: at, reason },
      events: [{ jobId: null, attempt: null, type: `run.${status}`, at, data: { reason } }],
    });
    hub.safeEmit({ type: "run.finished", run: { ...active.run } });
    deps.onRunFinished(active);
  }

  function firstCancelledJob(active: ActiveRun): string | null {
    for (const j of active.jobs.values()) if (j.status === JobStatus.cancelled) return `${j.name} was cancelled`;
    return null;
  }

  /** Cancels the run: queued and retrying jobs end now, running ones are told to stop. */
  async function cancel(active: ActiveRun, reason: string): Promise<void> {
    if (active.cancelled && active.run.status !== RunStatus.running) return;
    const at = now();
    const first = !active.cancelled;
    active.cancelled = true;
    if (first) await commit(active, { events: [{ jobId: null, attempt: null, type: "run.cancelling", at, data: { reason } }] });
    for (const [jobId, job] of active.jobs) {
      const attempt = active.attempts.get(jobId);
      if (job.status === JobStatus.running && attempt) {
        await bus.publish(Topic.control, message("job.cancel", { runId: active.run.id, jobId, attempt: attempt.attempt, token: attempt.token, reason }));
      } else if (job.status === JobStatus.queued && attempt) {
        // Tell the agent too, in case it already took the job and its job.started is on the way.
        await bus.publish(Topic.control, message("job.cancel", { runId: active.run.id, jobId, attempt: attempt.attempt, token: attempt.token, reason }));
        await settle(active, jobId, { status: "cancelled", failureClass: "cancelled", evidence: null, at, reason });
      } else if (job.status === JobStatus.retrying) {
        await commit(active, {
          jobs: [{ jobId, patch: { status: JobStatus.cancelled, finishedAt: at, reason } }],
          events: [{ jobId, attempt: job.attempt, type: "job.cancelled", at, data: { reason } }],
        });
        emitJob(active, jobId);
      }
    }
    await advance(active);
  }

  return { commit, advance, dispatch, publishAssignment, settle, cancel, emitJob };
}

export type RunEngine = ReturnType<typeof createRunEngine>;
