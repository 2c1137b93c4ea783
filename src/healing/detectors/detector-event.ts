import type { Environment } from "../../core/healing/environment.js";

/**
 * What a Monitor-step detector saw. The loop turns it into an incident (Analyze) and publishes it
 * on the bus; detectors themselves only call `emit`, so they can be tested without a bus.
 */
export const DetectorKind = {
  crash: "crash",
  latency: "latency",
  overload: "overload",
  false_alarm: "false_alarm",
  data_anomaly: "data_anomaly",
  deploy_unhealthy: "deploy_unhealthy",
  flaky_test: "flaky_test",
} as const;
export type DetectorKind = (typeof DetectorKind)[keyof typeof DetectorKind];

export interface DetectorEvent {
  kind: DetectorKind;
  environment: Environment;
  /** What is in trouble: a URL, `<environment>/<app>`, a dataset directory… */
  target: string;
  /** Epoch ms when the detector decided (from its injected clock). */
  at: number;
  /** JSON-serialisable facts behind the decision: samples, pids, readings, findings. */
  evidence: Record<string, unknown>;
}

export type EmitDetectorEvent = (event: DetectorEvent) => void;

/** Every detector is a long-lived component (DESIGN.md §7.4). */
export interface Detector {
  /** Starts polling; a second call does nothing. */
  start(): void;
  /** Stops polling and waits for a check in progress to end; idempotent. */
  stop(): Promise<void>;
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
