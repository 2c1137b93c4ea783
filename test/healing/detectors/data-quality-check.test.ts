import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_DATA_QUALITY_RULES } from "../../../src/core/healing/data-quality.js";
import { createDataQualityCheck } from "../../../src/healing/detectors/data-quality-check.js";
import type { DetectorEvent } from "../../../src/healing/detectors/detector-event.js";
import { waitFor } from "./helpers.js";

const exampleDatasets = path.resolve(import.meta.dirname, "../../../examples/dashboard-app/datasets");
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "pitstop-dq-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function check(events: DetectorEvent[], datasetsDir = dir) {
  return createDataQualityCheck({ datasetsDir, rules: DEFAULT_DATA_QUALITY_RULES, environment: "stage", target: "stage/dashboard", emit: (e) => events.push(e) });
}

describe("createDataQualityCheck on real files", () => {
  it("passes the example app's datasets", async () => {
    const events: DetectorEvent[] = [];
    const reports = await check(events, exampleDatasets).checkNow();
    expect(reports.map((r) => [r.dataset, r.rowsChecked > 0, r.findings, r.problems])).toEqual([
      ["student_scores.csv", true, [], []],
      ["patient_health.csv", true, [], []],
    ]);
    expect(events).toEqual([]);
  });

  it("emits data_anomaly once per episode and again after the data was clean", async () => {
    await copyFile(path.join(exampleDatasets, "student_scores.csv"), path.join(dir, "student_scores.csv"));
    const patients = path.join(dir, "patient_health.csv");
    await writeFile(patients, "patient_id,heart_rate,oxygen_level,timestamp\nP1,80,98,t\nP2,135,91.5,t\nP3,70,oops,t\n");
    const events: DetectorEvent[] = [];
    const dq = check(events);
    await dq.checkNow();
    await dq.checkNow();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "data_anomaly", environment: "stage", target: "stage/dashboard" });
    const evidence = events[0]?.evidence as { dataset: string; findings: { message: string }[]; problems: { message: string }[] };
    expect(evidence.dataset).toBe("patient_health.csv");
    expect(evidence.findings.map((f) => f.message)).toEqual([
      "patient_health.csv: maximum heart_rate is 135, above 120",
      "patient_health.csv: minimum oxygen_level is 91.5, below 95",
    ]);
    expect(evidence.problems.map((p) => p.message)).toEqual(["patient_health.csv: column oxygen_level: 1 non-numeric value (line 4)"]);

    await writeFile(patients, "patient_id,heart_rate,oxygen_level,timestamp\nP1,80,98,t\n");
    await dq.checkNow();
    await writeFile(patients, "patient_id,heart_rate,timestamp\nP1,80,t\n");
    await dq.checkNow();
    expect(events).toHaveLength(2);
    expect((events[1]?.evidence as { problems: { kind: string }[] }).problems.map((p) => p.kind)).toEqual(["missing_column"]);
  });

  it("reports a missing file and an empty file as problems", async () => {
    await writeFile(path.join(dir, "student_scores.csv"), "");
    const events: DetectorEvent[] = [];
    const reports = await check(events).checkNow();
    expect(reports.map((r) => r.problems.map((p) => p.kind))).toEqual([["empty"], ["missing_file"]]);
    expect(events.map((e) => (e.evidence as { dataset: string }).dataset)).toEqual(["student_scores.csv", "patient_health.csv"]);
  });

  it("polls while started and stops cleanly", async () => {
    await writeFile(path.join(dir, "student_scores.csv"), "student_name,subject,score\nA,Maths,10\nB,Maths,20\n");
    await copyFile(path.join(exampleDatasets, "patient_health.csv"), path.join(dir, "patient_health.csv"));
    const events: DetectorEvent[] = [];
    const controller = new AbortController();
    const dq = createDataQualityCheck({ datasetsDir: dir, rules: DEFAULT_DATA_QUALITY_RULES, intervalMs: 10, signal: controller.signal, environment: "dev", target: "dev/dashboard", emit: (e) => events.push(e) });
    dq.start();
    await waitFor(() => events.length === 1, 10_000, "anomaly");
    expect((events[0]?.evidence as { findings: { value: number }[] }).findings[0]?.value).toBe(15);
    controller.abort();
    await dq.stop();
  });
});
