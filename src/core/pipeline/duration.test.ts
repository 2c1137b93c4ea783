import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it.each<[string | number, number]>([
    ["500ms", 500],
    ["30s", 30_000],
    ["10m", 600_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1m30s250ms", 90_250],
    ["1.5s", 1500],
    [" 2s ", 2000],
    ["45", 45_000],
    [90, 90_000],
    [0.25, 250],
    [0, 0],
  ])("%j → %d ms", (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, ms });
  });

  it.each<string | number>(["", "ten", "10 m", "10x", "m", "1h-5m", "-1s", -1, Number.NaN, Number.POSITIVE_INFINITY])("rejects %j", (input) => {
    const r = parseDuration(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/duration/);
  });

  it("takes days, alone and in compounds, and formats whole days of two or more back as days", () => {
    expect(parseDuration("7d")).toEqual({ ok: true, ms: 7 * 86_400_000 });
    expect(parseDuration("1d12h")).toEqual({ ok: true, ms: 36 * 3_600_000 });
    expect(parseDuration("d").ok).toBe(false);
    expect([7 * 86_400_000, 86_400_000].map(formatDuration)).toEqual(["7d", "24h"]);
  });

  it("formats milliseconds back", () => {
    expect([500, 30_000, 600_000, 3_600_000, 90_000, 0].map(formatDuration)).toEqual(["500ms", "30s", "10m", "1h", "90s", "0s"]);
  });
});
