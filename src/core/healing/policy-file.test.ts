import { describe, expect, it } from "vitest";
import { formatIssue } from "../pipeline/plan.js";
import { RISKY_ACTIONS } from "./actions.js";
import { defaultPolicyFile } from "./default-policy.js";
import { loadPolicyFile } from "./policy-file.js";

const yaml = (...lines: string[]) => lines.join("\n") + "\n";

function issues(text: string): string[] {
  const r = loadPolicyFile(text, { file: "policy.yml" });
  expect(r.policy).toBeNull();
  expect(r.issues.length).toBeGreaterThan(0);
  return r.issues.map(formatIssue);
}

function load(text: string) {
  const r = loadPolicyFile(text, { file: "policy.yml" });
  expect(r.issues.map(formatIssue)).toEqual([]);
  if (r.policy === null) throw new Error("no policy");
  return r.policy;
}

const VALID = "valid: `retry_job`, `rerun_failed_tests`, `quarantine_test`, `restart`, `scale_up`, `scale_down`, `rollback`, `adjust_threshold`, `noop`, `escalate`";

describe("loadPolicyFile: valid files", () => {
  it("an empty or comment-only file is the default policy", () => {
    expect(load("")).toEqual(defaultPolicyFile());
    expect(load("# nothing here\n")).toEqual(defaultPolicyFile());
    expect(load("dev:\nstage: {}\n")).toEqual(defaultPolicyFile());
  });

  it("keeps the defaults for every key a section leaves out and converts durations to ms", () => {
    const p = load(
      yaml(
        "stage:",
        "  policy: rules",
        "  q_learning: { epsilon: 0.05 }",
        "  allow: [restart, scale_up, restart]",
        "  budgets: { backoff: 1m }",
        "  cooldown: 90",
        "  circuit_breaker: { window: 30m }",
        "  rules:",
        "    crash: [scale_up, restart]",
      ),
    );
    const d = defaultPolicyFile();
    expect(p.dev).toEqual(d.dev);
    expect(p.prod).toEqual(d.prod);
    expect(p.stage).toEqual({
      ...d.stage,
      policy: "rules",
      qLearning: { ...d.stage.qLearning, epsilon: 0.05 },
      allow: ["restart", "scale_up"],
      budgets: { ...d.stage.budgets, backoffMs: 60_000 },
      cooldownMs: 90_000,
      circuitBreaker: { ...d.stage.circuitBreaker, windowMs: 1_800_000 },
      rules: { ...d.stage.rules, crash: ["scale_up", "restart"] },
    });
  });

  it("in prod, risky actions always need approval; require_approval can only add", () => {
    const p = load(yaml("prod:", "  require_approval: [restart]", "dev:", "  require_approval: [restart]"));
    expect(new Set(p.prod.requireApproval)).toEqual(new Set([...RISKY_ACTIONS, "restart"]));
    expect(p.dev.requireApproval).toEqual(["restart"]);
    expect(RISKY_ACTIONS).toEqual(["quarantine_test", "scale_down", "rollback", "adjust_threshold"]);
  });

  it("accepts globally blocked names in deny (they change nothing) and drops them from the result", () => {
    expect(load(yaml("dev:", "  deny: [drop_database, rollback]")).dev.deny).toEqual(["rollback"]);
  });

  it("ships defaults where dev explores, stage is seeded without exploring, prod exploits", () => {
    const d = defaultPolicyFile();
    expect(d.dev.qLearning.epsilon).toBeGreaterThan(0);
    expect(d.stage.qLearning).toMatchObject({ epsilon: 0, seed: 1 });
    expect(d.prod.qLearning.epsilon).toBe(0);
    expect(d.prod.requireApproval).toEqual(RISKY_ACTIONS);
    expect(d.dev.requireApproval).toEqual([]);
  });
});

