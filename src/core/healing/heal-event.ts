import { z } from "zod";
import { FAILURE_CLASSES, type FailureClass } from "../failure/failure-class.js";
import { ENVIRONMENTS, type Environment } from "./environment.js";

/**
 * What the Monitor step hands the loop: a detector's finding about a deployed app, or a failed
 * job. Plain data with a zod schema each, because these events travel on the bus (`heal.events`,
 * protocol/messages.ts `heal.detected`) from the process that watches to the one that heals.
 */

export const DetectorKind = {
  crash: "crash",
  latency: "latency",
  overload: "overload",
  false_alarm: "false_alarm",
  data_anomaly: "data_anomaly",
  deploy_unhealthy: "deploy_unhealthy",
  flaky_test: "flaky_test",
} as const;
export type DetectorKind = (typeof DetectorKind)[keyof typeof DetectorKind];
export const DETECTOR_KINDS = Object.values(DetectorKind) as readonly DetectorKind[];

export interface DetectorEvent {
  kind: DetectorKind;
  environment: Environment;
  /** What is in trouble: a URL, `<environment>/<app>`, a dataset directory… */
  target: string;
  /** Epoch ms when the detector decided (from its injected clock). */
  at: number;
  /** JSON-serialisable facts behind the decision: samples, pids, readings, findings. */
  evidence: Record<string, unknown>;
}

/** A failed job attempt, as the orchestrator reports it to the loop (the Monitor step for jobs). */
export interface JobFailureEvent {
  kind: "job_failure";
  environment: Environment;
  jobId: string;
  runId?: string;
  /** The attempt that failed (the last one of the job in that run). */
  attempt?: number;
  /** Test ids (core/run/test-case.ts `testId`) of the tests that failed in it. */
  failedTestIds?: string[];
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

/**
 * Whether an event (or incident) of this kind is about a deployed app, so the loop acts on the
 * environment's deploy target; failed jobs and flaky tests are about the pipeline instead.
 */
export function isAboutDeployment(kind: string): boolean {
  return kind !== "job_failure" && kind !== DetectorKind.flaky_test;
}

const environment = z.enum(ENVIRONMENTS);

export const DetectorEventSchema = z.object({
  kind: z.enum(DETECTOR_KINDS as [DetectorKind, ...DetectorKind[]]),
  environment,
  target: z.string().min(1),
  at: z.number(),
  evidence: z.record(z.string(), z.unknown()),
});

export const JobFailureEventSchema = z.object({
  kind: z.literal("job_failure"),
  environment,
  jobId: z.string().min(1),
  runId: z.string().min(1).optional(),
  attempt: z.number().int().positive().optional(),
  failedTestIds: z.array(z.string()).optional(),
  failureClass: z.enum(FAILURE_CLASSES as [FailureClass, ...FailureClass[]]).nullable(),
  exitCode: z.number().int().nullable(),
  lines: z.array(z.string()).optional(),
  failedTests: z.number().int().min(0).optional(),
  at: z.number(),
});

/** The kinds do not overlap, so a union tells them apart by `kind` alone. */
export const HealEventSchema = z.union([JobFailureEventSchema, DetectorEventSchema]);

/** How the loop left an incident (healing/loop/heal-types.ts `HealOutcome.status`). */
export const HealStatus = {
  healed: "healed",
  failed: "failed",
  inconclusive: "inconclusive",
  escalated: "escalated",
  awaiting_approval: "awaiting_approval",
  refused: "refused",
} as const;
export type HealStatus = (typeof HealStatus)[keyof typeof HealStatus];
