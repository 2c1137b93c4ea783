import { describe, expect, it } from "vitest";
import { reward, verdict, type Sample } from "./verdict.js";

const window = { from: 1000, to: 2000, minSamples: 3, minHealthyRatio: 0.8 };
const samples = (...oks: boolean[]): Sample[] => oks.map((ok, i) => ({ at: 1000 + i * 100, ok }));

describe("verdict", () => {
  it("is inconclusive with too little evidence in the window", () => {
    expect(verdict({ ...window, samples: samples(true, true) })).toEqual({ verdict: "inconclusive", reason: "2 samples in the window, 3 needed", healthy: 2, total: 2 });
    const outside = [{ at: 999, ok: true }, { at: 2000, ok: true }, ...samples(true)];
    expect(verdict({ ...window, samples: outside })).toMatchObject({ verdict: "inconclusive", total: 1 });
    expect(verdict({ ...window, minSamples: 0, samples: [] })).toMatchObject({ verdict: "inconclusive", reason: "0 samples in the window, 1 needed" });
  });

  it("is healed when enough samples are healthy and the last one is", () => {
    expect(verdict({ ...window, samples: samples(false, true, true, true, true) })).toEqual({ verdict: "healed", reason: "4/5 healthy", healthy: 4, total: 5 });
  });

  it("fails when the fix does not hold or too few samples are healthy", () => {
    expect(verdict({ ...window, samples: samples(true, true, true, true, false) })).toMatchObject({ verdict: "failed", reason: "4/5 healthy, last sample unhealthy" });
    expect(verdict({ ...window, samples: samples(false, false, true, true) })).toMatchObject({ verdict: "failed", reason: "2/4 healthy < 80 % required" });
  });

  it("orders samples by time, whatever order they arrive in", () => {
    const shuffled = [{ at: 1500, ok: true }, { at: 1100, ok: false }, { at: 1300, ok: true }];
    expect(verdict({ ...window, minHealthyRatio: 0.5, samples: shuffled }).verdict).toBe("healed");
  });

  it("a single job result is enough evidence for a job retry", () => {
    expect(verdict({ from: 0, to: 10, minSamples: 1, minHealthyRatio: 1, samples: [{ at: 5, ok: false }] }).verdict).toBe("failed");
  });
});

describe("reward", () => {
  it("is +1 healed, −1 failed, and nothing for inconclusive", () => {
    expect([reward("healed"), reward("failed"), reward("inconclusive")]).toEqual([1, -1, null]);
  });
});
