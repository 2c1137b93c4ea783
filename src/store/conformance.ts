import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, isPitstopError } from "../core/errors.js";
import { GENESIS_HASH, auditHashInput } from "../core/healing/audit-record.js";
import type { AuditData, AuditRecord } from "../core/healing/audit-record.js";
import type { FailureEvidence } from "../core/failure/failure-class.js";
import type { ExecutionPlan } from "../core/pipeline/plan.js";
import type { TestCase } from "../core/run/test-case.js";
import type { AttemptRecord, AuditHead, NewJob, NewRun, Store } from "./port.js";
import { defineHealingConformance } from "./conformance-healing.js";
import { defineRemedyConformance } from "./conformance-remedies.js";

/** Minimal valid plan, plus one job with nested JSON to check exact round trips. */
const PLAN: ExecutionPlan = { version: 1, pipelineFile: "p.yml", form: "full", env: {}, jobs: [] };
const RICH_PLAN: ExecutionPlan = {
  ...PLAN,
  env: { GREETING: "héllo wörld ✓", EMPTY: "" },
  jobs: [
    {
      id: "test[node=20]", name: "test (node=20)", kind: "test", needs: ["build"],
      condition: { kind: "and", left: { kind: "call", fn: "success" }, right: { kind: "compare", op: "==", left: { kind: "branch" }, right: { kind: "literal", value: "main" } } },
      conditionText: "success() && branch == 'main'",
      steps: [{ name: "run", run: "npm test -- --reporter=junit\necho \"done\"", env: { CI: "1" }, workingDirectory: null }],
      env: {}, secrets: ["NPM_TOKEN"], timeoutMs: 600_000,
      retry: [{ classes: ["infra"], exitCodes: [], signals: ["SIGKILL"], limit: 2, backoff: { baseMs: 1000, factor: 2.5, maxMs: 30_000 } }],
      continueOnError: false, reports: { junit: ["reports/*.xml"] }, artifacts: [], concurrency: null,
      workingDirectory: "app", sandbox: true, network: false, matrix: { node: 20, lts: true },
      with: { nested: { list: [1, 2.5, null, "x"], flag: false } },
    },
  ],
};
const JOBS: NewJob[] = [
  { jobId: "build", name: "build", kind: "build" },
  { jobId: "test", name: "test", kind: "test" },
  { jobId: "deploy", name: "deploy", kind: "deploy" },
];

function newRun(id: string, over: Partial<NewRun> = {}): NewRun {
  return {
    id, status: "queued", pipelineFile: "p.yml", workspace: "/w", plan: PLAN, trigger: { source: "cli", by: null },
    branch: null, commit: null, env: {}, createdAt: 1_700_000_000_000, ownerId: null, ...over,
  };
}

function attempt(runId: string, jobId: string, n: number, over: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    runId, jobId, attempt: n, status: "queued", token: `tok-${jobId}-${n}`, agentId: null, leaseExpiresAt: null,
    queuedAt: 1_700_000_000_100 + n, startedAt: null, finishedAt: null, exitCode: null, signal: null,
    failureClass: null, evidence: null, outputBytes: 0, truncatedBytes: 0, ...over,
  };
}

const tc = (name: string, status: TestCase["status"], over: Partial<TestCase> = {}): TestCase => ({
  suite: "s", classname: "", name, status, durationMs: 1.5, message: null, file: "r.xml", ...over,
});

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(isPitstopError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
}

/** An audit builder as src/healing/audit makes them (sha256 of the canonical fields). */
const auditBuilder = (data: AuditData, at = 1_700_000_000_000) => (head: AuditHead): AuditRecord => {
  const fields = { seq: head.seq + 1, at, type: "RL_DECISION" as const, actor: "system" as const, subject: { decisionId: `d${head.seq + 1}` }, data, prevHash: head.hash };
  return { ...fields, hash: createHash("sha256").update(auditHashInput(fields)).digest("hex") };
};

/**
 * The Store contract of port.ts, run against every adapter. `factory` returns a fresh, empty,
 * unmigrated store each time (the suite calls `migrate()` and `close()`).
 */
