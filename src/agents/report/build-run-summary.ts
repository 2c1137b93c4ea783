import type { RunSummary, RunSummaryJob, RunTestCounts } from "../../notify/port.js";
import type { AssignmentContext, RunJobSnapshot } from "../../protocol/messages.js";
import { readDeployments } from "./read-deployments.js";
import { readVulnerabilities } from "./read-vulnerabilities.js";

const FAILING = new Set(["failed", "cancelled"]);

function toJob(j: RunJobSnapshot): RunSummaryJob {
  return {
    id: j.id,
    name: j.name,
    kind: j.kind,
    status: j.status,
    attempts: j.attempts,
    failureClass: j.failureClass,
    reason: j.reason,
    durationMs: j.durationMs,
    tests: j.tests,
    summary: j.stage?.summary ?? null,
  };
}

function sumTests(jobs: readonly RunSummaryJob[]): RunTestCounts | null {
  const withTests = jobs.filter((j) => j.tests !== null);
  if (withTests.length === 0) return null;
  const total: RunTestCounts = { total: 0, passed: 0, failed: 0, errored: 0, skipped: 0 };
  for (const { tests } of withTests) {
    for (const k of Object.keys(total) as (keyof RunTestCounts)[]) total[k] += tests?.[k] ?? 0;
  }
  return total;
}

/**
 * The run summary from the snapshot the orchestrator sent with the report job. The report job
 * itself is left out (it is running while it writes the report). The snapshot carries statuses,
 * not `continue-on-error`, so any failed or cancelled job makes the outcome `failed`.
 */
export function buildRunSummary(run: AssignmentContext["run"], selfJobId: string, now: number): RunSummary {
  const others = run.jobs.filter((j) => j.id !== selfJobId);
  const jobs = others.map(toJob);
  return {
    schema: "pitstop.run-summary/v1",
    run: {
      id: run.id,
      number: run.number,
      pipelineFile: run.pipelineFile,
      branch: run.branch,
      commit: run.commit,
      startedAt: run.startedAt,
      durationMs: run.startedAt !== null ? Math.max(0, now - run.startedAt) : null,
    },
    outcome: jobs.some((j) => FAILING.has(j.status)) ? "failed" : "succeeded",
    generatedAt: now,
    jobs,
    tests: sumTests(jobs),
    vulnerabilities: readVulnerabilities(others),
    deployments: readDeployments(others),
  };
}
