import { describe, expect, it } from "vitest";
import { ACTION_INFO, BLOCKED_ACTIONS, HEAL_ACTIONS, isBlockedAction, isHealAction, parseActionName, RISKY_ACTIONS } from "./actions.js";

describe("action catalog", () => {
  it("has the ten remediations, with noop and escalate last and changing nothing", () => {
    expect(HEAL_ACTIONS).toEqual(["retry_job", "rerun_failed_tests", "quarantine_test", "restart", "scale_up", "scale_down", "rollback", "adjust_threshold", "noop", "escalate"]);
    expect(HEAL_ACTIONS.filter((a) => !ACTION_INFO[a].remediation)).toEqual(["noop", "escalate"]);
    expect(HEAL_ACTIONS.filter((a) => ACTION_INFO[a].target === null)).toEqual(["noop", "escalate"]);
  });

  it("marks rollback, scale_down, quarantine_test and adjust_threshold risky", () => {
    expect(new Set(RISKY_ACTIONS)).toEqual(new Set(["rollback", "scale_down", "quarantine_test", "adjust_threshold"]));
  });

  it("keeps globally blocked names out of the catalog", () => {
    for (const name of Object.keys(BLOCKED_ACTIONS)) {
      expect(isHealAction(name)).toBe(false);
      expect(isBlockedAction(name)).toBe(true);
    }
    expect(Object.keys(BLOCKED_ACTIONS)).toEqual(expect.arrayContaining(["delete_data", "drop_database", "run_shell", "change_security_settings"]));
    // Inherited object keys are not actions.
    expect(isHealAction("toString")).toBe(false);
    expect(isBlockedAction("constructor")).toBe(false);
  });
});

describe("parseActionName", () => {
  it("classifies catalog, blocked and unknown names", () => {
    expect(parseActionName("restart")).toEqual({ kind: "action", action: "restart" });
    expect(parseActionName("drop_database")).toEqual({ kind: "blocked", name: "drop_database", reason: "globally blocked: destructive: drops a database" });
    expect(parseActionName("rolback")).toMatchObject({ kind: "unknown", message: "unknown action `rolback`", hint: expect.stringMatching(/^did you mean `rollback`\? valid: `retry_job`, /) });
  });
});
