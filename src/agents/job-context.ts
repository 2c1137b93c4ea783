import type { FailureClass } from "../core/failure/failure-class.js";
import type { PlanJob } from "../core/pipeline/plan.js";
import type { TestCase } from "../core/run/test-case.js";
import type { ExecOutcome, Executor } from "../executor/port.js";
import type { AssignmentContext, StageReport } from "../protocol/messages.js";
import type { LogBatcher } from "./log-batcher.js";

/** What a stage kind's handler gets: everything it needs to do the job, nothing about the bus. */
export interface JobContext {
  job: PlanJob;
  runId: string;
  attempt: number;
  /** The run as it stands and the previous attempt of this job (for retries). */
  context: AssignmentContext;
  workspace: string;
  env: Record<string, string>;
  executor: Executor;
  logs: LogBatcher;
  mask: (s: string) => string;
  signal: AbortSignal;
  outputLimitBytes: number;
  now: () => number;
  /**
   * Epoch ms when the job's `timeout` runs out, counted from when the agent started it; every
   * command a stage agent runs gets what is left, so several tools cannot each take the whole
   * timeout. Null: no timeout. Absent (tests): each command gets `job.timeoutMs`.
   */
  deadline?: number | null;
}

export interface JobOutcome {
  ok: boolean;
  last: ExecOutcome | null;
  outputBytes: number;
  truncatedBytes: number;
  setupError: string | null;
  /** The handler's own classification when it knows better (lint findings, security gate…). */
  hint?: FailureClass;
  tests?: TestCase[];
  problems?: string[];
  /** What the stage learned (findings, coverage, artifacts…), stored with the attempt. */
  stage?: StageReport;
}

export type KindHandler = (ctx: JobContext) => Promise<JobOutcome>;
