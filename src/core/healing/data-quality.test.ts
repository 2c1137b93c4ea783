import { describe, expect, it } from "vitest";
import { parseCsv } from "./csv.js";
import { checkCsvDataset, checkDataQuality, DEFAULT_DATA_QUALITY_RULES, hasDataAnomaly, rulesForDataset, rulesForFiles, type DataQualityRule } from "./data-quality.js";

const rules = DEFAULT_DATA_QUALITY_RULES;

function scores(values: string[]): Record<string, string>[] {
  return values.map((score, i) => ({ student_name: `s${i}`, subject: "Maths", score }));
}

function patients(rows: [string, string][]): Record<string, string>[] {
  return rows.map(([heart_rate, oxygen_level], i) => ({ patient_id: `P${i}`, heart_rate, oxygen_level }));
}

describe("seed thresholds", () => {
  it("flags a mean score below 40 and not one of exactly 40", () => {
    const low = checkDataQuality({ dataset: "student_scores.csv", rows: scores(["30", "45"]), rules });
    expect(low.findings).toEqual([
      expect.objectContaining({ dataset: "student_scores.csv", column: "score", check: "mean", op: "<", value: 37.5, threshold: 40 }),
    ]);
    expect(low.findings[0]?.message).toBe("student_scores.csv: mean score is 37.5, below 40");
    const edge = checkDataQuality({ dataset: "student_scores.csv", rows: scores(["40", "40"]), rules });
    expect(edge.findings).toEqual([]);
    expect(hasDataAnomaly(edge)).toBe(false);
  });

  it("flags one heart rate above 120 (max) and one oxygen level below 95 (min), not the bounds themselves", () => {
    const bad = checkDataQuality({ dataset: "patient_health.csv", rows: patients([["70", "98"], ["121", "94.9"]]), rules });
    expect(bad.findings.map((f) => [f.column, f.check, f.value])).toEqual([
      ["heart_rate", "max", 121],
      ["oxygen_level", "min", 94.9],
    ]);
    const edge = checkDataQuality({ dataset: "patient_health.csv", rows: patients([["120", "95"], ["60", "99"]]), rules });
    expect(edge.findings).toEqual([]);
  });

  it("applies only the rules of the dataset it checks", () => {
    const report = checkDataQuality({ dataset: "other.csv", rows: scores(["1"]), rules });
    expect(report).toEqual({ dataset: "other.csv", rowsChecked: 1, findings: [], problems: [] });
  });
});

describe("every op and check", () => {
  const rows = [{ v: "1" }, { v: "" }, { v: "3" }, { v: "NA" }];
  const rule = (check: DataQualityRule["check"], op: DataQualityRule["op"], threshold: number): DataQualityRule => ({ dataset: "d.csv", column: "v", check, op, threshold });
  const fires = (r: DataQualityRule): boolean => checkDataQuality({ dataset: "d.csv", rows, rules: [r] }).findings.length === 1;

  it("computes mean, min, max over the numbers and null rate over all rows", () => {
    expect(fires(rule("mean", "<=", 2))).toBe(true);
    expect(fires(rule("mean", "<", 2))).toBe(false);
    expect(fires(rule("min", "<=", 1))).toBe(true);
    expect(fires(rule("min", "<", 1))).toBe(false);
    expect(fires(rule("max", ">=", 3))).toBe(true);
    expect(fires(rule("max", ">", 3))).toBe(false);
    expect(fires(rule("null_rate", ">=", 0.5))).toBe(true);
    expect(fires(rule("null_rate", ">", 0.5))).toBe(false);
    const report = checkDataQuality({ dataset: "d.csv", rows, rules: [rule("null_rate", ">", 0.25)] });
    expect(report.findings[0]?.message).toBe("d.csv: null rate v is 50%, above 25%");
    expect(report.problems).toEqual([]);
  });
});

