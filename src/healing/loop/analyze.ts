import type { HealAction } from "../../core/healing/actions.js";
import { createIncident, IncidentKind, type IncidentContext, type Target } from "../../core/healing/incident.js";
import { logSignature } from "../../core/healing/log-signature.js";
import { thresholdKeyFor } from "../../core/healing/thresholds.js";
import type { DeployTarget } from "../../deploy/port.js";
import { DetectorKind, type DetectorEvent } from "../detectors/detector-event.js";
import type { HealEvent } from "./heal-types.js";

/** The local target runs 1..32 workers (deploy/port.ts), so scale_up stops there. */
const LOCAL_MAX_WORKERS = 32;

const KIND_OF_DETECTOR: Readonly<Record<DetectorKind, IncidentKind>> = {
  [DetectorKind.crash]: IncidentKind.crash,
  [DetectorKind.latency]: IncidentKind.latency,
  [DetectorKind.overload]: IncidentKind.overload,
  [DetectorKind.false_alarm]: IncidentKind.false_alarm,
  [DetectorKind.data_anomaly]: IncidentKind.data_anomaly,
  // An unhealthy deploy is a bad release: the previous one is what it is measured against.
  [DetectorKind.deploy_unhealthy]: IncidentKind.bad_release,
  [DetectorKind.flaky_test]: IncidentKind.flaky_test,
};

/** `<env>/<app>` → `app`; anything else (a URL, a directory) is used as the app name as it is. */
export function appOf(event: HealEvent): string {
  if (event.kind === "job_failure") return event.jobId;
  const prefix = `${event.environment}/`;
  return event.target.startsWith(prefix) ? event.target.slice(prefix.length) : event.target;
}

function linesOf(event: HealEvent): string[] {
  if (event.kind === "job_failure") return event.lines ?? [];
  const lines = event.evidence["lines"];
  return Array.isArray(lines) ? lines.filter((l): l is string => typeof l === "string") : [];
}

/** What the deploy target says about itself: workers, previous healthy release, last deploy. */
export async function deployFacts(target: DeployTarget, app: string, now: number): Promise<Partial<IncidentContext>> {
  const [status, releases] = await Promise.all([target.status(), target.releases()]);
  if (status.current === null) return {};
  const workers = status.desiredWorkers ?? status.workers.length;
  const hasPreviousHealthyRelease = releases.some((r) => r.status === "previous" && r.healthy);
  const newest = releases[0];
  return {
    minutesSinceDeploy: newest ? Math.max(0, (now - newest.createdAt) / 60_000) : null,
    deploy: { app, workers, hasPreviousHealthyRelease, ...(target.kind === "local" ? { maxWorkers: LOCAL_MAX_WORKERS } : {}) },
  };
}

/**
 * The Analyze step: an event → the incident context the shield and the policy see. Job failures
 * name a job; detector events name the deployed app when the environment has a target.
 */
export async function analyzeEvent(event: HealEvent, target: DeployTarget | null, actionsTried: HealAction[], now: number, flake: TestFlake | null = null): Promise<IncidentContext> {
  const lines = linesOf(event);
  const signature = lines.length > 0 ? logSignature(lines) : null;
  const tested = flake === null ? {} : { test: { id: flake.testId }, flakeHistory: flake.history };
  if (event.kind === "job_failure") {
    return createIncident({
      kind: IncidentKind.job_failure,
      environment: event.environment,
      failureClass: event.failureClass,
      exitCode: event.exitCode,
      signature,
      failedTests: event.failedTests ?? event.failedTestIds?.length ?? 0,
      actionsTried,
      job: { id: event.jobId, ...(event.runId ? { runId: event.runId } : {}), ...(event.attempt ? { attempt: event.attempt } : {}) },
      ...tested,
    });
  }
  if (event.kind === DetectorKind.flaky_test) {
    const job = flakyJobOf(event);
    return createIncident({ kind: IncidentKind.flaky_test, environment: event.environment, signature, actionsTried, ...(job ? { job } : {}), ...tested });
  }
  const facts = target === null ? {} : await deployFacts(target, appOf(event), now);
  return createIncident({
    kind: KIND_OF_DETECTOR[event.kind],
    environment: event.environment,
    signature,
    actionsTried,
    ...facts,
    // An incident whose detector has an adjustable threshold names it, for adjust_threshold.
    ...(thresholdKeyFor(KIND_OF_DETECTOR[event.kind]) !== null ? { detector: detectorOf(event) } : {}),
  });
}

function detectorOf(event: DetectorEvent): { id: string; url?: string } {
  const url = event.evidence["url"];
  return { id: event.target, ...(typeof url === "string" && url.length > 0 ? { url } : {}) };
}

/** A test the incident is about and how flaky it has been (from the store's rerun history). */
export interface TestFlake {
  testId: string;
  history: { runs: number; flakes: number };
}

/** The tests an event names: a failed job's failed tests, or the flaky test a detector saw. */
export function testIdsOf(event: HealEvent): string[] {
  if (event.kind === "job_failure") return event.failedTestIds ?? [];
  const id = event.evidence["testId"];
  return event.kind === DetectorKind.flaky_test && typeof id === "string" ? [id] : [];
}

/** The job a flaky-test event saw the flake in (evidence `runId`, `jobId`). */
function flakyJobOf(event: HealEvent): IncidentContext["job"] | null {
  if (event.kind === "job_failure") return null;
  const { runId, jobId } = event.evidence;
  return typeof jobId === "string" && jobId !== "" ? { id: jobId, ...(typeof runId === "string" && runId !== "" ? { runId } : {}) } : null;
}

/** The main thing in trouble, for the incident record. */
export function mainTarget(context: IncidentContext, event: HealEvent): Target {
  if (context.kind === IncidentKind.flaky_test && context.test) return { type: "test", id: context.test.id };
  if (context.job) return { type: "job", id: context.job.id };
  return { type: "deploy", id: `${context.environment}/${appOf(event)}` };
}

/** What names one incident independently of ids and clocks of this process: stage's rng key. */
export function incidentKey(incident: { environment: string; kind: string; target: Target | null; at: number }): string {
  const what = incident.target ? `${incident.target.type}:${incident.target.id}` : "-";
  return `${incident.environment}|${incident.kind}|${what}|${incident.at}`;
}