export function defineStoreConformance(name: string, factory: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory();
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
    });

    describe("runs", () => {
      it("createRun numbers runs 1, 2, 3 with pending jobs in plan order and a run.created event", async () => {
        const runs = [];
        for (const id of ["r-a", "r-b", "r-c"]) runs.push(await store.runs.createRun(newRun(id), JOBS, 5));
        expect(runs.map((r) => r.number)).toEqual([1, 2, 3]);
        expect(runs[0]).toMatchObject({ startedAt: null, finishedAt: null, cancelRequestedAt: null, reason: null });
        expect(await store.runs.getRun("r-b")).toEqual(runs[1]);
        const jobs = await store.runs.listJobs("r-a");
        expect(jobs.map((j) => j.jobId)).toEqual(["build", "test", "deploy"]);
        expect(jobs[0]).toEqual({
          runId: "r-a", jobId: "build", name: "build", kind: "build", status: "pending", attempt: 0,
          reason: null, failureClass: null, notBefore: null, startedAt: null, finishedAt: null,
        });
        const events = await store.runs.listEvents("r-a");
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ runId: "r-a", type: "run.created", at: 5, jobId: null, attempt: null });
        expect(await store.runs.getRun("nope")).toBeNull();
        expect(await store.runs.getJob("r-a", "nope")).toBeNull();
        expect(await store.runs.getJob("r-a", "test")).toEqual(jobs[1]);
      });

      it("concurrent createRun calls get distinct consecutive numbers", async () => {
        const runs = await Promise.all([1, 2, 3, 4, 5].map((i) => store.runs.createRun(newRun(`c-${i}`), JOBS, i)));
        expect(runs.map((r) => r.number).sort()).toEqual([1, 2, 3, 4, 5]);
      });

      it("round-trips JSON fields (plan, trigger, env) and nullable text exactly", async () => {
        const run = newRun("json-run", {
          plan: RICH_PLAN, trigger: { source: "webhook", by: "delivery-42" }, env: { A: "1", "B.C": "ü \"q\" \\ \n" },
          branch: "feature/ß", commit: "abc123", ownerId: "orch-1", workspace: "/tmp/wörk space",
        });
        const created = await store.runs.createRun(run, [], 1);
        const read = await store.runs.getRun("json-run");
        expect(read).toEqual(created);
        expect(read).toEqual({ ...run, number: 1, startedAt: null, finishedAt: null, cancelRequestedAt: null, reason: null });
      });

      it("findRun by full id, unique prefix (≥ 4 chars), number and #number", async () => {
        await store.runs.createRun(newRun("0193abcd-1111"), [], 1);
        await store.runs.createRun(newRun("0193abce-2222"), [], 2);
        await store.runs.createRun(newRun("77"), [], 3);
        expect((await store.runs.findRun("0193abcd-1111"))?.number).toBe(1);
        expect((await store.runs.findRun("0193abcd"))?.number).toBe(1);
        expect((await store.runs.findRun("0193abce-2"))?.number).toBe(2);
        expect((await store.runs.findRun("2"))?.id).toBe("0193abce-2222");
        expect((await store.runs.findRun("#2"))?.id).toBe("0193abce-2222");
        expect((await store.runs.findRun(" #1 "))?.id).toBe("0193abcd-1111");
        expect((await store.runs.findRun("77"))?.number).toBe(3); // an exact id wins over a number
        expect(await store.runs.findRun("0193")).toBeNull(); // ambiguous prefix
        expect(await store.runs.findRun("019")).toBeNull(); // too short to be a prefix
        expect(await store.runs.findRun("#9")).toBeNull();
        expect(await store.runs.findRun("99999999999")).toBeNull();
        expect(await store.runs.findRun("0193ABCD")).toBeNull(); // prefixes are case-sensitive
        expect(await store.runs.findRun("%193")).toBeNull();
        expect(await store.runs.findRun("")).toBeNull();
      });

      it("listRuns is newest first, filters by statuses and limits", async () => {
        for (const [i, status] of (["queued", "running", "failed", "running"] as const).entries()) {
          await store.runs.createRun(newRun(`l-${i}`, { status }), [], i);
        }
        expect((await store.runs.listRuns()).map((r) => r.number)).toEqual([4, 3, 2, 1]);
        expect((await store.runs.listRuns({ limit: 2 })).map((r) => r.number)).toEqual([4, 3]);
        expect((await store.runs.listRuns({ statuses: ["running"] })).map((r) => r.number)).toEqual([4, 2]);
        expect((await store.runs.listRuns({ statuses: ["running", "queued"], limit: 2 })).map((r) => r.number)).toEqual([4, 2]);
        expect(await store.runs.listRuns({ statuses: ["succeeded"] })).toEqual([]);
        expect((await store.runs.listRuns({ statuses: [] })).length).toBe(4);
        expect(await store.runs.listRuns({ limit: 0 })).toEqual([]);
      });

      it("apply patches the run, jobs and attempts and appends events in one change", async () => {
        await store.runs.createRun(newRun("ap"), JOBS, 1);
        const evidence: FailureEvidence = {
          exitCode: 1, signal: null, timedOut: false, cancelled: false, spawnError: null,
          lastLines: ["npm ERR! ✗ failed", "\\x80 raw"], testsFailed: 2, hint: "test_failure",
        };
        await store.runs.apply({
          runId: "ap",
          run: { status: "running", startedAt: 10, ownerId: "o-1" },
          jobs: [{ jobId: "build", patch: { status: "queued", attempt: 1 } }],
          newAttempts: [attempt("ap", "build", 1)],
          events: [{ type: "run.started", jobId: null, attempt: null, at: 10, data: {} }, { type: "job.queued", jobId: "build", attempt: 1, at: 10, data: { k: [1] } }],
        });
        await store.runs.apply({
          runId: "ap",
          jobs: [{ jobId: "build", patch: { status: "failed", reason: "exit 1", failureClass: "test_failure", finishedAt: 20, notBefore: null } }],
          attempts: [{ jobId: "build", attempt: 1, patch: { status: "failed", exitCode: 1, evidence, finishedAt: 20, outputBytes: 12_345_678_901, truncatedBytes: 7 } }],
          events: [],
        });
        expect(await store.runs.getRun("ap")).toMatchObject({ status: "running", startedAt: 10, ownerId: "o-1", finishedAt: null });
        expect(await store.runs.getJob("ap", "build")).toMatchObject({ status: "failed", attempt: 1, reason: "exit 1", failureClass: "test_failure", finishedAt: 20 });
        expect(await store.runs.getAttempt("ap", "build", 1)).toEqual(
          attempt("ap", "build", 1, { status: "failed", exitCode: 1, evidence, finishedAt: 20, outputBytes: 12_345_678_901, truncatedBytes: 7 }),
        );
        expect(await store.runs.getAttempt("ap", "build", 2)).toBeNull();
        expect((await store.runs.listEvents("ap")).map((e) => e.type)).toEqual(["run.created", "run.started", "job.queued"]);
      });

      it("apply with ifOwner is a compare-and-set on the owner: of two takers of one run exactly one wins", async () => {
        await store.runs.createRun(newRun("cas"), JOBS, 1);
        const take = (owner: string, from: string | null) =>
          store.runs.apply({ runId: "cas", ifOwner: from, run: { ownerId: owner, status: "running" }, events: [{ type: "run.adopted", jobId: null, attempt: null, at: 2, data: { owner } }] });
        await take("o-dead", null);
        // Two orchestrators both saw o-dead's run as an orphan and both try to adopt it.
        const results = await Promise.allSettled([take("o-a", "o-dead"), take("o-b", "o-dead")]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
        expect(lost.reason).toMatchObject({ code: ErrorCode.CONFLICT });
        const owner = (await store.runs.getRun("cas"))!.ownerId;
        expect(["o-a", "o-b"]).toContain(owner);
        // The loser changed nothing: one adoption event besides the first take.
        expect((await store.runs.listEvents("cas")).filter((e) => e.type === "run.adopted")).toHaveLength(2);
        await rejectsWith(take("o-c", null), ErrorCode.CONFLICT);
        await rejectsWith(store.runs.apply({ runId: "missing-run", ifOwner: null, events: [] }), ErrorCode.RUN_NOT_FOUND);
      });

      it("apply is atomic: patching a missing job or attempt rejects with JOB_NOT_FOUND and applies nothing", async () => {
        await store.runs.createRun(newRun("at"), JOBS, 1);
        const before = { run: await store.runs.getRun("at"), jobs: await store.runs.listJobs("at"), events: await store.runs.listEvents("at") };
        const base = {
          runId: "at", run: { status: "running" as const, startedAt: 3 },
          jobs: [{ jobId: "build", patch: { status: "queued" as const, attempt: 1 } }],
          newAttempts: [attempt("at", "build", 1)],
          events: [{ type: "job.queued", jobId: "build", attempt: 1, at: 3, data: {} }],
        };
        await rejectsWith(store.runs.apply({ ...base, jobs: [...base.jobs, { jobId: "ghost", patch: { status: "failed" } }] }), ErrorCode.JOB_NOT_FOUND);
        await rejectsWith(store.runs.apply({ ...base, attempts: [{ jobId: "build", attempt: 9, patch: { status: "lost" } }] }), ErrorCode.JOB_NOT_FOUND);
        await rejectsWith(store.runs.apply({ ...base, newAttempts: [attempt("at", "ghost", 1)] }), ErrorCode.JOB_NOT_FOUND);
        await rejectsWith(store.runs.apply({ ...base, jobs: [{ jobId: "ghost", patch: {} }] }), ErrorCode.JOB_NOT_FOUND);
        await rejectsWith(store.runs.apply({ runId: "missing-run", events: [] }), ErrorCode.RUN_NOT_FOUND);
        await rejectsWith(store.runs.apply({ runId: "missing-run", run: { status: "failed" }, events: [] }), ErrorCode.RUN_NOT_FOUND);
        expect(await store.runs.getRun("at")).toEqual(before.run);
        expect(await store.runs.listJobs("at")).toEqual(before.jobs);
        expect(await store.runs.listEvents("at")).toEqual(before.events);
        expect(await store.runs.listAttempts("at")).toEqual([]);
        await store.runs.apply(base); // and the same change without the bad part lands
        expect(await store.runs.listAttempts("at")).toHaveLength(1);
      });

      it("events are append-only with increasing seq, exact data and afterSeq tailing", async () => {
        await store.runs.createRun(newRun("ev"), JOBS, 1);
        await store.runs.createRun(newRun("other"), JOBS, 1);
        const data = { nested: { a: [1, "two", null, { b: true }] }, text: "ünï \u2603", n: 1.25 };
        for (let i = 0; i < 3; i++) {
          await store.runs.apply({ runId: "ev", events: [{ type: `t.${i}`, jobId: i ? "build" : null, attempt: i || null, at: 100 + i, data }] });
          await store.runs.apply({ runId: "other", events: [{ type: "x", jobId: null, attempt: null, at: 1, data: {} }] });
        }
        const events = await store.runs.listEvents("ev");
        expect(events.map((e) => e.type)).toEqual(["run.created", "t.0", "t.1", "t.2"]);
        for (let i = 1; i < events.length; i++) expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
        expect(events[2]).toEqual({ seq: events[2]!.seq, runId: "ev", jobId: "build", attempt: 1, type: "t.1", at: 101, data });
        expect((await store.runs.listEvents("ev", events[1]!.seq)).map((e) => e.type)).toEqual(["t.1", "t.2"]);
        expect(await store.runs.listEvents("ev", events[3]!.seq)).toEqual([]);
        expect(await store.runs.listEvents("nope")).toEqual([]);
      });

      it("listAttempts orders by jobId then attempt and filters by job", async () => {
        await store.runs.createRun(newRun("la"), JOBS, 1);
        await store.runs.apply({ runId: "la", newAttempts: [attempt("la", "test", 2), attempt("la", "build", 1), attempt("la", "test", 1), attempt("la", "deploy", 10)], events: [] });
        await store.runs.apply({ runId: "la", newAttempts: [attempt("la", "test", 3, { agentId: "a-1", leaseExpiresAt: 99, signal: "SIGKILL" })], events: [] });
        const keys = (await store.runs.listAttempts("la")).map((a) => `${a.jobId}#${a.attempt}`);
        expect(keys).toEqual(["build#1", "deploy#10", "test#1", "test#2", "test#3"]);
        expect((await store.runs.listAttempts("la", "test")).map((a) => a.attempt)).toEqual([1, 2, 3]);
        expect(await store.runs.getAttempt("la", "test", 3)).toEqual(attempt("la", "test", 3, { agentId: "a-1", leaseExpiresAt: 99, signal: "SIGKILL" }));
      });

      it("requestCancel keeps the first time, is idempotent and returns false for a missing run", async () => {
        await store.runs.createRun(newRun("cx"), [], 1);
        expect(await store.runs.requestCancel("cx", 50)).toBe(true);
        expect(await store.runs.requestCancel("cx", 60)).toBe(true);
        expect((await store.runs.getRun("cx"))?.cancelRequestedAt).toBe(50);
        expect(await store.runs.requestCancel("nope", 50)).toBe(false);
      });

      it("numbers come back as numbers, never strings", async () => {
        const run = await store.runs.createRun(newRun("num", { createdAt: 1_700_000_000_123 }), JOBS, 1);
        await store.runs.apply({ runId: "num", newAttempts: [attempt("num", "build", 1, { leaseExpiresAt: 1_700_000_060_000, exitCode: 0, outputBytes: 5 })], events: [] });
        const read = (await store.runs.getRun(run.id))!;
        const a = (await store.runs.getAttempt("num", "build", 1))!;
        const [e] = await store.runs.listEvents("num");
        for (const v of [read.number, read.createdAt, a.attempt, a.queuedAt, a.leaseExpiresAt, a.exitCode, a.outputBytes, e!.seq, e!.at]) {
          expect(typeof v).toBe("number");
        }
      });
    });

    describe("logs", () => {
      const line = (jobId: string, attemptNo: number, seq: number, text = `line ${seq}`) =>
        ({ runId: "lr", jobId, attempt: attemptNo, seq, stream: "stdout" as const, text, at: 1000 + seq });

      it("appendLogs is idempotent on (run, job, attempt, seq) and reads in insertion order with ids", async () => {
        await store.logs.appendLogs([line("build", 1, 0), line("build", 1, 1)]);
        await store.logs.appendLogs([line("build", 1, 1, "redelivered"), line("build", 1, 2)]);
        await store.logs.appendLogs([]);
        const read = await store.logs.readLogs({ runId: "lr" });
        expect(read.map((l) => l.text)).toEqual(["line 0", "line 1", "line 2"]);
        expect(read[0]).toEqual({ ...line("build", 1, 0), id: read[0]!.id });
        expect(typeof read[0]!.id).toBe("number");
        expect(read[2]!.id).toBeGreaterThan(read[1]!.id);
      });

      it("readLogs filters by job and attempt, tails with afterId and limits", async () => {
        await store.logs.appendLogs([line("build", 1, 0), line("test", 1, 0), line("test", 2, 0), line("test", 2, 1)]);
        await store.logs.appendLogs([{ ...line("build", 1, 0), runId: "other-run" }]);
        expect((await store.logs.readLogs({ runId: "lr" })).length).toBe(4);
        expect((await store.logs.readLogs({ runId: "lr", jobId: "test" })).length).toBe(3);
        const t2 = await store.logs.readLogs({ runId: "lr", jobId: "test", attempt: 2 });
        expect(t2.map((l) => l.seq)).toEqual([0, 1]);
        expect((await store.logs.readLogs({ runId: "lr", afterId: t2[0]!.id })).map((l) => l.seq)).toEqual([1]);
        expect((await store.logs.readLogs({ runId: "lr", limit: 2 })).map((l) => l.jobId)).toEqual(["build", "test"]);
        // The end of a log (a failure's last lines), still oldest first.
        expect((await store.logs.readLogs({ runId: "lr", jobId: "test", limit: 2, fromEnd: true })).map((l) => [l.attempt, l.seq])).toEqual([[2, 0], [2, 1]]);
        expect((await store.logs.readLogs({ runId: "lr", fromEnd: true })).length).toBe(4);
        expect(await store.logs.readLogs({ runId: "nope" })).toEqual([]);
      });

      it("keeps non-ASCII text and \\xNN escapes as given; NUL is stored as \\x00", async () => {
        const texts = ["héllo ✓ 日本語 🚀", "raw byte \\xff\\x80 kept", "tab\there  trailing  ", "", "a\u0000b"];
        await store.logs.appendLogs(texts.map((t, i) => ({ ...line("build", 1, i, t), stream: "stderr" as const })));
        const read = await store.logs.readLogs({ runId: "lr" });
        expect(read.map((l) => l.text)).toEqual([...texts.slice(0, 4), "a\\x00b"]);
        expect(read.every((l) => l.stream === "stderr")).toBe(true);
      });

      it("appends a large batch in one call", async () => {
        await store.logs.appendLogs(Array.from({ length: 1200 }, (_, i) => line("build", 1, i)));
        const read = await store.logs.readLogs({ runId: "lr" });
        expect(read.map((l) => l.seq)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
      });
    });

    describe("test results", () => {
      it("saveTestCases replaces the cases of (run, job, attempt); listTestCases filters", async () => {
        await store.tests.saveTestCases("tr", "test", 1, [tc("a", "passed"), tc("b", "failed", { message: "expected 1 ✗" })]);
        await store.tests.saveTestCases("tr", "test", 1, [tc("a", "passed"), tc("b", "passed"), tc("c", "skipped")]);
        await store.tests.saveTestCases("tr", "lint", 1, [tc("l", "errored", { classname: "x.Y", durationMs: 0.25 })]);
        const cases = await store.tests.listTestCases({ runId: "tr", jobId: "test" });
        expect(cases.map((c) => `${c.name}:${c.status}`)).toEqual(["a:passed", "b:passed", "c:skipped"]);
        expect(cases[0]).toEqual({ ...tc("a", "passed"), runId: "tr", jobId: "test", attempt: 1 });
        expect(await store.tests.listTestCases({ runId: "tr", jobId: "lint", attempt: 1 })).toEqual([
          { ...tc("l", "errored", { classname: "x.Y", durationMs: 0.25 }), runId: "tr", jobId: "lint", attempt: 1 },
        ]);
        expect((await store.tests.listTestCases({ runId: "tr" })).map((c) => c.jobId)).toEqual(["lint", "test", "test", "test"]);
        await store.tests.saveTestCases("tr", "test", 1, []);
        expect(await store.tests.listTestCases({ runId: "tr", jobId: "test" })).toEqual([]);
      });

      it("testCounts counts per job using the job's latest attempt that has cases", async () => {
        await store.tests.saveTestCases("tc", "test", 1, [tc("a", "failed"), tc("b", "passed")]);
        await store.tests.saveTestCases("tc", "test", 2, [tc("a", "passed"), tc("b", "passed"), tc("c", "skipped")]);
        await store.tests.saveTestCases("tc", "lint", 1, [tc("x", "errored"), tc("y", "failed")]);
        await store.tests.saveTestCases("tc", "build", 1, []);
        await store.tests.saveTestCases("other", "test", 9, [tc("z", "failed")]);
        expect(await store.tests.testCounts("tc")).toEqual({
          test: { total: 3, passed: 2, failed: 0, errored: 0, skipped: 1 },
          lint: { total: 2, passed: 0, failed: 1, errored: 1, skipped: 0 },
        });
        expect(await store.tests.testCounts("nope")).toEqual({});
      });
    });

    describe("bus messages", () => {
      const msg = (id: string, topic = "agent.test") => ({ id, topic, payload: JSON.stringify({ id, ü: "✓" }), publishedAt: 7 });

      it("keeps messages in publish order, groups and acks; all idempotent", async () => {
        for (const id of ["m-3", "m-1", "m-2"]) await store.busMessages.saveMessage(msg(id));
        await store.busMessages.saveMessage(msg("m-1"));
        await store.busMessages.saveMessage(msg("r-1", "agent.results"));
        await store.busMessages.saveGroup("agent.test", "agents", 1);
        await store.busMessages.saveGroup("agent.test", "agents", 2);
        await store.busMessages.saveGroup("agent.results", "orchestrator", 3);
        await store.busMessages.saveAcks("agent.test", "agents", ["m-1", "m-2"]);
        await store.busMessages.saveAcks("agent.test", "agents", ["m-1", "unknown"]);
        const all = await store.busMessages.loadAll();
        expect(all.messages.map((m) => m.id)).toEqual(["m-3", "m-1", "m-2", "r-1"]);
        expect(all.messages[0]).toEqual(msg("m-3"));
        expect(all.groups).toEqual([{ topic: "agent.test", group: "agents" }, { topic: "agent.results", group: "orchestrator" }]);
        expect(all.acks.sort((a, b) => a.messageId.localeCompare(b.messageId))).toEqual([
          { group: "agents", messageId: "m-1" }, { group: "agents", messageId: "m-2" },
        ]);
      });

      it("deleteMessages removes the messages and their acks only", async () => {
        for (const id of ["d-1", "d-2", "d-3"]) await store.busMessages.saveMessage(msg(id));
        await store.busMessages.saveAcks("agent.test", "g", ["d-1", "d-2", "d-3"]);
        await store.busMessages.deleteMessages(["d-1", "d-3", "never"]);
        await store.busMessages.deleteMessages([]);
        const all = await store.busMessages.loadAll();
        expect(all.messages.map((m) => m.id)).toEqual(["d-2"]);
        expect(all.acks).toEqual([{ group: "g", messageId: "d-2" }]);
      });
    });

    describe("orchestrators", () => {
      it("heartbeat upserts, listOrchestrators lists and removeOrchestrator removes", async () => {
        const o1 = { id: "o-1", host: "h1", pid: 101, startedAt: 10, heartbeatAt: 11 };
        await store.orchestrators.heartbeat(o1);
        await store.orchestrators.heartbeat({ id: "o-2", host: "h2", pid: 202, startedAt: 20, heartbeatAt: 21 });
        await store.orchestrators.heartbeat({ ...o1, heartbeatAt: 1_700_000_000_999 });
        expect(await store.orchestrators.listOrchestrators()).toEqual([
          { ...o1, heartbeatAt: 1_700_000_000_999 }, { id: "o-2", host: "h2", pid: 202, startedAt: 20, heartbeatAt: 21 },
        ]);
        await store.orchestrators.removeOrchestrator("o-1");
        await store.orchestrators.removeOrchestrator("o-1");
        expect((await store.orchestrators.listOrchestrators()).map((o) => o.id)).toEqual(["o-2"]);
      });
    });

    describe("stage reports", () => {
      it("replaces per attempt, lists by job then attempt, round-trips data exactly", async () => {
        const base = { runId: "r", kind: "lint", at: 5 };
        const data = { findings: [{ file: "a.ts", line: 3, message: "ünïcode \u0000 nul" }], nested: { n: 1.5, ok: true, none: null } };
        await store.stages.saveStageReport({ ...base, jobId: "b", attempt: 1, summary: "first", data: {} });
        await store.stages.saveStageReport({ ...base, jobId: "a", attempt: 2, summary: "two", data });
        await store.stages.saveStageReport({ ...base, jobId: "a", attempt: 1, summary: "old", data: {} });
        await store.stages.saveStageReport({ ...base, jobId: "a", attempt: 1, summary: "one", data: { x: 1 } });
        const all = await store.stages.listStageReports("r");
        expect(all.map((r) => [r.jobId, r.attempt, r.summary])).toEqual([["a", 1, "one"], ["a", 2, "two"], ["b", 1, "first"]]);
        expect(all[1]!.data).toEqual(data);
        expect((await store.stages.listStageReports("r", "b")).length).toBe(1);
        expect(await store.stages.listStageReports("other")).toEqual([]);
      });
    });

    describe("audit", () => {
      it("starts empty at the genesis head", async () => {
        expect(await store.audit.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
        expect(await store.audit.list()).toEqual([]);
      });

      it("assigns seq 1..n linked by prevHash, lists in order and round-trips data exactly", async () => {
        const data = { explanation: { candidates: [{ action: "restart", q: 0.1 + 0.2 }], note: "ünïcode \u0000 nul ✓" }, explore: false, none: null };
        const appended: AuditRecord[] = [];
        for (let i = 0; i < 5; i++) appended.push(await store.audit.append(auditBuilder(i === 2 ? data : { i }, 10 + i)));
        expect(appended.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(appended[0]!.prevHash).toBe(GENESIS_HASH);
        for (let i = 1; i < 5; i++) expect(appended[i]!.prevHash).toBe(appended[i - 1]!.hash);
        expect(await store.audit.list()).toEqual(appended);
        expect((await store.audit.list())[2]!.data).toEqual(data);
        expect(await store.audit.head()).toEqual({ seq: 5, hash: appended[4]!.hash });
      });

      it("lists from a seq and with a limit", async () => {
        for (let i = 0; i < 6; i++) await store.audit.append(auditBuilder({ i }));
        expect((await store.audit.list({ afterSeq: 3 })).map((r) => r.seq)).toEqual([4, 5, 6]);
        expect((await store.audit.list({ afterSeq: 1, limit: 2 })).map((r) => r.seq)).toEqual([2, 3]);
        expect(await store.audit.list({ afterSeq: 6 })).toEqual([]);
      });

      it("refuses a record that does not link to the head, and writes nothing", async () => {
        await store.audit.append(auditBuilder({ first: true }));
        const before = await store.audit.head();
        const forkSeq = (head: AuditHead): AuditRecord => ({ ...auditBuilder({})(head), seq: head.seq });
        const forkHash = (head: AuditHead): AuditRecord => ({ ...auditBuilder({})(head), prevHash: GENESIS_HASH });
        await rejectsWith(store.audit.append(forkSeq), ErrorCode.INTERNAL);
        await rejectsWith(store.audit.append(forkHash), ErrorCode.INTERNAL);
        await expect(store.audit.append(() => { throw new Error("builder failed"); })).rejects.toThrow("builder failed");
        expect(await store.audit.head()).toEqual(before);
        expect(await store.audit.list()).toHaveLength(1);
      });

      it("keeps one valid chain under concurrent appends", async () => {
        const records = await Promise.all(Array.from({ length: 30 }, (_, i) => store.audit.append(auditBuilder({ i }))));
        expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        const listed = await store.audit.list();
        expect(listed.map((r) => r.seq)).toEqual(records.map((r) => r.seq).sort((a, b) => a - b));
        listed.forEach((r, i) => expect(r.prevHash).toBe(i === 0 ? GENESIS_HASH : listed[i - 1]!.hash));
        expect(new Set(listed.map((r) => (r.data as { i: number }).i)).size).toBe(30);
      });
    });

    defineHealingConformance(() => store);
    defineRemedyConformance(() => store);

    describe("lifecycle", () => {
      it("migrate is idempotent and keeps data", async () => {
        await store.runs.createRun(newRun("keep"), [], 1);
        await store.migrate();
        expect((await store.runs.getRun("keep"))?.number).toBe(1);
      });

      it("close is idempotent; calls after close reject with STORE_UNAVAILABLE", async () => {
        await Promise.all([store.close(), store.close()]);
        await store.close();
        await rejectsWith(store.runs.getRun("x"), ErrorCode.STORE_UNAVAILABLE);
        await rejectsWith(store.logs.appendLogs([]), ErrorCode.STORE_UNAVAILABLE);
      });
    });
  });
}
