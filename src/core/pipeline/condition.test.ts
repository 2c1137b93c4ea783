import { describe, expect, it } from "vitest";
import { evaluateCondition, parseCondition, type ConditionContext } from "./condition.js";
import type { Condition } from "./plan.js";

const parsed = (text: string): Condition => {
  const r = parseCondition(text);
  if (!r.ok) throw new Error(`${text}: ${r.message} at ${r.offset}`);
  return r.condition;
};

const success: Condition = { kind: "call", fn: "success" };
const always: Condition = { kind: "call", fn: "always" };
const envX = { kind: "env", name: "X" } as const;
const lit = (value: string | number | boolean | null) => ({ kind: "literal", value }) as const;

describe("parseCondition", () => {
  it.each<[string, Condition]>([
    ["success()", success],
    ["  always ( ) ", always],
    ["${{ failure() }}", { kind: "call", fn: "failure" }],
    ["!cancelled()", { kind: "not", expr: { kind: "call", fn: "cancelled" } }],
    ["!!env.X", { kind: "not", expr: { kind: "not", expr: { kind: "truthy", operand: envX } } }],
    ["branch == 'main'", { kind: "compare", op: "==", left: { kind: "branch" }, right: lit("main") }],
    ['env.X != "it\'s"', { kind: "compare", op: "!=", left: envX, right: lit("it's") }],
    ["env.X == 'it''s'", { kind: "compare", op: "==", left: envX, right: lit("it's") }],
    ["env.X == -1.5", { kind: "compare", op: "==", left: envX, right: lit(-1.5) }],
    ["env.X == true", { kind: "compare", op: "==", left: envX, right: lit(true) }],
    ["env.X == null", { kind: "compare", op: "==", left: envX, right: lit(null) }],
    // && binds tighter than ||, both associate to the left.
    ["always() || success() && env.X", { kind: "or", left: always, right: { kind: "and", left: success, right: { kind: "truthy", operand: envX } } }],
    ["(always() || success()) && env.X", { kind: "and", left: { kind: "or", left: always, right: success }, right: { kind: "truthy", operand: envX } }],
    ["success() && always() && success()", { kind: "and", left: { kind: "and", left: success, right: always }, right: success }],
  ])("parses %s", (text, expected) => {
    expect(parsed(text)).toEqual(expected);
  });

  it.each<[string, string, number]>([
    ["", "empty `if:` expression", 0],
    ["${{   }}", "empty `if:` expression", 3],
    ["success(", "expected `)` (success() takes no arguments), found end of expression", 8],
    ["success(1)", "expected `)` (success() takes no arguments), found `1`", 8],
    ["deployed()", "unknown function `deployed()`: use success(), failure(), always() or cancelled()", 0],
    ["success() &&", "expected a value, found end of expression", 12],
    ["success() & env.X", "unexpected character `&`", 10],
    ["branch = 'main'", "unexpected character `=`", 7],
    ["branch == 'main", "unterminated string", 10],
    ["(success()", "expected `)`, found end of expression", 10],
    ["success())", "unexpected `)`: expected `&&`, `||` or end of expression", 9],
    ["env.X env.Y", "unexpected `env.Y`: expected `&&`, `||` or end of expression", 6],
    ["github.ref == 'x'", "unknown name `github.ref`: use env.NAME, branch, a quoted string, a number, true, false, null or success()/failure()/always()/cancelled()", 0],
    ["${{ env. }}", "unknown name `env.`: use env.NAME, branch, a quoted string, a number, true, false, null or success()/failure()/always()/cancelled()", 4],
  ])("rejects %j", (text, message, offset) => {
    expect(parseCondition(text)).toEqual({ ok: false, message, offset });
  });
});

describe("evaluateCondition", () => {
  const ctx = (needs: ConditionContext["needs"], env: Record<string, string> = {}, branch: string | null = "main"): ConditionContext => ({ needs, env, branch });

  it("defaults to success() when there is no condition", () => {
    expect(evaluateCondition(null, ctx("success"))).toBe(true);
    expect(evaluateCondition(null, ctx("failure"))).toBe(false);
    expect(evaluateCondition(null, ctx("cancelled"))).toBe(false);
  });

  it.each<[string, ConditionContext["needs"], boolean]>([
    ["success()", "success", true],
    ["success()", "failure", false],
    ["success()", "cancelled", false],
    ["failure()", "failure", true],
    ["failure()", "success", false],
    ["failure()", "cancelled", false],
    ["cancelled()", "cancelled", true],
    ["cancelled()", "failure", false],
    ["always()", "success", true],
    ["always()", "failure", true],
    ["always()", "cancelled", true],
    ["!success()", "failure", true],
    ["success() || failure()", "failure", true],
    ["success() || failure()", "cancelled", false],
    // No status function: read as success() && (expr).
    ["branch == 'main'", "success", true],
    ["branch == 'main'", "failure", false],
    ["always() && branch == 'main'", "failure", true],
    ["failure() && branch == 'dev'", "failure", false],
  ])("%s with needs=%s → %s", (text, needs, expected) => {
    expect(evaluateCondition(parsed(text), ctx(needs))).toBe(expected);
  });

  it.each<[string, Record<string, string>, string | null, boolean]>([
    ["env.DEPLOY != 'no'", {}, "main", true],
    ["env.DEPLOY != 'no'", { DEPLOY: "no" }, "main", false],
    ["env.LEVEL == 1", { LEVEL: "1" }, null, true],
    ["env.LEVEL == 1", { LEVEL: "01" }, null, true],
    ["env.LEVEL == 1", { LEVEL: "one" }, null, false],
    ["env.LEVEL == 0", { LEVEL: "" }, null, false],
    ["env.FLAG == true", { FLAG: "true" }, null, true],
    ["env.FLAG == true", { FLAG: "1" }, null, false],
    ["env.UNSET == ''", {}, null, true],
    ["env.UNSET == null", {}, null, true],
    ["env.SET == null", { SET: "x" }, null, false],
    ["branch == null", {}, null, true],
    ["branch == 'Main'", {}, "main", false],
    ["env.X", { X: "yes" }, null, true],
    ["env.X", { X: "" }, null, false],
    ["env.X", {}, null, false],
    ["!env.X", {}, null, true],
    ["0", {}, null, false],
    ["'0'", {}, null, true],
    ["true == 1", {}, null, true],
    ["(branch == 'main' || branch == 'release') && !env.SKIP", {}, "release", true],
    ["(branch == 'main' || branch == 'release') && !env.SKIP", { SKIP: "1" }, "release", false],
  ])("%s with env=%j branch=%s → %s", (text, env, branch, expected) => {
    expect(evaluateCondition(parsed(text), ctx("success", env, branch))).toBe(expected);
  });
});
