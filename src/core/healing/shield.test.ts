import { describe, expect, it } from "vitest";
import { BLOCKED_ACTIONS, HEAL_ACTIONS, type HealAction } from "./actions.js";
import { defaultPolicyFile } from "./default-policy.js";
import { ENVIRONMENTS } from "./environment.js";
import type { EnvironmentPolicy } from "./environment-policy.js";
import { createIncident, type IncidentContext } from "./incident.js";
import { shield, type ActionRecord, type ShieldState } from "./shield.js";

const NOW = 1_700_000_000_000;
const SIG = "abcd1234";
const APP = { type: "deploy", id: "stage/app" } as const;
const JOB = { type: "job", id: "run-1/test" } as const;

function incident(facts: Partial<IncidentContext> = {}): IncidentContext {
  return createIncident({
    kind: "crash",
    environment: "stage",
    signature: { template: "Error: boom", hash: SIG },
    deploy: { app: "app", workers: 2, maxWorkers: 4, hasPreviousHealthyRelease: true },
    ...facts,
  });
}

function policy(over: Partial<EnvironmentPolicy> = {}, env: "dev" | "stage" | "prod" = "stage"): EnvironmentPolicy {
  return { ...defaultPolicyFile()[env], ...over };
}

function state(over: Partial<ShieldState> = {}): ShieldState {
  return { now: NOW, history: [], breaker: { tripped: false, resetAt: null }, pendingApprovals: [], ...over };
}

function rec(action: HealAction, secondsAgo: number, over: Partial<ActionRecord> = {}): ActionRecord {
  return { action, environment: "stage", target: APP, signature: SIG, at: NOW - secondsAgo * 1000, ...over };
}

const maskOf = (r: ReturnType<typeof shield>, action: string) => r.masked.find((m) => m.action === action);

describe("shield: every mask reason", () => {
  const cases: Array<{ name: string; incident?: Partial<IncidentContext>; policy?: Partial<EnvironmentPolicy>; state?: Partial<ShieldState>; action: HealAction; code: string; reason: string }> = [
    { name: "denied", policy: { deny: ["restart"] }, action: "restart", code: "denied", reason: "denied in stage" },
    { name: "not allowed", policy: { allow: ["restart", "noop"] }, action: "rollback", code: "not_allowed", reason: "not allowed in stage (allow: restart, noop)" },
    { name: "no previous release", incident: { deploy: { app: "app", workers: 2, hasPreviousHealthyRelease: false } }, action: "rollback", code: "precondition", reason: "precondition: no previous healthy release" },
    { name: "migration", incident: { migration: true }, action: "rollback", code: "precondition", reason: "precondition: the last deploy ran a migration: a rollback would not undo it" },
    { name: "one worker", incident: { deploy: { app: "app", workers: 1, hasPreviousHealthyRelease: true } }, action: "scale_down", code: "precondition", reason: "precondition: only 1 worker: cannot scale below 1" },
    { name: "at max workers", incident: { deploy: { app: "app", workers: 4, maxWorkers: 4, hasPreviousHealthyRelease: true } }, action: "scale_up", code: "precondition", reason: "precondition: already at 4 workers (max 4)" },
    { name: "no job", action: "retry_job", code: "precondition", reason: "precondition: no failed job to retry" },
    { name: "no failed tests", incident: { job: { id: "run-1/test" } }, action: "rerun_failed_tests", code: "precondition", reason: "precondition: no failed tests to rerun" },
    { name: "no flakes", incident: { test: { id: "t/login" }, flakeHistory: { runs: 10, flakes: 0 } }, action: "quarantine_test", code: "precondition", reason: "precondition: test t/login has no flake history (0 flakes)" },
    { name: "no detector", action: "adjust_threshold", code: "precondition", reason: "precondition: no detector in the incident" },
    { name: "no deploy", incident: { deploy: undefined }, action: "restart", code: "precondition", reason: "precondition: no deployed app in the incident" },
    {
      name: "pending approval",
      state: { pendingApprovals: [{ decisionId: "d-7", action: "rollback", target: APP }] },
      action: "rollback",
      code: "pending_approval",
      reason: "awaiting approval: rollback of deploy stage/app (decision d-7)",
    },
    { name: "breaker already tripped", state: { breaker: { tripped: true, resetAt: null } }, action: "restart", code: "circuit_breaker", reason: "circuit breaker open: tripped earlier; needs a manual reset" },
    {
      name: "budget",
      state: { history: [rec("restart", 900), rec("scale_up", 800), rec("rollback", 700)] },
      action: "restart",
      code: "budget",
      reason: `budget: 3 retries for (deploy stage/app, signature ${SIG}) used within 1h`,
    },
    {
      name: "cooldown (any signature)",
      state: { history: [rec("restart", 10, { signature: "ffff0000" })] },
      action: "restart",
      code: "cooldown",
      reason: "cooldown: restart of deploy stage/app 10 s ago < 30 s",
    },
    {
      name: "backoff",
      policy: { cooldownMs: 0 },
      state: { history: [rec("restart", 100), rec("restart", 15)] },
      action: "restart",
      code: "backoff",
      reason: `backoff: restart on (deploy stage/app, signature ${SIG}) ran 2 times, next after 20 s, 15 s elapsed`,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const r = shield(incident(c.incident), policy(c.policy), state(c.state));
      expect(maskOf(r, c.action)).toEqual({ action: c.action, code: c.code, reason: c.reason });
      expect(r.permitted).not.toContain(c.action);
      expect(r.permitted).toContain("noop");
    });
  }
});

