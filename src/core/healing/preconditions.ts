import { ACTION_INFO, type HealAction } from "./actions.js";
import { formatTarget, targetOf, type IncidentContext, type Target } from "./incident.js";

/**
 * Preconditions: pure predicates over the incident context. An action whose precondition fails
 * is masked by the shield whatever the policy file allows, because it cannot work (no previous
 * release to roll back to) or cannot be aimed (no job to retry).
 */

export type PreconditionResult = { ok: true; target: Target | null } | { ok: false; reason: string };

type Check = (incident: IncidentContext, target: Target | null) => string | null;

const CHECKS: Readonly<Record<HealAction, Check>> = {
  retry_job: (i, t) => (!t ? "no failed job to retry" : i.job?.runId ? null : `the run of job ${t.id} is not known`),
  rerun_failed_tests: (i, t) => {
    if (!t) return "no failed job to rerun tests in";
    if (i.failedTests === 0) return "no failed tests to rerun";
    return i.job?.runId ? null : `the run of job ${t.id} is not known`;
  },
  quarantine_test: (i, t) => {
    if (!t) return "no test named in the incident";
    const flakes = i.flakeHistory?.flakes ?? 0;
    // Quarantine hides a test; only one seen passing and failing on the same code may be hidden.
    return flakes > 0 ? null : `${formatTarget(t)} has no flake history (0 flakes)`;
  },
  restart: (_i, t) => (t ? null : "no deployed app in the incident"),
  scale_up: (i, t) => {
    if (!t || !i.deploy) return "no deployed app in the incident";
    const max = i.deploy.maxWorkers;
    return max !== undefined && i.deploy.workers >= max ? `already at ${i.deploy.workers} workers (max ${max})` : null;
  },
  scale_down: (i, t) => {
    if (!t || !i.deploy) return "no deployed app in the incident";
    return i.deploy.workers > 1 ? null : `only ${i.deploy.workers} worker${i.deploy.workers === 1 ? "" : "s"}: cannot scale below 1`;
  },
  rollback: (i, t) => {
    if (!t || !i.deploy) return "no deployed app in the incident";
    if (!i.deploy.hasPreviousHealthyRelease) return "no previous healthy release";
    // A rollback restores code, not data: after a migration the old code may not read the new schema.
    return i.migration ? "the last deploy ran a migration: a rollback would not undo it" : null;
  },
  adjust_threshold: (_i, t) => (t ? null : "no detector in the incident"),
  noop: () => null,
  escalate: () => null,
};

/** Whether `action` can act in this incident, and on what. */
export function checkPrecondition(action: HealAction, incident: IncidentContext): PreconditionResult {
  const type = ACTION_INFO[action].target;
  const target = type === null ? null : targetOf(incident, type);
  const problem = CHECKS[action](incident, target);
  return problem === null ? { ok: true, target } : { ok: false, reason: `precondition: ${problem}` };
}
