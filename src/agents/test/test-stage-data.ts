import { countTests, isFailingCase, testId, type TestCase, type TestCounts } from "../../core/run/test-case.js";
import type { CoverageTotals } from "./coverage.js";
import type { TestRunner } from "./test-options.js";

/** Failed cases listed in `stage.data.failed`; the full list is in the stored test results. */
export const MAX_FAILED_LISTED = 50;
const MAX_LISTED_MESSAGE = 500;

/** What the test stage stores with the attempt (`stage.data`); documented in docs/stages/test.md. */
export interface TestStageData {
  runner: TestRunner;
  /** `direct`: pitstop ran the runner with its reporter; `script`: a command ran as written. */
  mode: "direct" | "script";
  command: string;
  counts: TestCounts;
  failed: { suite: string; name: string; message: string | null }[];
  coverage?: CoverageTotals;
  /** Set when this attempt reran only the previous attempt's failed tests. */
  rerun?: { of: number; tests: string[] };
  /** The report this attempt's results come from (relative to the workspace), null if none. */
  junit: string | null;
  /** Every report read, when more than one. */
  reports?: string[];
  /** Failing tests in quarantine (test ids): reported, but they did not fail the job. */
  quarantined?: string[];
  /** Things the user may want to know (coverage not possible, rerun fell back to the whole suite…). */
  notes?: string[];
}

export interface StageDataInput {
  runner: TestRunner;
  mode: "direct" | "script";
  command: string;
  cases: readonly TestCase[];
  reports: readonly string[];
  coverage: CoverageTotals | null;
  rerun: { of: number; tests: string[] } | null;
  notes: readonly string[];
}

function firstLines(message: string | null): string | null {
  if (message === null) return null;
  return message.length <= MAX_LISTED_MESSAGE ? message : `${message.slice(0, MAX_LISTED_MESSAGE)}…`;
}

export function testStageData(input: StageDataInput): TestStageData {
  const failed = input.cases
    .filter(isFailingCase)
    .slice(0, MAX_FAILED_LISTED)
    .map((c) => ({ suite: c.suite, name: c.name, message: firstLines(c.message) }));
  const data: TestStageData = {
    runner: input.runner,
    mode: input.mode,
    command: input.command,
    counts: countTests(input.cases),
    failed,
    junit: input.reports[0] ?? null,
  };
  if (input.reports.length > 1) data.reports = [...input.reports];
  if (input.coverage !== null) data.coverage = input.coverage;
  if (input.rerun !== null) data.rerun = input.rerun;
  if (input.notes.length > 0) data.notes = [...input.notes];
  return data;
}

/** One line for humans: "47 passed, 2 failed, 1 skipped (vitest)", with rerun and coverage when there are. */
export function testSummary(data: TestStageData): string {
  const c = data.counts;
  let body: string;
  if (c.total === 0) body = data.junit === null ? "no test report" : "no tests ran";
  else {
    const parts = [`${c.passed} passed`];
    if (c.failed > 0) parts.push(`${c.failed} failed`);
    if (c.errored > 0) parts.push(`${c.errored} errored`);
    if (c.skipped > 0) parts.push(`${c.skipped} skipped`);
    if (data.quarantined !== undefined) parts.push(`${data.quarantined.length} in quarantine`);
    body = parts.join(", ");
  }
  const rerun = data.rerun === undefined ? "" : `rerun of ${data.rerun.tests.length} failed test${data.rerun.tests.length === 1 ? "" : "s"} from attempt ${data.rerun.of}: `;
  const coverage = data.coverage === undefined ? "" : `; lines ${data.coverage.lines.pct}%`;
  return `${rerun}${body} (${data.runner})${coverage}`;
}

/** "suite > name", or the name alone for a top-level test. */
/** The test id (core/run/test-case.ts): how a test is shown and named across runs. */
export const displayName = testId;
