import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyFile } from "../../../src/core/healing/default-policy.js";
import type { PolicyFile } from "../../../src/core/healing/environment-policy.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import type { HealEvent } from "../../../src/healing/loop/heal-types.js";
import type { Store } from "../../../src/store/port.js";
import { createLocalDeployTarget } from "../../../src/deploy/adapters/local/local-target.js";
import type { DeployTarget } from "../../../src/deploy/port.js";
import { freePort, killAll, writeApp } from "../../deploy/helpers/fixture-app.js";
import { createLoopFixture } from "./loop-fixture.js";

// adjust_threshold through a real heal loop over a migrated SQLite store: the dev rules policy
// picks it for a false alarm, the actuator raises the detector's threshold in the store, and a
// threshold already at its max is refused.

const MIN = 60_000;

/** dev decides by rules, and a false alarm's only rule is adjust_threshold. */
function adjustingPolicy(): PolicyFile {
  const file = defaultPolicyFile();
  return { ...file, dev: { ...file.dev, policy: "rules", rules: { ...file.dev.rules, false_alarm: ["adjust_threshold"] } } };
}

const falseAlarm = (at: number, target = "dev/shop"): HealEvent => ({ kind: "false_alarm", environment: "dev", target, at, evidence: { latencyMs: 400 } });

let stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

async function fixture(start = 1_700_000_000_000) {
  let t = start;
  const f = await createLoopFixture(() => null, { policyFile: adjustingPolicy(), now: () => t, sleep: () => Promise.resolve() });
  stores.push(f.store);
  return { ...f, now: () => t, advance: (ms: number) => (t += ms) };
}

describe("heal loop: adjust_threshold", () => {
  it("raises the false alarm's latency threshold one step, records who and why, and leaves the verdict inconclusive", async () => {
    const { store, loop, now } = await fixture();
    const outcome = await loop.handle(falseAlarm(now()));
    expect(outcome).toMatchObject({ status: "inconclusive", steps: [{ action: "adjust_threshold", status: "executed", verdict: "inconclusive" }] });

    expect(await store.remedies.getThreshold("dev/shop", "latency_ms")).toBe(36_000);
    const changes = await store.remedies.listThresholdChanges({ detector: "dev/shop" });
    expect(changes).toEqual([
      expect.objectContaining({ detector: "dev/shop", key: "latency_ms", from: null, to: 36_000, by: "system", decisionId: outcome.decisionId, at: now() }),
    ]);
    expect(changes[0]!.reason).toContain(outcome.incidentId);

    const decision = await store.healing.getDecision(outcome.decisionId!);
    expect(decision).toMatchObject({ action: "adjust_threshold", status: "verified", verdict: "inconclusive", target: { type: "detector", id: "dev/shop" } });
    expect(decision?.outcome).toMatchObject({ actuator: { detector: "dev/shop", key: "latency_ms", from: 24_000, to: 36_000, min: 100, max: 120_000 } });
    const audit = await store.audit.list();
    expect(audit.find((r) => r.type === "ORCH_EXEC")).toMatchObject({ data: { action: "adjust_threshold", ok: true, detail: { from: 24_000, to: 36_000 } } });
    expect(verifyChain(audit).ok).toBe(true);
    // Recorded as run: budgets and cooldowns count it like any remediation.
    expect(await store.healing.listActions({ environment: "dev", since: 0 })).toMatchObject([{ action: "adjust_threshold", target: { type: "detector", id: "dev/shop" } }]);
    // Inconclusive trains nothing.
    expect(await store.healing.getPolicyState("dev")).toBeNull();
  });

  it("climbs to the max over repeated false alarms, then refuses and changes nothing", async () => {
    const { store, loop, now, advance } = await fixture();
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) {
      // Past the dev cooldown and backoff, inside the hour's budget of 5.
      advance(2 * MIN);
      statuses.push((await loop.handle(falseAlarm(now()))).status);
    }
    expect(statuses).toEqual(["inconclusive", "inconclusive", "inconclusive", "inconclusive", "refused"]);
    const changes = await store.remedies.listThresholdChanges({ detector: "dev/shop", key: "latency_ms" });
    expect(changes.map((c) => [c.from, c.to])).toEqual([
      [81_000, 120_000],
      [54_000, 81_000],
      [36_000, 54_000],
      [null, 36_000],
    ]);
    const refusal = (await store.audit.list()).filter((r) => r.type === "ORCH_REFUSE").at(-1);
    expect(refusal).toMatchObject({ data: { action: "adjust_threshold", reason: "detector dev/shop: latency_ms is already at its max 120000 ms (100..120000 ms)" } });
    // Another detector's threshold is its own.
    advance(2 * MIN);
    expect(await loop.handle(falseAlarm(now(), "dev/other"))).toMatchObject({ status: "inconclusive" });
    expect(await store.remedies.getThreshold("dev/other", "latency_ms")).toBe(36_000);
    expect(await store.remedies.getThreshold("dev/shop", "latency_ms")).toBe(120_000);
  });

  it("refuses at once when a person already set the threshold to its max", async () => {
    const { store, loop, now } = await fixture();
    await store.remedies.changeThreshold({ detector: "dev/shop", key: "latency_ms", to: 120_000, by: "ana", decisionId: null, reason: "by hand", at: now() - MIN });
    const outcome = await loop.handle(falseAlarm(now()));
    expect(outcome).toMatchObject({ status: "refused", steps: [{ action: "adjust_threshold", status: "refused", reason: expect.stringContaining("already at its max") as unknown }] });
    expect(await store.healing.getDecision(outcome.decisionId!)).toMatchObject({ status: "refused" });
    expect(await store.remedies.listThresholdChanges()).toHaveLength(1);
  });
});

