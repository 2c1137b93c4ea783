import { startConsumer, type RunningConsumer } from "../../bus/consumer.js";
import type { Bus } from "../../bus/port.js";
import type { HealEvent } from "../../core/healing/heal-event.js";
import type { Logger } from "../../core/logger.js";
import { message, parseMessage, type Message } from "../../protocol/messages.js";
import { Group, healTopic } from "../../protocol/topics.js";
import type { Environment } from "../../core/healing/environment.js";
import type { HealingStore } from "../../store/port.js";
import type { HealLoop } from "./create-heal-loop.js";
import type { HealOutcome } from "./heal-types.js";

/** Publishes what a detector saw on its environment's `heal.events.<env>`, for whichever healer takes it. Returns the event id. */
export async function publishHealEvent(bus: Bus, input: { event: HealEvent; source: string; eventId: string }): Promise<string> {
  await bus.publish(healTopic(input.event.environment), message("heal.detected", { eventId: input.eventId, source: input.source, event: input.event }));
  return input.eventId;
}

export interface HealerOptions {
  bus: Bus;
  loop: HealLoop;
  /** Where the loop opens incidents: a redelivered event whose incident exists is not healed again. */
  incidents: Pick<HealingStore, "getIncident">;
  log: Logger;
  /** This healer's consumer name in the `healer` group. */
  consumer: string;
  /** The environments whose events it takes (`heal.events.<env>`): those it has deploy targets for. */
  environments: readonly Environment[];
  /**
   * Events that waited on the bus longer than this (since they were published) are acked without
   * healing: no healer ran meanwhile, and what they saw may be long over. Detectors report a
   * problem that lasts again (a new watch starts a new episode). Default 5 minutes.
   */
  maxAgeMs?: number;
  now?: () => number;
  /** Called once the loop settled an event (healed, escalated, awaiting approval…). */
  onOutcome?: (detected: Message<"heal.detected">, outcome: HealOutcome) => void | Promise<void>;
  /** Something people should see: an event dropped as too old, the loop failing on an event. Also logged. */
  onProblem?: (text: string) => void;
  /** This healer took the event and is about to run the loop on it (not called for repeats or dropped events). */
  onHandling?: (detected: Message<"heal.detected">) => void;
  /** The loop threw on the event: the bus will redeliver it, but its incident exists, so nobody heals it again. */
  onFailed?: (detected: Message<"heal.detected">, error: unknown) => void;
  /** The event was dropped without healing (it waited on the bus too long). */
  onDropped?: (detected: Message<"heal.detected">, why: string) => void;
  signal?: AbortSignal;
}

function parseDetected(topic: string, environment: Environment) {
  return (payload: unknown): { ok: true; value: Message<"heal.detected"> } | { ok: false; reason: string } => {
    const r = parseMessage(payload);
    if (!r.ok) return r;
    if (r.message.type !== "heal.detected") return { ok: false, reason: `a ${r.message.type} message on ${topic}; only heal.detected belongs there` };
    if (r.message.event.environment !== environment) return { ok: false, reason: `a ${r.message.event.environment} event on ${topic}; publish it on ${healTopic(r.message.event.environment)}` };
    return { ok: true, value: r.message };
  };
}

const DEFAULT_MAX_AGE_MS = 5 * 60_000;

/** Thrown for an event taken while stopping: not acked, so it is redelivered rather than lost. */
class HealerStopping extends Error {
  constructor() {
    super("the healer is stopping; the event is left on the bus for another healer");
  }
}

/**
 * The Analyze → … → Learn side of the bus hand-off: consumes `heal.events.<env>` of each of its
 * environments in the `healer` group (one healer per event however many run), runs the loop on
 * each event in order, and acks it once the loop settled it. One message at a time per topic: a
 * heal takes seconds, and a batch waiting behind it would outlive the visibility timeout. The event
 * id becomes the incident id, so a redelivery (a healer that died mid-way, a loop slower than the
 * visibility timeout) finds its incident and is acked without a second remediation; the incident
 * it left open stays listed by `pitstop incidents`. An event that waited on the bus longer than
 * `maxAgeMs` is dropped, not acted on.
 */
export interface Healer extends RunningConsumer {
  /** Stops taking events and lets the heal in hand finish whole (its verification too). Idempotent. */
  drain(): Promise<void>;
}

export function startHealer(o: HealerOptions): Healer {
  // One loop at a time across topics: two incidents on one target must not act at once.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  };
  // stop() (or o.signal) cuts the heal in hand short: its verification ends, no next action starts.
  const stopping = new AbortController();
  if (o.signal?.aborted) stopping.abort();
  else o.signal?.addEventListener("abort", () => stopping.abort(), { once: true });
  const problem = (obj: Record<string, unknown>, text: string): void => {
    o.log.warn(obj, text);
    o.onProblem?.(text);
  };
  async function handle(detected: Message<"heal.detected">, publishedAt: number): Promise<void> {
    // Not acked: the bus hands it to another healer, or to this one's next start.
    if (stopping.signal.aborted) throw new HealerStopping();
    // How long it waited on the bus (not how old the problem is: a job that failed early in a long run is published when the run ends).
    const age = (o.now ?? Date.now)() - publishedAt;
    if (age > (o.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) {
      const why = `dropped a ${detected.event.kind} event that waited ${Math.round(age / 1000)} s on the bus while no healer ran`;
      problem({ eventId: detected.eventId, kind: detected.event.kind, ageMs: age }, why);
      o.onDropped?.(detected, why);
      return;
    }
    const seen = await o.incidents.getIncident(detected.eventId);
    if (seen !== null) {
      o.log.info({ eventId: detected.eventId, status: seen.status }, "heal event delivered again: its incident exists, not healing twice");
      return;
    }
    o.onHandling?.(detected);
    let outcome: HealOutcome;
    try {
      outcome = await o.loop.handle(detected.event, { eventId: detected.eventId, signal: stopping.signal });
    } catch (e) {
      o.onFailed?.(detected, e);
      throw e;
    }
    await o.onOutcome?.(detected, outcome);
  }
  const consumers = o.environments.map((environment) => {
    const topic = healTopic(environment);
    return startConsumer({
      bus: o.bus,
      topic,
      group: Group.healer,
      consumer: o.consumer,
      batch: 1,
      parse: parseDetected(topic, environment),
      handle: (detected, msg) => serial(() => handle(detected, msg.publishedAt)),
      onError: (err, msg) => {
        if (!stopping.signal.aborted) problem({ err, messageId: msg.id, topic }, `healing an event failed: ${err.message}`);
      },
      onBusError: (err) => o.log.warn({ err, topic }, "healer: bus error, backing off"),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  });
  return {
    /** Stops taking events and cuts the heal in hand short (see HandleOptions.signal). */
    async stop() {
      stopping.abort();
      await Promise.all(consumers.map((c) => c.stop()));
    },
    async drain() {
      await Promise.all(consumers.map((c) => c.stop()));
    },
    done: Promise.all(consumers.map((c) => c.done)).then(() => undefined),
  };
}
