import type { Selectable } from "kysely";
import type { HealAction } from "../../../core/healing/actions.js";
import type { Decision } from "../../../core/healing/decide.js";
import type { Environment } from "../../../core/healing/environment.js";
import type { FeedbackValue } from "../../../core/healing/feedback.js";
import type { IncidentContext, IncidentKind, Target } from "../../../core/healing/incident.js";
import type { Verdict } from "../../../core/healing/verdict.js";
import type {
  ActionHistoryRecord,
  BreakerState,
  DecisionRecord,
  DecisionStatus,
  FeedbackRecord,
  IncidentRecord,
  IncidentStatus,
} from "../../healing-port.js";
import type {
  HealingActionsTable,
  HealingBreakersTable,
  HealingDecisionsTable,
  HealingFeedbackTable,
  HealingIncidentsTable,
} from "./db-schema.js";
import { parseJson } from "./sql-values.js";

/**
 * Row ↔ record mappers of the healing tables. Values were written by the store from typed
 * records, so reading them back casts rather than re-validates.
 */

const num = (v: number | null): number | null => (v === null ? null : Number(v));
const json = <T>(text: string | null): T | null => (text === null ? null : parseJson<T>(text));

/** JSON text for a nullable value: JSON.stringify escapes NUL, which PostgreSQL text cannot hold. */
export const toJson = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

export function toIncident(r: HealingIncidentsTable): IncidentRecord {
  return {
    id: r.id,
    at: Number(r.at),
    environment: r.environment as Environment,
    kind: r.kind as IncidentKind,
    target: json<Target>(r.target),
    signature: r.signature,
    context: parseJson<IncidentContext>(r.context),
    status: r.status as IncidentStatus,
    resolvedAt: num(r.resolved_at),
    note: r.note,
  };
}

export function toDecision(r: HealingDecisionsTable): DecisionRecord {
  return {
    id: r.id,
    incidentId: r.incident_id,
    at: Number(r.at),
    environment: r.environment as Environment,
    action: r.action as HealAction,
    target: json<Target>(r.target),
    explanation: parseJson<Decision>(r.explanation),
    status: r.status as DecisionStatus,
    requestedBy: r.requested_by,
    verdict: r.verdict as Verdict | null,
    verifiedAt: num(r.verified_at),
    outcome: json<Record<string, unknown>>(r.outcome),
    approvalRequestedBy: r.approval_requested_by,
    approvalRequestedAt: num(r.approval_requested_at),
    approvedBy: r.approved_by,
    approvedAt: num(r.approved_at),
  };
}

export function toFeedback(r: Selectable<HealingFeedbackTable>): FeedbackRecord {
  return {
    id: Number(r.id),
    decisionId: r.decision_id,
    at: Number(r.at),
    by: r.by,
    verdict: r.verdict as FeedbackValue,
    note: r.note,
  };
}

export function toAction(r: Selectable<HealingActionsTable>): ActionHistoryRecord {
  return {
    decisionId: r.decision_id,
    at: Number(r.at),
    environment: r.environment as Environment,
    action: r.action as HealAction,
    target: json<Target>(r.target),
    signature: r.signature,
  };
}

export const CLOSED_BREAKER: BreakerState = { tripped: false, trippedAt: null, resetAt: null, resetBy: null, reason: null };

export function toBreaker(r: HealingBreakersTable | undefined): BreakerState {
  if (r === undefined) return { ...CLOSED_BREAKER };
  return {
    tripped: Number(r.tripped) === 1,
    trippedAt: num(r.tripped_at),
    resetAt: num(r.reset_at),
    resetBy: r.reset_by,
    reason: r.reason,
  };
}
