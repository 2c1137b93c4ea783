import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { TestCase } from "../../core/run/test-case.js";
import { runCommand, type CommandResult } from "../run-command.js";
import type { JobContext, JobOutcome } from "../run-job.js";
import { DEFAULT_COVERAGE_FILES } from "./coverage.js";
import { coverageRequest } from "./coverage-request.js";
import type { TestPlan } from "./detect-runner.js";
import { snapshotPaths } from "./file-snapshot.js";
import { hasBin, pathWithBins } from "./find-tool.js";
import { readRunnerReport, type ReadResult } from "./read-reports.js";
import { rerunFilter, type RerunTest } from "./rerun-filter.js";
import type { RunnerInvocation } from "./runner-invocation.js";
import { buildRunnerCommand } from "./runner-command.js";
import { finishOutcome, recordCoverage } from "./finish-outcome.js";
import { displayName } from "./test-stage-data.js";
import type { TestOptions } from "./test-options.js";

export interface DirectInput {
  plan: Extract<TestPlan, { mode: "direct" }>;
  options: TestOptions;
  cwd: string;
}

/**
 * Where this attempt's reports go: `<workspace>/.pitstop/reports/test/junit-<attempt>.xml` (and
 * jest-, lcov-, coverage-<attempt>.*) for the short form's `test` job; other test jobs (matrix
 * entries run side by side in one workspace) get a directory of their own below it.
 */
export interface ReportFiles {
  junit: string;
  jestJson: string;
  lcov: string;
  coverageXml: string;
}

interface Rerun {
  of: number;
  tests: readonly RerunTest[];
  filter: string[];
}

interface RunOnce {
  result: CommandResult;
  command: string;
  read: ReadResult;
}

/** Runs a runner pitstop drives: its reporter added, only the failed tests on a retry, coverage when asked. */
export async function runDirect(ctx: JobContext, input: DirectInput): Promise<JobOutcome> {
  const { options, cwd } = input;
  const inv = input.plan.invocation;
  if (inv.bin !== null && !(await hasBin(cwd, inv.bin, ctx.env.PATH))) return notFound(`${inv.bin} not found: add it to devDependencies or set test.command`);
  const files = await prepareFiles(ctx);
  const notes: string[] = [];
  let rerun = await selectRerun(ctx, inv, cwd, options, notes);
  const coverage = rerun === null ? await coverageWords(ctx, inv, cwd, files, options, notes) : { words: [], candidates: [] };
  if (rerun !== null && options.coverage !== false) notes.push("coverage: not recorded for a rerun of only the failed tests");
  const covBefore = await snapshotPaths(coverage.candidates);
  const used = { bytes: 0, truncated: 0 };
  const base = { inv, files, cwd, extra: options.args };
  let run = await runOnce(ctx, { ...base, filter: rerun?.filter ?? [], coverage: coverage.words }, used);
  const missing = missingTool(ctx, inv, run.result);
  if (missing !== null) return { ...notFound(missing), last: run.result.outcome, outputBytes: used.bytes, truncatedBytes: used.truncated };
  if (rerun !== null && !ctx.signal.aborted) {
    const kept = keepRequested(run.read.cases, rerun.tests);
    if (kept.missing.length === 0 || run.read.files.length === 0) run.read.cases = kept.cases;
    else {
      notes.push(`rerun: ${kept.missing.length} of the ${rerun.tests.length} failed tests did not run under the name filter (${kept.missing.slice(0, 3).join("; ")}); ran the whole suite`);
      ctx.logs.push("system", notes.at(-1) as string);
      rerun = null;
      run = await runOnce(ctx, { ...base, filter: [], coverage: [] }, used);
    }
  }
  const cov = await recordCoverage(ctx, coverage.candidates, covBefore, run.read.problems);
  return finishOutcome(ctx, {
    runner: inv.runner,
    mode: "direct",
    command: run.command,
    result: run.result,
    read: run.read,
    returnCases: true,
    coverage: cov,
    rerun: rerun === null ? null : { of: rerun.of, tests: rerun.tests.map(displayName) },
    notes,
    output: used,
  });
}

function notFound(message: string): JobOutcome {
  return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: message, hint: "command_not_found" };
}

async function prepareFiles(ctx: JobContext): Promise<ReportFiles> {
  const base = path.join(ctx.workspace, ".pitstop", "reports", "test");
  const dir = ctx.job.id === "test" ? base : path.join(base, ctx.job.id.replace(/[^A-Za-z0-9._-]+/g, "_"));
  // Node's junit reporter does not create the directory of its destination.
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    junit: path.join(dir, `junit-${ctx.attempt}.xml`),
    jestJson: path.join(dir, `jest-${ctx.attempt}.json`),
    lcov: path.join(dir, `lcov-${ctx.attempt}.info`),
    coverageXml: path.join(dir, `coverage-${ctx.attempt}.xml`),
  };
  // The same attempt may run again (a lost agent's job redelivered): never read its old report.
  for (const f of Object.values(files)) await rm(f, { force: true });
  return files;
}

