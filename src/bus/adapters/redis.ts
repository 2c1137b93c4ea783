import { Redis } from "ioredis";
import { ErrorCode, PitstopError, coerceError } from "../../core/errors.js";
import type { Bus, BusMessage, BusOptions, ConsumeOptions } from "../port.js";
import { parsePayload, serialisePayload } from "../payload.js";
import { defineBusScripts } from "./redis-scripts.js";

export interface RedisBusOptions extends BusOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** Namespaces every key: the stream of topic `t` is `${prefix}${t}` (default "pitstop:bus:"). */
  prefix?: string;
  /** Trim a topic's stream at most this often, on ack (default 1000 ms; 0: on every ack). */
  trimIntervalMs?: number;
}

const DEFAULT_COUNT = 10;
/** Idle blocking connections kept for reuse; more are opened on demand and closed after use. */
const MAX_IDLE_BLOCKERS = 8;
/** Fail an unreachable Redis within ~2 s instead of retrying forever. */
const CONNECT_TIMEOUT_MS = 2000;

const STREAM_ID = /^\d+-\d+$/;

type RawEntry = [string, string[] | null];
type RawRead = Array<[string, RawEntry[]]> | null;

/**
 * The bus on Redis Streams: one stream per topic, field `p` holding the JSON payload.
 *
 * - Redelivery is XAUTOCLAIM with min-idle = visibilityTimeoutMs, run before a read (at most every
 *   quarter visibility timeout per group, so an expired entry may wait that much longer). A blocking
 *   XREADGROUP only wakes for new entries, so a long block is cut into slices of at most the
 *   visibility timeout and expired entries are claimed between slices: an expired entry reaches a
 *   blocked consumer about one visibility timeout late at most.
 * - Each concurrent blocking read holds its own connection (a blocked connection can send nothing
 *   else), taken from a small pool of `duplicate()`s. Aborting a read disconnects its connection;
 *   if entries were already on their way they stay pending and are redelivered after the timeout.
 * - Retention: on ack (at most every `trimIntervalMs` per topic) the stream is trimmed below the
 *   oldest entry some group still needs (XTRIM MINID), so messages live until every group acked
 *   them, like the memory bus. A stream without groups is never trimmed.
 */
