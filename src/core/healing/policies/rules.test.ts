import { describe, expect, it } from "vitest";
import type { HealAction } from "../actions.js";
import { DEFAULT_RULES } from "../default-policy.js";
import { createIncident } from "../incident.js";
import { createRng } from "../rng.js";
import { createRulesPolicy, preferenceOrder } from "./rules.js";

const ctx = { rng: createRng(1), mode: "deterministic" as const };
const ALL: HealAction[] = ["retry_job", "rerun_failed_tests", "quarantine_test", "restart", "scale_up", "scale_down", "rollback", "adjust_threshold", "noop", "escalate"];

describe("rules policy", () => {
  const policy = createRulesPolicy(DEFAULT_RULES);
  const state = policy.initialState();

  it("takes the first permitted action of the list, with propensity 1", () => {
    const crash = createIncident({ kind: "crash", environment: "stage" });
    expect(policy.choose(state, crash, ALL, ctx)).toMatchObject({ action: "restart", propensity: 1, explore: false });
    expect(policy.choose(state, crash, ["rollback", "scale_up", "noop"], ctx).action).toBe("rollback");
    expect(policy.choose(state, crash, ["scale_up", "noop"], ctx).action).toBe("scale_up");
  });

  it("maps each demo scenario to its first remedy", () => {
    const first = (kind: Parameters<typeof createIncident>[0]["kind"]) => policy.choose(state, createIncident({ kind, environment: "stage" }), ALL, ctx).action;
    expect(first("crash")).toBe("restart");
    expect(first("overload")).toBe("scale_up");
    expect(first("false_alarm")).toBe("noop");
    expect(first("bad_release")).toBe("rollback");
    expect(first("flaky_test")).toBe("rerun_failed_tests");
    expect(first("data_anomaly")).toBe("escalate");
  });

  it("looks up a failed job by its failure class first, then by kind", () => {
    const compile = createIncident({ kind: "job_failure", failureClass: "compile", environment: "dev" });
    expect(policy.choose(state, compile, ALL, ctx).action).toBe("escalate");
    const rules = createRulesPolicy({ job_failure: ["retry_job"], default: ["noop"] });
    expect(rules.choose(state, compile, ALL, ctx).action).toBe("retry_job");
  });

  it("falls back: problem list → kind list → default → escalate → noop → catalog order", () => {
    const incident = createIncident({ kind: "job_failure", failureClass: "timeout", environment: "dev" });
    expect(preferenceOrder({ timeout: ["restart"], job_failure: ["scale_up", "restart"], default: ["rollback"] }, incident)).toEqual([
      "restart",
      "scale_up",
      "rollback",
      "escalate",
      "noop",
      "retry_job",
      "rerun_failed_tests",
      "quarantine_test",
      "scale_down",
      "adjust_threshold",
    ]);
    const none = createRulesPolicy({});
    expect(none.choose(state, incident, ALL, ctx).action).toBe("escalate");
    expect(none.choose(state, incident, ["restart", "noop"], ctx).action).toBe("noop");
  });

  it("lists the candidates in rule order and does not learn", () => {
    const crash = createIncident({ kind: "crash", environment: "stage" });
    const c = policy.choose(state, crash, ["noop", "rollback", "restart"], ctx);
    expect(c.candidates).toEqual([
      { action: "restart", estimate: null, count: null },
      { action: "rollback", estimate: null, count: null },
      { action: "noop", estimate: null, count: null },
    ]);
    expect(policy.learn(state, { problem: "crash", action: "restart", reward: 1, next: null })).toBe(state);
  });
});
