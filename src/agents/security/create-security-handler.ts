import { chown, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { ExecOutcome } from "../../executor/port.js";
import type { JobContext, JobOutcome, KindHandler } from "../run-job.js";
import { resolveInside } from "../run-steps.js";
import { writeSarif } from "../sarif/write-sarif.js";
import type { StageDeps } from "../stage-deps.js";
import { auditDependencies, displayRegistry, type AuditResult } from "./audit-dependencies.js";
import { findSecretlint, type SecretlintTool } from "./find-secretlint.js";
import { describeVulnerability, judgeSecurity, MAX_LISTED, type Verdict } from "./judge-security.js";
import { scanSecrets, type SecretScan } from "./scan-secrets.js";
import { npmAuditRun, secretlintRun } from "./security-sarif-runs.js";
import { parseSecurityOptions, type SecurityOptions } from "./security-options.js";

export interface SecurityDeps extends StageDeps {
  /** Registry npm audit asks when the pipeline gives no `with.registry` (else the project's npm config). */
  advisoryRegistry?: string;
}

/** Where the merged SARIF goes, relative to the workspace. */
export const SECURITY_SARIF = ".pitstop/reports/security.sarif";
/** Findings echoed to the job log; the rest are in stage data and SARIF. */
const MAX_LOGGED = 50;

type ScanState = SecretScan | { status: "off" };
type AuditState = AuditResult | { status: "off" };

/**
 * The `security` kind: a secret scan of the working tree (secretlint, recommended preset) and a
 * dependency audit (`npm audit` against the configured registry), merged into one SARIF file and
 * gated by `fail_on`. Secrets never reach the log, the stage data or the SARIF, only masked messages.
 */
export function createSecurityHandler(deps: SecurityDeps): KindHandler {
  return async (ctx) => {
    const parsed = parseSecurityOptions(ctx.job.with);
    if (!parsed.ok) return notRun(parsed.error);
    const opts = parsed.options;
    const cwd = resolveInside(ctx.workspace, ctx.job.workingDirectory);
    if (cwd === null) return notRun(`working-directory ${ctx.job.workingDirectory ?? ""} escapes the workspace: use a path inside it`);
    let tool: SecretlintTool | null = null;
    if (opts.secrets !== false) {
      const found = await findSecretlint(cwd, ctx.env.PATH);
      if (!found.ok) return { ...notRun(found.message), hint: "command_not_found" };
      tool = found.tool;
    }
    const scratch = await makeScratch(ctx.workspace);
    try {
      const outcome = await scanAndJudge(ctx, { deps, opts, cwd, tool, scratch });
      deps.log.info({ runId: ctx.runId, jobId: ctx.job.id, ok: outcome.ok }, "security stage finished");
      return outcome;
    } finally {
      // The scratch holds secretlint's raw report, which quotes file contents (secrets included).
      await rm(scratch, { recursive: true, force: true });
    }
  };
}

interface Run {
  deps: SecurityDeps;
  opts: SecurityOptions;
  cwd: string;
  tool: SecretlintTool | null;
  scratch: string;
}

async function scanAndJudge(ctx: JobContext, run: Run): Promise<JobOutcome> {
  const { opts } = run;
  const used = { bytes: 0 };
  const scan: ScanState = run.tool === null ? { status: "off" } : await scanSecrets(ctx, { cwd: run.cwd, tool: run.tool, scratch: run.scratch, exclude: opts.exclude, used });
  const registry = opts.registry ?? run.deps.advisoryRegistry ?? null;
  const audit: AuditState =
    opts.audit === false || ctx.signal.aborted
      ? { status: "off" }
      : await auditDependencies(ctx, { cwd: run.cwd, registry, production: opts.audit === "production", scratch: run.scratch, used });
  const verdict = judgeSecurity(opts, scan, audit);
  logFindings(ctx, scan, audit);
  await writeSarif(path.join(ctx.workspace, SECURITY_SARIF), sarifRuns(ctx, run, scan, audit), { srcRoot: ctx.workspace });
  // On failure the runtime logs `setupError` and makes it the job's reason (its evidence takes
  // tool output lines only, and npm's warnings would explain nothing).
  if (verdict.ok) ctx.logs.push("system", ctx.mask(`✓ security: ${verdict.summary}`));
  const outcomes = [scan, audit].map((s) => ("outcome" in s ? s.outcome : null)).filter((o): o is ExecOutcome => o !== null);
  const failedOutcome = audit.status === "failed" ? audit.outcome : scan.status === "failed" ? scan.outcome : null;
  return {
    ok: verdict.ok,
    // A gate failure is no process's failure: "exit 0 (security_finding)" would mislead.
    last: verdict.blocked ? null : (failedOutcome ?? outcomes.at(-1) ?? null),
    outputBytes: used.bytes,
    truncatedBytes: outcomes.reduce((n, o) => n + o.truncatedBytes, 0),
    setupError: verdict.reason,
    ...(verdict.hint === null ? {} : { hint: verdict.hint }),
    problems: verdict.problems,
    stage: { kind: "security", summary: verdict.summary, data: stageData(ctx, run, scan, audit, registry, verdict) },
  };
}

function stageData(ctx: JobContext, run: Run, scan: ScanState, audit: AuditState, registry: string | null, verdict: Verdict): Record<string, unknown> {
  const vulns = audit.status === "ok" ? audit.vulnerabilities : [];
  const secrets = scan.status === "ok" ? scan.findings : [];
  const data: Record<string, unknown> = {
    failOn: run.opts.failOn,
    blocked: verdict.blocked,
    counts: verdict.counts,
    vulnerabilities: vulns.slice(0, MAX_LISTED),
    secrets: secrets.slice(0, MAX_LISTED).map((s) => ({ file: s.file, line: s.line, column: s.column, rule: s.rule, message: s.message })),
    sarif: SECURITY_SARIF,
    audit: {
      status: audit.status,
      registry: displayRegistry(registry),
      ...(audit.status === "ok" ? { lockfile: relativeTo(ctx.workspace, audit.lockfile), dependencies: audit.dependencies } : {}),
      ...(audit.status === "skipped" || audit.status === "failed" ? { reason: audit.reason } : {}),
    },
    secretScan: {
      status: scan.status,
      tool: "secretlint",
      version: run.tool?.version ?? null,
      config: run.tool === null ? null : run.tool.projectConfig === null ? "@secretlint/secretlint-rule-preset-recommend" : relativeTo(ctx.workspace, run.tool.projectConfig),
      ...(scan.status === "ok" ? { files: scan.files } : {}),
      ...(scan.status === "failed" ? { reason: scan.reason } : {}),
    },
  };
  if (vulns.length > MAX_LISTED || secrets.length > MAX_LISTED) {
    data.truncated = { vulnerabilities: Math.max(0, vulns.length - MAX_LISTED), secrets: Math.max(0, secrets.length - MAX_LISTED) };
  }
  return data;
}

function sarifRuns(ctx: JobContext, run: Run, scan: ScanState, audit: AuditState) {
  const runs = [];
  if (scan.status !== "off") {
    runs.push(secretlintRun(scan.status === "ok" ? scan.findings : [], run.tool?.version ?? null, scan.outcome, scan.status === "failed" ? scan.reason : null));
  }
  if (audit.status === "ok" || audit.status === "failed") {
    const manifest = audit.status === "ok" && isInside(ctx.workspace, audit.lockfile) ? audit.lockfile : path.join(run.cwd, "package.json");
    runs.push(npmAuditRun(audit.status === "ok" ? audit.vulnerabilities : [], relativeTo(ctx.workspace, manifest), audit.outcome, audit.status === "failed" ? audit.reason : null));
  }
  return runs;
}

function logFindings(ctx: JobContext, scan: ScanState, audit: AuditState): void {
  const vulns = audit.status === "ok" ? audit.vulnerabilities : [];
  const secrets = scan.status === "ok" ? scan.findings : [];
  for (const v of vulns.slice(0, MAX_LOGGED)) ctx.logs.push("system", ctx.mask(`  ${v.severity.padEnd(8)} ${describeVulnerability(v)}`));
  for (const s of secrets.slice(0, MAX_LOGGED)) ctx.logs.push("system", ctx.mask(`  secret   ${s.file}:${s.line}:${s.column} ${s.rule}: ${s.message}`));
  const more = Math.max(0, vulns.length - MAX_LOGGED) + Math.max(0, secrets.length - MAX_LOGGED);
  if (more > 0) ctx.logs.push("system", `  … ${more} more findings in ${SECURITY_SARIF}`);
}

/**
 * A private directory under `<workspace>/.pitstop/tmp` for the tools' raw output: inside the
 * workspace because a sandboxed job may write only there, owned like the workspace because a
 * sandbox started by root runs the tools as the workspace's unprivileged owner.
 */
async function makeScratch(workspace: string): Promise<string> {
  const parent = path.join(workspace, ".pitstop", "tmp");
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, "security-"));
  if (process.getuid?.() === 0) {
    const owner = await stat(workspace);
    if (owner.uid !== 0) await chown(dir, owner.uid, owner.gid);
  }
  return dir;
}

function relativeTo(root: string, file: string): string {
  const rel = path.relative(root, file);
  return (rel === "" ? "." : rel).split(path.sep).join("/");
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return !rel.startsWith("..") && !path.isAbsolute(rel);
}

function notRun(reason: string): JobOutcome {
  return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: reason };
}
