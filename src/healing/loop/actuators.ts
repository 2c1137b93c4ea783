import { HealAction } from "../../core/healing/actions.js";
import type { IncidentContext } from "../../core/healing/incident.js";
import type { DeployResult, DeployTarget, HealthReport } from "../../deploy/port.js";
import type { NotificationResult, Notifier, RunNotification } from "../../notify/port.js";
import type { RemedyStore } from "../../store/port.js";
import type { Verdict } from "../../core/healing/verdict.js";
import { nextThreshold, thresholdTargetOf } from "../../core/healing/thresholds.js";
import type { JobRerunResult, PipelineControl } from "./heal-types.js";

/**
 * The Execute step's actuators, one row per catalog action. Deploy actions act on the real
 * target, job actions on the engine (a rerun of the failed job), quarantine on the store the test
 * stage reads, adjust_threshold on the store the detectors read. An actuator that cannot act
 * (no target, no engine, a threshold at its max) says so instead of pretending: the loop records
 * the action as refused.
 */

export type ActuatorResult =
  | {
      executed: true;
      ok: boolean;
      detail: Record<string, unknown>;
      /** The action's own evidence settles it (a rerun passed or failed): no probing needed. */
      verified?: { verdict: Verdict; reason: string };
      /** Verify by probing the deploy target, judging each health report with this (default: healthy). */
      judge?: (report: HealthReport) => boolean;
      /** Verify by GETting this URL: good answers come within `boundMs` (a latency threshold's change). */
      latency?: { url: string; boundMs: number };
    }
  | { executed: false; reason: string };

export interface ActuatorContext {
  incidentId: string;
  decisionId: string;
  incident: IncidentContext;
  target: DeployTarget | null;
  notifiers: readonly Notifier[];
  pipelines: PipelineControl | null;
  remedies: RemedyStore;
  /** How long a quarantine lasts. */
  quarantineMs: number;
  now: number;
  /** Why people are told (escalate). */
  reason: string;
  /**
   * Records the action as run (cooldowns, budgets, the breaker count it). An actuator calls it once
   * it knows it can act and before it changes anything, so an event handled meanwhile already
   * counts it; one that returns `executed: false` never calls it, so a refusal counts for nothing.
   */
  begin: () => Promise<void>;
}

type Actuator = (c: ActuatorContext) => Promise<ActuatorResult>;

function deployResult(r: DeployResult): ActuatorResult {
  const detail = { releaseId: r.releaseId, previousReleaseId: r.previousReleaseId, healthy: r.healthy, workers: r.workers, durationMs: r.durationMs, error: r.error ?? null, class: r.class ?? null };
  return { executed: true, ok: r.ok, detail };
}

function onTarget(run: (t: DeployTarget, c: ActuatorContext) => Promise<DeployResult>): Actuator {
  return async (c) => {
    if (c.target === null) return { executed: false, reason: `no deploy target in ${c.incident.environment}` };
    await c.begin();
    return deployResult(await run(c.target, c));
  };
}

const workers = (c: ActuatorContext): number => c.incident.deploy?.workers ?? 1;

/** The escalation message: shaped like a run notification so every notifier can carry it. */
export function escalationMessage(c: ActuatorContext): RunNotification {
  const i = c.incident;
  const markdown = [
    `**pitstop healing escalated** incident \`${c.incidentId}\` (${i.kind}, ${i.environment})`,
    `Reason: ${c.reason}`,
    i.actionsTried.length > 0 ? `Tried: ${i.actionsTried.join(", ")}` : "Nothing tried automatically.",
  ].join("\n\n");
  return {
    summary: {
      schema: "pitstop.run-summary/v1",
      run: { id: c.incidentId, number: 0, pipelineFile: "healing", branch: null, commit: null, startedAt: null, durationMs: null },
      outcome: "failed",
      generatedAt: c.now,
      jobs: [],
      tests: null,
      vulnerabilities: [],
      deployments: [],
    },
    markdown,
  };
}