async function selectRerun(ctx: JobContext, inv: RunnerInvocation, cwd: string, options: TestOptions, notes: string[]): Promise<Rerun | null> {
  const previous = ctx.context.previous;
  // Set on a retry, or when this run reruns a failed job of another run (healing).
  if (previous === null || previous.failedTests.length === 0 || !options.rerunFailed) return null;
  const filter = await rerunFilter(inv, previous.failedTests, cwd);
  if ("unsupported" in filter) {
    notes.push(`rerun: ${filter.unsupported}; ran the whole suite`);
    ctx.logs.push("system", notes.at(-1) as string);
    return null;
  }
  const of = previous.runId === undefined ? `attempt ${previous.attempt}` : `run ${previous.runId.slice(0, 8)} attempt ${previous.attempt}`;
  ctx.logs.push("system", `rerunning the ${previous.failedTests.length} failed test(s) of ${of}: ${previous.failedTests.slice(0, 5).map(displayName).join("; ")}`);
  return { of: previous.attempt, tests: previous.failedTests, filter };
}

async function coverageWords(ctx: JobContext, inv: RunnerInvocation, cwd: string, files: ReportFiles, options: TestOptions, notes: string[]) {
  const defaults = DEFAULT_COVERAGE_FILES.map((f) => path.join(cwd, f));
  if (typeof options.coverage === "string") return { words: [] as string[], candidates: [path.join(ctx.workspace, options.coverage)] };
  if (options.coverage === false) return { words: [] as string[], candidates: defaults };
  const probe = async (command: string): Promise<boolean> => (await runCommand(ctx, command, { label: "coverage check", quiet: true, cwd: path.relative(ctx.workspace, cwd) })).ok;
  const req = await coverageRequest({ inv, cwd, lcovFile: files.lcov, xmlFile: files.coverageXml, probe });
  if (req.note !== null) {
    notes.push(req.note);
    ctx.logs.push("system", req.note);
  }
  return { words: req.words, candidates: req.file === null ? defaults : [req.file, ...defaults] };
}

async function runOnce(
  ctx: JobContext,
  input: { inv: RunnerInvocation; files: ReportFiles; cwd: string; extra: readonly string[]; filter: string[]; coverage: string[] },
  used: { bytes: number; truncated: number },
): Promise<RunOnce> {
  const { inv, files } = input;
  const reportFile = inv.runner === "jest" ? files.jestJson : files.junit;
  const command = buildRunnerCommand({ invocation: inv, reportFile, extraArgs: input.extra, filter: input.filter, coverage: input.coverage });
  const env = { PATH: pathWithBins(input.cwd, ctx.env.PATH) };
  const result = await runCommand(ctx, command, { label: inv.runner, cwd: path.relative(ctx.workspace, input.cwd), env }, used);
  used.truncated += result.outcome.truncatedBytes;
  const read = ctx.signal.aborted ? { cases: [], problems: [], files: [] } : await readRunnerReport(inv.runner, files, ctx.workspace, ctx.mask);
  return { result, command, read };
}

/** A runner that is not installed shows up as exit 127 (`sh: vitest: not found`) or, for pytest, as python's complaint. */
function missingTool(ctx: JobContext, inv: RunnerInvocation, result: CommandResult): string | null {
  if (result.ok || ctx.signal.aborted) return null;
  const tail = ctx.logs.tail().join("\n");
  if (inv.runner === "pytest" && /No module named pytest\b|pytest: (?:command )?not found/.test(tail)) {
    return "pytest not found: install it in the job's Python (pip install pytest) or set test.command";
  }
  if (/npx canceled due to missing packages/.test(tail)) return `${inv.bin ?? inv.runner} not found: add it to devDependencies or set test.command`;
  if (result.outcome.exitCode !== 127) return null;
  // sh says which command it could not find ("sh: 1: tsc: not found"): name that one.
  const name = /(?:^|: )([^\s:]+): (?:command )?not found\s*$/m.exec(tail)?.[1] ?? inv.bin ?? inv.runner;
  const fix = name === inv.bin ? "add it to devDependencies or set test.command" : "install it or set test.command";
  return `${name} not found: ${fix}`;
}

/**
 * In a rerun only the requested tests count: runners report the tests their filter left out
 * as skipped (node does), and those must not read as this attempt's results. Tests that ran
 * although not requested (a same-named test elsewhere) are real results and stay.
 */
function keepRequested(cases: readonly TestCase[], requested: readonly RerunTest[]): { cases: TestCase[]; missing: string[] } {
  const key = (t: { suite: string; name: string }): string => `${t.suite}\u0000${t.name}`;
  const wanted = new Set(requested.map(key));
  const kept = cases.filter((c) => wanted.has(key(c)) || c.status !== "skipped");
  const seen = new Set(kept.map(key));
  const missing = requested.filter((t) => !seen.has(key(t))).map(displayName);
  return { cases: kept, missing };
}
