import { z } from "zod";
import { FAILURE_CLASSES } from "../core/failure/failure-class.js";
import type { FailureClass } from "../core/failure/failure-class.js";
import { HealEventSchema } from "../core/healing/heal-event.js";
import { PlanJobSchema } from "../core/pipeline/plan.js";

/**
 * The wire contract between orchestrator and agents (DESIGN.md §4). One zod schema per message
 * type, discriminated by `type`. Every message is validated on receive; a malformed one is
 * dead-lettered with its reason and never crashes a process.
 */
export const PROTOCOL_VERSION = 1;

const base = { v: z.literal(PROTOCOL_VERSION) };
const attemptRef = {
  runId: z.string().min(1),
  jobId: z.string().min(1),
  attempt: z.number().int().positive(),
  /** Lease fencing token. */
  token: z.string().min(1),
};
const failureClass = z.enum(FAILURE_CLASSES as [FailureClass, ...FailureClass[]]);

export const FailureEvidenceSchema = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  cancelled: z.boolean(),
  spawnError: z.string().nullable(),
  lastLines: z.array(z.string()),
  testsFailed: z.number().int().min(0),
  hint: failureClass.optional(),
});

export const TestCaseSchema = z.object({
  suite: z.string(),
  classname: z.string(),
  name: z.string(),
  status: z.enum(["passed", "failed", "errored", "skipped"]),
  durationMs: z.number().min(0),
  message: z.string().nullable(),
  file: z.string(),
});

/**
 * What a stage agent learned beyond pass/fail: findings, coverage, artifacts, vulnerabilities, a
 * deployment, notifications… `data` is kind-specific and documented in docs/stages.md; the
 * orchestrator stores it as is and `pitstop show --json` prints it.
 */
export const StageReportSchema = z.object({
  kind: z.string(),
  /** One line for humans, e.g. "2 errors, 5 warnings (eslint)". */
  summary: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type StageReport = z.infer<typeof StageReportSchema>;

/** A job of the run as the report agent sees it. */
export const RunJobSnapshotSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  status: z.string(),
  attempts: z.number().int().min(0),
  failureClass: z.string().nullable(),
  reason: z.string().nullable(),
  durationMs: z.number().nullable(),
  tests: z.object({ total: z.number(), passed: z.number(), failed: z.number(), errored: z.number(), skipped: z.number() }).nullable(),
  stage: StageReportSchema.nullable(),
});
export type RunJobSnapshot = z.infer<typeof RunJobSnapshotSchema>;

/** What an agent may need to know besides the job itself. */
export const AssignmentContextSchema = z.object({
  run: z.object({
    id: z.string(),
    number: z.number().int(),
    pipelineFile: z.string(),
    branch: z.string().nullable(),
    commit: z.string().nullable(),
    startedAt: z.number().nullable(),
    /** Every job of the run as it stands when this one is dispatched. */
    jobs: z.array(RunJobSnapshotSchema),
  }),
  /**
   * The previous attempt of this job, when this is a retry, or the failed attempt of another run
   * this run was started to rerun (`runId` set; a healing rerun of a failed job).
   */
  previous: z
    .object({
      /** Set when the attempt belongs to another run (this run reruns that one's job). */
      runId: z.string().optional(),
      attempt: z.number().int().positive(),
      failureClass: z.string().nullable(),
      /** Test cases that failed or errored in it (for rerunning only those). */
      failedTests: z.array(z.object({ suite: z.string(), classname: z.string(), name: z.string(), file: z.string() })),
    })
    .nullable(),
  /** Test ids (core/run/test-case.ts `testId`) in quarantine now: their failures do not fail a test job. */
  quarantined: z.array(z.string()).default([]),
});
export type AssignmentContext = z.infer<typeof AssignmentContextSchema>;

