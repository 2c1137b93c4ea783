import { AttemptStatus, JobStatus, RunStatus } from "../core/run/status.js";
import { coerceError, ErrorCode, isPitstopError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { dispatchMessage, parseMessage, type Message } from "../protocol/messages.js";
import { Group, Topic } from "../protocol/topics.js";
import type { Bus } from "../bus/port.js";
import { startConsumer } from "../bus/consumer.js";
import type { RunRecord, Store } from "../store/port.js";
import { loadActiveRun, type ActiveRun } from "./active-run.js";
import { createAgentRegistry } from "./agent-registry.js";
import { createEventHub, type Listener } from "./events.js";
import { createResultHandlers } from "./handle-results.js";
import { findDeadOrchestrators } from "./liveness.js";
import { createRunEngine } from "./run-engine.js";
import { createSerialQueue } from "./serial-queue.js";

export interface OrchestratorOptions {
  maxParallel: number;
  /** Lease length; agents extend every third of it (woodpecker: 1 min / 20 s). */
  leaseMs: number;
  /** An agent not heard from for this long is not live. */
  agentTtlMs: number;
  /** A queued job whose kind has no live agent for this long fails with `no_agent`. */
  noAgentGraceMs: number;
  /** How often leases, cancellations and timers are checked. */
  tickMs: number;
  heartbeatMs: number;
}

export interface OrchestratorDeps {
  store: Store;
  bus: Bus;
  log: Logger;
  instanceId: string;
  host: string;
  pid: number;
  now: () => number;
  newToken: () => string;
  /** Whether a process id on this host is alive (for fast detection of a dead orchestrator). */
  isPidAlive: (pid: number) => boolean;
  options: OrchestratorOptions;
}

export interface Orchestrator {
  readonly id: string;
  on(listener: Listener): () => void;
  /** Adopts in-flight runs of dead orchestrators and starts consuming. Returns the adopted run ids. */
  start(): Promise<{ adopted: string[] }>;
  /** Idempotent. Runs still in flight stay in the store for the next orchestrator to adopt. */
  stop(): Promise<void>;
  /** Requests cancellation of a run this orchestrator drives. */
  cancelRun(runId: string, reason: string): Promise<boolean>;
  /** Resolves with the final record once the run is terminal. */
  waitForRun(runId: string): Promise<RunRecord>;
  activeRunIds(): string[];
}

export function createOrchestrator(deps: OrchestratorDeps): Orchestrator {
  const { store, bus, log, now, options } = deps;
  const hub = createEventHub((err, event) => log.error({ err: coerceError(err), event: event.type }, "event listener failed"));
  const active = new Map<string, ActiveRun>();
  const waiters = new Map<string, Array<(r: RunRecord) => void>>();
  const queue = createSerialQueue();
  const registry = createAgentRegistry(options.agentTtlMs);
  const deadInstances = new Set<string>();
  const taking = new Set<string>();
  const consumers: Array<{ stop(): Promise<void> }> = [];
  const intervals: Array<ReturnType<typeof setInterval>> = [];
  let started = false;
  let stopped = false;

  const engine = createRunEngine({
    store,
    bus,
    hub,
    log,
    now,
    newToken: deps.newToken,
    maxParallel: options.maxParallel,
    leaseMs: options.leaseMs,
    onRunFinished(run) {
      if (run.timer) clearTimeout(run.timer);
      active.delete(run.run.id);
      for (const w of waiters.get(run.run.id) ?? []) w({ ...run.run });
      waiters.delete(run.run.id);
    },
    wakeAt(run, at) {
      if (run.timer) clearTimeout(run.timer);
      run.timer = setTimeout(() => void withRun(run.run.id, (a) => engine.advance(a)), Math.max(0, at - now()));
      run.timer.unref?.();
    },
  });

  function withRun(runId: string, task: (a: ActiveRun) => Promise<void>): Promise<void> {
    return queue
      .run(runId, async () => {
        const a = active.get(runId);
        if (a) await task(a);
      })
      .catch((e) => log.error({ err: coerceError(e), runId }, "run task failed"));
  }

  const handlers = createResultHandlers({
    store,
    bus,
    hub,
    log,
    engine,
    registry,
    now,
    leaseMs: options.leaseMs,
    active,
    withRun,
    isDeadAgent: (agentId) => deadInstances.has(agentId.split("/")[0] ?? ""),
  });

  /** Takes ownership of a run and drives it; `adoptedFrom` is the dead owner, null for a fresh run. */
  /** Takes the run (compare-and-set on its owner); false when another orchestrator got it first. */
  async function takeRun(run: RunRecord, adoptedFrom: string | null): Promise<boolean> {
    if (taking.has(run.id) || active.has(run.id)) return false;
    if (run.status !== RunStatus.queued && run.status !== RunStatus.running) return false;
    taking.add(run.id);
    let a: ActiveRun;
    try {
      a = await loadActiveRun(store, run);
      active.set(run.id, a);
    } finally {
      taking.delete(run.id);
    }
    try {
      await startRunOwned(a, adoptedFrom);
    } catch (e) {
      // Not left half-owned: the next orchestrator (or a later start) can take it again.
      active.delete(run.id);
      if (isPitstopError(e, ErrorCode.CONFLICT)) {
        log.info({ runId: run.id }, "another orchestrator took the run first");
        return false;
      }
      throw e;
    }
    return true;
  }

  async function startRunOwned(a: ActiveRun, adoptedFrom: string | null): Promise<void> {
    const run = a.run;
    await queue.run(run.id, async () => {
      const at = now();
      await engine.commit(a, {
        // Compare-and-set: only if nobody took it since we read it (two orchestrators adopting one orphan).
        ifOwner: a.run.ownerId,
        run: { ownerId: deps.instanceId, status: RunStatus.running, startedAt: a.run.startedAt ?? at },
        events: [{ jobId: null, attempt: null, type: adoptedFrom === null ? "run.started" : "run.adopted", at, data: { owner: deps.instanceId, from: adoptedFrom } }],
      });
      hub.safeEmit({ type: "run.started", run: { ...a.run }, adopted: adoptedFrom !== null });
      if (adoptedFrom !== null) await expireDeadLeases(a, adoptedFrom);
      if (a.cancelled) await engine.cancel(a, "cancel requested");
      else await engine.advance(a);
    });
  }

  /** Attempts held by the embedded agents of a dead orchestrator died with it. */
  async function expireDeadLeases(a: ActiveRun, deadOwner: string): Promise<void> {
    for (const [jobId, attempt] of a.attempts) {
      if (attempt.status === AttemptStatus.running && attempt.agentId?.startsWith(`${deadOwner}/`)) {
        await engine.settle(a, jobId, { status: "lost", failureClass: "agent_lost", evidence: null, at: now(), reason: `agent ${attempt.agentId} died with its pitstop process` });
      }
    }
  }

  function liveKinds(at: number): string[] {
    return [...new Set(registry.list(at).filter((a) => a.live).flatMap((a) => a.kinds))].sort();
  }

  /** Lease expiry, agent-less queues and cancellation requests. */
  async function tick(): Promise<void> {
    const at = now();
    for (const runId of [...active.keys()]) {
      const rec = await store.runs.getRun(runId);
      await withRun(runId, async (a) => {
        if (rec?.cancelRequestedAt && !a.cancelled) await engine.cancel(a, "cancel requested");
        for (const [jobId, attempt] of a.attempts) {
          const job = a.jobs.get(jobId)!;
          if (attempt.status === AttemptStatus.running && attempt.leaseExpiresAt !== null && attempt.leaseExpiresAt < at) {
            await engine.settle(a, jobId, { status: "lost", failureClass: "agent_lost", evidence: null, at, reason: `lease expired: agent ${attempt.agentId} stopped answering` });
          } else if (job.status === JobStatus.queued && attempt.status === AttemptStatus.queued) {
            const kind = a.planJobs.get(jobId)!.kind;
            if (!registry.hasLiveAgent(kind, at) && at - attempt.queuedAt > options.noAgentGraceMs) {
              await engine.settle(a, jobId, {
                status: "failed",
                failureClass: "no_agent",
                evidence: null,
                at,
                reason: `no agent serves stage kind '${kind}' (live agents serve: ${liveKinds(at).join(", ") || "nothing"}): give the job \`agent: shell\` and steps, or start an agent that serves ${kind}`,
              });
            }
          }
        }
      });
    }
  }

  async function adoptOrphans(): Promise<string[]> {
    const dead = await findDeadOrchestrators(store.orchestrators, { self: deps.instanceId, host: deps.host, now: now(), staleMs: options.heartbeatMs * 3, isPidAlive: deps.isPidAlive });
    for (const d of dead) deadInstances.add(d);
    const adopted: string[] = [];
    for (const run of await store.runs.listRuns({ statuses: [RunStatus.queued, RunStatus.running] })) {
      const owner = run.ownerId;
      if (owner !== null && owner !== deps.instanceId && !dead.has(owner)) continue;
      if (owner !== null && owner !== deps.instanceId) deadInstances.add(owner);
      try {
        if (await takeRun(run, owner)) adopted.push(run.id);
      } catch (e) {
        log.error({ err: coerceError(e), runId: run.id }, "could not adopt a run; leaving it for the next start");
      }
    }
    for (const d of dead) await store.orchestrators.removeOrchestrator(d);
    return adopted;
  }

  async function heartbeat(): Promise<void> {
    await store.orchestrators.heartbeat({ id: deps.instanceId, host: deps.host, pid: deps.pid, startedAt: startedAt, heartbeatAt: now() });
  }
  const startedAt = now();

  function consume(topic: string, accept: (m: Message) => Promise<void>) {
    consumers.push(
      startConsumer({
        bus,
        topic,
        group: Group.orchestrator,
        consumer: deps.instanceId,
        parse: (payload) => {
          const r = parseMessage(payload);
          return r.ok ? { ok: true, value: r.message } : r;
        },
        handle: accept,
        onError: (err, msg) => log.error({ err, topic, messageId: msg.id }, "message handler failed"),
        blockMs: 1000,
        batch: 100,
      }),
    );
  }

  return {
    id: deps.instanceId,
    on: (l) => hub.on(l),
    async start() {
      if (started) return { adopted: [] };
      started = true;
      await heartbeat();
      await bus.ensureGroup(Topic.results, Group.orchestrator);
      await bus.ensureGroup(Topic.pipelineEvents, Group.orchestrator);
      consume(Topic.results, async (m) => {
        if (m.type === "run.created" || m.type === "job.assigned" || m.type === "job.cancel") throw new Error(`unexpected ${m.type} on ${Topic.results}`);
        await dispatchMessage(handlers, m);
      });
      consume(Topic.pipelineEvents, async (m) => {
        if (m.type !== "run.created") throw new Error(`unexpected ${m.type} on ${Topic.pipelineEvents}`);
        const run = await store.runs.getRun(m.runId);
        if (run && (run.ownerId === null || run.ownerId === deps.instanceId)) await takeRun(run, null);
      });
      const adopted = await adoptOrphans();
      const every = (ms: number, fn: () => Promise<void>) => {
        const t = setInterval(() => void fn().catch((e) => log.error({ err: coerceError(e) }, "periodic task failed")), ms);
        t.unref?.();
        intervals.push(t);
      };
      every(options.tickMs, tick);
      every(options.heartbeatMs, heartbeat);
      return { adopted };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of intervals) clearInterval(t);
      for (const a of active.values()) if (a.timer) clearTimeout(a.timer);
      await Promise.all(consumers.map((c) => c.stop()));
      await queue.idle();
      await store.orchestrators.removeOrchestrator(deps.instanceId).catch(() => undefined);
    },
    async cancelRun(runId, reason) {
      if (!active.has(runId)) return false;
      await withRun(runId, (a) => engine.cancel(a, reason));
      return true;
    },
    waitForRun(runId) {
      // The waiter is registered before the store is read, so a run that finishes in between
      // still resolves it (onRunFinished or the read below, whichever comes first).
      return new Promise((resolve, reject) => {
        let settled = false;
        const done = (r: RunRecord) => {
          if (settled) return;
          settled = true;
          resolve(r);
        };
        const list = waiters.get(runId) ?? [];
        list.push(done);
        waiters.set(runId, list);
        void store.runs.getRun(runId).then((r) => {
          if (!r) {
            settled = true;
            return reject(new Error(`run ${runId} not found`));
          }
          const terminal = r.status === RunStatus.succeeded || r.status === RunStatus.failed || r.status === RunStatus.cancelled;
          if (terminal && !active.has(runId)) done(r);
        }, reject);
      });
    },
    activeRunIds: () => [...active.keys()],
  };
}
