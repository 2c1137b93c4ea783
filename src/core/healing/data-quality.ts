import { z } from "zod";
import type { CsvTable } from "./csv.js";

/**
 * Data-quality rules (Monitor step): per dataset column, an aggregate and the bound that makes it an
 * anomaly. A rule states the ALARM condition: `{ check: "mean", op: "<", threshold: 40 }` fires when
 * the mean is below 40 (40 itself is fine). Bad data (missing column, non-numeric values, empty
 * file) is a problem in the report, never a throw: a broken dataset is exactly what this describes.
 */

export const DATA_QUALITY_CHECKS = ["mean", "min", "max", "null_rate"] as const;
export type DataQualityCheckKind = (typeof DATA_QUALITY_CHECKS)[number];
export const COMPARISON_OPS = ["<", ">", "<=", ">="] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export const DataQualityRuleSchema = z.strictObject({
  /** File name of the dataset, e.g. `student_scores.csv`. */
  dataset: z.string().min(1),
  column: z.string().min(1),
  check: z.enum(DATA_QUALITY_CHECKS),
  op: z.enum(COMPARISON_OPS),
  threshold: z.number(),
});
export type DataQualityRule = z.infer<typeof DataQualityRuleSchema>;

/**
 * The seeds' thresholds ("mean score below 40, heart rate above 120, oxygen level below 95"). The
 * seeds flag single readings, so heart rate uses the column's max (one reading above 120 is an
 * anomaly) and oxygen its min (one reading below 95); the score bound is on the mean, as written.
 */
export const DEFAULT_DATA_QUALITY_RULES: readonly DataQualityRule[] = Object.freeze([
  { dataset: "student_scores.csv", column: "score", check: "mean", op: "<", threshold: 40 },
  { dataset: "patient_health.csv", column: "heart_rate", check: "max", op: ">", threshold: 120 },
  { dataset: "patient_health.csv", column: "oxygen_level", check: "min", op: "<", threshold: 95 },
]);

/** The rules for the dataset files that are there: an app without a heart-rate file is not an anomaly. */
export function rulesForFiles(rules: readonly DataQualityRule[], files: ReadonlySet<string>): DataQualityRule[] {
  return rules.filter((r) => files.has(r.dataset));
}

/**
 * The rules to check one dataset file by: the rules written for its file name; else the rules for
 * the columns it has, applied to it; else every rule applied to it, so each missing column is a
 * finding (a dataset with none of the watched columns is a data problem, not a clean bill).
 */
export function rulesForDataset(rules: readonly DataQualityRule[], file: string, columns: readonly string[]): DataQualityRule[] {
  const own = rules.filter((r) => r.dataset === file);
  if (own.length > 0) return own;
  const byColumn = rules.filter((r) => columns.includes(r.column));
  return (byColumn.length > 0 ? byColumn : rules).map((r) => ({ ...r, dataset: file }));
}

export interface DataQualityFinding {
  dataset: string;
  column: string;
  check: DataQualityCheckKind;
  op: ComparisonOp;
  /** The aggregate that crossed the bound (null rate as a fraction 0..1). */
  value: number;
  threshold: number;
  message: string;
}

export const DataProblemKind = {
  empty: "empty",
  missing_file: "missing_file",
  malformed_row: "malformed_row",
  missing_column: "missing_column",
  non_numeric: "non_numeric",
  no_values: "no_values",
} as const;
export type DataProblemKind = (typeof DataProblemKind)[keyof typeof DataProblemKind];

export interface DataQualityProblem {
  dataset: string;
  kind: DataProblemKind;
  column: string | null;
  /** File lines involved (at most MAX_LINES of them). */
  lines: number[];
  message: string;
}

export interface DataQualityReport {
  dataset: string;
  rowsChecked: number;
  findings: DataQualityFinding[];
  problems: DataQualityProblem[];
}

export interface DataQualityInput {
  dataset: string;
  /** Parsed records; values are the raw strings of the file. */
  rows: readonly Readonly<Record<string, string>>[];
  /** Column names; when omitted, a column exists if any row has it. */
  header?: readonly string[];
  /** File line of each row; default index + 2 (line 1 is the header). */
  lines?: readonly number[];
  /** All rules; only those for `dataset` apply. */
  rules: readonly DataQualityRule[];
}

const MAX_LINES = 10;
/** Spellings of "no value" in exported spreadsheets; they count toward null_rate, not as non-numeric. */
const NULL_SPELLINGS = new Set(["", "na", "n/a", "null", "none", "nan", "-"]);
/** Strict: `Number()` would take "", "0x1F" and "Infinity", which in a data file are mistakes. */
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function isNullValue(raw: string): boolean {
  return NULL_SPELLINGS.has(raw.trim().toLowerCase());
}

export function parseNumber(raw: string): number | null {
  const text = raw.trim();
  return NUMBER.test(text) ? Number(text) : null;
}

export function compare(value: number, op: ComparisonOp, threshold: number): boolean {
  switch (op) {
    case "<":
      return value < threshold;
    case ">":
      return value > threshold;
    case "<=":
      return value <= threshold;
    case ">=":
      return value >= threshold;
  }
}

function listLines(lines: readonly number[], total: number): string {
  const more = total > lines.length ? `, and ${total - lines.length} more` : "";
  return `line${total === 1 ? "" : "s"} ${lines.join(", ")}${more}`;
}

