import { z } from "zod";
import type { SarifRule } from "../sarif/write-sarif.js";
import type { LintFinding, ParsedLint } from "./lint-finding.js";
import { parseJsonOutput } from "./parse-json-output.js";

const Position = z.object({ row: z.number(), column: z.number() });
const Diagnostic = z.object({
  // null for syntax errors
  code: z.string().nullable(),
  message: z.string(),
  filename: z.string(),
  location: Position.nullable().optional(),
  url: z.string().nullable().optional(),
});
const RuffOutput = z.array(Diagnostic);

/**
 * Reads `ruff check --output-format json`. Ruff has no severities: everything it reports fails
 * `ruff check`, so every finding is an error.
 */
export function parseRuffJson(text: string): ParsedLint {
  const parsed = parseJsonOutput(RuffOutput, text, "ruff");
  if (!parsed.ok) return { runs: [], problem: parsed.problem };
  const findings: LintFinding[] = parsed.value.map((d) => ({
    tool: "ruff",
    file: d.filename,
    line: d.location?.row ?? null,
    column: d.location?.column ?? null,
    rule: d.code,
    severity: "error",
    message: d.message,
  }));
  const rules = new Map<string, SarifRule>();
  for (const d of parsed.value) {
    if (d.code !== null && !rules.has(d.code)) rules.set(d.code, { id: d.code, helpUri: d.url ?? null });
  }
  return { runs: [{ tool: "ruff", findings, rules: [...rules.values()] }], problem: null };
}
