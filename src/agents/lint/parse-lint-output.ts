import { readSarifFindings } from "../sarif/read-sarif.js";
import type { LintFinding, LintRun, ParsedLint } from "./lint-finding.js";
import { parseEslintJson } from "./parse-eslint.js";
import { parsePylintJson } from "./parse-pylint.js";
import { parseRuffJson } from "./parse-ruff.js";
import { parseTscOutput } from "./parse-tsc.js";

/** The output formats `with.format` accepts for a custom `with.command`. */
export const LINT_FORMATS = ["eslint-json", "tsc", "ruff-json", "pylint-json", "sarif"] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

/** The tool a format belongs to (SARIF names its tools itself). */
export function toolOfFormat(format: LintFormat): string {
  return format === "sarif" ? "sarif" : (format.split("-")[0] as string);
}

/** Reads a linter's output in `format`; never throws (a problem string instead). */
export function parseLintOutput(format: LintFormat, text: string, tsconfig: string | null = null): ParsedLint {
  switch (format) {
    case "eslint-json":
      return parseEslintJson(text);
    case "tsc":
      return parseTscOutput(text, tsconfig);
    case "ruff-json":
      return parseRuffJson(text);
    case "pylint-json":
      return parsePylintJson(text);
    case "sarif":
      return parseSarif(text);
  }
}

function parseSarif(text: string): ParsedLint {
  const read = readSarifFindings(text);
  if (read.problem !== null) return { runs: [], problem: read.problem };
  const runs = new Map<string, LintRun>();
  for (const tool of read.tools) if (!runs.has(tool)) runs.set(tool, { tool, findings: [], rules: [] });
  for (const f of read.findings) {
    const finding: LintFinding = { tool: f.tool, file: f.file, line: f.line, column: f.column, rule: f.rule, severity: f.severity, message: f.message };
    runs.get(f.tool)?.findings.push(finding);
  }
  return { runs: [...runs.values()], problem: null };
}
