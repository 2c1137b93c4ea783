/**
 * What the healing loop's actuators change and must be able to undo: quarantined tests, the flake
 * history of tests rerun after failing, and detector thresholds. Part of the Store port (port.ts
 * re-exports everything here); same rules: timestamps are epoch ms given by the caller.
 *
 * A test is named by its test id (core/run/test-case.ts `testId`: `<suite> > <name>`).
 */

/** A test taken out of its job's pass/fail verdict: it still runs and is reported. */
export interface QuarantineRecord {
  testId: string;
  reason: string;
  /** `system` (the loop) or a user name. */
  by: string;
  /** The healing decision that quarantined it, when the loop did. */
  decisionId: string | null;
  createdAt: number;
  /** Quarantine is time-boxed: after this the test counts again. */
  expiresAt: number;
  releasedAt: number | null;
  releasedBy: string | null;
}

export interface NewQuarantine {
  testId: string;
  reason: string;
  by: string;
  decisionId: string | null;
  at: number;
  expiresAt: number;
}

/** How often a test that failed was rerun on the same commit, and how often it then passed. */
export interface FlakeHistory {
  testId: string;
  /** Reruns of the test after it failed. */
  runs: number;
  /** Reruns in which it passed: failed, then passed on the same code. */
  flakes: number;
  lastFlakeAt: number | null;
  updatedAt: number;
}

export interface RerunOutcome {
  testId: string;
  /** Whether the rerun passed (a flake) or failed again. */
  passed: boolean;
  at: number;
}

/** One change of a detector threshold; the current value is the newest change's `to`. */
export interface ThresholdChange {
  /** Assigned by the store, increasing in insertion order. */
  id: number;
  /** What the detector watches, as its events name it (e.g. `stage/dashboard-app`). */
  detector: string;
  /** The threshold's name, e.g. `latency_ms`. */
  key: string;
  /** The value before (null = the detector's default). */
  from: number | null;
  /** The value after (null = back to the default). */
  to: number | null;
  by: string;
  decisionId: string | null;
  reason: string;
  at: number;
}

export type NewThresholdChange = Omit<ThresholdChange, "id" | "from">;

export interface RemedyStore {
  /**
   * Quarantines a test until `expiresAt`. When the test is already in an active quarantine
   * (not released, not expired at `at`) that entry is kept and its `expiresAt` becomes the later
   * of the two; otherwise a new entry is made. Returns the active entry.
   */
  quarantineTest(q: NewQuarantine): Promise<QuarantineRecord>;
  /** Ends the test's active quarantine; null when it has none (never quarantined, released or expired). */
  releaseQuarantine(testId: string, release: { by: string; at: number }): Promise<QuarantineRecord | null>;
  /**
   * Entries newest first. With `activeAt`, only those not released and with `expiresAt > activeAt`
   * (the ones a test job honours at that moment).
   */
  listQuarantine(query?: { activeAt?: number; limit?: number }): Promise<QuarantineRecord[]>;

  /** Counts one rerun of a failed test (runs + 1, and flakes + 1 when it passed) and returns the history. */
  recordRerun(outcome: RerunOutcome): Promise<FlakeHistory>;
  /** Null for a test never rerun. */
  getFlakeHistory(testId: string): Promise<FlakeHistory | null>;
  /** Tests with at least one flake, most flakes first (then testId). */
  listFlakyTests(limit?: number): Promise<FlakeHistory[]>;

  /**
   * Records a threshold change; `from` is set by the store to the current value (the newest
   * change's `to`, or null). Returns the stored change. Bounds are the caller's job.
   */
  changeThreshold(change: NewThresholdChange): Promise<ThresholdChange>;
  /** The current value, or null when the detector uses its default. */
  getThreshold(detector: string, key: string): Promise<number | null>;
  /** Changes newest first; filters combine with AND. */
  listThresholdChanges(query?: { detector?: string; key?: string; limit?: number }): Promise<ThresholdChange[]>;
}
