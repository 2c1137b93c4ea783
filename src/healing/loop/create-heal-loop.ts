import { ErrorCode, PitstopError } from "../../core/errors.js";
import { HealAction } from "../../core/healing/actions.js";
import { isAboutDeployment } from "../../core/healing/heal-event.js";
import type { Decision } from "../../core/healing/decide.js";
import type { EnvironmentPolicy } from "../../core/healing/environment-policy.js";
import { problemTypeOf, targetsOf, type IncidentContext } from "../../core/healing/incident.js";
import { checkPrecondition } from "../../core/healing/preconditions.js";
import { screenAction } from "../../core/healing/screen-action.js";
import type { Verdict } from "../../core/healing/verdict.js";
import type { DeployTarget } from "../../deploy/port.js";
import type { IncidentRecord } from "../../store/port.js";
import { ACTUATORS, type ActuatorResult } from "./actuators.js";
import { analyzeEvent, deployFacts, incidentKey, mainTarget, testIdsOf, type TestFlake } from "./analyze.js";
import type { HandleOptions, HealEvent, HealLoopDeps, HealOutcome, HealStatus, HealStep } from "./heal-types.js";
import { learnStep } from "./learn-step.js";
import { actorOf, createRngSource, planStep, shieldStateFor } from "./plan-step.js";
import { verifyTarget, verifyUrlLatency } from "./verify-action.js";

export interface HealLoop {
  /** Runs Analyze → Plan → Execute → Verify → Learn for one event, until healed, escalated or waiting. */
  handle(event: HealEvent, options?: HandleOptions): Promise<HealOutcome>;
  /** Approves a waiting decision (by someone other than its requester) and carries on with it. */
  approve(decisionId: string, by: string): Promise<HealOutcome>;
  /** A person (or API) asks for a named action: screened like a policy's pick; blocked names are refused and audited. */
  requestAction(event: HealEvent, action: string, by: string): Promise<HealOutcome>;
}

/** One incident being worked on. */
interface Run {
  incident: IncidentRecord;
  context: IncidentContext;
  env: EnvironmentPolicy;
  target: DeployTarget | null;
  requestedBy: string;
  steps: HealStep[];
  /** Aborted when the process stops: the step in hand ends, the verification is cut short, nothing new starts. */
  signal?: AbortSignal;
}

type Executed = { step: HealStep; verdict: Verdict | null };

/** A quarantine is time-boxed: a week unless the loop is told otherwise. */
const DEFAULT_QUARANTINE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The healing loop's shell (DESIGN.md §1, §6): MAPE-K over the store as Knowledge. No background
 * work: callers feed events, and every step is awaited, so tests replay it exactly.
 */
