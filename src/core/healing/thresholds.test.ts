import { describe, expect, it } from "vitest";
import { INCIDENT_KINDS } from "./incident.js";
import { checkThresholdValue, nextThreshold, parseThresholdKey, THRESHOLD_KEYS, THRESHOLDS, thresholdKeyFor, thresholdTargetOf } from "./thresholds.js";
import { DEFAULT_LATENCY_MS } from "./uptime.js";

describe("threshold registry", () => {
  it("knows latency_ms (uptime monitor) and cpu_percent (overload watch) with defaults inside their bounds", () => {
    expect(THRESHOLD_KEYS).toEqual(["latency_ms", "cpu_percent"]);
    expect(THRESHOLDS.latency_ms).toMatchObject({ detectorKind: "latency", default: DEFAULT_LATENCY_MS, min: 100, max: 120_000, step: { times: 1.5 } });
    expect(THRESHOLDS.cpu_percent).toMatchObject({ detectorKind: "overload", default: 90, min: 10, max: 100, step: { plus: 5 } });
    for (const key of THRESHOLD_KEYS) expect(checkThresholdValue(key, THRESHOLDS[key].default)).toBeNull();
  });

  it("checks values against the bounds, naming them", () => {
    expect(checkThresholdValue("latency_ms", 100)).toBeNull();
    expect(checkThresholdValue("latency_ms", 120_000)).toBeNull();
    expect(checkThresholdValue("latency_ms", 99)).toBe("latency_ms 99 is outside its bounds 100..120000 ms");
    expect(checkThresholdValue("cpu_percent", 101)).toBe("cpu_percent 101 is outside its bounds 10..100 %");
    expect(checkThresholdValue("latency_ms", 250.5)).toMatch(/whole number within 100\.\.120000 ms/);
    expect(checkThresholdValue("cpu_percent", Number.NaN)).toMatch(/must be a number/);
  });

  it("parses keys with a did-you-mean", () => {
    expect(parseThresholdKey("cpu_percent")).toEqual({ ok: true, key: "cpu_percent" });
    const typo = parseThresholdKey("latncy_ms");
    expect(typo).toEqual({ ok: false, message: "unknown threshold `latncy_ms` (did you mean `latency_ms`? valid: `latency_ms`, `cpu_percent`)" });
    expect(parseThresholdKey("toString")).toMatchObject({ ok: false, message: expect.stringContaining("valid: `latency_ms`, `cpu_percent`") as unknown });
  });
});

describe("nextThreshold", () => {
  it("raises latency by half from the default up to the max, then refuses", () => {
    const seen: number[] = [];
    let current: number | null = null;
    for (;;) {
      const next = nextThreshold("latency_ms", current);
      if (!next.ok) {
        expect(next.reason).toBe("latency_ms is already at its max 120000 ms (100..120000 ms)");
        break;
      }
      expect(next.from).toBe(current ?? 24_000);
      expect(next).toMatchObject({ min: 100, max: 120_000 });
      seen.push(next.to);
      current = next.to;
    }
    expect(seen).toEqual([36_000, 54_000, 81_000, 120_000]);
  });

  it("raises CPU by 5 points, clamps to 100 and refuses above it", () => {
    expect(nextThreshold("cpu_percent", null)).toMatchObject({ ok: true, from: 90, to: 95 });
    expect(nextThreshold("cpu_percent", 97)).toMatchObject({ ok: true, from: 97, to: 100 });
    expect(nextThreshold("cpu_percent", 100)).toMatchObject({ ok: false });
    // A value stored out of bounds by hand is pulled back in, never past them.
    expect(nextThreshold("cpu_percent", 2)).toMatchObject({ ok: true, to: 10 });
    expect(nextThreshold("latency_ms", 250_000)).toMatchObject({ ok: false });
  });
});

describe("which threshold an incident's detector names", () => {
  it("takes the key from the incident kind for a bare target", () => {
    expect(thresholdTargetOf("stage/shop", "false_alarm")).toEqual({ detector: "stage/shop", key: "latency_ms" });
    expect(thresholdTargetOf("stage/shop", "latency")).toEqual({ detector: "stage/shop", key: "latency_ms" });
    expect(thresholdTargetOf("stage/shop", "overload")).toEqual({ detector: "stage/shop", key: "cpu_percent" });
    expect(thresholdTargetOf("stage/shop", "crash")).toBeNull();
    expect(INCIDENT_KINDS.filter((k) => thresholdKeyFor(k) !== null)).toEqual(["latency", "overload", "false_alarm"]);
  });

  it("honours `<target>:<key>` and keeps a URL's port in the target", () => {
    expect(thresholdTargetOf("stage/shop:cpu_percent", "false_alarm")).toEqual({ detector: "stage/shop", key: "cpu_percent" });
    expect(thresholdTargetOf("http://127.0.0.1:8080", "latency")).toEqual({ detector: "http://127.0.0.1:8080", key: "latency_ms" });
    expect(thresholdTargetOf("http://127.0.0.1:8080:latency_ms", "crash")).toEqual({ detector: "http://127.0.0.1:8080", key: "latency_ms" });
  });
});
