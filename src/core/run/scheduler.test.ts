import { describe, expect, it } from "vitest";
import type { Condition, ExecutionPlan, PlanJob } from "../pipeline/plan.js";
import { schedule, type ConditionContext, type JobState } from "./scheduler.js";
import { JobStatus, type JobStatus as JS } from "./status.js";

function job(id: string, extra: Partial<PlanJob> = {}): PlanJob {
  return {
    id, name: id, kind: "shell", needs: [], condition: null, conditionText: null,
    steps: [{ name: "s", run: "true", env: {}, workingDirectory: null }], env: {}, secrets: [],
    timeoutMs: null, retry: [], continueOnError: false, reports: { junit: [] }, artifacts: [],
    concurrency: null, workingDirectory: null, sandbox: false, network: false, matrix: null, with: {},
    ...extra,
  };
}
const plan = (...jobs: PlanJob[]): ExecutionPlan => ({ version: 1, pipelineFile: "p.yml", form: "full", env: {}, jobs });
// A tiny evaluator for the calls the scheduler cares about (the real one lives in core/pipeline).
function evaluate(c: Condition | null, ctx: ConditionContext): boolean {
  if (c === null) return ctx.needs === "success";
  if (c.kind === "call") return c.fn === "always" || (c.fn === "failure" ? ctx.needs === "failure" : c.fn === "cancelled" ? ctx.needs === "cancelled" : ctx.needs === "success");
  throw new Error("unsupported in test");
}
function run(p: ExecutionPlan, states: Record<string, JS>, opts: { cancelled?: boolean; maxParallel?: number; now?: number; notBefore?: Record<string, number> } = {}) {
  const jobs = new Map<string, JobState>(p.jobs.map((j) => [j.id, { status: states[j.id] ?? JobStatus.pending, notBefore: opts.notBefore?.[j.id] ?? null }]));
  return schedule({ plan: p, jobs, cancelled: opts.cancelled ?? false, maxParallel: opts.maxParallel ?? 4, env: {}, branch: null, now: opts.now ?? 0, evaluate });
}

describe("schedule", () => {
  it("dispatches roots first, then dependents once needs succeed", () => {
    const p = plan(job("a"), job("b", { needs: ["a"] }), job("c"));
    expect(run(p, {}).dispatch).toEqual(["a", "c"]);
    expect(run(p, { a: "running", c: "running" }).dispatch).toEqual([]);
    expect(run(p, { a: "succeeded", c: "running" }).dispatch).toEqual(["b"]);
  });

  it("respects max parallel and concurrency groups", () => {
    const p = plan(job("a", { concurrency: "g" }), job("b", { concurrency: "g" }), job("c"), job("d"));
    expect(run(p, {}, { maxParallel: 2 }).dispatch).toEqual(["a", "c"]);
    expect(run(p, { a: "running" }, { maxParallel: 8 }).dispatch).toEqual(["c", "d"]);
  });

  it("skips dependents of a failed job with a reason, cascading, and fails the run", () => {
    const p = plan(job("a"), job("b", { needs: ["a"] }), job("c", { needs: ["b"] }));
    const d = run(p, { a: "failed" });
    expect(d.skip).toEqual([
      { jobId: "b", reason: "needs a, which failed" },
      { jobId: "c", reason: "needs b, which skipped" },
    ]);
    expect(d.runStatus).toBe("failed");
    expect(d.failedJob).toBe("a");
  });

  it("halts the run: independent jobs not yet started are skipped, failure() jobs still run", () => {
    const p = plan(job("a"), job("b"), job("notify", { needs: ["a"], condition: { kind: "call", fn: "failure" }, conditionText: "failure()" }));
    const d = run(p, { a: "failed" });
    expect(d.skip).toEqual([{ jobId: "b", reason: "run halted: a failed" }]);
    expect(d.dispatch).toEqual(["notify"]);
    expect(d.runStatus).toBeNull();
  });

  it("continue-on-error counts as success for dependents and the run", () => {
    const p = plan(job("a", { continueOnError: true }), job("b", { needs: ["a"] }));
    expect(run(p, { a: "failed" }).dispatch).toEqual(["b"]);
    expect(run(p, { a: "failed", b: "succeeded" }).runStatus).toBe("succeeded");
  });

  it("waits for a retrying job's backoff and reports when to wake up", () => {
    const p = plan(job("a"));
    expect(run(p, { a: "retrying" }, { now: 100, notBefore: { a: 500 } })).toMatchObject({ dispatch: [], wakeAt: 500, runStatus: null });
    expect(run(p, { a: "retrying" }, { now: 500, notBefore: { a: 500 } }).dispatch).toEqual(["a"]);
  });

  it("a cancelled run skips pending jobs (always() still runs) and ends cancelled", () => {
    const p = plan(job("a"), job("b", { needs: ["a"] }), job("cleanup", { needs: ["a"], condition: { kind: "call", fn: "always" }, conditionText: "always()" }));
    const d = run(p, { a: "cancelled" }, { cancelled: true });
    expect(d.skip).toEqual([{ jobId: "b", reason: "run cancelled" }]);
    expect(d.dispatch).toEqual(["cleanup"]);
    expect(run(p, { a: "cancelled", b: "skipped", cleanup: "succeeded" }, { cancelled: true }).runStatus).toBe("cancelled");
  });

  it("a skipped condition does not fail the run", () => {
    const p = plan(job("a", { condition: { kind: "call", fn: "failure" }, conditionText: "failure()" }));
    const d = run(p, {});
    expect(d.skip).toEqual([{ jobId: "a", reason: "condition `failure()` was false" }]);
    expect(d.runStatus).toBe("succeeded");
  });
});
