import { ErrorCode, coerceError, isPitstopError } from "../core/errors.js";
import type { PitstopError } from "../core/errors.js";
import type { Bus, BusMessage } from "./port.js";

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ConsumerOptions<T> {
  bus: Bus;
  topic: string;
  group: string;
  consumer: string;
  /** Validates a payload; must not throw (a throw counts as an invalid payload). */
  parse: (payload: unknown) => ParseResult<T>;
  handle: (value: T, msg: BusMessage) => Promise<void>;
  /** Called when `handle` throws (every time, including the delivery that dead-letters). */
  onError?: (err: PitstopError, msg: BusMessage) => void;
  /** Called when the bus itself fails (consume, ack or dead-letter publish); the loop backs off. */
  onBusError?: (err: PitstopError) => void;
  /** Default "deadletter". */
  deadLetterTopic?: string;
  /** Dead-letter a message whose handler failed on this delivery or later (default 5). */
  maxDeliveries?: number;
  /** Default 1000 ms: how long one consume call waits; bounds nothing else (stop aborts it). */
  blockMs?: number;
  /** Messages per consume call (default 10). */
  batch?: number;
  signal?: AbortSignal;
}

/** What lands on the dead-letter topic. */
export interface DeadLetter {
  reason: string;
  topic: string;
  group: string;
  messageId: string;
  deliveryCount: number;
  payload: unknown;
  error?: { code: string; message: string };
}

export interface RunningConsumer {
  /** Idempotent; resolves once the loop exited (the message in hand is finished first). */
  stop(): Promise<void>;
  /** Resolves when the loop exits (stop, abort, or the bus closed). Never rejects. */
  done: Promise<void>;
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

/**
 * Consume → parse → handle → ack, until stopped. Messages are handled one at a time, in the
 * order consumed, and each is acked as soon as it is done.
 * - Invalid payload: dead-lettered with the parser's reason, then acked.
 * - Handler throws: `onError`, no ack, so the bus redelivers it after its visibility timeout;
 *   from delivery `maxDeliveries` on, it is dead-lettered with the error and acked instead.
 * - A message delivered more than `maxDeliveries` times is dead-lettered without being handled:
 *   earlier deliveries neither acked nor failed, so its handler keeps crashing or hanging.
 * - Bus errors back off (100 ms doubling to 5 s) and continue; BUS_CLOSED or abort ends the loop.
 */
export function startConsumer<T>(options: ConsumerOptions<T>): RunningConsumer {
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = (): void => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener("abort", onOuterAbort, { once: true });
  const done = runLoop(options, controller.signal).finally(() => outer?.removeEventListener("abort", onOuterAbort));
  return {
    async stop() {
      controller.abort();
      await done;
    },
    done,
  };
}

async function runLoop<T>(o: ConsumerOptions<T>, signal: AbortSignal): Promise<void> {
  let backoff = 0;
  const busFailed = async (e: unknown): Promise<boolean> => {
    const err = coerceError(e);
    if (isPitstopError(err, ErrorCode.BUS_CLOSED)) return false;
    safeCall(() => o.onBusError?.(err));
    backoff = Math.min(Math.max(backoff * 2, BACKOFF_MIN_MS), BACKOFF_MAX_MS);
    await pause(backoff, signal);
    return true;
  };
  while (!signal.aborted) {
    let batch: BusMessage[];
    try {
      batch = await o.bus.consume(o.topic, o.group, o.consumer, { count: o.batch ?? 10, blockMs: o.blockMs ?? 1000, signal });
    } catch (e) {
      if (!(await busFailed(e))) return;
      continue;
    }
    for (const msg of batch) {
      if (signal.aborted) return; // the rest stays pending and is redelivered to another consumer
      try {
        await processMessage(o, msg);
        backoff = 0;
      } catch (e) {
        if (!(await busFailed(e))) return;
        break; // what is left of the batch is redelivered after the visibility timeout
      }
    }
  }
}

/** Throws only bus errors (ack, dead-letter publish). */
async function processMessage<T>(o: ConsumerOptions<T>, msg: BusMessage): Promise<void> {
  const maxDeliveries = o.maxDeliveries ?? 5;
  const parsed = safeParse(o.parse, msg.payload);
  if (!parsed.ok) {
    await deadLetter(o, msg, `invalid payload: ${parsed.reason}`);
    return o.bus.ack(o.topic, o.group, [msg.id]);
  }
  if (msg.deliveryCount > maxDeliveries) {
    const reason = `delivered ${msg.deliveryCount} times without being acked (limit ${maxDeliveries}): the handler crashed or outlived the visibility timeout`;
    await deadLetter(o, msg, reason);
    return o.bus.ack(o.topic, o.group, [msg.id]);
  }
  try {
    await o.handle(parsed.value, msg);
  } catch (e) {
    const err = coerceError(e);
    safeCall(() => o.onError?.(err, msg));
    if (msg.deliveryCount < maxDeliveries) return;
    await deadLetter(o, msg, `handler failed on delivery ${msg.deliveryCount} of ${maxDeliveries}: ${err.message}`, err);
  }
  await o.bus.ack(o.topic, o.group, [msg.id]);
}

async function deadLetter<T>(o: ConsumerOptions<T>, msg: BusMessage, reason: string, err?: PitstopError): Promise<void> {
  const letter: DeadLetter = {
    reason,
    topic: o.topic,
    group: o.group,
    messageId: msg.id,
    deliveryCount: msg.deliveryCount,
    payload: msg.payload,
    ...(err === undefined ? {} : { error: { code: err.code, message: err.message } }),
  };
  await o.bus.publish(o.deadLetterTopic ?? "deadletter", letter);
}

function safeParse<T>(parse: (payload: unknown) => ParseResult<T>, payload: unknown): ParseResult<T> {
  try {
    return parse(payload);
  } catch (e) {
    return { ok: false, reason: `parser threw: ${coerceError(e).message}` };
  }
}

/** Listener errors must not kill the loop they report on. */
function safeCall(fn: () => void): void {
  try {
    fn();
  } catch {
    // deliberately ignored: a broken error listener has nowhere better to report to
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener("abort", finish, { once: true });
  });
}
