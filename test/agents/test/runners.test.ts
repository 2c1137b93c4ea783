import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestHandler } from "../../../src/agents/test/create-test-handler.js";
import type { TestStageData } from "../../../src/agents/test/test-stage-data.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { fixtureProject, removeAll, stageDeps } from "./fixture-project.js";
import { pytestCovInstalled, pytestUnavailable } from "./pytest-available.js";

const dirs: string[] = [];
afterEach(() => removeAll(dirs));

const handler = createTestHandler(stageDeps());
const dataOf = (out: { stage?: { data: Record<string, unknown> } }) => out.stage?.data as unknown as TestStageData;

describe("test stage with vitest, mocha and pytest", () => {
  it("vitest: `vitest` in scripts.test becomes a single run with the junit reporter next to the default one", async () => {
    const ws = await fixtureProject("vitest-project", dirs);
    const ctx = jobContext({ workspace: ws, job: planJob("test") });
    const out = await handler(ctx);
    await ctx.logs.flush();
    const data = dataOf(out);
    expect(data.command).toMatch(/^vitest run --reporter=default --reporter=junit --outputFile\.junit=\S+junit-1\.xml$/);
    expect(out.stage?.summary).toBe("3 passed, 2 failed, 1 skipped (vitest)");
    expect(out.ok).toBe(false);
    expect(out.hint).toBe("test_failure");
    expect(data.failed.map((f) => f.name)).toEqual(["math > multiplies (x*y)", "math > division > rounds down"]);
    expect(data.failed[0]?.message).toContain("expected 6 to be 5");
    // The default reporter still writes the human summary to the log.
    expect(ctx.lines.some((l) => /Tests\s.*2 failed/.test(l))).toBe(true);
  });

  it("mocha: the project's own reporter is replaced by xunit written to the report file", async () => {
    const ws = await fixtureProject("mocha-project", dirs);
    const ctx = jobContext({ workspace: ws, job: planJob("test") });
    const out = await handler(ctx);
    await ctx.logs.flush();
    const data = dataOf(out);
    // xunit prints nothing: the stage itself says what failed.
    expect(ctx.lines).toContain("system: ✗ Mocha Tests > negates: Expected values to be strictly equal: 1 !== 2");
    expect(data.command).not.toContain("dot");
    expect(data.command).toMatch(/^mocha --reporter=xunit --reporter-option=output=\S+junit-1\.xml$/);
    expect(data.counts).toEqual({ total: 4, passed: 2, failed: 2, errored: 0, skipped: 0 });
    expect(data.failed.map((f) => `${f.suite}|${f.name}`)).toEqual(["Mocha Tests|subtracts (a-b)", "Mocha Tests|negates"]);
    expect(out.tests?.find((t) => t.name === "negates")?.classname).toBe("math nested");
    expect(out.hint).toBe("test_failure");
  });

  it.skipIf(pytestUnavailable())("pytest: found from a tests/ directory with test_*.py files, --junitxml added", async () => {
    const ws = await fixtureProject("pytest-project", dirs);
    const ctx = jobContext({ workspace: ws, job: planJob("test") });
    const out = await handler(ctx);
    await ctx.logs.flush();
    expect(ctx.lines).toContain("system: test runner: pytest (from tests/ with test_*.py files)");
    expect(dataOf(out).command).toMatch(/^python3 -m pytest --junitxml=\S+junit-1\.xml$/);
    expect(out.stage?.summary).toBe("2 passed, 2 failed, 1 skipped (pytest)");
    expect(out.tests?.find((t) => t.name === "test_rounds")?.classname).toBe("tests.test_math.TestDivision");
  });

  it.skipIf(pytestUnavailable())("pytest: a Python without pytest is command_not_found with what to do", async () => {
    const ws = await fixtureProject("pytest-project", dirs);
    // -S leaves out site-packages: a real Python that has no pytest.
    const job = planJob("test", { with: { runner: "pytest", command: "python3 -S -m pytest" } });
    const out = await handler(jobContext({ workspace: ws, job }));
    expect(out.ok).toBe(false);
    expect(out.hint).toBe("command_not_found");
    expect(out.setupError).toBe("pytest not found: install it in the job's Python (pip install pytest) or set test.command");
  });

  it("a runner that is not installed: not found, with what to do, before anything runs", async () => {
    const ws = await fixtureProject(null, dirs);
    await writeFile(path.join(ws, "package.json"), JSON.stringify({ scripts: { test: "jest --ci" }, devDependencies: { jest: "^30" } }));
    const ctx = jobContext({ workspace: ws, job: planJob("test") });
    const out = await handler(ctx);
    expect(out.ok).toBe(false);
    expect(out.hint).toBe("command_not_found");
    expect(out.setupError).toBe("jest not found: add it to devDependencies or set test.command");
    expect(out.last).toBeNull();
  });

  it("a command missing inside a compound with.command is named as the one not found", async () => {
    const ws = await fixtureProject("vitest-project", dirs);
    const job = planJob("test", { with: { runner: "vitest", command: "no-such-codegen && vitest run" } });
    const out = await handler(jobContext({ workspace: ws, job }));
    expect(out.hint).toBe("command_not_found");
    expect(out.setupError).toBe("no-such-codegen not found: install it or set test.command");
    expect(out.last?.exitCode).toBe(127);
  });

  it("with.coverage: true on vitest without a coverage provider runs without coverage and says why", async () => {
    const ws = await fixtureProject("vitest-project", dirs);
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { with: { coverage: true } }) }));
    const data = dataOf(out);
    expect(data.counts.total).toBe(6);
    expect(data.coverage).toBeUndefined();
    expect(data.notes).toEqual(["coverage: vitest needs @vitest/coverage-v8 (or @vitest/coverage-istanbul) in devDependencies; ran without coverage"]);
  });

  it.skipIf(pytestUnavailable() !== null || pytestCovInstalled())("with.coverage: true on pytest without pytest-cov runs without coverage and says why", async () => {
    const ws = await fixtureProject("pytest-project", dirs);
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { with: { coverage: true } }) }));
    const data = dataOf(out);
    expect(data.counts.total).toBe(5);
    expect(data.command).not.toContain("--cov");
    expect(data.notes).toEqual(["coverage: pytest needs the pytest-cov plugin (pip install pytest-cov); ran without coverage"]);
  });

  it("with.args are added to the runner's own arguments", async () => {
    const ws = await fixtureProject("vitest-project", dirs);
    const job = planJob("test", { with: { args: ["-t", "adds"] } });
    const out = await handler(jobContext({ workspace: ws, job }));
    expect(dataOf(out).command).toContain("vitest run -t adds --reporter=default");
    expect(out.ok).toBe(true);
    expect(dataOf(out).counts.passed).toBe(1);
  });

  it("keeps the project's own node reporter pairs so its files are still written", async () => {
    const ws = await fixtureProject("node-coverage", dirs);
    const command = "node --test --test-reporter=tap --test-reporter-destination=own.tap";
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { with: { command } }) }));
    expect(out.ok).toBe(true);
    expect(dataOf(out).counts.passed).toBe(2);
    expect(await readFile(path.join(ws, "own.tap"), "utf8")).toContain("ok 1 - grades an A");
  });
});
