import { describe, expect, it } from "vitest";
import { defaultPolicyFile } from "../../../src/core/healing/default-policy.js";
import type { PolicyFile } from "../../../src/core/healing/environment-policy.js";
import type { QLearningState } from "../../../src/core/healing/policies/q-learning.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import type { HealEvent } from "../../../src/healing/loop/heal-types.js";
import type { NotificationResult, Notifier, RunNotification } from "../../../src/notify/port.js";
import type { Store } from "../../../src/store/port.js";
import { createLoopFixture } from "./loop-fixture.js";
import { createScriptedTarget } from "./scripted-target.js";

// Decisions of the loop over a scripted target and an injected clock: what is replayed, what is
// refused, and what happens when nothing heals. The real-process paths are in
// heal-loop-real-targets.test.ts.

const MIN = 60_000;

function clock(start = 1_700_000_000_000): { now: () => number; sleep: (ms: number) => Promise<void>; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

const event = (kind: "crash" | "overload" | "latency" | "false_alarm" | "deploy_unhealthy", at: number): HealEvent => ({ kind, environment: "stage", target: "stage/shop", at, evidence: {} });

async function decisionsOf(store: Store): Promise<unknown[]> {
  const records = await store.audit.list();
  return records.filter((r) => r.type === "RL_DECISION").map((r) => ({ ...(r.data["decision"] as object), id: null }));
}

describe("heal loop: stage is deterministic", () => {
  const exploring = (): PolicyFile => {
    const file = defaultPolicyFile();
    // Exploration on, so the decisions depend on the seeded rng and determinism means something.
    return { ...file, stage: { ...file.stage, qLearning: { ...file.stage.qLearning, epsilon: 0.5 } } };
  };

  async function replay(seed: number): Promise<{ decisions: unknown[]; actions: string[] }> {
    const c = clock();
    const target = createScriptedTarget({ healthyAfter: ["restart", "scale", "rollback"] });
    const { store, loop } = await createLoopFixture(() => target, { policyFile: exploring(), seed, now: c.now, sleep: c.sleep });
    const kinds = ["crash", "overload", "crash", "latency", "false_alarm", "deploy_unhealthy", "crash", "overload", "crash", "latency"] as const;
    for (const kind of kinds) {
      c.advance(7 * MIN);
      target.fail();
      await loop.handle(event(kind, c.now()));
    }
    const decisions = await decisionsOf(store);
    await store.close();
    return { decisions, actions: target.calls };
  }

  it("two fresh stores, the same seed and the same events make identical decisions", async () => {
    const a = await replay(42);
    const b = await replay(42);
    expect(a.decisions.length).toBeGreaterThanOrEqual(10);
    expect(JSON.stringify(a.decisions)).toBe(JSON.stringify(b.decisions));
    expect(a.actions).toEqual(b.actions);
    expect(a.decisions.some((d) => (d as { explore: boolean }).explore)).toBe(true);
    const other = await replay(7);
    expect(JSON.stringify(other.decisions)).not.toBe(JSON.stringify(a.decisions));
  });
});

describe("heal loop: refusals", () => {
  it("never executes a globally blocked action and audits the refusal as unsafe", async () => {
    const target = createScriptedTarget({ healthyAfter: [] });
    const { store, loop } = await createLoopFixture(() => target);
    for (const name of ["drop_database", "run_shell", "reboot_everything"]) {
      const outcome = await loop.requestAction(event("crash", Date.now()), name, "mallory");
      expect(outcome).toMatchObject({ status: "refused", steps: [{ action: name, status: "refused" }] });
    }
    expect(target.calls).toEqual([]);
    expect(await store.healing.listActions({ environment: "stage", since: 0 })).toEqual([]);
    const unsafe = (await store.audit.list()).filter((r) => r.type === "UNSAFE_ACTION_REFUSED");
    expect(unsafe.map((r) => r.data["action"])).toEqual(["drop_database", "run_shell", "reboot_everything"]);
    expect(unsafe[0]).toMatchObject({ actor: "user:mallory", data: { code: "globally_blocked" } });
    expect(verifyChain(await store.audit.list()).ok).toBe(true);
    await store.close();
  });

  it("a requested catalog action goes through the same execute and verify path", async () => {
    const target = createScriptedTarget({ healthyAfter: ["scale"] });
    const { store, loop } = await createLoopFixture(() => target, { sleep: () => Promise.resolve() });
    const outcome = await loop.requestAction(event("overload", Date.now()), "scale_up", "carol");
    expect(outcome).toMatchObject({ status: "healed", steps: [{ action: "scale_up", status: "executed" }] });
    expect(target.calls).toEqual(["scale(2)"]);
    await store.close();
  });

  it("refuses job actions when no engine runs beside the loop, saying why", async () => {
    const { store, loop } = await createLoopFixture(() => null);
    const failure: HealEvent = { kind: "job_failure", environment: "stage", jobId: "test", runId: "run-3", attempt: 1, failureClass: "exit_nonzero", exitCode: 1, lines: ["Error: boom at x.js:12"], at: Date.now() };
    const outcome = await loop.handle(failure);
    expect(outcome).toMatchObject({ status: "refused", steps: [{ action: "retry_job", status: "refused", reason: expect.stringMatching(/no pipeline engine/) }] });
    expect(await store.healing.getDecision(outcome.decisionId!)).toMatchObject({ status: "refused", outcome: { reason: expect.stringMatching(/no pipeline engine/) } });
    const refuse = (await store.audit.list()).find((r) => r.type === "ORCH_REFUSE");
    expect(refuse).toMatchObject({ data: { action: "retry_job", reason: expect.stringMatching(/no pipeline engine/) } });
    const incident = await store.healing.getIncident(outcome.incidentId);
    expect(incident?.signature).toMatch(/^[0-9a-f]{8}$/);
    await store.close();
  });
});

describe("heal loop: when nothing heals", () => {
  it("tries the next permitted action after each failed verification, then escalates", async () => {
    const c = clock();
    const target = createScriptedTarget({ healthyAfter: [] });
    const sent: RunNotification[] = [];
    const notifiers: Notifier[] = [
      { channel: "webhook", send: (m): Promise<NotificationResult> => (sent.push(m), Promise.resolve({ ok: true, status: 200, error: null })) },
      { channel: "slack", send: () => Promise.reject(new Error("slack is down")) },
    ];
    const { store, loop } = await createLoopFixture(() => target, { now: c.now, sleep: c.sleep, notifiers });
    const outcome = await loop.handle(event("crash", c.now()));
    expect(outcome.steps.map((s) => [s.action, s.verdict])).toEqual([["restart", "failed"], ["rollback", "failed"], ["scale_up", "failed"], ["escalate", null]]);
    expect(outcome.status).toBe("escalated");
    expect(await store.healing.getIncident(outcome.incidentId)).toMatchObject({ status: "escalated" });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.markdown).toContain("3 tries did not heal it");
    const exec = (await store.audit.list()).filter((r) => r.type === "ORCH_EXEC").at(-1);
    expect(exec).toMatchObject({ data: { action: "escalate", ok: false, detail: { deliveries: [{ ok: true }, { ok: false, error: "slack is down" }] } } });
    const table = (await store.healing.getPolicyState("stage"))?.state as QLearningState;
    expect(table.table["crash"]?.restart?.q).toBeLessThan(0);
    expect(verifyChain(await store.audit.list()).ok).toBe(true);
    await store.close();
  });

  it("inconclusive verification does not train the policy", async () => {
    const target = createScriptedTarget({ healthyAfter: ["restart"] });
    // Two probes in the window but three needed: too little evidence.
    const { store, loop } = await createLoopFixture(() => target, { sleep: () => Promise.resolve(), verify: { windowMs: 100, probeIntervalMs: 100, minSamples: 3 } });
    const outcome = await loop.handle(event("crash", Date.now()));
    expect(outcome).toMatchObject({ status: "inconclusive", steps: [{ action: "restart", verdict: "inconclusive" }] });
    expect(await store.healing.getPolicyState("stage")).toBeNull();
    await store.close();
  });
});
