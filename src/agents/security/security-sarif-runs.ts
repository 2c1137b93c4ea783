import type { ExecOutcome } from "../../executor/port.js";
import type { SarifFinding, SarifLevel, SarifRule, SarifRunInput } from "../sarif/write-sarif.js";
import type { Vulnerability } from "./parse-npm-audit.js";
import type { SecretFinding } from "./scan-secrets.js";
import type { Severity } from "./security-options.js";

const LEVEL: Record<Severity, SarifLevel> = { critical: "error", high: "error", moderate: "warning", low: "note", info: "note" };
// What code-scanning UIs use to rank a rule when the advisory gives no CVSS score.
const DEFAULT_SCORE: Record<Severity, string> = { critical: "9.5", high: "8.0", moderate: "5.5", low: "2.0", info: "0.0" };

type Invocation = SarifRunInput["invocation"];

function invocationOf(outcome: ExecOutcome | null, ok: boolean, message: string | null): Invocation {
  return { ok, exitCode: outcome?.exitCode ?? null, message };
}

/** The secretlint run: one result per secret, at its line and column, with the masked message only. */
export function secretlintRun(findings: readonly SecretFinding[], version: string | null, outcome: ExecOutcome | null, failure: string | null): SarifRunInput {
  return {
    tool: "secretlint",
    version,
    informationUri: "https://github.com/secretlint/secretlint",
    findings: findings.map(
      (f): SarifFinding => ({ file: f.file, line: f.line, column: f.column, rule: f.rule, severity: "error", message: f.message }),
    ),
    invocation: invocationOf(outcome, failure === null, failure),
  };
}

/**
 * The npm-audit run: one result per vulnerable package, placed on the manifest that declares the
 * dependencies (`file`, relative to the workspace), its rule being the advisory.
 */
export function npmAuditRun(vulns: readonly Vulnerability[], file: string | null, outcome: ExecOutcome | null, failure: string | null): SarifRunInput {
  const rules = new Map<string, SarifRule>();
  for (const v of vulns) {
    if (rules.has(v.id)) continue;
    const url = v.advisory.startsWith("http") ? v.advisory : null;
    rules.set(v.id, {
      id: v.id,
      description: v.title,
      helpUri: url,
      properties: { "security-severity": v.cvss !== null ? v.cvss.toFixed(1) : DEFAULT_SCORE[v.severity], tags: ["security", "dependency"] },
    });
  }
  return {
    tool: "npm-audit",
    informationUri: "https://docs.npmjs.com/cli/commands/npm-audit",
    rules: [...rules.values()],
    findings: vulns.map(
      (v): SarifFinding => ({
        file,
        line: null,
        column: null,
        rule: v.id,
        severity: LEVEL[v.severity],
        message: `${v.package}${v.installed.length > 0 ? `@${v.installed.join(",")}` : ""} (${v.severity}): ${v.title}; vulnerable ${v.range || "(range not given)"}; fix: ${v.fix}`,
        properties: { package: v.package, severity: v.severity, advisory: v.advisory, range: v.range, fix: v.fix, installed: v.installed },
      }),
    ),
    invocation: invocationOf(outcome, failure === null, failure),
  };
}
