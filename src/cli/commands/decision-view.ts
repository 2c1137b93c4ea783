import type { Decision } from "../../core/healing/decide.js";
import { formatTarget, type Target } from "../../core/healing/incident.js";
import type { HealEvent, HealOutcome } from "../../healing/loop/heal-types.js";
import type { DecisionRecord, FeedbackRecord, IncidentRecord, PendingApprovalRecord, QuarantineRecord } from "../../store/port.js";
import { formatTime, table } from "../format.js";

/**
 * How `pitstop decisions`, `decision`, `approve`, `incidents` and `quarantine` print: pure
 * functions of the store's records and `now`, so the commands stay small and the text is testable.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Ids are UUIDs: eight characters tell them apart in a table; every command takes a prefix. */
export const shortId = (id: string): string => id.slice(0, 8);

const targetText = (t: Target | null): string => (t === null ? "-" : formatTarget(t));

/** `3d4h`, `2h05m`, `12m`, `40s`: a span as a person reads it. */
export function humanSpan(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MIN) return `${Math.round(abs / 1000)}s`;
  if (abs < HOUR) return `${Math.floor(abs / MIN)}m`;
  if (abs < DAY) return `${Math.floor(abs / HOUR)}h${String(Math.floor((abs % HOUR) / MIN)).padStart(2, "0")}m`;
  return `${Math.floor(abs / DAY)}d${Math.floor((abs % DAY) / HOUR)}h`;
}

/** `in 6d23h (2024-05-08 10:00:00)` or `2h05m ago (…)`: relative for reading, absolute for logs. */
export function whenText(at: number, now: number): string {
  const rel = at >= now ? `in ${humanSpan(at - now)}` : `${humanSpan(now - at)} ago`;
  return `${rel} (${formatTime(at)})`;
}

export function renderDecisionTable(decisions: readonly DecisionRecord[]): string {
  const rows = decisions.map((d) => [
    shortId(d.id),
    formatTime(d.at),
    d.environment,
    d.explanation.incident.kind,
    d.action,
    d.status,
    d.verdict ?? "-",
    d.approvalRequestedBy ?? d.requestedBy,
    d.approvedBy ?? "-",
  ]);
  return table([["ID", "WHEN", "ENV", "INCIDENT", "ACTION", "STATUS", "VERDICT", "REQUESTED BY", "APPROVED BY"], ...rows]);
}

export function renderPending(pending: readonly PendingApprovalRecord[], now: number): string {
  const rows = pending.map((p) => [shortId(p.decisionId), whenText(p.requestedAt, now), p.environment, p.action, targetText(p.target), p.requestedBy]);
  const commands = pending.map((p) => `  pitstop approve ${p.decisionId}    # ${p.action} on ${targetText(p.target)} (${p.environment})`);
  return (
    `${pending.length} decision${pending.length === 1 ? "" : "s"} awaiting approval, longest waiting first\n` +
    table([["ID", "REQUESTED", "ENV", "ACTION", "TARGET", "REQUESTED BY"], ...rows]) +
    `\napprove as someone other than the requester (--by <name>, default $USER):\n${commands.join("\n")}\n`
  );
}

export function renderIncidentTable(incidents: readonly IncidentRecord[]): string {
  const rows = incidents.map((i) => [shortId(i.id), formatTime(i.at), i.environment, i.kind, targetText(i.target), i.status, formatTime(i.resolvedAt), i.note ?? ""]);
  return table([["ID", "WHEN", "ENV", "KIND", "TARGET", "STATUS", "RESOLVED", "NOTE"], ...rows]);
}

function explanationLines(e: Decision): string[] {
  const how = e.forcedBy
    ? `forced by the shield (${e.forcedBy}), propensity ${e.propensity.toFixed(2)}`
    : `${e.explore ? "explore: a random draw picked it" : "exploit: the policy's best"}, propensity ${e.propensity.toFixed(2)}`;
  const rules = e.whatTheRulesWouldDo === e.chosen ? `${e.whatTheRulesWouldDo} (the same)` : e.whatTheRulesWouldDo;
  const lines = [
    `  policy:    ${e.policy} in mode ${e.mode}; ${how}`,
    `  rules:     the fixed rules would have chosen ${rules}`,
    `  problem:   ${e.incident.problem}${e.incident.failureClass ? ` (failure class ${e.incident.failureClass})` : ""}; signature ${e.incident.signature ?? "-"}; exit code ${e.incident.exitCode ?? "-"}`,
  ];
  if (e.escalate) lines.push(`  escalate:  yes, ${e.escalateReason ?? "no reason given"}`);
  if (e.breakerTripped) lines.push(`  breaker:   open: no automatic actions in ${e.environment} until someone resets it: pitstop breaker reset --env ${e.environment}`);
  if (e.wakeAt !== null) lines.push(`  wake at:   ${formatTime(e.wakeAt)} (when a cooldown or backoff lifts)`);
  lines.push("", "candidates (the permitted actions as the policy scored them):");
  const candidates = e.candidates.map((c) => [c.action, c.estimate === null ? "-" : c.estimate.toFixed(3), c.count === null ? "-" : String(c.count), c.action === e.chosen ? "← chosen" : ""]);
  lines.push(indent(table([["ACTION", "ESTIMATE", "UPDATES", ""], ...candidates])));
  if (e.masked.length > 0) {
    lines.push("masked (never offered to the policy):");
    lines.push(indent(table([["ACTION", "CODE", "WHY"], ...e.masked.map((m) => [m.action, m.code, m.reason])])));
  } else {
    lines.push("masked: nothing");
  }
  return lines;
}

const indent = (text: string): string => text.replace(/\n$/, "").replace(/^/gm, "  ");

