import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliInProcess, type CliResult } from "../../e2e/cli.js";
import { defaultPolicyFile } from "../../../src/core/healing/default-policy.js";
import type { PolicyFile } from "../../../src/core/healing/environment-policy.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import type { HealEvent } from "../../../src/healing/loop/heal-types.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import type { Store } from "../../../src/store/port.js";
import { silentLogger } from "../../../src/core/logger.js";
import { createAuditLog } from "../../../src/healing/audit/create-audit-log.js";
import { createHealLoop } from "../../../src/healing/loop/create-heal-loop.js";
import { createScriptedTarget } from "../loop/scripted-target.js";

// The circuit breaker's manual reset (`pitstop breaker reset`) through the real CLI, on a SQLite
// data dir that a real heal loop writes to: the breaker opens after its quota, the loop then only
// escalates, and after a reset by a person (audited) it acts again.

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "pitstop-breaker-cli-"));
  store = await createSqliteStore({ file: path.join(dir, "pitstop.db") });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]): Promise<CliResult> => runCliInProcess(["--data-dir", dir, ...args], { cwd: dir, env: { USER: "tester" } });

/** Stage with a breaker that opens after one remediation per hour, and no cooldown in the way. */
function oneActionBreaker(): PolicyFile {
  const file = defaultPolicyFile();
  return { ...file, stage: { ...file.stage, cooldownMs: 0, circuitBreaker: { maxActions: 1, windowMs: 60 * 60_000 } } };
}

describe("pitstop breaker", () => {
  it("shows an open breaker, refuses a reset without one, resets it by hand (audited), and the loop acts again", async () => {
    const target = createScriptedTarget({ healthyAfter: ["restart"] });
    // The loop writes into the CLI's data dir.
    let n = 0;
    const loop = createHealLoop({
      store, audit: createAuditLog({ store: store.audit, now: Date.now }), policyFile: oneActionBreaker(), targets: (env) => (env === "stage" ? target : null),
      now: Date.now, newId: () => `id-${++n}`, log: silentLogger, verify: { windowMs: 300, probeIntervalMs: 100, minSamples: 3 },
    });
    const crash = (app: string): HealEvent => ({ kind: "crash", environment: "stage", target: `stage/${app}`, at: Date.now(), evidence: {} });

    expect((await cli(["breaker", "reset", "--env", "stage"])).stdout).toMatch(/the breaker of stage is closed; nothing to reset/);
    expect(await loop.handle(crash("a"))).toMatchObject({ status: "healed" });
    target.fail();
    expect(await loop.handle(crash("b"))).toMatchObject({ status: "escalated", steps: [{ action: "escalate" }] });

    const status = await cli(["breaker"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^stage\s+OPEN\s/m);
    expect(status.stdout).toMatch(/pitstop breaker reset --env stage/);
    expect(JSON.parse((await cli(["breaker", "--json"])).stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ environment: "stage", tripped: true })]));

    expect((await cli(["breaker", "reset", "--env", "qa"])).code).toBe(2);
    expect((await cli(["breaker", "reset", "--env", "stage", "--by", ""])).code).toBe(2);
    expect((await store.healing.getBreaker("stage")).tripped).toBe(true);
    const reset = await cli(["breaker", "reset", "--env", "stage", "--by", "ana"]);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/reset the breaker of stage/);
    expect(await store.healing.getBreaker("stage")).toMatchObject({ tripped: false, resetBy: "ana" });

    target.fail();
    expect(await loop.handle(crash("c"))).toMatchObject({ status: "healed", steps: [{ action: "restart" }] });
    const records = await store.audit.list({});
    expect(records.filter((r) => r.type === "BREAKER_RESET")).toMatchObject([{ actor: "user:ana", subject: { env: "stage" } }]);
    expect(records.some((r) => r.type === "BREAKER_TRIPPED")).toBe(true);
    expect(verifyChain(records).ok).toBe(true);
  });
});
