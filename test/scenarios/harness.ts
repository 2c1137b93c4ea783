import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createApp } from "../../src/app/create-app.js";
import { readPipeline } from "../../src/app/read-pipeline.js";
import { buildRunReport, type RunReport } from "../../src/app/run-report.js";
import { loadConfig } from "../../src/config/config.js";
import { createFakeExecutor } from "../../src/executor/adapters/fake.js";
import { triggerRun } from "../../src/orchestrator/trigger-run.js";

export interface ScenarioOptions {
  env?: Record<string, string>;
  branch?: string | null;
  maxParallel?: number;
}

/** The parts of a run record a scenario pins down: no ids, times or durations. */
export function normalize(r: RunReport) {
  return {
    status: r.status,
    reason: r.reason,
    tests: r.tests,
    jobs: r.jobs.map((j) => ({
      id: j.id,
      status: j.status,
      reason: j.reason,
      failureClass: j.failureClass,
      attempts: j.attempts.map((a) => ({ attempt: a.attempt, status: a.status, exitCode: a.exitCode, signal: a.signal, failureClass: a.failureClass })),
    })),
  };
}

/** Runs a pipeline file through the real orchestrator, bus, store and agent on the fake executor. */
export async function runScenario(pipelineFile: string, opts: ScenarioOptions = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "pitstop-scenario-"));
  const config = loadConfig({ cwd: dataDir, env: {}, flags: { dataDir, maxParallel: opts.maxParallel ?? 4, leaseMs: 5000 } });
  const read = await readPipeline(pipelineFile, path.basename(pipelineFile));
  if (!read.plan) throw new Error(`scenario pipeline invalid: ${JSON.stringify(read.issues)}`);
  const app = await createApp({ ...config, logLevel: "silent" }, { agents: true, agentEnv: { PATH: process.env.PATH }, executor: createFakeExecutor(), noAgentGraceMs: 300 });
  try {
    await app.start();
    const run = await triggerRun(
      { store: app.store, bus: app.bus, now: app.now, newId: app.newId },
      { plan: read.plan, workspace: dataDir, trigger: { source: "cli", by: "test" }, branch: opts.branch ?? null, commit: null, env: opts.env ?? {} },
    );
    const final = await app.orchestrator.waitForRun(run.id);
    return { report: await buildRunReport(app.store, final), events: await app.store.runs.listEvents(run.id) };
  } finally {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, "utf8")) as T;
}
