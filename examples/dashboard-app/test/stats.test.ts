import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCsvFile, parseCsv } from "../src/csv.js";
import { computeStats, UnknownColumnError } from "../src/stats.js";
import { shippedDatasetsDir } from "./helpers.js";
import { join } from "node:path";

const SCORES = `student_name,subject,score
Ada,Math,90
Ada,Physics,70
Ben,Math,50
Ben,Physics,
Cy,Math,61
Cy,Physics,abc
`;

describe("computeStats", () => {
  it("counts rows and summarizes numeric columns, leaving out nulls and non-numbers", () => {
    const stats = computeStats(parseCsv(SCORES));
    assert.equal(stats.rowCount, 6);
    assert.equal(stats.csvIssues, 0);
    const score = stats.columns.find((c) => c.name === "score");
    assert.deepEqual(score, {
      name: "score",
      kind: "numeric",
      count: 5,
      nulls: 1,
      nullRate: 0.17,
      invalid: 1,
      distinct: 5,
      mean: 67.75,
      min: 50,
      max: 90,
    });
    const subject = stats.columns.find((c) => c.name === "subject");
    assert.equal(subject?.kind, "text");
    assert.equal(subject?.mean, null);
    assert.equal(subject?.distinct, 2);
  });

  it("groups numeric columns by an explicit column", () => {
    const stats = computeStats(parseCsv(SCORES), { groupBy: ["subject"] });
    assert.deepEqual(stats.groups, [
      {
        by: "subject",
        column: "score",
        groups: [
          { key: "Math", count: 3, mean: 67, min: 50, max: 90 },
          { key: "Physics", count: 1, mean: 70, min: 70, max: 70 },
        ],
      },
    ]);
  });

  it("rejects a group-by column the dataset does not have", () => {
    assert.throws(() => computeStats(parseCsv(SCORES), { groupBy: ["teacher"] }), (e: unknown) => {
      assert.ok(e instanceof UnknownColumnError);
      assert.match(e.message, /unknown column 'teacher'.*'student_name', 'subject', 'score'/);
      return true;
    });
  });

  it("groups the shipped student scores by subject and by student, not by score", async () => {
    const stats = computeStats(await loadCsvFile(join(shippedDatasetsDir, "student_scores.csv")));
    assert.equal(stats.rowCount, 60);
    assert.deepEqual(
      stats.groups.map((g) => `${g.column} by ${g.by}`).sort(),
      ["score by student_name", "score by subject"],
    );
    const bySubject = stats.groups.find((g) => g.by === "subject");
    assert.equal(bySubject?.groups.length, 5);
    assert.equal(
      bySubject?.groups.reduce((n, g) => n + g.count, 0),
      60,
    );
  });

  it("does not group by identifier-like columns such as timestamps", async () => {
    const stats = computeStats(await loadCsvFile(join(shippedDatasetsDir, "patient_health.csv")));
    assert.deepEqual(
      stats.groups.map((g) => `${g.column} by ${g.by}`).sort(),
      ["heart_rate by patient_id", "oxygen_level by patient_id"],
    );
  });

  it("treats a mostly-text column as text and an empty table as empty", () => {
    const stats = computeStats(parseCsv("code\nA1\nB2\n7\n"));
    assert.equal(stats.columns[0]?.kind, "text");
    const empty = computeStats(parseCsv("a,b\n"));
    assert.equal(empty.rowCount, 0);
    assert.deepEqual(
      empty.columns.map((c) => [c.count, c.nullRate, c.mean]),
      [
        [0, 0, null],
        [0, 0, null],
      ],
    );
  });
});
