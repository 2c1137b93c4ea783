import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, isPitstopError } from "../core/errors.js";
import type { PitstopError } from "../core/errors.js";
import { startConsumer } from "./consumer.js";
import type { DeadLetter, ParseResult } from "./consumer.js";
import type { Bus, BusMessage } from "./port.js";

/** The visibility timeout factories must give their buses: the suite waits on it. */
export const CONFORMANCE_VISIBILITY_MS = 400;
const VIS = CONFORMANCE_VISIBILITY_MS;

/**
 * The Bus contract of port.ts, run against every adapter. `factory` returns a fresh bus with
 * `visibilityTimeoutMs: CONFORMANCE_VISIBILITY_MS`; the suite closes every bus it opened.
 */
export function defineBusConformance(name: string, factory: () => Promise<Bus>): void {
  describe(`Bus conformance: ${name}`, () => {
    const opened: Bus[] = [];
    const open = async (): Promise<Bus> => {
      const bus = await factory();
      opened.push(bus);
      return bus;
    };
    const topic = (): string => `t-${randomUUID()}`;
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((b) => b.close()));
    });

    it("publishes, consumes and acks", async () => {
      const bus = await open();
      const t = topic();
      await bus.ensureGroup(t, "g");
      await bus.ensureGroup(t, "g"); // idempotent
      const ids = [await bus.publish(t, { n: 1 }), await bus.publish(t, { n: 2 }), await bus.publish(t, { n: 3 })];
      expect(new Set(ids).size).toBe(3);
      const got = await bus.consume(t, "g", "c1");
      expect(got.map((m) => m.id)).toEqual(ids);
      expect(got.map((m) => m.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      for (const m of got) {
        expect(m.topic).toBe(t);
        expect(m.deliveryCount).toBe(1);
        expect(m.publishedAt).toBeGreaterThan(0);
      }
      await bus.ack(t, "g", ids);
      await bus.ack(t, "g", ids); // idempotent
      await bus.ack(t, "g", ["unknown-id"]);
      expect(await bus.consume(t, "g", "c1")).toEqual([]);
    });

    it("respects count", async () => {
      const bus = await open();
      const t = topic();
      for (let i = 0; i < 5; i++) await bus.publish(t, i);
      expect((await bus.consume(t, "g", "c", { count: 2 })).map((m) => m.payload)).toEqual([0, 1]);
      expect((await bus.consume(t, "g", "c", { count: 10 })).map((m) => m.payload)).toEqual([2, 3, 4]);
    });

    it("gives every group every message", async () => {
      const bus = await open();
      const t = topic();
      await bus.ensureGroup(t, "a");
      await bus.ensureGroup(t, "b");
      for (let i = 0; i < 4; i++) await bus.publish(t, i);
      const a = await bus.consume(t, "a", "c");
      await bus.ack(t, "a", a.map((m) => m.id));
      const b = await bus.consume(t, "b", "c");
      expect(a.map((m) => m.payload)).toEqual([0, 1, 2, 3]);
      expect(b.map((m) => m.payload)).toEqual([0, 1, 2, 3]);
    });

    it("splits a group's messages between its consumers", async () => {
      const bus = await open();
      const t = topic();
      await bus.ensureGroup(t, "g");
      for (let i = 0; i < 10; i++) await bus.publish(t, i);
      const c1 = await bus.consume(t, "g", "c1", { count: 4 });
      const c2 = await bus.consume(t, "g", "c2", { count: 100 });
      expect(c1).toHaveLength(4);
      expect(c2).toHaveLength(6);
      const all = [...c1, ...c2].map((m) => m.payload as number).sort((x, y) => x - y);
      expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await bus.consume(t, "g", "c1")).toEqual([]);
    });

    it("redelivers an unacked message after the visibility timeout", async () => {
      const bus = await open();
      const t = topic();
      const id = await bus.publish(t, { job: "x" });
      const [first] = await bus.consume(t, "g", "c1");
      expect(first?.deliveryCount).toBe(1);
      expect(await bus.consume(t, "g", "c2")).toEqual([]); // still invisible
      const again = await bus.consume(t, "g", "c2", { blockMs: VIS * 10 });
      expect(again).toHaveLength(1);
      expect(again[0]).toMatchObject({ id, payload: { job: "x" }, deliveryCount: 2, topic: t });
      await bus.ack(t, "g", [id]);
      await sleep(VIS * 1.5);
      expect(await bus.consume(t, "g", "c1")).toEqual([]);
    });

    it("does not redeliver an acked message", async () => {
      const bus = await open();
      const t = topic();
      await bus.publish(t, 1);
      const got = await bus.consume(t, "g", "c");
      await bus.ack(t, "g", got.map((m) => m.id));
      expect(await bus.consume(t, "g", "c", { blockMs: VIS * 2 })).toEqual([]);
    });

    it("wakes a blocked consume on publish", async () => {
      const bus = await open();
      const t = topic();
      await bus.ensureGroup(t, "g");
      const pending = bus.consume(t, "g", "c", { blockMs: 30_000 });
      await sleep(50);
      await bus.publish(t, "hello");
      const got = await pending; // a missed wake-up would only return [] after 30 s: the test times out
      expect(got.map((m) => m.payload)).toEqual(["hello"]);
    }, 15_000);

    it("returns [] when a blocking consume times out", async () => {
      const bus = await open();
      expect(await bus.consume(topic(), "g", "c", { blockMs: 100 })).toEqual([]);
    });

    it("returns [] when a blocking consume is aborted", async () => {
      const bus = await open();
      const controller = new AbortController();
      const pending = bus.consume(topic(), "g", "c", { blockMs: 60_000, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      expect(await pending).toEqual([]);
      const t = topic(); // the bus still works afterwards
      await bus.publish(t, 1);
      expect(await bus.consume(t, "g", "c", { blockMs: 1000 })).toHaveLength(1);
    }, 15_000);

    it("wakes blocked consumes on close and rejects later calls with BUS_CLOSED", async () => {
      const bus = await open();
      const t = topic();
      await bus.ensureGroup(t, "g");
      const pending = bus.consume(t, "g", "c", { blockMs: 60_000 });
      await sleep(50);
      await bus.close();
      await bus.close(); // idempotent
      expect(await pending).toEqual([]);
      const calls: Array<() => Promise<unknown>> = [
        () => bus.publish(t, 1),
        () => bus.consume(t, "g", "c"),
        () => bus.ack(t, "g", ["x"]),
        () => bus.ensureGroup(t, "g"),
      ];
      for (const call of calls) {
        const err = await call().then(() => undefined, (e: unknown) => e);
        expect(isPitstopError(err, ErrorCode.BUS_CLOSED)).toBe(true);
      }
    }, 15_000);

    it("delivers payloads as their JSON round trip", async () => {
      const bus = await open();
      const t = topic();
      const payload = { a: { b: [1, 2.5, { c: null }], d: "élan 🚀 日本語", e: true }, when: new Date(0), gone: undefined };
      await bus.publish(t, payload);
      await bus.publish(t, "plain string");
      await bus.publish(t, null);
      const got = await bus.consume(t, "g", "c");
      expect(got.map((m) => m.payload)).toEqual([JSON.parse(JSON.stringify(payload)), "plain string", null]);
      expect(got[0]?.payload).not.toBe(payload);
    });

    it("rejects payloads JSON cannot represent with MESSAGE_INVALID", async () => {
      const bus = await open();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const bad of [cyclic, 10n, undefined, () => 1]) {
        const err = await bus.publish(topic(), bad).then(() => undefined, (e: unknown) => e as PitstopError);
        expect(err?.code).toBe(ErrorCode.MESSAGE_INVALID);
      }
    });

    it("starts a group created after publishing at the oldest retained message", async () => {
      const bus = await open();
      const t = topic();
      await bus.publish(t, 1);
      await bus.publish(t, 2);
      expect((await bus.consume(t, "late", "c")).map((m) => m.payload)).toEqual([1, 2]);
    });

    defineConsumerLoopConformance(open, topic);
  });
}

