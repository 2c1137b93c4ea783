/** One test case from a JUnit report, as stored and shown. */
export const TestCaseStatus = { passed: "passed", failed: "failed", errored: "errored", skipped: "skipped" } as const;
export type TestCaseStatus = (typeof TestCaseStatus)[keyof typeof TestCaseStatus];

export interface TestCase {
  suite: string;
  /** JUnit `classname` when present, else "". */
  classname: string;
  name: string;
  status: TestCaseStatus;
  durationMs: number;
  /** Failure/error message and the first lines of its body, masked. */
  message: string | null;
  /** Report file (relative to the workspace) the case came from. */
  file: string;
}

export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
}

export function countTests(cases: readonly Pick<TestCase, "status">[]): TestCounts {
  const c: TestCounts = { total: 0, passed: 0, failed: 0, errored: 0, skipped: 0 };
  for (const t of cases) {
    c.total++;
    c[t.status]++;
  }
  return c;
}

/** How a test is named across runs (quarantine, flake history): `<suite> > <name>`, or the name alone. */
export function testId(t: Pick<TestCase, "suite" | "name">): string {
  return t.suite === "" ? t.name : `${t.suite} > ${t.name}`;
}

/** A case that failed or errored: what fails a test job and what a rerun retries. */
export function isFailingCase(t: Pick<TestCase, "status">): boolean {
  return t.status === "failed" || t.status === "errored";
}
