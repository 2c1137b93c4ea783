import { describe, expect, it } from "vitest";
import { ErrorCode, isPitstopError } from "../core/errors.js";
import { decide } from "../core/healing/decide.js";
import { defaultPolicyFile } from "../core/healing/default-policy.js";
import type { Environment } from "../core/healing/environment.js";
import { createIncident, type IncidentContext } from "../core/healing/incident.js";
import type { QLearningState } from "../core/healing/policies/q-learning.js";
import { createRng } from "../core/healing/rng.js";
import type { ShieldState } from "../core/healing/shield.js";
import type { NewDecision, NewIncident, Store } from "./port.js";

const T0 = 1_700_000_000_000;
const deploy = { app: "dashboard", workers: 2, maxWorkers: 4, hasPreviousHealthyRelease: true };

function context(environment: Environment, over: Partial<IncidentContext> = {}): IncidentContext {
  return createIncident({
    kind: "crash", environment, deploy, exitCode: 137, minutesSinceDeploy: 0.1 + 0.2,
    signature: { template: "Error: <num> ünïcode ✓ \u0000 \"quoted\"", hash: "0badc0de" },
    flakeHistory: { runs: 10, flakes: 3 }, actionsTried: ["restart"], ...over,
  });
}

function newIncident(id: string, at: number, environment: Environment = "stage"): NewIncident {
  return { id, at, environment, kind: "crash", target: { type: "deploy", id: `${environment}/dashboard` }, signature: "0badc0de", context: context(environment) };
}

