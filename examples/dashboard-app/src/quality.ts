import type { CsvRow, CsvTable } from "./csv.js";
import { isIsoTimestamp, isNullValue, parseNumber, round2 } from "./values.js";

export interface Thresholds {
  /** The mean of `score` must not be below this. */
  minMeanScore: number;
  /** No `heart_rate` reading may exceed this. */
  maxHeartRate: number;
  /** No `oxygen_level` reading may be below this. */
  minOxygenLevel: number;
  /** Share of empty values (0..1) a column may have. */
  maxNullRate: number;
}

/** The thresholds of the original dashboard's issue detector. */
export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  minMeanScore: 40,
  maxHeartRate: 120,
  minOxygenLevel: 95,
  maxNullRate: 0.05,
});

export const QUALITY_CHECKS = {
  malformedRow: "malformed_row",
  noRows: "no_rows",
  missingColumn: "missing_column",
  nullRate: "null_rate_above_max",
  nonNumeric: "non_numeric",
  meanScore: "mean_score_below_min",
  heartRate: "heart_rate_above_max",
  oxygenLevel: "oxygen_level_below_min",
  timestamp: "invalid_timestamp",
} as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[keyof typeof QUALITY_CHECKS];

export type Severity = "error" | "warning";

export interface Finding {
  check: QualityCheck;
  severity: Severity;
  message: string;
  column?: string;
  /** How many rows are affected. */
  count?: number;
  /** File lines of the affected rows (the first MAX_LINES of them). */
  lines?: number[];
  /** The observed value that crossed the threshold (mean, extreme reading or null rate). */
  value?: number;
  threshold?: number;
}

export interface QualityReport {
  dataset: string;
  /** No finding of severity "error". */
  ok: boolean;
  rowsChecked: number;
  thresholds: Thresholds;
  findings: Finding[];
}

const MAX_LINES = 20;

/** Columns each known dataset must have; unknown datasets only get the column-based checks. */
const REQUIRED_COLUMNS = new Map<string, readonly string[]>([
  ["student_scores", ["student_name", "subject", "score"]],
  ["patient_health", ["patient_id", "heart_rate", "oxygen_level", "timestamp"]],
]);

/** Columns whose values must be numbers because a threshold applies to them. */
const MEASURE_COLUMNS = ["score", "heart_rate", "oxygen_level"];

interface Matches {
  count: number;
  lines: number[];
}

function matchRows(rows: readonly CsvRow[], predicate: (row: CsvRow) => boolean): Matches {
  const matching = rows.filter(predicate);
  return { count: matching.length, lines: matching.slice(0, MAX_LINES).map((r) => r.line) };
}

function describeLines(m: Matches): string {
  const more = m.count > m.lines.length ? ` (and ${m.count - m.lines.length} more)` : "";
  return `line${m.lines.length === 1 ? "" : "s"} ${m.lines.join(", ")}${more}`;
}

function numberAt(row: CsvRow, column: string): number | null {
  const raw = row.values[column] ?? "";
  return isNullValue(raw) ? null : parseNumber(raw);
}

function checkStructure(dataset: string, table: CsvTable): Finding[] {
  const findings: Finding[] = table.issues.map((issue) => ({
    check: QUALITY_CHECKS.malformedRow,
    severity: "error",
    message: `line ${issue.line}: ${issue.message}`,
    lines: [issue.line],
  }));
  for (const column of REQUIRED_COLUMNS.get(dataset) ?? []) {
    if (table.header.includes(column)) continue;
    findings.push({
      check: QUALITY_CHECKS.missingColumn,
      severity: "error",
      column,
      message: `column '${column}' is missing from ${dataset}; add it to the header row (found: ${table.header.join(", ") || "no columns"})`,
    });
  }
  if (table.rows.length === 0 && table.header.length > 0) {
    findings.push({ check: QUALITY_CHECKS.noRows, severity: "error", message: `${dataset} has a header but no valid data rows` });
  }
  return findings;
}

function checkNullRates(table: CsvTable, t: Thresholds): Finding[] {
  if (table.rows.length === 0) return [];
  const findings: Finding[] = [];
  for (const column of table.header) {
    const m = matchRows(table.rows, (row) => isNullValue(row.values[column] ?? ""));
    const rate = m.count / table.rows.length;
    if (rate <= t.maxNullRate) continue;
    findings.push({
      check: QUALITY_CHECKS.nullRate,
      severity: "error",
      column,
      count: m.count,
      lines: m.lines,
      value: round2(rate),
      threshold: t.maxNullRate,
      message: `column '${column}' is empty in ${m.count} of ${table.rows.length} rows (${Math.round(rate * 100)}%, limit ${Math.round(t.maxNullRate * 100)}%) at ${describeLines(m)}; fill in the missing values`,
    });
  }
  return findings;
}

