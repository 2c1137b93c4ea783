import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../../src/app/create-app.js";
import { startHealDispatch } from "../../../src/app/heal-dispatch.js";
import { createHealFeed, jobFailureEvent } from "../../../src/app/heal-feed.js";
import { silentLogger } from "../../../src/core/logger.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import { detectFlakyTests } from "../../../src/healing/detectors/flaky-tests.js";
import type { HealEvent, HealOutcome, JobFailureEvent } from "../../../src/healing/loop/heal-types.js";
import type { RunRecord, Store } from "../../../src/store/port.js";
import { removeAll } from "../../agents/test/fixture-project.js";
import { BROKEN, devRules, FLAKY, nodeProject, STABLE, startJobApp, TEST_PIPELINE, type JobApp } from "./job-app.js";
import { createLoopFixture } from "./loop-fixture.js";

// The healing loop's job actuators on the real embedded app: test jobs of a temp node project run
// by the real test stage, reruns as real runs, flakes and quarantine in the app's SQLite store.

const dirs: string[] = [];
const apps: App[] = [];
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await removeAll(dirs);
});

async function jobApp(tests: { flaky?: boolean; broken?: boolean }): Promise<JobApp> {
  const j = await startJobApp(dirs, await nodeProject(dirs, tests));
  apps.push(j.app);
  return j;
}

async function failure(j: JobApp, run: RunRecord, jobId = "test"): Promise<JobFailureEvent> {
  const event = await jobFailureEvent(j.app.store, { runId: run.id, jobId, environment: "dev" });
  if (event === null) throw new Error(`job ${jobId} of run #${run.number} has no failed attempt`);
  return event;
}

/** The run an executed rerun/retry/quarantine decision started (its actuator detail). */
async function rerunOf(j: JobApp, decisionId: string): Promise<RunRecord> {
  const d = await j.app.store.healing.getDecision(decisionId);
  const actuator = d?.outcome?.["actuator"] as { rerunRunId?: string } | undefined;
  const run = actuator?.rerunRunId ? await j.app.store.runs.getRun(actuator.rerunRunId) : null;
  if (run === null) throw new Error(`decision ${decisionId} started no run: ${JSON.stringify(d?.outcome)}`);
  return run;
}

const auditTypes = async (store: Store): Promise<string[]> => (await store.audit.list()).map((r) => r.type);

