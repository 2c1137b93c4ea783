import { formatDuration } from "../pipeline/duration.js";
import { ACTION_INFO, HEAL_ACTIONS, HealAction } from "./actions.js";
import type { Environment } from "./environment.js";
import type { EnvironmentPolicy } from "./environment-policy.js";
import { formatTarget, targetsOf, type IncidentContext, type Target } from "./incident.js";
import { checkPrecondition } from "./preconditions.js";

/**
 * The safety shield (DESIGN.md §6): runs before any policy and decides which catalog actions may
 * run now. A policy only ever receives `permitted`, so the number of unsafe actions attempted is
 * 0 by construction; everything else is in `masked` with a precise reason, for the audit log.
 * `noop` is always permitted, so a policy always has something safe to choose.
 */

/** An action the loop ran (or asked approval for and then ran), as the shield counts it. */
export interface ActionRecord {
  action: HealAction;
  environment: Environment;
  target: Target | null;
  /** Log signature hash of the incident it answered; null when the incident had none. */
  signature: string | null;
  /** Epoch ms. */
  at: number;
}

export interface PendingApproval {
  decisionId: string;
  action: HealAction;
  target: Target | null;
}

export interface ShieldState {
  /** Epoch ms: the shield has no clock of its own. */
  now: number;
  history: readonly ActionRecord[];
  /** Persisted by the caller: once tripped, only a manual reset (tripped: false, resetAt: now) closes it. */
  breaker: { tripped: boolean; resetAt: number | null };
  pendingApprovals: readonly PendingApproval[];
}

export const MaskCode = {
  denied: "denied",
  not_allowed: "not_allowed",
  precondition: "precondition",
  pending_approval: "pending_approval",
  circuit_breaker: "circuit_breaker",
  budget: "budget",
  cooldown: "cooldown",
  backoff: "backoff",
  globally_blocked: "globally_blocked",
} as const;
export type MaskCode = (typeof MaskCode)[keyof typeof MaskCode];

export interface MaskedAction {
  /** A catalog action, or a globally blocked name (from screenAction). */
  action: string;
  code: MaskCode;
  reason: string;
}

export interface ShieldResult {
  /** In catalog order; never empty (noop). */
  permitted: HealAction[];
  masked: MaskedAction[];
  /** The permitted actions that wait for a human approval before they run. */
  needsApproval: HealAction[];
  /** True when the breaker is open, whether it was already or tripped on this call (then the caller persists it). */
  breakerTripped: boolean;
  escalate: boolean;
  escalateReason: string | null;
  /** Earliest time a cooldown or backoff mask lifts (epoch ms), for a loop that would rather wait; null if none. */
  wakeAt: number | null;
}

type Mask = { code: MaskCode; reason: string; until?: number };

