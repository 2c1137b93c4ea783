import { access } from "node:fs/promises";
import path from "node:path";
import type { RunnerInvocation } from "./runner-invocation.js";
import { quoteArg, splitSimpleCommand } from "./shell-words.js";

/** A failed test of the previous attempt, as the orchestrator hands it over. */
export interface RerunTest {
  suite: string;
  classname: string;
  name: string;
  file: string;
}

/** Above this many, a name filter is no faster than the suite and much harder to read in the log. */
export const MAX_RERUN_TESTS = 100;

/** Suites and names in the reports are joined with " > " (see insights/junit.ts); runners join them with a space. */
const PATH_SEPARATOR = " > ";

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function anchored(names: readonly string[]): string {
  const unique = [...new Set(names)];
  return `^(?:${unique.map(escapeRegExp).join("|")})$`;
}

/**
 * The runner's own arguments that run only `tests`, or why that is not possible (the stage then
 * runs the whole suite). Names are matched exactly (anchored, escaped), so a test whose name
 * contains another's runs alone.
 */
export async function rerunFilter(inv: RunnerInvocation, tests: readonly RerunTest[], cwd: string): Promise<string[] | { unsupported: string }> {
  if (tests.length > MAX_RERUN_TESTS) return { unsupported: `${tests.length} tests failed, more than ${MAX_RERUN_TESTS}` };
  switch (inv.runner) {
    case "node":
      // Node matches a pattern against each test's own name (and, from Node 22, the names of its
      // ancestors joined by spaces); the own name works on both.
      return [`--test-name-pattern=${quoteArg(anchored(tests.map((t) => t.name)))}`];
    case "vitest":
    case "jest":
      // Both match -t against the describe titles and the test title joined by spaces.
      return ["-t", quoteArg(anchored(tests.map((t) => t.name.split(PATH_SEPARATOR).join(" "))))];
    case "mocha":
      // --grep is matched against the full title; mocha's xunit reporter puts the describe titles in classname.
      return ["--grep", quoteArg(anchored(tests.map((t) => (t.classname === "" ? t.name : `${t.classname} ${t.name}`))))];
    case "pytest":
      return pytestFilter(inv, tests, cwd);
  }
}

/**
 * pytest: node ids (`tests/test_x.py::TestY::test_z[1]`) when every test's module file is found
 * from its classname and the command names no paths of its own (pytest would run the union);
 * else `-k` with the function names.
 */
async function pytestFilter(inv: RunnerInvocation, tests: readonly RerunTest[], cwd: string): Promise<string[] | { unsupported: string }> {
  const words = splitSimpleCommand(inv.args.join(" "));
  const hasPaths = words === null || words.plain.some((w) => !w.startsWith("-"));
  if (!hasPaths) {
    const ids: string[] = [];
    for (const t of tests) {
      const id = await pytestNodeId(t, cwd);
      if (id === null) break;
      ids.push(id);
    }
    if (ids.length === tests.length) return [...new Set(ids)].map(quoteArg);
  }
  const names = [...new Set(tests.map((t) => t.name.replace(/\[.*\]$/, "")))];
  const bad = names.find((n) => !/^\w+$/.test(n));
  if (bad !== undefined) return { unsupported: `pytest -k cannot select \`${bad}\`` };
  return ["-k", quoteArg(names.join(" or "))];
}

/** `tests.test_math.TestDeep` + `test_inner` → `tests/test_math.py::TestDeep::test_inner`, when that file exists. */
async function pytestNodeId(t: RerunTest, cwd: string): Promise<string | null> {
  const parts = t.classname.split(".").filter((p) => p !== "");
  for (let i = parts.length; i > 0; i--) {
    const file = `${parts.slice(0, i).join("/")}.py`;
    const exists = await access(path.join(cwd, file)).then(() => true, () => false);
    if (exists) return [file, ...parts.slice(i), t.name].join("::");
  }
  return null;
}
