import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { glob } from "tinyglobby";
import type { TestCase } from "../core/run/test-case.js";
import { parseJUnit } from "../insights/junit.js";

/** Reports above this size are refused rather than parsed (a runaway reporter should not sink the agent). */
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/**
 * Finds and parses the job's JUnit reports. Globs are relative to the workspace; a pattern or a
 * match (through a symlink) that leaves the workspace is refused. Never throws: every problem is
 * returned as a message for the job.
 */
export async function collectJUnit(
  workspace: string,
  patterns: readonly string[],
  mask: (s: string) => string,
): Promise<{ cases: TestCase[]; problems: string[] }> {
  const cases: TestCase[] = [];
  const problems: string[] = [];
  const root = await realpath(workspace);
  for (const pattern of patterns) {
    if (path.isAbsolute(pattern) || pattern.split(/[\\/]/).includes("..")) {
      problems.push(`reports.junit: \`${pattern}\` leaves the workspace: use a path relative to the project`);
      continue;
    }
    const files = await glob(pattern, { cwd: root, absolute: true, onlyFiles: true, dot: true, followSymbolicLinks: false });
    if (files.length === 0) {
      problems.push(`reports.junit: no file matched \`${pattern}\``);
      continue;
    }
    for (const file of files.sort()) {
      const rel = path.relative(root, file);
      const real = await realpath(file);
      if (path.relative(root, real).startsWith("..")) {
        problems.push(`reports.junit: ${rel} points outside the workspace; ignored`);
        continue;
      }
      const size = (await stat(real)).size;
      if (size > MAX_REPORT_BYTES) {
        problems.push(`reports.junit: ${rel} is ${size} bytes, above the ${MAX_REPORT_BYTES}-byte limit; ignored`);
        continue;
      }
      const parsed = parseJUnit(await readFile(real, "utf8"), rel, { mask });
      cases.push(...parsed.cases);
      problems.push(...parsed.problems);
    }
  }
  return { cases, problems };
}
