import { describe, expect, it } from "vitest";
import { createMemoryBus } from "../../src/bus/adapters/memory.js";
import { CONFORMANCE_VISIBILITY_MS, defineBusConformance } from "../../src/bus/conformance.js";
import { ErrorCode } from "../../src/core/errors.js";
import type { PitstopError } from "../../src/core/errors.js";
import type { BusMessageStore, StoredBusMessage } from "../../src/store/port.js";

defineBusConformance("memory", () => createMemoryBus({ visibilityTimeoutMs: CONFORMANCE_VISIBILITY_MS }));
defineBusConformance("memory with persistence", () =>
  createMemoryBus({ visibilityTimeoutMs: CONFORMANCE_VISIBILITY_MS, persistence: createListStore() }),
);

/** A BusMessageStore over plain arrays, standing in for the SQL one; `failNext` injects a failure. */
function createListStore() {
  const messages: StoredBusMessage[] = [];
  const groups: Array<{ topic: string; group: string }> = [];
  const acks: Array<{ group: string; messageId: string }> = [];
  const failures = new Set<string>();
  const check = (op: string): void => {
    if (failures.delete(op)) throw new Error(`${op} failed on purpose`);
  };
  const store: BusMessageStore & { messages: typeof messages; acks: typeof acks; failNext(op: string): void } = {
    messages,
    acks,
    failNext: (op) => void failures.add(op),
    async saveMessage(m) {
      check("saveMessage");
      messages.push({ ...m });
    },
    async saveGroup(topic, group) {
      check("saveGroup");
      if (!groups.some((g) => g.topic === topic && g.group === group)) groups.push({ topic, group });
    },
    async saveAcks(_topic, group, ids) {
      check("saveAcks");
      for (const messageId of ids) if (!acks.some((a) => a.group === group && a.messageId === messageId)) acks.push({ group, messageId });
    },
    async deleteMessages(ids) {
      const gone = new Set(ids);
      for (let i = messages.length - 1; i >= 0; i--) if (gone.has(messages[i]!.id)) messages.splice(i, 1);
      for (let i = acks.length - 1; i >= 0; i--) if (gone.has(acks[i]!.messageId)) acks.splice(i, 1);
    },
    async loadAll() {
      const sorted = [...messages].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { messages: sorted.map((m) => ({ ...m })), groups: [...groups], acks: [...acks] };
    },
  };
  return store;
}

