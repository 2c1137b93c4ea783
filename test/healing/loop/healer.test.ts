import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createMemoryBus } from "../../../src/bus/adapters/memory.js";
import { createRedisBus } from "../../../src/bus/adapters/redis.js";
import type { DeadLetter, RunningConsumer } from "../../../src/bus/consumer.js";
import type { Bus } from "../../../src/bus/port.js";
import type { DetectorEvent } from "../../../src/core/healing/heal-event.js";
import type { Logger } from "../../../src/core/logger.js";
import type { DeployTarget } from "../../../src/deploy/port.js";
import type { HealOutcome } from "../../../src/healing/loop/heal-types.js";
import { publishHealEvent, startHealer, type Healer } from "../../../src/healing/loop/start-healer.js";
import { message } from "../../../src/protocol/messages.js";
import { Group, Topic, healTopic } from "../../../src/protocol/topics.js";
import type { Store } from "../../../src/store/port.js";
import { waitFor } from "../detectors/helpers.js";
import { createLoopFixture } from "./loop-fixture.js";
import { createScriptedTarget } from "./scripted-target.js";

// startHealer over real buses: the memory bus and the Redis bus (real Redis, every key under a
// prefix of this file, a fresh prefix per test so heal.events of one test never reaches another).

const url = process.env.PITSTOP_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `pitstop-test:${randomUUID()}:`;
// Long enough that nothing is redelivered by the bus behind a test's back.
const VISIBILITY_MS = 30_000;

const BUSES: Array<[string, () => Promise<Bus>]> = [
  ["memory", () => createMemoryBus({ visibilityTimeoutMs: VISIBILITY_MS })],
  ["redis", () => createRedisBus({ url, prefix: `${prefix}${randomUUID()}:`, visibilityTimeoutMs: VISIBILITY_MS })],
];

afterAll(async () => {
  const admin = new Redis(url);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

const crash = (app: string): DetectorEvent => ({ kind: "crash", environment: "stage", target: `stage/${app}`, at: Date.now(), evidence: { pid: 4242 } });

/** A scripted target whose first restart waits for `release()`: a healer busy with an event. */
function gatedTarget(): ReturnType<typeof createScriptedTarget> & { restarts: () => number; release: () => void } {
  const target = createScriptedTarget({ healthyAfter: ["restart"] });
  const restart = target.restart;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let restarts = 0;
  return Object.assign(target, {
    restart: async () => {
      if (++restarts === 1) await gate;
      return restart();
    },
    restarts: () => restarts,
    release: () => release(),
  });
}

interface Settled {
  consumer: string;
  eventId: string;
  source: string;
  event: unknown;
  outcome: HealOutcome;
}

const open: Array<{ healers: RunningConsumer[]; bus: Bus; store: Store }> = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await Promise.all(h.healers.map((x) => x.stop()));
    await h.bus.close();
    await h.store.close();
  }
});

async function harness(makeBus: () => Promise<Bus>, target: DeployTarget) {
  const bus = await makeBus();
  const { store, loop } = await createLoopFixture((env) => (env === "stage" ? target : null));
  const logs: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const record = (obj: object, msg?: string): void => void logs.push({ obj: obj as Record<string, unknown>, msg: msg ?? "" });
  const log: Logger = { debug: record, info: record, warn: record, error: record };
  const outcomes: Settled[] = [];
  const healers: RunningConsumer[] = [];
  open.push({ healers, bus, store });
  const start = (consumer: string, extra: Partial<Parameters<typeof startHealer>[0]> = {}): Healer => {
    const healer = startHealer({
      bus, loop, incidents: store.healing, log, consumer, environments: ["stage"], ...extra,
      onOutcome: (d, outcome) => void outcomes.push({ consumer, eventId: d.eventId, source: d.source, event: d.event, outcome }),
    });
    healers.push(healer);
    return healer;
  };
  return { bus, store, logs, outcomes, start };
}

