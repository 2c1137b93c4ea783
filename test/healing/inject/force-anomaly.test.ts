import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, it } from "vitest";
import { parseCsv } from "../../../src/core/healing/csv.js";
import { checkCsvDataset, DEFAULT_DATA_QUALITY_RULES, hasDataAnomaly } from "../../../src/core/healing/data-quality.js";
import { isPitstopError } from "../../../src/core/errors.js";
import { createFaultInjector } from "../../../src/healing/inject/create-fault-injector.js";
import { AnomalyKind } from "../../../src/healing/inject/force-anomaly.js";

const SHIPPED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/dashboard-app/datasets");
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pitstop-anomaly-"));
  await cp(SHIPPED, path.join(dir, "src"), { recursive: true });
  await cp(SHIPPED, path.join(dir, "out"), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function check(file: string) {
  return checkCsvDataset(path.basename(file), parseCsv(await readFile(file, "utf8")), DEFAULT_DATA_QUALITY_RULES);
}

const CASES = [
  { kind: AnomalyKind.low_scores, file: "student_scores.csv", column: "score", breaks: "score mean < 40", changed: 60 },
  { kind: AnomalyKind.high_heart_rate, file: "patient_health.csv", column: "heart_rate", breaks: "heart_rate max > 120", changed: 6 },
  { kind: AnomalyKind.low_oxygen, file: "patient_health.csv", column: "oxygen_level", breaks: "oxygen_level min < 95", changed: 6 },
] as const;

it.each(CASES)("$kind: the copy breaks $breaks, the original is byte-for-byte unchanged", async ({ kind, file, column, breaks, changed }) => {
  const source = path.join(dir, "src", file);
  const original = await readFile(source);
  expect(hasDataAnomaly(await check(source))).toBe(false);
  const output = path.join(dir, "out", file);
  const done = await createFaultInjector({ now: () => 9 }).forceAnomaly(source, kind, output);
  expect(done).toMatchObject({ fault: "data_anomaly", at: 9, target: output, details: { kind, breaks, rowsChanged: changed } });
  expect(done.anomaly).toMatchObject({ kind, column, output, breaks });
  const report = await check(output);
  expect(hasDataAnomaly(report)).toBe(true);
  expect(report.findings.map((f) => f.column)).toEqual([column]);
  expect(report.problems).toEqual([]);
  expect(await readFile(source)).toEqual(original);
  // Every other column and the row count are kept.
  const before = parseCsv(original.toString("utf8"));
  const after = parseCsv(await readFile(output, "utf8"));
  expect(after.header).toEqual(before.header);
  expect(after.rows.length).toBe(before.rows.length);
  const others = (t: typeof before) => t.rows.map((r) => ({ ...r.values, [column]: "" }));
  expect(others(after)).toEqual(others(before));
  for (const line of done.anomaly.lines) expect(after.rows.find((r) => r.line === line)?.values[column]).toBe(done.anomaly.value);
});

it("keeps quoted fields quoted", async () => {
  const source = path.join(dir, "quoted.csv");
  await writeFile(source, 'student_name,subject,score\n"Doe, Jane","Art ""A""",70\n');
  const output = path.join(dir, "quoted-out.csv");
  await createFaultInjector().forceAnomaly(source, AnomalyKind.low_scores, output);
  expect(await readFile(output, "utf8")).toBe('student_name,subject,score\n"Doe, Jane","Art ""A""",20\n');
});

it("refuses to overwrite the source, a missing column, a missing file and an unknown kind", async () => {
  const injector = createFaultInjector();
  const source = path.join(dir, "src", "student_scores.csv");
  const original = await readFile(source);
  const fail = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as Error);
  const same = await fail(injector.forceAnomaly(source, AnomalyKind.low_scores, path.join(dir, "src", ".", "student_scores.csv")));
  expect(isPitstopError(same, "USAGE") && same.message).toMatch(/is the dataset itself/);
  expect((await fail(injector.forceAnomaly(source, AnomalyKind.high_heart_rate, path.join(dir, "x.csv"))))?.message).toMatch(
    /has no 'heart_rate' column \(columns: student_name, subject, score\)/,
  );
  expect((await fail(injector.forceAnomaly(path.join(dir, "nope.csv"), AnomalyKind.low_scores, path.join(dir, "x.csv"))))?.message).toMatch(/does not exist/);
  expect((await fail(injector.forceAnomaly(source, "wipe" as AnomalyKind, path.join(dir, "x.csv"))))?.message).toMatch(/unknown anomaly kind 'wipe'/);
  expect(await readFile(source)).toEqual(original);
});
