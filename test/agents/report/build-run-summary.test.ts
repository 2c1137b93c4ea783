import { describe, expect, it } from "vitest";
import { buildRunSummary } from "../../../src/agents/report/build-run-summary.js";
import { renderMarkdown } from "../../../src/agents/report/render-markdown.js";
import type { RunJobSnapshot } from "../../../src/protocol/messages.js";
import { seedRun } from "../../notify/helpers/seed-run.js";

const job = (id: string, status: string, extra: Partial<RunJobSnapshot> = {}): RunJobSnapshot => ({
  id, name: id, kind: "shell", status, attempts: 1, failureClass: null, reason: null, durationMs: 10, tests: null, stage: null, ...extra,
});
const summarise = (jobs: RunJobSnapshot[], self = "report") => buildRunSummary(seedRun({ jobs, startedAt: 1_000 }), self, 61_000);

describe("buildRunSummary", () => {
  it("fails the outcome on any failed or cancelled job, and leaves the report job out", () => {
    expect(summarise([job("a", "succeeded"), job("b", "skipped"), job("report", "failed")]).outcome).toBe("succeeded");
    expect(summarise([job("a", "succeeded"), job("b", "cancelled")]).outcome).toBe("failed");
    expect(summarise([job("a", "failed", { failureClass: "exit_nonzero" })]).outcome).toBe("failed");
    expect(summarise([job("a", "succeeded"), job("report", "running")]).jobs.map((j) => j.id)).toEqual(["a"]);
  });

  it("measures the run from its start to the report, and sums tests over the jobs that have them", () => {
    const s = summarise([
      job("unit", "succeeded", { tests: { total: 10, passed: 9, failed: 0, errored: 0, skipped: 1 } }),
      job("e2e", "failed", { tests: { total: 3, passed: 1, failed: 1, errored: 1, skipped: 0 } }),
      job("lint", "succeeded"),
    ]);
    expect(s.run.durationMs).toBe(60_000);
    expect(s.tests).toEqual({ total: 13, passed: 10, failed: 1, errored: 1, skipped: 1 });
    expect(renderMarkdown(s)).toContain("| **total** | 13 | 10 | 1 | 1 | 1 |");
    expect(summarise([job("lint", "succeeded")]).tests).toBeNull();
  });

  it("reads vulnerabilities leniently (npm audit field names, fixAvailable) and sorts them most severe first", () => {
    const data = {
      vulnerabilities: [
        { name: "lodash", severity: "moderate", url: "https://github.com/advisories/GHSA-35jh-r3h4-6jhm", vulnerable_versions: "<4.17.21", fixAvailable: { name: "lodash", version: "4.17.21", isSemVerMajor: false } },
        { package: "minimist", severity: "CRITICAL", title: "Prototype Pollution", fixAvailable: true },
        { package: "left-pad", severity: "low", fixAvailable: false },
        { severity: "high", title: "no package: not a finding" },
        "garbage",
      ],
    };
    const s = summarise([job("security", "failed", { stage: { kind: "security", summary: "3 findings", data } })]);
    expect(s.vulnerabilities).toEqual([
      { job: "security", package: "minimist", severity: "critical", title: "Prototype Pollution", advisory: null, range: null, fix: "run `npm audit fix`" },
      { job: "security", package: "lodash", severity: "moderate", title: null, advisory: "https://github.com/advisories/GHSA-35jh-r3h4-6jhm", range: "<4.17.21", fix: "upgrade lodash to 4.17.21" },
      { job: "security", package: "left-pad", severity: "low", title: null, advisory: null, range: null, fix: null },
    ]);
    expect(renderMarkdown(s)).toContain("| `left-pad` | low |  |  | no fix available yet | security |");
  });

  it("reads a deployment from a deploy job's data or from data.deployment of any job", () => {
    const s = summarise([
      job("deploy", "failed", { kind: "deploy", stage: { kind: "deploy", summary: "unhealthy", data: { env: "stage", health: { url: "http://127.0.0.1:9/h", ok: false, responseTimeMs: 5003 } } } }),
      job("ship", "succeeded", { stage: { kind: "shell", summary: "", data: { deployment: { environment: "prod", url: "https://app.example", success: true, response_time_ms: 40, release: 12 } } } }),
      job("other", "succeeded", { stage: { kind: "shell", summary: "", data: { note: "no deployment here" } } }),
      // The deploy port's DeployResult fields, as a deploy stage would store them.
      job("dev", "succeeded", { kind: "deploy", stage: { kind: "deploy", summary: "", data: { environment: "dev", ok: true, releaseId: "r-3", previousReleaseId: null, url: "http://127.0.0.1:4100", healthy: true, responseMs: 7, workers: 2, durationMs: 900 } } }),
    ]);
    expect(s.deployments).toEqual([
      { job: "deploy", environment: "stage", url: "http://127.0.0.1:9/h", healthy: false, responseTimeMs: 5003, release: null },
      { job: "ship", environment: "prod", url: "https://app.example", healthy: true, responseTimeMs: 40, release: "12" },
      { job: "dev", environment: "dev", url: "http://127.0.0.1:4100", healthy: true, responseTimeMs: 7, release: "r-3" },
    ]);
  });

  it("keeps Markdown tables intact when a reason contains pipes or newlines", () => {
    const md = renderMarkdown(summarise([job("a", "failed", { failureClass: "exit_nonzero", reason: "grep a|b failed\nsecond line" })]));
    expect(md).toContain("| a | shell | ❌ failed | 1 | 10ms | `exit_nonzero`: grep a\\|b failed second line |  |");
  });
});
