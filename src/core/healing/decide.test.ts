import { describe, expect, it } from "vitest";
import { defaultPolicyFile } from "./default-policy.js";
import { decide, type DecideInput } from "./decide.js";
import type { PolicyFile } from "./environment-policy.js";
import { createIncident, type IncidentContext } from "./incident.js";
import { learnOutcome } from "./learn-outcome.js";
import type { PolicyState } from "./policies/create-policy.js";
import { qValue } from "./policies/q-learning.js";
import { createRng } from "./rng.js";
import type { ShieldState } from "./shield.js";

const NOW = 1_700_000_000_000;
const idle: ShieldState = { now: NOW, history: [], breaker: { tripped: false, resetAt: null }, pendingApprovals: [] };
const deploy = { app: "app", workers: 2, maxWorkers: 4, hasPreviousHealthyRelease: true };

function incident(facts: Partial<IncidentContext> & Pick<IncidentContext, "kind">): IncidentContext {
  return createIncident({ environment: "stage", deploy, signature: { template: "boom", hash: "0badc0de" }, ...facts });
}

function input(over: Partial<DecideInput> & Pick<DecideInput, "incident">): DecideInput {
  return { policyFile: defaultPolicyFile(), policyState: null, shieldState: idle, rng: createRng(1), ...over };
}