export async function createRedisBus(options: RedisBusOptions): Promise<Bus> {
  const where = describeUrl(options.url);
  const prefix = options.prefix ?? "pitstop:bus:";
  const trimIntervalMs = options.trimIntervalMs ?? 1000;
  const visibilityMs = Math.max(1, Math.round(options.visibilityTimeoutMs));
  let lastError: Error | undefined;
  const main = defineBusScripts(
    new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 2,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    }),
  );
  // Without a listener ioredis reports every failed reconnect as an unhandled 'error' event;
  // commands reject on their own, and the last error is kept for the message.
  main.on("error", (e: Error) => (lastError = e));
  try {
    await main.connect();
  } catch (e) {
    main.disconnect();
    throw unavailable(where, "connect", lastError ?? coerceError(e), true);
  }

  const knownGroups = new Set<string>();
  const lastTrim = new Map<string, number>();
  const nextClaim = new Map<string, number>();
  const claimEveryMs = Math.floor(visibilityMs / 4);
  const pool = createBlockerPool(main);
  let closed = false;

  const keyOf = (topic: string): string => prefix + topic;
  const closedError = (op: string): PitstopError =>
    new PitstopError(ErrorCode.BUS_CLOSED, `redis bus (${where.hostPort}): ${op} called after close()`);
  const failure = (op: string, e: unknown): PitstopError => {
    if (closed) return closedError(op);
    const err = coerceError(e);
    return err.code === ErrorCode.INTERNAL ? unavailable(where, op, e, true) : err;
  };

  const ensureGroup = async (topic: string, group: string): Promise<void> => {
    try {
      await main.xgroup("CREATE", keyOf(topic), group, "0", "MKSTREAM");
    } catch (e) {
      if (!coerceError(e).message.startsWith("BUSYGROUP")) throw e;
    }
    knownGroups.add(`${topic}\u0000${group}`);
  };

  /**
   * Expired entries, checked at most every quarter visibility timeout per group (one round trip
   * fewer per consume on a busy topic, ~0.2 ms here), unless the last check filled a whole batch.
   */
  const claim = async (topic: string, group: string, consumer: string, count: number): Promise<BusMessage[]> => {
    const slot = `${topic}\u0000${group}`;
    const now = Date.now();
    if (now < (nextClaim.get(slot) ?? 0)) return [];
    const claimed = await main.pitstopBusClaim(keyOf(topic), group, consumer, visibilityMs, count);
    nextClaim.set(slot, claimed.length >= count ? 0 : now + claimEveryMs);
    return claimed.flatMap((c) => toMessages(topic, [[c[0], c[1]]], c[2]));
  };

  const readOnce = async (topic: string, group: string, consumer: string, count: number, o: ConsumeOptions, deadline: number) => {
    const key = keyOf(topic);
    const messages = await claim(topic, group, consumer, count);
    const rest = count - messages.length;
    if (rest === 0) return messages;
    const remaining = deadline - Date.now();
    const blockMs = messages.length > 0 || o.signal?.aborted ? 0 : Math.ceil(Math.min(remaining, visibilityMs));
    const raw =
      blockMs <= 0
        ? await main.xreadgroup("GROUP", group, consumer, "COUNT", rest, "STREAMS", key, ">")
        : await pool.read(o.signal, ["GROUP", group, consumer, "COUNT", rest, "BLOCK", blockMs, "STREAMS", key, ">"]);
    return messages.concat(toMessages(topic, (raw as RawRead)?.[0]?.[1] ?? [], 1));
  };

  const consume = async (topic: string, group: string, consumer: string, o: ConsumeOptions): Promise<BusMessage[]> => {
    const count = Math.max(1, Math.floor(o.count ?? DEFAULT_COUNT));
    const deadline = Date.now() + (o.blockMs ?? 0);
    if (!knownGroups.has(`${topic}\u0000${group}`)) await ensureGroup(topic, group);
    for (;;) {
      const messages = await readOnce(topic, group, consumer, count, o, deadline);
      if (messages.length > 0 || closed || o.signal?.aborted || Date.now() >= deadline) return messages;
    }
  };

  const maybeTrim = async (topic: string): Promise<void> => {
    const now = Date.now();
    if (now - (lastTrim.get(topic) ?? 0) < trimIntervalMs) return;
    lastTrim.set(topic, now);
    // Best effort: a failed trim only keeps acked entries a little longer.
    await main.pitstopBusTrim(keyOf(topic)).catch(() => undefined);
  };

  return {
    name: "redis",

    async ensureGroup(topic, group) {
      if (closed) throw closedError("ensureGroup");
      await ensureGroup(topic, group).catch((e: unknown) => Promise.reject(failure("ensureGroup", e)));
    },

    async publish(topic, payload) {
      if (closed) throw closedError("publish");
      const text = serialisePayload(topic, payload);
      try {
        return (await main.xadd(keyOf(topic), "*", "p", text)) as string;
      } catch (e) {
        throw failure("publish", e);
      }
    },

    async consume(topic, group, consumer, o = {}) {
      if (closed) throw closedError("consume");
      try {
        return await consume(topic, group, consumer, o);
      } catch (e) {
        if (closed) return [];
        // The stream or group was deleted behind our back (e.g. FLUSHDB): recreate it once.
        if (!coerceError(e).message.startsWith("NOGROUP")) throw failure("consume", e);
        knownGroups.delete(`${topic}\u0000${group}`);
        return consume(topic, group, consumer, o).catch((e2: unknown) => (closed ? [] : Promise.reject(failure("consume", e2))));
      }
    },

    async ack(topic, group, ids) {
      if (closed) throw closedError("ack");
      // Anything that is not a stream id cannot be pending, and XACK would reject the whole call.
      const valid = ids.filter((id) => STREAM_ID.test(id));
      if (valid.length === 0) return;
      try {
        await main.xack(keyOf(topic), group, ...valid);
      } catch (e) {
        throw failure("ack", e);
      }
      await maybeTrim(topic);
    },

    async close() {
      if (closed) return;
      closed = true;
      pool.close();
      await main.quit().catch(() => main.disconnect());
    },
  };
}