export function createHealLoop(deps: HealLoopDeps): HealLoop {
  const store = deps.store.healing;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxTries = deps.maxTries ?? 3;
  const rngFor = createRngSource(deps);
  const subjectOf = (run: Run, decisionId?: string) => ({ incidentId: run.incident.id, env: run.env.environment, ...(decisionId ? { decisionId } : {}) });

  /** Actions already run on this incident's targets within the budget window. */
  async function actionsTried(env: EnvironmentPolicy, context: IncidentContext): Promise<HealAction[]> {
    const ids = new Set(targetsOf(context).map((t) => `${t.type}:${t.id}`));
    const history = await store.listActions({ environment: env.environment, since: deps.now() - env.budgets.windowMs });
    return history.filter((a) => a.target !== null && ids.has(`${a.target.type}:${a.target.id}`)).map((a) => a.action);
  }

  /** The most flaky of the tests the event names, with its rerun history (none yet = 0 of 0). */
  async function flakeOf(event: HealEvent): Promise<TestFlake | null> {
    const ids = testIdsOf(event);
    if (ids.length === 0) return null;
    const histories = await Promise.all(ids.slice(0, 50).map(async (testId) => ({ testId, h: await deps.store.remedies.getFlakeHistory(testId) })));
    const best = histories.reduce((a, b) => ((b.h?.flakes ?? 0) > (a.h?.flakes ?? 0) ? b : a));
    return { testId: best.testId, history: { runs: best.h?.runs ?? 0, flakes: best.h?.flakes ?? 0 } };
  }

  /** The Verify step's clock: its waits end early when the run's signal aborts. */
  const clockFor = (run: Run) => ({
    now: deps.now,
    signal: run.signal,
    sleep: (ms: number) => (run.signal ? untilAborted(sleep(ms), run.signal) : sleep(ms)),
  });

  async function refresh(run: Run): Promise<void> {
    const facts = run.target && run.context.deploy ? await deployFacts(run.target, run.context.deploy.app, deps.now()) : {};
    run.context = { ...run.context, ...facts, actionsTried: await actionsTried(run.env, run.context) };
  }

  /** Analyze: the event → an open incident, audited with the raw event. */
  async function analyze(event: HealEvent, requestedBy: string, eventId: string | null): Promise<Run> {
    const env = deps.policyFile[event.environment];
    const target = isAboutDeployment(event.kind) ? deps.targets(event.environment) : null;
    let context = await analyzeEvent(event, target, [], deps.now(), await flakeOf(event));
    context = { ...context, actionsTried: await actionsTried(env, context) };
    const incident = await store.openIncident({
      id: eventId ?? deps.newId(), at: event.at, environment: event.environment, kind: context.kind,
      target: mainTarget(context, event), signature: context.signature?.hash ?? null, context,
    });
    const run: Run = { incident, context, env, target, requestedBy, steps: [] };
    await deps.audit.append({ type: "RUNTIME_EMIT", actor: "system", subject: subjectOf(run), data: { event } });
    await deps.audit.append({ type: "INCIDENT_OPENED", actor: "system", subject: subjectOf(run), data: { incident: { kind: context.kind, target: incident.target, context } } });
    deps.log.info({ incidentId: incident.id, kind: context.kind, env: env.environment }, "incident opened");
    return run;
  }

  const plan = (run: Run, override?: (d: Decision) => Decision) =>
    planStep(deps, { incident: run.incident, context: run.context, env: run.env, requestedBy: run.requestedBy, rng: rngFor(run.env, `${incidentKey(run.incident)}#${run.steps.length}`), ...(override ? { override } : {}) });

  async function refuse(run: Run, decision: Decision & { id: string }, reason: string, unsafe: boolean): Promise<Executed> {
    await store.updateDecision(decision.id, { status: "refused", outcome: { reason } });
    await deps.audit.append({ type: unsafe ? "UNSAFE_ACTION_REFUSED" : "ORCH_REFUSE", actor: "system", subject: subjectOf(run, decision.id), data: { action: decision.chosen, reason } });
    deps.log.warn({ decisionId: decision.id, action: decision.chosen, reason }, "action refused");
    return { step: { decisionId: decision.id, action: decision.chosen, status: "refused", verdict: null, reason }, verdict: null };
  }

  /** Execute (re-screened first), then Verify and Learn. */
  async function execute(run: Run, decision: Decision & { id: string }): Promise<Executed> {
    const now = deps.now();
    const screening = screenAction(decision.chosen, run.context, run.env, await shieldStateFor(store, run.env, now));
    if (!screening.ok) return refuse(run, decision, screening.reason, screening.unsafe);
    const actuator = ACTUATORS[decision.chosen];
    let begun = false;
    const begin = async (): Promise<void> => {
      if (begun) return;
      begun = true;
      await store.updateDecision(decision.id, { status: "executing" });
      await store.recordAction({ decisionId: decision.id, action: decision.chosen, environment: run.env.environment, target: decision.target, signature: run.context.signature?.hash ?? null, at: now });
    };
    const ctx = {
      incidentId: run.incident.id, decisionId: decision.id, incident: run.context, target: run.target, notifiers: deps.notifiers ?? [],
      pipelines: deps.pipelines ?? null, remedies: deps.store.remedies, quarantineMs: deps.quarantineMs ?? DEFAULT_QUARANTINE_MS, now,
      reason: decision.forcedBy ?? decision.escalateReason ?? `policy chose ${decision.chosen}`, begin,
    };
    const result = await actuator(ctx);
    if (!result.executed) return refuse(run, decision, result.reason, false);
    // An actuator with nothing to check first (noop, escalate) is recorded as run here.
    await begin();
    await deps.audit.append({ type: "ORCH_EXEC", actor: "system", subject: subjectOf(run, decision.id), data: { action: decision.chosen, target: decision.target, ok: result.ok, detail: result.detail } });
    return verifyAndLearn(run, decision, result);
  }

  async function verifyAndLearn(run: Run, decision: Decision & { id: string }, result: Extract<ActuatorResult, { executed: true }>): Promise<Executed> {
    const step: HealStep = { decisionId: decision.id, action: decision.chosen, status: "executed", verdict: null, reason: null };
    if (decision.chosen === HealAction.escalate) {
      await store.updateDecision(decision.id, { status: "verified", outcome: { actuator: result.detail } });
      return { step, verdict: null };
    }
    let v: { verdict: Verdict; reason: string };
    if (!result.ok) v = { verdict: "failed", reason: `the action failed: ${String(result.detail["error"] ?? "no detail")}` };
    else if (result.verified) v = result.verified;
    else if (result.latency) v = await verifyUrlLatency(result.latency.url, result.latency.boundMs, deps.verify, clockFor(run));
    else if (run.target && run.context.deploy) v = await verifyTarget(run.target, deps.verify, clockFor(run), result.judge);
    else v = { verdict: "inconclusive", reason: "nothing to probe for this incident" };
    const at = deps.now();
    await store.updateDecision(decision.id, { status: "verified", verdict: v.verdict, verifiedAt: at, outcome: { actuator: result.detail, verification: v } });
    const subject = subjectOf(run, decision.id);
    await deps.audit.append({ type: "ACTION_VERIFIED", actor: "system", subject, data: { action: decision.chosen, verdict: v.verdict, reason: v.reason } });
    if (v.verdict === "healed") await deps.audit.append({ type: "SYSTEM_STABLE", actor: "system", subject, data: { action: decision.chosen, reason: v.reason } });
    if (v.verdict !== "inconclusive") {
      const learned = await learnStep(store, run.env, { problem: problemTypeOf(run.context), action: decision.chosen, verdict: v.verdict });
      deps.log.info({ decisionId: decision.id, verdict: v.verdict, ...learned }, "learned from outcome");
    }
    return { step: { ...step, verdict: v.verdict, reason: v.reason }, verdict: v.verdict };
  }

  async function finish(run: Run, status: HealStatus, note: string | null): Promise<HealOutcome> {
    if (status === "healed" || status === "failed" || status === "escalated" || status === "inconclusive") {
      await store.resolveIncident(run.incident.id, { at: deps.now(), status, note });
    }
    const last = run.steps.at(-1)?.decisionId;
    // A request refused before any decision was stored has a step with an empty decision id.
    return { incidentId: run.incident.id, status, decisionId: last === undefined || last === "" ? null : last, steps: run.steps };
  }

  async function awaitApproval(run: Run, decision: Decision & { id: string }): Promise<HealOutcome> {
    await store.requestApproval({ decisionId: decision.id, requestedBy: run.requestedBy, at: deps.now() });
    await deps.audit.append({ type: "APPROVAL_REQUESTED", actor: actorOf(run.requestedBy), subject: subjectOf(run, decision.id), data: { action: decision.chosen, target: decision.target } });
    run.steps.push({ decisionId: decision.id, action: decision.chosen, status: "awaiting_approval", verdict: null, reason: "needs an approval by someone other than the requester" });
    return finish(run, "awaiting_approval", null);
  }

  /** Decide → execute → verify until healed, escalated, refused or waiting; then escalate after maxTries failures. */
  async function drive(run: Run, first?: { decision: Decision & { id: string }; approved: boolean }): Promise<HealOutcome> {
    let next = first;
    for (;;) {
      if (run.signal?.aborted && run.steps.length > 0) return finish(run, "inconclusive", "stopped before the next action: pitstop was stopping");
      const decision = next?.decision ?? (await plan(run));
      const approved = next?.approved ?? false;
      next = undefined;
      if (decision.needsApproval && !approved) return awaitApproval(run, decision);
      const { step, verdict } = await execute(run, decision);
      run.steps.push(step);
      if (step.status === "refused") return finish(run, "refused", step.reason);
      if (decision.chosen === HealAction.escalate) return finish(run, "escalated", decision.forcedBy ?? decision.escalateReason);
      if (verdict === "healed" || verdict === "inconclusive") return finish(run, verdict, step.reason);
      if (run.signal?.aborted) continue; // the check at the top ends it before anything is planned
      if (run.steps.filter((s) => s.status === "executed").length >= maxTries) {
        next = { decision: await plan(run, escalateInstead(`${maxTries} tries did not heal it`)), approved: false };
      }
      await refresh(run);
    }
  }

  return {
    async handle(event, options = {}) {
      const run = await analyze(event, options.requestedBy ?? "system", options.eventId ?? null);
      if (options.signal) run.signal = options.signal;
      return drive(run);
    },

    async approve(decisionId, by) {
      const record = await store.getDecision(decisionId);
      if (record === null) throw new PitstopError(ErrorCode.DECISION_NOT_FOUND, `no decision ${decisionId}: see \`pitstop decisions\` for the ids`);
      const incident = await store.getIncident(record.incidentId);
      if (incident === null) throw new PitstopError(ErrorCode.INTERNAL, `decision ${decisionId} names incident ${record.incidentId}, which is not stored`);
      const env = deps.policyFile[record.environment];
      const onDeploy = isAboutDeployment(incident.context.kind);
      const run: Run = { incident, context: incident.context, env, target: onDeploy ? deps.targets(record.environment) : null, requestedBy: record.requestedBy, steps: [] };
      try {
        await store.approve({ decisionId, by, at: deps.now() });
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        await deps.audit.append({ type: "ORCH_REFUSE", actor: actorOf(by), subject: subjectOf(run, decisionId), data: { action: record.action, approval: "refused", reason } });
        throw e;
      }
      await deps.audit.append({ type: "APPROVAL_GRANTED", actor: actorOf(by), subject: subjectOf(run, decisionId), data: { action: record.action } });
      await refresh(run);
      return drive(run, { decision: { ...record.explanation, id: decisionId }, approved: true });
    },

    async requestAction(event, action, by) {
      const run = await analyze(event, by, null);
      const screening = screenAction(action, run.context, run.env, await shieldStateFor(store, run.env, deps.now()));
      if (!screening.ok) {
        const type = screening.unsafe ? "UNSAFE_ACTION_REFUSED" : "ORCH_REFUSE";
        await deps.audit.append({ type, actor: actorOf(by), subject: subjectOf(run), data: { action, code: screening.code, reason: screening.reason } });
        run.steps.push({ decisionId: "", action, status: "refused", verdict: null, reason: screening.reason });
        return finish(run, "refused", screening.reason);
      }
      const chosen = screening.action;
      const pre = checkPrecondition(chosen, run.context);
      const decision = await plan(run, (d) => ({ ...d, chosen, target: pre.ok ? pre.target : null, explore: false, propensity: 1, needsApproval: screening.needsApproval, forcedBy: `requested by ${by}` }));
      return drive(run, { decision, approved: false });
    },
  };
}

/** Resolves with `p`, or as soon as `signal` aborts; the abort listener is removed either way. */
function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  let onAbort = (): void => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([p, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}

/** A decision that tells people instead of trying again: the policy's explanation is kept. */
function escalateInstead(reason: string): (d: Decision) => Decision {
  return (d) => ({ ...d, chosen: HealAction.escalate, target: null, explore: false, propensity: 1, needsApproval: false, forcedBy: reason, escalate: true, escalateReason: reason });
}
