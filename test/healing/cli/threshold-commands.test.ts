import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliInProcess, type CliResult } from "../../e2e/cli.js";
import { defaultPolicyFile } from "../../../src/core/healing/default-policy.js";
import { silentLogger } from "../../../src/core/logger.js";
import { createAuditLog } from "../../../src/healing/audit/create-audit-log.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import { createHealLoop } from "../../../src/healing/loop/create-heal-loop.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import type { Store } from "../../../src/store/port.js";

// `pitstop thresholds [list|set|revert]` through commander with the CLI's real program (global
// --data-dir) and main.ts's exit codes (USAGE → 2), on a real SQLite data dir that a real heal
// loop also writes to.

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "pitstop-threshold-cli-"));
  store = await createSqliteStore({ file: path.join(dir, "pitstop.db") });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** The real CLI in this process on the test's data dir. */
function cli(args: string[]): Promise<CliResult> {
  return runCliInProcess(["--data-dir", dir, ...args], { cwd: dir, env: { USER: "tester" } });
}

/** A false alarm on stage/shop handled by a real loop whose stage rules pick adjust_threshold. */
async function loopRaisesThreshold(): Promise<string> {
  const file = defaultPolicyFile();
  const policyFile = { ...file, stage: { ...file.stage, policy: "rules" as const, rules: { ...file.stage.rules, false_alarm: ["adjust_threshold" as const] } } };
  let n = 0;
  const loop = createHealLoop({
    store, audit: createAuditLog({ store: store.audit, now: Date.now }), policyFile, targets: () => null, now: Date.now, newId: () => `loop-${++n}`,
    log: silentLogger, verify: { windowMs: 100, probeIntervalMs: 50, minSamples: 1 },
  });
  const outcome = await loop.handle({ kind: "false_alarm", environment: "stage", target: "stage/shop", at: Date.now(), evidence: {} });
  expect(outcome).toMatchObject({ status: "inconclusive", steps: [{ action: "adjust_threshold" }] });
  return outcome.decisionId!;
}

