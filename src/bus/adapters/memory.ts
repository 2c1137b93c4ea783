import { ErrorCode, PitstopError, coerceError } from "../../core/errors.js";
import type { BusMessageStore } from "../../store/port.js";
import type { Bus, BusMessage, BusOptions, ConsumeOptions } from "../port.js";
import { serialisePayload } from "../payload.js";
import type { GroupState, LogEntry, Waiter } from "./memory-topic.js";
import { TopicLog } from "./memory-topic.js";

export interface MemoryBusOptions extends BusOptions {
  /** Makes the bus durable: messages, groups and acks are written here and restored on creation. */
  persistence?: BusMessageStore;
  /** Clock for publishedAt, ids and visibility (default Date.now). Timers still use real time. */
  now?: () => number;
}

const DEFAULT_COUNT = 10;

/**
 * The embedded bus: topics, consumer groups and pending entries in process memory, optionally
 * durable through a BusMessageStore.
 *
 * - A message becomes visible to consumers once `saveMessage` resolved, so an ack can never reach
 *   the store before its message.
 * - Blocked consumers wait in a per-group queue: a publish hands the message straight to the first
 *   waiter of each group, and a timer (armed only while someone waits) fires at the next visibility
 *   expiry. Nothing polls.
 * - Deleting fully-acked messages from the store is batched (one `deleteMessages` per tick): acks
 *   are saved before ack() resolves, and a restart sweeps messages every group acked, so a crash
 *   between the two loses nothing and redelivers nothing.
 * - After a restart restored messages count as never delivered: their next delivery has
 *   deliveryCount 1 (the store keeps no delivery counts).
 */
export async function createMemoryBus(options: MemoryBusOptions): Promise<Bus> {
  const now = options.now ?? Date.now;
  const visibilityMs = options.visibilityTimeoutMs;
  const store = options.persistence;
  const topics = new Map<string, TopicLog>();
  const creating = new Map<string, Promise<GroupState>>();
  const ids = createIdGenerator();
  const deletes = createDeleteQueue(store);
  let closed = false;

  if (store !== undefined) await restore(store, topics, ids, deletes);

  const topicOf = (name: string): TopicLog => {
    let topic = topics.get(name);
    if (topic === undefined) topics.set(name, (topic = new TopicLog(name)));
    return topic;
  };

  const assertOpen = (op: string): void => {
    if (closed) throw new PitstopError(ErrorCode.BUS_CLOSED, `memory bus: ${op} called after close()`);
  };

  /** Existing group, or a new one that becomes visible once persistence recorded it. */
  const groupOf = async (topic: TopicLog, name: string): Promise<GroupState> => {
    const existing = topic.groups.get(name);
    if (existing !== undefined) return existing;
    if (store === undefined) return topic.addGroup(name);
    const key = `${topic.name}\u0000${name}`;
    let pending = creating.get(key);
    if (pending === undefined) {
      pending = store
        .saveGroup(topic.name, name, now())
        .then(() => topic.groups.get(name) ?? topic.addGroup(name))
        .catch((e: unknown) => Promise.reject(coerceError(e)))
        .finally(() => creating.delete(key));
      creating.set(key, pending);
    }
    return pending;
  };

  /** Hands available messages to the group's waiters, oldest waiter first. */
  const serve = (topic: TopicLog, group: GroupState): void => {
    while (group.waiters.length > 0) {
      const waiter = group.waiters[0]!;
      const messages = topic.take(group, waiter.count, now(), visibilityMs);
      if (messages.length === 0) break;
      waiter.finish(messages);
    }
    armExpiry(topic, group);
  };

  /** A timer at the group's next visibility expiry, only while someone waits. */
  const armExpiry = (topic: TopicLog, group: GroupState): void => {
    const at = group.waiters.length > 0 && !closed ? topic.nextExpiry(group, visibilityMs) : undefined;
    if (at === group.timerAt) return;
    clearTimeout(group.timer);
    group.timer = undefined;
    group.timerAt = at;
    if (at === undefined) return;
    // +1: a timer may fire a little early, and an entry is visible only once its deadline passed.
    group.timer = setTimeout(() => {
      group.timer = undefined;
      group.timerAt = undefined;
      serve(topic, group);
    }, Math.max(0, at - now()) + 1);
  };

  const wait = (topic: TopicLog, group: GroupState, consumer: string, count: number, o: ConsumeOptions) =>
    new Promise<BusMessage[]>((resolve) => {
      let settled = false;
      const finish = (messages: BusMessage[]): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        o.signal?.removeEventListener("abort", onAbort);
        const i = group.waiters.indexOf(waiter);
        if (i >= 0) group.waiters.splice(i, 1);
        armExpiry(topic, group);
        resolve(messages);
      };
      const onAbort = (): void => finish([]);
      const waiter: Waiter = { consumer, count, finish };
      const timer = setTimeout(onAbort, o.blockMs);
      o.signal?.addEventListener("abort", onAbort, { once: true });
      group.waiters.push(waiter);
      armExpiry(topic, group);
    });

  return {
    name: "memory",

    async ensureGroup(topic, group) {
      assertOpen("ensureGroup");
      await groupOf(topicOf(topic), group);
    },

    async publish(topicName, payload) {
      assertOpen("publish");
      const text = serialisePayload(topicName, payload);
      const publishedAt = now();
      const id = ids.next(publishedAt);
      if (store !== undefined) {
        await store.saveMessage({ id, topic: topicName, payload: text, publishedAt }).catch((e: unknown) => {
          throw coerceError(e);
        });
      }
      const topic = topicOf(topicName);
      topic.append({ id, topic: topicName, text, publishedAt, acks: 0, deleted: false });
      for (const group of topic.groups.values()) if (group.waiters.length > 0) serve(topic, group);
      return id;
    },

    async consume(topicName, groupName, consumer, o = {}) {
      assertOpen("consume");
      const topic = topicOf(topicName);
      const group = await groupOf(topic, groupName);
      const count = Math.max(1, Math.floor(o.count ?? DEFAULT_COUNT));
      const messages = closed ? [] : topic.take(group, count, now(), visibilityMs);
      if (messages.length > 0 || closed || !(o.blockMs ?? 0) || o.signal?.aborted) return messages;
      return wait(topic, group, consumer, count, o);
    },

    async ack(topicName, groupName, messageIds) {
      assertOpen("ack");
      const topic = topics.get(topicName);
      const group = topic?.groups.get(groupName);
      if (topic === undefined || group === undefined || messageIds.length === 0) return;
      // Memory first: if saveAcks then fails, this process still treats them as acked and only a
      // restart redelivers them, which at-least-once allows.
      const { acked, removed } = topic.ack(group, messageIds);
      if (store === undefined || acked.length === 0) return;
      await store.saveAcks(topicName, groupName, acked).catch((e: unknown) => {
        throw coerceError(e);
      });
      deletes.add(removed);
    },

    async close() {
      if (closed) return deletes.drain();
      closed = true;
      for (const topic of topics.values()) {
        for (const group of topic.groups.values()) {
          for (const waiter of [...group.waiters]) waiter.finish([]);
          clearTimeout(group.timer);
          group.timer = undefined;
        }
      }
      await deletes.drain();
    },
  };
}

