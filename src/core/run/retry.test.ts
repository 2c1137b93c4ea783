import { describe, expect, it } from "vitest";
import { decideRetry, DEFAULT_RETRY_RULES, effectiveRetryRules, retryDelayMs } from "./retry.js";
import type { FailedAttempt } from "./retry.js";
import { RetryRuleSchema } from "../pipeline/plan.js";
import type { RetryRule } from "../pipeline/plan.js";

function rule(over: Partial<RetryRule>): RetryRule {
  return RetryRuleSchema.parse({ classes: [], exitCodes: [], signals: [], limit: 1, backoff: { baseMs: 0, factor: 1, maxMs: 0 }, ...over });
}
const failed = (over: Partial<FailedAttempt> = {}): FailedAttempt => ({ failureClass: "exit_nonzero", exitCode: 1, signal: null, ...over });

describe("decideRetry", () => {
  it("does not retry without rules (except lost agents)", () => {
    expect(decideRetry([], failed(), [])).toEqual({ retry: false, reason: "no retry rule matches this failure (exit_nonzero, exit 1)" });
  });

  it("matches when every given criterion matches; empty lists match anything", () => {
    const rules = [rule({ classes: ["infra"], exitCodes: [1, 2] })];
    expect(decideRetry(rules, failed({ failureClass: "infra", exitCode: 2 }), [])).toMatchObject({ retry: true, ruleIndex: 0 });
    expect(decideRetry(rules, failed({ failureClass: "infra", exitCode: 3 }), []).retry).toBe(false);
    expect(decideRetry(rules, failed({ failureClass: "compile", exitCode: 1 }), []).retry).toBe(false);
    expect(decideRetry([rule({})], failed({ failureClass: "oom", exitCode: null, signal: "SIGKILL" }), []).retry).toBe(true);
  });

  it("requires an exit code or signal when the rule lists them", () => {
    expect(decideRetry([rule({ exitCodes: [137] })], failed({ exitCode: null, signal: "SIGKILL" }), []).retry).toBe(false);
    expect(decideRetry([rule({ signals: ["SIGKILL"] })], failed({ exitCode: 1 }), []).retry).toBe(false);
  });

  it("compares signals regardless of case and SIG prefix", () => {
    const rules = [rule({ signals: ["kill"] })];
    expect(decideRetry(rules, failed({ exitCode: null, signal: "SIGKILL" }), []).retry).toBe(true);
    expect(decideRetry(rules, failed({ exitCode: null, signal: "SIGTERM" }), []).retry).toBe(false);
  });

  it("uses the first matching rule with retries left, counting per rule", () => {
    const rules = [rule({ classes: ["infra"], limit: 2 }), rule({ limit: 1, backoff: { baseMs: 500, factor: 1, maxMs: 500 } })];
    const infra = failed({ failureClass: "infra" });
    expect(decideRetry(rules, infra, [0, 0])).toEqual({ retry: true, ruleIndex: 0, delayMs: 0 });
    expect(decideRetry(rules, infra, [1])).toEqual({ retry: true, ruleIndex: 0, delayMs: 0 });
    expect(decideRetry(rules, infra, [2, 0])).toEqual({ retry: true, ruleIndex: 1, delayMs: 500 });
    const done = decideRetry(rules, infra, [2, 1]);
    expect(done).toEqual({ retry: false, reason: "retry limit reached for this failure (infra, exit 1): rule 1 used 2 of 2; rule 2 used 1 of 1" });
  });

  it("backs off exponentially per rule, capped at maxMs", () => {
    const r = rule({ limit: 10, backoff: { baseMs: 1000, factor: 2, maxMs: 5000 } });
    const delays = [0, 1, 2, 3, 4].map((used) => decideRetry([r], failed(), [used]));
    expect(delays.map((d) => (d.retry ? d.delayMs : -1))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(retryDelayMs(rule({ backoff: { baseMs: 100, factor: 1.5, maxMs: 10_000 } }), 3)).toBe(225);
    // A huge exponent overflows to Infinity; the cap still holds.
    expect(retryDelayMs(rule({ backoff: { baseMs: 1000, factor: 10, maxMs: 60_000 } }), 400)).toBe(60_000);
  });

  it("never retries a cancelled attempt, whatever the rules say", () => {
    expect(decideRetry([rule({ limit: 5 })], failed({ failureClass: "cancelled" }), [])).toEqual({
      retry: false,
      reason: "cancelled attempts are never retried",
    });
  });

  it("retries lost agents twice by default, after the job's own rules", () => {
    const lost = failed({ failureClass: "agent_lost", exitCode: null });
    expect(decideRetry([], lost, [])).toEqual({ retry: true, ruleIndex: 0, delayMs: 1000 });
    expect(decideRetry([], lost, [1])).toEqual({ retry: true, ruleIndex: 0, delayMs: 1000 });
    expect(decideRetry([], lost, [2])).toEqual({
      retry: false,
      reason: "retry limit reached for this failure (agent_lost): rule 1 (default) used 2 of 2",
    });
    // With a catch-all job rule, that rule is used first, then the defaults.
    const rules = [rule({ limit: 1 })];
    expect(decideRetry(rules, lost, [])).toMatchObject({ retry: true, ruleIndex: 0 });
    expect(decideRetry(rules, lost, [1, 0])).toMatchObject({ retry: true, ruleIndex: 1, delayMs: 1000 });
    expect(effectiveRetryRules(rules)).toEqual([...rules, ...DEFAULT_RETRY_RULES]);
  });

  it("lets a job that names agent_lost take over (limit 0 opts out)", () => {
    const optOut = [rule({ classes: ["agent_lost"], limit: 0 })];
    expect(effectiveRetryRules(optOut)).toEqual(optOut);
    expect(decideRetry(optOut, failed({ failureClass: "agent_lost", exitCode: null }), [])).toEqual({
      retry: false,
      reason: "retry limit reached for this failure (agent_lost): rule 1 used 0 of 0",
    });
    const more = [rule({ classes: ["agent_lost", "infra"], limit: 5, backoff: { baseMs: 2000, factor: 2, maxMs: 30_000 } })];
    expect(decideRetry(more, failed({ failureClass: "agent_lost", exitCode: null }), [3])).toEqual({ retry: true, ruleIndex: 0, delayMs: 16_000 });
  });

  it("keeps DEFAULT_RETRY_RULES valid against the plan schema", () => {
    for (const r of DEFAULT_RETRY_RULES) expect(RetryRuleSchema.parse(r)).toEqual(r);
  });
});