export const MessageSchemas = {
  /** pipeline.events: a run was created (by any process) and needs an orchestrator. */
  "run.created": z.object({ ...base, type: z.literal("run.created"), runId: z.string().min(1) }),
  /** agent.<kind>: run this job attempt. Self-contained: agents never see YAML. */
  "job.assigned": z.object({
    ...base,
    type: z.literal("job.assigned"),
    ...attemptRef,
    job: PlanJobSchema,
    /** Absolute path of the run's workspace. */
    workspace: z.string().min(1),
    /** PITSTOP_* variables and `--env` overrides for the job's processes. */
    runEnv: z.record(z.string(), z.string()),
    leaseMs: z.number().int().positive(),
    dispatchedAt: z.number(),
    context: AssignmentContextSchema,
  }),
  /** agent.results: the agent took the job; the lease starts now. */
  "job.started": z.object({ ...base, type: z.literal("job.started"), ...attemptRef, agentId: z.string().min(1), at: z.number() }),
  /** agent.results: a batch of output lines, already masked. `seq` numbers the first line. */
  "job.log": z.object({
    ...base,
    type: z.literal("job.log"),
    ...attemptRef,
    seq: z.number().int().min(0),
    lines: z.array(z.object({ stream: z.enum(["stdout", "stderr", "system"]), text: z.string(), at: z.number() })),
  }),
  /** agent.results: keep my lease (sent every lease/3). */
  "lease.extend": z.object({ ...base, type: z.literal("lease.extend"), ...attemptRef, agentId: z.string().min(1), at: z.number() }),
  /** agent.results: the attempt ended. Idempotent by (jobId, attempt). */
  "job.finished": z.object({
    ...base,
    type: z.literal("job.finished"),
    ...attemptRef,
    agentId: z.string().min(1),
    at: z.number(),
    status: z.enum(["succeeded", "failed", "cancelled"]),
    failureClass: failureClass.nullable(),
    evidence: FailureEvidenceSchema.nullable(),
    durationMs: z.number().min(0),
    outputBytes: z.number().int().min(0),
    truncatedBytes: z.number().int().min(0),
    tests: z.array(TestCaseSchema),
    /** Problems of the job that are not its failure (a malformed report…), shown to the user. */
    problems: z.array(z.string()),
    /** The stage agent's report, null for plain shell jobs. */
    stage: StageReportSchema.nullable(),
  }),
  /** agent.results: an agent is alive and serves these kinds (the first one registers it). */
  "agent.heartbeat": z.object({
    ...base,
    type: z.literal("agent.heartbeat"),
    agentId: z.string().min(1),
    kinds: z.array(z.string()),
    host: z.string(),
    pid: z.number().int(),
    at: z.number(),
  }),
  /** agent.results: an agent shut down cleanly. */
  "agent.stopped": z.object({ ...base, type: z.literal("agent.stopped"), agentId: z.string().min(1), at: z.number() }),
  /** agent.control (every agent has its own group): stop this attempt, kill its processes. */
  "job.cancel": z.object({ ...base, type: z.literal("job.cancel"), ...attemptRef, reason: z.string() }),
  /** heal.events: a detector or the pipeline feed saw a problem; one healer handles it. */
  "heal.detected": z.object({
    ...base,
    type: z.literal("heal.detected"),
    /** Unique per event: a redelivered event is recognised and not healed twice. */
    eventId: z.string().min(1),
    /** Who saw it: `watch@<host>:<pid>`, `run@…`. */
    source: z.string().min(1),
    event: HealEventSchema,
  }),
} as const;

export type MessageType = keyof typeof MessageSchemas;
export type Message<K extends MessageType = MessageType> = { [T in K]: z.infer<(typeof MessageSchemas)[T]> }[K];
export type MessageBody<K extends MessageType> = Omit<Message<K>, "v" | "type">;

export const AnyMessageSchema = z.discriminatedUnion("type", [
  MessageSchemas["run.created"],
  MessageSchemas["job.assigned"],
  MessageSchemas["job.started"],
  MessageSchemas["job.log"],
  MessageSchemas["lease.extend"],
  MessageSchemas["job.finished"],
  MessageSchemas["agent.heartbeat"],
  MessageSchemas["agent.stopped"],
  MessageSchemas["job.cancel"],
  MessageSchemas["heal.detected"],
]);

/** A handler for every message type a component receives: a new message type breaks the build. */
export type Handler<K extends MessageType> = (message: Message<K>) => Promise<void> | void;
export type HandlerMap<K extends MessageType = MessageType> = { [T in K]: Handler<T> };

export function message<K extends MessageType>(type: K, body: MessageBody<K>): Message<K> {
  return { v: PROTOCOL_VERSION, type, ...body } as unknown as Message<K>;
}

export type ParseResult = { ok: true; message: Message } | { ok: false; reason: string };

/** Validates a received payload. Never throws. */
export function parseMessage(payload: unknown): ParseResult {
  if (payload && typeof payload === "object" && "v" in payload && payload.v !== PROTOCOL_VERSION) {
    return { ok: false, reason: `protocol version ${String(payload.v)} is not supported (this pitstop speaks ${PROTOCOL_VERSION})` };
  }
  const r = AnyMessageSchema.safeParse(payload);
  if (r.success) return { ok: true, message: r.data as Message };
  const first = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`);
  return { ok: false, reason: first.join("; ") };
}

/** Dispatches a parsed message to its handler; messages of types not in the map are an error. */
export async function dispatchMessage<K extends MessageType>(
  handlers: HandlerMap<K>,
  msg: Message,
): Promise<void> {
  const h = (handlers as Record<string, Handler<MessageType> | undefined>)[msg.type];
  if (!h) throw new Error(`no handler for message type ${msg.type}`);
  await h(msg);
}
