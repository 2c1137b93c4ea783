import { AttemptStatus, JobStatus } from "../core/run/status.js";
import type { Logger } from "../core/logger.js";
import { message, type HandlerMap, type Message } from "../protocol/messages.js";
import { Topic } from "../protocol/topics.js";
import type { Bus } from "../bus/port.js";
import type { Store } from "../store/port.js";
import type { ActiveRun } from "./active-run.js";
import type { AgentRegistry } from "./agent-registry.js";
import type { EventHub } from "./events.js";
import type { RunEngine } from "./run-engine.js";

export interface ResultDeps {
  store: Store;
  bus: Bus;
  hub: EventHub;
  log: Logger;
  engine: RunEngine;
  registry: AgentRegistry;
  now: () => number;
  leaseMs: number;
  /** Runs this orchestrator drives, by id. */
  active: ReadonlyMap<string, ActiveRun>;
  /** Serialises work per run. */
  withRun: (runId: string, task: (active: ActiveRun) => Promise<void>) => Promise<void>;
  /** Orchestrator instances known dead: their embedded agents are dead too. */
  isDeadAgent: (agentId: string) => boolean;
}

type AttemptMessage = Message<"job.started" | "job.log" | "lease.extend" | "job.finished">;

/**
 * Handlers for agent.results. Every result is checked against the attempt's lease token first:
 * a result from a presumed-dead agent (stale token) is rejected and recorded, never applied.
 */
export function createResultHandlers(deps: ResultDeps): HandlerMap<
  "job.started" | "job.log" | "lease.extend" | "job.finished" | "agent.heartbeat" | "agent.stopped"
> {
  const { store, engine, now } = deps;

  /** Returns the attempt when the message's token is current; records and rejects otherwise. */
  async function current(active: ActiveRun, msg: AttemptMessage) {
    const attempt = active.attempts.get(msg.jobId);
    if (attempt && attempt.attempt === msg.attempt && attempt.token === msg.token) return attempt;
    await store.runs.apply({
      runId: active.run.id,
      events: [
        {
          jobId: msg.jobId,
          attempt: msg.attempt,
          type: "result.rejected",
          at: now(),
          data: { message: msg.type, reason: "stale lease token: a newer attempt owns this job", currentAttempt: attempt?.attempt ?? null },
        },
      ],
    });
    deps.log.warn({ runId: active.run.id, jobId: msg.jobId, attempt: msg.attempt, type: msg.type }, "rejected result with a stale lease token");
    if (msg.type === "job.started" || msg.type === "lease.extend") await tellToStop(msg, "lease no longer valid");
    return null;
  }

  /** The sender is alive and working on an attempt nobody wants any more: tell it to stop. */
  async function tellToStop(msg: AttemptMessage, reason: string): Promise<void> {
    await deps.bus.publish(Topic.control, message("job.cancel", { runId: msg.runId, jobId: msg.jobId, attempt: msg.attempt, token: msg.token, reason }));
  }

  function onRun(msg: AttemptMessage, task: (active: ActiveRun) => Promise<void>): Promise<void> {
    if (!deps.active.has(msg.runId)) {
      deps.log.debug({ runId: msg.runId, type: msg.type }, "result for a run this orchestrator does not drive");
      return Promise.resolve();
    }
    return deps.withRun(msg.runId, task);
  }

  return {
    "job.started": (msg) =>
      onRun(msg, async (active) => {
        const attempt = await current(active, msg);
        if (!attempt) return;
        if (attempt.status !== AttemptStatus.queued) {
          // Already settled (lease expired, no agent, cancelled): the sender must not go on with it.
          if (attempt.status !== AttemptStatus.running) await tellToStop(msg, "this attempt was already settled");
          return;
        }
        const at = now();
        if (deps.isDeadAgent(msg.agentId)) {
          await engine.settle(active, msg.jobId, { status: "lost", failureClass: "agent_lost", evidence: null, at, reason: `agent ${msg.agentId} belonged to a pitstop that is gone` });
          return;
        }
        await engine.commit(active, {
          jobs: [{ jobId: msg.jobId, patch: { status: JobStatus.running, startedAt: active.jobs.get(msg.jobId)!.startedAt ?? msg.at } }],
          attempts: [{ jobId: msg.jobId, attempt: msg.attempt, patch: { status: AttemptStatus.running, agentId: msg.agentId, startedAt: msg.at, leaseExpiresAt: at + deps.leaseMs } }],
          events: [{ jobId: msg.jobId, attempt: msg.attempt, type: "attempt.started", at, data: { agentId: msg.agentId } }],
        });
        engine.emitJob(active, msg.jobId);
      }),
    "job.log": (msg) =>
      onRun(msg, async (active) => {
        if (!(await current(active, msg))) return;
        await store.logs.appendLogs(
          msg.lines.map((l, i) => ({ runId: msg.runId, jobId: msg.jobId, attempt: msg.attempt, seq: msg.seq + i, stream: l.stream, text: l.text, at: l.at })),
        );
        deps.hub.safeEmit({ type: "job.log", runId: msg.runId, jobId: msg.jobId, attempt: msg.attempt, lines: msg.lines });
      }),
    "lease.extend": (msg) =>
      onRun(msg, async (active) => {
        const attempt = await current(active, msg);
        if (!attempt) return;
        if (attempt.status !== AttemptStatus.running) {
          if (attempt.status !== AttemptStatus.queued) await tellToStop(msg, "this attempt was already settled");
          return;
        }
        await engine.commit(active, {
          attempts: [{ jobId: msg.jobId, attempt: msg.attempt, patch: { leaseExpiresAt: now() + deps.leaseMs } }],
          events: [],
        });
      }),
    "job.finished": (msg) =>
      onRun(msg, async (active) => {
        const attempt = await current(active, msg);
        // Idempotent by (jobId, attempt): a redelivered result for a settled attempt changes nothing.
        if (!attempt || (attempt.status !== AttemptStatus.running && attempt.status !== AttemptStatus.queued)) return;
        if (attempt.startedAt === null) attempt.startedAt = msg.at - msg.durationMs;
        await engine.settle(active, msg.jobId, {
          status: msg.status,
          failureClass: msg.failureClass,
          evidence: msg.evidence,
          at: msg.at,
          outputBytes: msg.outputBytes,
          truncatedBytes: msg.truncatedBytes,
          tests: msg.tests,
          problems: msg.problems,
          stage: msg.stage,
        });
      }),
    "agent.heartbeat": (msg) => {
      deps.registry.seen({ agentId: msg.agentId, kinds: msg.kinds, host: msg.host, pid: msg.pid, lastSeen: now() });
    },
    "agent.stopped": (msg) => {
      deps.registry.stopped(msg.agentId);
    },
  };
}
