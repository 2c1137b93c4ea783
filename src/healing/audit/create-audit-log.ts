import { ErrorCode, PitstopError } from "../../core/errors.js";
import { AuditEventType, findJsonProblem, isAuditActor, isAuditEventType } from "../../core/healing/audit-record.js";
import type { AuditActor, AuditData, AuditRecord, AuditSubject } from "../../core/healing/audit-record.js";
import type { AuditHead, AuditStore } from "../../store/port.js";
import { hashAuditRecord } from "./hash-audit-record.js";

/** What a step of the loop hands to the audit log; seq, time and hashes are added by `append`. */
export interface AuditEntry {
  type: AuditEventType;
  actor: AuditActor;
  subject?: AuditSubject;
  /**
   * A plain JSON object (the decision's explanation, the action, the verdict…), checked when
   * appended. Typed `object` so callers can pass their own interfaces; undefined values are dropped.
   */
  data?: object;
}

export interface AuditLog {
  /**
   * Appends one record and resolves with it once it is committed. Appends from one AuditLog are
   * committed in call order; appends from other processes interleave but never fork the chain.
   * Rejects with INTERNAL for an unknown type, a malformed actor or subject, or data JSON cannot
   * hold (all programming errors), before anything is written.
   */
  append(entry: AuditEntry): Promise<AuditRecord>;
}

export interface AuditLogDeps {
  store: AuditStore;
  /** Epoch ms; read inside the store's lock, so `at` follows seq order within one clock. */
  now: () => number;
}

function invalid(message: string, entry: AuditEntry): PitstopError {
  return new PitstopError(ErrorCode.INTERNAL, `audit entry refused: ${message}`, { details: { type: entry.type } });
}

function checkEntry(entry: AuditEntry): { subject: AuditSubject; data: AuditData } {
  if (!isAuditEventType(entry.type)) {
    throw invalid(`unknown event type ${JSON.stringify(entry.type)}; expected one of ${Object.values(AuditEventType).join(", ")}`, entry);
  }
  if (!isAuditActor(entry.actor)) {
    throw invalid(`actor ${JSON.stringify(entry.actor)} must be "system", "user:<name>" or "agent:<id>"`, entry);
  }
  const subject = entry.subject ?? {};
  for (const [key, value] of Object.entries(subject)) {
    if (key === "" || typeof value !== "string") throw invalid(`subject.${key}: expected a non-empty key with a string id`, entry);
  }
  const data = entry.data ?? {};
  const problem = findJsonProblem(data, "data");
  if (problem !== null) throw invalid(problem, entry);
  if (Array.isArray(data) || typeof data !== "object" || data === null) throw invalid("data must be a JSON object", entry);
  // Store exactly what a JSON round trip gives back, so the hash computed now is the one a
  // verifier recomputes from the stored text (undefined values are gone from both).
  return { subject: JSON.parse(JSON.stringify(subject)) as AuditSubject, data: JSON.parse(JSON.stringify(data)) as AuditData };
}

/**
 * The audit log writer: validates entries, then appends them through the store, which assigns
 * seq and prevHash under its chain lock; the hash is computed here (sha256, node:crypto).
 */
export function createAuditLog(deps: AuditLogDeps): AuditLog {
  // One append at a time per log: records of one process land in the order the loop produced
  // them (decision before execution) instead of racing for the store's lock.
  let queue: Promise<unknown> = Promise.resolve();

  return {
    async append(entry: AuditEntry): Promise<AuditRecord> {
      const { subject, data } = checkEntry(entry);
      const build = (head: AuditHead): AuditRecord => {
        const fields = { seq: head.seq + 1, at: deps.now(), type: entry.type, actor: entry.actor, subject, data, prevHash: head.hash };
        return { ...fields, hash: hashAuditRecord(fields) };
      };
      const result = queue.then(() => deps.store.append(build));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
