import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createApp, type App } from "../../../src/app/create-app.js";
import { createPipelineControl } from "../../../src/app/pipeline-control.js";
import { loadConfig } from "../../../src/config/config.js";
import { defaultPolicyFile } from "../../../src/core/healing/default-policy.js";
import type { EnvironmentPolicy, PolicyFile } from "../../../src/core/healing/environment-policy.js";
import { silentLogger } from "../../../src/core/logger.js";
import { loadPipeline } from "../../../src/core/pipeline/load-pipeline.js";
import { createAuditLog } from "../../../src/healing/audit/create-audit-log.js";
import { createHealLoop, type HealLoop } from "../../../src/healing/loop/create-heal-loop.js";
import type { HealLoopDeps, PipelineControl } from "../../../src/healing/loop/heal-types.js";
import { triggerRun } from "../../../src/orchestrator/trigger-run.js";
import type { RunRecord, StoredStageReport } from "../../../src/store/port.js";
import { fixtureProject } from "../../agents/test/fixture-project.js";

/** The tests of the temp node project, as the test stage names them (core/run/test-case.ts `testId`). */
export const FLAKY = "flaky once";
export const BROKEN = "always fails";
export const STABLE = "stable";

/**
 * A temp node project (repository node_modules linked in) whose `node --test test/` suite has a
 * passing test, and optionally a test that fails on its first run only (a marker file in the
 * project remembers the run) and one that always fails.
 */
export async function nodeProject(dirs: string[], tests: { flaky?: boolean; broken?: boolean }): Promise<string> {
  const dir = await fixtureProject(null, dirs);
  await mkdir(path.join(dir, "test"));
  const head = 'import { test } from "node:test";\nimport assert from "node:assert/strict";\n';
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "heal-jobs", private: true, type: "module" }));
  await writeFile(path.join(dir, "test", "stable.test.mjs"), `${head}test(${JSON.stringify(STABLE)}, () => assert.equal(1 + 1, 2));\n`);
  if (tests.flaky) {
    const src = `${head}import { existsSync, writeFileSync } from "node:fs";
const marker = new URL("../.flaky-ran-once", import.meta.url);
test(${JSON.stringify(FLAKY)}, () => {
  const ranBefore = existsSync(marker);
  writeFileSync(marker, "1");
  assert.ok(ranBefore, "fails on its first run only");
});
`;
    await writeFile(path.join(dir, "test", "flaky.test.mjs"), src);
  }
  if (tests.broken) await writeFile(path.join(dir, "test", "broken.test.mjs"), `${head}test(${JSON.stringify(BROKEN)}, () => assert.equal(2 + 2, 5, "broken for good"));\n`);
  return dir;
}

/** A pipeline whose one job `test` runs the project's suite with the test stage (full form). */
export const TEST_PIPELINE = ["jobs:", "  test:", "    agent: test", '    with: { command: "node --test test/" }', ""].join("\n");

/** dev with the rules policy (no exploration), optionally adjusted. */
export function devRules(patch: Partial<EnvironmentPolicy> = {}): PolicyFile {
  const file = defaultPolicyFile();
  return { ...file, dev: { ...file.dev, policy: "rules", ...patch } };
}

export interface JobApp {
  app: App;
  workspace: string;
  /** The engine the job actuators act on. */
  pipelines: PipelineControl;
  /** Runs a pipeline (YAML text) on the workspace and waits for it to end. */
  run(yaml: string): Promise<RunRecord>;
  /** A heal loop over the app's store with the app's engine (dev, rules, unless `extra` says otherwise). */
  loop(extra?: Partial<HealLoopDeps>): HealLoop;
  /** The stage report of the job's latest attempt in a run. */
  stage(runId: string, jobId?: string): Promise<StoredStageReport | undefined>;
  /** `name:status` of the test cases stored for the job's latest attempt in a run, sorted. */
  cases(runId: string, jobId?: string): Promise<string[]>;
}

/** The real embedded app (orchestrator, memory bus, local agent, SQLite) over a fresh temp data dir. */
export async function startJobApp(dirs: string[], workspace: string): Promise<JobApp> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "pitstop-heal-jobs-"));
  dirs.push(dataDir);
  const config = loadConfig({ cwd: dataDir, env: {}, flags: { dataDir, maxParallel: 2, leaseMs: 5000 } });
  const app = await createApp({ ...config, logLevel: "silent" }, { agents: true, agentEnv: process.env });
  await app.start();
  const pipelines = createPipelineControl({ store: app.store, bus: app.bus, orchestrator: app.orchestrator, now: app.now, newId: app.newId });
  const lastAttempt = async (runId: string, jobId: string) => (await app.store.runs.getJob(runId, jobId))?.attempt ?? 0;
  return {
    app,
    workspace,
    pipelines,
    async run(yaml) {
      const loaded = loadPipeline(yaml, { file: "ci.yml" });
      if (!loaded.plan) throw new Error(`test pipeline invalid: ${JSON.stringify(loaded.issues)}`);
      const run = await triggerRun(app, { plan: loaded.plan, workspace, trigger: { source: "cli", by: "test" }, branch: null, commit: null, env: {} });
      return app.orchestrator.waitForRun(run.id);
    },
    loop(extra = {}) {
      return createHealLoop({
        store: app.store,
        audit: createAuditLog({ store: app.store.audit, now: Date.now }),
        policyFile: devRules(),
        targets: () => null,
        now: Date.now,
        newId: randomUUID,
        log: silentLogger,
        verify: { windowMs: 300, probeIntervalMs: 100, minSamples: 3 },
        pipelines,
        ...extra,
      });
    },
    async stage(runId, jobId = "test") {
      const attempt = await lastAttempt(runId, jobId);
      return (await app.store.stages.listStageReports(runId, jobId)).find((r) => r.attempt === attempt);
    },
    async cases(runId, jobId = "test") {
      const attempt = await lastAttempt(runId, jobId);
      return (await app.store.tests.listTestCases({ runId, jobId, attempt })).map((c) => `${c.name}:${c.status}`).sort();
    },
  };
}
