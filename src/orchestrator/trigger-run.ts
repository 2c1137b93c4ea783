import type { ExecutionPlan } from "../core/pipeline/plan.js";
import { message } from "../protocol/messages.js";
import { Topic } from "../protocol/topics.js";
import type { Bus } from "../bus/port.js";
import type { RunRecord, RunTrigger, Store } from "../store/port.js";

export interface TriggerRunInput {
  plan: ExecutionPlan;
  workspace: string;
  trigger: RunTrigger;
  branch: string | null;
  commit: string | null;
  env: Record<string, string>;
}

/**
 * Records a new run (status queued, every job pending) and announces it on pipeline.events,
 * where an orchestrator takes it. The same path serves the CLI, the HTTP API and webhooks.
 */
export async function triggerRun(
  deps: { store: Store; bus: Bus; now: () => number; newId: () => string },
  input: TriggerRunInput,
): Promise<RunRecord> {
  const run = await deps.store.runs.createRun(
    {
      id: deps.newId(),
      status: "queued",
      pipelineFile: input.plan.pipelineFile,
      workspace: input.workspace,
      plan: input.plan,
      trigger: input.trigger,
      branch: input.branch,
      commit: input.commit,
      env: input.env,
      createdAt: deps.now(),
      ownerId: null,
    },
    input.plan.jobs.map((j) => ({ jobId: j.id, name: j.name, kind: j.kind })),
    deps.now(),
  );
  await deps.bus.publish(Topic.pipelineEvents, message("run.created", { runId: run.id }));
  return run;
}
