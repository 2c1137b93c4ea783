import path from "node:path";
import { z } from "zod";
import { MAX_MESSAGE_CHARS } from "../../insights/junit.js";
import type { TestCase, TestCaseStatus } from "../../core/run/test-case.js";

/**
 * Jest has no JUnit reporter of its own (jest-junit is a separate package), so the stage asks for
 * `--json --outputFile=<file>` and reads that: `testResults[]` per file, `assertionResults[]` per
 * test (ancestorTitles, title, status, duration, failureMessages). A file that failed to run at
 * all (syntax error, missing module) has a `message` and no assertion results: it becomes one
 * errored case, or the failure would vanish from the counts.
 */

const AssertionSchema = z.object({
  ancestorTitles: z.array(z.string()).default([]),
  title: z.string(),
  status: z.string(),
  duration: z.number().nullable().optional(),
  failureMessages: z.array(z.string()).nullable().optional(),
});

const JestJsonSchema = z.object({
  testResults: z.array(
    z.object({
      name: z.string(),
      message: z.string().optional(),
      status: z.string().optional(),
      assertionResults: z.array(AssertionSchema).default([]),
    }),
  ),
});

const STATUS: Readonly<Record<string, TestCaseStatus>> = {
  passed: "passed",
  failed: "failed",
  pending: "skipped",
  skipped: "skipped",
  todo: "skipped",
  disabled: "skipped",
  focused: "passed",
};

// Jest colours failure messages even in JSON.
// eslint-disable-next-line no-control-regex -- ANSI colour codes are control characters by definition
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]/g;

function cleanMessage(s: string, mask: (t: string) => string): string {
  const text = mask(s.replace(ANSI, "").trim());
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS)}… (truncated)`;
}

/**
 * Test cases from jest's JSON output: suite = the test file relative to `root`, name = the
 * describe titles and the test title joined with " > " (as vitest names them), classname = the
 * describe titles joined with spaces.
 */
export function parseJestJson(json: string, file: string, root: string, mask: (t: string) => string): { cases: TestCase[]; problems: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    return { cases: [], problems: [`${file}: not valid JSON from jest --json: ${(e as Error).message}`] };
  }
  const parsed = JestJsonSchema.safeParse(data);
  if (!parsed.success) return { cases: [], problems: [`${file}: not a jest --json report: ${parsed.error.issues[0]?.message ?? "unexpected shape"} at ${parsed.error.issues[0]?.path.join(".") ?? "?"}`] };
  const cases: TestCase[] = [];
  for (const result of parsed.data.testResults) {
    const suite = mask(path.relative(root, result.name) || result.name);
    for (const a of result.assertionResults) {
      const failures = (a.failureMessages ?? []).filter((m) => m.trim() !== "");
      cases.push({
        suite,
        classname: mask(a.ancestorTitles.join(" ")),
        name: mask([...a.ancestorTitles, a.title].join(" > ")),
        status: STATUS[a.status] ?? "errored",
        durationMs: Math.max(0, Math.round(a.duration ?? 0)),
        message: failures.length === 0 ? null : cleanMessage(failures.join("\n\n"), mask),
        file,
      });
    }
    if (result.assertionResults.length === 0 && (result.message ?? "").trim() !== "") {
      cases.push({ suite, classname: "", name: "(test file failed to run)", status: "errored", durationMs: 0, message: cleanMessage(result.message ?? "", mask), file });
    }
  }
  return { cases, problems: [] };
}