async function escalate(c: ActuatorContext): Promise<ActuatorResult> {
  const message = escalationMessage(c);
  // A notifier must never break the loop: failures (even a throwing adapter) are recorded.
  const deliveries = await Promise.all(
    c.notifiers.map(async (n): Promise<NotificationResult & { channel: string }> => {
      try {
        return { channel: n.channel, ...(await n.send(message)) };
      } catch (e) {
        return { channel: n.channel, ok: false, status: null, error: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
  return { executed: true, ok: deliveries.every((d) => d.ok), detail: { reason: c.reason, deliveries } };
}

const NO_ENGINE = "no pipeline engine beside this healing loop: retries and reruns run where `pitstop run --heal` or the demo runs";

function rerunDetail(r: JobRerunResult): Record<string, unknown> {
  return { rerunRunId: r.runId, rerunRunNumber: r.runNumber, jobStatus: r.jobStatus, reason: r.reason, flaky: r.flaky };
}

/** A rerun's outcome is the verification: the job passed on the same code, or it did not. */
function rerunVerdict(r: JobRerunResult, jobId: string): { verdict: Verdict; reason: string } {
  return r.ok
    ? { verdict: "healed", reason: `job ${jobId} passed in run #${r.runNumber}` }
    : { verdict: "failed", reason: `job ${jobId} ${r.jobStatus} again in run #${r.runNumber}${r.reason ? `: ${r.reason}` : ""}` };
}

/** Retry the failed job, or rerun only its failed tests, in a run on the same code. */
function rerun(failedTestsOnly: boolean): Actuator {
  return async (c) => {
    const job = c.incident.job;
    if (!job?.runId) return { executed: false, reason: "no failed job run to rerun in the incident" };
    if (c.pipelines === null) return { executed: false, reason: NO_ENGINE };
    await c.begin();
    const r = await c.pipelines.rerunJob({ runId: job.runId, jobId: job.id, failedTestsOnly, by: `heal:${c.decisionId}` });
    return { executed: true, ok: true, detail: rerunDetail(r), verified: rerunVerdict(r, job.id) };
  };
}

/**
 * Quarantines the incident's test (time-boxed; `pitstop quarantine release` ends it early), then
 * proves it: the job that flaked runs again with the quarantine in force and must pass.
 */
async function quarantine(c: ActuatorContext): Promise<ActuatorResult> {
  const test = c.incident.test;
  if (!test) return { executed: false, reason: "no test named in the incident" };
  await c.begin();
  const flakes = c.incident.flakeHistory;
  const entry = await c.remedies.quarantineTest({
    testId: test.id,
    reason: `flaky: passed on ${flakes?.flakes ?? 0} of ${flakes?.runs ?? 0} reruns after failing (incident ${c.incidentId})`,
    by: "system",
    decisionId: c.decisionId,
    at: c.now,
    expiresAt: c.now + c.quarantineMs,
  });
  const detail: Record<string, unknown> = { testId: entry.testId, expiresAt: entry.expiresAt, reason: entry.reason };
  const job = c.incident.job;
  if (!job?.runId || c.pipelines === null) {
    return { executed: true, ok: true, detail, verified: { verdict: "inconclusive", reason: "no job to rerun with the quarantine in force" } };
  }
  const r = await c.pipelines.rerunJob({ runId: job.runId, jobId: job.id, failedTestsOnly: false, by: `heal:${c.decisionId}` });
  return { executed: true, ok: true, detail: { ...detail, ...rerunDetail(r) }, verified: rerunVerdict(r, job.id) };
}

/**
 * Raises the incident's detector threshold one step (core/healing/thresholds.ts: bounded, refused
 * at the max) and records the change in the store, where detectors read it on their next check and
 * `pitstop thresholds revert` undoes it. A latency threshold is verified where the detector looked:
 * the URL the uptime monitor probed must answer within the new bound (without a URL: the deploy
 * target's health checks must), so a raise that only hides a slowdown beyond it fails and the loop
 * moves on. A CPU threshold stays inconclusive (the
 * Verify step probes health, not CPU), so nothing is learned from it.
 */
async function adjustThreshold(c: ActuatorContext): Promise<ActuatorResult> {
  const detectorId = c.incident.detector?.id;
  if (!detectorId) return { executed: false, reason: "no detector in the incident" };
  const named = thresholdTargetOf(detectorId, c.incident.kind);
  if (named === null) return { executed: false, reason: `no adjustable threshold for ${c.incident.kind} incidents (detector ${detectorId})` };
  const { detector, key } = named;
  const next = nextThreshold(key, await c.remedies.getThreshold(detector, key));
  if (!next.ok) return { executed: false, reason: `detector ${detector}: ${next.reason}` };
  await c.begin();
  const change = await c.remedies.changeThreshold({
    detector,
    key,
    to: next.to,
    by: "system",
    decisionId: c.decisionId,
    reason: `${c.incident.kind} incident ${c.incidentId}: ${key} raised ${next.from} → ${next.to}`,
    at: c.now,
  });
  const detail = { detector, key, from: next.from, to: next.to, min: next.min, max: next.max, changeId: change.id };
  const url = c.incident.detector?.url;
  if (key === "latency_ms" && url !== undefined) return { executed: true, ok: true, detail, latency: { url, boundMs: next.to } };
  if (key === "latency_ms" && c.target !== null) {
    return { executed: true, ok: true, detail, judge: (r) => r.healthy && r.checks.every((x) => (x.responseMs ?? 0) <= next.to) };
  }
  const why = key === "latency_ms" ? "no URL or deploy target to probe" : "the Verify step probes health, not CPU";
  return { executed: true, ok: true, detail, verified: { verdict: "inconclusive", reason: `${key} of ${detector} is now ${next.to}; ${why}, so the effect is not judged` } };
}

export const ACTUATORS: Readonly<Record<HealAction, Actuator>> = {
  [HealAction.restart]: onTarget((t) => t.restart()),
  [HealAction.scale_up]: onTarget((t, c) => t.scale(workers(c) + 1)),
  [HealAction.scale_down]: onTarget((t, c) => t.scale(Math.max(1, workers(c) - 1))),
  [HealAction.rollback]: onTarget((t) => t.rollback()),
  [HealAction.noop]: () => Promise.resolve({ executed: true, ok: true, detail: {} }),
  [HealAction.escalate]: escalate,
  [HealAction.retry_job]: rerun(false),
  [HealAction.rerun_failed_tests]: rerun(true),
  [HealAction.quarantine_test]: quarantine,
  [HealAction.adjust_threshold]: adjustThreshold,
};
