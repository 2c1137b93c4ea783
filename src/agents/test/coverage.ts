import { readFile } from "node:fs/promises";
import { XMLValidator } from "fast-xml-parser";

export interface CoverageMetric {
  covered: number;
  total: number;
  /** Percent, two decimals; 100 when there is nothing to cover (as istanbul reports it). */
  pct: number;
}

/** Totals of one coverage report, stored as `stage.data.coverage`. */
export interface CoverageTotals {
  lines: CoverageMetric;
  branches?: CoverageMetric;
  functions?: CoverageMetric;
  source: "lcov" | "cobertura";
  /** The report, relative to the workspace. */
  file: string;
}

/** Where runners put coverage by default: istanbul/c8/jest/vitest (lcov, cobertura), coverage.py (coverage.xml). */
export const DEFAULT_COVERAGE_FILES = ["coverage/lcov.info", "coverage/cobertura-coverage.xml", "coverage/cobertura.xml", "coverage.xml"] as const;

function metric(covered: number, total: number): CoverageMetric {
  const pct = total === 0 ? 100 : Math.round((covered / total) * 10_000) / 100;
  return { covered, total, pct };
}

/** Reads totals from an lcov or Cobertura file (told apart by content); a bad file is a problem, never a throw. */
export async function readCoverage(abs: string, rel: string): Promise<{ totals: CoverageTotals } | { problem: string }> {
  const text = await readFile(abs, "utf8").catch(() => null);
  if (text === null) return { problem: `${rel}: cannot be read` };
  const looksXml = text.trimStart().startsWith("<");
  const r = looksXml ? parseCobertura(text, rel) : parseLcov(text, rel);
  return "problem" in r ? r : { totals: r };
}

/** lcov tracefile: sums of LF/LH (lines), BRF/BRH (branches), FNF/FNH (functions) over every SF record. */
export function parseLcov(text: string, file: string): CoverageTotals | { problem: string } {
  const sums: Record<string, number> = {};
  let records = 0;
  let daTotal = 0;
  let daHit = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith("SF:")) records++;
    const m = /^(LF|LH|BRF|BRH|FNF|FNH):(\d+)\s*$/.exec(line);
    if (m !== null) sums[m[1] as string] = (sums[m[1] as string] ?? 0) + Number(m[2]);
    const da = /^DA:\d+,(\d+)/.exec(line);
    if (da !== null) {
      daTotal++;
      if (Number(da[1]) > 0) daHit++;
    }
  }
  if (records === 0) return { problem: `${file}: not an lcov tracefile (no SF: records)` };
  const lines = sums.LF !== undefined ? metric(sums.LH ?? 0, sums.LF) : metric(daHit, daTotal);
  const totals: CoverageTotals = { lines, source: "lcov", file };
  if (sums.BRF !== undefined) totals.branches = metric(sums.BRH ?? 0, sums.BRF);
  if (sums.FNF !== undefined) totals.functions = metric(sums.FNH ?? 0, sums.FNF);
  return totals;
}

function attrOf(attrs: string, name: string): number | null {
  const m = new RegExp(`\\b${name}="([0-9.]+)"`).exec(attrs);
  const n = m === null ? Number.NaN : Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

/**
 * Cobertura XML (istanbul's cobertura reporter, coverage.py's `coverage xml`): totals from the
 * root's lines-covered/lines-valid and branches-covered/branches-valid; older writers that only
 * give rates get their lines counted from the `<line hits>` elements.
 */
export function parseCobertura(text: string, file: string): CoverageTotals | { problem: string } {
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { problem: `${file}:${valid.err.line}: malformed XML: ${valid.err.msg}` };
  const root = /<coverage\b([^>]*)>/.exec(text);
  if (root === null) return { problem: `${file}: not a Cobertura report (no <coverage> element)` };
  const attrs = root[1] ?? "";
  let lines: CoverageMetric;
  const lv = attrOf(attrs, "lines-valid");
  if (lv !== null) lines = metric(attrOf(attrs, "lines-covered") ?? 0, lv);
  else {
    const hits = [...text.matchAll(/<line\b[^>]*\bhits="(\d+)"/g)].map((m) => Number(m[1]));
    lines = metric(hits.filter((h) => h > 0).length, hits.length);
  }
  const totals: CoverageTotals = { lines, source: "cobertura", file };
  const bv = attrOf(attrs, "branches-valid");
  if (bv !== null) totals.branches = metric(attrOf(attrs, "branches-covered") ?? 0, bv);
  return totals;
}