/** Seconds as people read them in a log line: `40 s`, `0.5 s`, `120 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

const sameTarget = (a: Target | null, b: Target | null): boolean => a !== null && b !== null && a.type === b.type && a.id === b.id;

function isRemediation(r: ActionRecord): boolean {
  return ACTION_INFO[r.action].remediation;
}

function breakerCount(policy: EnvironmentPolicy, state: ShieldState): number {
  const from = Math.max(state.now - policy.circuitBreaker.windowMs, state.breaker.resetAt ?? -Infinity);
  return state.history.filter((r) => isRemediation(r) && r.environment === policy.environment && r.at > from).length;
}

function policyMask(action: HealAction, policy: EnvironmentPolicy): Mask | null {
  const env = policy.environment;
  if (action === HealAction.noop) return null;
  if (policy.deny.includes(action)) return { code: MaskCode.denied, reason: `denied in ${env}` };
  if (!policy.allow.includes(action)) return { code: MaskCode.not_allowed, reason: `not allowed in ${env} (allow: ${policy.allow.join(", ") || "nothing"})` };
  return null;
}

interface Situation {
  incident: IncidentContext;
  policy: EnvironmentPolicy;
  state: ShieldState;
  breakerOpen: boolean;
  breakerCount: number;
}

/** Checks that depend on what already happened: pending approvals, breaker, budget, cooldown, backoff. */
function historyMask(action: HealAction, target: Target | null, s: Situation): Mask | null {
  const { policy, state } = s;
  const signature = s.incident.signature?.hash ?? null;
  const pending = state.pendingApprovals.find((p) => p.action === action && (sameTarget(p.target, target) || (p.target === null && target === null)));
  if (pending) return { code: MaskCode.pending_approval, reason: `awaiting approval: ${action}${target ? ` of ${formatTarget(target)}` : ""} (decision ${pending.decisionId})` };
  if (!ACTION_INFO[action].remediation) return null;
  if (s.breakerOpen) {
    const { maxActions, windowMs } = policy.circuitBreaker;
    const why = s.breakerCount >= maxActions ? `${s.breakerCount} actions in ${policy.environment} within ${formatDuration(windowMs)} (max ${maxActions})` : "tripped earlier";
    return { code: MaskCode.circuit_breaker, reason: `circuit breaker open: ${why}; needs a manual reset` };
  }
  const sig = signature === null ? "no signature" : `signature ${signature}`;
  const windowStart = state.now - policy.budgets.windowMs;
  const used = state.history.filter((r) => isRemediation(r) && sameTarget(r.target, target) && r.signature === signature && r.at > windowStart);
  const limit = policy.budgets.retriesPerTargetSignature;
  if (target && used.length >= limit) {
    return { code: MaskCode.budget, reason: `budget: ${limit} retries for (${formatTarget(target)}, ${sig}) used within ${formatDuration(policy.budgets.windowMs)}` };
  }
  const last = (rs: ActionRecord[]) => rs.reduce<ActionRecord | null>((m, r) => (m === null || r.at > m.at ? r : m), null);
  const lastSame = last(state.history.filter((r) => r.action === action && sameTarget(r.target, target)));
  if (lastSame && target && state.now - lastSame.at < policy.cooldownMs) {
    const reason = `cooldown: ${action} of ${formatTarget(target)} ${seconds(state.now - lastSame.at)} ago < ${seconds(policy.cooldownMs)}`;
    return { code: MaskCode.cooldown, reason, until: lastSame.at + policy.cooldownMs };
  }
  const repeats = used.filter((r) => r.action === action);
  const lastRepeat = last(repeats);
  if (lastRepeat && target) {
    const wait = policy.budgets.backoffMs * 2 ** (repeats.length - 1);
    if (state.now - lastRepeat.at < wait) {
      const reason = `backoff: ${action} on (${formatTarget(target)}, ${sig}) ran ${repeats.length} time${repeats.length === 1 ? "" : "s"}, next after ${seconds(wait)}, ${seconds(state.now - lastRepeat.at)} elapsed`;
      return { code: MaskCode.backoff, reason, until: lastRepeat.at + wait };
    }
  }
  return null;
}

function escalation(s: Situation, budgetExhausted: boolean): string | null {
  if (s.breakerOpen) return "circuit breaker open";
  if (budgetExhausted) return "budget exhausted: no remediation left for this signature";
  const { policy, state } = s;
  const from = state.now - policy.escalateAfter.windowMs;
  for (const target of targetsOf(s.incident)) {
    const heals = state.history.filter((r) => isRemediation(r) && sameTarget(r.target, target) && r.at > from).length;
    if (heals >= policy.escalateAfter.heals) return `escalate_after: ${formatTarget(target)} healed ${heals} times within ${formatDuration(policy.escalateAfter.windowMs)}`;
  }
  return null;
}

export function shield(incident: IncidentContext, policy: EnvironmentPolicy, state: ShieldState): ShieldResult {
  const count = breakerCount(policy, state);
  const breakerOpen = state.breaker.tripped || count >= policy.circuitBreaker.maxActions;
  const s: Situation = { incident, policy, state, breakerOpen, breakerCount: count };
  const permitted: HealAction[] = [];
  const masked: (MaskedAction & { until?: number })[] = [];
  for (const action of HEAL_ACTIONS) {
    const pre = checkPrecondition(action, incident);
    const mask = policyMask(action, policy) ?? (pre.ok ? historyMask(action, pre.target, s) : { code: MaskCode.precondition, reason: pre.reason });
    if (mask === null) permitted.push(action);
    else masked.push({ action, ...mask });
  }
  const anyRemediation = permitted.some((a) => ACTION_INFO[a].remediation);
  const budgetExhausted = !anyRemediation && masked.some((m) => m.code === MaskCode.budget);
  const escalateReason = escalation(s, budgetExhausted);
  const untils = masked.flatMap((m) => (m.until === undefined ? [] : [m.until]));
  return {
    permitted,
    masked: masked.map(({ action, code, reason }) => ({ action, code, reason })),
    needsApproval: permitted.filter((a) => policy.requireApproval.includes(a)),
    breakerTripped: breakerOpen,
    escalate: escalateReason !== null,
    escalateReason,
    wakeAt: untils.length === 0 ? null : Math.min(...untils),
  };
}
