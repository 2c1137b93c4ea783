import type { HealAction } from "../core/healing/actions.js";
import type { Decision } from "../core/healing/decide.js";
import type { Environment } from "../core/healing/environment.js";
import type { FeedbackValue } from "../core/healing/feedback.js";
import type { IncidentContext, IncidentKind, Target } from "../core/healing/incident.js";
import type { PolicyState } from "../core/healing/policies/create-policy.js";
import type { ActionRecord } from "../core/healing/shield.js";
import type { Verdict } from "../core/healing/verdict.js";

/**
 * The healing loop's Knowledge (DESIGN.md §1, §6): incidents, decisions and their approvals, human
 * feedback, learned policy state, the action history the shield counts, and the circuit breaker.
 * Part of the Store port (port.ts re-exports everything here); the same rules apply: timestamps
 * are epoch ms given by the caller, ids are the caller's, rich values (incident context, decision
 * explanation, policy state, outcome) are stored as JSON and read back deep-equal.
 */

/** `open` until the loop resolves it. */
export type IncidentStatus = "open" | IncidentResolution;
export type IncidentResolution = "healed" | "failed" | "escalated" | "inconclusive";

export interface NewIncident {
  id: string;
  /** When the detector saw it. */
  at: number;
  environment: Environment;
  kind: IncidentKind;
  /** The main thing in trouble (a job, `<env>/<app>`, a test…); null when the incident names none. */
  target: Target | null;
  /** Log signature hash (IncidentContext.signature.hash), for budgets per (target, signature). */
  signature: string | null;
  context: IncidentContext;
}

export interface IncidentRecord extends NewIncident {
  status: IncidentStatus;
  resolvedAt: number | null;
  note: string | null;
}

export interface IncidentQuery {
  environment?: Environment;
  status?: IncidentStatus;
  limit?: number;
}

/**
 * proposed → (awaiting_approval → approved) → executing → verified, or refused at any point before
 * executing. Only `approve()` sets `approved`; see `updateDecision` for what it refuses.
 */
export type DecisionStatus = "proposed" | "awaiting_approval" | "approved" | "executing" | "verified" | "refused";

export interface NewDecision {
  id: string;
  incidentId: string;
  at: number;
  environment: Environment;
  action: HealAction;
  /** What the action acts on; null for noop and escalate (Decision.target). */
  target: Target | null;
  /** The decision as `decide()` made it: candidates, masks, propensity… (the audit's explanation). */
  explanation: Decision;
  status: DecisionStatus;
  /** Who or what asked for the decision (`system`, a user name): an approver must be someone else. */
  requestedBy: string;
}

export interface DecisionRecord extends NewDecision {
  /** The Verify step's answer, once there is one. */
  verdict: Verdict | null;
  verifiedAt: number | null;
  /** Free JSON about the execution and verification (VerdictResult, actuator output…). */
  outcome: Record<string, unknown> | null;
  /** Set by requestApproval: who asked for the approval and when. */
  approvalRequestedBy: string | null;
  approvalRequestedAt: number | null;
  /** Set by approve. */
  approvedBy: string | null;
  approvedAt: number | null;
}

export interface DecisionPatch {
  status: DecisionStatus;
  /** Absent fields are left as they are. */
  verdict?: Verdict | null;
  verifiedAt?: number | null;
  outcome?: Record<string, unknown> | null;
}

export interface DecisionQuery {
  incidentId?: string;
  environment?: Environment;
  limit?: number;
}

/** A decision waiting for a human; shaped to feed ShieldState.pendingApprovals directly. */
export interface PendingApprovalRecord {
  decisionId: string;
  incidentId: string;
  environment: Environment;
  action: HealAction;
  target: Target | null;
  requestedBy: string;
  requestedAt: number;
}

export interface NewFeedback {
  decisionId: string;
  at: number;
  /** Who gave it, as the CLI or API knows them. */
  by: string;
  verdict: FeedbackValue;
  note?: string | null;
}

export interface FeedbackRecord extends Required<NewFeedback> {
  /** Assigned by the store, increasing in insertion order. */
  id: number;
  note: string | null;
}

export interface StoredPolicyState {
  state: PolicyState;
  /** 1 after the first save, +1 per save; the `expectedVersion` for the next one. */
  version: number;
}

/** An action the loop ran: the shield's ActionRecord plus the decision that ran it. */
export interface ActionHistoryRecord extends ActionRecord {
  decisionId: string;
}

export interface BreakerState {
  tripped: boolean;
  /** When it last tripped; null if it never did. */
  trippedAt: number | null;
  /** When it was last reset by hand; null if never. */
  resetAt: number | null;
  resetBy: string | null;
  /** Why it last tripped. */
  reason: string | null;
}