describe("pitstop thresholds", () => {
  it("lists nothing changed, then the loop's change with its decision, as text and JSON", async () => {
    const empty = await cli(["thresholds"]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe("no threshold changes: every detector uses its defaults (latency_ms 24000 ms, cpu_percent 90 %)\n");

    const decisionId = await loopRaisesThreshold();
    const list = await cli(["thresholds"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^DETECTOR\s+KEY\s+VALUE\s+DEFAULT\s+BOUNDS\s+SINCE\s+BY$/m);
    expect(list.stdout).toMatch(/^stage\/shop\s+latency_ms\s+36000 ms\s+24000\s+100\.\.120000 ms\s+\S+ \S+\s+system$/m);
    expect(list.stdout).toMatch(new RegExp(`^1\\s+\\S+ \\S+\\s+stage/shop\\s+latency_ms\\s+default \\(24000 ms\\)\\s+36000 ms\\s+system \\(decision ${decisionId.slice(0, 8)}\\)\\s+false_alarm incident`, "m"));

    const json = JSON.parse((await cli(["thresholds", "--json"])).stdout) as { defaults: unknown[]; current: unknown[]; changes: unknown[] };
    expect(json.defaults).toHaveLength(2);
    expect(json.current).toEqual([{ detector: "stage/shop", key: "latency_ms", value: 36_000, default: 24_000, min: 100, max: 120_000, changedAt: expect.any(Number) as unknown, by: "system", decisionId }]);
    expect(json.changes).toMatchObject([{ id: 1, from: null, to: 36_000, decisionId }]);
    expect(JSON.parse((await cli(["thresholds", "list", "--json", "--detector", "stage/other"])).stdout)).toMatchObject({ current: [], changes: [] });
  });

  it("sets within bounds, reverts the last change (a new change row) and audits both", async () => {
    const set = await cli(["thresholds", "set", "stage/shop", "cpu_percent", "95", "--by", "ana", "--reason", "batch jobs at night"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe("cpu_percent of stage/shop: default (90 %) → 95 % (bounds 10..100 %); undo with `pitstop thresholds revert stage/shop cpu_percent`\n");
    expect(await store.remedies.getThreshold("stage/shop", "cpu_percent")).toBe(95);
    const same = await cli(["thresholds", "set", "stage/shop", "cpu_percent", "95"]);
    expect(same.stdout).toMatch(/already 95 %: nothing changed/);
    expect(await cli(["thresholds", "set", "stage/shop", "cpu_percent", "80"])).toMatchObject({ code: 0 });

    const revert = await cli(["thresholds", "revert", "stage/shop", "cpu_percent", "--by", "bo"]);
    expect(revert.code, revert.stderr).toBe(0);
    expect(revert.stdout).toBe("cpu_percent of stage/shop: 80 % → 95 % (reverted change 2 by tester)\n");
    expect(await store.remedies.getThreshold("stage/shop", "cpu_percent")).toBe(95);

    const changes = await store.remedies.listThresholdChanges({ detector: "stage/shop" });
    expect(changes.map((c) => [c.id, c.from, c.to, c.by, c.reason])).toEqual([
      [3, 80, 95, "bo", "revert of change 2 by bo"],
      [2, 95, 80, "tester", "set by tester"],
      [1, null, 95, "ana", "batch jobs at night"],
    ]);
    const audit = await store.audit.list();
    expect(audit.map((r) => [r.type, r.actor])).toEqual([
      ["THRESHOLD_SET", "user:ana"],
      ["THRESHOLD_SET", "user:tester"],
      ["THRESHOLD_REVERTED", "user:bo"],
    ]);
    expect(audit[2]).toMatchObject({ subject: { detector: "stage/shop", key: "cpu_percent" }, data: { changeId: 3, revertedChangeId: 2, from: 80, to: 95 } });
    expect(verifyChain(audit).ok).toBe(true);

    // `default` goes back to the detector's default; the list then says so.
    expect(await cli(["thresholds", "set", "stage/shop", "cpu_percent", "default"])).toMatchObject({ code: 0 });
    expect(await store.remedies.getThreshold("stage/shop", "cpu_percent")).toBeNull();
    expect((await cli(["thresholds"])).stdout).toMatch(/^every detector is back at its defaults$/m);
  });

  it("reverts the loop's change back to the default", async () => {
    const decisionId = await loopRaisesThreshold();
    const revert = await cli(["thresholds", "revert", "stage/shop", "latency_ms"]);
    expect(revert.code, revert.stderr).toBe(0);
    expect(revert.stdout).toBe("latency_ms of stage/shop: 36000 ms → default (24000 ms) (reverted change 1 by system)\n");
    expect(await store.remedies.getThreshold("stage/shop", "latency_ms")).toBeNull();
    const reverted = (await store.audit.list()).find((r) => r.type === "THRESHOLD_REVERTED");
    expect(reverted).toMatchObject({ actor: "user:tester", subject: { detector: "stage/shop", key: "latency_ms", decisionId }, data: { from: 36_000, to: null } });
  });

  it("refuses bad input with exit 2, naming bounds and suggesting keys and detectors; nothing is stored", async () => {
    const low = await cli(["thresholds", "set", "stage/shop", "latency_ms", "50"]);
    expect(low).toMatchObject({ code: 2, stderr: "pitstop: latency_ms 50 is outside its bounds 100..120000 ms\n" });
    const high = await cli(["thresholds", "set", "stage/shop", "cpu_percent", "150"]);
    expect(high).toMatchObject({ code: 2, stderr: expect.stringContaining("10..100 %") as unknown });
    const fraction = await cli(["thresholds", "set", "stage/shop", "latency_ms", "250.5"]);
    expect(fraction).toMatchObject({ code: 2, stderr: expect.stringContaining("whole number within 100..120000 ms") as unknown });
    const word = await cli(["thresholds", "set", "stage/shop", "latency_ms", "fast"]);
    expect(word).toMatchObject({ code: 2, stderr: expect.stringContaining('latency_ms "fast" is not a number') as unknown });
    const typo = await cli(["thresholds", "set", "stage/shop", "latncy_ms", "500"]);
    expect(typo).toMatchObject({ code: 2, stderr: "pitstop: unknown threshold `latncy_ms` (did you mean `latency_ms`? valid: `latency_ms`, `cpu_percent`)\n" });
    expect((await cli(["thresholds", "revert", "stage/shop", "cpu_prcent"])).stderr).toMatch(/did you mean `cpu_percent`/);
    expect((await cli(["thresholds", "set", " ", "latency_ms", "500"])).code).toBe(2);
    expect((await cli(["thresholds", "set", "stage/shop", "latency_ms"])).code).toBe(2);
    expect((await cli(["thresholds", "--limit", "0"])).code).toBe(2);
    expect(await store.remedies.listThresholdChanges()).toEqual([]);

    await loopRaisesThreshold();
    const never = await cli(["thresholds", "revert", "stage/shp", "latency_ms"]);
    expect(never).toMatchObject({ code: 2, stderr: expect.stringContaining("latency_ms of detector stage/shp was never changed: nothing to revert (did you mean `stage/shop`?") as unknown });
    expect(await store.remedies.listThresholdChanges()).toHaveLength(1);
    expect((await store.audit.list()).filter((r) => r.type.startsWith("THRESHOLD_"))).toEqual([]);
  });
});
