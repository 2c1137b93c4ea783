import type { SarifLevel, SarifRule } from "../sarif/write-sarif.js";

/** One linter finding as stored in `stage.data.findings`. */
export interface LintFinding {
  tool: string;
  /** Relative to the workspace (forward slashes); null when the tool named no file. */
  file: string | null;
  /** 1-based; null when unknown. */
  line: number | null;
  /** 1-based; null when unknown. */
  column: number | null;
  /** e.g. "no-unused-vars", "TS2322", "F401"; null when the tool gave none (a parse error). */
  rule: string | null;
  severity: SarifLevel;
  message: string;
}

/** What one tool reported: its findings and the metadata of the rules it used, for SARIF. */
export interface LintRun {
  tool: string;
  findings: LintFinding[];
  rules: SarifRule[];
}

export interface LintCounts {
  error: number;
  warning: number;
  note: number;
}

export function countFindings(findings: readonly LintFinding[]): LintCounts {
  const counts: LintCounts = { error: 0, warning: 0, note: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

const RANK: Record<SarifLevel, number> = { error: 0, warning: 1, note: 2 };

/** Errors first, then warnings, then notes; by file and position within each (a stable, readable order). */
export function compareFindings(a: LintFinding, b: LintFinding): number {
  return (
    RANK[a.severity] - RANK[b.severity] ||
    (a.file ?? "").localeCompare(b.file ?? "") ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0)
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "2 errors, 5 warnings (eslint, tsc)"; notes only when there are some. */
export function describeCounts(counts: LintCounts, tools: readonly string[]): string {
  const parts = [plural(counts.error, "error"), plural(counts.warning, "warning")];
  if (counts.note > 0) parts.push(plural(counts.note, "note"));
  return tools.length > 0 ? `${parts.join(", ")} (${tools.join(", ")})` : parts.join(", ");
}

/** One log line: "src/a.js:3:7 error no-unused-vars: 'x' is unused (eslint)". */
export function formatFinding(f: LintFinding): string {
  const where = f.file === null ? "(no file)" : [f.file, f.line, f.line === null ? null : f.column].filter((x) => x !== null).join(":");
  const rule = f.rule === null ? "" : ` ${f.rule}`;
  const message = f.message.split("\n")[0] ?? "";
  return `${where} ${f.severity}${rule}: ${message} (${f.tool})`;
}

/**
 * What a parser read from a tool's output. File paths are still as the tool gave them (absolute
 * or relative to the directory it ran in); `problem` says why the output could not be read.
 */
export interface ParsedLint {
  runs: LintRun[];
  problem: string | null;
}
