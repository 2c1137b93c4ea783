import { z } from "zod";
import { ErrorCode, PitstopError } from "../../errors.js";
import { HEAL_ACTIONS, type HealAction } from "../actions.js";
import { DecisionMode } from "../environment.js";
import type { QLearningParams } from "../environment-policy.js";
import { problemTypeOf, type ProblemType } from "../incident.js";
import { PolicyName, type Candidate, type Choice, type HealingPolicy, type RulesTable } from "./policy.js";
import { preferenceOrder } from "./rules.js";

/**
 * The seeds' tabular Q-learning, kept as a baseline: state = problem type (the seeds' "failure
 * type"), epsilon-greedy over the permitted actions, reward +1 healed / −1 failed.
 *
 * Fixed tie-breaks: among equal Q values the rules' preference order wins (then catalog order),
 * so an empty table acts like the rules and stage replays exactly from its seed. Unseen actions
 * count as Q = 0.
 */

export const QEntrySchema = z.strictObject({ q: z.number(), n: z.int().min(0) });
export type QEntry = z.infer<typeof QEntrySchema>;

/** What the store keeps: JSON as is. `table[problem][action]`. */
export const QLearningStateSchema = z.strictObject({
  kind: z.literal("q-learning"),
  table: z.record(z.string(), z.record(z.string(), QEntrySchema)),
});
export type QLearningState = { kind: "q-learning"; table: Readonly<Record<string, Readonly<Partial<Record<HealAction, QEntry>>>>> };

export function emptyQTable(): QLearningState {
  return { kind: "q-learning", table: {} };
}

export function qValue(state: QLearningState, problem: string, action: HealAction): QEntry {
  return state.table[problem]?.[action] ?? { q: 0, n: 0 };
}

/** max over the catalog of Q(problem, ·), unseen actions counting 0. */
function maxQ(state: QLearningState, problem: string): number {
  return Math.max(...HEAL_ACTIONS.map((a) => qValue(state, problem, a).q));
}

/** The first candidate with the highest estimate: candidates come in tie-break order. */
function greedyOf(candidates: readonly Candidate[]): Candidate | undefined {
  return candidates.reduce<Candidate | undefined>((best, c) => (best === undefined || (c.estimate ?? 0) > (best.estimate ?? 0) ? c : best), undefined);
}

/**
 * One-step Q-learning: Q(s,a) ← Q(s,a) + α·(r + γ·max_a' Q(s',a') − Q(s,a)). A healed incident
 * is terminal (`next: null`, no future value); a failed one leaves the same problem behind.
 */
export function qUpdate(state: QLearningState, params: Pick<QLearningParams, "alpha" | "gamma">, e: { problem: ProblemType; action: HealAction; reward: number; next: ProblemType | null }): QLearningState {
  if (!Number.isFinite(e.reward)) throw new PitstopError(ErrorCode.INTERNAL, `Q-learning reward must be a finite number, got ${e.reward}`);
  const old = qValue(state, e.problem, e.action);
  const future = e.next === null ? 0 : maxQ(state, e.next);
  const q = old.q + params.alpha * (e.reward + params.gamma * future - old.q);
  const row = { ...state.table[e.problem], [e.action]: { q, n: old.n + 1 } };
  return { kind: "q-learning", table: { ...state.table, [e.problem]: row } };
}

export function createQLearningPolicy(params: Pick<QLearningParams, "alpha" | "gamma" | "epsilon">, rules: RulesTable): HealingPolicy<QLearningState> {
  return {
    name: PolicyName.q_learning,
    initialState: emptyQTable,
    choose(state, incident, permitted, ctx): Choice {
      const problem = problemTypeOf(incident);
      const order = preferenceOrder(rules, incident).filter((a) => permitted.includes(a));
      const candidates = order.map((action): Candidate => {
        const { q, n } = qValue(state, problem, action);
        return { action, estimate: q, count: n };
      });
      const greedy = greedyOf(candidates)?.action ?? permitted[0];
      if (greedy === undefined) throw new PitstopError(ErrorCode.INTERNAL, "a policy was given no permitted action (the shield always permits noop)");
      // prod never explores, whatever epsilon the file holds: no random draw happens at all.
      const epsilon = ctx.mode === DecisionMode.exploit ? 0 : params.epsilon;
      const explore = epsilon > 0 && ctx.rng.next() < epsilon;
      const action = explore ? (order[ctx.rng.int(order.length)] ?? greedy) : greedy;
      const propensity = epsilon / order.length + (1 - epsilon) * (action === greedy ? 1 : 0);
      return { action, propensity, explore, candidates };
    },
    learn: (state, experience) => qUpdate(state, params, experience),
  };
}