function outcomeLines(d: DecisionRecord): string[] {
  const o = d.outcome;
  if (o === null) return [`  outcome:   none yet (${d.status})`];
  const lines: string[] = [];
  const verification = o["verification"] as { verdict?: string; reason?: string } | undefined;
  if (typeof o["reason"] === "string") lines.push(`  refused:   ${o["reason"]}`);
  if (verification) lines.push(`  verified:  ${verification.verdict ?? "-"}: ${verification.reason ?? ""}`);
  if (o["actuator"] !== undefined) lines.push(`  actuator:  ${JSON.stringify(o["actuator"])}`);
  return lines.length > 0 ? lines : [`  outcome:   ${JSON.stringify(o)}`];
}

/** `pitstop decision <id>`: the decision's explanation, its approval, outcome and feedback. */
export function renderDecision(d: DecisionRecord, incident: IncidentRecord | null, feedback: readonly FeedbackRecord[]): string {
  const e = d.explanation;
  const approval =
    d.approvalRequestedAt === null
      ? "not needed"
      : `requested by ${d.approvalRequestedBy ?? d.requestedBy} at ${formatTime(d.approvalRequestedAt)}; ${d.approvedBy ? `approved by ${d.approvedBy} at ${formatTime(d.approvedAt)}` : "not approved yet"}`;
  const inc = incident
    ? `${incident.id} ${incident.kind} on ${targetText(incident.target)}, ${incident.status}${incident.note ? ` (${incident.note})` : ""}`
    : `${d.incidentId} (not stored)`;
  const lines = [
    `decision ${d.id}`,
    `  action:    ${d.action} on ${targetText(d.target)} in ${d.environment}`,
    `  when:      ${formatTime(d.at)}; requested by ${d.requestedBy}`,
    `  incident:  ${inc}`,
    `  status:    ${d.status}; verdict ${d.verdict ?? "-"}${d.verifiedAt !== null ? ` at ${formatTime(d.verifiedAt)}` : ""}`,
    `  approval:  ${approval}`,
    ...outcomeLines(d),
    ...explanationLines(e),
    feedback.length === 0 ? `feedback: none (\`pitstop feedback ${d.id} accept|reject\`)` : "feedback (the latest counts):",
    ...feedback.map((f) => `  ${formatTime(f.at)}  ${f.by}: ${f.verdict}${f.note ? ` (${f.note})` : ""}`),
  ];
  if (d.status === "awaiting_approval") lines.push("", `approve it (as someone other than ${d.approvalRequestedBy ?? d.requestedBy}): pitstop approve ${d.id}`);
  return `${lines.join("\n")}\n`;
}

/** What `pitstop approve` did: each decision the loop ran after the approval, and where the incident is. */
export function renderApproveOutcome(approved: DecisionRecord, outcome: HealOutcome, steps: ReadonlyArray<DecisionRecord | null>): string {
  const lines = [`approved decision ${approved.id} (${approved.action} on ${targetText(approved.target)} in ${approved.environment}) by ${approved.approvedBy ?? "?"}; requested by ${approved.approvalRequestedBy ?? approved.requestedBy}`];
  outcome.steps.forEach((s, i) => {
    const target = targetText(steps[i]?.target ?? null);
    const verdict = s.verdict ? `, verdict ${s.verdict}` : "";
    lines.push(`  ${i + 1}. ${s.action} on ${target}: ${s.status}${verdict}${s.reason ? ` (${s.reason})` : ""}   [decision ${shortId(s.decisionId)}]`);
  });
  lines.push(`incident ${outcome.incidentId}: ${outcome.status}`);
  if (outcome.status === "awaiting_approval" && outcome.decisionId) lines.push(`the next action waits for an approval too: pitstop approve ${outcome.decisionId}`);
  return `${lines.join("\n")}\n`;
}

export type QuarantineState = "active" | "released" | "expired";

export function quarantineState(q: QuarantineRecord, now: number): QuarantineState {
  if (q.releasedAt !== null) return "released";
  return q.expiresAt > now ? "active" : "expired";
}

export function renderQuarantine(entries: readonly QuarantineRecord[], now: number, all: boolean): string {
  const rows = entries.map((q) => {
    const state = quarantineState(q, now);
    const status = state === "released" ? `released by ${q.releasedBy ?? "?"} ${whenText(q.releasedAt!, now)}` : state;
    return [q.testId, q.reason, q.by, whenText(q.createdAt, now), whenText(q.expiresAt, now), q.decisionId ? shortId(q.decisionId) : "-", ...(all ? [status] : [])];
  });
  return table([["TEST", "REASON", "BY", "SINCE", "EXPIRES", "DECISION", ...(all ? ["STATUS"] : [])], ...rows]);
}

/** What an event is about, in a few words: `job test failed (test_failure)`, `crash on stage/shop`. */
export function describeEvent(event: HealEvent): string {
  return event.kind === "job_failure" ? `job ${event.jobId} failed (${event.failureClass ?? "unknown"})` : `${event.kind.replace(/_/g, " ")} on ${event.target}`;
}

/** One line per incident for people: what, the first decision, and how it ended. */
export function describeOutcome(event: HealEvent, outcome: HealOutcome): string {
  const what = describeEvent(event);
  const steps = outcome.steps.map((s) => `${s.action}${s.verdict ? ` → ${s.verdict}` : s.status === "executed" ? "" : ` (${s.status})`}`).join(", ");
  const why = outcome.steps.at(-1)?.reason;
  return `healing: ${what}: ${steps || "no action"} ⇒ ${outcome.status}${why ? ` (${why})` : ""}${outcome.decisionId ? `  [decision ${outcome.decisionId}]` : ""}`;
}
