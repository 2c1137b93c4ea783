import { z } from "zod";
import type { SarifRule } from "../sarif/write-sarif.js";
import type { LintFinding, ParsedLint } from "./lint-finding.js";
import { parseJsonOutput } from "./parse-json-output.js";

const Message = z.object({
  ruleId: z.string().nullable().optional(),
  severity: z.number(),
  message: z.string(),
  line: z.number().optional(),
  column: z.number().optional(),
});
const FileResult = z.object({ filePath: z.string(), messages: z.array(Message) });
const RuleMeta = z.object({ docs: z.object({ description: z.string().optional(), url: z.string().optional() }).optional() });
// `--format json` prints the results array; `--format json-with-metadata` wraps it with rule docs.
const EslintOutput = z.union([
  z.array(FileResult),
  z.object({ results: z.array(FileResult), metadata: z.object({ rulesMeta: z.record(z.string(), RuleMeta).optional() }).optional() }),
]);

/** Reads ESLint's `json` or `json-with-metadata` output. */
export function parseEslintJson(text: string): ParsedLint {
  const parsed = parseJsonOutput(EslintOutput, text, "eslint");
  if (!parsed.ok) return { runs: [], problem: parsed.problem };
  const results = Array.isArray(parsed.value) ? parsed.value : parsed.value.results;
  const meta = Array.isArray(parsed.value) ? {} : (parsed.value.metadata?.rulesMeta ?? {});
  const findings: LintFinding[] = results.flatMap((r) =>
    r.messages.map((m) => ({
      tool: "eslint",
      file: r.filePath,
      line: m.line ?? null,
      column: m.column ?? null,
      rule: m.ruleId ?? null,
      severity: m.severity >= 2 ? "error" : m.severity === 1 ? "warning" : "note",
      message: m.message,
    })),
  );
  const ids = [...new Set(findings.map((f) => f.rule).filter((r): r is string => r !== null))];
  const rules: SarifRule[] = ids.map((id) => ({ id, description: meta[id]?.docs?.description ?? null, helpUri: meta[id]?.docs?.url ?? null }));
  return { runs: [{ tool: "eslint", findings, rules }], problem: null };
}
