import path from "node:path";
import { coerceError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { JobContext, JobOutcome } from "../run-job.js";
import { writeSarif, type SarifRunInput } from "../sarif/write-sarif.js";
import { compareFindings, countFindings, describeCounts, formatFinding, type LintCounts, type LintFinding, type LintRun } from "./lint-finding.js";
import type { LintOptions } from "./lint-options.js";
import type { LinterResult } from "./run-linter.js";

/** Findings kept in `stage.data` (the SARIF file has them all): the stage report crosses the bus. */
export const MAX_STORED_FINDINGS = 1000;
const MAX_LOGGED_FINDINGS = 50;

const INFO_URI: Record<string, string> = {
  eslint: "https://eslint.org",
  tsc: "https://www.typescriptlang.org",
  ruff: "https://docs.astral.sh/ruff",
  pylint: "https://pylint.readthedocs.io",
};

export interface FinishInput {
  ctx: JobContext;
  log: Logger;
  options: LintOptions;
  results: readonly LinterResult[];
  projectDir: string;
  sarifFile: string;
}

/** Turns the linters' results into the job outcome: findings, SARIF file, verdict and summary. */
export async function finishLint(input: FinishInput): Promise<JobOutcome> {
  const { ctx, options, results } = input;
  const relative = results.map((r) => ({ ...r, runs: r.runs.map((run) => relativize(run, input.projectDir, ctx.workspace)) }));
  const findings = relative.flatMap((r) => r.runs.flatMap((run) => run.findings)).sort(compareFindings);
  const counts = countFindings(findings);
  const tools = [...new Set(results.flatMap((r) => (r.runs.length > 0 ? r.runs.map((x) => x.tool) : [r.tool])))];
  const problems: string[] = [];
  let sarif: string | null = path.relative(ctx.workspace, input.sarifFile).split(path.sep).join("/");
  try {
    await writeSarif(input.sarifFile, sarifRuns(relative), { srcRoot: ctx.workspace });
  } catch (e) {
    const err = coerceError(e);
    input.log.warn({ err, runId: ctx.runId, jobId: ctx.job.id }, "lint: could not write SARIF");
    problems.push(`with.sarif: could not write ${sarif}: ${err.message}`);
    sarif = null;
  }
  const verdict = decide(input, tools, counts);
  logFindings(ctx, findings, sarif);
  ctx.logs.push("system", ctx.mask(`lint: ${verdict.summary}`));
  const data = lintStageData({ findings, tools, sarif, options, failures: verdict.failures });
  return {
    ok: verdict.ok,
    last: verdict.last,
    outputBytes: results.reduce((n, r) => n + r.outcome.outputBytes, 0),
    truncatedBytes: results.reduce((n, r) => n + r.outcome.truncatedBytes, 0),
    setupError: verdict.failures.length > 0 ? verdict.failures.join("; ") : null,
    ...(verdict.hint ? { hint: verdict.hint } : {}),
    ...(problems.length > 0 ? { problems } : {}),
    stage: { kind: "lint", summary: verdict.summary, data },
  };
}

/** `stage.data` of a lint job (docs/stages/lint.md); the same shape whatever happened. */
export function lintStageData(input: { findings: readonly LintFinding[]; tools: readonly string[]; sarif: string | null; options: LintOptions; failures: readonly string[] }): Record<string, unknown> {
  const { findings, options } = input;
  const data: Record<string, unknown> = {
    findings: findings.slice(0, MAX_STORED_FINDINGS),
    total: findings.length,
    truncated: findings.length > MAX_STORED_FINDINGS,
    counts: countFindings(findings),
    tools: input.tools,
    sarif: input.sarif,
    maxWarnings: options.maxWarnings,
  };
  if (options.command !== null) data.command = options.command;
  if (input.failures.length > 0) data.failures = input.failures;
  return data;
}

interface Verdict {
  ok: boolean;
  summary: string;
  hint: "lint" | "command_not_found" | null;
  failures: string[];
  last: JobOutcome["last"];
}

function decide(input: FinishInput, tools: readonly string[], counts: LintCounts): Verdict {
  const { ctx, options, results } = input;
  const last = results.at(-1)?.outcome ?? null;
  const failed = results.filter((r) => r.failure !== null);
  if (ctx.signal.aborted) return { ok: false, summary: "cancelled", hint: null, failures: [], last };
  if (failed.length > 0) {
    const failures = failed.map((r) => r.failure as string);
    const hint = failed.some((r) => r.notFound) ? "command_not_found" : null;
    return { ok: false, summary: failures.join("; "), hint, failures, last: failed[0]?.outcome ?? last };
  }
  const unread = results.find((r) => !r.parsed);
  if (unread !== undefined) {
    const code = last?.exitCode ?? null;
    const ok = code === 0;
    const what = unread.tool === "steps" ? "lint steps" : "lint command";
    const how = unread.tool === "steps" ? "with.command and with.format" : "with.format";
    const summary = `${what} ${ok ? "passed" : `failed (exit ${code ?? "?"})`}; findings not recorded: set ${how} to read them`;
    return { ok, summary, hint: null, failures: [], last };
  }
  const described = describeCounts(counts, tools);
  const firstWithErrors = results.find((r) => r.runs.some((run) => run.findings.some((f) => f.severity === "error")));
  if (counts.error > 0) return { ok: false, summary: described, hint: "lint", failures: [], last: firstWithErrors?.outcome ?? last };
  if (options.maxWarnings !== null && counts.warning > options.maxWarnings) {
    const summary = `${described}: more than max_warnings ${options.maxWarnings}`;
    return { ok: false, summary, hint: "lint", failures: [], last };
  }
  return { ok: true, summary: described, hint: null, failures: [], last };
}

/** One SARIF run per tool that ran, failed runs included (with their invocation). */
function sarifRuns(results: readonly LinterResult[]): SarifRunInput[] {
  return results.flatMap((r): SarifRunInput[] => {
    const invocation = { ok: r.failure === null, exitCode: r.outcome.exitCode, message: r.failure };
    if (r.runs.length === 0) return [{ tool: r.tool, informationUri: INFO_URI[r.tool] ?? null, findings: [], invocation }];
    return r.runs.map((run) => ({ tool: run.tool, informationUri: INFO_URI[run.tool] ?? null, rules: run.rules, findings: run.findings, invocation }));
  });
}

/** Paths as the workspace sees them: relative with forward slashes; absolute when outside it. */
function relativize(run: LintRun, projectDir: string, workspace: string): LintRun {
  const findings = run.findings.map((f) => {
    if (f.file === null) return f;
    const abs = path.resolve(projectDir, f.file);
    const rel = path.relative(workspace, abs);
    const file = rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel.split(path.sep).join("/");
    return { ...f, file };
  });
  return { ...run, findings };
}

function logFindings(ctx: JobContext, findings: readonly LintFinding[], sarif: string | null): void {
  // Findings read from a report file did not pass through the executor's masking.
  for (const f of findings.slice(0, MAX_LOGGED_FINDINGS)) ctx.logs.push("system", ctx.mask(formatFinding(f)));
  const more = findings.length - MAX_LOGGED_FINDINGS;
  if (more > 0) ctx.logs.push("system", `… and ${more} more findings${sarif === null ? "" : ` in ${sarif}`}`);
  if (sarif !== null) ctx.logs.push("system", `SARIF: ${sarif}`);
}