describe("decide", () => {
  it("explains itself: permitted, masked with reasons, candidates, mode, propensity, what the rules would do", () => {
    const d = decide(input({ id: "d-1", incident: incident({ kind: "crash" }) }));
    expect(d).toEqual({
      id: "d-1",
      incident: { kind: "crash", problem: "crash", failureClass: null, signature: "0badc0de", exitCode: null, targets: [{ type: "deploy", id: "stage/app" }] },
      environment: "stage",
      policy: "q-learning",
      mode: "deterministic",
      permitted: ["restart", "scale_up", "scale_down", "rollback", "noop", "escalate"],
      masked: [
        { action: "retry_job", code: "precondition", reason: "precondition: no failed job to retry" },
        { action: "rerun_failed_tests", code: "precondition", reason: "precondition: no failed job to rerun tests in" },
        { action: "quarantine_test", code: "precondition", reason: "precondition: no test named in the incident" },
        { action: "adjust_threshold", code: "precondition", reason: "precondition: no detector in the incident" },
      ],
      chosen: "restart",
      target: { type: "deploy", id: "stage/app" },
      explore: false,
      propensity: 1,
      candidates: [
        { action: "restart", estimate: 0, count: 0 },
        { action: "rollback", estimate: 0, count: 0 },
        { action: "scale_up", estimate: 0, count: 0 },
        { action: "escalate", estimate: 0, count: 0 },
        { action: "noop", estimate: 0, count: 0 },
        { action: "scale_down", estimate: 0, count: 0 },
      ],
      whatTheRulesWouldDo: "restart",
      needsApproval: false,
      forcedBy: null,
      escalate: false,
      escalateReason: null,
      breakerTripped: false,
      wakeAt: null,
    });
  });

  it("shows where the learned policy and the rules disagree", () => {
    const learned: PolicyState = { kind: "q-learning", table: { crash: { restart: { q: -0.75, n: 2 }, scale_up: { q: 0.5, n: 1 } } } };
    const d = decide(input({ incident: incident({ kind: "crash" }), policyState: learned }));
    expect(d).toMatchObject({ chosen: "scale_up", whatTheRulesWouldDo: "restart" });
    expect(d.candidates[0]).toEqual({ action: "restart", estimate: -0.75, count: 2 });
  });

  it("uses the rules policy when the file says so, whatever state is stored", () => {
    const file: PolicyFile = { ...defaultPolicyFile(), stage: { ...defaultPolicyFile().stage, policy: "rules" } };
    const learned: PolicyState = { kind: "q-learning", table: { crash: { scale_up: { q: 1, n: 9 } } } };
    const d = decide(input({ incident: incident({ kind: "crash" }), policyFile: file, policyState: learned }));
    expect(d).toMatchObject({ policy: "rules", chosen: "restart", propensity: 1, explore: false });
  });

  it("in prod, a risky pick waits for approval", () => {
    const learned: PolicyState = { kind: "q-learning", table: { bad_release: { rollback: { q: 0.9, n: 5 } } } };
    const d = decide(input({ incident: incident({ kind: "bad_release", environment: "prod" }), policyState: learned }));
    expect(d).toMatchObject({ mode: "exploit", chosen: "rollback", needsApproval: true, target: { type: "deploy", id: "prod/app" } });
    const stage = decide(input({ incident: incident({ kind: "bad_release" }), policyState: learned }));
    expect(stage).toMatchObject({ chosen: "rollback", needsApproval: false });
  });

  it("prod never explores, even when the dev-style file would", () => {
    const file: PolicyFile = { ...defaultPolicyFile(), prod: { ...defaultPolicyFile().prod, qLearning: { alpha: 0.5, gamma: 0.9, epsilon: 1, seed: null } } };
    for (let seed = 0; seed < 50; seed++) {
      const d = decide(input({ incident: incident({ kind: "crash", environment: "prod" }), policyFile: file, rng: createRng(seed) }));
      expect(d).toMatchObject({ chosen: "restart", explore: false, propensity: 1 });
    }
  });

  it("escalates instead of letting a policy pick when the budget is spent", () => {
    const at = (s: number) => NOW - s * 1000;
    const target = { type: "deploy" as const, id: "stage/app" };
    const history = (["restart", "scale_up", "rollback"] as const).map((action, i) => ({ action, environment: "stage" as const, target, signature: "0badc0de", at: at(600 - i) }));
    const d = decide(input({ incident: incident({ kind: "crash" }), shieldState: { ...idle, history } }));
    expect(d).toMatchObject({ chosen: "escalate", target: null, propensity: 1, explore: false, forcedBy: "budget exhausted: no remediation left for this signature", escalate: true });
    expect(d.permitted).toEqual(["noop", "escalate"]);
    const denied: PolicyFile = { ...defaultPolicyFile(), stage: { ...defaultPolicyFile().stage, deny: ["escalate"] } };
    expect(decide(input({ incident: incident({ kind: "crash" }), policyFile: denied, shieldState: { ...idle, history } })).chosen).toBe("noop");
  });

  it("replays identically from the same seed in stage, and explores differently in dev", () => {
    const file: PolicyFile = { ...defaultPolicyFile(), stage: { ...defaultPolicyFile().stage, qLearning: { alpha: 0.5, gamma: 0.9, epsilon: 0.3, seed: 9 } } };
    const kinds = ["crash", "overload", "bad_release", "false_alarm", "latency"] as const;
    const run = () => {
      const rng = createRng(9);
      let state: PolicyState | null = null;
      return Array.from({ length: 40 }, (_, i) => {
        const inc = incident({ kind: kinds[i % kinds.length] ?? "crash" });
        const d = decide(input({ incident: inc, policyFile: file, policyState: state, rng }));
        state = learnOutcome(file.stage, state, { problem: d.incident.problem, action: d.chosen, verdict: i % 3 === 0 ? "failed" : "healed" }).state;
        return `${d.chosen}:${d.explore}:${d.propensity}`;
      });
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(first.some((x) => x.includes(":true:"))).toBe(true);
  });
});

describe("learnOutcome", () => {
  const stage = defaultPolicyFile().stage;

  it("trains on healed (+1, terminal) and failed (−1, same problem), not on inconclusive", () => {
    const healed = learnOutcome(stage, null, { problem: "crash", action: "restart", verdict: "healed" });
    expect(healed).toMatchObject({ reward: 1, trained: true });
    expect(qValue(healed.state as never, "crash", "restart")).toEqual({ q: 0.5, n: 1 });
    const failed = learnOutcome(stage, healed.state, { problem: "crash", action: "rollback", verdict: "failed" });
    // 0 + 0.5 · (−1 + 0.9 · max(0.5, 0…) − 0) = −0.275
    expect(qValue(failed.state as never, "crash", "rollback").q).toBeCloseTo(-0.275, 12);
    const before = failed.state;
    expect(learnOutcome(stage, before, { problem: "crash", action: "restart", verdict: "inconclusive" })).toEqual({ state: before, reward: null, trained: false });
  });

  it("rules do not train, and keep a table learned earlier intact", () => {
    const rules = { ...stage, policy: "rules" as const };
    const learned: PolicyState = { kind: "q-learning", table: { crash: { restart: { q: 0.5, n: 1 } } } };
    expect(learnOutcome(rules, learned, { problem: "crash", action: "scale_up", verdict: "healed" })).toEqual({ state: learned, reward: 1, trained: false });
    expect(learnOutcome(rules, null, { problem: "crash", action: "scale_up", verdict: "failed" })).toEqual({ state: null, reward: -1, trained: false });
  });
});
