import { fileURLToPath } from "node:url";
import { z } from "zod";
import { SARIF_VERSION, type SarifFinding, type SarifLevel } from "./write-sarif.js";

/** A finding read from SARIF, with the tool (run) that reported it. */
export interface SarifReadFinding extends SarifFinding {
  tool: string;
}

export interface SarifReadResult {
  findings: SarifReadFinding[];
  /** The tools (one per run), in order. */
  tools: string[];
  /** What is wrong with the input, when it is not a SARIF 2.1.0 log we can read; findings are then empty. */
  problem: string | null;
}

// Only the parts we read are checked; everything else in a SARIF log is allowed through.
const Region = z.object({
  startLine: z.number().int().optional(),
  startColumn: z.number().int().optional(),
  endLine: z.number().int().optional(),
  endColumn: z.number().int().optional(),
});
const Location = z.object({
  physicalLocation: z
    .object({
      artifactLocation: z.object({ uri: z.string().optional(), uriBaseId: z.string().optional() }).optional(),
      region: Region.optional(),
    })
    .optional(),
});
const Level = z.enum(["none", "note", "warning", "error"]);
const Result = z.object({
  ruleId: z.string().optional(),
  ruleIndex: z.number().int().optional(),
  rule: z.object({ id: z.string().optional(), index: z.number().int().optional() }).optional(),
  level: Level.optional(),
  kind: z.string().optional(),
  message: z.object({ text: z.string().optional(), markdown: z.string().optional(), id: z.string().optional() }),
  locations: z.array(Location).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});
const Rule = z.object({
  id: z.string(),
  defaultConfiguration: z.object({ level: Level.optional() }).optional(),
});
const Run = z.object({
  tool: z.object({ driver: z.object({ name: z.string().min(1), rules: z.array(Rule).optional() }) }),
  results: z.array(Result).optional(),
});
const Log = z.object({ version: z.string(), runs: z.array(Run) });

type RunT = z.infer<typeof Run>;
type ResultT = z.infer<typeof Result>;

/**
 * Reads the findings of a SARIF 2.1.0 log, given as JSON text or an already parsed value.
 * Never throws: bad JSON or a shape that is not SARIF gives `problem` (with the path of the first
 * offending field) and no findings.
 */
export function readSarifFindings(json: unknown): SarifReadResult {
  let value = json;
  if (typeof json === "string") {
    if (json.trim() === "") return failed("SARIF input is empty");
    try {
      value = JSON.parse(json);
    } catch (e) {
      return failed(`SARIF input is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const parsed = Log.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "(root)" : formatPath(issue.path);
    return failed(`SARIF input is not a SARIF log: ${where}: ${issue?.message ?? "invalid"}`);
  }
  if (parsed.data.version !== SARIF_VERSION) {
    return failed(`SARIF input has version "${parsed.data.version}": only ${SARIF_VERSION} is supported`);
  }
  const findings = parsed.data.runs.flatMap(readRun);
  return { findings, tools: parsed.data.runs.map((r) => r.tool.driver.name), problem: null };
}

function failed(problem: string): SarifReadResult {
  return { findings: [], tools: [], problem };
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i === 0 ? "" : "."}${String(k)}`)).join("");
}

function readRun(run: RunT): SarifReadFinding[] {
  const rules = run.tool.driver.rules ?? [];
  return (run.results ?? []).map((r) => {
    const ruleIndex = r.ruleIndex ?? r.rule?.index;
    const rule = ruleIndex !== undefined ? rules[ruleIndex] : undefined;
    const ruleId = r.ruleId ?? r.rule?.id ?? rule?.id ?? null;
    const defaultLevel = rule?.defaultConfiguration?.level ?? rules.find((x) => x.id === ruleId)?.defaultConfiguration?.level;
    const loc = r.locations?.[0]?.physicalLocation;
    const finding: SarifReadFinding = {
      tool: run.tool.driver.name,
      file: fileOf(loc?.artifactLocation?.uri),
      line: loc?.region?.startLine ?? null,
      column: loc?.region?.startColumn ?? null,
      endLine: loc?.region?.endLine ?? null,
      endColumn: loc?.region?.endColumn ?? null,
      rule: ruleId,
      severity: levelOf(r, defaultLevel),
      message: r.message.text ?? r.message.markdown ?? r.message.id ?? "",
    };
    if (r.properties) finding.properties = r.properties;
    return finding;
  });
}

/** SARIF §3.27.10: a result's level defaults to its rule's, else "warning" ("none" when kind is not "fail"). */
function levelOf(r: ResultT, ruleDefault: z.infer<typeof Level> | undefined): SarifLevel {
  const level = r.level ?? ruleDefault ?? (r.kind !== undefined && r.kind !== "fail" ? "none" : "warning");
  return level === "none" ? "note" : level;
}

function fileOf(uri: string | undefined): string | null {
  if (uri === undefined || uri === "") return null;
  if (uri.startsWith("file:")) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  try {
    return decodeURIComponent(uri);
  } catch {
    return uri;
  }
}
