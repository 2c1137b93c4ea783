import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { findNodeTool, findOnPath, firstExecutable } from "./find-tool.js";
import type { LintFormat } from "./parse-lint-output.js";

/** One linter to run: how to run it, how to read it, what to say when it is missing. */
export interface LinterPlan {
  tool: string;
  /** null: findings unknown, the exit code decides (a `with.command` without `with.format`). */
  format: LintFormat | null;
  command: string;
  env: Record<string, string>;
  /** Absolute path the tool writes its report to; null when the report is its stdout. */
  reportFile: string | null;
  /** For tsc: the tsconfig that location-less diagnostics are about (relative to the project). */
  project: string | null;
  /** Set when the tool is not installed: the message the stage fails with. */
  notFound: string | null;
  /** Exit codes that mean the tool itself broke (bad config, crash), whatever it printed. */
  crashed: (exitCode: number) => boolean;
}

export interface DetectInput {
  /** Where the linters run (workspace + working directory). */
  projectDir: string;
  /** Config files are looked for from projectDir up to here. */
  workspace: string;
  /** The job's PATH. */
  pathEnv: string | undefined;
  /** Absolute file a tool that writes its report to a file should use. */
  reportFile: (tool: string) => string;
}

const ESLINT_FLAT = ["eslint.config.js", "eslint.config.mjs", "eslint.config.cjs", "eslint.config.ts", "eslint.config.mts", "eslint.config.cts"];
const ESLINT_LEGACY = [".eslintrc.js", ".eslintrc.cjs", ".eslintrc.yaml", ".eslintrc.yml", ".eslintrc.json", ".eslintrc"];

/** Every linter the project is set up for, in a fixed order (eslint, tsc, ruff, pylint). */
export async function detectLinters(input: DetectInput): Promise<LinterPlan[]> {
  const plans: LinterPlan[] = [];
  const eslint = await eslintConfigKind(input.projectDir, input.workspace);
  if (eslint !== null) plans.push(await eslintPlan(input, eslint));
  if (await isFile(path.join(input.projectDir, "tsconfig.json"))) plans.push(await tscPlan(input));
  const python = await pythonConfig(input.projectDir);
  if (python.ruff) plans.push(await pythonPlan(input, "ruff", "check --no-fix --output-format json .", "ruff-json", (c) => c >= 2));
  // Exit status 32 is pylint's usage error; lower bits only say which kinds of messages it found.
  if (python.pylint) plans.push(await pythonPlan(input, "pylint", "--recursive=y --output-format=json .", "pylint-json", (c) => (c & 32) !== 0));
  return plans;
}

async function eslintPlan(input: DetectInput, kind: "flat" | "legacy"): Promise<LinterPlan> {
  const report = input.reportFile("eslint");
  const bin = await nodeBin("eslint", input);
  return {
    tool: "eslint",
    format: "eslint-json",
    // Relative to the directory eslint runs in, which is how it resolves the option. pitstop's own
    // files in the workspace (reports, deployed release copies under .pitstop) are not the project's code.
    command: `${bin ?? "eslint"} . --ignore-pattern '.pitstop/**' --format json-with-metadata --output-file ${shellQuote(path.relative(input.projectDir, report))}`,
    // ESLint 9 reads .eslintrc files only when asked to.
    env: kind === "legacy" ? { ESLINT_USE_FLAT_CONFIG: "false" } : {},
    reportFile: report,
    project: null,
    notFound: bin === null ? "eslint not found: add it to devDependencies or set lint.command" : null,
    crashed: (c) => c >= 2,
  };
}

async function tscPlan(input: DetectInput): Promise<LinterPlan> {
  const bin = await nodeBin("tsc", input);
  return {
    tool: "tsc",
    format: "tsc",
    command: `${bin ?? "tsc"} --noEmit -p tsconfig.json --pretty false`,
    env: {},
    reportFile: null,
    project: "tsconfig.json",
    notFound: bin === null ? "tsc not found: add typescript to devDependencies or set lint.command" : null,
    // 1 and 2 mean "diagnostics found" (with and without output); anything else is tsc breaking.
    crashed: (c) => c > 2,
  };
}

async function pythonPlan(input: DetectInput, tool: string, args: string, format: LintFormat, crashed: (c: number) => boolean): Promise<LinterPlan> {
  const venv = await firstExecutable([".venv", "venv"].map((d) => path.join(input.projectDir, d, "bin", tool)));
  const onPath = venv === null ? await findOnPath(tool, input.pathEnv) : null;
  const bin = venv !== null ? shellQuote(venv) : onPath !== null ? tool : null;
  return {
    tool,
    format,
    command: `${bin ?? tool} ${args}`,
    env: {},
    reportFile: null,
    project: null,
    notFound: bin === null ? `${tool} not found: the project configures ${tool} but it is not on PATH or in .venv: install it (pip install ${tool}) or set lint.command` : null,
    crashed,
  };
}

/** How to run a Node tool: through npx when the project has it, by name when only PATH has it. */
async function nodeBin(name: string, input: DetectInput): Promise<string | null> {
  if ((await findNodeTool(name, input.projectDir)) !== null) return `npx --no-install ${name}`;
  if ((await findOnPath(name, input.pathEnv)) !== null) return name;
  return null;
}

/** The kind of the ESLint config closest to projectDir, looking up to the workspace root. */
async function eslintConfigKind(projectDir: string, workspace: string): Promise<"flat" | "legacy" | null> {
  let dir = projectDir;
  for (;;) {
    for (const f of ESLINT_FLAT) if (await isFile(path.join(dir, f))) return "flat";
    for (const f of ESLINT_LEGACY) if (await isFile(path.join(dir, f))) return "legacy";
    if (await packageJsonHasEslintConfig(dir)) return "legacy";
    const rel = path.relative(workspace, dir);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return null;
    dir = path.dirname(dir);
  }
}

async function packageJsonHasEslintConfig(dir: string): Promise<boolean> {
  const text = await readFile(path.join(dir, "package.json"), "utf8").catch(() => null);
  if (text === null) return false;
  try {
    const pkg: unknown = JSON.parse(text);
    return typeof pkg === "object" && pkg !== null && "eslintConfig" in pkg;
  } catch {
    return false;
  }
}

async function pythonConfig(dir: string): Promise<{ ruff: boolean; pylint: boolean }> {
  const pyproject = (await readFile(path.join(dir, "pyproject.toml"), "utf8").catch(() => "")) ?? "";
  const ruff = /^\s*\[tool\.ruff[.\]]/m.test(pyproject) || (await isFile(path.join(dir, "ruff.toml"))) || (await isFile(path.join(dir, ".ruff.toml")));
  const pylint = /^\s*\[tool\.pylint[.\]]/m.test(pyproject) || (await isFile(path.join(dir, ".pylintrc"))) || (await isFile(path.join(dir, "pylintrc")));
  return { ruff, pylint };
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** Quotes a word for `sh -c`. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
