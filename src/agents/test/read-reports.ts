import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TestCase } from "../../core/run/test-case.js";
import { parseJUnit } from "../../insights/junit.js";
import { changedSince, type FileSnapshot } from "./file-snapshot.js";
import { parseJestJson } from "./jest-report.js";
import type { DrivenRunner } from "./test-options.js";
import { toJUnitXml } from "./write-junit.js";

export interface ReadResult {
  cases: TestCase[];
  problems: string[];
  /** Reports read, relative to the workspace. */
  files: string[];
}

/** Reports above this size are refused rather than parsed, as for `reports.junit`. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/**
 * Where reports are looked for after a command pitstop did not add its reporter to (`npm test`
 * wrapping the runner) and no `with.junit` was given: the usual places of jest-junit,
 * mocha-junit-reporter, Gradle/Surefire (TEST-*.xml) and hand-written `--junitxml=reports/...`.
 * Only files this run wrote count (see file-snapshot.ts).
 */
export const DISCOVER_PATTERNS = ["**/junit*.xml", "**/TEST-*.xml", "**/*.junit.xml", "reports/**/*.xml", "test-results/**/*.xml", "test-reports/**/*.xml"];

async function readBounded(abs: string, rel: string): Promise<{ text: string } | { problem: string }> {
  const s = await stat(abs).catch(() => null);
  if (s === null) return { problem: `${rel}: the runner wrote no report (did the tests start?)` };
  if (s.size > MAX_REPORT_BYTES) return { problem: `${rel}: ${s.size} bytes, above the ${MAX_REPORT_BYTES}-byte limit; ignored` };
  return { text: await readFile(abs, "utf8") };
}

/**
 * The report of a runner pitstop drove. Jest's JSON is converted and also written as JUnit XML
 * at `junitFile`, so every driven runner leaves the same kind of report behind.
 */
export async function readRunnerReport(
  runner: DrivenRunner,
  files: { junit: string; jestJson: string },
  workspace: string,
  mask: (s: string) => string,
): Promise<ReadResult> {
  const rel = (f: string): string => path.relative(workspace, f);
  if (runner !== "jest") {
    const r = await readBounded(files.junit, rel(files.junit));
    if ("problem" in r) return { cases: [], problems: [r.problem], files: [] };
    const parsed = parseJUnit(r.text, rel(files.junit), { mask });
    return { ...parsed, files: [rel(files.junit)] };
  }
  const r = await readBounded(files.jestJson, rel(files.jestJson));
  if ("problem" in r) return { cases: [], problems: [r.problem], files: [] };
  const parsed = parseJestJson(r.text, rel(files.junit), workspace, mask);
  await writeFile(files.junit, toJUnitXml(parsed.cases, "jest"));
  return { ...parsed, files: [rel(files.junit)] };
}

/**
 * Reports of a command pitstop ran as written: the files matching `patterns` (`with.junit`)
 * or the discovered ones, that this run wrote. Discovered XML files that are not JUnit
 * (a coverage or lint report under reports/) are skipped silently; named ones are not.
 */
export async function readScriptReports(
  cwd: string,
  workspace: string,
  patterns: { globs: readonly string[]; discovered: boolean },
  before: FileSnapshot,
  mask: (s: string) => string,
): Promise<ReadResult> {
  const out: ReadResult = { cases: [], problems: [], files: [] };
  const changed = await changedSince(cwd, patterns.globs, before);
  if (!patterns.discovered && changed.length === 0) {
    out.problems.push(`with.junit: no report matching ${patterns.globs.map((g) => `\`${g}\``).join(", ")} was written by this run`);
  }
  for (const abs of changed) {
    const rel = path.relative(workspace, abs);
    const r = await readBounded(abs, rel);
    if ("problem" in r) {
      out.problems.push(r.problem);
      continue;
    }
    if (patterns.discovered && !/<testsuites?\b/.test(r.text.slice(0, 4096))) continue;
    const parsed = parseJUnit(r.text, rel, { mask });
    out.cases.push(...parsed.cases);
    out.problems.push(...parsed.problems);
    out.files.push(rel);
  }
  return out;
}
