import type { KindHandler } from "./run-job.js";
import { runSteps } from "./run-steps.js";
import { formatBytes } from "./build/build-report.js";
import { packArtifacts, type PackDeps } from "./build/pack-artifacts.js";
import { escapingGlob } from "./build/collect-artifacts.js";

/**
 * The `shell` kind: runs the job's steps exactly as written, then stores the files its
 * `artifacts:` globs match in the artifact store (as the build stage does).
 */
export function createShellHandler(deps: PackDeps): KindHandler {
  return async (ctx) => {
    if (ctx.job.steps.length === 0) {
      return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: `job ${ctx.job.name} has no steps to run` };
    }
    const refused = ctx.job.artifacts.map(escapingGlob).find((r) => r !== null);
    if (refused) return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: refused };
    const result = await runSteps(ctx);
    if (!result.ok || ctx.job.artifacts.length === 0) return result;
    const packed = await packArtifacts(ctx, deps, ctx.workspace, ctx.job.artifacts);
    for (const w of packed.warnings) ctx.logs.push("system", `warning: ${w}`);
    if ("refused" in packed) return { ...result, ok: false, setupError: packed.refused };
    const a = packed.report;
    const summary = a === null ? "no artifacts matched" : `${a.files} artifact${a.files === 1 ? "" : "s"} (${formatBytes(a.bytes)}), digest ${a.digest.slice(0, 19)}…`;
    return { ...result, stage: { kind: "shell", summary, data: { artifacts: a } } };
  };
}
