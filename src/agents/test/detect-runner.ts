import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { coerceError } from "../../core/errors.js";
import { defaultInvocation, forceRunner, guessRunner, recognizeRunner, type RunnerInvocation } from "./runner-invocation.js";
import type { DrivenRunner, TestOptions, TestRunner } from "./test-options.js";

/**
 * How the stage will run the tests:
 * - `direct`: pitstop starts the runner itself and adds its reporter (and name filter) arguments;
 * - `script`: a command pitstop does not change (`npm test` wrapping the runner, `with.command`
 *   with `runner: command`, or the job's steps); reports come from `with.junit` or are discovered.
 */
export type TestPlan =
  | { mode: "direct"; invocation: RunnerInvocation; source: string }
  | { mode: "script"; runner: TestRunner; command: string | null; source: string };

type Detected = TestPlan | { error: string };

interface PackageJson {
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
}

const NPM_INIT_PLACEHOLDER = /no test specified/;
const PACKAGE_RUNNERS: readonly DrivenRunner[] = ["vitest", "jest", "mocha"];

/** Decides what to run in `dir` from the stage options, the job's steps and the project's files. */
export async function detectRunner(dir: string, options: TestOptions, hasSteps: boolean): Promise<Detected> {
  const forced = options.runner;
  if (options.command !== null) return fromCommand(options.command, forced);
  if (hasSteps) return { mode: "script", runner: forced ?? "command", command: null, source: "the job's steps" };
  const pkg = await readPackageJson(dir);
  if ("error" in pkg) return pkg;
  const script = testScript(pkg.value);
  if (forced !== null && forced !== "command") {
    const own = script === null ? null : recognizeRunner(script);
    if (own !== null && own.runner === forced) return { mode: "direct", invocation: own, source: "package.json scripts.test" };
    return { mode: "direct", invocation: defaultInvocation(forced), source: "with.runner" };
  }
  if (script !== null) {
    const own = recognizeRunner(script);
    if (own !== null) return { mode: "direct", invocation: own, source: "package.json scripts.test" };
    return { mode: "script", runner: guessRunner(script) ?? "command", command: "npm test", source: "package.json scripts.test" };
  }
  const deps = { ...pkg.value?.dependencies, ...pkg.value?.devDependencies };
  const fromDeps = PACKAGE_RUNNERS.find((r) => r in deps);
  if (fromDeps !== undefined) return { mode: "direct", invocation: defaultInvocation(fromDeps), source: `package.json dependencies (${fromDeps})` };
  const py = await pytestEvidence(dir);
  if (py !== null) return { mode: "direct", invocation: defaultInvocation("pytest"), source: py };
  return {
    error: `no test runner found in ${dir}: add a \`test\` script to package.json (vitest, jest, mocha or node --test), a pytest configuration, or set test.command`,
  };
}

function fromCommand(command: string, forced: TestRunner | null): Detected {
  if (forced === "command") return { mode: "script", runner: "command", command, source: "with.command" };
  if (forced !== null) {
    const inv = forceRunner(command, forced);
    return "error" in inv ? inv : { mode: "direct", invocation: inv, source: "with.command" };
  }
  const own = recognizeRunner(command);
  if (own !== null) return { mode: "direct", invocation: own, source: "with.command" };
  return { mode: "script", runner: guessRunner(command) ?? "command", command, source: "with.command" };
}

async function readPackageJson(dir: string): Promise<{ value: PackageJson | null } | { error: string }> {
  let text: string;
  try {
    text = await readFile(path.join(dir, "package.json"), "utf8");
  } catch {
    return { value: null };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return { error: "package.json: expected a JSON object: fix it or set test.command" };
    return { value: value as PackageJson };
  } catch (e) {
    return { error: `package.json: not valid JSON (${coerceError(e).message}): fix it or set test.command` };
  }
}

function testScript(pkg: PackageJson | null): string | null {
  const s = pkg?.scripts?.test;
  if (typeof s !== "string" || s.trim() === "" || NPM_INIT_PLACEHOLDER.test(s)) return null;
  return s.trim();
}

const PY_CONFIGS: ReadonlyArray<readonly [string, RegExp | null]> = [
  ["pytest.ini", null],
  ["conftest.py", null],
  ["pyproject.toml", /\[tool\.pytest|\bpytest\b/],
  ["setup.cfg", /\[tool:pytest\]/],
  ["tox.ini", /\[pytest\]/],
  ["requirements.txt", /^\s*pytest\b/m],
  ["requirements-dev.txt", /^\s*pytest\b/m],
  ["requirements-test.txt", /^\s*pytest\b/m],
];

/** Why this looks like a pytest project (a file name), or null. */
async function pytestEvidence(dir: string): Promise<string | null> {
  for (const [file, pattern] of PY_CONFIGS) {
    const text = await readFile(path.join(dir, file), "utf8").catch(() => null);
    if (text !== null && (pattern === null || pattern.test(text))) return file;
  }
  for (const sub of ["tests", "test"]) {
    const names = await readdir(path.join(dir, sub)).catch(() => [] as string[]);
    if (names.some((n) => /^test_.*\.py$|_test\.py$/.test(n))) return `${sub}/ with test_*.py files`;
  }
  return null;
}
