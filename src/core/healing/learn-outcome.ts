import type { HealAction } from "./actions.js";
import type { EnvironmentPolicy } from "./environment-policy.js";
import type { ProblemType } from "./incident.js";
import { createPolicy, type PolicyState } from "./policies/create-policy.js";
import { PolicyName } from "./policies/policy.js";
import { reward, type Verdict } from "./verdict.js";

/**
 * The Learn step for outcomes: verdict → reward → new policy state. Inconclusive verdicts leave
 * the state as it was (DESIGN.md §6). A healed problem is terminal; a failed one is still there.
 * Human feedback is not learned here: it is its own signal (feedback.ts).
 */
export function learnOutcome(
  env: EnvironmentPolicy,
  state: PolicyState | null,
  outcome: { problem: ProblemType; action: HealAction; verdict: Verdict },
): { state: PolicyState | null; reward: number | null; trained: boolean } {
  const r = reward(outcome.verdict);
  if (r === null) return { state, reward: null, trained: false };
  const next = outcome.verdict === "healed" ? null : outcome.problem;
  const policy = createPolicy(env);
  if (policy.name === PolicyName.rules) return { state, reward: r, trained: false };
  return { state: policy.learn(state, { problem: outcome.problem, action: outcome.action, reward: r, next }), reward: r, trained: true };
}