describe.each(BUSES)("startHealer on the %s bus", (_name, makeBus) => {
  it("heals a published crash once, reports the outcome, and names the incident after the event id", async () => {
    const target = createScriptedTarget({ healthyAfter: ["restart"] });
    const h = await harness(makeBus, target);
    h.start("healer-1");
    const eventId = `evt-${randomUUID()}`;
    expect(await publishHealEvent(h.bus, { event: crash("shop"), source: "watch@test:1", eventId })).toBe(eventId);

    await waitFor(() => h.outcomes.length === 1, 15_000, "the outcome");
    expect(h.outcomes[0]).toMatchObject({
      consumer: "healer-1", eventId, source: "watch@test:1", event: { kind: "crash", target: "stage/shop" },
      outcome: { incidentId: eventId, status: "healed", steps: [{ action: "restart", status: "executed", verdict: "healed" }] },
    });
    expect(target.calls).toEqual(["restart"]);
    expect(await h.store.healing.getIncident(eventId)).toMatchObject({ id: eventId, status: "healed", kind: "crash" });
  }, 30_000);

  it("recognises a redelivered event id: one incident, one remediation", async () => {
    const target = createScriptedTarget({ healthyAfter: ["restart"] });
    const h = await harness(makeBus, target);
    h.start("healer-1");
    const eventId = `evt-${randomUUID()}`;
    await publishHealEvent(h.bus, { event: crash("shop"), source: "watch@test:1", eventId });
    await publishHealEvent(h.bus, { event: crash("shop"), source: "watch@test:1", eventId });

    await waitFor(() => h.logs.some((l) => l.obj["eventId"] === eventId && l.msg.includes("delivered again")), 15_000, "the repeat to be acked");
    expect(h.outcomes.map((o) => o.eventId)).toEqual([eventId]);
    expect(target.calls).toEqual(["restart"]);
    expect((await h.store.healing.listIncidents()).map((i) => i.id)).toEqual([eventId]);
    expect(await h.store.healing.listDecisions()).toHaveLength(1);
    expect(h.logs.find((l) => l.msg.includes("delivered again"))?.obj).toMatchObject({ status: "healed" });
  }, 30_000);

  it("drops an event that waited on the bus past maxAgeMs (by when it was published, not how old the problem is)", async () => {
    const target = createScriptedTarget({ healthyAfter: ["restart"] });
    const h = await harness(makeBus, target);
    const stale = `evt-${randomUUID()}`;
    const fresh = `evt-${randomUUID()}`;
    // A problem seen long ago but published just now (a job that failed early in a long run) is not stale.
    await publishHealEvent(h.bus, { event: { ...crash("shop"), at: Date.now() - 10 * 60_000 }, source: "watch@test:1", eventId: fresh });
    const first = h.start("healer-1");
    await waitFor(() => h.outcomes.length === 1, 15_000, "the old problem's outcome");
    expect(h.outcomes.map((o) => o.eventId)).toEqual([fresh]);
    await first.stop();

    // Published, then no healer ran for 10 minutes (a clock 10 minutes ahead sees it so).
    await publishHealEvent(h.bus, { event: crash("shop"), source: "watch@test:1", eventId: stale });
    const dropped: string[] = [];
    h.start("healer-2", { now: () => Date.now() + 10 * 60_000, onDropped: (d) => void dropped.push(d.eventId) });
    await waitFor(() => dropped.length === 1, 15_000, "the stale event to be dropped");
    expect(dropped).toEqual([stale]);
    expect(h.logs.find((l) => l.obj["eventId"] === stale)).toMatchObject({ msg: expect.stringContaining("waited") as unknown });
    expect(await h.store.healing.getIncident(stale)).toBeNull();
    expect(target.calls).toEqual(["restart"]);
  }, 30_000);

  it("two healers in the group share the events: each is handled exactly once in total", async () => {
    const target = gatedTarget();
    const h = await harness(makeBus, target);
    h.start("healer-a");
    h.start("healer-b");
    const ids = Array.from({ length: 5 }, (_, i) => `evt-${i}-${randomUUID()}`);

    // The first event holds one healer inside its restart, so the other must take the rest.
    await publishHealEvent(h.bus, { event: crash("app-0"), source: "test", eventId: ids[0]! });
    await waitFor(() => target.restarts() === 1, 15_000, "the first restart");
    for (let i = 1; i < ids.length; i++) await publishHealEvent(h.bus, { event: crash(`app-${i}`), source: "test", eventId: ids[i]! });
    await waitFor(() => h.outcomes.length === ids.length - 1, 20_000, "the other healer to settle the rest");
    const other = h.outcomes[0]!.consumer;
    expect(h.outcomes.every((o) => o.consumer === other)).toBe(true);
    expect(h.outcomes.map((o) => o.eventId).sort()).toEqual(ids.slice(1).sort());

    target.release();
    await waitFor(() => h.outcomes.length === ids.length, 15_000, "the held event");
    const held = h.outcomes.at(-1)!;
    expect(held).toMatchObject({ eventId: ids[0], outcome: { status: "healed" } });
    expect(held.consumer).not.toBe(other);
    expect(new Set(h.outcomes.map((o) => o.eventId)).size).toBe(ids.length);
    expect(h.outcomes.every((o) => o.outcome.status === "healed" && o.outcome.incidentId === o.eventId)).toBe(true);
    expect(target.calls).toEqual(ids.map(() => "restart"));
    expect((await h.store.healing.listIncidents()).map((i) => i.id).sort()).toEqual([...ids].sort());
  }, 60_000);

  it("takes only its environments' events: a prod event waits on heal.events.prod for a healer that can act there", async () => {
    const target = createScriptedTarget({ healthyAfter: ["restart"] });
    const h = await harness(makeBus, target);
    h.start("healer-stage");
    const prodId = `evt-${randomUUID()}`;
    const stageId = `evt-${randomUUID()}`;
    await publishHealEvent(h.bus, { event: { ...crash("shop"), environment: "prod", target: "prod/shop" }, source: "test", eventId: prodId });
    await publishHealEvent(h.bus, { event: crash("shop"), source: "test", eventId: stageId });

    await waitFor(() => h.outcomes.length === 1, 15_000, "the stage event");
    expect(h.outcomes.map((o) => o.eventId)).toEqual([stageId]);
    const waiting = await h.bus.consume(healTopic("prod"), Group.healer, "prod-healer", { count: 10, blockMs: 2000 });
    expect(waiting.map((m) => (m.payload as { eventId: string }).eventId)).toEqual([prodId]);
    await h.bus.ack(healTopic("prod"), Group.healer, waiting.map((m) => m.id));
    expect(await h.store.healing.getIncident(prodId)).toBeNull();
  }, 30_000);

  it("dead-letters a malformed payload and a run.created message with a reason, and keeps healing", async () => {
    const target = createScriptedTarget({ healthyAfter: ["restart"] });
    const h = await harness(makeBus, target);
    await h.bus.ensureGroup(Topic.deadLetter, "test-reader");
    h.start("healer-1");
    const malformed = { v: 1, type: "heal.detected", eventId: "evt-bad", source: "test", event: { kind: "crash", environment: "qa" } };
    const wrongType = message("run.created", { runId: "run-1" });
    const wrongEnv = message("heal.detected", { eventId: "evt-dev", source: "test", event: { ...crash("shop"), environment: "dev" } });
    await h.bus.publish(healTopic("stage"), malformed);
    await h.bus.publish(healTopic("stage"), wrongType);
    await h.bus.publish(healTopic("stage"), wrongEnv);
    const eventId = `evt-${randomUUID()}`;
    await publishHealEvent(h.bus, { event: crash("shop"), source: "test", eventId });

    await waitFor(() => h.outcomes.length === 1, 15_000, "the valid event to be healed");
    expect(h.outcomes[0]).toMatchObject({ eventId, outcome: { status: "healed" } });
    const letters = (await h.bus.consume(Topic.deadLetter, "test-reader", "reader", { count: 10, blockMs: 2000 })).map((m) => m.payload as DeadLetter);
    expect(letters).toHaveLength(3);
    expect(letters[0]).toMatchObject({ topic: healTopic("stage"), group: Group.healer, payload: malformed });
    expect(letters[0]!.reason).toMatch(/^invalid payload: /);
    expect(letters[1]).toMatchObject({ topic: healTopic("stage"), group: Group.healer, payload: wrongType });
    expect(letters[1]!.reason).toBe("invalid payload: a run.created message on heal.events.stage; only heal.detected belongs there");
    expect(letters[2]!.reason).toBe("invalid payload: a dev event on heal.events.stage; publish it on heal.events.dev");
    expect(await h.store.healing.getIncident("evt-bad")).toBeNull();
    expect(target.calls).toEqual(["restart"]);
  }, 30_000);

  it("drain() stops taking events but lets the heal in hand finish whole", async () => {
    const target = gatedTarget();
    const h = await harness(makeBus, target);
    const healer = h.start("healer-1");
    const first = `evt-${randomUUID()}`;
    await publishHealEvent(h.bus, { event: crash("shop"), source: "test", eventId: first });
    await waitFor(() => target.restarts() === 1, 15_000, "the restart");
    const draining = healer.drain();
    target.release();
    await draining;
    expect(h.outcomes).toMatchObject([{ eventId: first, outcome: { status: "healed", steps: [{ action: "restart", verdict: "healed" }] } }]);
  }, 30_000);

  it("stop() lets the action in hand finish, cuts its verification short, resolves, and consumes nothing afterwards", async () => {
    const target = gatedTarget();
    const h = await harness(makeBus, target);
    const healer = h.start("healer-1");
    const first = `evt-${randomUUID()}`;
    await publishHealEvent(h.bus, { event: crash("shop"), source: "test", eventId: first });
    await waitFor(() => target.restarts() === 1, 15_000, "the restart");

    let stopped = false;
    const stopping = healer.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(stopped).toBe(false);
    target.release();
    await stopping;
    await healer.done;
    await healer.stop(); // idempotent
    // The restart ran; its verification was cut short, so nothing is claimed (or learned).
    expect(target.calls).toEqual(["restart"]);
    expect(h.outcomes).toMatchObject([{ eventId: first, outcome: { status: "inconclusive", steps: [{ action: "restart", verdict: "inconclusive", reason: expect.stringContaining("verification stopped") as unknown }] } }]);
    expect(await h.store.healing.getIncident(first)).toMatchObject({ status: "inconclusive" });

    // Nothing consumes for the stopped healer: the next event waits, unread, for another consumer.
    const later = `evt-${randomUUID()}`;
    await publishHealEvent(h.bus, { event: crash("shop"), source: "test", eventId: later });
    const waiting = await h.bus.consume(healTopic("stage"), Group.healer, "probe", { count: 10, blockMs: 2000 });
    expect(waiting.map((m) => (m.payload as { eventId: string }).eventId)).toEqual([later]);
    expect(waiting[0]!.deliveryCount).toBe(1);
    await h.bus.ack(healTopic("stage"), Group.healer, waiting.map((m) => m.id));
    expect(h.outcomes).toHaveLength(1);
    expect(await h.store.healing.getIncident(later)).toBeNull();
  }, 30_000);
});