function defineConsumerLoopConformance(open: () => Promise<Bus>, topic: () => string): void {
  const parse = (p: unknown): ParseResult<number> =>
    typeof p === "object" && p !== null && typeof (p as { n?: unknown }).n === "number"
      ? { ok: true, value: (p as { n: number }).n }
      : { ok: false, reason: "expected { n: number }" };

  const deadLetters = async (bus: Bus, dlq: string, want: number): Promise<DeadLetter[]> => {
    const out: BusMessage[] = [];
    // At least one read, so that "no dead letters" is checked, not assumed.
    for (let i = 0; i === 0 || (i < 100 && out.length < want); i++) out.push(...(await bus.consume(dlq, "dl", "reader", { blockMs: 200 })));
    return out.map((m) => m.payload as DeadLetter);
  };

  it("consumer loop dead-letters malformed payloads and keeps going", async () => {
    const bus = await open();
    const [t, dlq] = [topic(), topic()];
    const handled: number[] = [];
    const loop = startConsumer({ bus, topic: t, group: "g", consumer: "c", parse, deadLetterTopic: dlq, blockMs: 200, handle: async (n) => void handled.push(n) });
    await bus.publish(t, { n: "not a number" });
    await bus.publish(t, { n: 7 });
    const [letter] = await deadLetters(bus, dlq, 1);
    expect(letter).toMatchObject({ topic: t, group: "g", payload: { n: "not a number" } });
    expect(letter?.reason).toContain("expected { n: number }");
    await waitFor(() => handled.length === 1);
    expect(handled).toEqual([7]);
    await loop.stop();
    await loop.stop(); // idempotent
    await loop.done;
    expect(await bus.consume(t, "g", "other", { blockMs: VIS * 2 })).toEqual([]); // both acked
  }, 20_000);

  it("consumer loop retries a throwing handler after the visibility timeout", async () => {
    const bus = await open();
    const [t, dlq] = [topic(), topic()];
    const attempts: number[] = [];
    const errors: string[] = [];
    const loop = startConsumer({
      bus, topic: t, group: "g", consumer: "c", parse, deadLetterTopic: dlq, blockMs: 200,
      onError: (err) => errors.push(err.message),
      handle: async (_n, msg) => {
        attempts.push(msg.deliveryCount);
        if (msg.deliveryCount === 1) throw new Error("first try fails");
      },
    });
    await bus.publish(t, { n: 1 });
    await waitFor(() => attempts.length === 2);
    await loop.stop();
    expect(attempts).toEqual([1, 2]);
    expect(errors).toEqual(["first try fails"]);
    expect(await deadLetters(bus, dlq, 0)).toEqual([]);
    expect(await bus.consume(t, "g", "other", { blockMs: VIS * 2 })).toEqual([]);
  }, 20_000);

  it("consumer loop dead-letters a message after maxDeliveries failures", async () => {
    const bus = await open();
    const [t, dlq] = [topic(), topic()];
    let calls = 0;
    const errors: PitstopError[] = [];
    const loop = startConsumer({
      bus, topic: t, group: "g", consumer: "c", parse, deadLetterTopic: dlq, blockMs: 200, maxDeliveries: 2,
      onError: (err) => errors.push(err),
      handle: async () => {
        calls++;
        throw new Error("always broken");
      },
    });
    await bus.publish(t, { n: 3 });
    const [letter] = await deadLetters(bus, dlq, 1);
    await loop.stop();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(2);
    expect(letter).toMatchObject({ topic: t, group: "g", payload: { n: 3 }, deliveryCount: 2, error: { message: "always broken" } });
    expect(await bus.consume(t, "g", "other", { blockMs: VIS * 2 })).toEqual([]);
  }, 20_000);
}

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
