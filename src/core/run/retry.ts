import { FailureClass } from "../failure/failure-class.js";
import type { RetryRule } from "../pipeline/plan.js";

/**
 * Decides whether a failed attempt is retried, by which rule, and after what delay. Semantics of
 * Buildkite's `retry.automatic`: a rule matches when every criterion it gives matches (an empty
 * list matches anything), and the first matching rule that still has retries left wins.
 */

export interface FailedAttempt {
  failureClass: FailureClass;
  exitCode: number | null;
  signal: string | null;
}

export type RetryDecision = { retry: true; ruleIndex: number; delayMs: number } | { retry: false; reason: string };

/**
 * Applied after the job's own rules. A lost agent (its lease expired: the machine died, the
 * network split, the process was OOM-killed as a whole) says nothing about the job itself, so it
 * is retried twice, 1 s apart, even when the pipeline asks for no retries; Buildkite treats lost
 * agents the same way (exit status -1). A job that names `agent_lost` in one of its own rules
 * takes over: these defaults are then not applied, so `classes: [agent_lost], limit: 0` opts out.
 */
export const DEFAULT_RETRY_RULES: readonly RetryRule[] = [
  { classes: [FailureClass.agent_lost], exitCodes: [], signals: [], limit: 2, backoff: { baseMs: 1000, factor: 1, maxMs: 1000 } },
];

/**
 * The rules in the order they are tried: the job's, then the defaults it did not take over.
 * `ruleIndex` and `retriesUsedByRule` index this list.
 */
export function effectiveRetryRules(rules: readonly RetryRule[]): RetryRule[] {
  const handlesAgentLost = rules.some((r) => r.classes.includes(FailureClass.agent_lost));
  return [...rules, ...(handlesAgentLost ? [] : DEFAULT_RETRY_RULES)];
}

/** `9`, `KILL`, `sigkill` and `SIGKILL` are the same signal to a user writing a rule. */
function normalizeSignal(s: string): string {
  const up = s.trim().toUpperCase();
  return up.startsWith("SIG") ? up : `SIG${up}`;
}

function matches(rule: RetryRule, a: FailedAttempt): boolean {
  if (rule.classes.length > 0 && !rule.classes.includes(a.failureClass)) return false;
  if (rule.exitCodes.length > 0 && (a.exitCode === null || !rule.exitCodes.includes(a.exitCode))) return false;
  if (rule.signals.length > 0) {
    if (a.signal === null) return false;
    const sig = normalizeSignal(a.signal);
    if (!rule.signals.some((s) => normalizeSignal(s) === sig)) return false;
  }
  return true;
}

/** Delay before retry number `n` (1-based) granted by `rule`: base * factor^(n-1), capped. */
export function retryDelayMs(rule: RetryRule, n: number): number {
  const { baseMs, factor, maxMs } = rule.backoff;
  return Math.round(Math.min(maxMs, baseMs * factor ** Math.max(0, n - 1)));
}

function describeAttempt(a: FailedAttempt): string {
  if (a.signal !== null) return `${a.failureClass}, signal ${a.signal}`;
  if (a.exitCode !== null) return `${a.failureClass}, exit ${a.exitCode}`;
  return a.failureClass;
}

/**
 * @param rules the job's own rules (PlanJob.retry); the defaults are appended here
 * @param retriesUsedByRule retries each rule of `effectiveRetryRules(rules)` already granted in
 *   this job; missing entries count as 0
 */
export function decideRetry(
  rules: readonly RetryRule[],
  attempt: FailedAttempt,
  retriesUsedByRule: readonly number[],
): RetryDecision {
  if (attempt.failureClass === FailureClass.cancelled) return { retry: false, reason: "cancelled attempts are never retried" };
  const all = effectiveRetryRules(rules);
  const exhausted: string[] = [];
  for (const [i, rule] of all.entries()) {
    if (!matches(rule, attempt)) continue;
    const used = retriesUsedByRule[i] ?? 0;
    if (used < rule.limit) return { retry: true, ruleIndex: i, delayMs: retryDelayMs(rule, used + 1) };
    exhausted.push(`rule ${i + 1}${i >= rules.length ? " (default)" : ""} used ${used} of ${rule.limit}`);
  }
  const what = describeAttempt(attempt);
  if (exhausted.length === 0) return { retry: false, reason: `no retry rule matches this failure (${what})` };
  return { retry: false, reason: `retry limit reached for this failure (${what}): ${exhausted.join("; ")}` };
}
