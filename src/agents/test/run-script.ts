import path from "node:path";
import { runCommand } from "../run-command.js";
import type { JobContext, JobOutcome } from "../run-job.js";
import { runSteps } from "../run-steps.js";
import { DEFAULT_COVERAGE_FILES } from "./coverage.js";
import type { TestPlan } from "./detect-runner.js";
import { snapshotPaths, takeSnapshot } from "./file-snapshot.js";
import { pathWithBins } from "./find-tool.js";
import { finishOutcome, recordCoverage } from "./finish-outcome.js";
import { DISCOVER_PATTERNS, readScriptReports } from "./read-reports.js";
import type { TestOptions } from "./test-options.js";

export interface ScriptInput {
  plan: Extract<TestPlan, { mode: "script" }>;
  options: TestOptions;
  cwd: string;
}

/**
 * Runs a command pitstop does not change (`npm test` when the script does more than start the
 * runner, `with.command` with `runner: command`, or the job's steps), with the project's
 * node_modules/.bin on PATH as npm scripts have it. Its reports come from `with.junit`, else
 * from the job's `reports.junit` (which the runtime stores; read here only for the counts),
 * else from JUnit files the run wrote in the usual places. Rerunning only the failed tests needs
 * a name filter pitstop can add, so here a retry runs the whole command.
 */
export async function runScript(ctx: JobContext, input: ScriptInput): Promise<JobOutcome> {
  const { plan, options, cwd } = input;
  const notes: string[] = [];
  const previous = ctx.context.previous;
  if (options.rerunFailed && (previous?.failedTests.length ?? 0) > 0) {
    notes.push("rerun: only runners pitstop starts itself can rerun just the failed tests (see docs/stages/test.md); ran the whole command");
    ctx.logs.push("system", notes.at(-1) as string);
  }
  const source = reportSource(options, ctx.job.reports.junit);
  // Named reports are relative to the workspace (as `reports.junit` is); discovery looks where the tests run.
  const reportsDir = source.kind === "discovered" ? cwd : ctx.workspace;
  const reportsBefore = await takeSnapshot(reportsDir, source.globs);
  const covCandidates = typeof options.coverage === "string" ? [path.join(ctx.workspace, options.coverage)] : DEFAULT_COVERAGE_FILES.map((f) => path.join(cwd, f));
  const covBefore = await snapshotPaths(covCandidates);
  if (options.coverage === true) notes.push("coverage: `coverage: true` only applies to runners pitstop starts; reading the coverage files the command writes");

  const env = { ...ctx.env, PATH: pathWithBins(cwd, ctx.env.PATH) };
  const used = { bytes: 0, truncated: 0 };
  let result: { ok: boolean; outcome: JobOutcome["last"] };
  let setupError: string | null = null;
  if (plan.command === null) {
    const steps = await runSteps({ ...ctx, env });
    result = { ok: steps.ok, outcome: steps.last };
    used.bytes = steps.outputBytes;
    used.truncated = steps.truncatedBytes;
    setupError = steps.setupError;
  } else {
    const r = await runCommand(ctx, plan.command, { label: plan.runner === "command" ? "tests" : plan.runner, cwd: path.relative(ctx.workspace, cwd), env: { PATH: env.PATH } }, used);
    used.truncated += r.outcome.truncatedBytes;
    result = r;
  }
  const read = ctx.signal.aborted
    ? { cases: [], problems: [], files: [] }
    : await readScriptReports(reportsDir, ctx.workspace, { globs: source.globs, discovered: source.kind === "discovered" }, reportsBefore, ctx.mask);
  // The runtime reads `reports.junit` too and reports its problems itself.
  if (source.kind === "reports.junit") read.problems = [];
  if (source.kind === "discovered" && read.files.length > 0) ctx.logs.push("system", `test reports found: ${read.files.join(", ")}`);
  const coverage = await recordCoverage(ctx, covCandidates, covBefore, read.problems);
  const outcome = finishOutcome(ctx, {
    runner: plan.runner,
    mode: "script",
    command: plan.command ?? ctx.job.steps.map((s) => s.run).join(" && "),
    result,
    read,
    returnCases: source.kind !== "reports.junit",
    coverage,
    rerun: null,
    notes,
    output: used,
  });
  return setupError === null ? outcome : { ...outcome, setupError };
}

type ReportSource = { kind: "with.junit" | "reports.junit" | "discovered"; globs: readonly string[] };

function reportSource(options: TestOptions, jobReports: readonly string[]): ReportSource {
  if (options.junit.length > 0) return { kind: "with.junit", globs: options.junit };
  if (jobReports.length > 0) return { kind: "reports.junit", globs: jobReports };
  return { kind: "discovered", globs: DISCOVER_PATTERNS };
}
