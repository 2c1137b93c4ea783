import { HealAction } from "../../core/healing/actions.js";
import type { IncidentContext } from "../../core/healing/incident.js";
import type { DeployResult, DeployTarget } from "../../deploy/port.js";
import type { NotificationResult, Notifier, RunNotification } from "../../notify/port.js";

/**
 * The Execute step's actuators, one row per catalog action. Deploy actions act on the real
 * target; job and test actions are not wired to the orchestrator yet and say so instead of
 * pretending (the loop records them as refused).
 */

export type ActuatorResult =
  | { executed: true; ok: boolean; detail: Record<string, unknown> }
  | { executed: false; reason: string };

export interface ActuatorContext {
  incidentId: string;
  incident: IncidentContext;
  target: DeployTarget | null;
  notifiers: readonly Notifier[];
  now: number;
  /** Why people are told (escalate). */
  reason: string;
}

type Actuator = (c: ActuatorContext) => Promise<ActuatorResult>;

const NOT_WIRED = "not wired yet";

function deployResult(r: DeployResult): ActuatorResult {
  const detail = { releaseId: r.releaseId, previousReleaseId: r.previousReleaseId, healthy: r.healthy, workers: r.workers, durationMs: r.durationMs, error: r.error ?? null, class: r.class ?? null };
  return { executed: true, ok: r.ok, detail };
}

function onTarget(run: (t: DeployTarget, c: ActuatorContext) => Promise<DeployResult>): Actuator {
  return async (c) => (c.target === null ? { executed: false, reason: `no deploy target in ${c.incident.environment}` } : deployResult(await run(c.target, c)));
}

const workers = (c: ActuatorContext): number => c.incident.deploy?.workers ?? 1;

/** The escalation message: shaped like a run notification so every notifier can carry it. */
export function escalationMessage(c: ActuatorContext): RunNotification {
  const i = c.incident;
  const markdown = [
    `**pitstop healing escalated** incident \`${c.incidentId}\` (${i.kind}, ${i.environment})`,
    `Reason: ${c.reason}`,
    i.actionsTried.length > 0 ? `Tried: ${i.actionsTried.join(", ")}` : "Nothing tried automatically.",
  ].join("\n\n");
  return {
    summary: {
      schema: "pitstop.run-summary/v1",
      run: { id: c.incidentId, number: 0, pipelineFile: "healing", branch: null, commit: null, startedAt: null, durationMs: null },
      outcome: "failed",
      generatedAt: c.now,
      jobs: [],
      tests: null,
      vulnerabilities: [],
      deployments: [],
    },
    markdown,
  };
}

async function escalate(c: ActuatorContext): Promise<ActuatorResult> {
  const message = escalationMessage(c);
  // A notifier must never break the loop: failures (even a throwing adapter) are recorded.
  const deliveries = await Promise.all(
    c.notifiers.map(async (n): Promise<NotificationResult & { channel: string }> => {
      try {
        return { channel: n.channel, ...(await n.send(message)) };
      } catch (e) {
        return { channel: n.channel, ok: false, status: null, error: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
  return { executed: true, ok: deliveries.every((d) => d.ok), detail: { reason: c.reason, deliveries } };
}

const notWired: Actuator = () => Promise.resolve({ executed: false, reason: NOT_WIRED });

/** Actions whose actuator does not exist yet: refused before anything is recorded as run. */
export const UNWIRED_ACTIONS: ReadonlySet<HealAction> = new Set([HealAction.retry_job, HealAction.rerun_failed_tests, HealAction.quarantine_test, HealAction.adjust_threshold]);

export const ACTUATORS: Readonly<Record<HealAction, Actuator>> = {
  [HealAction.restart]: onTarget((t) => t.restart()),
  [HealAction.scale_up]: onTarget((t, c) => t.scale(workers(c) + 1)),
  [HealAction.scale_down]: onTarget((t, c) => t.scale(Math.max(1, workers(c) - 1))),
  [HealAction.rollback]: onTarget((t) => t.rollback()),
  [HealAction.noop]: () => Promise.resolve({ executed: true, ok: true, detail: {} }),
  [HealAction.escalate]: escalate,
  [HealAction.retry_job]: notWired,
  [HealAction.rerun_failed_tests]: notWired,
  [HealAction.quarantine_test]: notWired,
  [HealAction.adjust_threshold]: notWired,
};
