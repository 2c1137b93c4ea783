import { GENESIS_HASH } from "../../core/healing/audit-record.js";
import type { StoredAuditRecord } from "../../core/healing/audit-record.js";
import type { AuditHead } from "../../store/port.js";
import { hashAuditRecord } from "./hash-audit-record.js";

/** Why a chain is not intact. */
export const ChainBreak = {
  edited: "edited",
  removed: "removed",
  reordered: "reordered",
  badGenesis: "bad genesis",
} as const;
export type ChainBreak = (typeof ChainBreak)[keyof typeof ChainBreak];

export type ChainVerdict =
  | {
      ok: true;
      count: number;
      /** Seq and hash of the last record (genesis when empty): store it elsewhere to anchor the chain. */
      head: AuditHead;
    }
  | {
      ok: false;
      /** Position in the given list where the break shows (for a removed tail: the list's length). */
      index: number;
      /** The first bad record's seq (for removals: the first missing seq). */
      seq: number;
      reason: ChainBreak;
      /** Names the first bad record by seq and type and says what is wrong with it. */
      message: string;
    };

export interface VerifyChainOptions {
  /**
   * Heads recorded elsewhere (the store's head row, a value printed by an earlier verify). The
   * chain must contain each of those records with that hash: without an anchor, records removed
   * from the end of the chain leave no trace.
   */
  anchors?: readonly AuditHead[];
}

type Broken = Extract<ChainVerdict, { ok: false }>;

const label = (r: StoredAuditRecord): string => `record ${r.seq} (${r.type})`;
const span = (from: number, to: number): string => (from === to ? `record ${from} was` : `records ${from}–${to} were`);

function broken(index: number, seq: number, reason: ChainBreak, message: string): Broken {
  return { ok: false, index, seq, reason, message };
}

/**
 * Checks a whole chain, in the order given (an export's line order, or the store's seq order):
 * every record's hash matches its content, the first record is seq 1 on the genesis hash, and
 * each next record has the next seq and carries the previous record's hash. Reports the first
 * problem only, classified as an edit, a removal, a reordering or a bad genesis.
 */
export function verifyChain(records: readonly StoredAuditRecord[], options: VerifyChainOptions = {}): ChainVerdict {
  const firstIndexOf = new Map<number, number>();
  records.forEach((r, i) => {
    if (!firstIndexOf.has(r.seq)) firstIndexOf.set(r.seq, i);
  });
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (hashAuditRecord(r) !== r.hash) {
      return broken(i, r.seq, ChainBreak.edited, `${label(r)} was edited: its hash does not match its content`);
    }
    const problem = i === 0 ? checkStart(r, firstIndexOf) : checkLink(records, i, firstIndexOf);
    if (problem) return problem;
  }
  const last = records.at(-1);
  const head = last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
  for (const anchor of options.anchors ?? []) {
    const problem = checkAnchor(records, anchor, head, firstIndexOf);
    if (problem) return problem;
  }
  return { ok: true, count: records.length, head };
}

function checkStart(r: StoredAuditRecord, firstIndexOf: ReadonlyMap<number, number>): Broken | null {
  if (r.seq === 1) {
    return r.prevHash === GENESIS_HASH
      ? null
      : broken(0, 1, ChainBreak.badGenesis, `${label(r)} does not start the chain: its prevHash should be 64 zeros, got ${r.prevHash.slice(0, 12)}…`);
  }
  if (firstIndexOf.has(1)) {
    return broken(0, r.seq, ChainBreak.reordered, `${label(r)} is out of order: the chain must start with record 1, which comes later`);
  }
  if (r.prevHash === GENESIS_HASH || r.seq < 1) {
    return broken(0, r.seq, ChainBreak.badGenesis, `${label(r)} does not start the chain: the first record must have seq 1`);
  }
  return broken(0, 1, ChainBreak.removed, `${span(1, r.seq - 1)} removed: the chain starts at ${label(r)}`);
}

function checkLink(records: readonly StoredAuditRecord[], i: number, firstIndexOf: ReadonlyMap<number, number>): Broken | null {
  const prev = records[i - 1]!;
  const r = records[i]!;
  const expected = prev.seq + 1;
  if (r.seq === expected) return r.prevHash === prev.hash ? null : blameRewrite(records, i);
  if (r.seq < expected) {
    const what = r.seq === prev.seq ? "appears twice" : "is out of order";
    return broken(i, r.seq, ChainBreak.reordered, `${label(r)} ${what}: it comes after ${label(prev)}`);
  }
  if (r.prevHash === prev.hash) {
    return broken(i, r.seq, ChainBreak.edited, `${label(r)} was edited: its seq was changed (it links to ${label(prev)}, so it should be record ${expected})`);
  }
  const later = firstIndexOf.get(expected);
  if (later !== undefined && later > i) {
    return broken(i, r.seq, ChainBreak.reordered, `${label(r)} is out of order: it comes before ${label(records[later]!)}`);
  }
  return broken(i, expected, ChainBreak.removed, `${span(expected, r.seq - 1)} removed: ${label(prev)} is followed by ${label(r)}`);
}

/**
 * Consecutive seqs whose link is broken although both hashes match their content: a record was
 * rewritten and its hash recomputed. If the record after `r` still links to `r`, `r` is intact
 * and the rewritten one is its predecessor; otherwise `r` itself was rewritten.
 */
function blameRewrite(records: readonly StoredAuditRecord[], i: number): Broken {
  const prev = records[i - 1]!;
  const r = records[i]!;
  const next = records[i + 1];
  if (next && next.seq === r.seq + 1 && next.prevHash !== r.hash) {
    return broken(i, r.seq, ChainBreak.edited, `${label(r)} was edited: its hash was recomputed, and it no longer links to ${label(prev)}`);
  }
  return broken(i - 1, prev.seq, ChainBreak.edited, `${label(prev)} was edited: its hash was recomputed, but ${label(r)} still carries the previous one`);
}

function checkAnchor(
  records: readonly StoredAuditRecord[],
  anchor: AuditHead,
  head: AuditHead,
  firstIndexOf: ReadonlyMap<number, number>,
): Broken | null {
  if (anchor.seq <= 0) return null;
  const at = firstIndexOf.get(anchor.seq);
  if (at === undefined) {
    if (anchor.seq < head.seq) return broken(records.length, anchor.seq, ChainBreak.removed, `record ${anchor.seq} named by the anchor is missing`);
    const end = head.seq === 0 ? "the chain is empty" : `the chain ends at ${label(records.at(-1)!)}`;
    return broken(records.length, head.seq + 1, ChainBreak.removed, `${span(head.seq + 1, anchor.seq)} removed from the end: ${end}, but the anchored head is record ${anchor.seq}`);
  }
  const r = records[at]!;
  if (r.hash === anchor.hash) return null;
  return broken(at, r.seq, ChainBreak.edited, `${label(r)} was edited: its hash does not match the anchored head ${anchor.hash.slice(0, 12)}…`);
}
