import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QLearningState } from "../../../src/core/healing/policies/q-learning.js";
import { createLocalDeployTarget } from "../../../src/deploy/adapters/local/local-target.js";
import type { DeployRelease, DeployTarget } from "../../../src/deploy/port.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import type { Store } from "../../../src/store/port.js";
import { freePort, killAll, writeApp } from "../../deploy/helpers/fixture-app.js";
import { createLoopFixture, killWorker, writeFlagApp } from "./loop-fixture.js";

// The loop over real local deploy targets (supervisor, proxy, worker processes): a crash is
// healed by a restart, a release that turns bad by a rollback, and prod's rollback waits for a
// second person while a crash is still healed.

let root: string;
let dataDir: string;
let flag: string;
let stage: DeployTarget;
let prod: DeployTarget;
const stores: Store[] = [];

const FAST_HEALTH = { retries: 40, intervalMs: 100, timeoutMs: 1000 };
const release = (id: string, dir: string): DeployRelease => ({ id, sourceDir: dir, start: "node server.mjs", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BAD_FLAG: flag } });
const types = async (store: Store): Promise<string[]> => (await store.audit.list()).map((r) => r.type);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-heal-loop-"));
  dataDir = path.join(root, "data");
  flag = path.join(root, "bad.flag");
  const good = await writeApp(path.join(root, "good"), { greeting: "good" });
  const turnsBad = await writeFlagApp(path.join(root, "turns-bad"));
  stage = createLocalDeployTarget({ dataDir, environment: "stage", port: await freePort(), health: FAST_HEALTH, stopGraceMs: 1000 });
  prod = createLocalDeployTarget({ dataDir, environment: "prod", port: await freePort(), health: FAST_HEALTH, stopGraceMs: 1000 });
  for (const t of [stage, prod]) {
    expect((await t.deploy(release("1", good))).ok).toBe(true);
    expect((await t.deploy(release("2", turnsBad))).ok).toBe(true);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([stage?.stop(), prod?.stop()]);
  await killAll(dataDir);
  await Promise.all(stores.map((s) => s.close()));
  await rm(root, { recursive: true, force: true });
});

describe("heal loop: stage, real local target", () => {
  it("heals a crash by restart and a bad release by rollback, learns, and the audit chain verifies", async () => {
    const { store, loop } = await createLoopFixture((env) => (env === "stage" ? stage : null));
    stores.push(store);

    const killed = await killWorker(stage);
    const crash = await loop.handle({ kind: "crash", environment: "stage", target: "stage/shop", at: Date.now(), evidence: { pid: killed } });
    expect(crash).toMatchObject({ status: "healed", steps: [{ action: "restart", status: "executed", verdict: "healed" }] });
    expect((await stage.health()).healthy).toBe(true);
    const table = (await store.healing.getPolicyState("stage"))?.state as QLearningState;
    expect(table.table["crash"]?.restart).toMatchObject({ n: 1 });
    expect(table.table["crash"]!.restart!.q).toBeGreaterThan(0);
    expect(await store.healing.getIncident(crash.incidentId)).toMatchObject({ status: "healed" });

    await writeFile(flag, "bad");
    try {
      const bad = await loop.handle({ kind: "deploy_unhealthy", environment: "stage", target: "stage/shop", at: Date.now(), evidence: {} });
      expect(bad).toMatchObject({ status: "healed", steps: [{ action: "rollback", verdict: "healed" }] });
      expect((await stage.status()).current?.id).toBe("1");
    } finally {
      await rm(flag, { force: true });
    }

    const records = await store.audit.list();
    expect(verifyChain(records)).toMatchObject({ ok: true, count: records.length });
    expect(await types(store)).toEqual(expect.arrayContaining(["RUNTIME_EMIT", "INCIDENT_OPENED", "RL_DECISION", "ORCH_EXEC", "ACTION_VERIFIED", "SYSTEM_STABLE"]));
    const decision = records.find((r) => r.type === "RL_DECISION")!.data["decision"] as Record<string, unknown>;
    expect(decision).toMatchObject({ chosen: "restart", environment: "stage", mode: "deterministic" });
    expect(decision["candidates"]).toEqual(expect.any(Array));
  }, 60_000);
});

describe("heal loop: prod approvals, real local target", () => {
  it("waits for another person's approval of a rollback while a crash is still healed by restart", async () => {
    const { store, loop } = await createLoopFixture((env) => (env === "prod" ? prod : null));
    stores.push(store);

    const bad = await loop.handle({ kind: "deploy_unhealthy", environment: "prod", target: "prod/shop", at: Date.now(), evidence: {} }, { requestedBy: "alice" });
    expect(bad).toMatchObject({ status: "awaiting_approval", steps: [{ action: "rollback", status: "awaiting_approval" }] });
    expect((await prod.status()).current?.id).toBe("2");
    expect(await store.healing.listPendingApprovals("prod")).toHaveLength(1);

    // Waiting for an approval never switches off automatic protection.
    await killWorker(prod);
    const crash = await loop.handle({ kind: "crash", environment: "prod", target: "prod/shop", at: Date.now(), evidence: {} });
    expect(crash).toMatchObject({ status: "healed", steps: [{ action: "restart", verdict: "healed" }] });
    expect((await prod.health()).healthy).toBe(true);
    expect((await prod.status()).current?.id).toBe("2");

    await expect(loop.approve(bad.decisionId!, "alice")).rejects.toMatchObject({ code: "APPROVAL_INVALID" });
    expect((await prod.status()).current?.id).toBe("2");
    const approved = await loop.approve(bad.decisionId!, "bob");
    expect(approved).toMatchObject({ status: "healed", steps: [{ action: "rollback", verdict: "healed" }] });
    expect((await prod.status()).current?.id).toBe("1");
    expect(await store.healing.getDecision(bad.decisionId!)).toMatchObject({ status: "verified", verdict: "healed", approvedBy: "bob" });

    const records = await store.audit.list();
    expect(verifyChain(records).ok).toBe(true);
    const refused = records.find((r) => r.type === "ORCH_REFUSE");
    expect(refused).toMatchObject({ actor: "user:alice", data: { approval: "refused" } });
    expect(await types(store)).toEqual(expect.arrayContaining(["APPROVAL_REQUESTED", "APPROVAL_GRANTED"]));
    const decisions = records.filter((r) => r.type === "RL_DECISION").map((r) => r.data["decision"] as { mode: string; explore: boolean });
    expect(decisions.every((d) => d.mode === "exploit" && !d.explore)).toBe(true);
  }, 60_000);
});
