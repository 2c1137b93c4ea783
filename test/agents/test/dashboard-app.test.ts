import { cp, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestHandler } from "../../../src/agents/test/create-test-handler.js";
import type { TestStageData } from "../../../src/agents/test/test-stage-data.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { REPO_ROOT, stageDeps } from "./fixture-project.js";

const handler = createTestHandler(stageDeps());
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

// Build output and reports are left out so the copy starts as a fresh clone does.
const SKIP = new Set(["dist", "reports", ".pitstop", "node_modules"]);

describe("test stage on examples/dashboard-app", () => {
  it("runs the short-form test stage green: npm test (tsc + node --test), every test from the JUnit it writes", { timeout: 120_000 }, async () => {
    const src = path.join(REPO_ROOT, "examples", "dashboard-app");
    const ws = await mkdtemp(path.join(os.tmpdir(), "pitstop-dashboard-"));
    dirs.push(ws);
    // A copy, so that other stages working on the example at the same time never see our dist/.
    await cp(src, ws, { recursive: true, filter: (f) => !SKIP.has(path.relative(src, f).split(path.sep)[0] ?? "") });
    await symlink(path.join(REPO_ROOT, "node_modules"), path.join(ws, "node_modules"));

    const job = planJob("test", { timeoutMs: null, with: { notify_on_success: true, deploy_environment: "dev" } });
    const ctx = jobContext({ workspace: ws, job });
    const out = await handler(ctx);
    await ctx.logs.flush();

    expect(out.setupError).toBeNull();
    expect(out.ok).toBe(true);
    const data = out.stage?.data as unknown as TestStageData;
    expect(data).toMatchObject({ runner: "node", mode: "script", command: "npm test", junit: "reports/junit.xml" });
    // The app's suite grows; what matters is that every case in its JUnit is counted and passed.
    const total = out.tests?.length ?? 0;
    expect(total).toBeGreaterThan(40);
    expect(data.counts).toEqual({ total, passed: total, failed: 0, errored: 0, skipped: 0 });
    expect(out.stage?.summary).toBe(`${total} passed (node)`);
  });
});