/** Only the calls that name a decision reject with DECISION_NOT_FOUND / APPROVAL_INVALID; see each. */
export interface HealingStore {
  /**
   * Stores a new open incident and returns it. Idempotent on `id`: when the id exists (a redelivered
   * detector event) nothing changes and the stored record is returned as it is.
   */
  openIncident(incident: NewIncident): Promise<IncidentRecord>;
  /** Null when no incident has this id. */
  getIncident(id: string): Promise<IncidentRecord | null>;
  /** Newest first (by `at`, then id descending); filters combine with AND. */
  listIncidents(query?: IncidentQuery): Promise<IncidentRecord[]>;
  /**
   * Records how the incident ended. Idempotent: an incident already resolved keeps its first
   * resolution (the call returns it unchanged). Returns null when no incident has this id.
   */
  resolveIncident(id: string, resolution: { at: number; status: IncidentResolution; note: string | null }): Promise<IncidentRecord | null>;

  /**
   * Stores a decision and returns it (verdict, outcome and approval fields null). Idempotent on
   * `id`: an existing decision is returned unchanged, so a redelivery cannot reset its status.
   * The incident is not checked: the loop saves the incident first.
   */
  saveDecision(decision: NewDecision): Promise<DecisionRecord>;
  /**
   * Sets the status and, when given, verdict/verifiedAt/outcome, atomically with its checks, and
   * returns the updated record. Rejects with DECISION_NOT_FOUND for an unknown id, and with
   * INVALID_TRANSITION when asked to set `approved` (only `approve()` may) or to move a decision
   * that is `awaiting_approval` anywhere but `refused` (an approval cannot be skipped).
   */
  updateDecision(id: string, patch: DecisionPatch): Promise<DecisionRecord>;
  /** Null when no decision has this id. */
  getDecision(id: string): Promise<DecisionRecord | null>;
  /** Newest first (by `at`, then id descending); filters combine with AND. */
  listDecisions(query?: DecisionQuery): Promise<DecisionRecord[]>;
  /** Ids starting with `prefix` (case-sensitive), at most `limit`, in id order: for `pitstop decision <prefix>`. */
  findDecisionIds(prefix: string, limit: number): Promise<string[]>;

  /**
   * Puts a `proposed` decision into `awaiting_approval`, recording who asked and when. Idempotent:
   * a decision already awaiting keeps its first request. Rejects with DECISION_NOT_FOUND for an
   * unknown id and APPROVAL_INVALID for a decision in any other status.
   */
  requestApproval(request: { decisionId: string; requestedBy: string; at: number }): Promise<DecisionRecord>;
  /**
   * Moves an `awaiting_approval` decision to `approved` in one conditional update, so of two
   * concurrent approvals exactly one succeeds. Rejects with APPROVAL_INVALID, naming the decision,
   * when it is unknown, not awaiting approval (which includes already approved), `by` is empty,
   * or `by` is the approval's requester or the decision's (compared trimmed and case-insensitively): approving your own
   * request is not allowed.
   */
  approve(approval: { decisionId: string; by: string; at: number }): Promise<DecisionRecord>;
  /** Decisions in `awaiting_approval`, oldest request first. */
  listPendingApprovals(environment?: Environment): Promise<PendingApprovalRecord[]>;

  /**
   * Appends human feedback on a decision: a signal of its own, never folded into the outcome
   * reward. Not idempotent: each call appends (people may change their mind; the latest counts).
   * Rejects with DECISION_NOT_FOUND when the decision is unknown.
   */
  addFeedback(feedback: NewFeedback): Promise<FeedbackRecord>;
  /** In insertion order; all decisions when `decisionId` is absent. */
  listFeedback(decisionId?: string): Promise<FeedbackRecord[]>;

  /** The environment's learned state, or null when nothing was saved yet (version 0). */
  getPolicyState(environment: Environment): Promise<StoredPolicyState | null>;
  /**
   * Optimistic concurrency: saves when the stored version equals `expectedVersion` (0 = nothing
   * stored yet) and returns the new version (expectedVersion + 1). Otherwise writes nothing and
   * rejects with CONFLICT (retryable: read again, re-apply the update, save again).
   */
  savePolicyState(environment: Environment, state: PolicyState, expectedVersion: number): Promise<number>;

  /**
   * Appends to the action history the shield counts (budgets, cooldowns, the breaker's window).
   * Idempotent on `decisionId`: one decision runs one action, so a second record of the same
   * decision is ignored and the first is returned.
   */
  recordAction(action: ActionHistoryRecord): Promise<ActionHistoryRecord>;
  /** Actions with `at >= since` in the environment, oldest first (ties in insertion order). */
  listActions(query: { environment: Environment; since: number }): Promise<ActionHistoryRecord[]>;

  /** `tripped: false` and nulls for an environment whose breaker never tripped. */
  getBreaker(environment: Environment): Promise<BreakerState>;
  /** Opens the breaker. Idempotent: an open breaker keeps its first trippedAt and reason. */
  tripBreaker(environment: Environment, at: number, reason: string): Promise<BreakerState>;
  /** Closes the breaker by hand. Idempotent: a closed breaker is returned unchanged. */
  resetBreaker(environment: Environment, at: number, by: string): Promise<BreakerState>;
}
