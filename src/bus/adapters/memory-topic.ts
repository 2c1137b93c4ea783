import type { BusMessage } from "../port.js";
import { parsePayload } from "../payload.js";

/** One published message as the memory bus retains it. */
export interface LogEntry {
  readonly id: string;
  readonly topic: string;
  /** JSON text, parsed anew on every delivery so consumers never share a mutable payload. */
  readonly text: string;
  readonly publishedAt: number;
  /** How many groups of the topic acked it. */
  acks: number;
  /** Acked by every group: skipped by cursors, dropped when the head of the log reaches it. */
  deleted: boolean;
}

interface PendingEntry {
  readonly entry: LogEntry;
  readonly deliveredAt: number;
  readonly count: number;
}

/** A blocked `consume` call. `finish` is idempotent. */
export interface Waiter {
  readonly consumer: string;
  readonly count: number;
  finish(messages: BusMessage[]): void;
}

export interface GroupState {
  readonly name: string;
  /** Sequence number (position in the topic's log) of the next never-delivered entry. */
  cursor: number;
  /**
   * Delivered and unacked. A redelivery re-inserts its entry, so insertion order is delivery order
   * and the first entry is always the next to expire: the expiry scan stops at the first live one.
   */
  readonly pending: Map<string, PendingEntry>;
  /** Acked before a restart and not yet passed by the cursor: skipped, never delivered again. */
  readonly ackedAhead: Set<string>;
  readonly waiters: Waiter[];
  timer: NodeJS.Timeout | undefined;
  timerAt: number | undefined;
}

/** Compact once this many dead entries sit before the head (and they are at least half the log). */
const COMPACT_AFTER = 1024;

/**
 * The retained messages of one topic and the delivery state of its groups: an append-only array
 * with a moving head, so publish is a push and a group's cursor is a number, not a scan.
 */
export class TopicLog {
  readonly groups = new Map<string, GroupState>();
  private log: LogEntry[] = [];
  /** Index in `log` of the oldest retained entry. */
  private head = 0;
  /** Sequence number of `log[0]`. */
  private base = 0;

  constructor(readonly name: string) {}

  append(entry: LogEntry): void {
    this.log.push(entry);
  }

  /** New groups start at the oldest retained message (like `XGROUP CREATE … 0`). */
  addGroup(name: string): GroupState {
    const group: GroupState = {
      name,
      cursor: this.base + this.head,
      pending: new Map(),
      ackedAhead: new Set(),
      waiters: [],
      timer: undefined,
      timerAt: undefined,
    };
    this.groups.set(name, group);
    return group;
  }

  /** Up to `count` messages for `consumer`: expired pending entries first, then new ones. */
  take(group: GroupState, count: number, now: number, visibilityMs: number): BusMessage[] {
    const out: BusMessage[] = [];
    const expired: PendingEntry[] = [];
    for (const p of group.pending.values()) {
      if (expired.length >= count || p.deliveredAt + visibilityMs > now) break;
      expired.push(p);
    }
    // Re-inserted after the scan: inserting while iterating a Map would visit them again.
    for (const p of expired) {
      group.pending.delete(p.entry.id);
      group.pending.set(p.entry.id, { entry: p.entry, deliveredAt: now, count: p.count + 1 });
      out.push(toMessage(p.entry, p.count + 1));
    }
    let index = Math.max(group.cursor - this.base, this.head);
    while (out.length < count && index < this.log.length) {
      const entry = this.log[index++]!;
      if (entry.deleted || group.ackedAhead.delete(entry.id)) continue;
      group.pending.set(entry.id, { entry, deliveredAt: now, count: 1 });
      out.push(toMessage(entry, 1));
    }
    group.cursor = this.base + index;
    return out;
  }

  /**
   * Acks the pending ids of `group` (others are no-ops, as with XACK).
   * Returns the ids acked and the ids now acked by every group (to delete from persistence).
   */
  ack(group: GroupState, ids: readonly string[]): { acked: string[]; removed: string[] } {
    const acked: string[] = [];
    const removed: string[] = [];
    for (const id of ids) {
      const p = group.pending.get(id);
      if (p === undefined) continue;
      group.pending.delete(id);
      acked.push(id);
      if (++p.entry.acks >= this.groups.size) {
        p.entry.deleted = true;
        removed.push(id);
      }
    }
    if (removed.length > 0) this.advanceHead();
    return { acked, removed };
  }

  /** When the first pending entry of `group` becomes visible again, if any. */
  nextExpiry(group: GroupState, visibilityMs: number): number | undefined {
    for (const p of group.pending.values()) return p.deliveredAt + visibilityMs;
    return undefined;
  }

  /** Restores an ack loaded from persistence. False when the message is not retained here. */
  restoreAck(group: GroupState, id: string, index: ReadonlyMap<string, LogEntry>): boolean {
    const entry = index.get(id);
    if (entry === undefined || entry.topic !== this.name || group.ackedAhead.has(id)) return false;
    group.ackedAhead.add(id);
    entry.acks++;
    return true;
  }

  /** After a restore: marks entries every group acked as deleted and returns their ids. */
  sweep(): string[] {
    if (this.groups.size === 0) return [];
    const removed: string[] = [];
    for (let i = this.head; i < this.log.length; i++) {
      const entry = this.log[i]!;
      if (!entry.deleted && entry.acks >= this.groups.size) {
        entry.deleted = true;
        removed.push(entry.id);
        // Cursors skip deleted entries without looking at ackedAhead: forget them here.
        for (const group of this.groups.values()) group.ackedAhead.delete(entry.id);
      }
    }
    this.advanceHead();
    return removed;
  }

  private advanceHead(): void {
    while (this.head < this.log.length && this.log[this.head]!.deleted) this.head++;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.log.length) {
      this.log = this.log.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}

function toMessage(entry: LogEntry, deliveryCount: number): BusMessage {
  return {
    id: entry.id,
    topic: entry.topic,
    payload: parsePayload(entry.text),
    publishedAt: entry.publishedAt,
    deliveryCount,
  };
}
