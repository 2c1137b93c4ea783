import { describe, expect, it } from "vitest";
import { createRng, deriveSeed } from "./rng.js";

const take = (seed: number | string, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe("createRng", () => {
  it("replays the same sequence from the same seed, and another from another seed", () => {
    expect(take(42, 20)).toEqual(take(42, 20));
    expect(take("stage", 5)).toEqual(take("stage", 5));
    expect(take(42, 20)).not.toEqual(take(43, 20));
  });

  it("matches the reference mulberry32 output", () => {
    // First outputs of the reference C implementation (uint32_t t = a += 0x6D2B79F5; …) for a = 1.
    const rng = createRng(1);
    const first = [rng.next(), rng.next(), rng.next()].map((x) => Math.round(x * 4294967296));
    expect(first).toEqual([2693262067, 11749833, 2265367787]);
  });

  it("continues from a saved state", () => {
    const a = createRng(7);
    a.next();
    a.next();
    const b = createRng(a.state());
    expect([b.next(), b.next()]).toEqual([a.next(), a.next()]);
  });

  it("stays in range and is roughly uniform", () => {
    const rng = createRng(2024);
    const buckets = [0, 0, 0, 0, 0];
    let sum = 0;
    for (let i = 0; i < 50_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
      const k = rng.int(5);
      buckets[k] = (buckets[k] ?? 0) + 1;
    }
    expect(sum / 50_000).toBeCloseTo(0.5, 2);
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(400);
  });

  it("derives per-decision seeds that differ by key and are stable", () => {
    expect(deriveSeed(1, "incident-a")).toBe(deriveSeed(1, "incident-a"));
    expect(deriveSeed(1, "incident-a")).not.toBe(deriveSeed(1, "incident-b"));
    expect(deriveSeed(1, "incident-a")).not.toBe(deriveSeed(2, "incident-a"));
  });
});
