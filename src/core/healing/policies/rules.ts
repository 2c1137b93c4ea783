import { HEAL_ACTIONS, HealAction } from "../actions.js";
import { problemTypeOf, type IncidentContext } from "../incident.js";
import { PolicyName, type Choice, type HealingPolicy, type RulesTable } from "./policy.js";

/**
 * Fixed rules (Keptn-style remediation sequences): the first permitted action of the ordered
 * list for the incident. Deterministic, so the propensity of its pick is 1.
 */

export interface RulesState {
  kind: "rules";
}

/**
 * Every catalog action, most preferred first: the list for the problem type (a failed job's
 * failure class), then the list for the incident kind, then `default`, then escalate and noop
 * (tell a person, else do nothing), then the rest in catalog order. Also the fixed tie-break of
 * the learning policies, so that an untrained table behaves like the rules.
 */
export function preferenceOrder(rules: RulesTable, incident: IncidentContext): HealAction[] {
  const lists = [rules[problemTypeOf(incident)], rules[incident.kind], rules.default, [HealAction.escalate, HealAction.noop], HEAL_ACTIONS];
  return [...new Set(lists.flatMap((l) => l ?? []))];
}

export function createRulesPolicy(rules: RulesTable): HealingPolicy<RulesState> {
  return {
    name: PolicyName.rules,
    initialState: () => ({ kind: "rules" }),
    choose(_state, incident, permitted): Choice {
      const ordered = preferenceOrder(rules, incident).filter((a) => permitted.includes(a));
      const action = ordered[0] ?? permitted[0] ?? HealAction.noop;
      return { action, propensity: 1, explore: false, candidates: ordered.map((a) => ({ action: a, estimate: null, count: null })) };
    },
    // Rules do not learn; outcomes and feedback still reach the audit log and other policies.
    learn: (state) => state,
  };
}
