import { setTimeout as sleep } from "node:timers/promises";
import type { Detector } from "./detector-event.js";

export interface PollLoopOptions {
  intervalMs: number;
  /** One check; `signal` aborts when the loop stops, so a probe in flight ends at once. */
  tick: (signal: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  onError?: (error: unknown) => void;
}

/**
 * Runs `tick` now and then every `intervalMs` after the previous tick ended (never overlapping, so
 * a slow probe cannot pile up more probes). Shared by the detectors.
 */
export function createPollLoop(opts: PollLoopOptions): Omit<Detector, "rearm"> {
  const controller = new AbortController();
  let running: Promise<void> | null = null;
  const onAbort = (): void => controller.abort();

  async function loop(): Promise<void> {
    const { signal } = controller;
    while (!signal.aborted) {
      try {
        await opts.tick(signal);
      } catch (e) {
        if (!signal.aborted) opts.onError?.(e);
      }
      await sleep(opts.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  return {
    start() {
      if (running !== null || controller.signal.aborted) return;
      if (opts.signal?.aborted) return;
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      running = loop();
    },
    async stop() {
      controller.abort();
      opts.signal?.removeEventListener("abort", onAbort);
      await running;
    },
  };
}

/**
 * A threshold that may change while a detector runs (adjust_threshold, `pitstop thresholds set`):
 * `read()`'s value, else `configured` when nothing is stored; a failed read goes to `onError` and
 * the last value stays in force, so checking goes on.
 */
export async function liveThreshold<T extends number | undefined>(read: (() => Promise<number | null>) | undefined, configured: T, last: T | number, onError?: (error: unknown) => void): Promise<T | number> {
  if (read === undefined) return configured;
  try {
    return (await read()) ?? configured;
  } catch (e) {
    onError?.(e);
    return last;
  }
}

/** Calls `emit`, reporting instead of propagating a listener error (graphile's safeEmit). */
export function safeEmit<T>(emit: (event: T) => void, event: T, onError?: (error: unknown) => void): void {
  try {
    emit(event);
  } catch (e) {
    onError?.(e);
  }
}