interface ColumnScan {
  numbers: number[];
  nulls: number;
  badLines: number[];
  bad: number;
}

function scanColumn(input: DataQualityInput, column: string): ColumnScan {
  const scan: ColumnScan = { numbers: [], nulls: 0, badLines: [], bad: 0 };
  input.rows.forEach((row, index) => {
    const raw = row[column] ?? "";
    if (isNullValue(raw)) {
      scan.nulls++;
      return;
    }
    const n = parseNumber(raw);
    if (n !== null) scan.numbers.push(n);
    else if (++scan.bad <= MAX_LINES) scan.badLines.push(input.lines?.[index] ?? index + 2);
  });
  return scan;
}

function aggregate(check: DataQualityCheckKind, scan: ColumnScan, rowCount: number): number | null {
  if (check === "null_rate") return rowCount === 0 ? null : scan.nulls / rowCount;
  if (scan.numbers.length === 0) return null;
  if (check === "mean") return scan.numbers.reduce((a, b) => a + b, 0) / scan.numbers.length;
  // A loop rather than Math.min(...xs): spreading a large column overflows the call stack.
  let extreme = scan.numbers[0] as number;
  for (const n of scan.numbers) extreme = check === "min" ? Math.min(extreme, n) : Math.max(extreme, n);
  return extreme;
}

const CHECK_WORDS: Readonly<Record<DataQualityCheckKind, string>> = { mean: "mean", min: "minimum", max: "maximum", null_rate: "null rate" };
const OP_WORDS: Readonly<Record<ComparisonOp, string>> = { "<": "below", ">": "above", "<=": "at or below", ">=": "at or above" };

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function columnsOf(input: DataQualityInput): Set<string> {
  return new Set(input.header ?? input.rows.flatMap((row) => Object.keys(row)));
}

/** Runs the rules that name `input.dataset`. Deterministic: rules in order, one problem per cause. */
export function checkDataQuality(input: DataQualityInput): DataQualityReport {
  const { dataset } = input;
  const report: DataQualityReport = { dataset, rowsChecked: input.rows.length, findings: [], problems: [] };
  const rules = input.rules.filter((r) => r.dataset === dataset);
  if (input.rows.length === 0) {
    const message = `${dataset}: no data rows; the file is empty or has only a header`;
    report.problems.push({ dataset, kind: DataProblemKind.empty, column: null, lines: [], message });
    return report;
  }
  const columns = columnsOf(input);
  const scanned = new Map<string, ColumnScan>();
  for (const rule of rules) {
    const { column } = rule;
    if (!columns.has(column)) {
      if (scanned.has(column)) continue;
      scanned.set(column, { numbers: [], nulls: 0, badLines: [], bad: 0 });
      const found = [...columns].join(", ") || "no columns";
      const message = `${dataset}: column ${column} is missing; add it to the header row (found: ${found})`;
      report.problems.push({ dataset, kind: DataProblemKind.missing_column, column, lines: [], message });
      continue;
    }
    let scan = scanned.get(column);
    if (scan === undefined) {
      scan = scanColumn(input, column);
      scanned.set(column, scan);
      reportScanProblems(report, column, scan);
    }
    const value = aggregate(rule.check, scan, input.rows.length);
    if (value === null && !report.problems.some((p) => p.column === column && p.kind === DataProblemKind.no_values)) {
      const message = `${dataset}: column ${column} has no numeric values; its ${CHECK_WORDS[rule.check]} cannot be checked`;
      report.problems.push({ dataset, kind: DataProblemKind.no_values, column, lines: [], message });
    }
    if (value === null || !compare(value, rule.op, rule.threshold)) continue;
    const shown = rule.check === "null_rate" ? `${round(value * 100)}%` : String(round(value));
    const limit = rule.check === "null_rate" ? `${round(rule.threshold * 100)}%` : String(rule.threshold);
    const message = `${dataset}: ${CHECK_WORDS[rule.check]} ${column} is ${shown}, ${OP_WORDS[rule.op]} ${limit}`;
    report.findings.push({ dataset, column, check: rule.check, op: rule.op, value, threshold: rule.threshold, message });
  }
  return report;
}

function reportScanProblems(report: DataQualityReport, column: string, scan: ColumnScan): void {
  const { dataset } = report;
  if (scan.bad > 0) {
    const message = `${dataset}: column ${column}: ${scan.bad} non-numeric value${scan.bad === 1 ? "" : "s"} (${listLines(scan.badLines, scan.bad)})`;
    report.problems.push({ dataset, kind: DataProblemKind.non_numeric, column, lines: scan.badLines, message });
  }
}

/** Checks a parsed CSV file: its malformed records become problems too (with their lines). */
export function checkCsvDataset(dataset: string, table: CsvTable, rules: readonly DataQualityRule[]): DataQualityReport {
  const report = checkDataQuality({
    dataset,
    header: table.header,
    rows: table.rows.map((r) => r.values),
    lines: table.rows.map((r) => r.line),
    rules,
  });
  const malformed = table.problems.map((p) => ({
    dataset,
    kind: DataProblemKind.malformed_row,
    column: null,
    lines: [p.line],
    message: `${dataset}:${p.line}: ${p.message}`,
  }));
  return { ...report, problems: [...malformed, ...report.problems] };
}

/** True when the report holds anything a person should look at. */
export function hasDataAnomaly(report: DataQualityReport): boolean {
  return report.findings.length > 0 || report.problems.length > 0;
}
