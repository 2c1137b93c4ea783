import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createIncident } from "../../../src/core/healing/incident.js";
import { decide } from "../../../src/core/healing/decide.js";
import { defaultPolicyFile } from "../../../src/core/healing/default-policy.js";
import { qUpdate, emptyQTable } from "../../../src/core/healing/policies/q-learning.js";
import { createRng } from "../../../src/core/healing/rng.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import type { Store } from "../../../src/store/port.js";
import { runCli } from "../../e2e/cli.js";

/** pitstop qtable and pitstop feedback through the built CLI, on a real SQLite data dir. */
describe("qtable and feedback commands", () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "pitstop-healing-cli-"));
    store = await createSqliteStore({ file: path.join(dir, "pitstop.db") });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("qtable prints learned values per failure type × action, and says so when empty", async () => {
    const empty = await runCli(["qtable", "--env", "stage", "--data-dir", dir], { cwd: dir });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/no learned values for stage yet/);
    let state = emptyQTable();
    state = qUpdate(state, { alpha: 0.5, gamma: 0.9 }, { problem: "crash", action: "restart", reward: 1, next: null });
    state = qUpdate(state, { alpha: 0.5, gamma: 0.9 }, { problem: "crash", action: "rollback", reward: -1, next: null });
    await store.healing.savePolicyState("stage", state, 0);
    const r = await runCli(["qtable", "--env", "stage", "--data-dir", dir], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^crash\s.*0\.50 \(1\).*-0\.50 \(1\).*restart$/m);
    const json = JSON.parse((await runCli(["qtable", "--env", "stage", "--json", "--data-dir", dir], { cwd: dir })).stdout) as { version: number };
    expect(json.version).toBe(1);
    expect((await runCli(["qtable", "--env", "staging", "--data-dir", dir], { cwd: dir })).code).toBe(2);
  });

  it("qtable in a project whose default data dir learned nothing shows the last demo's table, labelled", async () => {
    const demoDir = path.join(dir, ".pitstop", "demo", "2026-01-01T00-00-00-000Z");
    await mkdir(demoDir, { recursive: true });
    await symlink(path.basename(demoDir), path.join(dir, ".pitstop", "demo", "latest"), "dir");
    const demoStore = await createSqliteStore({ file: path.join(demoDir, "pitstop.db") });
    await demoStore.migrate();
    await demoStore.healing.savePolicyState("stage", qUpdate(emptyQTable(), { alpha: 0.5, gamma: 0.9 }, { problem: "crash", action: "restart", reward: 1, next: null }), 0);
    await demoStore.close();
    const r = await runCli(["qtable"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/nothing learned in .*; showing the last `pitstop demo`'s table, from \.pitstop\/demo\/latest/);
    expect(r.stdout).toMatch(/^crash\s.*0\.50 \(1\).*restart$/m);
    // A named data dir is never swapped for the demo's.
    expect((await runCli(["qtable", "--data-dir", dir], { cwd: dir })).stdout).toMatch(/no learned values for stage yet/);
  });

  it("feedback is stored beside the decision and audited; an unknown decision is exit 2", async () => {
    const incident = createIncident({ kind: "crash", environment: "stage", deploy: { app: "app", workers: 1, maxWorkers: 3, hasPreviousHealthyRelease: true } });
    await store.healing.openIncident({ id: "i1", at: 1, environment: "stage", kind: "crash", target: null, signature: null, context: incident });
    const explanation = decide({ id: "d1", incident, policyFile: defaultPolicyFile(), policyState: null, shieldState: { now: 1, history: [], breaker: { tripped: false, resetAt: null }, pendingApprovals: [] }, rng: createRng(1) });
    await store.healing.saveDecision({ id: "d1", incidentId: "i1", at: 1, environment: "stage", action: explanation.chosen, target: explanation.target, explanation, status: "proposed", requestedBy: "system" });
    const r = await runCli(["feedback", "d1", "reject", "--note", "rollback would have been better", "--by", "ana", "--data-dir", dir], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(await store.healing.listFeedback("d1")).toMatchObject([{ verdict: "reject", by: "ana", note: "rollback would have been better" }]);
    expect((await store.healing.getDecision("d1"))?.status).toBe("proposed");
    const records = await store.audit.list({});
    expect(records.map((x) => x.type)).toEqual(["FEEDBACK"]);
    expect(verifyChain(records).ok).toBe(true);
    const unknown = await runCli(["feedback", "nope", "accept", "--data-dir", dir], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/nope/);
    expect((await runCli(["feedback", "d1", "maybe", "--data-dir", dir], { cwd: dir })).code).toBe(2);
    // A prefix of at least 4 characters, as `pitstop decision` and `approve` take.
    await store.healing.saveDecision({ id: "d2-long-decision-id", incidentId: "i1", at: 2, environment: "stage", action: explanation.chosen, target: explanation.target, explanation, status: "proposed", requestedBy: "system" });
    const byPrefix = await runCli(["feedback", "d2-l", "accept", "--by", "bo", "--data-dir", dir], { cwd: dir });
    expect(byPrefix.code, byPrefix.stderr).toBe(0);
    expect(await store.healing.listFeedback("d2-long-decision-id")).toMatchObject([{ verdict: "accept", by: "bo" }]);
  });
});
