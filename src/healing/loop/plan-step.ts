import type { AuditActor } from "../../core/healing/audit-record.js";
import { decide, type Decision } from "../../core/healing/decide.js";
import type { EnvironmentPolicy } from "../../core/healing/environment-policy.js";
import type { IncidentContext } from "../../core/healing/incident.js";
import { createRng, deriveSeed, type Rng } from "../../core/healing/rng.js";
import { MaskCode, type ShieldState } from "../../core/healing/shield.js";
import type { HealingStore, IncidentRecord } from "../../store/port.js";
import type { HealLoopDeps } from "./heal-types.js";

/** `system` stays itself; a person's name becomes `user:<name>` for the audit chain. */
export const actorOf = (by: string): AuditActor => (by === "system" ? "system" : `user:${by}`);

/** The shield's view of the store: recent actions, the breaker, decisions waiting for a human. */
export async function shieldStateFor(store: HealingStore, env: EnvironmentPolicy, now: number): Promise<ShieldState> {
  const lookBack = Math.max(env.budgets.windowMs, env.circuitBreaker.windowMs, env.escalateAfter.windowMs, env.cooldownMs);
  const [history, breaker, pending] = await Promise.all([
    store.listActions({ environment: env.environment, since: now - lookBack }),
    store.getBreaker(env.environment),
    store.listPendingApprovals(env.environment),
  ]);
  return {
    now,
    history,
    breaker: { tripped: breaker.tripped, resetAt: breaker.resetAt },
    pendingApprovals: pending.map((p) => ({ decisionId: p.decisionId, action: p.action, target: p.target })),
  };
}

/**
 * Where each environment's randomness comes from: stage derives one rng per (incident, try) from
 * the seed, so a replay does not depend on what else happened; dev draws from one seeded stream;
 * prod gets a fixed rng it never uses to explore (its mode is exploit, decide.ts).
 */
export function createRngSource(deps: Pick<HealLoopDeps, "seed" | "policyFile">): (env: EnvironmentPolicy, key: string) => Rng {
  const stageSeed = deps.seed ?? deps.policyFile.stage.qLearning.seed ?? 1;
  const dev = createRng(deps.seed ?? deps.policyFile.dev.qLearning.seed ?? 0);
  return (env, key) => {
    if (env.environment === "stage") return createRng(deriveSeed(stageSeed, key));
    if (env.environment === "dev") return dev;
    return createRng(0);
  };
}

export interface PlanInput {
  incident: IncidentRecord;
  context: IncidentContext;
  env: EnvironmentPolicy;
  rng: Rng;
  requestedBy: string;
  /** Replaces the policy's pick (a person's request, a forced escalation), keeping the explanation. */
  override?: (d: Decision) => Decision;
}

/**
 * The Plan step: shield + policy (decide), the decision saved and audited with its explanation,
 * globally blocked masks audited as unsafe, a newly open breaker persisted and audited.
 */
export async function planStep(deps: Pick<HealLoopDeps, "store" | "audit" | "policyFile" | "now" | "newId">, p: PlanInput): Promise<Decision & { id: string }> {
  const store = deps.store.healing;
  const now = deps.now();
  const shieldState = await shieldStateFor(store, p.env, now);
  const policyState = (await store.getPolicyState(p.env.environment))?.state ?? null;
  const id = deps.newId();
  const decided = decide({ id, incident: p.context, policyFile: deps.policyFile, policyState, shieldState, rng: p.rng });
  const decision = { ...(p.override ? p.override(decided) : decided), id };
  const subject = { incidentId: p.incident.id, decisionId: id, env: p.env.environment };
  await store.saveDecision({
    id, incidentId: p.incident.id, at: now, environment: p.env.environment, action: decision.chosen,
    target: decision.target, explanation: decision, status: "proposed", requestedBy: p.requestedBy,
  });
  await deps.audit.append({ type: "RL_DECISION", actor: "system", subject, data: { decision } });
  for (const m of decision.masked.filter((x) => x.code === MaskCode.globally_blocked)) {
    await deps.audit.append({ type: "UNSAFE_ACTION_REFUSED", actor: "system", subject, data: { action: m.action, reason: m.reason } });
  }
  if (decision.breakerTripped && !shieldState.breaker.tripped) {
    const reason = decision.masked.find((m) => m.code === MaskCode.circuit_breaker)?.reason ?? "circuit breaker open";
    await store.tripBreaker(p.env.environment, now, reason);
    await deps.audit.append({ type: "BREAKER_TRIPPED", actor: "system", subject: { env: p.env.environment, decisionId: id }, data: { reason } });
  }
  return decision;
}
