import { describe, expect, it } from "vitest";
import * as h from "../../src/deploy/release-history.js";

const add = (x: h.ReleaseHistory, id: string, at: number): h.ReleaseHistory => h.addRelease(x, { id, createdAt: at, healthy: false, error: null });
const statuses = (x: h.ReleaseHistory): Record<string, string> => Object.fromEntries(h.listReleases(x).map((r) => [r.id, r.status]));

describe("release history", () => {
  it("derives live, previous, failed and retired from what went live", () => {
    let x = h.emptyHistory();
    x = h.promote(add(x, "a", 1), "a");
    x = h.markFailed(add(x, "b", 2), "b", "never healthy");
    x = h.promote(add(x, "c", 3), "c");
    x = h.promote(add(x, "d", 4), "d");
    expect(statuses(x)).toEqual({ a: "retired", b: "failed", c: "previous", d: "live" });
    expect(h.liveRelease(x)?.id).toBe("d");
    expect(h.rollbackTarget(x)?.id).toBe("c");
  });

  it("walks back on each rollback, never forth, and retires what it rolled back from", () => {
    let x = h.emptyHistory();
    for (const [i, id] of ["a", "b", "c"].entries()) x = h.promote(add(x, id, i), id);
    x = h.popLive(x);
    expect(statuses(x)).toEqual({ a: "previous", b: "live", c: "retired" });
    x = h.popLive(x);
    expect(statuses(x)).toEqual({ a: "live", b: "retired", c: "retired" });
    expect(h.rollbackTarget(x)).toBeNull();
  });

  it("refuses to redeploy the live release or the rollback target, allows failed and retired ids", () => {
    let x = h.emptyHistory();
    x = h.promote(add(x, "a", 1), "a");
    x = h.promote(add(x, "b", 2), "b");
    x = h.markFailed(add(x, "c", 3), "c", "bad");
    x = h.promote(add(x, "d", 4), "d");
    expect(["a", "b", "c", "d", "new"].map((id) => h.canDeploy(x, id))).toEqual([true, false, true, false, true]);
  });

  it("prunes the oldest releases beyond `keep`, never the live one or the rollback target", () => {
    let x = h.emptyHistory();
    x = h.promote(add(x, "old-live", 1), "old-live");
    x = h.promote(add(x, "live", 2), "live");
    for (let i = 3; i < 8; i++) x = h.markFailed(add(x, `f${i}`, i), `f${i}`, "bad");
    x = h.popLive(h.promote(add(x, "rolled-back", 9), "rolled-back"));
    const { history, dropped } = h.prune(x, 3);
    // Newest three: rolled-back, f7, f6; live and old-live are protected.
    expect(dropped.sort()).toEqual(["f3", "f4", "f5"]);
    expect(statuses(history)).toEqual({ "rolled-back": "retired", f7: "failed", f6: "failed", live: "live", "old-live": "previous" });
  });
});
