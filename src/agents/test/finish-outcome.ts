import path from "node:path";
import { isFailingCase, testId, type TestCase } from "../../core/run/test-case.js";
import type { ExecOutcome } from "../../executor/port.js";
import type { JobContext, JobOutcome } from "../run-job.js";
import { readCoverage, type CoverageTotals } from "./coverage.js";
import { changedPaths, type FileSnapshot } from "./file-snapshot.js";
import type { ReadResult } from "./read-reports.js";
import { displayName, testStageData, testSummary } from "./test-stage-data.js";
import type { TestRunner } from "./test-options.js";

const MAX_FAILURES_LOGGED = 10;

export interface FinishInput {
  runner: TestRunner;
  mode: "direct" | "script";
  command: string;
  /** How the test command (or the job's steps) ended; `outcome` is the last process's. */
  result: { ok: boolean; outcome: ExecOutcome | null };
  read: ReadResult;
  /**
   * Whether the cases go back as the attempt's tests. Not when they came from the job's own
   * `reports.junit`, which the runtime reads and stores itself.
   */
  returnCases: boolean;
  coverage: CoverageTotals | null;
  rerun: { of: number; tests: string[] } | null;
  notes: string[];
  output: { bytes: number; truncated: number };
}

/**
 * The first coverage file among `candidates` this run wrote (new or changed since `before`),
 * read into totals; a bad file becomes a problem.
 */
export async function recordCoverage(ctx: JobContext, candidates: readonly string[], before: FileSnapshot, problems: string[]): Promise<CoverageTotals | null> {
  if (ctx.signal.aborted || candidates.length === 0) return null;
  const [file] = await changedPaths(candidates, before);
  if (file === undefined) return null;
  const r = await readCoverage(file, path.relative(ctx.workspace, file));
  if ("problem" in r) {
    problems.push(`coverage: ${r.problem}`);
    return null;
  }
  ctx.logs.push("system", `coverage: lines ${r.totals.lines.pct}% (${r.totals.lines.covered}/${r.totals.lines.total}) from ${r.totals.file}`);
  return r.totals;
}

/** Failing tests that count, and the quarantined ones that failed but do not. */
export function countFailing(cases: readonly TestCase[], quarantine: readonly string[]): { failing: number; quarantined: string[] } {
  const inQuarantine = new Set(quarantine);
  const quarantined = new Set<string>();
  let failing = 0;
  for (const c of cases.filter(isFailingCase)) {
    const id = testId(c);
    if (inQuarantine.has(id)) quarantined.add(id);
    else failing++;
  }
  return { failing, quarantined: [...quarantined] };
}

/**
 * The attempt's outcome: failed when the command failed or any test failed or errored (a runner
 * can exit 0 with failures when configured to), with `test_failure` as the class when tests
 * failed; the stage report carries counts, the first failures, coverage and the rerun.
 */
export function finishOutcome(ctx: JobContext, input: FinishInput): JobOutcome {
  const data = testStageData({
    runner: input.runner,
    mode: input.mode,
    command: input.command,
    cases: input.read.cases,
    reports: input.read.files,
    coverage: input.coverage,
    rerun: input.rerun,
    notes: input.notes,
  });
  const last = input.result.outcome;
  const { failing, quarantined } = countFailing(input.read.cases, ctx.context.quarantined);
  if (quarantined.length > 0) {
    data.quarantined = quarantined;
    ctx.logs.push("system", `quarantine: ${quarantined.length} failing test(s) in quarantine did not fail the job: ${quarantined.slice(0, 5).join("; ")} (see \`pitstop quarantine\`)`);
  }
  // A runner exits non-zero when any test fails: when every failure is quarantined and the runner
  // ended on its own (no signal, no timeout), the failures are the only reason and do not count.
  const onlyQuarantined = quarantined.length > 0 && failing === 0 && last !== null && last.signal === null && !last.timedOut;
  const outcome: JobOutcome = {
    ok: (input.result.ok || onlyQuarantined) && failing === 0 && !ctx.signal.aborted,
    last,
    outputBytes: input.output.bytes,
    truncatedBytes: input.output.truncated,
    setupError: null,
    tests: input.returnCases ? input.read.cases : [],
    problems: input.read.problems,
    stage: { kind: "test", summary: testSummary(data), data: { ...data } },
  };
  // A timeout or a kill explains the failure better than the tests it cut short.
  if (failing > 0 && !(last?.timedOut ?? false) && (last?.signal ?? null) === null) outcome.hint = "test_failure";
  // Some reporters (mocha's xunit) print nothing: the log should still say what failed.
  for (const f of data.failed.slice(0, MAX_FAILURES_LOGGED)) {
    // Two lines: assertion messages often put the values on the second ("…strictly equal:\n\n1 !== 2").
    const why = (f.message ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "").slice(0, 2).join(" ");
    ctx.logs.push("system", `✗ ${displayName(f)}${why === "" ? "" : `: ${why.slice(0, 200)}`}`);
  }
  if (data.failed.length > MAX_FAILURES_LOGGED) ctx.logs.push("system", `… and ${failing - MAX_FAILURES_LOGGED} more failed`);
  ctx.logs.push("system", `tests: ${outcome.stage?.summary ?? ""}`);
  return outcome;
}
