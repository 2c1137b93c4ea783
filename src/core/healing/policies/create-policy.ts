import type { EnvironmentPolicy } from "../environment-policy.js";
import { PolicyName, type HealingPolicy } from "./policy.js";
import { createQLearningPolicy, emptyQTable, type QLearningState } from "./q-learning.js";
import { createRulesPolicy, type RulesState } from "./rules.js";

/** Any policy's state, as the store keeps it (the `kind` says whose). */
export type PolicyState = RulesState | QLearningState;

/**
 * The environment's policy over any stored state: a state of another kind (the file switched
 * from rules to q-learning, or nothing was stored yet) starts from the policy's initial state.
 */
export function createPolicy(env: EnvironmentPolicy): HealingPolicy<PolicyState | null> {
  if (env.policy === PolicyName.rules) {
    const rules = createRulesPolicy(env.rules);
    // Rules do not learn, and must not wipe a table learned before the file switched to rules.
    return { ...rules, initialState: () => null, choose: (_s, i, p, c) => rules.choose({ kind: "rules" }, i, p, c), learn: (s) => s };
  }
  const q = createQLearningPolicy(env.qLearning, env.rules);
  const own = (s: PolicyState | null): QLearningState => (s?.kind === "q-learning" ? s : emptyQTable());
  return {
    name: q.name,
    initialState: q.initialState,
    choose: (s, i, p, c) => q.choose(own(s), i, p, c),
    learn: (s, e) => q.learn(own(s), e),
  };
}
