/**
 * The audit log's record format (DESIGN.md §6, issue 4 §7): an append-only hash chain in which
 * every record carries the hash of the one before it. This module is pure: it defines the record,
 * the event catalog and the canonical serialisation that is hashed; the hashing itself (sha256)
 * happens in the shell (`src/healing/audit/`), which has node:crypto.
 */

/**
 * What can be audited: the seed design's proof events first, then the healing loop's own steps.
 * A new type is added here (and to docs/audit.md); records of other types are refused on append.
 */
export const AuditEventType = {
  /** A runtime event was observed or emitted (deploy, scale, probe result). */
  RUNTIME_EMIT: "RUNTIME_EMIT",
  /** A detector opened an incident (failed job, unhealthy deploy, data-quality finding…). */
  INCIDENT_OPENED: "INCIDENT_OPENED",
  /** The policy chose an action, with its explanation (candidates, masked actions, explore/exploit). */
  RL_DECISION: "RL_DECISION",
  /** A risky action waits for a human approval. */
  APPROVAL_REQUESTED: "APPROVAL_REQUESTED",
  /** Someone other than the requester approved it. */
  APPROVAL_GRANTED: "APPROVAL_GRANTED",
  /** An actuator executed the chosen action. */
  ORCH_EXEC: "ORCH_EXEC",
  /** The orchestrator refused to execute (budget spent, cooldown, breaker open, not permitted here). */
  ORCH_REFUSE: "ORCH_REFUSE",
  /** A globally blocked destructive action (drop data, arbitrary shell…) was asked for and refused. */
  UNSAFE_ACTION_REFUSED: "UNSAFE_ACTION_REFUSED",
  /** Verification ended: healed, failed or inconclusive. */
  ACTION_VERIFIED: "ACTION_VERIFIED",
  /** The target is stable again (the seeds' closing proof event). */
  SYSTEM_STABLE: "SYSTEM_STABLE",
  /** A human accepted or rejected a decision. */
  FEEDBACK: "FEEDBACK",
  /** The global circuit breaker opened: no more automatic actions until a manual reset. */
  BREAKER_TRIPPED: "BREAKER_TRIPPED",
  /** Someone reset the circuit breaker. */
  BREAKER_RESET: "BREAKER_RESET",
  /** A person quarantined a test by hand (`pitstop quarantine add`); the loop's own is an ORCH_EXEC. */
  QUARANTINE_ADDED: "QUARANTINE_ADDED",
  /** A person ended a test's quarantine before it expired (`pitstop quarantine release`). */
  QUARANTINE_RELEASED: "QUARANTINE_RELEASED",
  /** A person set a detector threshold (`pitstop thresholds set`); the loop's own is an ORCH_EXEC. */
  THRESHOLD_SET: "THRESHOLD_SET",
  /** A person undid a detector threshold's last change (`pitstop thresholds revert`). */
  THRESHOLD_REVERTED: "THRESHOLD_REVERTED",
} as const;
export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];

const EVENT_TYPES: ReadonlySet<string> = new Set(Object.values(AuditEventType));

export function isAuditEventType(value: unknown): value is AuditEventType {
  return typeof value === "string" && EVENT_TYPES.has(value);
}

/** Who acted: pitstop itself, a person, or an agent/worker. */
export type AuditActor = "system" | `user:${string}` | `agent:${string}`;

// A name is 1–200 characters without control characters, so a record always prints on one line.
const ACTOR = /^(?:system|(?:user|agent):\P{Cc}{1,200})$/u;

export function isAuditActor(value: unknown): value is AuditActor {
  return typeof value === "string" && ACTOR.test(value);
}

/**
 * What the record is about, as string ids: `runId`, `jobId`, `incidentId`, `decisionId`, `env`,
 * `target`, `app`… Any non-empty key is accepted so later steps can add their own.
 */
export type AuditSubject = Readonly<Record<string, string>>;

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type AuditData = { readonly [key: string]: JsonValue };

/** The previous hash of the first record: 64 zeros. */
export const GENESIS_HASH = "0".repeat(64);

/** One link of the chain, as appended. */
export interface AuditRecord {
  /** 1, 2, 3… without gaps, assigned under the store's chain lock. */
  seq: number;
  /** Epoch ms when the record was appended. */
  at: number;
  type: AuditEventType;
  actor: AuditActor;
  subject: AuditSubject;
  data: AuditData;
  /** `hash` of record seq − 1, or GENESIS_HASH for seq 1. */
  prevHash: string;
  /** sha256 (hex) of `auditHashInput(record)`. */
  hash: string;
}

/**
 * A record as read back from a store or an export: nothing is trusted yet, so type and actor are
 * plain strings (a tampered or newer record may hold anything); verification decides.
 */
export type StoredAuditRecord = Omit<AuditRecord, "type" | "actor"> & { type: string; actor: string };

/** What goes into the hash: every field but the hash itself. */
export type AuditHashFields = Omit<StoredAuditRecord, "hash">;

/**
 * The text that is hashed: canonical JSON of { seq, at, type, actor, subject, data, prevHash }.
 * Built from the named fields only, so extra properties on the argument never change the hash.
 */
export function auditHashInput(r: AuditHashFields): string {
  return canonicalJson({ seq: r.seq, at: r.at, type: r.type, actor: r.actor, subject: r.subject, data: r.data, prevHash: r.prevHash });
}

/**
 * Canonical JSON (as RFC 8785 JCS does it for the values pitstop writes): object keys sorted by
 * UTF-16 code units, no whitespace, numbers and strings as JSON.stringify writes them. Keys whose
 * value is `undefined` are left out (as JSON.stringify does), so a value and its JSON round trip
 * serialise the same. Throws a TypeError for anything JSON cannot hold exactly (NaN, Infinity,
 * bigint, functions, `undefined` in an array, non-plain objects): callers check with
 * `findJsonProblem` first.
 */
export function canonicalJson(value: unknown): string {
  const problem = findJsonProblem(value);
  if (problem !== null) throw new TypeError(`not canonical JSON: ${problem}`);
  return write(value);
}

function write(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(write).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Null when `value` is plain JSON that survives a JSON round trip unchanged; otherwise where and
 * what is wrong (`data.scores[2]: NaN is not JSON`).
 */
export function findJsonProblem(value: unknown, path = "value"): string | null {
  switch (typeof value) {
    case "string":
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(value) ? null : `${path}: ${String(value)} is not JSON`;
    case "object":
      return value === null ? null : findContainerProblem(value, path);
    default:
      return `${path}: a ${typeof value} is not JSON`;
  }
}

function findContainerProblem(value: object, path: string): string | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) return `${path}[${i}]: undefined is not JSON`;
      const problem = findJsonProblem(item, `${path}[${i}]`);
      if (problem !== null) return problem;
    }
    return null;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `${path}: a ${value.constructor?.name ?? "non-plain"} object is not JSON`;
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const problem = findJsonProblem(item, `${path}.${key}`);
    if (problem !== null) return problem;
  }
  return null;
}
