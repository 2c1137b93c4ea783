import { z } from "zod";
import type { SarifLevel, SarifRule } from "../sarif/write-sarif.js";
import type { LintFinding, ParsedLint } from "./lint-finding.js";
import { parseJsonOutput } from "./parse-json-output.js";

// `--output-format=json` (pylint 2/3): `message-id`, 0-based column.
const JsonMessage = z.object({
  type: z.string(),
  path: z.string(),
  line: z.number().nullable(),
  column: z.number().nullable(),
  symbol: z.string(),
  message: z.string(),
  "message-id": z.string().optional(),
});
// `--output-format=json2` (pylint 3): `{ messages: [...] }`, `messageId`.
const Json2Message = z.object({
  type: z.string(),
  path: z.string(),
  line: z.number().nullable(),
  column: z.number().nullable(),
  symbol: z.string(),
  message: z.string(),
  messageId: z.string().optional(),
});
const PylintOutput = z.union([z.array(JsonMessage), z.object({ messages: z.array(Json2Message) })]);

/**
 * Pylint's message types as SARIF levels: fatal and error fail; warning is a warning; convention,
 * refactor and info are suggestions (notes), so style advice alone never fails a pipeline.
 */
function levelOf(type: string): SarifLevel {
  if (type === "fatal" || type === "error") return "error";
  if (type === "warning") return "warning";
  return "note";
}

/** Reads pylint's `json` or `json2` output. */
export function parsePylintJson(text: string): ParsedLint {
  const parsed = parseJsonOutput(PylintOutput, text, "pylint");
  if (!parsed.ok) return { runs: [], problem: parsed.problem };
  const messages = Array.isArray(parsed.value)
    ? parsed.value.map((m) => ({ ...m, id: m["message-id"] ?? null }))
    : parsed.value.messages.map((m) => ({ ...m, id: m.messageId ?? null }));
  const findings: LintFinding[] = messages.map((m) => ({
    tool: "pylint",
    file: m.path,
    line: m.line,
    // pylint counts columns from 0
    column: m.column === null ? null : m.column + 1,
    rule: m.symbol,
    severity: levelOf(m.type),
    message: m.message,
  }));
  const rules = new Map<string, SarifRule>();
  for (const m of messages) {
    if (!rules.has(m.symbol)) rules.set(m.symbol, { id: m.symbol, description: m.id === null ? null : `${m.id} (${m.symbol})` });
  }
  return { runs: [{ tool: "pylint", findings, rules: [...rules.values()] }], problem: null };
}
