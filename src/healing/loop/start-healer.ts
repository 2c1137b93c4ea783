import { startConsumer, type RunningConsumer } from "../../bus/consumer.js";
import type { Bus } from "../../bus/port.js";
import type { HealEvent } from "../../core/healing/heal-event.js";
import type { Logger } from "../../core/logger.js";
import { message, parseMessage, type Message } from "../../protocol/messages.js";
import { Group, Topic } from "../../protocol/topics.js";
import type { HealingStore } from "../../store/port.js";
import type { HealLoop } from "./create-heal-loop.js";
import type { HealOutcome } from "./heal-types.js";

/** Publishes what a detector saw on `heal.events`, for whichever healer takes it. Returns the event id. */
export async function publishHealEvent(bus: Bus, input: { event: HealEvent; source: string; eventId: string }): Promise<string> {
  await bus.publish(Topic.healEvents, message("heal.detected", { eventId: input.eventId, source: input.source, event: input.event }));
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
  /**
   * Events older than this (by `event.at`) are acked without healing: they waited on the bus while
   * no healer ran, and what they saw may be long over. Detectors report a problem that lasts again
   * (a new watch starts a new episode). Default 5 minutes.
   */
  maxAgeMs?: number;
  now?: () => number;
  /** Called once the loop settled an event (healed, escalated, awaiting approval…). */
  onOutcome?: (detected: Message<"heal.detected">, outcome: HealOutcome) => void | Promise<void>;
  signal?: AbortSignal;
}

function parseDetected(payload: unknown): { ok: true; value: Message<"heal.detected"> } | { ok: false; reason: string } {
  const r = parseMessage(payload);
  if (!r.ok) return r;
  if (r.message.type !== "heal.detected") return { ok: false, reason: `a ${r.message.type} message on ${Topic.healEvents}; only heal.detected belongs there` };
  return { ok: true, value: r.message };
}

const DEFAULT_MAX_AGE_MS = 5 * 60_000;

/**
 * The Analyze → … → Learn side of the bus hand-off: consumes `heal.events` in the `healer` group
 * (one healer per event however many run), runs the loop on each event in order, and acks it once
 * the loop settled it. The event id becomes the incident id, so a redelivery (a healer that died
 * mid-way, a loop slower than the visibility timeout) finds its incident and is acked without a
 * second remediation; the incident it left open stays listed by `pitstop incidents`. An event that
 * waited on the bus longer than `maxAgeMs` is dropped, not acted on.
 */
export function startHealer(o: HealerOptions): RunningConsumer {
  return startConsumer({
    bus: o.bus,
    topic: Topic.healEvents,
    group: Group.healer,
    consumer: o.consumer,
    parse: parseDetected,
    async handle(detected) {
      const age = (o.now ?? Date.now)() - detected.event.at;
      if (age > (o.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) {
        o.log.warn({ eventId: detected.eventId, kind: detected.event.kind, ageMs: age }, "heal event too old to act on; dropped (a problem that lasts is detected again)");
        return;
      }
      const seen = await o.incidents.getIncident(detected.eventId);
      if (seen !== null) {
        o.log.info({ eventId: detected.eventId, status: seen.status }, "heal event delivered again: its incident exists, not healing twice");
        return;
      }
      const outcome = await o.loop.handle(detected.event, { eventId: detected.eventId });
      await o.onOutcome?.(detected, outcome);
    },
    onError: (err, msg) => o.log.error({ err, messageId: msg.id }, "healing an event failed"),
    onBusError: (err) => o.log.warn({ err }, "healer: bus error, backing off"),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}
