import type { HealAction } from "./actions.js";
import type { Environment } from "./environment.js";
import type { PolicyName, RulesTable } from "./policies/policy.js";

/** Q-learning parameters: learning rate, discount, exploration rate, and the rng seed (null = the caller picks one). */
export interface QLearningParams {
  alpha: number;
  gamma: number;
  epsilon: number;
  seed: number | null;
}

/** One environment's section of `.pitstop/policy.yml`, with defaults filled in and durations in ms. */
export interface EnvironmentPolicy {
  environment: Environment;
  policy: PolicyName;
  qLearning: QLearningParams;
  allow: readonly HealAction[];
  deny: readonly HealAction[];
  /** In prod this always includes the risky actions (actions.ts). */
  requireApproval: readonly HealAction[];
  budgets: {
    /** Remediations per (target, log signature) within `windowMs`; then only noop/escalate remain. */
    retriesPerTargetSignature: number;
    /** Wait before repeating an action on the same (target, signature): backoffMs · 2^(k-1) after k runs. */
    backoffMs: number;
    windowMs: number;
  };
  /** Minimum time between two runs of the same action on the same target, whatever the signature. */
  cooldownMs: number;
  /** Trips after `maxActions` remediations in `windowMs` in this environment; only a manual reset closes it. */
  circuitBreaker: { maxActions: number; windowMs: number };
  /** Escalate once a target was healed `heals` times within `windowMs`. */
  escalateAfter: { heals: number; windowMs: number };
  rules: RulesTable;
}

export type PolicyFile = Readonly<Record<Environment, EnvironmentPolicy>>;
