import { afterEach, describe, expect, it } from "vitest";
import { createMemoryBus } from "../../src/bus/adapters/memory.js";
import { startConsumer } from "../../src/bus/consumer.js";
import type { DeadLetter, ParseResult, RunningConsumer } from "../../src/bus/consumer.js";
import type { Bus } from "../../src/bus/port.js";
import type { PitstopError } from "../../src/core/errors.js";
import type { BusMessageStore } from "../../src/store/port.js";

const VIS = 200;
const parse = (p: unknown): ParseResult<number> => (typeof p === "number" ? { ok: true, value: p } : { ok: false, reason: "expected a number" });

const buses: Bus[] = [];
const loops: RunningConsumer[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

async function openBus(persistence?: BusMessageStore): Promise<Bus> {
  const bus = await createMemoryBus({ visibilityTimeoutMs: VIS, persistence });
  buses.push(bus);
  return bus;
}

function start(...args: Parameters<typeof startConsumer<number>>): RunningConsumer {
  const loop = startConsumer<number>(...args);
  loops.push(loop);
  return loop;
}

async function drain(bus: Bus, topic: string, blockMs = VIS * 2) {
  return bus.consume(topic, "reader", "r", { count: 100, blockMs });
}

describe("startConsumer", () => {
  it("lets the message in hand finish (and acks it) before stop resolves", async () => {
    const bus = await openBus();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    let finished = false;
    const loop = start({ bus, topic: "t", group: "g", consumer: "c", parse, blockMs: 100, handle: async () => {
      started = true;
      await gate;
      finished = true;
    } });
    await bus.publish("t", 1);
    await waitFor(() => started);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await sleep(50);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    expect(await bus.consume("t", "g", "other", { blockMs: VIS * 2 })).toEqual([]);
  });

  it("leaves the rest of a batch pending when stopped mid-batch", async () => {
    const bus = await openBus();
    for (let i = 0; i < 3; i++) await bus.publish("t", i);
    const handled: number[] = [];
    const loop: RunningConsumer = start({ bus, topic: "t", group: "g", consumer: "c", parse, handle: async (n) => {
      handled.push(n);
      void loop.stop(); // not awaited: stop waits for this very handler
    } });
    await loop.done;
    expect(handled).toEqual([0]);
    const redelivered = await bus.consume("t", "g", "other", { blockMs: VIS * 5 });
    expect(redelivered.map((m) => [m.payload, m.deliveryCount])).toEqual([[1, 2], [2, 2]]);
  });

  it("ends when its signal aborts, and when the bus closes", async () => {
    const bus = await openBus();
    const controller = new AbortController();
    const aborted = start({ bus, topic: "t", group: "g", consumer: "c1", parse, blockMs: 60_000, signal: controller.signal, handle: async () => undefined });
    const other = start({ bus, topic: "t", group: "g2", consumer: "c2", parse, blockMs: 60_000, handle: async () => undefined });
    controller.abort();
    await aborted.done; // a loop that ignored the signal would sit in a 60 s consume: the test times out
    await bus.close();
    await other.done;
    const already = new AbortController();
    already.abort();
    await start({ bus, topic: "t", group: "g", consumer: "c3", parse, signal: already.signal, handle: async () => undefined }).done;
  }, 10_000);

  it("never dies of a handler, a parser or an error listener", async () => {
    const bus = await openBus();
    const handled: number[] = [];
    const errors: string[] = [];
    start({
      bus, topic: "t", group: "g", consumer: "c", blockMs: 100, maxDeliveries: 1, deadLetterTopic: "dl",
      parse: (p) => {
        if (p === "explode") throw new Error("parser exploded");
        return parse(p);
      },
      onError: (err) => {
        errors.push(err.message);
        throw new Error("listener broken too");
      },
      handle: async (n) => {
        if (n === 13) throw new Error("unlucky");
        handled.push(n);
      },
    });
    for (const p of [13, "explode", "text", 1, 2]) await bus.publish("t", p);
    await waitFor(() => handled.length === 2);
    expect(handled).toEqual([1, 2]);
    expect(errors).toEqual(["unlucky"]);
    const letters = (await drain(bus, "dl")).map((m) => m.payload as DeadLetter);
    expect(letters.map((l) => [l.payload, l.reason])).toEqual([
      [13, "handler failed on delivery 1 of 1: unlucky"],
      ["explode", "invalid payload: parser threw: parser exploded"],
      ["text", "invalid payload: expected a number"],
    ]);
    expect(letters[0]?.error).toEqual({ code: "INTERNAL", message: "unlucky" });
  });

  it("dead-letters, unhandled, a message delivered more than maxDeliveries times", async () => {
    const bus = await openBus();
    await bus.publish("t", 5);
    // Two consumers that take the message and die without acking or failing it.
    await bus.consume("t", "g", "crashed-1");
    await bus.consume("t", "g", "crashed-2", { blockMs: VIS * 5 });
    let calls = 0;
    start({ bus, topic: "t", group: "g", consumer: "c", parse, maxDeliveries: 2, handle: async () => void calls++ });
    const [letter] = (await drain(bus, "deadletter", VIS * 10)).map((m) => m.payload as DeadLetter);
    expect(letter).toMatchObject({ payload: 5, deliveryCount: 3, group: "g", topic: "t" });
    expect(letter?.reason).toContain("delivered 3 times without being acked");
    expect(calls).toBe(0);
  });

  it("backs off on bus errors and carries on", async () => {
    let failures = 2;
    const persistence: BusMessageStore = {
      async saveMessage() {},
      async saveGroup() {
        if (failures-- > 0) throw new Error("database is locked");
      },
      async saveAcks() {},
      async deleteMessages() {},
      loadAll: async () => ({ messages: [], groups: [], acks: [] }),
    };
    const bus = await openBus(persistence);
    const busErrors: PitstopError[] = [];
    const handled: number[] = [];
    start({ bus, topic: "t", group: "g", consumer: "c", parse, blockMs: 100, onBusError: (e) => busErrors.push(e), handle: async (n) => void handled.push(n) });
    await bus.publish("t", 42);
    await waitFor(() => handled.length === 1);
    expect(handled).toEqual([42]);
    expect(busErrors.map((e) => e.message)).toEqual(["database is locked", "database is locked"]);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
