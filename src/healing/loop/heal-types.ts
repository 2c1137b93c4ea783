import type { Environment } from "../../core/healing/environment.js";
import type { PolicyFile } from "../../core/healing/environment-policy.js";
import type { Verdict } from "../../core/healing/verdict.js";
import type { FailureClass } from "../../core/failure/failure-class.js";
import type { Logger } from "../../core/logger.js";
import type { DeployTarget } from "../../deploy/port.js";
import type { Notifier } from "../../notify/port.js";
import type { Store } from "../../store/port.js";
import type { AuditLog } from "../audit/create-audit-log.js";
import type { DetectorEvent } from "../detectors/detector-event.js";

/** A failed job attempt, as the orchestrator reports it to the loop (the Monitor step for jobs). */
export interface JobFailureEvent {
  kind: "job_failure";
  environment: Environment;
  jobId: string;
  runId?: string;
  failureClass: FailureClass | null;
  exitCode: number | null;
  /** Last log lines of the attempt, for the log signature. */
  lines?: string[];
  failedTests?: number;
  /** Epoch ms when the attempt failed. */
  at: number;
}

/** Everything the loop is fed: a detector's finding or a failed job. */
export type HealEvent = DetectorEvent | JobFailureEvent;

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
}

/** One decision the loop made for an incident and what became of it. */
export interface HealStep {
  decisionId: string;
  action: string;
  status: "executed" | "refused" | "awaiting_approval";
  verdict: Verdict | null;
  reason: string | null;
}

export const HealStatus = {
  healed: "healed",
  failed: "failed",
  inconclusive: "inconclusive",
  escalated: "escalated",
  awaiting_approval: "awaiting_approval",
  refused: "refused",
} as const;
export type HealStatus = (typeof HealStatus)[keyof typeof HealStatus];

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
}
