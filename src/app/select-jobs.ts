import { ErrorCode, PitstopError } from "../core/errors.js";
import type { ExecutionPlan } from "../core/pipeline/plan.js";

/**
 * Narrows a plan to the named jobs plus everything they need, so `--job test` can run.
 * A name matches a job id, its display name, or every expansion of a matrix job.
 */
export function selectJobs(plan: ExecutionPlan, names: readonly string[]): ExecutionPlan {
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const wanted = new Set<string>();
  for (const name of names) {
    const hits = plan.jobs.filter((j) => j.id === name || j.name === name || j.id.startsWith(`${name}[`));
    if (hits.length === 0) {
      throw new PitstopError(ErrorCode.JOB_NOT_FOUND, `--job ${name}: no such job in ${plan.pipelineFile}; jobs are: ${plan.jobs.map((j) => j.id).join(", ")}`);
    }
    for (const h of hits) wanted.add(h.id);
  }
  const stack = [...wanted];
  while (stack.length > 0) {
    for (const need of byId.get(stack.pop()!)?.needs ?? []) {
      if (!wanted.has(need)) {
        wanted.add(need);
        stack.push(need);
      }
    }
  }
  return { ...plan, jobs: plan.jobs.filter((j) => wanted.has(j.id)) };
}
