import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { runJob } from "../../../src/agents/run-job.js";
import { createSecretSource } from "../../../src/agents/secret-source.js";
import { createSecurityHandler } from "../../../src/agents/security/create-security-handler.js";
import { createMemoryBus } from "../../../src/bus/adapters/memory.js";
import type { Bus } from "../../../src/bus/port.js";
import { classifyFailure, summarizeFailure } from "../../../src/core/failure/classify.js";
import type { FailureClass } from "../../../src/core/failure/failure-class.js";
import { silentLogger } from "../../../src/core/logger.js";
import { createProcessExecutor } from "../../../src/executor/adapters/process.js";
import { message, type Message } from "../../../src/protocol/messages.js";
import { Topic } from "../../../src/protocol/topics.js";
import { planJob } from "../helpers/job-context.js";
import { minimistAdvisory, startAdvisoryServer, type AdvisoryServer } from "./advisory-server.js";
import { fakeAwsSecret, npmProject, tempProject, write } from "./fixture-projects.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const PATH = `${path.join(REPO, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`;

const cleanup: string[] = [];
let server: AdvisoryServer | null = null;
let bus: Bus | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
  await bus?.close();
  bus = null;
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Runs the security handler the way an agent does (runJob over a bus) and returns what it published. */
async function runAsAgent(workspace: string, withOptions: Record<string, unknown>): Promise<{ finished: Message<"job.finished">; logText: string; all: string }> {
  bus = await createMemoryBus({ visibilityTimeoutMs: 30_000 });
  const npmCache = await mkdtemp(path.join(tmpdir(), "pitstop-security-npm-cache-"));
  cleanup.push(npmCache);
  const job = planJob("security", { with: withOptions, env: { npm_config_cache: npmCache } });
  const assigned = message("job.assigned", {
    runId: "run-1", jobId: "security", attempt: 1, token: "t-1", job, workspace, runEnv: {}, leaseMs: 60_000, dispatchedAt: Date.now(),
    context: { run: { id: "run-1", number: 1, pipelineFile: "pipeline.yml", branch: "main", commit: null, startedAt: Date.now(), jobs: [] }, previous: null, quarantined: [] },
  });
  const handler = createSecurityHandler({ dataDir: workspace, log: silentLogger, now: Date.now, agentEnv: { PATH } });
  await runJob(
    { bus, executor: createProcessExecutor(), sandbox: null, sandboxUnavailable: "not in this test", secrets: createSecretSource({ env: {}, file: null }), log: silentLogger, now: Date.now, agentId: "agent-1", agentEnv: { PATH, HOME: process.env.HOME }, outputLimitBytes: 4 * 1024 * 1024 },
    assigned,
    handler,
    async () => undefined,
    new AbortController().signal,
  );
  const published = await bus.consume(Topic.results, "test", "test", { count: 1000 });
  const messages = published.map((m) => m.payload as Message);
  const finished = messages.find((m): m is Message<"job.finished"> => m.type === "job.finished");
  if (finished === undefined) throw new Error(`no job.finished among ${messages.map((m) => m.type).join(", ")}`);
  const logText = messages.flatMap((m) => (m.type === "job.log" ? m.lines.map((l) => l.text) : [])).join("\n");
  return { finished, logText, all: JSON.stringify(messages) };
}

describe("security stage through the agent runtime", () => {
  it("the seed scenario: a high vulnerability fails the job as security_finding and the reason names package, advisory and fix", async () => {
    server = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory()] }, versions: { minimist: ["1.2.0", "1.2.6", "1.2.8"] } });
    const dir = await tempProject("agent");
    cleanup.push(dir);
    await npmProject(dir, { minimist: "1.2.0" }, { exact: true });
    const { finished, logText } = await runAsAgent(dir, { registry: server.url });
    expect(finished.status, logText).toBe("failed");
    expect(finished.failureClass).toBe("security_finding");
    expect(finished.stage?.summary).toContain("minimist@1.2.0: Prototype Pollution in minimist (https://github.com/advisories/GHSA-xvch-5gv4-984h), fix: upgrade minimist to 1.2.8");
    // What `pitstop show` prints as the job's reason.
    const evidence = finished.evidence!;
    const reason = summarizeFailure(finished.failureClass as FailureClass, evidence);
    expect(reason).toBe(
      "failed (security_finding): blocked (fail_on: high): 1 high vulnerability: minimist@1.2.0 GHSA-xvch-5gv4-984h, fix: upgrade minimist to 1.2.8; 0 secrets",
    );
    expect(classifyFailure(evidence)).toBe("security_finding");
  });

  it("an advisory service answering 500 fails the job as infra with a reason that says so", async () => {
    server = await startAdvisoryServer({ failStatus: 500 });
    const dir = await tempProject("agent-down");
    cleanup.push(dir);
    await npmProject(dir, { minimist: "1.2.0" });
    const { finished, logText } = await runAsAgent(dir, { registry: server.url, secrets: false });
    expect(finished.failureClass, logText).toBe("infra");
    const reason = summarizeFailure("infra", finished.evidence!);
    expect(reason).toMatch(new RegExp(`^exit 1 \\(infra\\): npm audit could not get advisories from ${server.url.replace(/[.]/g, "\\.")}: 500 Internal Server Error`));
  });

  it("a planted secret stays out of everything the agent publishes", async () => {
    const dir = await tempProject("agent-secret");
    cleanup.push(dir);
    const secret = fakeAwsSecret();
    await write(dir, "settings.py", `AWS_SECRET_ACCESS_KEY = "${secret}"\n`);
    const { finished, all } = await runAsAgent(dir, {});
    expect(finished.failureClass).toBe("security_finding");
    expect(finished.stage?.data.secrets).toEqual([{ file: "settings.py", line: 1, column: 1, rule: "@secretlint/secretlint-rule-aws", message: "found AWS Secret Access Key: ****" }]);
    expect(all).not.toContain(secret);
  });
});
