import { actorOf } from "../healing/loop/plan-step.js";
import type { FeedbackValue } from "../core/healing/feedback.js";
import { createAuditLog } from "../healing/audit/create-audit-log.js";
import type { FeedbackRecord, Store } from "../store/port.js";

/**
 * Human feedback on a healing decision: stored as its own signal (never folded into the outcome
 * reward) and audited. Rejects with DECISION_NOT_FOUND for an unknown decision, before auditing.
 */
export async function recordFeedback(store: Store, input: { decisionId: string; by: string; verdict: FeedbackValue; note: string | null; at: number }): Promise<FeedbackRecord> {
  const record = await store.healing.addFeedback({ decisionId: input.decisionId, at: input.at, by: input.by, verdict: input.verdict, note: input.note });
  await createAuditLog({ store: store.audit, now: () => input.at }).append({
    type: "FEEDBACK",
    actor: actorOf(input.by),
    subject: { decisionId: input.decisionId },
    data: { verdict: input.verdict, note: input.note },
  });
  return record;
}