describe("rerun_failed_tests and quarantine_test on a flaky test", () => {
  it("reruns only the failed test in a new run (healed), records the flake, quarantines it and proves it by a full rerun", async () => {
    const j = await jobApp({ flaky: true });
    const first = await j.run(TEST_PIPELINE);
    expect(first.status).toBe("failed");
    expect(await j.cases(first.id)).toEqual([`${FLAKY}:failed`, `${STABLE}:passed`]);

    const event = await failure(j, first);
    expect(event).toMatchObject({ kind: "job_failure", jobId: "test", runId: first.id, attempt: 1, failureClass: "test_failure", failedTests: 1, failedTestIds: [FLAKY] });
    expect(event.lines?.length).toBeGreaterThan(0);

    const loop = j.loop();
    const healed = await loop.handle(event);
    expect(healed).toMatchObject({ status: "healed", steps: [{ action: "rerun_failed_tests", status: "executed", verdict: "healed" }] });
    expect(healed.steps).toHaveLength(1);
    expect(healed.steps[0]!.reason).toMatch(/^job test passed in run #2$/);

    const rerun = await rerunOf(j, healed.steps[0]!.decisionId);
    expect(rerun.status).toBe("succeeded");
    expect(rerun.trigger).toEqual({ source: "heal", by: `heal:${healed.steps[0]!.decisionId}`, rerunOf: { runId: first.id, jobId: "test", attempt: 1, failedTestsOnly: true } });
    expect(rerun.plan.jobs.map((x) => ({ id: x.id, needs: x.needs }))).toEqual([{ id: "test", needs: [] }]);
    expect(rerun.workspace).toBe(first.workspace);
    // Only the failed test ran: the stage says so, and only its case is stored for the rerun.
    expect((await j.stage(rerun.id))?.data["rerun"]).toEqual({ of: 1, tests: [FLAKY] });
    expect(await j.cases(rerun.id)).toEqual([`${FLAKY}:passed`]);
    const decision = await j.app.store.healing.getDecision(healed.steps[0]!.decisionId);
    expect(decision).toMatchObject({ status: "verified", verdict: "healed", outcome: { actuator: { rerunRunNumber: rerun.number, jobStatus: "succeeded", flaky: [FLAKY] } } });
    expect(await j.app.store.healing.getIncident(healed.incidentId)).toMatchObject({ status: "healed", kind: "job_failure", target: { type: "job", id: "test" } });

    // The flaky-test detector on the rerun: failed, then passed on the same code.
    expect(await j.app.store.remedies.getFlakeHistory(FLAKY)).toBeNull();
    const flaky = await detectFlakyTests(j.app.store, { runId: rerun.id, jobId: "test", environment: "dev", now: Date.now() });
    expect(flaky).toHaveLength(1);
    expect(flaky[0]).toMatchObject({
      kind: "flaky_test",
      environment: "dev",
      target: FLAKY,
      evidence: { testId: FLAKY, runId: rerun.id, jobId: "test", commit: null, failedIn: { runId: first.id, attempt: 1 }, passedIn: { runId: rerun.id, attempt: 1 }, history: { runs: 1, flakes: 1 } },
    });
    expect(await j.app.store.remedies.getFlakeHistory(FLAKY)).toMatchObject({ testId: FLAKY, runs: 1, flakes: 1 });
    // The first run reran nothing: nothing to compare there.
    expect(await detectFlakyTests(j.app.store, { runId: first.id, jobId: "test", environment: "dev", now: Date.now() })).toEqual([]);

    const quarantined = await loop.handle(flaky[0]!);
    expect(quarantined).toMatchObject({ status: "healed", steps: [{ action: "quarantine_test", status: "executed", verdict: "healed" }] });
    const decisionId = quarantined.steps[0]!.decisionId;
    const active = await j.app.store.remedies.listQuarantine({ activeAt: Date.now() });
    expect(active).toEqual([expect.objectContaining({ testId: FLAKY, by: "system", decisionId, releasedAt: null })]);
    expect(active[0]!.reason).toContain("passed on 1 of 1 reruns");
    expect(active[0]!.expiresAt).toBeGreaterThan(Date.now() + 6 * 24 * 3600_000);
    // Verified by rerunning the whole job (not just the failed tests) with the quarantine in force.
    const proof = await rerunOf(j, decisionId);
    expect(proof.trigger.rerunOf).toEqual({ runId: rerun.id, jobId: "test", attempt: 1, failedTestsOnly: false });
    expect(proof.status).toBe("succeeded");
    expect((await j.stage(proof.id))?.data["rerun"]).toBeUndefined();
    expect(await j.cases(proof.id)).toEqual([`${FLAKY}:passed`, `${STABLE}:passed`]);
    expect(await j.app.store.healing.getIncident(quarantined.incidentId)).toMatchObject({ kind: "flaky_test", status: "healed", target: { type: "test", id: FLAKY } });

    const records = await j.app.store.audit.list();
    expect(verifyChain(records)).toMatchObject({ ok: true, count: records.length });
    expect(await auditTypes(j.app.store)).toEqual(expect.arrayContaining(["INCIDENT_OPENED", "RL_DECISION", "ORCH_EXEC", "ACTION_VERIFIED", "SYSTEM_STABLE"]));
  });
});

describe("a test that always fails", () => {
  it("rerun fails, the loop moves to the next action, then escalates when the budget is used up", async () => {
    const j = await jobApp({ flaky: true, broken: true });
    const first = await j.run(TEST_PIPELINE);
    expect(first.status).toBe("failed");
    const event = await failure(j, first);
    expect([...(event.failedTestIds ?? [])].sort()).toEqual([BROKEN, FLAKY]);

    // Rules: rerun the failed tests, then retry the whole job; two remediations per (job, signature).
    const base = devRules().dev;
    const policyFile = devRules({ rules: { ...base.rules, test_failure: ["rerun_failed_tests", "retry_job", "escalate"] }, budgets: { ...base.budgets, retriesPerTargetSignature: 2 } });
    const outcome = await j.loop({ policyFile }).handle(event);
    expect(outcome.status).toBe("escalated");
    expect(outcome.steps.map((s) => [s.action, s.status, s.verdict])).toEqual([
      ["rerun_failed_tests", "executed", "failed"],
      ["retry_job", "executed", "failed"],
      ["escalate", "executed", null],
    ]);
    expect(outcome.steps[0]!.reason).toMatch(/^job test failed again in run #2: /);
    expect(outcome.steps[1]!.reason).toMatch(/^job test failed again in run #3: /);

    // The rerun ran the two failed tests only: the flaky one passed, the broken one failed again.
    const rerun = await rerunOf(j, outcome.steps[0]!.decisionId);
    expect(rerun.trigger.rerunOf).toMatchObject({ runId: first.id, failedTestsOnly: true });
    expect(((await j.stage(rerun.id))?.data["rerun"] as { tests: string[] }).tests.sort()).toEqual([BROKEN, FLAKY]);
    expect(await j.cases(rerun.id)).toEqual([`${BROKEN}:failed`, `${FLAKY}:passed`]);
    // The retry reran the whole job of the run that failed.
    const retry = await rerunOf(j, outcome.steps[1]!.decisionId);
    expect(retry.trigger.rerunOf).toEqual({ runId: first.id, jobId: "test", attempt: 1, failedTestsOnly: false });
    expect(await j.cases(retry.id)).toEqual([`${BROKEN}:failed`, `${FLAKY}:passed`, `${STABLE}:passed`]);

    // The retry was picked because the rerun was in its cooldown; the escalation was forced by the budget.
    const second = await j.app.store.healing.getDecision(outcome.steps[1]!.decisionId);
    expect(second?.explanation.masked).toEqual(expect.arrayContaining([expect.objectContaining({ action: "rerun_failed_tests", code: "cooldown" })]));
    const last = await j.app.store.healing.getDecision(outcome.steps[2]!.decisionId);
    expect(last?.explanation).toMatchObject({ chosen: "escalate", forcedBy: "budget exhausted: no remediation left for this signature" });
    expect(last?.explanation.masked).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: "rerun_failed_tests", code: "budget" }), expect.objectContaining({ action: "retry_job", code: "budget" })]),
    );
    expect(await j.app.store.healing.getIncident(outcome.incidentId)).toMatchObject({ status: "escalated", note: "budget exhausted: no remediation left for this signature" });
    expect(await auditTypes(j.app.store)).not.toContain("SYSTEM_STABLE");
  });

  it("is honoured while quarantined (the job succeeds, the stage lists it) and fails the job again once released", async () => {
    const j = await jobApp({ broken: true });
    const at = Date.now();
    await j.app.store.remedies.quarantineTest({ testId: BROKEN, reason: "known broken, ticket 12", by: "alice", decisionId: null, at, expiresAt: at + 3600_000 });

    const kept = await j.run(TEST_PIPELINE);
    expect(kept.status).toBe("succeeded");
    const stage = await j.stage(kept.id);
    expect(stage?.data["quarantined"]).toEqual([BROKEN]);
    expect(stage?.summary).toContain("1 in quarantine");
    // It still ran and is reported as failed.
    expect(await j.cases(kept.id)).toEqual([`${BROKEN}:failed`, `${STABLE}:passed`]);
    const logs = await j.app.store.logs.readLogs({ runId: kept.id, jobId: "test" });
    expect(logs.some((l) => l.text.startsWith("quarantine: 1 failing test(s) in quarantine did not fail the job"))).toBe(true);

    expect(await j.app.store.remedies.releaseQuarantine(BROKEN, { by: "alice", at: Date.now() })).toMatchObject({ testId: BROKEN, releasedBy: "alice" });
    const failed = await j.run(TEST_PIPELINE);
    expect(failed.status).toBe("failed");
    expect(await j.app.store.runs.getJob(failed.id, "test")).toMatchObject({ status: "failed", failureClass: "test_failure" });
    expect((await j.stage(failed.id))?.data["quarantined"]).toBeUndefined();
  });
});

