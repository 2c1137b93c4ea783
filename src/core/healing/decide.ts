import { ACTION_INFO, HealAction } from "./actions.js";
import { modeFor, type DecisionMode, type Environment } from "./environment.js";
import type { PolicyFile } from "./environment-policy.js";
import { problemTypeOf, targetsOf, type IncidentContext, type ProblemType, type Target } from "./incident.js";
import { createPolicy, type PolicyState } from "./policies/create-policy.js";
import type { Candidate, PolicyName } from "./policies/policy.js";
import { createRulesPolicy } from "./policies/rules.js";
import { checkPrecondition } from "./preconditions.js";
import type { Rng } from "./rng.js";
import { shield, type MaskedAction, type ShieldState } from "./shield.js";

/**
 * The Plan step: shield, then policy, and a Decision that explains itself for the audit log
 * (DESIGN.md §6): what was permitted and masked and why, the candidates with their estimates and
 * counts, explore or exploit with its propensity, and what the fixed rules would have done.
 */

export interface DecideInput {
  /** The caller's id for the decision (for approvals and feedback); the core makes no ids. */
  id?: string;
  incident: IncidentContext;
  policyFile: PolicyFile;
  /** The environment's stored policy state; null = nothing learned yet. */
  policyState: PolicyState | null;
  shieldState: ShieldState;
  rng: Rng;
}

export interface IncidentSummary {
  kind: IncidentContext["kind"];
  problem: ProblemType;
  failureClass: IncidentContext["failureClass"];
  signature: string | null;
  exitCode: number | null;
  targets: Target[];
}

export interface Decision {
  id: string | null;
  incident: IncidentSummary;
  environment: Environment;
  policy: PolicyName;
  mode: DecisionMode;
  permitted: HealAction[];
  masked: MaskedAction[];
  chosen: HealAction;
  /** What `chosen` acts on; null for noop and escalate. */
  target: Target | null;
  explore: boolean;
  propensity: number;
  candidates: Candidate[];
  whatTheRulesWouldDo: HealAction;
  /** `chosen` waits for a human approval (by someone other than the requester) before it runs. */
  needsApproval: boolean;
  /** Set when the shield, not the policy, picked the action (budget exhausted, breaker open). */
  forcedBy: string | null;
  /** Tell people as well, whatever was chosen. */
  escalate: boolean;
  escalateReason: string | null;
  breakerTripped: boolean;
  wakeAt: number | null;
}

export function decide(input: DecideInput): Decision {
  const { incident, rng } = input;
  const env = input.policyFile[incident.environment];
  const mode = modeFor(incident.environment);
  const guard = shield(incident, env, input.shieldState);
  const choice = createPolicy(env).choose(input.policyState, incident, guard.permitted, { rng, mode });
  const rulesPick = createRulesPolicy(env.rules).choose({ kind: "rules" }, incident, guard.permitted, { rng, mode }).action;
  // With no remediation left and a reason to escalate, tell people rather than let a policy pick noop.
  const forced = guard.escalate && !guard.permitted.some((a) => ACTION_INFO[a].remediation);
  const forcedAction = guard.permitted.includes(HealAction.escalate) ? HealAction.escalate : HealAction.noop;
  const chosen = forced ? forcedAction : choice.action;
  const pre = checkPrecondition(chosen, incident);
  return {
    id: input.id ?? null,
    incident: {
      kind: incident.kind,
      problem: problemTypeOf(incident),
      failureClass: incident.failureClass,
      signature: incident.signature?.hash ?? null,
      exitCode: incident.exitCode,
      targets: targetsOf(incident),
    },
    environment: incident.environment,
    policy: env.policy,
    mode,
    permitted: guard.permitted,
    masked: guard.masked,
    chosen,
    target: pre.ok ? pre.target : null,
    explore: forced ? false : choice.explore,
    propensity: forced ? 1 : choice.propensity,
    candidates: choice.candidates,
    whatTheRulesWouldDo: rulesPick,
    needsApproval: guard.needsApproval.includes(chosen),
    forcedBy: forced ? guard.escalateReason : null,
    escalate: guard.escalate,
    escalateReason: guard.escalateReason,
    breakerTripped: guard.breakerTripped,
    wakeAt: guard.wakeAt,
  };
}