describe("memory bus", () => {
  it("issues ids that sort in publish order, even when the clock stands still or goes back", async () => {
    let clock = 1_000;
    const bus = await createMemoryBus({ visibilityTimeoutMs: 1000, now: () => clock });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await bus.publish("t", i));
    clock = 500;
    ids.push(await bus.publish("t", 5));
    clock = 2_000;
    ids.push(await bus.publish("t", 6));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    await bus.close();
  });

  it("restores exactly the unacked messages from persistence, per group", async () => {
    const store = createListStore();
    const first = await createMemoryBus({ visibilityTimeoutMs: 60_000, persistence: store });
    await first.ensureGroup("jobs", "a");
    await first.ensureGroup("jobs", "b");
    for (let i = 0; i < 4; i++) await first.publish("jobs", i);
    await first.publish("orphan", "no group yet");
    const a = await first.consume("jobs", "a", "c");
    await first.ack("jobs", "a", a.slice(0, 3).map((m) => m.id)); // a acks 0,1,2
    const b = await first.consume("jobs", "b", "c", { count: 2 });
    await first.ack("jobs", "b", b.map((m) => m.id)); // b acks 0,1 → 0 and 1 are done
    await first.close();
    expect(store.messages.map((m) => m.payload)).toEqual(["2", "3", '"no group yet"']);

    // The first bus is gone without acking the rest: a restart must redeliver them, not before.
    const second = await createMemoryBus({ visibilityTimeoutMs: 60_000, persistence: store });
    const a2 = await second.consume("jobs", "a", "c");
    const b2 = await second.consume("jobs", "b", "c");
    expect(a2.map((m) => [m.payload, m.deliveryCount])).toEqual([[3, 1]]);
    expect(b2.map((m) => m.payload)).toEqual([2, 3]);
    expect((await second.consume("orphan", "late", "c")).map((m) => m.payload)).toEqual(["no group yet"]);
    const next = await second.publish("jobs", 4);
    expect(next > b2[1]!.id).toBe(true); // ids continue after the restored ones
    await second.ack("jobs", "a", a2.map((m) => m.id));
    await second.ack("jobs", "b", b2.map((m) => m.id));
    await second.close();
    expect(store.messages.map((m) => m.payload)).toEqual(['"no group yet"', "4"]);
    expect(store.acks).toEqual([]); // acks of deleted messages go with them
  });

  it("sweeps messages every group acked when a crash came between ack and delete", async () => {
    const store = createListStore();
    const first = await createMemoryBus({ visibilityTimeoutMs: 60_000, persistence: store });
    await first.publish("t", "x");
    const [m] = await first.consume("t", "g", "c");
    // Simulates the crash: the ack is recorded but the message was never deleted.
    await store.saveAcks("t", "g", [m!.id]);
    const second = await createMemoryBus({ visibilityTimeoutMs: 60_000, persistence: store });
    expect(await second.consume("t", "g", "c")).toEqual([]);
    await second.close();
    expect(store.messages).toEqual([]);
    await first.close();
  });

  it("rejects a publish whose message could not be saved, and delivers nothing for it", async () => {
    const store = createListStore();
    const bus = await createMemoryBus({ visibilityTimeoutMs: 60_000, persistence: store });
    store.failNext("saveMessage");
    const err = await bus.publish("t", 1).then(() => undefined, (e: unknown) => e as PitstopError);
    expect(err?.code).toBe(ErrorCode.INTERNAL);
    expect(err?.message).toContain("saveMessage failed on purpose");
    expect(await bus.consume("t", "g", "c")).toEqual([]);
    await bus.close();
  });

  it("does not create a group whose save failed, and creates it on the next try", async () => {
    const store = createListStore();
    const bus = await createMemoryBus({ visibilityTimeoutMs: 60_000, persistence: store });
    await bus.publish("t", 1);
    store.failNext("saveGroup");
    await expect(bus.ensureGroup("t", "g")).rejects.toThrow("saveGroup failed on purpose");
    expect((await bus.consume("t", "g", "c")).map((m) => m.payload)).toEqual([1]);
    await bus.close();
  });

  it("hands one published message to one waiter per group", async () => {
    const bus = await createMemoryBus({ visibilityTimeoutMs: 60_000 });
    const waiting = [
      bus.consume("t", "g", "c1", { blockMs: 500 }),
      bus.consume("t", "g", "c2", { blockMs: 500 }),
      bus.consume("t", "other", "c3", { blockMs: 500 }),
    ];
    await new Promise((r) => setTimeout(r, 20));
    await bus.publish("t", "only one");
    const [c1, c2, c3] = await Promise.all(waiting);
    expect([...c1!, ...c2!].map((m) => m.payload)).toEqual(["only one"]);
    expect(c3!.map((m) => m.payload)).toEqual(["only one"]);
    await bus.close();
  });

  it("drops fully-acked messages from the log, across compactions", async () => {
    const bus = await createMemoryBus({ visibilityTimeoutMs: 60_000 });
    await bus.ensureGroup("t", "g");
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 100; i++) await bus.publish("t", { round, i });
      const got = await bus.consume("t", "g", "c", { count: 1000 });
      expect(got).toHaveLength(100);
      await bus.ack("t", "g", got.map((m) => m.id));
    }
    // A group created now starts at the oldest retained message: there is none.
    expect(await bus.consume("t", "late", "c")).toEqual([]);
    await bus.close();
  });
});
