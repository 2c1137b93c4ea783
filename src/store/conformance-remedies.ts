import { describe, expect, it } from "vitest";
import { ErrorCode, isPitstopError } from "../core/errors.js";
import type { NewQuarantine, NewThresholdChange, Store } from "./port.js";

const T0 = 1_700_000_000_000;
/** Unicode, both quote kinds, a backslash and an emoji outside the BMP: all must round-trip exactly. */
const ODD = `süite "ünïcode" > it's \\ ✓ 🚀 'x'`;

function quarantine(testId: string, at: number, expiresAt: number, over: Partial<NewQuarantine> = {}): NewQuarantine {
  return { testId, reason: "flaky: 3 flakes in 10 reruns", by: "system", decisionId: "d1", at, expiresAt, ...over };
}

function change(detector: string, key: string, to: number | null, at: number, over: Partial<NewThresholdChange> = {}): NewThresholdChange {
  return { detector, key, to, by: "system", decisionId: null, reason: "too many false alarms", at, ...over };
}

/** The RemedyStore contract (remedies-port.ts); called inside defineStoreConformance with its store. */
export function defineRemedyConformance(getStore: () => Store): void {
  describe("remedies", () => {
    defineQuarantineTests(getStore);
    defineFlakeTests(getStore);
    defineThresholdTests(getStore);
  });
}

function defineQuarantineTests(getStore: () => Store): void {
  it("quarantines a test and extends its active entry to the later expiry instead of adding one", async () => {
    const r = getStore().remedies;
    const first = await r.quarantineTest(quarantine("s > a", T0, T0 + 100));
    expect(first).toEqual({
      testId: "s > a", reason: "flaky: 3 flakes in 10 reruns", by: "system", decisionId: "d1",
      createdAt: T0, expiresAt: T0 + 100, releasedAt: null, releasedBy: null,
    });
    const extended = await r.quarantineTest(quarantine("s > a", T0 + 10, T0 + 200, { by: "alice", reason: "again", decisionId: null }));
    expect(extended).toEqual({ ...first, expiresAt: T0 + 200 });
    expect(await r.quarantineTest(quarantine("s > a", T0 + 20, T0 + 150))).toEqual(extended);
    expect(await r.listQuarantine()).toEqual([extended]);
    const other = await r.quarantineTest(quarantine("s > b", T0 + 5, T0 + 50, { decisionId: null, by: "bob" }));
    expect(other).toMatchObject({ testId: "s > b", by: "bob", decisionId: null, createdAt: T0 + 5 });
    expect(await r.listQuarantine()).toEqual([other, extended]);
    expect(await r.listQuarantine({ limit: 1 })).toEqual([other]);
  });

  it("starts a new entry once the old one expired, and lists the ones active at a time", async () => {
    const r = getStore().remedies;
    const old = await r.quarantineTest(quarantine("s > a", T0, T0 + 100));
    // Expiry is exclusive: at expiresAt the entry no longer counts.
    const renewed = await r.quarantineTest(quarantine("s > a", T0 + 100, T0 + 300, { reason: "still flaky" }));
    expect(renewed).toMatchObject({ createdAt: T0 + 100, expiresAt: T0 + 300, reason: "still flaky" });
    expect(await r.listQuarantine()).toEqual([renewed, old]);
    expect(await r.listQuarantine({ activeAt: T0 + 99 })).toEqual([renewed, old]);
    expect(await r.listQuarantine({ activeAt: T0 + 100 })).toEqual([renewed]);
    expect(await r.listQuarantine({ activeAt: T0 + 300 })).toEqual([]);
    expect(await r.listQuarantine({ activeAt: T0 + 100, limit: 0 })).toEqual([]);
  });

  it("releases only an active entry; none gives null; a later quarantine starts afresh", async () => {
    const r = getStore().remedies;
    expect(await r.releaseQuarantine("never", { by: "alice", at: T0 })).toBeNull();
    await r.quarantineTest(quarantine("expired", T0, T0 + 10));
    expect(await r.releaseQuarantine("expired", { by: "alice", at: T0 + 10 })).toBeNull();
    expect((await r.listQuarantine())[0]).toMatchObject({ testId: "expired", releasedAt: null, releasedBy: null });

    const entry = await r.quarantineTest(quarantine("s > a", T0, T0 + 1000));
    const released = await r.releaseQuarantine("s > a", { by: "alice", at: T0 + 50 });
    expect(released).toEqual({ ...entry, releasedAt: T0 + 50, releasedBy: "alice" });
    expect(await r.releaseQuarantine("s > a", { by: "bob", at: T0 + 60 })).toBeNull();
    expect(await r.listQuarantine({ activeAt: T0 + 60 })).toEqual([]);
    const again = await r.quarantineTest(quarantine("s > a", T0 + 70, T0 + 500));
    expect(again).toMatchObject({ createdAt: T0 + 70, expiresAt: T0 + 500, releasedAt: null });
    expect(await r.listQuarantine({ activeAt: T0 + 70 })).toEqual([again]);
    expect((await r.listQuarantine()).filter((q) => q.testId === "s > a")).toEqual([again, released]);
  });

  it("keeps one active entry per test under concurrent quarantines", async () => {
    const r = getStore().remedies;
    const expiries = [300, 100, 500, 200, 400, 250, 350, 150].map((d) => T0 + d);
    const results = await Promise.all(expiries.map((e, i) => r.quarantineTest(quarantine("s > race", T0 + i, e))));
    const active = await r.listQuarantine({ activeAt: T0 + 10 });
    expect(active).toHaveLength(1);
    expect(active[0]?.expiresAt).toBe(T0 + 500);
    for (const q of results) expect(q.createdAt).toBe(active[0]?.createdAt);
  });
}

