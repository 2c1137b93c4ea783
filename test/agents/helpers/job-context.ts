import type { PlanJob } from "../../../src/core/pipeline/plan.js";
import { createLogBatcher } from "../../../src/agents/log-batcher.js";
import type { JobContext } from "../../../src/agents/run-job.js";
import { createProcessExecutor } from "../../../src/executor/adapters/process.js";
import type { Executor } from "../../../src/executor/port.js";
import type { AssignmentContext } from "../../../src/protocol/messages.js";

/** A plan job of `kind` with defaults, for calling a stage handler directly in tests. */
export function planJob(kind: string, extra: Partial<PlanJob> = {}): PlanJob {
  return {
    id: kind, name: kind, kind, needs: [], condition: null, conditionText: null, steps: [], env: {}, secrets: [],
    timeoutMs: 120_000, retry: [], continueOnError: false, reports: { junit: [] }, artifacts: [], concurrency: null,
    workingDirectory: null, sandbox: false, network: false, matrix: null, with: {}, ...extra,
  };
}

export interface TestJobContext extends JobContext {
  /** Every line the handler logged, as "stream: text". */
  lines: string[];
}

/**
 * A real JobContext (real process executor, real log batcher) whose log lines are collected in
 * memory instead of crossing a bus.
 */
export function jobContext(opts: {
  workspace: string;
  job: PlanJob;
  attempt?: number;
  context?: Partial<AssignmentContext>;
  env?: Record<string, string>;
  executor?: Executor;
  mask?: (s: string) => string;
  signal?: AbortSignal;
}): TestJobContext {
  const lines: string[] = [];
  const logs = createLogBatcher({
    now: Date.now,
    send: async (_seq, batch) => {
      for (const l of batch) lines.push(`${l.stream}: ${l.text}`);
    },
    flushMs: 5,
  });
  return {
    job: opts.job,
    runId: "run-test",
    attempt: opts.attempt ?? 1,
    context: {
      run: { id: "run-test", number: 1, pipelineFile: "pipeline.yml", branch: "main", commit: null, startedAt: Date.now(), jobs: [] },
      previous: null,
      ...opts.context,
      quarantined: opts.context?.quarantined ?? [],
    },
    workspace: opts.workspace,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8", CI: "true", ...opts.env },
    executor: opts.executor ?? createProcessExecutor(),
    logs,
    mask: opts.mask ?? ((s) => s),
    signal: opts.signal ?? new AbortController().signal,
    outputLimitBytes: 4 * 1024 * 1024,
    now: Date.now,
    lines,
  };
}
