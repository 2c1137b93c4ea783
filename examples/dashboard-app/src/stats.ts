import type { CsvRow, CsvTable } from "./csv.js";
import { isNullValue, parseNumber, round2 } from "./values.js";

export type ColumnKind = "numeric" | "text";

export interface ColumnStats {
  name: string;
  kind: ColumnKind;
  /** Rows with a value (not null). */
  count: number;
  nulls: number;
  nullRate: number;
  /** Numeric columns only: values that are not numbers; they are left out of mean/min/max. */
  invalid: number;
  distinct: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

export interface GroupRow {
  key: string;
  count: number;
  mean: number;
  min: number;
  max: number;
}

/** Summary of numeric `column` for each distinct value of `by`, e.g. mean score per subject. */
export interface GroupStats {
  by: string;
  column: string;
  groups: GroupRow[];
}

export interface DatasetStats {
  rowCount: number;
  /** Problems the CSV loader reported (malformed rows, header problems). */
  csvIssues: number;
  columns: ColumnStats[];
  groups: GroupStats[];
}

export interface StatsOptions {
  /** Columns to group by; when absent, low-cardinality text columns are chosen. */
  groupBy?: readonly string[];
}

export class UnknownColumnError extends Error {
  constructor(
    readonly column: string,
    readonly known: readonly string[],
  ) {
    super(`unknown column '${column}': the dataset has ${known.map((c) => `'${c}'`).join(", ")}`);
    this.name = "UnknownColumnError";
  }
}

/** Above this many distinct values a text column reads as an identifier, not a category. */
const MAX_GROUPS = 20;

function numericValues(rows: readonly CsvRow[], column: string): number[] {
  const out: number[] = [];
  for (const row of rows) {
    const raw = row.values[column] ?? "";
    if (isNullValue(raw)) continue;
    const value = parseNumber(raw);
    if (value !== null) out.push(value);
  }
  return out;
}

function summarize(values: readonly number[]): { mean: number; min: number; max: number } | null {
  if (values.length === 0) return null;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { mean: round2(sum / values.length), min, max };
}

function columnStats(rows: readonly CsvRow[], name: string): ColumnStats {
  const present = rows.map((r) => r.values[name] ?? "").filter((raw) => !isNullValue(raw));
  const numbers = numericValues(rows, name);
  // A majority of numbers makes the column numeric, so a single typo shows up as `invalid`
  // (and as a quality finding) instead of silently turning the column into text.
  const kind: ColumnKind = numbers.length > 0 && numbers.length * 2 > present.length ? "numeric" : "text";
  const summary = kind === "numeric" ? summarize(numbers) : null;
  const nulls = rows.length - present.length;
  return {
    name,
    kind,
    count: present.length,
    nulls,
    nullRate: rows.length === 0 ? 0 : round2(nulls / rows.length),
    invalid: kind === "numeric" ? present.length - numbers.length : 0,
    distinct: new Set(present.map((v) => v.trim())).size,
    mean: summary?.mean ?? null,
    min: summary?.min ?? null,
    max: summary?.max ?? null,
  };
}

function groupStats(rows: readonly CsvRow[], by: string, column: string): GroupStats {
  const buckets = new Map<string, number[]>();
  for (const row of rows) {
    const key = (row.values[by] ?? "").trim();
    const value = parseNumber(row.values[column] ?? "");
    if (isNullValue(key) || value === null) continue;
    const bucket = buckets.get(key) ?? [];
    bucket.push(value);
    buckets.set(key, bucket);
  }
  const groups: GroupRow[] = [];
  for (const [key, values] of buckets) {
    const summary = summarize(values);
    if (summary !== null) groups.push({ key, count: values.length, ...summary });
  }
  groups.sort((a, b) => a.key.localeCompare(b.key));
  return { by, column, groups };
}

function defaultGroupColumns(columns: readonly ColumnStats[], rowCount: number): string[] {
  const limit = Math.min(MAX_GROUPS, Math.floor(rowCount / 3));
  return columns.filter((c) => c.kind === "text" && c.distinct >= 2 && c.distinct <= limit).map((c) => c.name);
}

/**
 * Per-column statistics (count, nulls, mean/min/max for numeric columns) and group-by summaries
 * of every numeric column. Throws UnknownColumnError for a `groupBy` column the table lacks.
 */
export function computeStats(table: CsvTable, options: StatsOptions = {}): DatasetStats {
  for (const column of options.groupBy ?? []) {
    if (!table.header.includes(column)) throw new UnknownColumnError(column, table.header);
  }
  const columns = table.header.map((name) => columnStats(table.rows, name));
  const numeric = columns.filter((c) => c.kind === "numeric").map((c) => c.name);
  const groupBy = options.groupBy ?? defaultGroupColumns(columns, table.rows.length);
  const groups = groupBy.flatMap((by) =>
    numeric.filter((column) => column !== by).map((column) => groupStats(table.rows, by, column)),
  );
  return { rowCount: table.rows.length, csvIssues: table.issues.length, columns, groups };
}