describe("retry_job", () => {
  const SHELL = ["jobs:", "  build:", "    steps:", `      - { name: once, run: "test -f .ran-once || { touch .ran-once; echo first try fails; exit 1; }" }`, ""].join("\n");

  it("retries a shell job that fails once in a new run: healed", async () => {
    const j = await jobApp({});
    const first = await j.run(SHELL);
    expect(first.status).toBe("failed");
    const event = await failure(j, first, "build");
    expect(event).toMatchObject({ jobId: "build", runId: first.id, attempt: 1, failureClass: "exit_nonzero", exitCode: 1, failedTests: 0, failedTestIds: [] });
    expect(event.lines).toEqual(expect.arrayContaining(["first try fails"]));

    const outcome = await j.loop().handle(event);
    expect(outcome).toMatchObject({ status: "healed", steps: [{ action: "retry_job", status: "executed", verdict: "healed" }] });
    const retry = await rerunOf(j, outcome.steps[0]!.decisionId);
    expect(retry).toMatchObject({ status: "succeeded", trigger: { source: "heal", rerunOf: { runId: first.id, jobId: "build", attempt: 1, failedTestsOnly: false } } });
    expect(await j.app.store.runs.getJob(retry.id, "build")).toMatchObject({ status: "succeeded", attempt: 1 });
    const decision = await j.app.store.healing.getDecision(outcome.steps[0]!.decisionId);
    expect(decision?.explanation.masked).toEqual(expect.arrayContaining([{ action: "rerun_failed_tests", code: "precondition", reason: "precondition: no failed tests to rerun" }]));
  });

  it("retry and rerun are masked when the incident does not name the job's run", async () => {
    const { store, loop } = await createLoopFixture(() => null, { policyFile: devRules() });
    stores.push(store);
    const outcome = await loop.handle({ kind: "job_failure", environment: "dev", jobId: "build", failureClass: "exit_nonzero", exitCode: 1, failedTests: 2, at: Date.now() });
    expect(outcome).toMatchObject({ status: "escalated", steps: [{ action: "escalate" }] });
    const decision = await store.healing.getDecision(outcome.steps[0]!.decisionId);
    expect(decision?.explanation.masked).toEqual(
      expect.arrayContaining([
        { action: "retry_job", code: "precondition", reason: "precondition: the run of job build is not known" },
        { action: "rerun_failed_tests", code: "precondition", reason: "precondition: the run of job build is not known" },
      ]),
    );
  });

  it("is refused, with its reason, by a loop that has no engine beside it", async () => {
    const j = await jobApp({});
    const first = await j.run(SHELL);
    const event = await failure(j, first, "build");
    // Another loop on its own store, without `pipelines`: nothing can run the retry.
    const { store, loop } = await createLoopFixture(() => null, { policyFile: devRules() });
    stores.push(store);
    const outcome = await loop.handle(event);
    expect(outcome.status).toBe("refused");
    expect(outcome.steps).toEqual([expect.objectContaining({ action: "retry_job", status: "refused", verdict: null })]);
    expect(outcome.steps[0]!.reason).toMatch(/^no pipeline engine beside this healing loop/);
    expect(await store.healing.getDecision(outcome.steps[0]!.decisionId)).toMatchObject({ status: "refused", outcome: { reason: outcome.steps[0]!.reason } });
    const refusal = (await store.audit.list()).find((r) => r.type === "ORCH_REFUSE");
    expect(refusal?.data).toEqual({ action: "retry_job", reason: outcome.steps[0]!.reason });
    expect(await auditTypes(store)).not.toContain("ORCH_EXEC");
    // Nothing ran: the app's store still holds the one run.
    expect(await j.app.store.runs.listRuns()).toHaveLength(1);
  });

  it("pipeline control refuses a run or job that is not there, naming what is", async () => {
    const j = await jobApp({});
    const first = await j.run(SHELL);
    const by = "heal:test";
    await expect(j.pipelines.rerunJob({ runId: "no-such-run", jobId: "build", failedTestsOnly: false, by })).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
    await expect(j.pipelines.rerunJob({ runId: first.id, jobId: "deploy", failedTestsOnly: false, by })).rejects.toMatchObject({
      code: "JOB_NOT_FOUND",
      message: `run #${first.number} has no job deploy; jobs are: build`,
    });
    expect(await j.app.store.runs.listRuns()).toHaveLength(1);
  });
});

