/**
 * Bus port (DESIGN.md §3): topics, consumer groups, at-least-once delivery.
 *
 * - `publish` returns once the message is durable (memory bus: written to its BusMessageStore when
 *   it has one; Redis: XADD acknowledged).
 * - Within a group each message goes to one consumer. Every group sees every message published to
 *   its topic after the group was created, and the messages retained before (groups start at the
 *   oldest retained message, like `XGROUP CREATE … 0`).
 * - A delivered message that is not acked within the bus's visibility timeout is delivered again
 *   (to any consumer of the group) with `deliveryCount` + 1 (like XAUTOCLAIM).
 * - Ordering is not promised across redeliveries.
 * - After `close()`, every method rejects with a PitstopError of code BUS_CLOSED; `close()` itself
 *   is idempotent and wakes blocked `consume` calls, which resolve with [].
 */
export interface BusMessage {
  /** Unique per bus; opaque. */
  id: string;
  topic: string;
  /** The published value, after a JSON round trip. */
  payload: unknown;
  publishedAt: number;
  /** 1 on first delivery. */
  deliveryCount: number;
}

export interface ConsumeOptions {
  /** At most this many messages (default 10). */
  count?: number;
  /** Wait up to this long when nothing is available (default 0: return at once). */
  blockMs?: number;
  /** Aborting resolves a blocked consume with []. */
  signal?: AbortSignal;
}

export interface Bus {
  readonly name: string;
  /** Creates the group if missing. Idempotent. */
  ensureGroup(topic: string, group: string): Promise<void>;
  /** `payload` must be JSON-serialisable. Returns the message id. */
  publish(topic: string, payload: unknown): Promise<string>;
  /**
   * Returns messages for `consumer` in `group`: first messages whose visibility timeout expired
   * (redeliveries), then new ones. Creates the group if missing.
   */
  consume(topic: string, group: string, consumer: string, options?: ConsumeOptions): Promise<BusMessage[]>;
  /** Acks are idempotent; acking an unknown id is a no-op. */
  ack(topic: string, group: string, ids: readonly string[]): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

export interface BusOptions {
  /** How long a delivered, unacked message stays invisible to other consumers. */
  visibilityTimeoutMs: number;
}
