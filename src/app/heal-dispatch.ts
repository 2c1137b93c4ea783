import { randomUUID } from "node:crypto";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { Bus } from "../bus/port.js";
import { ErrorCode, PitstopError } from "../core/errors.js";
import type { Environment } from "../core/healing/environment.js";
import type { HealEvent, HealStatus } from "../core/healing/heal-event.js";
import type { Logger } from "../core/logger.js";
import type { HealLoop } from "../healing/loop/create-heal-loop.js";
import type { HealOutcome, HealStep } from "../healing/loop/heal-types.js";
import { publishHealEvent, startHealer } from "../healing/loop/start-healer.js";
import type { DecisionRecord, HealingStore } from "../store/port.js";

/**
 * A detection that a command waits on: published on the bus like any other (so every detector's
 * finding travels as `heal.detected`), healed by the healer this process runs beside it, or by
 * another healer of the environment (Redis), and answered with the outcome either way.
 */
export interface HealDispatch {
  /** Publishes the event and resolves once it is settled (healed, escalated, waiting for an approval…). */
  heal(event: HealEvent): Promise<HealOutcome>;
  /** Stops the healer; heals in flight are finished first, and a `heal` still waiting rejects. Idempotent. */
  stop(): Promise<void>;
}

export interface HealDispatchInput {
  bus: Bus;
  store: HealingStore;
  loop: HealLoop;
  log: Logger;
  environments: readonly Environment[];
  /** `run@host:pid`, `demo@…`: who saw it, in the message and as the healer's consumer name. */
  source: string;
  onProblem?: (text: string) => void;
  /** How often the store is read for an event another process's healer took (default 500 ms). */
  pollMs?: number;
  /** No healer opened an incident for the event within this: give up waiting (default 2 minutes). */
  takeTimeoutMs?: number;
}

export function sourceName(what: string): string {
  return `${what}@${os.hostname()}:${process.pid}`;
}

/** How the loop left an incident, read back from the store (for an event another healer settled). */
function settledInStore(incidentId: string, status: string, decisions: readonly DecisionRecord[]): HealOutcome | null {
  const ordered = [...decisions].sort((a, b) => a.at - b.at);
  const last = ordered.at(-1);
  let settled: HealStatus | null = null;
  if (status !== "open") settled = status as HealStatus;
  else if (last?.status === "awaiting_approval") settled = "awaiting_approval";
  else if (last?.status === "refused") settled = "refused";
  if (settled === null) return null;
  const steps: HealStep[] = ordered.map((d) => {
    const verification = d.outcome?.["verification"] as { reason?: string } | undefined;
    const reason = verification?.reason ?? (typeof d.outcome?.["reason"] === "string" ? d.outcome["reason"] : null);
    return { decisionId: d.id, action: d.action, status: d.status === "refused" ? "refused" : d.status === "awaiting_approval" ? "awaiting_approval" : "executed", verdict: d.verdict, reason };
  });
  return { incidentId, status: settled, decisionId: last?.id ?? null, steps };
}

export function startHealDispatch(o: HealDispatchInput): HealDispatch {
  const waiting = new Map<string, { resolve: (outcome: HealOutcome) => void; reject: (e: unknown) => void; local: boolean }>();
  const healer = startHealer({
    bus: o.bus,
    loop: o.loop,
    incidents: o.store,
    log: o.log,
    consumer: o.source,
    environments: o.environments,
    ...(o.onProblem ? { onProblem: o.onProblem } : {}),
    onHandling: (d) => {
      const w = waiting.get(d.eventId);
      if (w) w.local = true;
    },
    onOutcome: (d, outcome) => waiting.get(d.eventId)?.resolve(outcome),
    onFailed: (d, e) => waiting.get(d.eventId)?.reject(e),
    onDropped: (d, why) => waiting.get(d.eventId)?.reject(new PitstopError(ErrorCode.INTERNAL, `the ${d.event.kind} event was not healed: ${why}`)),
  });
  const stopped = new AbortController();

  /**
   * An event another process's healer took: its incident (id = event id) tells when it is settled.
   * Rejects when nobody opened one within `takeTimeoutMs` (dead-lettered, no healer running).
   */
  async function settledElsewhere(eventId: string, done: AbortSignal): Promise<HealOutcome> {
    const giveUpAt = Date.now() + (o.takeTimeoutMs ?? 120_000);
    while (!done.aborted) {
      await sleep(o.pollMs ?? 500, undefined, { signal: done }).catch(() => undefined);
      if (done.aborted || waiting.get(eventId)?.local) continue;
      const incident = await o.store.getIncident(eventId);
      if (incident === null) {
        if (Date.now() > giveUpAt) throw new PitstopError(ErrorCode.INTERNAL, `no healer took the event ${eventId} within ${Math.round((o.takeTimeoutMs ?? 120_000) / 1000)} s: is a healer for its environment running?`);
        continue;
      }
      const outcome = settledInStore(eventId, incident.status, await o.store.listDecisions({ incidentId: eventId }));
      if (outcome) return outcome;
    }
    return new Promise<HealOutcome>(() => undefined);
  }

  return {
    async heal(event) {
      if (stopped.signal.aborted) throw new PitstopError(ErrorCode.INTERNAL, "the heal dispatch is stopped");
      const eventId = randomUUID();
      const local = new Promise<HealOutcome>((resolve, reject) => waiting.set(eventId, { resolve, reject, local: false }));
      const done = new AbortController();
      try {
        await publishHealEvent(o.bus, { event, source: o.source, eventId });
        return await Promise.race([local, settledElsewhere(eventId, AbortSignal.any([done.signal, stopped.signal]))]);
      } finally {
        done.abort();
        waiting.delete(eventId);
      }
    },
    async stop() {
      // Heals in flight (ours or other processes' events this healer took) finish whole.
      await healer.drain();
      stopped.abort();
      for (const w of waiting.values()) w.reject(new PitstopError(ErrorCode.INTERNAL, "the heal dispatch stopped before the event was settled"));
    },
  };
}