describe("shield: what stays permitted", () => {
  it("permits, in catalog order, what the environment allows and the incident supports", () => {
    const r = shield(incident(), policy(), state());
    expect(r.permitted).toEqual(["restart", "scale_up", "scale_down", "rollback", "noop", "escalate"]);
    expect(r.masked.map((m) => m.action)).toEqual(["retry_job", "rerun_failed_tests", "quarantine_test", "adjust_threshold"]);
    expect(r).toMatchObject({ needsApproval: [], breakerTripped: false, escalate: false, escalateReason: null, wakeAt: null });
  });

  it("always permits noop, even when allow leaves it out", () => {
    const r = shield(incident(), policy({ allow: ["restart"] }), state());
    expect(r.permitted).toEqual(["restart", "noop"]);
  });

  it("never permits a globally blocked action, in any environment", () => {
    for (const env of ENVIRONMENTS) {
      const r = shield(incident({ environment: env, job: { id: "j" }, failedTests: 2, test: { id: "t" }, flakeHistory: { runs: 5, flakes: 2 }, detector: { id: "d" } }), policy({}, env), state());
      for (const name of Object.keys(BLOCKED_ACTIONS)) expect(r.permitted as string[]).not.toContain(name);
      expect(r.permitted.every((a) => HEAL_ACTIONS.includes(a))).toBe(true);
      expect(r.permitted.length + r.masked.length).toBe(HEAL_ACTIONS.length);
    }
    expect(HEAL_ACTIONS.filter((a) => Object.hasOwn(BLOCKED_ACTIONS, a))).toEqual([]);
  });

  it("marks risky actions for approval in prod and keeps them permitted", () => {
    const r = shield(incident({ environment: "prod" }), policy({}, "prod"), state());
    expect(r.permitted).toContain("rollback");
    expect(r.needsApproval).toEqual(["scale_down", "rollback"]);
  });

  it("keeps protecting while an approval waits: only the pending action on that target is masked", () => {
    const s = state({ pendingApprovals: [{ decisionId: "d-1", action: "rollback", target: { type: "deploy", id: "prod/app" } }] });
    const r = shield(incident({ environment: "prod" }), policy({}, "prod"), s);
    expect(r.permitted).toEqual(["restart", "scale_up", "scale_down", "noop", "escalate"]);
    const other = shield(incident({ environment: "prod", deploy: { app: "api", workers: 2, hasPreviousHealthyRelease: true } }), policy({}, "prod"), s);
    expect(other.permitted).toContain("rollback");
  });

  it("budgets count per (target, signature) within the window", () => {
    const old = [rec("restart", 4000), rec("scale_up", 3700), rec("rollback", 3650)];
    expect(shield(incident(), policy(), state({ history: old })).permitted).toContain("restart");
    const otherSig = [rec("restart", 900, { signature: "00000001" }), rec("scale_up", 800, { signature: "00000001" }), rec("rollback", 700, { signature: "00000001" })];
    expect(shield(incident(), policy(), state({ history: otherSig })).permitted).toContain("restart");
    const otherTarget = [JOB, JOB, JOB].map((target, i) => rec("retry_job", 900 - i, { target }));
    expect(shield(incident(), policy(), state({ history: otherTarget })).permitted).toContain("restart");
    // noop and escalate change nothing: they do not spend the budget.
    const harmless = [rec("noop", 900, { target: null }), rec("escalate", 800, { target: null }), rec("noop", 700, { target: null })];
    expect(shield(incident(), policy(), state({ history: harmless })).permitted).toContain("restart");
  });

  it("backoff doubles with each repeat and says when it lifts", () => {
    const p = policy({ cooldownMs: 0, budgets: { retriesPerTargetSignature: 10, backoffMs: 10_000, windowMs: 3_600_000 } });
    const three = [rec("restart", 300), rec("restart", 200), rec("restart", 39)];
    const r = shield(incident(), p, state({ history: three }));
    expect(maskOf(r, "restart")?.reason).toBe(`backoff: restart on (deploy stage/app, signature ${SIG}) ran 3 times, next after 40 s, 39 s elapsed`);
    expect(r.wakeAt).toBe(NOW + 1000);
    expect(shield(incident(), p, state({ history: three, now: NOW + 1000 })).permitted).toContain("restart");
  });

  it("reports when a cooldown lifts", () => {
    const r = shield(incident(), policy(), state({ history: [rec("restart", 10, { signature: null })] }));
    expect(r.wakeAt).toBe(NOW + 20_000);
  });
});

