import type { KindHandler } from "../run-job.js";
import { resolveInside } from "../run-steps.js";
import type { StageDeps } from "../stage-deps.js";
import { detectRunner } from "./detect-runner.js";
import { escapesWorkspace } from "./file-snapshot.js";
import { runDirect } from "./run-direct.js";
import { runScript } from "./run-script.js";
import { parseTestOptions, type TestOptions } from "./test-options.js";

/**
 * The `test` stage: finds the project's test runner (or takes `with.command` / `with.runner`),
 * runs it so that it writes a JUnit report pitstop reads (node --test, vitest, jest, mocha,
 * pytest; see runner-command.ts), records coverage totals when the run leaves lcov or Cobertura
 * output, and on a retry reruns only the tests that failed in the previous attempt.
 * Options and stored data: docs/stages/test.md.
 */
export function createTestHandler(deps: StageDeps): KindHandler {
  return async (ctx) => {
    const parsed = parseTestOptions(ctx.job.with);
    if ("error" in parsed) return setupError(parsed.error);
    const options = parsed.options;
    const pathProblem = checkPaths(options);
    if (pathProblem !== null) return setupError(pathProblem);
    const cwd = resolveInside(ctx.workspace, ctx.job.workingDirectory);
    if (cwd === null) return setupError(`working-directory ${ctx.job.workingDirectory ?? ""} escapes the workspace: use a path inside the project`);
    const plan = await detectRunner(cwd, options, ctx.job.steps.length > 0);
    if ("error" in plan) return setupError(plan.error);
    deps.log.debug({ runId: ctx.runId, jobId: ctx.job.id, mode: plan.mode, source: plan.source }, "test plan");
    const runner = plan.mode === "direct" ? plan.invocation.runner : plan.runner;
    ctx.logs.push("system", `test runner: ${runner} (from ${plan.source})`);
    return plan.mode === "direct" ? runDirect(ctx, { plan, options, cwd }) : runScript(ctx, { plan, options, cwd });
  };
}

function checkPaths(o: TestOptions): string | null {
  const badJunit = o.junit.find(escapesWorkspace);
  if (badJunit !== undefined) return `with.junit: \`${badJunit}\` leaves the workspace: use a path relative to the project`;
  if (typeof o.coverage === "string" && escapesWorkspace(o.coverage)) {
    return `with.coverage: \`${o.coverage}\` leaves the workspace: use a path relative to the project`;
  }
  return null;
}

function setupError(message: string) {
  return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: message };
}
