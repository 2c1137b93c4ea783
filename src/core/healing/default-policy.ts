import { HEAL_ACTIONS, RISKY_ACTIONS } from "./actions.js";
import type { Environment } from "./environment.js";
import type { EnvironmentPolicy, PolicyFile } from "./environment-policy.js";
import type { RulesTable } from "./policies/policy.js";

/**
 * The policy pitstop uses when `.pitstop/policy.yml` is missing, and the values a section of the
 * file falls back to for every key it leaves out.
 */

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

/**
 * Keptn-style ordered remediation lists: try the cheapest fix that can work, then the next, then
 * tell a person. Code problems (compile, lint, security findings) go straight to people: running
 * the same code again cannot fix them.
 */
export const DEFAULT_RULES: RulesTable = {
  crash: ["restart", "rollback", "scale_up", "escalate"],
  latency: ["scale_up", "restart", "rollback", "escalate"],
  overload: ["scale_up", "restart", "escalate"],
  false_alarm: ["noop", "adjust_threshold"],
  flaky_test: ["rerun_failed_tests", "quarantine_test", "retry_job", "escalate"],
  bad_release: ["rollback", "escalate"],
  data_anomaly: ["escalate"],
  job_failure: ["retry_job", "escalate"],
  exit_nonzero: ["retry_job", "escalate"],
  test_failure: ["rerun_failed_tests", "escalate"],
  timeout: ["retry_job", "escalate"],
  agent_lost: ["retry_job", "escalate"],
  oom: ["retry_job", "escalate"],
  infra: ["retry_job", "escalate"],
  dependency: ["retry_job", "escalate"],
  deploy_unhealthy: ["rollback", "restart", "escalate"],
  no_agent: ["escalate"],
  command_not_found: ["escalate"],
  compile: ["escalate"],
  lint: ["escalate"],
  security_finding: ["escalate"],
  cancelled: ["noop"],
  default: ["escalate", "noop"],
};

function base(environment: Environment): Omit<EnvironmentPolicy, "qLearning" | "requireApproval" | "budgets" | "cooldownMs" | "circuitBreaker" | "escalateAfter"> {
  return { environment, policy: "q-learning", allow: [...HEAL_ACTIONS], deny: [], rules: DEFAULT_RULES };
}

/**
 * dev learns (explores 20 % of the time, caller-chosen seed); stage is replayable (seed 1, no
 * exploration by default, so the demo's decisions match the rules until the table says better);
 * prod exploits only, waits for approval on risky actions and trips its breaker sooner.
 */
export function defaultPolicyFile(): PolicyFile {
  return {
    dev: {
      ...base("dev"),
      qLearning: { alpha: 0.5, gamma: 0.9, epsilon: 0.2, seed: null },
      requireApproval: [],
      budgets: { retriesPerTargetSignature: 5, backoffMs: 5 * S, windowMs: H },
      cooldownMs: 10 * S,
      circuitBreaker: { maxActions: 50, windowMs: H },
      escalateAfter: { heals: 10, windowMs: H },
    },
    stage: {
      ...base("stage"),
      qLearning: { alpha: 0.5, gamma: 0.9, epsilon: 0, seed: 1 },
      requireApproval: [],
      budgets: { retriesPerTargetSignature: 3, backoffMs: 10 * S, windowMs: H },
      cooldownMs: 30 * S,
      circuitBreaker: { maxActions: 20, windowMs: H },
      escalateAfter: { heals: 5, windowMs: H },
    },
    prod: {
      ...base("prod"),
      qLearning: { alpha: 0.5, gamma: 0.9, epsilon: 0, seed: null },
      requireApproval: [...RISKY_ACTIONS],
      budgets: { retriesPerTargetSignature: 2, backoffMs: 30 * S, windowMs: 6 * H },
      cooldownMs: 5 * MIN,
      circuitBreaker: { maxActions: 10, windowMs: H },
      escalateAfter: { heals: 3, windowMs: 6 * H },
    },
  };
}
