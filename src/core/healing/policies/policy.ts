import type { HealAction } from "../actions.js";
import type { DecisionMode } from "../environment.js";
import type { IncidentContext, ProblemType } from "../incident.js";
import type { Rng } from "../rng.js";

/**
 * The policy contract (DESIGN.md §6): a policy only ever sees the actions the shield permitted,
 * so it cannot pick an unsafe one; it says how likely its pick was (propensity) so that another
 * policy can be evaluated off-policy from the audit log; its state is an immutable, JSON-safe
 * value the store keeps between runs.
 */

export const PolicyName = { rules: "rules", q_learning: "q-learning" } as const;
export type PolicyName = (typeof PolicyName)[keyof typeof PolicyName];
export const POLICY_NAMES = Object.values(PolicyName) as readonly PolicyName[];

/** Ordered action lists per problem type, plus `default` for problems without a list. */
export type RulesTable = Readonly<Partial<Record<ProblemType | "default", readonly HealAction[]>>>;

export interface Candidate {
  action: HealAction;
  /** The policy's value for the action (a Q value); null for policies that do not estimate. */
  estimate: number | null;
  /** How often the estimate was updated; null for policies that do not learn. */
  count: number | null;
}

export interface Choice {
  action: HealAction;
  /** Probability that this policy picks `action` in this situation, in (0, 1]. */
  propensity: number;
  /** True when a random draw (not the greedy rule) picked the action. */
  explore: boolean;
  /** The permitted actions as the policy saw them, in its order of preference for ties. */
  candidates: Candidate[];
}

export interface ChooseContext {
  rng: Rng;
  mode: DecisionMode;
}

/** One outcome to learn from. `next` is the problem still present after the action, or null when healed. */
export interface Experience {
  problem: ProblemType;
  action: HealAction;
  reward: number;
  next: ProblemType | null;
}

export interface HealingPolicy<S> {
  readonly name: PolicyName;
  initialState(): S;
  /** @param permitted non-empty (the shield always permits `noop`) */
  choose(state: S, incident: IncidentContext, permitted: readonly HealAction[], ctx: ChooseContext): Choice;
  /** Returns a new state; never mutates `state`. */
  learn(state: S, experience: Experience): S;
}
