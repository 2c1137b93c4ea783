import type { FailureClass } from "../../core/failure/failure-class.js";
import type { AuditResult } from "./audit-dependencies.js";
import type { Vulnerability } from "./parse-npm-audit.js";
import type { SecretScan } from "./scan-secrets.js";
import { SEVERITIES, severityRank, type SecurityOptions, type Severity } from "./security-options.js";

/** Lists in stage data are capped; counts always cover everything. */
export const MAX_LISTED = 200;

export type Counts = Record<Severity, number> & { secrets: number };

export interface Verdict {
  ok: boolean;
  /** Findings at or above the gate (or secrets when they fail the stage). */
  blocked: boolean;
  hint: FailureClass | null;
  summary: string;
  /**
   * The failure in one short line (the runtime cuts a job's reason at 160 characters): the first
   * blocking finding as package@version, advisory id and fix; null when the stage passes.
   */
  reason: string | null;
  counts: Counts;
  /** What the user should hear about without the stage failing for it. */
  problems: string[];
}

type ScanState = SecretScan | { status: "off" };
type AuditState = AuditResult | { status: "off" };

/** Applies the gate (`fail_on`, `secrets`, `audit_unreachable`) to what the two scans found. */
export function judgeSecurity(opts: SecurityOptions, scan: ScanState, audit: AuditState): Verdict {
  const vulns = audit.status === "ok" ? audit.vulnerabilities : [];
  const secrets = scan.status === "ok" ? scan.findings : [];
  const counts = countAll(vulns, secrets.length);
  const gate = severityRank(opts.failOn);
  const blocking = vulns.filter((v) => severityRank(v.severity) >= gate);
  const blocked = blocking.length > 0 || (opts.secrets === true && secrets.length > 0);
  const problems: string[] = [];
  let failure: { reason: string; hint: FailureClass | null } | null = null;
  if (scan.status === "failed") failure = { reason: scan.reason, hint: scan.hint };
  if (audit.status === "failed") {
    if (audit.unreachable && opts.auditUnreachable === "warn") problems.push(`${audit.reason} (passing: security.audit_unreachable is warn)`);
    else failure ??= { reason: audit.reason, hint: audit.hint };
  }
  if (audit.status === "skipped" && audit.problem) problems.push(audit.reason);
  if (opts.secrets === "warn" && secrets.length > 0) problems.push(`${plural(secrets.length, "secret")} found (not failing: security.secrets is warn)`);
  const head = blocked ? `blocked (fail_on: ${opts.failOn}${opts.secrets === true && secrets.length > 0 ? ", secrets" : ""}): ` : "";
  const line = (compact: boolean) => {
    const parts = [auditPart(audit, vulns, blocking, counts, compact), scanPart(scan, secrets.length)];
    const tail = failure !== null && !parts.some((p) => p.includes(failure.reason)) ? `; ${failure.reason}` : "";
    return `${head}${parts.join("; ")}${tail}`;
  };
  const ok = !blocked && failure === null;
  return {
    ok,
    blocked,
    hint: blocked ? "security_finding" : (failure?.hint ?? null),
    summary: line(false),
    reason: ok ? null : blocked ? line(true) : (failure?.reason ?? line(true)),
    counts,
    problems,
  };
}

function countAll(vulns: readonly Vulnerability[], secrets: number): Counts {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const v of vulns) counts[v.severity] += 1;
  return { ...counts, secrets };
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** "1 high vulnerability (minimist@1.2.0: Prototype Pollution in minimist, https://…, fix: upgrade minimist to 1.2.8)". */
function auditPart(audit: AuditState, vulns: readonly Vulnerability[], blocking: readonly Vulnerability[], counts: Counts, compact: boolean): string {
  if (audit.status === "off") return "dependency audit off";
  if (audit.status === "skipped") return `dependency audit skipped (${audit.reason.split(":")[0]})`;
  if (audit.status === "failed") return `dependency audit failed: ${audit.reason}`;
  if (vulns.length === 0) return `0 vulnerabilities${audit.dependencies === null ? "" : ` in ${plural(audit.dependencies, "dependency", "dependencies")}`}`;
  const bySeverity = [...SEVERITIES].reverse().filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  const total = vulns.length;
  const label = bySeverity.length === 1 ? `${bySeverity[0]} ${total === 1 ? "vulnerability" : "vulnerabilities"}` : `${plural(total, "vulnerability", "vulnerabilities")} (${bySeverity.join(", ")})`;
  const first = blocking[0] ?? vulns[0]!;
  const more = total > 1 ? `; +${total - 1} more` : "";
  return `${label}: ${compact ? `${packageAt(first)} ${first.id}, fix: ${first.fix}` : describeVulnerability(first)}${more}`;
}

function packageAt(v: Vulnerability): string {
  return `${v.package}${v.installed.length > 0 ? `@${v.installed.join(",")}` : ""}`;
}

/** "minimist@1.2.0: Prototype Pollution in minimist (https://github.com/advisories/GHSA-…), fix: upgrade minimist to 1.2.8". */
export function describeVulnerability(v: Vulnerability): string {
  return `${packageAt(v)}: ${v.title} (${v.advisory}), fix: ${v.fix}`;
}

function scanPart(scan: ScanState, found: number): string {
  if (scan.status === "off") return "secret scan off";
  if (scan.status === "failed") return `secret scan failed: ${scan.reason}`;
  if (found === 0) return "0 secrets";
  const f = scan.findings[0]!;
  return `${plural(found, "secret")} (${f.file}:${f.line} ${f.rule.replace(/^@secretlint\/secretlint-rule-/, "")}${found > 1 ? `; +${found - 1} more` : ""})`;
}
