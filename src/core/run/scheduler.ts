import type { ConditionContext } from "../pipeline/condition.js";
import type { Condition, ExecutionPlan, PlanJob } from "../pipeline/plan.js";
import { JobStatus, RunStatus, isTerminalJob } from "./status.js";

/**
 * The scheduler decides, from the plan and the jobs' current statuses, what happens next in a run.
 * Pure: the orchestrator calls it after every change and carries out the decisions.
 *
 * Semantics (documented in docs/pipeline.md):
 * - A pending job becomes ready when all its needs are terminal. Its `if` is evaluated with
 *   needs = "success" when every need succeeded (a failed need with continue-on-error counts as
 *   success) and the run is not halted, "failure" otherwise, "cancelled" when the run is cancelled.
 *   The default condition is success().
 * - A job that fails for good without continue-on-error halts the run: jobs not yet started are
 *   skipped with a reason unless their condition holds in the failure context (failure(), always()).
 *   Jobs already running finish.
 * - At most `maxParallel` jobs are queued or running, and one per concurrency group.
 * - The run ends when every job is terminal.
 */
export interface JobState {
  status: JobStatus;
  /** For `retrying` jobs: not dispatched before this time. */
  notBefore: number | null;
}

export interface SchedulerInput {
  plan: ExecutionPlan;
  jobs: ReadonlyMap<string, JobState>;
  cancelled: boolean;
  maxParallel: number;
  env: Record<string, string>;
  branch: string | null;
  now: number;
  evaluate: (condition: Condition | null, ctx: ConditionContext) => boolean;
}

export type { ConditionContext };

export interface SchedulerDecision {
  /** Jobs to dispatch now (pending → queued, or retrying → queued), in plan order. */
  dispatch: string[];
  skip: Array<{ jobId: string; reason: string }>;
  /** Set when every job is terminal (after the skips above are applied). */
  runStatus: RunStatus | null;
  /** Earliest time a retrying job becomes dispatchable, for the orchestrator's timer. */
  wakeAt: number | null;
  /** First job that failed for good (the run's reason). */
  failedJob: string | null;
}

const ACTIVE: ReadonlySet<JobStatus> = new Set([JobStatus.queued, JobStatus.running]);

function statusOf(input: SchedulerInput, id: string): JobStatus {
  return input.jobs.get(id)?.status ?? JobStatus.pending;
}

/** A failed job counts as a success for its dependents and the run when it continues on error. */
function isSuccessful(job: PlanJob, status: JobStatus): boolean {
  return status === JobStatus.succeeded || (status === JobStatus.failed && job.continueOnError);
}

function firstHardFailure(input: SchedulerInput): string | null {
  for (const job of input.plan.jobs) {
    if (statusOf(input, job.id) === JobStatus.failed && !job.continueOnError) return job.id;
  }
  return null;
}

export function schedule(input: SchedulerInput): SchedulerDecision {
  const byId = new Map(input.plan.jobs.map((j) => [j.id, j]));
  const failedJob = firstHardFailure(input);
  const statuses = new Map<string, JobStatus>(input.plan.jobs.map((j) => [j.id, statusOf(input, j.id)]));
  const skip: SchedulerDecision["skip"] = [];
  const ready = new Set<string>();

  // Skips cascade (a skipped need makes its dependents ready), so iterate to a fixed point.
  for (let changed = true; changed; ) {
    changed = false;
    for (const job of input.plan.jobs) {
      if (statuses.get(job.id) !== JobStatus.pending || ready.has(job.id)) continue;
      const needStatuses = job.needs.map((n) => statuses.get(n) ?? JobStatus.pending);
      if (!needStatuses.every(isTerminalJob)) continue;
      const badNeed = job.needs.find((n) => !isSuccessful(byId.get(n)!, statuses.get(n)!));
      const ctx: ConditionContext = {
        needs: input.cancelled ? "cancelled" : badNeed !== undefined || failedJob !== null ? "failure" : "success",
        env: input.env,
        branch: input.branch,
      };
      if (input.evaluate(job.condition, ctx)) {
        ready.add(job.id);
        continue;
      }
      statuses.set(job.id, JobStatus.skipped);
      skip.push({ jobId: job.id, reason: skipReason(job, ctx, badNeed, failedJob, statuses) });
      changed = true;
    }
  }

  const dispatch = pickDispatchable(input, byId, ready);
  const dispatched = new Set(dispatch);
  const allTerminal = input.plan.jobs.every((j) => isTerminalJob(statuses.get(j.id)!));
  let wakeAt: number | null = null;
  for (const [id, s] of input.jobs) {
    if (s.status === JobStatus.retrying && s.notBefore !== null && !dispatched.has(id)) {
      wakeAt = wakeAt === null ? s.notBefore : Math.min(wakeAt, s.notBefore);
    }
  }
  return {
    dispatch,
    skip,
    runStatus: allTerminal ? finalStatus(input, statuses, byId) : null,
    wakeAt,
    failedJob,
  };
}

function skipReason(
  job: PlanJob,
  ctx: ConditionContext,
  badNeed: string | undefined,
  failedJob: string | null,
  statuses: ReadonlyMap<string, JobStatus>,
): string {
  if (ctx.needs === "cancelled") return "run cancelled";
  if (badNeed !== undefined) return `needs ${badNeed}, which ${statuses.get(badNeed)}`;
  if (failedJob !== null) return `run halted: ${failedJob} failed`;
  return `condition \`${job.conditionText ?? "success()"}\` was false`;
}

function pickDispatchable(input: SchedulerInput, byId: ReadonlyMap<string, PlanJob>, ready: ReadonlySet<string>): string[] {
  let active = 0;
  const busyGroups = new Set<string>();
  for (const [id, s] of input.jobs) {
    if (!ACTIVE.has(s.status)) continue;
    active++;
    const group = byId.get(id)?.concurrency;
    if (group) busyGroups.add(group);
  }
  const candidates = input.plan.jobs.filter((j) => {
    if (ready.has(j.id)) return true;
    const s = input.jobs.get(j.id);
    // A retrying job is not re-dispatched once the run is cancelled; the orchestrator settles it.
    return s?.status === JobStatus.retrying && !input.cancelled && (s.notBefore ?? 0) <= input.now;
  });
  const out: string[] = [];
  for (const job of candidates) {
    if (active >= input.maxParallel) break;
    if (job.concurrency) {
      if (busyGroups.has(job.concurrency)) continue;
      busyGroups.add(job.concurrency);
    }
    out.push(job.id);
    active++;
  }
  return out;
}

function finalStatus(
  input: SchedulerInput,
  statuses: ReadonlyMap<string, JobStatus>,
  byId: ReadonlyMap<string, PlanJob>,
): RunStatus {
  if (input.cancelled) return RunStatus.cancelled;
  for (const [id, s] of statuses) {
    if ((s === JobStatus.failed && !byId.get(id)!.continueOnError) || s === JobStatus.cancelled) return RunStatus.failed;
  }
  return RunStatus.succeeded;
}
