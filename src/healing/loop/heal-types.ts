import type { Environment } from "../../core/healing/environment.js";
import type { PolicyFile } from "../../core/healing/environment-policy.js";
import type { Verdict } from "../../core/healing/verdict.js";
import type { Logger } from "../../core/logger.js";
import type { DeployTarget } from "../../deploy/port.js";
import type { Notifier } from "../../notify/port.js";
import type { Store } from "../../store/port.js";
import type { AuditLog } from "../audit/create-audit-log.js";
import type { HealStatus } from "../../core/healing/heal-event.js";

export type { HealEvent, JobFailureEvent } from "../../core/healing/heal-event.js";

/** How a rerun of one job of an earlier run ended. */
export interface JobRerunResult {
  runId: string;
  runNumber: number;
  /** The job succeeded in the rerun. */
  ok: boolean;
  /** The job's status and reason in the rerun (failed, cancelled…). */
  jobStatus: string;
  reason: string | null;
  /** Tests that failed in the earlier attempt and passed in the rerun, on the same code. */
  flaky: string[];
}

/**
 * What the job actuators act on (retry a job, rerun its failed tests): the engine, through a run
 * that reruns one job of an earlier run on the same workspace and commit (GitHub's "re-run failed
 * jobs"). Null in a loop that has no engine beside it (then those actions are refused, not faked).
 */
export interface PipelineControl {
  /** Starts the rerun and waits for it to end. Rejects with RUN_NOT_FOUND / JOB_NOT_FOUND. */
  rerunJob(input: { runId: string; jobId: string; failedTestsOnly: boolean; by: string }): Promise<JobRerunResult>;
}

/** How the Verify step probes a deploy target after an action. */
export interface VerifySettings {
  /** How long to watch after the action. */
  windowMs: number;
  probeIntervalMs: number;
  /** Fewer probes than this = inconclusive. */
  minSamples: number;
  /** Share of healthy probes needed (default 0.8); the last one must be healthy too. */
  minHealthyRatio?: number;
}

export interface HealLoopDeps {
  store: Store;
  audit: AuditLog;
  policyFile: PolicyFile;
  /** The deploy target of an environment, or null when nothing is deployed there. */
  targets: (environment: Environment) => DeployTarget | null;
  notifiers?: Notifier[];
  now: () => number;
  newId: () => string;
  log: Logger;
  verify: VerifySettings;
  /** Seed of dev's rng and of stage's per-incident rngs (default: stage's `q_learning.seed`, else 1). */
  seed?: number;
  /** Waits between probes; tests pass one that does not really wait. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Decisions tried per incident before the loop escalates (default 3). */
  maxTries?: number;
  /** The engine, for retry_job and rerun_failed_tests; absent = those actions are refused. */
  pipelines?: PipelineControl | null;
  /** How long a quarantine lasts (default 7 days). */
  quarantineMs?: number;
}

/** One decision the loop made for an incident and what became of it. */
export interface HealStep {
  decisionId: string;
  action: string;
  status: "executed" | "refused" | "awaiting_approval";
  verdict: Verdict | null;
  reason: string | null;
}

export { HealStatus } from "../../core/healing/heal-event.js";

export interface HealOutcome {
  incidentId: string;
  status: HealStatus;
  /** The last decision made (the one awaiting approval, for `awaiting_approval`). */
  decisionId: string | null;
  steps: HealStep[];
}

/** Who asked: `system` for detectors, a user name for a person (then the approver must be someone else). */
export interface HandleOptions {
  requestedBy?: string;
  /**
   * The `heal.detected` event's id when the event came over the bus: the incident gets it as its
   * id, so a redelivered event finds its incident instead of opening a second one.
   */
  eventId?: string;
  /**
   * Aborting it (the process is stopping) ends the handling soon: the action in hand finishes,
   * its verification is cut short (inconclusive unless it already has its samples), and no further
   * action starts; the incident is resolved inconclusive.
   */
  signal?: AbortSignal;
}