describe("shield: circuit breaker and escalation", () => {
  const twenty = Array.from({ length: 20 }, (_, i) => rec("restart", 3000 - i, { target: { type: "deploy", id: `stage/app${i}` } }));

  it("trips after max_actions remediations in the window and masks every remediation", () => {
    const r = shield(incident(), policy(), state({ history: twenty }));
    expect(r.breakerTripped).toBe(true);
    expect(r.permitted).toEqual(["noop", "escalate"]);
    expect(maskOf(r, "restart")?.reason).toBe("circuit breaker open: 20 actions in stage within 1h (max 20); needs a manual reset");
    expect(r).toMatchObject({ escalate: true, escalateReason: "circuit breaker open" });
  });

  it("counts only this environment, only the window, and only since the last reset", () => {
    const otherEnv = twenty.map((r) => ({ ...r, environment: "dev" as const }));
    expect(shield(incident(), policy(), state({ history: otherEnv })).breakerTripped).toBe(false);
    expect(shield(incident(), policy(), state({ history: twenty, now: NOW + 3_600_000 })).breakerTripped).toBe(false);
    const reset = state({ history: twenty, breaker: { tripped: false, resetAt: NOW - 1000 } });
    expect(shield(incident(), policy(), reset).breakerTripped).toBe(false);
    expect(shield(incident(), policy(), reset).permitted).toContain("restart");
  });

  it("escalates when the budget for this signature is spent", () => {
    const spent = [rec("restart", 900), rec("scale_up", 800), rec("rollback", 700)];
    const r = shield(incident(), policy(), state({ history: spent }));
    expect(r.permitted).toEqual(["noop", "escalate"]);
    expect(r).toMatchObject({ escalate: true, escalateReason: "budget exhausted: no remediation left for this signature", breakerTripped: false });
  });

  it("escalates after N heals of the same target in the window, without masking", () => {
    const sigs = ["00000001", "00000002", "00000003", "00000004", "00000005"];
    const heals = sigs.map((signature, i) => rec("restart", 3000 - i * 60, { signature }));
    const r = shield(incident(), policy(), state({ history: heals }));
    expect(r).toMatchObject({ escalate: true, escalateReason: "escalate_after: deploy stage/app healed 5 times within 1h" });
    expect(r.permitted).toContain("scale_up");
    expect(shield(incident(), policy(), state({ history: heals.slice(1) })).escalate).toBe(false);
  });
});
