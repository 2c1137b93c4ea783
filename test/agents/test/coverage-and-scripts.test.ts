import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestHandler } from "../../../src/agents/test/create-test-handler.js";
import { parseLcov } from "../../../src/agents/test/coverage.js";
import type { TestStageData } from "../../../src/agents/test/test-stage-data.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { fixtureProject, removeAll, stageDeps } from "./fixture-project.js";

const dirs: string[] = [];
afterEach(() => removeAll(dirs));

const handler = createTestHandler(stageDeps());
const dataOf = (out: { stage?: { data: Record<string, unknown> } }) => out.stage?.data as unknown as TestStageData;

describe("coverage", () => {
  it("with.coverage: true asks node for an lcov report and records its totals", async () => {
    const ws = await fixtureProject("node-coverage", dirs);
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { with: { coverage: true } }) }));
    expect(out.ok).toBe(true);
    const cov = dataOf(out).coverage;
    expect(cov?.source).toBe("lcov");
    expect(cov?.file).toBe(".pitstop/reports/test/lcov-1.info");
    // The totals are those of the real file node wrote, summed over its records.
    const lcov = parseLcov(await readFile(path.join(ws, cov?.file ?? ""), "utf8"), "x");
    expect(cov?.lines).toEqual("lines" in lcov ? lcov.lines : null);
    // grade.mjs has an uncalled function: not everything is covered.
    expect(cov?.functions?.covered).toBeLessThan(cov?.functions?.total ?? 0);
    expect(cov?.lines.pct).toBeGreaterThan(50);
    expect(cov?.lines.pct).toBeLessThan(100);
    expect(out.stage?.summary).toMatch(/^2 passed \(node\); lines \d+(\.\d+)?%$/);
  });

  it("reads coverage/lcov.info that the project's own command writes, only when this run wrote it", async () => {
    const ws = await fixtureProject("node-coverage", dirs);
    const command = "mkdir -p coverage reports && node --test --experimental-test-coverage --test-reporter=lcov --test-reporter-destination=coverage/lcov.info --test-reporter=junit --test-reporter-destination=reports/junit.xml";
    const job = planJob("test", { with: { command, runner: "command" } });
    const out = await handler(jobContext({ workspace: ws, job }));
    const data = dataOf(out);
    expect(data.mode).toBe("script");
    expect(data.coverage?.file).toBe("coverage/lcov.info");
    expect(data.coverage?.branches?.total).toBeGreaterThan(0);
    expect(data.junit).toBe("reports/junit.xml");
    expect(data.counts.passed).toBe(2);

    // A leftover lcov.info from an earlier run is not this run's coverage.
    const again = await handler(jobContext({ workspace: ws, job: planJob("test", { with: { command: "node --test", runner: "command" } }) }));
    expect(dataOf(again).coverage).toBeUndefined();
  });

  it("a broken coverage file is a problem, not a crash", async () => {
    const ws = await fixtureProject("node-coverage", dirs);
    const command = "node --test && mkdir -p coverage && echo '<coverage line-rate=' > coverage/cobertura-coverage.xml";
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { with: { command } }) }));
    expect(out.ok).toBe(true);
    expect(dataOf(out).coverage).toBeUndefined();
    expect(out.problems?.[0]).toMatch(/^coverage: coverage\/cobertura-coverage\.xml:\d+: malformed XML/);
  });
});

describe("commands pitstop runs as written", () => {
  it("reads the JUnit a wrapped script writes (discovered), and says the runner it saw", async () => {
    const ws = await fixtureProject("node-failing", dirs);
    const pkg = { type: "module", scripts: { test: "echo building && mkdir -p reports && node --test --test-reporter=junit --test-reporter-destination=reports/junit.xml" } };
    await writeFile(path.join(ws, "package.json"), JSON.stringify(pkg));
    const ctx = jobContext({ workspace: ws, job: planJob("test") });
    const out = await handler(ctx);
    await ctx.logs.flush();
    const data = dataOf(out);
    expect(data).toMatchObject({ runner: "node", mode: "script", command: "npm test", junit: "reports/junit.xml" });
    expect(out.stage?.summary).toBe("2 passed, 2 failed, 1 skipped (node)");
    expect(out.tests).toHaveLength(5);
    expect(ctx.lines).toContain("system: test reports found: reports/junit.xml");
  });

  it("on a retry, runs a wrapped script whole and says why", async () => {
    const ws = await fixtureProject("node-failing", dirs);
    const job = planJob("test", { with: { command: "mkdir -p reports && node --test --test-reporter=junit --test-reporter-destination=reports/junit.xml", junit: "reports/*.xml" } });
    const failedTests = [{ suite: "", classname: "test", name: "divides (by zero?)", file: "reports/junit.xml" }];
    const out = await handler(jobContext({ workspace: ws, job, attempt: 2, context: { previous: { attempt: 1, failureClass: "test_failure", failedTests } } }));
    const data = dataOf(out);
    expect(data.counts.total).toBe(5);
    expect(data.rerun).toBeUndefined();
    expect(data.notes?.[0]).toMatch(/^rerun: only runners pitstop starts itself can rerun just the failed tests/);
  });

  it("malformed JUnit is a problem with file and line, never a crash", async () => {
    const ws = await fixtureProject(null, dirs);
    const command = "mkdir -p out && printf '<testsuites><testcase name=\"a\"></testsuites>' > out/results.xml";
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { with: { command, junit: "out/*.xml" } }) }));
    expect(out.ok).toBe(true);
    expect(out.tests).toEqual([]);
    expect(out.problems).toHaveLength(1);
    expect(out.problems?.[0]).toMatch(/^out\/results\.xml:1(:\d+)?: malformed XML/);
    expect(out.stage?.summary).toBe("no tests ran (command)");
  });

  it("a named report the run did not write is a problem; a failing command fails without a test_failure hint", async () => {
    const ws = await fixtureProject(null, dirs);
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { with: { command: "echo compiling; exit 2", junit: "out/*.xml" } }) }));
    expect(out.ok).toBe(false);
    expect(out.hint).toBeUndefined();
    expect(out.last?.exitCode).toBe(2);
    expect(out.problems).toEqual(["with.junit: no report matching `out/*.xml` was written by this run"]);
    expect(out.stage?.summary).toBe("no test report (command)");
  });

  it("runs the job's steps when there is no with.command", async () => {
    const ws = await fixtureProject("node-failing", dirs);
    const steps = [
      { name: "prepare", run: "mkdir -p test-results", env: {}, workingDirectory: null },
      { name: "tests", run: "node --test --test-reporter=junit --test-reporter-destination=test-results/node.xml", env: {}, workingDirectory: null },
    ];
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { steps }) }));
    const data = dataOf(out);
    expect(data.mode).toBe("script");
    expect(data.junit).toBe("test-results/node.xml");
    expect(data.counts.failed).toBe(2);
    expect(out.hint).toBe("test_failure");
  });

  it("takes counts from the job's reports.junit but leaves those cases to the runtime (no double counting)", async () => {
    const ws = await fixtureProject("node-failing", dirs);
    await mkdir(path.join(ws, "r"));
    const job = planJob("test", { reports: { junit: ["r/*.xml"] }, with: { command: "node --test --test-reporter=junit --test-reporter-destination=r/j.xml", runner: "command" } });
    const out = await handler(jobContext({ workspace: ws, job }));
    expect(dataOf(out).counts.total).toBe(5);
    expect(out.tests).toEqual([]);
  });
});
