import type { KindHandler } from "./run-job.js";
import { runSteps } from "./run-steps.js";

/** The `shell` kind: runs the job's steps exactly as written. */
export const shellHandler: KindHandler = async (ctx) => {
  if (ctx.job.steps.length === 0) {
    return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: `job ${ctx.job.name} has no steps to run` };
  }
  return runSteps(ctx);
};
