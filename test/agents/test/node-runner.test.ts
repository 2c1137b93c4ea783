import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestHandler } from "../../../src/agents/test/create-test-handler.js";
import type { TestStageData } from "../../../src/agents/test/test-stage-data.js";
import { parseJUnit } from "../../../src/insights/junit.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { fixtureProject, removeAll, stageDeps } from "./fixture-project.js";

const dirs: string[] = [];
afterEach(() => removeAll(dirs));

const handler = createTestHandler(stageDeps());

describe("test stage with node --test", () => {
  it("finds node --test from scripts.test, reads its JUnit report and fails with the two failing tests", async () => {
    const ws = await fixtureProject("node-failing", dirs);
    const ctx = jobContext({ workspace: ws, job: planJob("test") });
    const out = await handler(ctx);
    await ctx.logs.flush();

    expect(out.ok).toBe(false);
    expect(out.setupError).toBeNull();
    expect(out.hint).toBe("test_failure");
    const data = out.stage?.data as unknown as TestStageData;
    expect(data.runner).toBe("node");
    expect(data.mode).toBe("direct");
    expect(data.counts).toEqual({ total: 5, passed: 2, failed: 2, errored: 0, skipped: 1 });
    expect(data.failed.map((f) => `${f.suite}|${f.name}`)).toEqual(["|divides (by zero?)", "strings|upper-cases"]);
    expect(data.failed[0]?.message).toContain("division by zero is not 0");
    expect(data.junit).toBe(".pitstop/reports/test/junit-1.xml");
    expect(out.stage?.summary).toBe("2 passed, 2 failed, 1 skipped (node)");
    expect(out.tests?.filter((t) => t.status === "failed").map((t) => t.name)).toEqual(["divides (by zero?)", "upper-cases"]);
    expect(out.tests?.every((t) => t.file === ".pitstop/reports/test/junit-1.xml")).toBe(true);

    // The report is really on disk, and the spec reporter still talks to the log.
    const xml = await readFile(path.join(ws, data.junit ?? ""), "utf8");
    expect(parseJUnit(xml, "x").cases).toHaveLength(5);
    expect(ctx.lines.some((l) => l.startsWith("stdout: ") && l.includes("upper-cases"))).toBe(true);
    expect(ctx.lines).toContain("system: test runner: node (from package.json scripts.test)");
  });

  it("passes a green project and says so in one line", async () => {
    const ws = await fixtureProject("node-coverage", dirs);
    const ctx = jobContext({ workspace: ws, job: planJob("test") });
    const out = await handler(ctx);
    expect(out.ok).toBe(true);
    expect(out.hint).toBeUndefined();
    expect(out.stage?.summary).toBe("2 passed (node)");
    expect(out.last?.exitCode).toBe(0);
  });

  it("gives other test jobs (matrix entries sharing the workspace) a report directory of their own", async () => {
    const ws = await fixtureProject("node-coverage", dirs);
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { id: "test[node=20]" }) }));
    expect((out.stage?.data as unknown as TestStageData).junit).toBe(".pitstop/reports/test/test_node_20_/junit-1.xml");
    expect(out.tests).toHaveLength(2);
  });

  it("runs with.command + with.runner: node with the reporter added after `node`, even in a compound command", async () => {
    const ws = await fixtureProject("node-failing", dirs);
    const job = planJob("test", { with: { command: "echo preparing && node --test", runner: "node" } });
    const ctx = jobContext({ workspace: ws, job });
    const out = await handler(ctx);
    const data = out.stage?.data as unknown as TestStageData;
    expect(data.mode).toBe("direct");
    expect(data.command).toMatch(/^echo preparing && node --test-reporter=junit /);
    expect(data.counts.failed).toBe(2);
  });
});

describe("test stage cancellation", () => {
  it("stops the runner when the job is cancelled and reports no results", async () => {
    const ws = await fixtureProject(null, dirs);
    await writeFile(path.join(ws, "slow.test.mjs"), 'import { test } from "node:test";\ntest("slow", () => new Promise((resolve) => setTimeout(resolve, 60_000)));\n');
    const ac = new AbortController();
    const ctx = jobContext({ workspace: ws, job: planJob("test", { with: { runner: "node" } }), signal: ac.signal });
    setTimeout(() => ac.abort(), 500);
    const out = await handler(ctx);
    expect(out.ok).toBe(false);
    expect(out.last?.cancelled).toBe(true);
    expect(out.tests).toEqual([]);
  });
});