describe("loadPolicyFile: problems with file:line:column", () => {
  it("reports malformed YAML without throwing", () => {
    expect(issues(yaml("dev:", "  allow: [restart", "stage: {}"))).toEqual([
      "policy.yml:3:1: stage: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
    expect(issues(yaml("dev: {}", "dev: {}"))).toEqual(["policy.yml:2:1: dev: duplicate key `dev`: each key may appear only once (remove or merge the duplicates)"]);
    expect(issues(yaml("dev: {}", "---", "prod: {}"))).toEqual([
      "policy.yml:2:1: (root): a policy file holds one YAML document: remove the second `---` and what follows, or merge them",
    ]);
  });

  it("reports a top level that is not a map", () => {
    expect(issues(yaml("- dev", "- prod"))).toEqual(["policy.yml:1:1: (root): the top level must be a map with `dev:`, `stage:` and/or `prod:`, got a list"]);
  });

  it("reports unknown keys with a did-you-mean, at the key", () => {
    expect(issues(yaml("production:", "  allow: [restart]", "stage:", "  cooldwn: 1m", "  budgets: { retries: 3 }"))).toEqual([
      "policy.yml:1:1: production: unknown key `production` (did you mean `prod`?)",
      "policy.yml:4:3: stage.cooldwn: unknown key `cooldwn` (did you mean `cooldown`?)",
      "policy.yml:5:14: stage.budgets.retries: unknown key `retries` (did you mean `retries_per_target_signature`?)",
    ]);
  });

  it("names an action that does not exist, with a did-you-mean and the valid ones", () => {
    expect(issues(yaml("dev:", "  allow: [restart, restrat]", "  deny: [frobnicate]", "  rules:", "    crash: [rollbak]"))).toEqual([
      `policy.yml:2:20: dev.allow[1]: unknown action \`restrat\` (did you mean \`restart\`? ${VALID})`,
      `policy.yml:3:10: dev.deny[0]: unknown action \`frobnicate\` (${VALID})`,
      `policy.yml:5:13: dev.rules.crash[0]: unknown action \`rollbak\` (did you mean \`rollback\`? ${VALID})`,
    ]);
  });

  it("refuses to allow a globally blocked action, and to deny noop", () => {
    expect(issues(yaml("prod:", "  allow: [restart, drop_database]", "  require_approval: [run_shell]", "  deny: [noop]"))).toEqual([
      "policy.yml:2:20: prod.allow[1]: `drop_database` is globally blocked (destructive: drops a database): pitstop refuses it in every environment, so it cannot be allowed (remove it from this list)",
      "policy.yml:3:22: prod.require_approval[0]: `run_shell` is globally blocked (arbitrary shell commands): pitstop refuses it in every environment, so it cannot be allowed (remove it from this list)",
      "policy.yml:4:10: prod.deny[0]: `noop` cannot be denied: it is what the shield falls back to when every other action is masked (remove it from `deny`)",
    ]);
  });

  it("reports wrong types, bad durations, bad rule keys and prod exploration together", () => {
    const text = yaml(
      "prod:",
      "  q_learning: { epsilon: 0.1, alpha: 0 }",
      "  cooldown: 5 minutes",
      "  circuit_breaker: { max_actions: two }",
      "  rules:",
      "    craash: [restart]",
      "    crash: []",
      "    latency: restart",
      "dev:",
      "  policy: qlearning",
      "  allow: 3",
      "  budgets: { retries_per_target_signature: 1.5, window: 0 }",
    );
    expect(issues(text)).toEqual([
      "policy.yml:2:26: prod.q_learning.epsilon: prod never explores: epsilon must be 0, got 0.1 (set `epsilon: 0` (or leave it out); explore in dev)",
      "policy.yml:2:38: prod.q_learning.alpha: alpha (the learning rate) must be greater than 0",
      "policy.yml:3:13: prod.cooldown: invalid duration `5 minutes`: use a number of seconds or a string like `500ms`, `30s`, `10m`, `1h`, `1h30m`",
      'policy.yml:4:35: prod.circuit_breaker.max_actions: expected a number, got the string "two"',
      "policy.yml:6:5: prod.rules.craash: unknown incident kind or failure class `craash` (did you mean `crash`?)",
      "policy.yml:7:12: prod.rules.crash: must not be empty",
      'policy.yml:8:14: prod.rules.latency: expected a list, got the string "restart"',
      'policy.yml:10:11: dev.policy: expected one of rules, q-learning, got the string "qlearning" (did you mean `q-learning`?)',
      "policy.yml:11:10: dev.allow: expected a list, got the number 3",
      "policy.yml:12:44: dev.budgets.retries_per_target_signature: expected a whole number, got the number 1.5",
      "policy.yml:12:57: dev.budgets.window: must be greater than 0",
    ]);
  });

  it("lists the valid rule keys when nothing is close", () => {
    const [only] = issues(yaml("dev:", "  rules:", "    zzz: [noop]"));
    expect(only).toMatch(/^policy\.yml:3:5: dev\.rules\.zzz: unknown incident kind or failure class `zzz` \(use an incident kind \(crash, latency, .*\), a failure class \(exit_nonzero, .*\) or `default`\)$/);
  });
});
