import type { AssignmentContext, RunJobSnapshot } from "../../../src/protocol/messages.js";

export const SEED_VULNERABILITY = {
  package: "minimist",
  severity: "high",
  title: "Prototype Pollution",
  advisory: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
  range: "<1.2.6",
  fix: "upgrade minimist to 1.2.6",
};

const job = (j: Partial<RunJobSnapshot> & Pick<RunJobSnapshot, "id" | "status">): RunJobSnapshot => ({
  name: j.id,
  kind: j.id,
  attempts: 1,
  failureClass: null,
  reason: null,
  durationMs: 1000,
  tests: null,
  stage: null,
  ...j,
});

/**
 * The seed scenario as the orchestrator snapshots it when the report job starts: lint ok, test
 * failed once then passed (2 attempts), build ok, security failed on one high vulnerability,
 * deploy skipped, report (this job) running.
 */
export function seedRun(overrides: { jobs?: RunJobSnapshot[]; startedAt?: number } = {}): AssignmentContext["run"] {
  return {
    id: "run-7f3a",
    number: 7,
    pipelineFile: "pipeline.yml",
    branch: "main",
    commit: "3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345",
    startedAt: overrides.startedAt ?? Date.UTC(2025, 0, 2, 10, 0, 0),
    jobs: overrides.jobs ?? [
      job({ id: "lint", status: "succeeded", durationMs: 2100, stage: { kind: "lint", summary: "0 errors, 0 warnings (eslint)", data: { findings: [] } } }),
      job({
        id: "test",
        status: "succeeded",
        attempts: 2,
        durationMs: 5400,
        tests: { total: 14, passed: 14, failed: 0, errored: 0, skipped: 0 },
        stage: { kind: "test", summary: "14 passed (2 reran on attempt 2)", data: {} },
      }),
      job({ id: "build", status: "succeeded", durationMs: 3200, stage: { kind: "build", summary: "1 artifact (dist.tgz)", data: {} } }),
      job({
        id: "security",
        status: "failed",
        failureClass: "security_finding",
        reason: "1 high vulnerability at or above fail_on: high",
        durationMs: 4100,
        stage: { kind: "security", summary: "1 high vulnerability, 0 secrets", data: { vulnerabilities: [SEED_VULNERABILITY], secrets: [] } },
      }),
      job({ id: "deploy", status: "skipped", attempts: 0, durationMs: null, reason: "needs security, which failed" }),
      job({ id: "report", status: "running", durationMs: null }),
    ],
  };
}

/** The same run, all green and deployed. */
export function greenRun(): AssignmentContext["run"] {
  const run = seedRun();
  return {
    ...run,
    jobs: run.jobs.map((j) => {
      if (j.id === "security") return { ...j, status: "succeeded", failureClass: null, reason: null, stage: { kind: "security", summary: "no findings", data: { vulnerabilities: [] } } };
      if (j.id === "deploy") {
        const data = { environment: "dev", url: "http://127.0.0.1:4100/health", healthy: true, responseTimeMs: 12, release: "r-7" };
        return { ...j, status: "succeeded", attempts: 1, reason: null, durationMs: 900, stage: { kind: "deploy", summary: "deployed r-7 to dev", data } };
      }
      return j;
    }),
  };
}