describe("bad data is a problem, never a throw", () => {
  it("reports a missing column once, naming the columns found", () => {
    const rows = [{ patient_id: "P1", heart_rate: "80" }];
    const report = checkDataQuality({ dataset: "patient_health.csv", rows, rules });
    expect(report.findings).toEqual([]);
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: "missing_column",
        column: "oxygen_level",
        message: "patient_health.csv: column oxygen_level is missing; add it to the header row (found: patient_id, heart_rate)",
      }),
    ]);
  });

  it("reports non-numeric values with their file lines and checks the rest", () => {
    const table = parseCsv(
      ["patient_id,heart_rate,oxygen_level", "P1,80,98", "P2,81,97", "P3,82,low", "P4,83,96", "P5,84,96", "P6,85,96", "P7,86,96", "P8,87,x", "P9,88,96", "P10,89,96", "P11,90,?"].join("\n"),
    );
    const report = checkCsvDataset("patient_health.csv", table, rules);
    expect(report.problems.map((p) => p.message)).toEqual(["patient_health.csv: column oxygen_level: 3 non-numeric values (lines 4, 9, 12)"]);
    expect(report.problems[0]?.lines).toEqual([4, 9, 12]);
    expect(report.findings).toEqual([]);
    expect(hasDataAnomaly(report)).toBe(true);
  });

  it("says when a column has no numbers at all", () => {
    const report = checkDataQuality({ dataset: "student_scores.csv", rows: scores(["", "n/a"]), rules });
    expect(report.problems.map((p) => p.kind)).toEqual(["no_values"]);
    expect(report.findings).toEqual([]);
  });

  it("reports an empty file and a header-only file", () => {
    for (const text of ["", "student_name,subject,score\n"]) {
      const report = checkCsvDataset("student_scores.csv", parseCsv(text), rules);
      expect(report.problems).toEqual([expect.objectContaining({ kind: "empty", message: "student_scores.csv: no data rows; the file is empty or has only a header" })]);
      expect(report.findings).toEqual([]);
    }
  });

  it("turns malformed CSV records into problems with their line", () => {
    const table = parseCsv('student_name,subject,score\nA,Maths,50\nB,Maths\n"C,Maths,60\n');
    const report = checkCsvDataset("student_scores.csv", table, rules);
    expect(report.problems.map((p) => p.message)).toEqual([
      "student_scores.csv:3: expected 3 fields (as in the header), found 2",
      "student_scores.csv:4: unterminated quoted field (opened on line 4); close it with a double quote",
    ]);
    expect(report.rowsChecked).toBe(1);
  });
});

describe("parseCsv", () => {
  it("reads quoted fields, CRLF, a BOM and blank lines, keeping each record's first line", () => {
    const table = parseCsv('\uFEFFname,note\r\n"Doe, J","say ""hi""\r\nagain"\r\n\r\nX,y');
    expect(table.header).toEqual(["name", "note"]);
    expect(table.rows).toEqual([
      { line: 2, values: { name: "Doe, J", note: 'say "hi"\r\nagain' } },
      { line: 5, values: { name: "X", note: "y" } },
    ]);
    expect(table.problems).toEqual([]);
  });

  it("reports stray quotes and text after a closing quote", () => {
    const table = parseCsv('a,b\nx"y,1\n"q"z,2\n');
    expect(table.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(table.rows).toEqual([]);
  });
});

describe("which rules apply", () => {
  const rules = DEFAULT_DATA_QUALITY_RULES;

  it("rulesForFiles keeps the rules of the files that are there", () => {
    expect(rulesForFiles(rules, new Set(["student_scores.csv", "README.md"])).map((r) => r.column)).toEqual(["score"]);
    expect(rulesForFiles(rules, new Set())).toEqual([]);
  });

  it("rulesForDataset: the file's own rules, else the rules of its columns, else all of them, applied to that file", () => {
    expect(rulesForDataset(rules, "patient_health.csv", []).map((r) => r.column)).toEqual(["heart_rate", "oxygen_level"]);
    expect(rulesForDataset(rules, "grades.csv", ["name", "score"])).toEqual([{ ...rules[0], dataset: "grades.csv" }]);
    const none = rulesForDataset(rules, "people.csv", ["name", "age"]);
    expect(none.map((r) => [r.dataset, r.column])).toEqual([["people.csv", "score"], ["people.csv", "heart_rate"], ["people.csv", "oxygen_level"]]);
    // Checked, that is three missing columns: a finding, not a clean report and not a missing file.
    const report = checkCsvDataset("people.csv", parseCsv("name,age\nann,x\n"), none);
    expect(report.problems.map((p) => p.kind)).toEqual(["missing_column", "missing_column", "missing_column"]);
  });
});
