import { ErrorCode, PitstopError } from "../core/errors.js";
import type { Bus } from "../bus/port.js";
import { compareJobRerun } from "../healing/detectors/flaky-tests.js";
import type { JobRerunResult, PipelineControl } from "../healing/loop/heal-types.js";
import type { Orchestrator } from "../orchestrator/create-orchestrator.js";
import { triggerRun } from "../orchestrator/trigger-run.js";
import type { Store } from "../store/port.js";

/**
 * The engine as the healing loop's job actuators see it: a rerun of one job of a finished run is
 * a new run on the same workspace, commit, branch and `--env` values, holding only that job (its
 * `needs` succeeded in the earlier run and left their work in the shared workspace). The new run
 * names the one it reruns (`trigger.rerunOf`), so the test stage can rerun only the failed tests
 * and the flaky-test detector can compare the two.
 */
export function createPipelineControl(deps: { store: Store; bus: Bus; orchestrator: Pick<Orchestrator, "waitForRun">; now: () => number; newId: () => string }): PipelineControl {
  return {
    async rerunJob({ runId, jobId, failedTestsOnly, by }): Promise<JobRerunResult> {
      const run = await deps.store.runs.getRun(runId);
      if (run === null) throw new PitstopError(ErrorCode.RUN_NOT_FOUND, `no run ${runId} to rerun job ${jobId} of`);
      const job = run.plan.jobs.find((j) => j.id === jobId);
      if (job === undefined) throw new PitstopError(ErrorCode.JOB_NOT_FOUND, `run #${run.number} has no job ${jobId}; jobs are: ${run.plan.jobs.map((j) => j.id).join(", ")}`);
      const last = (await deps.store.runs.listAttempts(runId, jobId)).at(-1);
      if (last === undefined) throw new PitstopError(ErrorCode.JOB_NOT_FOUND, `job ${jobId} of run #${run.number} never ran: nothing to rerun`);
      const plan = { ...run.plan, jobs: [{ ...job, needs: [] }] };
      const rerun = await triggerRun(deps, {
        plan,
        workspace: run.workspace,
        trigger: { source: "heal", by, rerunOf: { runId, jobId, attempt: last.attempt, failedTestsOnly } },
        branch: run.branch,
        commit: run.commit,
        env: run.env,
      });
      const final = await deps.orchestrator.waitForRun(rerun.id);
      const rerunJob = await deps.store.runs.getJob(final.id, jobId);
      const compared = await compareJobRerun(deps.store, final.id, jobId);
      return {
        runId: final.id,
        runNumber: final.number,
        ok: rerunJob?.status === "succeeded",
        jobStatus: rerunJob?.status ?? final.status,
        reason: rerunJob?.reason ?? final.reason ?? null,
        flaky: compared?.tests.filter((t) => t.passed).map((t) => t.testId) ?? [],
      };
    },
  };
}