describe("heal loop: adjust_threshold verified on a real target", () => {
  // A real local deploy target whose /health answers 400 ms late (its / at once): a raised latency
  // threshold is judged by GETting the URL the detector probed, so a raise that covers the
  // slowness heals and one that does not fails.
  let root: string;
  let target: DeployTarget;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "pitstop-threshold-verify-"));
    const app = await writeApp(path.join(root, "slow"), { healthDelayMs: 400 });
    target = createLocalDeployTarget({ dataDir: path.join(root, "data"), environment: "dev", port: await freePort(), health: { retries: 40, intervalMs: 100, timeoutMs: 2000 }, stopGraceMs: 1000 });
    expect((await target.deploy({ id: "1", sourceDir: app, start: "node server.mjs", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } })).ok).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await target?.stop();
    await killAll(path.join(root, "data"));
    await rm(root, { recursive: true, force: true });
  });

  const latencyPolicy = (): PolicyFile => {
    const file = defaultPolicyFile();
    return { ...file, dev: { ...file.dev, policy: "rules", cooldownMs: 0, budgets: { ...file.dev.budgets, backoffMs: 0 }, rules: { ...file.dev.rules, latency: ["adjust_threshold"] } } };
  };
  /** A latency event as the uptime monitor raises it: the URL it probed is in the evidence. */
  const latency = async (subject: string, urlPath: string): Promise<HealEvent> => ({ kind: "latency", environment: "dev", target: subject, at: Date.now(), evidence: { latencyMs: 1000, url: `${(await target.status()).url!}${urlPath}` } });

  it("heals when the app answers within the raised bound", async () => {
    const { store, loop } = await createLoopFixture((env) => (env === "dev" ? target : null), { policyFile: latencyPolicy() });
    stores.push(store);
    await store.remedies.changeThreshold({ detector: "dev/slow", key: "latency_ms", to: 1000, by: "ana", decisionId: null, reason: "test", at: Date.now() - MIN });
    const outcome = await loop.handle(await latency("dev/slow", "/health"));
    expect(outcome).toMatchObject({ status: "healed", steps: [{ action: "adjust_threshold", verdict: "healed" }] });
    expect(await store.remedies.getThreshold("dev/slow", "latency_ms")).toBe(1500);
    // Not inconclusive any more: a verdict a learning policy would train on.
    expect(await store.healing.getDecision(outcome.decisionId!)).toMatchObject({ status: "verified", verdict: "healed" });
  }, 30_000);

  it("fails while the raised bound is still below the app's answers, raising again until the tries run out", async () => {
    const { store, loop } = await createLoopFixture((env) => (env === "dev" ? target : null), { policyFile: latencyPolicy() });
    stores.push(store);
    await store.remedies.changeThreshold({ detector: "dev/fast", key: "latency_ms", to: 100, by: "ana", decisionId: null, reason: "test", at: Date.now() - MIN });
    const outcome = await loop.handle(await latency("dev/fast", "/health"));
    expect(outcome.steps.map((s) => [s.action, s.verdict])).toEqual([
      ["adjust_threshold", "failed"],
      ["adjust_threshold", "failed"],
      ["adjust_threshold", "failed"],
      ["escalate", null],
    ]);
    expect(outcome.status).toBe("escalated");
    // 100 → 150 → 225 → 338: every step recorded, none reaching the 400 ms the app takes.
    expect((await store.remedies.listThresholdChanges({ detector: "dev/fast", key: "latency_ms" })).map((c) => c.to)).toEqual([338, 225, 150, 100]);
  }, 60_000);

  it("judges the URL the detector probed, not the deploy target's health checks", async () => {
    const { store, loop } = await createLoopFixture((env) => (env === "dev" ? target : null), { policyFile: latencyPolicy() });
    stores.push(store);
    await store.remedies.changeThreshold({ detector: "dev/page", key: "latency_ms", to: 100, by: "ana", decisionId: null, reason: "test", at: Date.now() - MIN });
    // The page answers at once although /health takes 400 ms: 150 ms is enough for what was watched.
    const outcome = await loop.handle(await latency("dev/page", "/"));
    expect(outcome).toMatchObject({ status: "healed", steps: [{ action: "adjust_threshold", verdict: "healed" }] });
    expect(await store.remedies.getThreshold("dev/page", "latency_ms")).toBe(150);
  }, 30_000);
});
