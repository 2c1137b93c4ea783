import { describe, expect, it } from "vitest";
import { GENESIS_HASH } from "../../../src/core/healing/audit-record.js";
import type { StoredAuditRecord } from "../../../src/core/healing/audit-record.js";
import { hashAuditRecord } from "../../../src/healing/audit/hash-audit-record.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import { buildChain, tamper } from "./chain-fixture.js";

const chain = buildChain(8);
const headOf = (records: readonly StoredAuditRecord[]) => ({ seq: records.at(-1)!.seq, hash: records.at(-1)!.hash });
const without = (records: readonly StoredAuditRecord[], ...seqs: number[]) => records.filter((r) => !seqs.includes(r.seq));
const swap = (records: readonly StoredAuditRecord[], a: number, b: number) => {
  const out = [...records];
  [out[a - 1], out[b - 1]] = [out[b - 1]!, out[a - 1]!];
  return out;
};

describe("verifyChain: intact chains", () => {
  it("accepts an intact chain and reports its head", () => {
    expect(verifyChain(chain)).toEqual({ ok: true, count: 8, head: headOf(chain) });
  });

  it("accepts an empty chain at the genesis head", () => {
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: { seq: 0, hash: GENESIS_HASH } });
  });

  it("hashes seq, at, type, actor, subject, data and prevHash: changing any one is an edit", () => {
    const edits: Array<(r: StoredAuditRecord) => StoredAuditRecord> = [
      (r) => ({ ...r, seq: r.seq }),
      (r) => ({ ...r, at: r.at + 1 }),
      (r) => ({ ...r, type: "ORCH_REFUSE" }),
      (r) => ({ ...r, actor: "user:mallory" }),
      (r) => ({ ...r, subject: { ...r.subject, env: "prod" } }),
      (r) => ({ ...r, data: { ...r.data, step: 99 } }),
      (r) => ({ ...r, prevHash: GENESIS_HASH }),
    ];
    const verdicts = edits.map((edit) => verifyChain(tamper(chain, 4, edit)));
    expect(verdicts[0]!.ok).toBe(true); // the identity edit changes nothing
    for (const v of verdicts.slice(1)) expect(v).toMatchObject({ ok: false, seq: 4, index: 3, reason: "edited" });
  });
});

