// bench/dispatch: orchestration overhead per job against a raw spawn baseline, in the same run.
//
// 1,000 independent jobs each run `true` through the real embedded stack (SQLite store, durable
// memory bus, orchestrator, local agent, process executor). For every job we take:
//   ready    = the attempt's queuedAt (the scheduler decided to dispatch it)
//   spawn    = the moment the agent hands the step to the executor
//   exit     = the moment the executor returns (process exited, pipes closed)
//   persisted= the moment the orchestrator has committed the result (its job.status event)
// overhead = (spawn - ready) + (persisted - exit). Baseline: child_process.spawn('true') until
// 'close', measured the same number of times in the same process before the run.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createApp } from "../dist/app/create-app.js";
import { loadConfig } from "../dist/config/config.js";
import { createProcessExecutor } from "../dist/executor/adapters/process.js";
import { triggerRun } from "../dist/orchestrator/trigger-run.js";
import { printTable, summary } from "./_stats.js";

function rawSpawn() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn("true", [], { stdio: ["ignore", "pipe", "pipe"] });
    child.on("error", reject);
    child.on("close", () => resolve(performance.now() - t0));
  });
}

function plan(n) {
  const jobs = [];
  for (let i = 0; i < n; i++) {
    jobs.push({
      id: `j${i}`, name: `j${i}`, kind: "shell", needs: [], condition: null, conditionText: null,
      steps: [{ name: "true", run: "true", env: {}, workingDirectory: null }], env: {}, secrets: [],
      timeoutMs: null, retry: [], continueOnError: false, reports: { junit: [] }, artifacts: [],
      concurrency: null, workingDirectory: null, sandbox: false, network: false, matrix: null, with: {},
    });
  }
  return { version: 1, pipelineFile: "bench", form: "full", env: {}, jobs };
}

export default async function dispatchBench(args) {
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
  const cores = os.availableParallelism();
  console.log(`bench/dispatch: ${n} jobs running \`true\`, max-parallel ${cores}, node ${process.version}`);

  const raw = [];
  for (let i = 0; i < Math.min(n, 1000); i++) raw.push(await rawSpawn());
  // The process adapter alone on an idle event loop: sh -c, its own process group, pipe handling.
  const idleExec = [];
  const probe = createProcessExecutor();
  for (let i = 0; i < Math.min(n, 300); i++) {
    const t0 = performance.now();
    await probe.run({ command: "true", cwd: os.tmpdir(), env: { PATH: process.env.PATH }, timeoutMs: null, network: false, outputLimitBytes: 1 << 20 }, () => {});
    idleExec.push(performance.now() - t0);
  }

  const dataDir = await mkdtemp(path.join(os.tmpdir(), "pitstop-bench-"));
  const inner = createProcessExecutor();
  const timing = new Map();
  const executor = {
    name: "timed-process",
    async run(spec, onLine, signal) {
      const t = { spawn: performance.timeOrigin + performance.now() };
      const r = await inner.run(spec, onLine, signal);
      t.exit = performance.timeOrigin + performance.now();
      timing.set(spec.env.PITSTOP_JOB_ID, t);
      return r;
    },
  };
  const config = { ...loadConfig({ cwd: dataDir, env: {}, flags: { dataDir, maxParallel: cores } }), logLevel: "silent" };
  const clock = () => performance.timeOrigin + performance.now();
  const app = await createApp(config, { agents: true, agentEnv: { PATH: process.env.PATH }, executor, now: clock });
  const persisted = new Map();
  app.orchestrator.on((e) => {
    if (e.type === "job.status" && e.status === "succeeded") persisted.set(e.jobId, performance.timeOrigin + performance.now());
  });
  const wall0 = performance.now();
  try {
    await app.start();
    const run = await triggerRun({ store: app.store, bus: app.bus, now: app.now, newId: app.newId }, { plan: plan(n), workspace: dataDir, trigger: { source: "cli", by: "bench" }, branch: null, commit: null, env: {} });
    const final = await app.orchestrator.waitForRun(run.id);
    const wall = performance.now() - wall0;
    if (final.status !== "succeeded") throw new Error(`run ${final.status}: ${final.reason}`);
    const attempts = await app.store.runs.listAttempts(run.id);
    const pre = [], post = [], total = [], exec = [];
    for (const a of attempts) {
      const t = timing.get(a.jobId);
      const p = persisted.get(a.jobId);
      pre.push(Math.max(0, t.spawn - a.queuedAt));
      post.push(p - t.exit);
      total.push(Math.max(0, t.spawn - a.queuedAt) + (p - t.exit));
      exec.push(t.exit - t.spawn);
    }
    const rows = [["measure", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"]];
    const add = (label, v) => { const s = summary(v); rows.push([label, s.n, s.p50.toFixed(3), s.p90.toFixed(3), s.p99.toFixed(3), s.max.toFixed(3)]); };
    add("baseline: raw spawn('true') → close", raw);
    add("executor.run('true') alone, idle loop", idleExec);
    add("executor.run('true') during the run", exec);
    add("overhead: ready → spawn", pre);
    add("overhead: exit → result persisted", post);
    add("overhead: total per job", total);
    printTable(rows);
    const r = summary(raw), o = summary(total);
    console.log(`\noverhead p50 ${o.p50.toFixed(3)} ms vs raw spawn p50 ${r.p50.toFixed(3)} ms: ratio ${(o.p50 / r.p50).toFixed(2)}x (target: overhead p50 < 2 ms)`);
    console.log(`overhead p99 ${o.p99.toFixed(3)} ms vs raw spawn p99 ${r.p99.toFixed(3)} ms: ratio ${(o.p99 / r.p99).toFixed(2)}x`);
    console.log(`throughput: ${n} jobs in ${(wall / 1000).toFixed(2)} s = ${(n / (wall / 1000)).toFixed(0)} jobs/s`);
    console.log(o.p50 < 2 ? "target met" : "target NOT met");
    return 0;
  } finally {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