function defineFlakeTests(getStore: () => Store): void {
  it("counts reruns and flakes per test; a test never rerun has no history", async () => {
    const r = getStore().remedies;
    expect(await r.getFlakeHistory("s > a")).toBeNull();
    expect(await r.recordRerun({ testId: "s > a", passed: false, at: T0 })).toEqual({ testId: "s > a", runs: 1, flakes: 0, lastFlakeAt: null, updatedAt: T0 });
    expect(await r.recordRerun({ testId: "s > a", passed: true, at: T0 + 10 })).toEqual({ testId: "s > a", runs: 2, flakes: 1, lastFlakeAt: T0 + 10, updatedAt: T0 + 10 });
    expect(await r.recordRerun({ testId: "s > a", passed: false, at: T0 + 20 })).toEqual({ testId: "s > a", runs: 3, flakes: 1, lastFlakeAt: T0 + 10, updatedAt: T0 + 20 });
    // A rerun reported late is counted, but does not move the times back.
    const late = await r.recordRerun({ testId: "s > a", passed: true, at: T0 + 5 });
    expect(late).toEqual({ testId: "s > a", runs: 4, flakes: 2, lastFlakeAt: T0 + 10, updatedAt: T0 + 20 });
    expect(await r.getFlakeHistory("s > a")).toEqual(late);
    expect(await r.recordRerun({ testId: "s > b", passed: true, at: T0 + 1 })).toEqual({ testId: "s > b", runs: 1, flakes: 1, lastFlakeAt: T0 + 1, updatedAt: T0 + 1 });
    expect(await r.getFlakeHistory("s > a")).toEqual(late);
  });

  it("counts every one of concurrent reruns of the same test", async () => {
    const r = getStore().remedies;
    const outcomes = Array.from({ length: 24 }, (_, i) => ({ testId: "s > race", passed: i % 3 === 0, at: T0 + i }));
    const results = await Promise.all(outcomes.map((o) => r.recordRerun(o)));
    expect(await r.getFlakeHistory("s > race")).toEqual({ testId: "s > race", runs: 24, flakes: 8, lastFlakeAt: T0 + 21, updatedAt: T0 + 23 });
    // Each call saw its own increment: the run counts returned are 1..24 in some order.
    expect(results.map((h) => h.runs).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });

  it("lists flaky tests by most flakes, then test id by code point, without flake-free ones", async () => {
    const r = getStore().remedies;
    const rerun = async (testId: string, passes: number, failures: number): Promise<void> => {
      for (let i = 0; i < passes; i++) await r.recordRerun({ testId, passed: true, at: T0 + i });
      for (let i = 0; i < failures; i++) await r.recordRerun({ testId, passed: false, at: T0 + 100 + i });
    };
    await rerun("s > b", 2, 1);
    await rerun("s > c", 1, 0);
    await rerun("s > a", 2, 0);
    await rerun("s > B", 2, 5);
    await rerun("s > d", 0, 4);
    await rerun("s > e", 3, 0);
    expect((await r.listFlakyTests()).map((h) => [h.testId, h.flakes])).toEqual([
      ["s > e", 3], ["s > B", 2], ["s > a", 2], ["s > b", 2], ["s > c", 1],
    ]);
    expect((await r.listFlakyTests(2)).map((h) => h.testId)).toEqual(["s > e", "s > B"]);
    expect((await r.listFlakyTests())[1]).toEqual({ testId: "s > B", runs: 7, flakes: 2, lastFlakeAt: T0 + 1, updatedAt: T0 + 104 });
  });
}

function defineThresholdTests(getStore: () => Store): void {
  it("chains changes: from is the value before, null being the detector's default", async () => {
    const r = getStore().remedies;
    const det = "stage/dashboard-app:latency";
    expect(await r.getThreshold(det, "latency_ms")).toBeNull();
    const c1 = await r.changeThreshold(change(det, "latency_ms", 5, T0, { decisionId: "d1" }));
    expect(c1).toEqual({ id: c1.id, detector: det, key: "latency_ms", from: null, to: 5, by: "system", decisionId: "d1", reason: "too many false alarms", at: T0 });
    expect(await r.getThreshold(det, "latency_ms")).toBe(5);
    const c2 = await r.changeThreshold(change(det, "latency_ms", 8, T0 + 1, { by: "alice" }));
    expect(c2).toMatchObject({ from: 5, to: 8, by: "alice" });
    expect(c2.id).toBeGreaterThan(c1.id);
    expect(await r.getThreshold(det, "latency_ms")).toBe(8);
    // Other keys and detectors have their own chains.
    expect(await r.changeThreshold(change(det, "error_ratio", 0.1 + 0.2, T0 + 2))).toMatchObject({ from: null, to: 0.1 + 0.2 });
    expect(await r.changeThreshold(change("prod/api:latency", "latency_ms", 3, T0 + 3))).toMatchObject({ from: null, to: 3 });
    const c3 = await r.changeThreshold(change(det, "latency_ms", null, T0 + 4));
    expect(c3).toMatchObject({ from: 8, to: null });
    expect(await r.getThreshold(det, "latency_ms")).toBeNull();
    expect(await r.changeThreshold(change(det, "latency_ms", 6, T0 + 5))).toMatchObject({ from: null, to: 6 });
    expect(await r.getThreshold(det, "error_ratio")).toBe(0.1 + 0.2);
    expect(await r.getThreshold("prod/api:latency", "latency_ms")).toBe(3);
    expect(await r.getThreshold("prod/api:latency", "error_ratio")).toBeNull();
  });

  it("lists changes newest first, filtered by detector and key together, with a limit", async () => {
    const r = getStore().remedies;
    const made = [];
    for (const [detector, key, to] of [["a", "x", 1], ["b", "x", 2], ["a", "y", 3], ["a", "x", 4], ["b", "y", 5]] as const) {
      made.push(await r.changeThreshold(change(detector, key, to, T0)));
    }
    const tos = async (q?: Parameters<Store["remedies"]["listThresholdChanges"]>[0]): Promise<Array<number | null>> =>
      (await r.listThresholdChanges(q)).map((c) => c.to);
    expect(await r.listThresholdChanges()).toEqual([...made].reverse());
    expect(await tos({ detector: "a" })).toEqual([4, 3, 1]);
    expect(await tos({ key: "x" })).toEqual([4, 2, 1]);
    expect(await tos({ detector: "a", key: "x" })).toEqual([4, 1]);
    expect(await tos({ detector: "b", key: "x", limit: 5 })).toEqual([2]);
    expect(await tos({ limit: 2 })).toEqual([5, 4]);
    expect(await tos({ detector: "c" })).toEqual([]);
    expect((await r.listThresholdChanges({ detector: "a", key: "x" }))[0]).toMatchObject({ from: 1, to: 4 });
  });

  it("keeps the from-chain unbroken under concurrent changes of one threshold", async () => {
    const r = getStore().remedies;
    await Promise.all([1, 2, 3, 4, 5, 6].map((to) => r.changeThreshold(change("d", "k", to, T0 + to))));
    const chain = (await r.listThresholdChanges({ detector: "d", key: "k" })).reverse();
    expect(chain).toHaveLength(6);
    chain.forEach((c, i) => expect(c.from).toBe(i === 0 ? null : chain[i - 1]!.to));
    expect(await r.getThreshold("d", "k")).toBe(chain[5]!.to);
  });

  it("refuses a threshold that is not a finite number, and records nothing", async () => {
    const r = getStore().remedies;
    for (const to of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const e = await r.changeThreshold(change("d", "k", to, T0)).then(() => null, (err: unknown) => err);
      expect(isPitstopError(e, ErrorCode.USAGE), String(e)).toBe(true);
      expect((e as Error).message).toMatch(/finite number or null/);
    }
    expect(await r.listThresholdChanges()).toEqual([]);
  });

  it("round-trips unicode, quotes and backslashes in every text; NUL reads back as \\x00", async () => {
    const r = getStore().remedies;
    const q = await r.quarantineTest(quarantine(ODD, T0, T0 + 100, { reason: `${ODD}\u0000end`, by: "Zoë O'Brien", decisionId: `d-${ODD}` }));
    expect(q).toMatchObject({ testId: ODD, reason: `${ODD}\\x00end`, by: "Zoë O'Brien", decisionId: `d-${ODD}` });
    expect(await r.listQuarantine({ activeAt: T0 })).toEqual([q]);
    expect(await r.releaseQuarantine(ODD, { by: "Łukasz \"lu\"", at: T0 + 1 })).toMatchObject({ testId: ODD, releasedBy: "Łukasz \"lu\"" });

    await r.recordRerun({ testId: ODD, passed: true, at: T0 });
    expect(await r.getFlakeHistory(ODD)).toMatchObject({ testId: ODD, runs: 1, flakes: 1 });
    expect((await r.listFlakyTests()).map((h) => h.testId)).toEqual([ODD]);

    const c = await r.changeThreshold(change(ODD, `key "ü" 'q'`, 7, T0, { by: ODD, reason: ODD, decisionId: ODD }));
    expect(c).toMatchObject({ detector: ODD, key: `key "ü" 'q'`, by: ODD, reason: ODD, decisionId: ODD });
    expect(await r.getThreshold(ODD, `key "ü" 'q'`)).toBe(7);
    expect(await r.listThresholdChanges({ detector: ODD, key: `key "ü" 'q'` })).toEqual([c]);
  });
}
