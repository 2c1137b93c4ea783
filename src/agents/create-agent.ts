import { coerceError, ErrorCode, isPitstopError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { message, parseMessage, type Message } from "../protocol/messages.js";
import { Group, Topic, agentTopic } from "../protocol/topics.js";
import type { Bus, BusMessage } from "../bus/port.js";
import type { Executor } from "../executor/port.js";
import { runJob, type KindHandler } from "./run-job.js";
import type { SecretSource } from "./secret-source.js";

export interface AgentDeps {
  bus: Bus;
  executor: Executor;
  /** For jobs with `sandbox: true`; null when bubblewrap is not available here. */
  sandbox: Executor | null;
  /** Why the sandbox is unavailable, for the job's error. */
  sandboxUnavailable: string | null;
  secrets: SecretSource;
  log: Logger;
  now: () => number;
  /** `<instance>/<name>`: the instance prefix lets an orchestrator tell that an agent died with its process. */
  agentId: string;
  host: string;
  pid: number;
  agentEnv: Readonly<Record<string, string | undefined>>;
  /** One handler per stage kind this agent serves. */
  handlers: Readonly<Record<string, KindHandler>>;
  options: { concurrency: number; heartbeatMs: number; outputLimitBytes: number; blockMs?: number };
}

export interface Agent {
  readonly id: string;
  start(): Promise<void>;
  /** Stops taking jobs, cancels running ones, waits for their reports. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The agent runtime: registers through heartbeats, takes jobs from `agent.<kind>` as long as it has
 * free slots, runs them, and obeys `job.cancel` on agent.control. Speaks only the protocol.
 */
export function createAgent(deps: AgentDeps): Agent {
  const { bus, log } = deps;
  const kinds = Object.keys(deps.handlers);
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const stopCtl = new AbortController();
  const loops: Promise<void>[] = [];
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  let slotWaiters: Array<() => void> = [];
  let started = false;
  let stopping: Promise<void> | null = null;
  const keyOf = (m: { runId: string; jobId: string; attempt: number; token: string }) => `${m.runId}/${m.jobId}/${m.attempt}/${m.token}`;

  const freeSlots = () => deps.options.concurrency - running.size;
  function waitForSlot(): Promise<void> {
    if (freeSlots() > 0 || stopCtl.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => slotWaiters.push(resolve));
  }
  function releaseSlot() {
    const w = slotWaiters;
    slotWaiters = [];
    for (const r of w) r();
  }

  async function deadLetter(topic: string, group: string, msg: BusMessage, reason: string) {
    log.warn({ topic, messageId: msg.id, reason }, "dead-lettered a malformed message");
    await bus.publish(Topic.deadLetter, { reason, topic, group, messageId: msg.id, payload: msg.payload });
    await bus.ack(topic, group, [msg.id]);
  }

  function startJob(kind: string, msg: Message<"job.assigned">, raw: BusMessage) {
    const topic = agentTopic(kind);
    const group = Group.agents(kind);
    const key = keyOf(msg);
    if (running.has(key)) {
      // A redelivery of a job we are already running: the lease guards it, just ack.
      void bus.ack(topic, group, [raw.id]).catch((e) => log.warn({ err: coerceError(e), topic }, "ack of a redelivered job failed"));
      return;
    }
    const controller = new AbortController();
    const done = runJob(
      { bus, executor: deps.executor, sandbox: deps.sandbox, sandboxUnavailable: deps.sandboxUnavailable, secrets: deps.secrets, log, now: deps.now, agentId: deps.agentId, agentEnv: deps.agentEnv, outputLimitBytes: deps.options.outputLimitBytes },
      msg,
      deps.handlers[kind]!,
      () => bus.ack(topic, group, [raw.id]),
      controller.signal,
    )
      .catch((e) => log.error({ err: coerceError(e), runId: msg.runId, jobId: msg.jobId }, "job run failed"))
      .finally(() => {
        running.delete(key);
        releaseSlot();
      });
    running.set(key, { controller, done });
  }

  async function kindLoop(kind: string): Promise<void> {
    const topic = agentTopic(kind);
    const group = Group.agents(kind);
    await bus.ensureGroup(topic, group);
    while (!stopCtl.signal.aborted) {
      await waitForSlot();
      if (stopCtl.signal.aborted) break;
      const batch = await consumeSafely(topic, group, freeSlots());
      for (const raw of batch) {
        const parsed = parseMessage(raw.payload);
        if (!parsed.ok) await deadLetter(topic, group, raw, parsed.reason);
        else if (parsed.message.type !== "job.assigned") await deadLetter(topic, group, raw, `unexpected ${parsed.message.type} on ${topic}`);
        else startJob(kind, parsed.message, raw);
      }
    }
  }

  async function controlLoop(): Promise<void> {
    const group = Group.agentControl(deps.agentId);
    await bus.ensureGroup(Topic.control, group);
    while (!stopCtl.signal.aborted) {
      const batch = await consumeSafely(Topic.control, group, 50);
      for (const raw of batch) {
        const parsed = parseMessage(raw.payload);
        if (parsed.ok && parsed.message.type === "job.cancel") {
          const job = running.get(keyOf(parsed.message));
          if (job) {
            log.info({ runId: parsed.message.runId, jobId: parsed.message.jobId, reason: parsed.message.reason }, "cancelling job");
            job.controller.abort();
          }
        } else if (!parsed.ok) {
          await deadLetter(Topic.control, group, raw, parsed.reason);
          continue;
        }
        await bus.ack(Topic.control, group, [raw.id]);
      }
    }
  }

  async function consumeSafely(topic: string, group: string, count: number): Promise<BusMessage[]> {
    try {
      return await bus.consume(topic, group, deps.agentId, { count, blockMs: deps.options.blockMs ?? 1000, signal: stopCtl.signal });
    } catch (e) {
      if (isPitstopError(e, ErrorCode.BUS_CLOSED) || stopCtl.signal.aborted) return [];
      log.error({ err: coerceError(e), topic }, "bus consume failed; retrying");
      await new Promise((r) => setTimeout(r, 500));
      return [];
    }
  }

  async function sendHeartbeat() {
    await bus.publish(Topic.results, message("agent.heartbeat", { agentId: deps.agentId, kinds, host: deps.host, pid: deps.pid, at: deps.now() }));
  }

  return {
    id: deps.agentId,
    async start() {
      if (started) return;
      started = true;
      await sendHeartbeat();
      heartbeat = setInterval(() => void sendHeartbeat().catch((e) => log.warn({ err: coerceError(e) }, "heartbeat failed")), deps.options.heartbeatMs);
      heartbeat.unref?.();
      for (const k of kinds) loops.push(kindLoop(k).catch((e) => log.error({ err: coerceError(e), kind: k }, "agent loop ended")));
      loops.push(controlLoop().catch((e) => log.error({ err: coerceError(e) }, "control loop ended")));
    },
    stop() {
      stopping ??= (async () => {
        stopCtl.abort();
        releaseSlot();
        if (heartbeat) clearInterval(heartbeat);
        for (const j of running.values()) j.controller.abort();
        await Promise.all([...running.values()].map((j) => j.done));
        await Promise.all(loops);
        if (started) await bus.publish(Topic.results, message("agent.stopped", { agentId: deps.agentId, at: deps.now() })).catch(() => undefined);
      })();
      return stopping;
    },
  };
}
