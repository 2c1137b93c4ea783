import { GENESIS_HASH } from "../../../src/core/healing/audit-record.js";
import type { StoredAuditRecord } from "../../../src/core/healing/audit-record.js";
import { hashAuditRecord } from "../../../src/healing/audit/hash-audit-record.js";

/** Types cycle through a small loop so messages name different types at different seqs. */
export const LOOP_TYPES = ["INCIDENT_OPENED", "RL_DECISION", "ORCH_EXEC", "ACTION_VERIFIED", "SYSTEM_STABLE"] as const;

/** A valid chain of `n` records (seq 1..n), hashed exactly as the audit log hashes them. */
export function buildChain(n: number): StoredAuditRecord[] {
  const out: StoredAuditRecord[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const fields = {
      seq,
      at: 1_700_000_000_000 + seq * 1000,
      type: LOOP_TYPES[(seq - 1) % LOOP_TYPES.length]!,
      actor: seq % 2 === 0 ? "system" : "agent:deploy-1",
      subject: { incidentId: `inc-${Math.ceil(seq / 5)}`, env: "stage" },
      data: { step: seq, action: "restart", candidates: [{ action: "restart", q: 0.5 }, { action: "noop", q: 0.1 }] },
      prevHash: out.at(-1)?.hash ?? GENESIS_HASH,
    };
    out.push({ ...fields, hash: hashAuditRecord(fields) });
  }
  return out;
}

/** Replaces record `seq` by `patch(record)` and, when `rehash`, recomputes its hash (a careful forger). */
export function tamper(chain: readonly StoredAuditRecord[], seq: number, patch: (r: StoredAuditRecord) => StoredAuditRecord, rehash = false): StoredAuditRecord[] {
  return chain.map((r) => {
    if (r.seq !== seq) return r;
    const changed = patch(structuredClone(r));
    return rehash ? { ...changed, hash: hashAuditRecord(changed) } : changed;
  });
}