async function restore(
  store: BusMessageStore,
  topics: Map<string, TopicLog>,
  ids: IdGenerator,
  deletes: DeleteQueue,
): Promise<void> {
  const data = await store.loadAll().catch((e: unknown) => {
    throw coerceError(e);
  });
  const index = new Map<string, LogEntry>();
  const topicOf = (name: string): TopicLog => {
    let topic = topics.get(name);
    if (topic === undefined) topics.set(name, (topic = new TopicLog(name)));
    return topic;
  };
  for (const m of data.messages) {
    const entry: LogEntry = { id: m.id, topic: m.topic, text: m.payload, publishedAt: m.publishedAt, acks: 0, deleted: false };
    topicOf(m.topic).append(entry);
    index.set(m.id, entry);
    ids.observe(m.id);
  }
  for (const g of data.groups) {
    const topic = topicOf(g.topic);
    if (!topic.groups.has(g.group)) topic.addGroup(g.group);
  }
  for (const a of data.acks) {
    const entry = index.get(a.messageId);
    const topic = entry === undefined ? undefined : topics.get(entry.topic);
    const group = topic?.groups.get(a.group);
    // An ack of a group that no longer exists counts for nothing: that group cannot hold messages back.
    if (topic !== undefined && group !== undefined) topic.restoreAck(group, a.messageId, index);
  }
  for (const topic of topics.values()) deletes.add(topic.sweep());
}

interface IdGenerator {
  next(ms: number): string;
  /** Continues after an id restored from persistence. */
  observe(id: string): void;
}

/**
 * Ids like Redis stream ids, zero-padded so that string order is publish order:
 * `0001700000000000-000000`. The time part never goes back, even if the clock does.
 */
function createIdGenerator(): IdGenerator {
  let lastMs = -1;
  let seq = 0;
  return {
    next(ms) {
      if (ms > lastMs) {
        lastMs = ms;
        seq = 0;
      } else if (++seq > 999_999) {
        lastMs++;
        seq = 0;
      }
      return `${String(lastMs).padStart(16, "0")}-${String(seq).padStart(6, "0")}`;
    },
    observe(id) {
      const match = /^(\d+)-(\d+)$/.exec(id);
      if (match === null) return;
      const ms = Number(match[1]);
      const s = Number(match[2]);
      if (ms > lastMs || (ms === lastMs && s > seq)) [lastMs, seq] = [ms, s];
    },
  };
}

interface DeleteQueue {
  add(ids: readonly string[]): void;
  /** Resolves once every queued delete was attempted. */
  drain(): Promise<void>;
}

function createDeleteQueue(store: BusMessageStore | undefined): DeleteQueue {
  let batch: string[] = [];
  let scheduled = false;
  let running: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    scheduled = false;
    const ids = batch;
    batch = [];
    // A failed delete only leaves fully-acked messages behind; the sweep on the next start
    // removes them, so there is nothing to retry here.
    await store?.deleteMessages(ids).catch(() => undefined);
  };
  return {
    add(ids) {
      if (store === undefined || ids.length === 0) return;
      batch.push(...ids);
      if (scheduled) return;
      scheduled = true;
      running = running.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(flush);
    },
    drain: () => running,
  };
}
