import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadCsvFile, parseCsv } from "../src/csv.js";
import { checkQuality, DEFAULT_THRESHOLDS, QUALITY_CHECKS } from "../src/quality.js";
import type { QualityReport } from "../src/quality.js";
import { shippedDatasetsDir } from "./helpers.js";

function patients(rows: string[]): string {
  return ["patient_id,heart_rate,oxygen_level,timestamp", ...rows].join("\n") + "\n";
}

function healthyPatients(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `P${i},72,98,2025-01-15T08:${String(i).padStart(2, "0")}:00Z`);
}

function checksOf(report: QualityReport): string[] {
  return report.findings.map((f) => f.check);
}

describe("checkQuality", () => {
  it("uses the seed thresholds by default", () => {
    assert.deepEqual(DEFAULT_THRESHOLDS, { minMeanScore: 40, maxHeartRate: 120, minOxygenLevel: 95, maxNullRate: 0.05 });
  });

  for (const name of ["student_scores", "patient_health"]) {
    it(`passes the shipped ${name} dataset`, async () => {
      const report = checkQuality(name, await loadCsvFile(join(shippedDatasetsDir, `${name}.csv`)));
      assert.deepEqual(report.findings, []);
      assert.equal(report.ok, true);
      assert.equal(report.rowsChecked, 60);
    });
  }

  it("flags a mean score below 40, and not one of exactly 40", () => {
    const low = checkQuality("student_scores", parseCsv("student_name,subject,score\nA,Math,30\nB,Math,49\n"));
    assert.equal(low.ok, false);
    assert.deepEqual(checksOf(low), [QUALITY_CHECKS.meanScore]);
    assert.equal(low.findings[0]?.value, 39.5);
    assert.equal(low.findings[0]?.threshold, 40);
    assert.match(low.findings[0]?.message ?? "", /mean score is 39.5, below the minimum of 40/);
    const edge = checkQuality("student_scores", parseCsv("student_name,subject,score\nA,Math,30\nB,Math,50\n"));
    assert.deepEqual(edge.findings, []);
  });

  it("flags heart rates above 120 with their lines, and not 120 itself", () => {
    const rows = healthyPatients(30);
    rows[3] = "P3,121,98,2025-01-15T09:00:00Z";
    rows[10] = "P10,150,98,2025-01-15T09:10:00Z";
    rows[11] = "P11,120,98,2025-01-15T09:11:00Z";
    const report = checkQuality("patient_health", parseCsv(patients(rows)));
    assert.deepEqual(checksOf(report), [QUALITY_CHECKS.heartRate]);
    const finding = report.findings[0];
    assert.equal(finding?.count, 2);
    // Header is line 1, so rows[i] is on line i + 2.
    assert.deepEqual(finding?.lines, [5, 12]);
    assert.equal(finding?.value, 150);
    assert.equal(report.ok, false);
  });

  it("flags oxygen levels below 95, and not 95 itself", () => {
    const rows = healthyPatients(30);
    rows[0] = "P0,72,94.9,2025-01-15T09:00:00Z";
    rows[1] = "P1,72,95,2025-01-15T09:00:00Z";
    const report = checkQuality("patient_health", parseCsv(patients(rows)));
    assert.deepEqual(checksOf(report), [QUALITY_CHECKS.oxygenLevel]);
    assert.deepEqual(report.findings[0]?.lines, [2]);
    assert.equal(report.findings[0]?.value, 94.9);
  });

  it("honours custom thresholds", () => {
    const report = checkQuality("patient_health", parseCsv(patients(healthyPatients(30))), {
      ...DEFAULT_THRESHOLDS,
      maxHeartRate: 70,
    });
    assert.deepEqual(checksOf(report), [QUALITY_CHECKS.heartRate]);
    assert.equal(report.findings[0]?.count, 30);
    // Only the first 20 lines are listed; the message says how many more there are.
    assert.equal(report.findings[0]?.lines?.length, 20);
    assert.match(report.findings[0]?.message ?? "", /\(and 10 more\)/);
  });

  it("reports missing columns of a known dataset as findings", () => {
    const report = checkQuality("patient_health", parseCsv("patient_id,timestamp\nP1,2025-01-15T08:00:00Z\n"));
    assert.deepEqual(
      report.findings.map((f) => [f.check, f.column]),
      [
        [QUALITY_CHECKS.missingColumn, "heart_rate"],
        [QUALITY_CHECKS.missingColumn, "oxygen_level"],
      ],
    );
    assert.match(report.findings[0]?.message ?? "", /add it to the header row/);
    assert.equal(report.ok, false);
  });

  it("reports non-numeric measurements as errors and leaves them out of the thresholds", () => {
    const rows = healthyPatients(30);
    rows[5] = "P5,fast,98,2025-01-15T09:00:00Z";
    const report = checkQuality("patient_health", parseCsv(patients(rows)));
    assert.deepEqual(checksOf(report), [QUALITY_CHECKS.nonNumeric]);
    assert.equal(report.findings[0]?.severity, "error");
    assert.equal(report.findings[0]?.column, "heart_rate");
    assert.deepEqual(report.findings[0]?.lines, [7]);
  });

  it("warns about stray text in an otherwise numeric column of an unknown dataset", () => {
    const text = ["city,temperature", ...Array.from({ length: 9 }, (_, i) => `c${i},${20 + i}`), "c9,warm"].join("\n");
    const report = checkQuality("weather", parseCsv(text));
    assert.deepEqual(
      report.findings.map((f) => [f.check, f.severity, f.column]),
      [[QUALITY_CHECKS.nonNumeric, "warning", "temperature"]],
    );
    assert.equal(report.ok, true);
  });

  it("flags a null rate above 5% and accepts one at 5%", () => {
    const rows = healthyPatients(20);
    rows[2] = "P2,,98,2025-01-15T09:00:00Z";
    assert.deepEqual(checkQuality("patient_health", parseCsv(patients(rows))).findings, []);
    rows[3] = "P3,NA,98,2025-01-15T09:00:00Z";
    const report = checkQuality("patient_health", parseCsv(patients(rows)));
    assert.deepEqual(checksOf(report), [QUALITY_CHECKS.nullRate]);
    assert.equal(report.findings[0]?.value, 0.1);
    assert.deepEqual(report.findings[0]?.lines, [4, 5]);
  });

  it("flags timestamps that are not ISO-8601", () => {
    const rows = healthyPatients(30);
    rows[0] = "P0,72,98,15/01/2025 08:00";
    rows[1] = "P1,72,98,2025-13-45T99:00:00Z";
    const report = checkQuality("patient_health", parseCsv(patients(rows)));
    assert.deepEqual(checksOf(report), [QUALITY_CHECKS.timestamp]);
    assert.deepEqual(report.findings[0]?.lines, [2, 3]);
  });

  it("turns malformed CSV rows and empty datasets into findings", () => {
    const broken = checkQuality("student_scores", parseCsv('student_name,subject,score\nA,Math,70\nB,Math\n"C,Math,80\n'));
    assert.deepEqual(
      broken.findings.map((f) => [f.check, f.lines]),
      [
        [QUALITY_CHECKS.malformedRow, [3]],
        [QUALITY_CHECKS.malformedRow, [4]],
      ],
    );
    assert.equal(broken.ok, false);
    const empty = checkQuality("student_scores", parseCsv("student_name,subject,score\n"));
    assert.deepEqual(checksOf(empty), [QUALITY_CHECKS.noRows]);
    const nothing = checkQuality("student_scores", parseCsv(""));
    assert.deepEqual(checksOf(nothing), [
      QUALITY_CHECKS.malformedRow,
      QUALITY_CHECKS.missingColumn,
      QUALITY_CHECKS.missingColumn,
      QUALITY_CHECKS.missingColumn,
    ]);
  });
});