function newDecision(id: string, incidentId: string, at: number, environment: Environment = "stage", over: Partial<NewDecision> = {}): NewDecision {
  const idle: ShieldState = { now: at, history: [], breaker: { tripped: false, resetAt: null }, pendingApprovals: [] };
  const explanation = decide({ id, incident: context(environment), policyFile: defaultPolicyFile(), policyState: null, shieldState: idle, rng: createRng(7) });
  return { id, incidentId, at, environment, action: explanation.chosen, target: explanation.target, explanation, status: "proposed", requestedBy: "system", ...over };
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(isPitstopError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
  if (message) expect((e as Error).message).toMatch(message);
}

/** The HealingStore contract (healing-port.ts); called inside defineStoreConformance with its store. */
export function defineHealingConformance(getStore: () => Store): void {
  describe("healing", () => {
    defineIncidentTests(getStore);
    defineDecisionTests(getStore);
    defineApprovalTests(getStore);
    defineLearningTests(getStore);
  });
}

function defineIncidentTests(getStore: () => Store): void {
  it("opens incidents idempotently and round-trips the context exactly", async () => {
    const h = getStore().healing;
    const incident = newIncident("i1", T0);
    const opened = await h.openIncident(incident);
    expect(opened).toEqual({ ...incident, status: "open", resolvedAt: null, note: null });
    expect(await h.getIncident("i1")).toEqual(opened);
    expect((await h.getIncident("i1"))?.context.minutesSinceDeploy).toBe(0.1 + 0.2);
    expect(await h.openIncident({ ...incident, at: T0 + 5, context: context("stage", { exitCode: 1 }) })).toEqual(opened);
    expect(await h.getIncident("nope")).toBeNull();
  });

  it("lists incidents newest first, filtered by environment and status, with a limit", async () => {
    const h = getStore().healing;
    for (const [id, at, env] of [["a", 1, "dev"], ["b", 3, "stage"], ["c", 2, "stage"], ["d", 3, "prod"]] as const) {
      await h.openIncident(newIncident(id, T0 + at, env));
    }
    expect((await h.listIncidents()).map((i) => i.id)).toEqual(["d", "b", "c", "a"]);
    expect((await h.listIncidents({ environment: "stage" })).map((i) => i.id)).toEqual(["b", "c"]);
    expect((await h.listIncidents({ limit: 2 })).map((i) => i.id)).toEqual(["d", "b"]);
    await h.resolveIncident("c", { at: T0 + 9, status: "healed", note: null });
    expect((await h.listIncidents({ status: "open", environment: "stage" })).map((i) => i.id)).toEqual(["b"]);
    expect((await h.listIncidents({ status: "healed" })).map((i) => i.id)).toEqual(["c"]);
  });

  it("resolves an incident once: the first resolution wins; unknown ids give null", async () => {
    const h = getStore().healing;
    await h.openIncident(newIncident("i", T0));
    const first = await h.resolveIncident("i", { at: T0 + 10, status: "escalated", note: "budget spent" });
    expect(first).toMatchObject({ status: "escalated", resolvedAt: T0 + 10, note: "budget spent" });
    expect(await h.resolveIncident("i", { at: T0 + 20, status: "healed", note: null })).toEqual(first);
    expect(await h.resolveIncident("missing", { at: T0, status: "failed", note: null })).toBeNull();
  });
}

function defineDecisionTests(getStore: () => Store): void {
  it("saves decisions idempotently and round-trips the explanation exactly", async () => {
    const h = getStore().healing;
    const d = newDecision("d1", "i1", T0);
    const saved = await h.saveDecision(d);
    expect(saved).toEqual({
      ...d, verdict: null, verifiedAt: null, outcome: null,
      approvalRequestedBy: null, approvalRequestedAt: null, approvedBy: null, approvedAt: null,
    });
    expect(saved.explanation.candidates.length).toBeGreaterThan(0);
    expect(await h.getDecision("d1")).toEqual(saved);
    await h.updateDecision("d1", { status: "executing" });
    expect((await h.saveDecision(d)).status).toBe("executing");
    expect(await h.getDecision("nope")).toBeNull();
  });

  it("updates status, verdict and outcome; absent fields stay as they were", async () => {
    const h = getStore().healing;
    await h.saveDecision(newDecision("d", "i", T0));
    await h.updateDecision("d", { status: "executing" });
    const outcome = { verdict: "healed", reason: "3/3 healthy", healthy: 3, total: 3, ratio: 2 / 3, nested: { list: [1, null, "ü"] } };
    const verified = await h.updateDecision("d", { status: "verified", verdict: "healed", verifiedAt: T0 + 60_000, outcome });
    expect(verified).toMatchObject({ status: "verified", verdict: "healed", verifiedAt: T0 + 60_000, outcome });
    expect(await h.updateDecision("d", { status: "verified" })).toEqual(verified);
    expect((await h.getDecision("d"))?.outcome).toEqual(outcome);
  });

  it("refuses updates of unknown decisions, and approvals by update", async () => {
    const h = getStore().healing;
    await rejectsWith(h.updateDecision("ghost", { status: "executing" }), ErrorCode.DECISION_NOT_FOUND, /ghost/);
    await h.saveDecision(newDecision("d", "i", T0));
    await rejectsWith(h.updateDecision("d", { status: "approved" }), ErrorCode.INVALID_TRANSITION, /approve/);
    await h.requestApproval({ decisionId: "d", requestedBy: "alice", at: T0 + 1 });
    await rejectsWith(h.updateDecision("d", { status: "executing" }), ErrorCode.INVALID_TRANSITION, /waits for an approval/);
    expect((await h.getDecision("d"))?.status).toBe("awaiting_approval");
    expect((await h.updateDecision("d", { status: "refused" })).status).toBe("refused");
  });

  it("lists decisions newest first, by incident and environment, with a limit", async () => {
    const h = getStore().healing;
    await h.saveDecision(newDecision("x1", "i1", T0 + 1));
    await h.saveDecision(newDecision("x2", "i1", T0 + 2));
    await h.saveDecision(newDecision("x3", "i2", T0 + 2, "prod"));
    await h.saveDecision(newDecision("x4", "i2", T0 + 3, "dev"));
    expect((await h.listDecisions()).map((d) => d.id)).toEqual(["x4", "x3", "x2", "x1"]);
    expect((await h.listDecisions({ incidentId: "i1" })).map((d) => d.id)).toEqual(["x2", "x1"]);
    expect((await h.listDecisions({ environment: "prod" })).map((d) => d.id)).toEqual(["x3"]);
    expect((await h.listDecisions({ incidentId: "i2", environment: "dev" })).map((d) => d.id)).toEqual(["x4"]);
    expect((await h.listDecisions({ limit: 1 })).map((d) => d.id)).toEqual(["x4"]);
  });

  it("finds decision ids by prefix, case-sensitively and literally, up to a limit", async () => {
    const h = getStore().healing;
    for (const id of ["ab12-1", "ab12-2", "AB12-3", "ab1%_4"]) await h.saveDecision(newDecision(id, "i1", T0));
    expect(await h.findDecisionIds("ab12", 5)).toEqual(["ab12-1", "ab12-2"]);
    expect(await h.findDecisionIds("ab12", 1)).toEqual(["ab12-1"]);
    expect(await h.findDecisionIds("ab1%", 5)).toEqual(["ab1%_4"]);
    expect(await h.findDecisionIds("zz", 5)).toEqual([]);
  });
}

function defineApprovalTests(getStore: () => Store): void {
  it("requests approvals idempotently and lists pending ones oldest first, per environment", async () => {
    const h = getStore().healing;
    await h.saveDecision(newDecision("p1", "i", T0, "prod"));
    await h.saveDecision(newDecision("p2", "i", T0, "prod"));
    await h.saveDecision(newDecision("s1", "i", T0, "stage"));
    await h.requestApproval({ decisionId: "p2", requestedBy: "alice", at: T0 + 1 });
    await h.requestApproval({ decisionId: "p1", requestedBy: "bob", at: T0 + 2 });
    await h.requestApproval({ decisionId: "s1", requestedBy: "carol", at: T0 + 3 });
    const again = await h.requestApproval({ decisionId: "p2", requestedBy: "mallory", at: T0 + 9 });
    expect(again).toMatchObject({ status: "awaiting_approval", approvalRequestedBy: "alice", approvalRequestedAt: T0 + 1 });
    const p2 = newDecision("p2", "i", T0, "prod");
    expect((await h.listPendingApprovals("prod"))[0]).toEqual({
      decisionId: "p2", incidentId: "i", environment: "prod", action: p2.action, target: p2.target, requestedBy: "alice", requestedAt: T0 + 1,
    });
    expect((await h.listPendingApprovals()).map((p) => p.decisionId)).toEqual(["p2", "p1", "s1"]);
    expect((await h.listPendingApprovals("prod")).map((p) => p.decisionId)).toEqual(["p2", "p1"]);
    expect(await h.listPendingApprovals("dev")).toEqual([]);
  });

  it("refuses approval requests for unknown or no longer proposed decisions", async () => {
    const h = getStore().healing;
    await rejectsWith(h.requestApproval({ decisionId: "ghost", requestedBy: "a", at: T0 }), ErrorCode.DECISION_NOT_FOUND);
    await h.saveDecision(newDecision("d", "i", T0, "prod", { status: "executing" }));
    await rejectsWith(h.requestApproval({ decisionId: "d", requestedBy: "a", at: T0 }), ErrorCode.APPROVAL_INVALID, /executing/);
  });

  it("approves by another person only, once", async () => {
    const h = getStore().healing;
    await h.saveDecision(newDecision("d", "i", T0, "prod", { requestedBy: "system" }));
    await rejectsWith(h.approve({ decisionId: "d", by: "bob", at: T0 + 1 }), ErrorCode.APPROVAL_INVALID, /proposed, not awaiting/);
    await h.requestApproval({ decisionId: "d", requestedBy: "alice", at: T0 + 1 });
    for (const self of ["alice", " Alice ", "ALICE", "system"]) {
      await rejectsWith(h.approve({ decisionId: "d", by: self, at: T0 + 2 }), ErrorCode.APPROVAL_INVALID, /approving your own request is not allowed: ask another person/);
    }
    await rejectsWith(h.approve({ decisionId: "d", by: "  ", at: T0 + 2 }), ErrorCode.APPROVAL_INVALID, /empty/);
    expect((await h.getDecision("d"))?.status).toBe("awaiting_approval");
    const approved = await h.approve({ decisionId: "d", by: "bob", at: T0 + 3 });
    expect(approved).toMatchObject({ status: "approved", approvedBy: "bob", approvedAt: T0 + 3, approvalRequestedBy: "alice" });
    expect(await h.listPendingApprovals()).toEqual([]);
    await rejectsWith(h.approve({ decisionId: "d", by: "carol", at: T0 + 4 }), ErrorCode.APPROVAL_INVALID, /approved, not awaiting/);
    expect((await h.getDecision("d"))?.approvedBy).toBe("bob");
    await rejectsWith(h.approve({ decisionId: "ghost", by: "bob", at: T0 }), ErrorCode.APPROVAL_INVALID, /"ghost".*no decision/);
  });

  it("lets exactly one of two concurrent approvals win", async () => {
    const h = getStore().healing;
    await h.saveDecision(newDecision("d", "i", T0, "prod"));
    await h.requestApproval({ decisionId: "d", requestedBy: "alice", at: T0 + 1 });
    const results = await Promise.allSettled(["bob", "carol", "dave"].map((by) => h.approve({ decisionId: "d", by, at: T0 + 2 })));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(isPitstopError(r.reason, ErrorCode.APPROVAL_INVALID)).toBe(true);
    expect((await h.getDecision("d"))?.approvedBy).toBe((won[0] as PromiseFulfilledResult<{ approvedBy: string }>).value.approvedBy);
  });
}

function defineLearningTests(getStore: () => Store): void {
  it("stores feedback as its own signal, in insertion order; unknown decisions are refused", async () => {
    const h = getStore().healing;
    await rejectsWith(h.addFeedback({ decisionId: "ghost", at: T0, by: "a", verdict: "accept" }), ErrorCode.DECISION_NOT_FOUND, /ghost/);
    expect(await h.listFeedback()).toEqual([]);
    await h.saveDecision(newDecision("d1", "i", T0));
    await h.saveDecision(newDecision("d2", "i", T0));
    await h.updateDecision("d1", { status: "verified", verdict: "healed", verifiedAt: T0 + 5 });
    const f1 = await h.addFeedback({ decisionId: "d1", at: T0 + 9, by: "alice", verdict: "reject", note: "a rollback for a flaky test ✗" });
    await h.addFeedback({ decisionId: "d2", at: T0 + 1, by: "bob", verdict: "accept" });
    await h.addFeedback({ decisionId: "d1", at: T0 + 2, by: "alice", verdict: "accept", note: null });
    expect(f1).toMatchObject({ decisionId: "d1", at: T0 + 9, by: "alice", verdict: "reject", note: "a rollback for a flaky test ✗" });
    expect((await h.listFeedback("d1")).map((f) => [f.verdict, f.note])).toEqual([["reject", "a rollback for a flaky test ✗"], ["accept", null]]);
    expect((await h.listFeedback()).map((f) => f.decisionId)).toEqual(["d1", "d2", "d1"]);
    const ids = (await h.listFeedback()).map((f) => f.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(await h.getDecision("d1")).toMatchObject({ verdict: "healed", status: "verified" });
  });

  it("saves policy state with optimistic concurrency, per environment", async () => {
    const h = getStore().healing;
    expect(await h.getPolicyState("dev")).toBeNull();
    const table: QLearningState = { kind: "q-learning", table: { crash: { restart: { q: 0.1 + 0.2, n: 3 }, rollback: { q: -1 / 3, n: 1 } }, oom: {} } };
    expect(await h.savePolicyState("dev", table, 0)).toBe(1);
    expect(await h.getPolicyState("dev")).toEqual({ state: table, version: 1 });
    await rejectsWith(h.savePolicyState("dev", { kind: "rules" }, 0), ErrorCode.CONFLICT, /version 1, not 0/);
    await rejectsWith(h.savePolicyState("dev", { kind: "rules" }, 2), ErrorCode.CONFLICT);
    await rejectsWith(h.savePolicyState("prod", { kind: "rules" }, 1), ErrorCode.CONFLICT, /version 0, not 1/);
    expect(await h.getPolicyState("dev")).toEqual({ state: table, version: 1 });
    expect(await h.savePolicyState("dev", { kind: "rules" }, 1)).toBe(2);
    expect(await h.getPolicyState("dev")).toEqual({ state: { kind: "rules" }, version: 2 });
    expect(await h.getPolicyState("prod")).toBeNull();
  });

  it("lets exactly one of concurrent saves at the same version win", async () => {
    const h = getStore().healing;
    for (const expected of [0, 1]) {
      const results = await Promise.allSettled([1, 2, 3].map(() => h.savePolicyState("stage", { kind: "rules" }, expected)));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(isPitstopError(r.reason, ErrorCode.CONFLICT)).toBe(true);
    }
    expect((await h.getPolicyState("stage"))?.version).toBe(2);
  });

  it("records actions once per decision and lists them oldest first since a time", async () => {
    const h = getStore().healing;
    const act = (decisionId: string, at: number, environment: Environment = "stage") =>
      ({ decisionId, at, environment, action: "restart" as const, target: { type: "deploy" as const, id: `${environment}/dashboard` }, signature: "0badc0de" });
    const first = await h.recordAction(act("d3", T0 + 30));
    expect(first).toEqual(act("d3", T0 + 30));
    await h.recordAction(act("d1", T0 + 10));
    await h.recordAction({ ...act("d2", T0 + 20), target: null, signature: null, action: "escalate" });
    await h.recordAction(act("d4", T0 + 20));
    await h.recordAction(act("p1", T0 + 20, "prod"));
    expect(await h.recordAction({ ...act("d3", T0 + 99), action: "rollback" })).toEqual(first);
    expect((await h.listActions({ environment: "stage", since: 0 })).map((a) => a.decisionId)).toEqual(["d1", "d2", "d4", "d3"]);
    const since = await h.listActions({ environment: "stage", since: T0 + 20 });
    expect(since.map((a) => a.decisionId)).toEqual(["d2", "d4", "d3"]);
    expect(since[0]).toEqual({ decisionId: "d2", at: T0 + 20, environment: "stage", action: "escalate", target: null, signature: null });
    expect((await h.listActions({ environment: "prod", since: T0 + 21 }))).toEqual([]);
  });

  it("trips and resets the breaker per environment, idempotently", async () => {
    const h = getStore().healing;
    const closed = { tripped: false, trippedAt: null, resetAt: null, resetBy: null, reason: null };
    expect(await h.getBreaker("prod")).toEqual(closed);
    expect(await h.resetBreaker("prod", T0, "alice")).toEqual(closed);
    const open = { tripped: true, trippedAt: T0 + 1, resetAt: null, resetBy: null, reason: "5 actions in 10 min" };
    expect(await h.tripBreaker("prod", T0 + 1, "5 actions in 10 min")).toEqual(open);
    expect(await h.tripBreaker("prod", T0 + 2, "again")).toEqual(open);
    expect(await h.getBreaker("stage")).toEqual(closed);
    const reset = { tripped: false, trippedAt: T0 + 1, resetAt: T0 + 3, resetBy: "alice", reason: "5 actions in 10 min" };
    expect(await h.resetBreaker("prod", T0 + 3, "alice")).toEqual(reset);
    expect(await h.resetBreaker("prod", T0 + 4, "bob")).toEqual(reset);
    expect(await h.tripBreaker("prod", T0 + 5, "later")).toEqual({ ...reset, tripped: true, trippedAt: T0 + 5, reason: "later" });
    expect(await h.getBreaker("prod")).toMatchObject({ tripped: true, resetAt: T0 + 3 });
  });
}
