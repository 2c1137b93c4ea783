import { z } from "zod";
import { FAILURE_CLASSES, type FailureClass } from "../failure/failure-class.js";
import { HEAL_ACTIONS, type HealAction, type TargetType } from "./actions.js";
import { ENVIRONMENTS } from "./environment.js";

/**
 * The Analyze step's output (DESIGN.md §6): everything the shield and the policies may look at.
 * Pure data, JSON-serialisable, validated with the schema below when it crosses the bus or comes
 * back from the store.
 */

/** What kind of trouble a detector saw. Failed jobs are `job_failure` and carry a failure class. */
export const IncidentKind = {
  crash: "crash",
  latency: "latency",
  overload: "overload",
  false_alarm: "false_alarm",
  flaky_test: "flaky_test",
  bad_release: "bad_release",
  data_anomaly: "data_anomaly",
  job_failure: "job_failure",
} as const;
export type IncidentKind = (typeof IncidentKind)[keyof typeof IncidentKind];
export const INCIDENT_KINDS = Object.values(IncidentKind) as readonly IncidentKind[];

/**
 * The "failure type" of the seeds: the Q-learning state and the key of a `rules:` list. A failed
 * job is known by its failure class (`test_failure`, `oom`, …), anything else by its kind.
 */
export type ProblemType = IncidentKind | FailureClass;
export const PROBLEM_TYPES: readonly ProblemType[] = [...new Set<ProblemType>([...INCIDENT_KINDS, ...FAILURE_CLASSES])];

const Count = z.int().min(0);

export const LogSignatureSchema = z.strictObject({
  /** Normalised last error lines: numbers, hex, paths, timestamps and ids replaced by placeholders. */
  template: z.string(),
  /** Short stable hash of the template (8 hex digits of FNV-1a). */
  hash: z.string().regex(/^[0-9a-f]{8}$/),
});
export type LogSignature = z.infer<typeof LogSignatureSchema>;

export const DeployFactsSchema = z.strictObject({
  /** The deployed app, e.g. `dashboard`; the target id is `<environment>/<app>`. */
  app: z.string().min(1),
  workers: z.int().min(0),
  /** Upper bound for scale_up; omitted = no bound known. */
  maxWorkers: z.int().min(1).optional(),
  hasPreviousHealthyRelease: z.boolean(),
});

export const IncidentContextSchema = z.strictObject({
  kind: z.enum(INCIDENT_KINDS as [IncidentKind, ...IncidentKind[]]),
  /** Set for `job_failure` (and for deploy jobs that failed); null otherwise. */
  failureClass: z.enum(FAILURE_CLASSES as [FailureClass, ...FailureClass[]]).nullable(),
  environment: z.enum(ENVIRONMENTS),
  signature: LogSignatureSchema.nullable(),
  exitCode: z.int().nullable(),
  minutesSinceDeploy: z.number().min(0).nullable(),
  /** The last deploy ran a database migration: a rollback may not undo it. */
  migration: z.boolean(),
  flakeHistory: z.strictObject({ runs: Count, flakes: Count }).nullable(),
  failedTests: Count,
  actionsTried: z.array(z.enum(HEAL_ACTIONS as [HealAction, ...HealAction[]])),
  /** Facts about what the actions could act on; an absent one makes its actions' preconditions fail. */
  /** A failed job; `runId`/`attempt` name the attempt a retry or rerun starts from. */
  job: z.strictObject({ id: z.string().min(1), runId: z.string().min(1).optional(), attempt: z.int().min(1).optional() }).optional(),
  deploy: DeployFactsSchema.optional(),
  test: z.strictObject({ id: z.string().min(1) }).optional(),
  /** The detector that raised it; `url` is what it probed (an uptime monitor's), for verifying a threshold change. */
  detector: z.strictObject({ id: z.string().min(1), url: z.string().min(1).optional() }).optional(),
});
export type IncidentContext = z.infer<typeof IncidentContextSchema>;

export interface Target {
  type: TargetType;
  /** Stable id: a job id, `<environment>/<app>`, a test id, a detector id. */
  id: string;
}

export function problemTypeOf(incident: Pick<IncidentContext, "kind" | "failureClass">): ProblemType {
  return incident.kind === IncidentKind.job_failure && incident.failureClass !== null ? incident.failureClass : incident.kind;
}

/** What an action of `type` would act on in this incident, or null when the incident has no such thing. */
export function targetOf(incident: IncidentContext, type: TargetType): Target | null {
  switch (type) {
    case "job":
      return incident.job ? { type, id: incident.job.id } : null;
    case "deploy":
      return incident.deploy ? { type, id: `${incident.environment}/${incident.deploy.app}` } : null;
    case "test":
      return incident.test ? { type, id: incident.test.id } : null;
    case "detector":
      return incident.detector ? { type, id: incident.detector.id } : null;
  }
}

/** Every target the incident names, for escalate_after ("this thing was healed too often"). */
export function targetsOf(incident: IncidentContext): Target[] {
  return (["job", "deploy", "test", "detector"] as const).map((t) => targetOf(incident, t)).filter((t): t is Target => t !== null);
}

export function formatTarget(t: Target): string {
  return `${t.type} ${t.id}`;
}

/** An incident with nothing known yet, for tests and detectors to spread their facts over. */
export function createIncident(
  facts: Partial<IncidentContext> & Pick<IncidentContext, "kind" | "environment">,
): IncidentContext {
  return {
    failureClass: null,
    signature: null,
    exitCode: null,
    minutesSinceDeploy: null,
    migration: false,
    flakeHistory: null,
    failedTests: 0,
    actionsTried: [],
    ...facts,
  };
}