describe("the heal feed on the orchestrator's events", () => {
  function feedOn(j: JobApp) {
    const outcomes: Array<{ event: HealEvent; outcome: HealOutcome }> = [];
    // Through the bus, as pitstop run --heal does: published on heal.events.dev, settled by a healer.
    const dispatch = startHealDispatch({ bus: j.app.bus, store: j.app.store.healing, loop: j.loop(), log: silentLogger, environments: ["dev"], source: "test" });
    const feed = createHealFeed({ store: j.app.store, heal: dispatch.heal, environment: "dev", log: silentLogger, now: Date.now, onOutcome: (event, outcome) => void outcomes.push({ event, outcome }) });
    j.app.orchestrator.on(feed.onEvent);
    return { feed, outcomes };
  }

  it("a failing run raises exactly one incident; the loop's rerun failing again raises none", async () => {
    const j = await jobApp({ broken: true });
    const { feed, outcomes } = feedOn(j);
    const first = await j.run(TEST_PIPELINE);
    expect(first.status).toBe("failed");
    await feed.idle();

    const incidents = await j.app.store.healing.listIncidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ kind: "job_failure", status: "escalated", target: { type: "job", id: "test" } });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.event).toMatchObject({ kind: "job_failure", runId: first.id, failedTestIds: [BROKEN] });
    // Default dev rules for a test failure: rerun the failed tests, then (rerun in cooldown) tell people.
    expect(outcomes[0]!.outcome.steps.map((s) => [s.action, s.verdict])).toEqual([["rerun_failed_tests", "failed"], ["escalate", null]]);
    const runs = await j.app.store.runs.listRuns();
    expect(runs.map((r) => [r.status, r.trigger.source])).toEqual([["failed", "heal"], ["failed", "cli"]]);
    // idle() also waited for the flaky-test check of the rerun, queued while the incident was handled.
    expect(await j.app.store.remedies.getFlakeHistory(BROKEN)).toMatchObject({ runs: 1, flakes: 0 });
  });

  it("a flaky test: the job failure is healed by a rerun, the flake becomes a second incident, quarantined", async () => {
    const j = await jobApp({ flaky: true });
    const { feed, outcomes } = feedOn(j);
    expect((await j.run(TEST_PIPELINE)).status).toBe("failed");
    await feed.idle();

    expect(outcomes.map((o) => [o.event.kind, o.outcome.status, o.outcome.steps.map((s) => s.action).join(",")])).toEqual([
      ["job_failure", "healed", "rerun_failed_tests"],
      ["flaky_test", "healed", "quarantine_test"],
    ]);
    expect((await j.app.store.healing.listIncidents()).map((i) => i.kind).sort()).toEqual(["flaky_test", "job_failure"]);
    expect((await j.app.store.remedies.listQuarantine({ activeAt: Date.now() })).map((q) => q.testId)).toEqual([FLAKY]);
    expect(await j.app.store.remedies.getFlakeHistory(FLAKY)).toMatchObject({ runs: 1, flakes: 1 });
    // The run, the rerun of the failed test and the quarantine's full rerun; nothing else.
    expect((await j.app.store.runs.listRuns()).map((r) => [r.status, r.trigger.rerunOf?.failedTestsOnly ?? null])).toEqual([
      ["succeeded", false],
      ["succeeded", true],
      ["failed", null],
    ]);
  });
});
