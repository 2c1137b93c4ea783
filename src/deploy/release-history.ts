import type { ReleaseInfo, ReleaseStatus } from "./port.js";

/**
 * The release bookkeeping every target shares, pure (no I/O): which release is live, which one a
 * rollback returns to, which ones failed. Statuses are derived from `served`, a stack of the
 * releases that went live (top = live), so they can never contradict each other:
 * - deploy of X succeeds → X is pushed: X live, the former live becomes previous;
 * - rollback → the top is popped: the former previous is live, the one below it previous, and the
 *   release rolled back from is retired (a second rollback walks further back, never forth);
 * - a release that never became healthy is failed.
 */
export interface ReleaseRecord {
  id: string;
  createdAt: number;
  /** Passed its health check when deployed. */
  healthy: boolean;
  error: string | null;
}

export interface ReleaseHistory {
  releases: ReleaseRecord[];
  /** Ids that went live, oldest first; the last one is live. */
  served: string[];
}

export const emptyHistory = (): ReleaseHistory => ({ releases: [], served: [] });

/** Ids safe as directory names and in URLs/env vars. */
export const RELEASE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function releaseStatus(h: ReleaseHistory, id: string): ReleaseStatus {
  const n = h.served.length;
  if (n > 0 && h.served[n - 1] === id) return "live";
  if (n > 1 && h.served[n - 2] === id) return "previous";
  const rec = h.releases.find((r) => r.id === id);
  return rec && !rec.healthy ? "failed" : "retired";
}

export function liveRelease(h: ReleaseHistory): ReleaseRecord | null {
  const id = h.served.at(-1);
  return id === undefined ? null : (h.releases.find((r) => r.id === id) ?? null);
}

export function rollbackTarget(h: ReleaseHistory): ReleaseRecord | null {
  const id = h.served.at(-2);
  return id === undefined ? null : (h.releases.find((r) => r.id === id) ?? null);
}

/** Whether `id` may be deployed: unknown ids and failed/retired ones (replaced) may; live and previous may not. */
export function canDeploy(h: ReleaseHistory, id: string): boolean {
  if (!h.releases.some((r) => r.id === id)) return true;
  const s = releaseStatus(h, id);
  return s === "failed" || s === "retired";
}

/** Records a new release attempt (replacing a failed/retired one of the same id). */
export function addRelease(h: ReleaseHistory, rec: ReleaseRecord): ReleaseHistory {
  return { releases: [...h.releases.filter((r) => r.id !== rec.id), rec], served: h.served.filter((s) => s !== rec.id) };
}

export function markFailed(h: ReleaseHistory, id: string, error: string): ReleaseHistory {
  return { ...h, releases: h.releases.map((r) => (r.id === id ? { ...r, healthy: false, error } : r)) };
}

/** `id` passed its health check and now serves. */
export function promote(h: ReleaseHistory, id: string): ReleaseHistory {
  return {
    releases: h.releases.map((r) => (r.id === id ? { ...r, healthy: true, error: null } : r)),
    served: [...h.served.filter((s) => s !== id), id],
  };
}

/** The rollback target now serves; the release rolled back from is retired. */
export function popLive(h: ReleaseHistory): ReleaseHistory {
  return { ...h, served: h.served.slice(0, -1) };
}

export function listReleases(h: ReleaseHistory): ReleaseInfo[] {
  return [...h.releases]
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((r) => ({ id: r.id, createdAt: r.createdAt, status: releaseStatus(h, r.id), healthy: r.healthy, error: r.error }));
}

/**
 * Forgets all but the newest `keep` releases, never the live one or the rollback target.
 * Returns the new history and the ids dropped (whose files the caller deletes).
 */
export function prune(h: ReleaseHistory, keep: number): { history: ReleaseHistory; dropped: string[] } {
  const protectedIds = new Set(h.served.slice(-2));
  const newestFirst = [...h.releases].sort((a, b) => b.createdAt - a.createdAt);
  const kept = new Set(newestFirst.slice(0, keep).map((r) => r.id));
  const dropped = newestFirst.filter((r) => !kept.has(r.id) && !protectedIds.has(r.id)).map((r) => r.id);
  const gone = new Set(dropped);
  return {
    history: { releases: h.releases.filter((r) => !gone.has(r.id)), served: h.served.filter((s) => !gone.has(s)) },
    dropped,
  };
}