describe("verifyChain: tampering", () => {
  it("edit of a field in data: names the record by seq and type", () => {
    const v = verifyChain(tamper(chain, 2, (r) => ({ ...r, data: { ...r.data, action: "rollback" } })));
    expect(v).toEqual({ ok: false, index: 1, seq: 2, reason: "edited", message: "record 2 (RL_DECISION) was edited: its hash does not match its content" });
  });

  it("edit with the hash recomputed: the next record's prevHash gives it away", () => {
    const v = verifyChain(tamper(chain, 3, (r) => ({ ...r, data: { ...r.data, action: "noop" } }), true));
    expect(v).toMatchObject({ ok: false, index: 2, seq: 3, reason: "edited" });
    expect(v.ok || v.message).toBe("record 3 (ORCH_EXEC) was edited: its hash was recomputed, but record 4 (ACTION_VERIFIED) still carries the previous one");
  });

  it("a rewritten prevHash with the hash recomputed: blames that record, not its intact predecessor", () => {
    const v = verifyChain(tamper(chain, 5, (r) => ({ ...r, prevHash: "ab".repeat(32) }), true));
    expect(v).toMatchObject({ ok: false, index: 4, seq: 5, reason: "edited" });
    expect(v.ok || v.message).toMatch(/^record 5 \(SYSTEM_STABLE\) was edited: its hash was recomputed, and it no longer links to record 4/);
  });

  it("a seq changed with the hash recomputed", () => {
    const v = verifyChain(tamper(chain, 6, (r) => ({ ...r, seq: 60 }), true));
    expect(v).toMatchObject({ ok: false, index: 5, seq: 60, reason: "edited" });
    expect(v.ok || v.message).toContain("its seq was changed");
  });

  it("deletion of a middle record, and of several", () => {
    expect(verifyChain(without(chain, 4))).toEqual({
      ok: false, index: 3, seq: 4, reason: "removed",
      message: "record 4 was removed: record 3 (ORCH_EXEC) is followed by record 5 (SYSTEM_STABLE)",
    });
    expect(verifyChain(without(chain, 4, 5, 6))).toMatchObject({ ok: false, seq: 4, reason: "removed", message: expect.stringMatching(/^records 4–6 were removed/) });
  });

  it("deletion of the first record", () => {
    expect(verifyChain(without(chain, 1))).toEqual({
      ok: false, index: 0, seq: 1, reason: "removed", message: "record 1 was removed: the chain starts at record 2 (RL_DECISION)",
    });
  });

  it("deletion of the last records goes unnoticed without an anchor, and is caught with one", () => {
    const truncated = without(chain, 7, 8);
    expect(verifyChain(truncated)).toMatchObject({ ok: true, count: 6 });
    expect(verifyChain(truncated, { anchors: [headOf(chain)] })).toEqual({
      ok: false, index: 6, seq: 7, reason: "removed",
      message: "records 7–8 were removed from the end: the chain ends at record 6 (INCIDENT_OPENED), but the anchored head is record 8",
    });
    expect(verifyChain([], { anchors: [headOf(chain)] })).toMatchObject({ ok: false, seq: 1, reason: "removed" });
  });

  it("an anchor catches a rewritten last record and tolerates records appended after it", () => {
    const anchor = headOf(chain.slice(0, 5));
    expect(verifyChain(chain, { anchors: [anchor] }).ok).toBe(true);
    const forged = tamper(chain, 8, (r) => ({ ...r, data: { forged: true } }), true);
    expect(verifyChain(forged).ok).toBe(true);
    expect(verifyChain(forged, { anchors: [headOf(chain)] })).toMatchObject({ ok: false, index: 7, seq: 8, reason: "edited" });
  });

  it("swapping two records, adjacent or not", () => {
    expect(verifyChain(swap(chain, 3, 4))).toEqual({
      ok: false, index: 2, seq: 4, reason: "reordered", message: "record 4 (ACTION_VERIFIED) is out of order: it comes before record 3 (ORCH_EXEC)",
    });
    expect(verifyChain(swap(chain, 2, 6))).toMatchObject({ ok: false, index: 1, seq: 6, reason: "reordered" });
    expect(verifyChain(swap(chain, 1, 2))).toMatchObject({ ok: false, index: 0, seq: 2, reason: "reordered" });
  });

  it("a record repeated", () => {
    const repeated = [...chain.slice(0, 5), chain[4]!, ...chain.slice(5)];
    expect(verifyChain(repeated)).toMatchObject({ ok: false, index: 5, seq: 5, reason: "reordered", message: expect.stringContaining("appears twice") });
  });

  it("bad genesis: a first record that does not sit on 64 zeros", () => {
    const v = verifyChain(tamper(chain, 1, (r) => ({ ...r, prevHash: "f".repeat(64) }), true));
    expect(v).toMatchObject({ ok: false, index: 0, seq: 1, reason: "bad genesis" });
    expect(v.ok || v.message).toContain("record 1 (INCIDENT_OPENED) does not start the chain");
  });

  it("bad genesis: a chain that starts on the genesis hash with another seq", () => {
    const fields = { ...chain[0]!, seq: 3 };
    const v = verifyChain([{ ...fields, hash: hashAuditRecord(fields) }]);
    expect(v).toMatchObject({ ok: false, index: 0, seq: 3, reason: "bad genesis" });
  });

  it("a forger who rewrites every record from one point on is only caught by an anchor", () => {
    // Rebuild the tail from record 4 with different data: a fully consistent chain.
    const rebuilt: StoredAuditRecord[] = chain.slice(0, 3);
    for (const r of chain.slice(3)) {
      const fields = { ...r, data: { forged: r.seq }, prevHash: rebuilt.at(-1)!.hash };
      rebuilt.push({ ...fields, hash: hashAuditRecord(fields) });
    }
    expect(verifyChain(rebuilt).ok).toBe(true);
    expect(verifyChain(rebuilt, { anchors: [headOf(chain)] })).toMatchObject({ ok: false, seq: 8, reason: "edited" });
  });
});