interface BlockerPool {
  /** A blocking XREADGROUP on a connection of its own; null when it timed out or was aborted. */
  read(signal: AbortSignal | undefined, args: Array<string | number>): Promise<unknown>;
  /** Disconnects every connection, which rejects the reads in flight. */
  close(): void;
}

function createBlockerPool(main: Redis): BlockerPool {
  const idle: Redis[] = [];
  const all = new Set<Redis>();
  let closed = false;

  const acquire = async (): Promise<Redis> => {
    const reused = idle.pop();
    if (reused !== undefined) return reused;
    const conn = main.duplicate();
    conn.on("error", () => undefined); // reported through the command that fails
    all.add(conn);
    try {
      await conn.connect();
    } catch (e) {
      all.delete(conn);
      conn.disconnect();
      throw e;
    }
    return conn;
  };

  const release = (conn: Redis, reusable: boolean): void => {
    if (!closed && reusable && idle.length < MAX_IDLE_BLOCKERS && conn.status === "ready") {
      idle.push(conn);
      return;
    }
    all.delete(conn);
    conn.disconnect();
  };

  return {
    async read(signal, args) {
      if (closed) return null;
      const conn = await acquire();
      let aborted = false;
      const onAbort = (): void => {
        aborted = true;
        conn.disconnect();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        if (signal?.aborted || closed) return null;
        return await conn.call("XREADGROUP", ...args);
      } catch (e) {
        if (aborted || closed) return null;
        throw e;
      } finally {
        signal?.removeEventListener("abort", onAbort);
        release(conn, !aborted);
      }
    },
    close() {
      closed = true;
      for (const conn of all) conn.disconnect();
      all.clear();
      idle.length = 0;
    },
  };
}

function toMessages(topic: string, entries: RawEntry[], deliveryCount: number): BusMessage[] {
  const out: BusMessage[] = [];
  for (const [id, fields] of entries) {
    // A null field list is an entry deleted while pending: nothing left to deliver.
    if (fields === null) continue;
    const at = fields.indexOf("p");
    const text = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
    out.push({
      id,
      topic,
      payload: text === undefined ? null : parsePayload(text),
      publishedAt: Number(id.slice(0, id.indexOf("-"))),
      deliveryCount,
    });
  }
  return out;
}

interface Where {
  hostPort: string;
  host: string;
  port: string;
}

function describeUrl(url: string): Where {
  try {
    const u = new URL(url);
    const host = u.hostname || "127.0.0.1";
    const port = u.port || "6379";
    return { hostPort: `${host}:${port}`, host, port };
  } catch (e) {
    throw new PitstopError(
      ErrorCode.BUS_UNAVAILABLE,
      `invalid Redis URL for the bus: expected redis://host:port, got "${url.replace(/\/\/[^@]*@/, "//***@")}"`,
      { cause: e },
    );
  }
}

function unavailable(where: Where, op: string, cause: unknown, retryable: boolean): PitstopError {
  const reason = coerceError(cause).message;
  return new PitstopError(
    ErrorCode.BUS_UNAVAILABLE,
    `Redis bus at ${where.hostPort}: ${op} failed (${reason}). ` +
      `Check that Redis is running and reachable (redis-cli -h ${where.host} -p ${where.port} ping), ` +
      "or point the bus at another URL.",
    { retryable, cause, details: { host: where.host, port: where.port, op } },
  );
}
