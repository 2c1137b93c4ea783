import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAppHealLoop } from "../../../src/app/heal-setup.js";
import { silentLogger } from "../../../src/core/logger.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import type { Store } from "../../../src/store/port.js";
import { runCli } from "../../e2e/cli.js";

const FLAKY = "checkout > pays with a saved card";
const DAY = 24 * 60 * 60 * 1000;

/**
 * pitstop decisions / decision / approve / incidents / quarantine through the built CLI, on a real
 * SQLite data dir. The waiting decision is made by the real heal loop over the same data dir.
 */
describe("decision, approval and quarantine commands", () => {
  let dir: string;
  let store: Store;
  const cli = (args: string[], env: Record<string, string> = {}) => runCli([...args, "--data-dir", dir], { cwd: dir, env });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "pitstop-decision-cli-"));
    store = await createSqliteStore({ file: path.join(dir, "pitstop.db") });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A prod flaky-test incident: the loop picks quarantine_test (risky) and waits for an approval. */
  async function waitingQuarantine(requestedBy: string): Promise<{ decisionId: string; incidentId: string }> {
    await store.remedies.recordRerun({ testId: FLAKY, passed: true, at: Date.now() - 60_000 });
    const loop = await createAppHealLoop({ store, dataDir: dir, log: silentLogger, pipelines: null });
    const outcome = await loop.handle({ kind: "flaky_test", environment: "prod", target: "prod/shop", at: Date.now(), evidence: { testId: FLAKY } }, { requestedBy });
    expect(outcome).toMatchObject({ status: "awaiting_approval", steps: [{ action: "quarantine_test", status: "awaiting_approval" }] });
    return { decisionId: outcome.decisionId!, incidentId: outcome.incidentId };
  }

  it("decisions lists newest first and --pending gives the approve command", async () => {
    const empty = await cli(["decisions"]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toMatch(/no healing decisions yet/);
    const { decisionId } = await waitingQuarantine("alice");

    const list = await cli(["decisions"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+WHEN\s+ENV\s+INCIDENT\s+ACTION\s+STATUS\s+VERDICT\s+REQUESTED BY\s+APPROVED BY$/m);
    expect(list.stdout).toMatch(new RegExp(`^${decisionId.slice(0, 8)}\\s+\\S+ \\S+\\s+prod\\s+flaky_test\\s+quarantine_test\\s+awaiting_approval\\s+-\\s+alice\\s+-$`, "m"));
    expect((await cli(["decisions", "--env", "stage"])).stdout).toMatch(/no healing decisions in stage yet/);
    const json = JSON.parse((await cli(["decisions", "--json"])).stdout) as Array<{ id: string; status: string }>;
    expect(json).toMatchObject([{ id: decisionId, status: "awaiting_approval" }]);

    const pending = await cli(["decisions", "--pending"]);
    expect(pending.code, pending.stderr).toBe(0);
    expect(pending.stdout).toMatch(/1 decision awaiting approval/);
    expect(pending.stdout).toContain(`pitstop approve ${decisionId}`);
    expect(pending.stdout).toContain(`test ${FLAKY}`);
    expect((await cli(["decisions", "--pending", "--env", "stage"])).stdout).toMatch(/no decision awaits an approval in stage/);
    expect((await cli(["decisions", "--env", "staging"])).code).toBe(2);
    expect((await cli(["decisions", "--limit", "0"])).code).toBe(2);
  });

  it("decision explains one decision: candidates, masks, exploit, the rules' pick, approval and feedback", async () => {
    const { decisionId } = await waitingQuarantine("alice");
    await store.healing.addFeedback({ decisionId, at: Date.now(), by: "ana", verdict: "reject", note: "fix the test instead" });
    const show = await cli(["decision", decisionId.slice(0, 8)]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`decision ${decisionId}`);
    expect(show.stdout).toMatch(/action:\s+quarantine_test on test checkout > pays with a saved card in prod/);
    expect(show.stdout).toMatch(/policy:\s+q-learning in mode exploit; exploit: the policy's best, propensity 1\.00/);
    expect(show.stdout).toMatch(/the fixed rules would have chosen quarantine_test \(the same\)/);
    expect(show.stdout).toMatch(/^\s+quarantine_test\s+0\.000\s+0\s+← chosen$/m);
    expect(show.stdout).toMatch(/^\s+rerun_failed_tests\s+precondition\s+precondition: no failed job to rerun tests in$/m);
    expect(show.stdout).toMatch(/approval:\s+requested by alice at .*; not approved yet/);
    expect(show.stdout).toMatch(/ana: reject \(fix the test instead\)/);
    expect(show.stdout).toContain(`pitstop approve ${decisionId}`);
    const shown = JSON.parse((await cli(["decision", decisionId, "--json"])).stdout) as { decision: { id: string }; incident: { kind: string }; feedback: unknown[] };
    expect(shown).toMatchObject({ decision: { id: decisionId }, incident: { kind: "flaky_test" }, feedback: [{ by: "ana", verdict: "reject" }] });

    const unknown = await cli(["decision", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no decision matches "nope".*pitstop decisions/);
  });

  it("approve by someone else runs the decision; the requester, an unknown id and a second approval are refused with exit 2", async () => {
    const { decisionId, incidentId } = await waitingQuarantine("alice");

    const own = await cli(["approve", decisionId, "--by", " Alice"]);
    expect(own.code).toBe(2);
    expect(own.stderr).toMatch(/approval refused \(APPROVAL_INVALID\): .*approving your own request is not allowed/);
    const ownByUser = await cli(["approve", decisionId], { USER: "alice" });
    expect(ownByUser.code).toBe(2);
    expect(ownByUser.stderr).toMatch(/APPROVAL_INVALID/);
    expect((await store.healing.getDecision(decisionId))?.status).toBe("awaiting_approval");
    expect(await store.remedies.listQuarantine()).toEqual([]);

    const unknown = await cli(["approve", "0000dead", "--by", "bob"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/DECISION_NOT_FOUND.*0000dead.*pitstop decisions/);

    const ok = await cli(["approve", decisionId.slice(0, 8)], { USER: "bob" });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`approved decision ${decisionId} (quarantine_test on test ${FLAKY} in prod) by bob; requested by alice`);
    expect(ok.stdout).toMatch(/1\. quarantine_test on test .*: executed, verdict inconclusive \(no job to rerun with the quarantine in force\)/);
    expect(ok.stdout).toContain(`incident ${incidentId}: inconclusive`);
    expect(await store.healing.getDecision(decisionId)).toMatchObject({ status: "verified", verdict: "inconclusive", approvedBy: "bob" });
    expect(await store.healing.getIncident(incidentId)).toMatchObject({ status: "inconclusive" });
    expect(await store.remedies.listQuarantine({ activeAt: Date.now() })).toMatchObject([{ testId: FLAKY, by: "system", decisionId }]);

    const again = await cli(["approve", decisionId, "--by", "carol"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/APPROVAL_INVALID.*it is verified, not awaiting an approval/);

    const records = await store.audit.list({});
    const types = records.map((r) => r.type);
    expect(types.filter((t) => t === "ORCH_REFUSE")).toHaveLength(3);
    expect(types).toContain("APPROVAL_GRANTED");
    expect(types).toContain("ORCH_EXEC");
    expect(records.find((r) => r.type === "APPROVAL_GRANTED")?.actor).toBe("user:bob");
    expect(verifyChain(records).ok).toBe(true);

    const listed = await cli(["quarantine"]);
    expect(listed.stdout).toMatch(new RegExp(`^${FLAKY}\\s+flaky: passed on 1 of 1 reruns.*\\s+system\\s+.*ago.*\\s+in 6d23h .*\\s+${decisionId.slice(0, 8)}$`, "m"));
    const decisions = await cli(["decisions"]);
    expect(decisions.stdout).toMatch(/quarantine_test\s+verified\s+inconclusive\s+alice\s+bob$/m);
  });

  it("an approved action that the shield refuses when it comes to run exits 1 and stays unrun", async () => {
    const { decisionId } = await waitingQuarantine("system");
    // The breaker opened while the decision waited: approval does not bypass it.
    await store.healing.tripBreaker("prod", Date.now(), "too many actions");
    const r = await cli(["approve", decisionId, "--by", "bob"]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/1\. quarantine_test on test .*: refused \(circuit breaker open/);
    expect(r.stdout).toMatch(/: refused$/m);
    expect(await store.healing.getDecision(decisionId)).toMatchObject({ status: "refused", approvedBy: "bob" });
    expect(await store.remedies.listQuarantine()).toEqual([]);
  });

  it("lists incidents with filters", async () => {
    const { incidentId } = await waitingQuarantine("alice");
    const r = await cli(["incidents"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${incidentId.slice(0, 8)}\\s+\\S+ \\S+\\s+prod\\s+flaky_test\\s+test ${FLAKY}\\s+open\\s+-$`, "m"));
    expect((await cli(["incidents", "--status", "open", "--env", "prod"])).stdout).toContain(incidentId.slice(0, 8));
    expect((await cli(["incidents", "--status", "healed"])).stdout).toMatch(/no incidents match/);
    expect(JSON.parse((await cli(["incidents", "--json", "--limit", "5"])).stdout)).toMatchObject([{ id: incidentId, status: "open" }]);
    const bad = await cli(["incidents", "--status", "closed"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--status "closed": use one of open, healed/);
  });

  it("quarantine add, list, release: expired entries hidden, every change audited", async () => {
    const add = await cli(["quarantine", "add", "cart > totals", "--for", "7d", "--reason", "flaky on CI since #12", "--by", "ana"]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^quarantined cart > totals for 7d, until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: it still runs/);
    const [entry] = await store.remedies.listQuarantine({ activeAt: Date.now() });
    expect(entry).toMatchObject({ testId: "cart > totals", by: "ana", reason: "flaky on CI since #12", decisionId: null });
    expect(entry!.expiresAt - entry!.createdAt).toBe(7 * DAY);
    const longer = await cli(["quarantine", "add", "cart > totals", "--for", "8d", "--reason", "still flaky"], { USER: "bob" });
    expect(longer.code, longer.stderr).toBe(0);
    expect(longer.stdout).toMatch(/was already in quarantine .*by ana: flaky on CI since #12\); it now expires in 8d0h \(/);

    const now = Date.now();
    await store.remedies.quarantineTest({ testId: "old > gone", reason: "expired yesterday", by: "system", decisionId: null, at: now - 2 * DAY, expiresAt: now - DAY });
    const list = await cli(["quarantine"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^TEST\s+REASON\s+BY\s+SINCE\s+EXPIRES\s+DECISION$/m);
    expect(list.stdout).toMatch(/^cart > totals\s+flaky on CI since #12\s+ana\s+\d+s ago \(.*\)\s+in 7d23h \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)\s+-$/m);
    expect(list.stdout).not.toContain("old > gone");
    const explicit = await cli(["quarantine", "list"]);
    expect(explicit.stdout).toContain("cart > totals");
    expect(explicit.stdout).not.toContain("old > gone");
    const all = await cli(["quarantine", "list", "--all"]);
    expect(all.stdout).toMatch(/^old > gone\s+expired yesterday\s+system\s+2d0h ago .*\s+1d0h ago .*\s+-\s+expired$/m);
    expect((await cli(["quarantine", "--all"])).stdout).toContain("old > gone");
    expect(JSON.parse((await cli(["quarantine", "--json"])).stdout)).toMatchObject([{ testId: "cart > totals" }]);

    const release = await cli(["quarantine", "release", "cart > totals", "--by", "bob"]);
    expect(release.code, release.stderr).toBe(0);
    expect(release.stdout).toMatch(/released cart > totals from quarantine/);
    expect((await store.remedies.listQuarantine({ activeAt: Date.now() })).map((q) => q.testId)).not.toContain("cart > totals");
    for (const id of ["cart > totals", "old > gone", "never > there"]) {
      const r = await cli(["quarantine", "release", id]);
      expect(r.code, id).toBe(2);
      expect(r.stderr).toMatch(/is not in quarantine \(never quarantined, already released or expired\)/);
    }

    const records = await store.audit.list({});
    expect(records.map((r) => [r.type, r.actor, r.subject["testId"]])).toEqual([
      ["QUARANTINE_ADDED", "user:ana", "cart > totals"],
      ["QUARANTINE_ADDED", "user:bob", "cart > totals"],
      ["QUARANTINE_RELEASED", "user:bob", "cart > totals"],
    ]);
    expect(records[1]!.data).toMatchObject({ alreadyQuarantined: true, quarantinedBy: "ana", durationMs: 8 * DAY });
    expect(records[2]!.data).toMatchObject({ reason: "flaky on CI since #12", quarantinedBy: "ana" });
    expect(verifyChain(records).ok).toBe(true);
  });

  it("quarantine add refuses durations outside 1m..90d, an empty test id or reason; nothing is stored or audited then", async () => {
    for (const [args, message] of [
      [["--for", "30s"], /--for "30s" is 30s: a quarantine lasts at least 1m and at most 90d/],
      [["--for", "91d"], /--for "91d" is 91d: a quarantine lasts at least 1m and at most 90d/],
      [["--for", "soon"], /--for "soon": not a duration/],
      [["--for", "1h", "--reason", "  "], /--reason is empty/],
      // The name becomes the audit actor: refused before anything is written, not after the store change.
      [["--for", "1h", "--by", ""], /--by "": give a name of 1 to 200 printable characters/],
      [["--for", "1h", "--by", "ana\nbob"], /--by "ana\\nbob": give a name of 1 to 200 printable characters/],
    ] as const) {
      const r = await cli(["quarantine", "add", "cart > more", "--reason", "why", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const empty = await cli(["quarantine", "add", "  ", "--for", "1h", "--reason", "why"]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/test id is empty/);
    expect((await cli(["quarantine", "add", "cart > more", "--for", "1h"])).code).toBe(2);
    expect(await store.remedies.listQuarantine()).toEqual([]);
    expect(await store.audit.list({})).toEqual([]);
    expect((await cli(["quarantine", "add", "cart > edge", "--for", "1m", "--reason", "shortest"])).code).toBe(0);
    expect((await cli(["quarantine", "add", "cart > edge2", "--for", "89d24h", "--reason", "longest"], { USER: "dora" })).code).toBe(0);
    const stored = await store.remedies.listQuarantine();
    expect(stored.map((q) => [q.testId, q.by, q.expiresAt - q.createdAt])).toEqual([
      ["cart > edge2", "dora", 90 * DAY],
      ["cart > edge", "unknown", 60_000],
    ]);
    expect((await store.audit.list({})).map((r) => [r.type, r.actor])).toEqual([
      ["QUARANTINE_ADDED", "user:unknown"],
      ["QUARANTINE_ADDED", "user:dora"],
    ]);
  });

  it("flaky lists the flake history, most flakes first, with whether each test is in quarantine", async () => {
    expect((await cli(["flaky"])).stdout).toMatch(/no test has flaked yet/);
    const now = Date.now();
    for (const [testId, passed] of [["cart > totals", true], ["cart > totals", true], ["cart > tax", false], ["cart > tax", true]] as const) {
      await store.remedies.recordRerun({ testId, passed, at: now });
    }
    await store.remedies.quarantineTest({ testId: "cart > totals", reason: "flaky", by: "system", decisionId: null, at: now, expiresAt: now + DAY });
    const r = await cli(["flaky"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cart > totals\s+2 of 2\s+.*\byes$/m);
    expect(r.stdout).toMatch(/^cart > tax\s+1 of 2\s+.*\bno$/m);
    expect(r.stdout.indexOf("cart > totals")).toBeLessThan(r.stdout.indexOf("cart > tax"));
    expect(JSON.parse((await cli(["flaky", "--json", "-n", "1"])).stdout)).toMatchObject([{ testId: "cart > totals", flakes: 2, runs: 2, quarantined: true }]);
    expect((await cli(["flaky", "-n", "0"])).code).toBe(2);
  });
});
