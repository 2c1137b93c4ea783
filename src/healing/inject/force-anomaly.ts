import { readFile, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseCsv, type CsvTable } from "../../core/healing/csv.js";
import { DEFAULT_DATA_QUALITY_RULES } from "../../core/healing/data-quality.js";
import { ErrorCode, PitstopError } from "../../core/errors.js";

/** Which seed threshold the forced copy breaks (DEFAULT_DATA_QUALITY_RULES). */
export const AnomalyKind = {
  /** every `score` becomes 20: mean 20 < 40 */
  low_scores: "low_scores",
  /** every 10th `heart_rate` becomes 135 > 120 */
  high_heart_rate: "high_heart_rate",
  /** every 10th `oxygen_level` becomes 90 < 95 */
  low_oxygen: "low_oxygen",
} as const;
export type AnomalyKind = (typeof AnomalyKind)[keyof typeof AnomalyKind];

interface AnomalyPlan {
  column: string;
  value: string;
  /** Rows to change: all for a mean bound; a few for min/max bounds, as single bad readings are the seeds' case. */
  every: number;
}

const PLANS: Record<AnomalyKind, AnomalyPlan> = {
  low_scores: { column: "score", value: "20", every: 1 },
  high_heart_rate: { column: "heart_rate", value: "135", every: 10 },
  low_oxygen: { column: "oxygen_level", value: "90", every: 10 },
};

/** The anomaly a table with these columns allows (the first seed column it has), or null. */
export function anomalyKindFor(columns: readonly string[]): AnomalyKind | null {
  const kinds = Object.keys(PLANS) as AnomalyKind[];
  return kinds.find((k) => columns.includes(PLANS[k].column)) ?? null;
}

export interface ForcedAnomaly {
  kind: AnomalyKind;
  source: string;
  output: string;
  column: string;
  value: string;
  /** 1-based file lines of the changed rows (in the output, the same as in the source). */
  lines: number[];
  /** The seed rule the copy now breaks, e.g. `score mean < 40`. */
  breaks: string;
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

function usage(message: string, details: Record<string, unknown>): PitstopError {
  return new PitstopError(ErrorCode.USAGE, message, { details });
}

function ruleText(column: string): string {
  const rule = DEFAULT_DATA_QUALITY_RULES.find((r) => r.column === column);
  return rule === undefined ? column : `${rule.column} ${rule.check} ${rule.op} ${rule.threshold}`;
}

/**
 * Rewrites the table with one column forced past its seed threshold. Rows keep their order; each
 * output row sits on the same line as its source row only when the source has no blank or
 * malformed lines, so `lines` is computed on the output.
 */
function rewrite(table: CsvTable, plan: AnomalyPlan): { text: string; lines: number[] } {
  const out = [table.header.map(quote).join(",")];
  const lines: number[] = [];
  table.rows.forEach((row, i) => {
    const values = { ...row.values };
    if (i % plan.every === 0) {
      values[plan.column] = plan.value;
      lines.push(out.length + 1);
    }
    out.push(table.header.map((h) => quote(values[h] ?? "")).join(","));
  });
  return { text: `${out.join("\n")}\n`, lines };
}

/**
 * Writes a copy of `csvPath` to `outputPath` whose `kind` column breaks the seed threshold; the
 * source is only read. Malformed source rows are left out of the copy (the detector would report
 * them as a different problem). Refuses to write over the source and a CSV without the column.
 */
export async function forceAnomaly(csvPath: string, kind: AnomalyKind, outputPath: string): Promise<ForcedAnomaly> {
  const plan = PLANS[kind];
  if (plan === undefined) throw usage(`unknown anomaly kind '${String(kind)}'; use ${Object.keys(PLANS).join(", ")}`, { kind });
  const source = await realpath(csvPath).catch(() => {
    throw usage(`dataset ${csvPath} does not exist; pass the path of a CSV file`, { csvPath });
  });
  const target = path.resolve(outputPath);
  const targetReal = await realpath(target).catch(() => target);
  if (targetReal === source) throw usage(`the output ${outputPath} is the dataset itself; write the anomaly to another path`, { csvPath, outputPath });
  const table = parseCsv(await readFile(source, "utf8"));
  if (!table.header.includes(plan.column)) {
    throw usage(`dataset ${csvPath} has no '${plan.column}' column (columns: ${table.header.join(", ") || "none"}); ${kind} needs it`, { csvPath, kind });
  }
  if (table.rows.length === 0) throw usage(`dataset ${csvPath} has no data rows to change`, { csvPath });
  const { text, lines } = rewrite(table, plan);
  await writeFile(target, text);
  return { kind, source, output: target, column: plan.column, value: plan.value, lines, breaks: ruleText(plan.column) };
}