function checkNonNumeric(table: CsvTable): Finding[] {
  const findings: Finding[] = [];
  for (const column of table.header) {
    const present = table.rows.filter((row) => !isNullValue(row.values[column] ?? ""));
    const m = matchRows(present, (row) => numberAt(row, column) === null);
    const measured = MEASURE_COLUMNS.includes(column);
    // Outside the measure columns, only a mostly-numeric column is expected to hold numbers.
    if (m.count === 0 || (!measured && m.count * 2 >= present.length)) continue;
    findings.push({
      check: QUALITY_CHECKS.nonNumeric,
      severity: measured ? "error" : "warning",
      column,
      count: m.count,
      lines: m.lines,
      message: `column '${column}' has ${m.count} value${m.count === 1 ? "" : "s"} that ${m.count === 1 ? "is" : "are"} not a number at ${describeLines(m)}; they are left out of the statistics`,
    });
  }
  return findings;
}

function checkMeanScore(table: CsvTable, t: Thresholds): Finding[] {
  if (!table.header.includes("score")) return [];
  const scores = table.rows.map((row) => numberAt(row, "score")).filter((v): v is number => v !== null);
  if (scores.length === 0) return [];
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  if (mean >= t.minMeanScore) return [];
  return [
    {
      check: QUALITY_CHECKS.meanScore,
      severity: "error",
      column: "score",
      count: scores.length,
      value: round2(mean),
      threshold: t.minMeanScore,
      message: `mean score is ${round2(mean)}, below the minimum of ${t.minMeanScore}; check the latest score import for wrong or rescaled values`,
    },
  ];
}

interface RangeRule {
  check: QualityCheck;
  column: string;
  limit: (t: Thresholds) => number;
  /** True when the value breaks the rule. */
  breaks: (value: number, limit: number) => boolean;
  words: string;
  extreme: (values: number[]) => number;
}

const RANGE_RULES: readonly RangeRule[] = [
  { check: QUALITY_CHECKS.heartRate, column: "heart_rate", limit: (t) => t.maxHeartRate, breaks: (v, l) => v > l, words: "above", extreme: (vs) => Math.max(...vs) },
  { check: QUALITY_CHECKS.oxygenLevel, column: "oxygen_level", limit: (t) => t.minOxygenLevel, breaks: (v, l) => v < l, words: "below", extreme: (vs) => Math.min(...vs) },
];

function checkRanges(table: CsvTable, t: Thresholds): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RANGE_RULES) {
    if (!table.header.includes(rule.column)) continue;
    const limit = rule.limit(t);
    const breaking = (row: CsvRow): boolean => {
      const value = numberAt(row, rule.column);
      return value !== null && rule.breaks(value, limit);
    };
    const m = matchRows(table.rows, breaking);
    if (m.count === 0) continue;
    const worst = rule.extreme(table.rows.filter(breaking).map((row) => numberAt(row, rule.column) ?? limit));
    findings.push({
      check: rule.check,
      severity: "error",
      column: rule.column,
      count: m.count,
      lines: m.lines,
      value: worst,
      threshold: limit,
      message: `${rule.column} ${rule.words} ${limit} in ${m.count} row${m.count === 1 ? "" : "s"} (worst ${worst}) at ${describeLines(m)}; review these readings`,
    });
  }
  return findings;
}

function checkTimestamps(table: CsvTable): Finding[] {
  if (!table.header.includes("timestamp")) return [];
  const m = matchRows(table.rows, (row) => {
    const raw = row.values["timestamp"] ?? "";
    return !isNullValue(raw) && !isIsoTimestamp(raw);
  });
  if (m.count === 0) return [];
  return [
    {
      check: QUALITY_CHECKS.timestamp,
      severity: "error",
      column: "timestamp",
      count: m.count,
      lines: m.lines,
      message: `column 'timestamp' has ${m.count} value${m.count === 1 ? "" : "s"} that ${m.count === 1 ? "is" : "are"} not ISO-8601 (e.g. 2025-01-15T08:00:00Z) at ${describeLines(m)}`,
    },
  ];
}

/**
 * Runs the data-quality checks on one dataset. Problems are returned as findings, never thrown:
 * a broken file is exactly what this should describe.
 */
export function checkQuality(dataset: string, table: CsvTable, thresholds: Thresholds = DEFAULT_THRESHOLDS): QualityReport {
  const findings = [
    ...checkStructure(dataset, table),
    ...checkNullRates(table, thresholds),
    ...checkNonNumeric(table),
    ...checkMeanScore(table, thresholds),
    ...checkRanges(table, thresholds),
    ...checkTimestamps(table),
  ];
  return {
    dataset,
    ok: findings.every((f) => f.severity !== "error"),
    rowsChecked: table.rows.length,
    thresholds: { ...thresholds },
    findings,
  };
}
