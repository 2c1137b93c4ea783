import type { LintFinding, ParsedLint } from "./lint-finding.js";

// `--pretty false`: `src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.`
const LOCATED = /^(.+?)\((\d+),(\d+)\): (error|warning|message) (TS\d+): (.*)$/;
// Project-wide problems have no location: `error TS18003: No inputs were found in config file '…'.`
const GLOBAL = /^(error|warning|message) (TS\d+): (.*)$/;

/**
 * Reads `tsc --pretty false` output. A location-less diagnostic is put on `project` (the tsconfig
 * it concerns). Indented lines continue the previous message (chained diagnostics).
 */
export function parseTscOutput(text: string, project: string | null = null): ParsedLint {
  const findings: LintFinding[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const located = LOCATED.exec(line);
    const global = located ? null : GLOBAL.exec(line);
    if (located) {
      const [, file, l, c, level, code, message] = located as unknown as string[];
      findings.push(finding(file ?? null, Number(l), Number(c), level, code, message));
    } else if (global) {
      const [, level, code, message] = global as unknown as string[];
      findings.push(finding(project, project === null ? null : 1, project === null ? null : 1, level, code, message));
    } else if (/^\s+\S/.test(line) && findings.length > 0) {
      const last = findings[findings.length - 1] as LintFinding;
      last.message = `${last.message}\n${line.trim()}`;
    }
  }
  return { runs: [{ tool: "tsc", findings, rules: [] }], problem: null };
}

function finding(file: string | null, line: number | null, column: number | null, level: string | undefined, code: string | undefined, message: string | undefined): LintFinding {
  return {
    tool: "tsc",
    file,
    line,
    column,
    rule: code ?? null,
    severity: level === "error" ? "error" : level === "warning" ? "warning" : "note",
    message: message ?? "",
  };
}
