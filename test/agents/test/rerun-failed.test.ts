import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestHandler } from "../../../src/agents/test/create-test-handler.js";
import type { TestStageData } from "../../../src/agents/test/test-stage-data.js";
import type { JobOutcome } from "../../../src/agents/run-job.js";
import type { PlanJob } from "../../../src/core/pipeline/plan.js";
import { parseJUnit } from "../../../src/insights/junit.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { fixtureProject, removeAll, stageDeps } from "./fixture-project.js";
import { pytestUnavailable } from "./pytest-available.js";

const dirs: string[] = [];
afterEach(() => removeAll(dirs));

const handler = createTestHandler(stageDeps());

function failedOf(out: JobOutcome) {
  return (out.tests ?? []).filter((t) => t.status === "failed" || t.status === "errored").map(({ suite, classname, name, file }) => ({ suite, classname, name, file }));
}

/** Attempt 1, then attempt 2 told which tests failed in attempt 1 (as the orchestrator does). */
async function twoAttempts(ws: string, job: PlanJob = planJob("test")) {
  const first = await handler(jobContext({ workspace: ws, job }));
  const failedTests = failedOf(first);
  const ctx2 = jobContext({ workspace: ws, job, attempt: 2, context: { previous: { attempt: 1, failureClass: "test_failure", failedTests } } });
  const second = await handler(ctx2);
  await ctx2.logs.flush();
  return { first, second, failedTests, lines: ctx2.lines };
}

/** The cases the runner actually ran in a report (node lists filtered-out tests as skipped). */
async function ranInReport(ws: string, rel: string): Promise<string[]> {
  const { cases } = parseJUnit(await readFile(path.join(ws, rel), "utf8"), rel);
  return cases.filter((c) => c.status !== "skipped").map((c) => c.name).sort();
}

describe("rerunning only the failed tests", () => {
  it("node: attempt 2 runs only the two failed tests, by an anchored --test-name-pattern", async () => {
    const ws = await fixtureProject("node-failing", dirs);
    const { first, second, lines } = await twoAttempts(ws);
    expect(first.stage?.summary).toBe("2 passed, 2 failed, 1 skipped (node)");

    const data = second.stage?.data as unknown as TestStageData;
    expect(data.rerun).toEqual({ of: 1, tests: ["divides (by zero?)", "strings > upper-cases"] });
    expect(data.command).toContain("--test-name-pattern=");
    expect(data.junit).toBe(".pitstop/reports/test/junit-2.xml");
    expect(await ranInReport(ws, ".pitstop/reports/test/junit-2.xml")).toEqual(["divides (by zero?)", "upper-cases"]);
    // Only the rerun cases come back: the filtered-out tests are not this attempt's results.
    expect(second.tests?.map((t) => `${t.name}:${t.status}`).sort()).toEqual(["divides (by zero?):failed", "upper-cases:failed"]);
    expect(second.ok).toBe(false);
    expect(second.hint).toBe("test_failure");
    expect(second.stage?.summary).toBe("rerun of 2 failed tests from attempt 1: 0 passed, 2 failed (node)");
    expect(lines.some((l) => l.includes("rerunning the 2 failed test(s) of attempt 1"))).toBe(true);
  });

  it("node: a flaky test that fails on its first run passes on the rerun", async () => {
    const ws = await fixtureProject("node-flaky", dirs);
    const { first, second } = await twoAttempts(ws);
    expect(first.ok).toBe(false);
    expect(first.stage?.summary).toBe("1 passed, 1 failed (node)");
    expect(second.ok).toBe(true);
    expect(second.hint).toBeUndefined();
    expect(second.tests?.map((t) => `${t.name}:${t.status}`)).toEqual(["flaky on first run:passed"]);
    expect((second.stage?.data as unknown as TestStageData).rerun).toEqual({ of: 1, tests: ["flaky on first run"] });
    expect(await ranInReport(ws, ".pitstop/reports/test/junit-2.xml")).toEqual(["flaky on first run"]);
  });

  it("vitest: attempt 2 runs only the failed tests by -t", async () => {
    const ws = await fixtureProject("vitest-project", dirs);
    const { first, second } = await twoAttempts(ws);
    expect(first.stage?.summary).toBe("3 passed, 2 failed, 1 skipped (vitest)");
    const data = second.stage?.data as unknown as TestStageData;
    expect(data.rerun?.tests).toEqual(["math.spec.js > math > multiplies (x*y)", "math.spec.js > math > division > rounds down"]);
    expect(await ranInReport(ws, ".pitstop/reports/test/junit-2.xml")).toEqual(["math > division > rounds down", "math > multiplies (x*y)"]);
    expect(second.tests?.map((t) => t.name).sort()).toEqual(["math > division > rounds down", "math > multiplies (x*y)"]);
  });

  it("mocha: attempt 2 runs only the failed tests by --grep", async () => {
    const ws = await fixtureProject("mocha-project", dirs);
    const { first, second } = await twoAttempts(ws);
    expect(first.stage?.summary).toBe("2 passed, 2 failed (mocha)");
    expect(await ranInReport(ws, ".pitstop/reports/test/junit-2.xml")).toEqual(["negates", "subtracts (a-b)"]);
    expect(second.tests).toHaveLength(2);
    expect((second.stage?.data as unknown as TestStageData).rerun?.of).toBe(1);
  });

  it.skipIf(pytestUnavailable())("pytest: attempt 2 runs only the failed tests by node id", async () => {
    const ws = await fixtureProject("pytest-project", dirs);
    const { first, second } = await twoAttempts(ws);
    expect(first.stage?.summary).toBe("2 passed, 2 failed, 1 skipped (pytest)");
    const data = second.stage?.data as unknown as TestStageData;
    expect(data.command).toContain("tests/test_math.py::test_subtracts");
    expect(data.command).toContain("tests/test_math.py::TestDivision::test_rounds");
    expect(await ranInReport(ws, ".pitstop/reports/test/junit-2.xml")).toEqual(["test_rounds", "test_subtracts"]);
  });

  it("falls back to the whole suite when the filter would not select the failed tests", async () => {
    const ws = await fixtureProject("node-failing", dirs);
    const job = planJob("test");
    const ghost = { suite: "gone", classname: "", name: "renamed since", file: "x.xml" };
    const ctx = jobContext({ workspace: ws, job, attempt: 2, context: { previous: { attempt: 1, failureClass: "test_failure", failedTests: [ghost] } } });
    const out = await handler(ctx);
    const data = out.stage?.data as unknown as TestStageData;
    expect(data.rerun).toBeUndefined();
    expect(data.counts.total).toBe(5);
    expect(data.notes?.[0]).toMatch(/^rerun: 1 of the 1 failed tests did not run under the name filter \(gone > renamed since\); ran the whole suite$/);
  });

  it("runs everything again when with.rerun_failed is false", async () => {
    const ws = await fixtureProject("node-failing", dirs);
    const { second } = await twoAttempts(ws, planJob("test", { with: { rerun_failed: false } }));
    const data = second.stage?.data as unknown as TestStageData;
    expect(data.rerun).toBeUndefined();
    expect(data.counts.total).toBe(5);
  });
});
