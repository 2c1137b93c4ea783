import type { Environment } from "../../core/healing/environment.js";
import type { DetectorEvent } from "../../core/healing/heal-event.js";

export { DetectorKind, type DetectorEvent } from "../../core/healing/heal-event.js";

/**
 * Detectors only call `emit`, so they can be tested without a bus; the watch (create-target-watch.ts, app/run-watch.ts)
 * publishes what they emit on `heal.events` for the healer.
 */

export type EmitDetectorEvent = (event: DetectorEvent) => void;

/** Every detector is a long-lived component (DESIGN.md §7.4). */
export interface Detector {
  /** Starts polling; a second call does nothing. */
  start(): void;
  /** Stops polling and waits for a check in progress to end; idempotent. */
  stop(): Promise<void>;
  /**
   * Forgets the episodes in progress, so a condition that still holds at the next checks is
   * reported again (the watch calls it after a remediation, whose own blips it ignored).
   */
  rearm(): void;
}

/** Options every detector takes. */
export interface DetectorBase {
  environment: Environment;
  target: string;
  emit: EmitDetectorEvent;
  /** Aborting it stops the detector, as `stop()` does. */
  signal?: AbortSignal;
  /** Clock for `at` and sample times; default Date.now. */
  now?: () => number;
  /** A failed check or a throwing `emit`; the detector keeps running. Default: ignored. */
  onError?: (error: unknown) => void;
}
