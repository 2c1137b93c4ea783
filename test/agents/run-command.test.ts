import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/agents/run-command.js";
import { jobContext, planJob } from "./helpers/job-context.js";

// A stage agent that runs several tools shares the job's timeout among them: each command gets
// what is left of it, not the whole timeout again (real processes).

let workspace: string;
beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), "pitstop-run-command-"));
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe("runCommand and the job's timeout", () => {
  it("gives the second tool only what the first left of the job's time", async () => {
    // A 2 minute timeout per tool would let `sleep 5` finish; the job has 1.5 s in all.
    const ctx = { ...jobContext({ workspace, job: planJob("lint", { timeoutMs: 120_000 }) }), deadline: Date.now() + 1500 };
    const first = await runCommand(ctx, "sleep 0.5", { label: "first tool" });
    expect(first.ok).toBe(true);
    const second = await runCommand(ctx, "sleep 5", { label: "second tool" });
    expect(second.outcome.timedOut).toBe(true);
    expect(second.ok).toBe(false);
  });

  it("a spent deadline times the next command out at once; no deadline is no limit", async () => {
    const spent = { ...jobContext({ workspace, job: planJob("lint", { timeoutMs: 120_000 }) }), deadline: Date.now() - 1000 };
    expect((await runCommand(spent, "sleep 5", { label: "late tool" })).outcome.timedOut).toBe(true);
    const unlimited = { ...jobContext({ workspace, job: planJob("lint", { timeoutMs: null }) }), deadline: null };
    expect((await runCommand(unlimited, "true", { label: "tool" })).ok).toBe(true);
  });
});
