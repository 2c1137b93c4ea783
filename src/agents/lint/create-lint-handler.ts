import { mkdir } from "node:fs/promises";
import path from "node:path";
import { coerceError } from "../../core/errors.js";
import type { JobContext, JobOutcome, KindHandler } from "../run-job.js";
import { resolveInside, runSteps } from "../run-steps.js";
import type { StageDeps } from "../stage-deps.js";
import { detectLinters, type LinterPlan } from "./detect-linters.js";
import { finishLint, lintStageData } from "./finish-lint.js";
import { DEFAULT_SARIF_PATH, parseLintOptions, type LintOptions } from "./lint-options.js";
import { toolOfFormat } from "./parse-lint-output.js";
import { runLinter, type LinterResult } from "./run-linter.js";

/**
 * The `lint` stage: runs the linters the project is set up for (ESLint, tsc, Ruff, Pylint) or the
 * pipeline's `with.command`, stores the findings, writes them as SARIF 2.1.0 and fails on errors
 * (or on more warnings than `with.max_warnings`). See docs/stages/lint.md.
 */
export function createLintHandler(deps: StageDeps): KindHandler {
  return async (ctx) => {
    const parsed = parseLintOptions(ctx.job.with);
    if (!parsed.ok) return setupFailure(parsed.error);
    const opts = parsed.options;
    const projectDir = resolveInside(ctx.workspace, ctx.job.workingDirectory);
    if (projectDir === null) return setupFailure(`working-directory ${ctx.job.workingDirectory ?? ""} escapes the workspace: give a path inside it`);
    const sarifFile = resolveInside(ctx.workspace, opts.sarif);
    if (sarifFile === null || sarifFile === ctx.workspace) {
      return setupFailure(`with.sarif: "${opts.sarif}" is not a file inside the workspace: give a relative path such as "${DEFAULT_SARIF_PATH}"`);
    }
    const cannotWrite = await prepareDirectory(path.dirname(sarifFile));
    if (cannotWrite !== null) return setupFailure(`with.sarif: cannot create the directory of "${opts.sarif}": ${cannotWrite}: choose another path`);
    if (opts.command === null && ctx.job.steps.length > 0) {
      const steps = await runLintSteps(ctx);
      if (steps.setupError !== null) return setupFailure(steps.setupError);
      return finishLint({ ctx, log: deps.log, options: opts, results: [steps.result], projectDir, sarifFile });
    }
    const plans = await planLinters(ctx, opts, projectDir, sarifFile);
    if (plans.length === 0) {
      const where = path.relative(ctx.workspace, projectDir) || "the workspace";
      return setupFailure(`no linter found in ${where}: add an ESLint config (eslint.config.js), a tsconfig.json or Ruff/Pylint settings (pyproject.toml), or set lint.command`);
    }
    const missing = plans.find((p) => p.notFound !== null);
    if (missing?.notFound) {
      const data = lintStageData({ findings: [], tools: plans.map((p) => p.tool), sarif: null, options: opts, failures: [missing.notFound] });
      return { ...setupFailure(missing.notFound), hint: "command_not_found", stage: { kind: "lint", summary: missing.notFound, data } };
    }
    const results = await runAll(ctx, plans);
    return finishLint({ ctx, log: deps.log, options: opts, results, projectDir, sarifFile });
  };
}

/** Creates `dir`; the reason when it cannot be (a file in the way, no permission). */
async function prepareDirectory(dir: string): Promise<string | null> {
  try {
    await mkdir(dir, { recursive: true });
    return null;
  } catch (e) {
    return coerceError(e).message;
  }
}

function setupFailure(reason: string): JobOutcome {
  return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: reason };
}

async function planLinters(ctx: JobContext, opts: LintOptions, projectDir: string, sarifFile: string): Promise<LinterPlan[]> {
  // Raw reports go next to the SARIF file, named per job and attempt so matrix jobs do not collide.
  const tag = `${ctx.job.id}-${ctx.attempt}`.replace(/[^\w.-]+/g, "_");
  const reportFile = (tool: string): string => path.join(path.dirname(sarifFile), `.${tool}-${tag}.json`);
  if (opts.command === null) return detectLinters({ projectDir, workspace: ctx.workspace, pathEnv: ctx.env.PATH, reportFile });
  return [
    {
      tool: opts.format === null ? "command" : toolOfFormat(opts.format),
      format: opts.format,
      command: opts.command,
      env: {},
      reportFile: null,
      project: null,
      notFound: null,
      // The user's command: its exit code is trusted as is, unless findings explain it.
      crashed: () => false,
    },
  ];
}

/** A full-form `agent: lint` job with steps: the steps are the lint command, their exit code the verdict. */
async function runLintSteps(ctx: JobContext): Promise<{ result: LinterResult; setupError: null } | { setupError: string }> {
  const res = await runSteps(ctx);
  if (res.last === null) return { setupError: res.setupError ?? "the lint steps did not run" };
  if (res.setupError !== null) return { setupError: res.setupError };
  const outcome = { ...res.last, outputBytes: res.outputBytes, truncatedBytes: res.truncatedBytes };
  return { setupError: null, result: { tool: "steps", runs: [], outcome, failure: null, notFound: false, parsed: false } };
}

async function runAll(ctx: JobContext, plans: readonly LinterPlan[]): Promise<LinterResult[]> {
  const used = { bytes: 0 };
  const results: LinterResult[] = [];
  for (const plan of plans) {
    if (ctx.signal.aborted) break;
    results.push(await runLinter(ctx, plan, used));
  }
  return results;
}
