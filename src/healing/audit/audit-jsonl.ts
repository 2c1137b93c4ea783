import { z } from "zod";
import type { StoredAuditRecord } from "../../core/healing/audit-record.js";

/**
 * The export format: JSON Lines, one record per line in seq order, fields in a fixed order.
 * Reading is strict about shape (every field present, nothing extra) and loose about values
 * (any type or actor string): a value that was tampered with is the verifier's finding (exit 1),
 * a line that is not a record at all is bad input (exit 2).
 */

const RecordLine = z.strictObject({
  seq: z.number().int(),
  at: z.number(),
  type: z.string(),
  actor: z.string(),
  subject: z.record(z.string(), z.string()),
  data: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

const FIELDS = Object.keys(RecordLine.shape);

/** One export line (without the newline). */
export function toAuditJsonLine(r: StoredAuditRecord): string {
  return JSON.stringify({ seq: r.seq, at: r.at, type: r.type, actor: r.actor, subject: r.subject, data: r.data, prevHash: r.prevHash, hash: r.hash });
}

export interface JsonlProblem {
  /** 1-based. */
  line: number;
  /** 1-based, when known (JSON syntax errors). */
  column: number | null;
  message: string;
}

export type ParsedJsonl =
  | { ok: true; records: StoredAuditRecord[]; /** 1-based line of each record. */ lines: number[] }
  | { ok: false; problem: JsonlProblem };

function describeIssue(issue: z.core.$ZodIssue, value: Record<string, unknown>): string {
  const field = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    return `unexpected field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}: an audit record has exactly ${FIELDS.join(", ")}`;
  }
  if (issue.path.length === 1 && !(field in value)) return `missing field "${field}"`;
  return `field "${field}": ${issue.message}`;
}

function parseLine(text: string, line: number): StoredAuditRecord | JsonlProblem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const position = /at position (\d+)/.exec(message)?.[1];
    return { line, column: position === undefined ? null : Number(position) + 1, message: `not valid JSON: ${message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { line, column: null, message: "expected a JSON object (one audit record per line)" };
  }
  const parsed = RecordLine.safeParse(value);
  if (!parsed.success) return { line, column: null, message: describeIssue(parsed.error.issues[0]!, value as Record<string, unknown>) };
  return parsed.data as StoredAuditRecord;
}

/** Parses an export; blank lines are skipped (line numbers still count them). */
export function parseAuditJsonl(text: string): ParsedJsonl {
  const records: StoredAuditRecord[] = [];
  const numbers: number[] = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "");
    if (raw.trim() === "") continue;
    const result = parseLine(raw, i + 1);
    if ("message" in result) return { ok: false, problem: result };
    records.push(result);
    numbers.push(i + 1);
  }
  return { ok: true, records, lines: numbers };
}
