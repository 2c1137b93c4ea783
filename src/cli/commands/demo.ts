import { mkdir, rm, stat, symlink } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { createApp, openStore, type App } from "../../app/create-app.js";
import { DEMO_APP, ensureDemoApp, prepareDemoWorkspace, writeDemoPipeline, writeDemoTestPipeline } from "../../app/demo/demo-setup.js";
import { startHealDispatch, sourceName } from "../../app/heal-dispatch.js";
import { createHealLoopBeside } from "../../app/heal-setup.js";
import { readPipeline } from "../../app/read-pipeline.js";
import { triggerRun } from "../../orchestrator/trigger-run.js";
import { formatDemoTable, runDemoScenarios, type DemoScenariosResult, type ScenarioRow } from "../../app/demo/run-demo.js";
import { loadConfig, type Config } from "../../config/config.js";
import { createDeployTarget } from "../../deploy/adapters/create-deploy-target.js";
import { envPaths } from "../../deploy/adapters/local/env-paths.js";
import { freePort } from "../../deploy/adapters/local/worker-process.js";
import type { DeployTarget } from "../../deploy/port.js";
import { DEFAULT_LATENCY_MS } from "../../core/healing/uptime.js";
import { createAuditLog } from "../../healing/audit/create-audit-log.js";
import { ExitCode, type CommandContext } from "../io.js";
import { git, runPipelineFile } from "./run.js";
import { watchUntilStopped } from "./watch.js";

interface DemoOptions {
  exit?: boolean;
  env: string;
  port?: string;
  json?: boolean;
}

/** pitstop's package root: three levels up from src/cli/commands (vitest) and dist/cli/commands. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

export function registerDemoCommand(program: Command, ctx: CommandContext): void {
  program
    .command("demo")
    .description("onboard the example app in stage, deploy it, inject six faults and let the healing loop handle them")
    .option("--exit", "stop the deployed app at the end and exit (for CI); without it pitstop keeps watching the app until Ctrl-C")
    .option("--env <env>", "environment (the demo runs in stage only)", "stage")
    .option("--port <n>", "public port of the deployed app (default: a free port)")
    .option("--json", "print the summary as JSON on stdout; progress goes to stderr")
    .addHelpText("after", "\nExit codes: 0 every scenario went as expected and the audit chain is intact, 1 otherwise, 2 bad input, 3 internal error.")
    .action(async (opts: DemoOptions) => ctx.setExit(await demo(ctx, opts)));
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

function parsePort(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new PitstopError(ErrorCode.USAGE, `--port ${JSON.stringify(text)}: give a port from 1 to 65535`);
  return n;
}

interface DeployedDemo {
  config: Config;
  port: number;
  exampleDir: string;
  workspace: string;
  /** pitstop's own TypeScript compiler, when installed (the example then needs no npm install). */
  tsc: string | null;
}

/** Data directory, onboarding and two deploys of the example in stage; an exit code when a deploy failed. */
async function deployDemo(ctx: CommandContext, opts: DemoOptions, say: NodeJS.WritableStream): Promise<DeployedDemo | number> {
  const { io } = ctx;
  const port = parsePort(opts.port) ?? (await freePort("127.0.0.1"));
  // Each demo gets a fresh data directory unless one is named: the stage budgets (3 remediations per
  // target and signature per hour) would otherwise mask the second demo's actions.
  const named = ctx.globals().dataDir ?? io.env.PITSTOP_DATA_DIR;
  const dataDir = named ?? path.join(".pitstop", "demo", new Date().toISOString().replace(/[:.]/g, "-"));
  const config = loadConfig({ cwd: io.cwd, env: io.env, flags: { dataDir } });
  say.write(`pitstop demo: data directory ${config.dataDir}\n`);
  if (named === undefined) await pointLatestAt(config.dataDir);
  const exampleDir = path.join(PACKAGE_ROOT, "examples", "dashboard-app");
  const tscPath = path.join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");
  const tsc = (await exists(tscPath)) ? tscPath : null;
  const workspace = await prepareDemoWorkspace(exampleDir, path.join(config.dataDir, "demo", "workspace"), path.join(PACKAGE_ROOT, "node_modules"));

  const store = await openStore(config);
  let reused: boolean;
  try {
    ({ reused } = await ensureDemoApp(config.dataDir, exampleDir, createAuditLog({ store: store.audit, now: Date.now }), workspace));
  } finally {
    await store.close();
  }
  say.write(`${reused ? "reusing" : "onboarded"} dashboard-app in stage (workspace ${workspace}, a copy of ${exampleDir})\n`);
  const pipeline = await writeDemoPipeline(config.dataDir, { port, tsc });
  for (const n of [1, 2]) {
    say.write(`deploying release ${n} of 2 (${pipeline})\n`);
    const runCtx = { ...ctx, globals: () => ({ ...ctx.globals(), dataDir: config.dataDir }) };
    const { exitCode } = await runPipelineFile(runCtx, { file: pipeline, cwd: workspace, json: opts.json ?? false });
    if (exitCode !== ExitCode.ok) {
      io.stderr.write(`pitstop: the demo's pipeline failed (exit ${exitCode}); see \`pitstop logs\` for why\n`);
      return ExitCode.pipelineFailed;
    }
  }
  return { config, port, exampleDir, workspace, tsc };
}

/** The scenarios on the running app: each detection over the bus to the healer beside it. */
async function healScenarios(app: App, d: DeployedDemo, target: DeployTarget, url: string, say: NodeJS.WritableStream): Promise<DemoScenariosResult> {
  const tests = await writeDemoTestPipeline(d.config.dataDir, { tsc: d.tsc });
  const testPlan = (await readPipeline(tests)).plan;
  if (testPlan === null) throw new PitstopError(ErrorCode.INTERNAL, `the demo's test pipeline ${tests} is invalid`);
  const runTests = async (env: Record<string, string>) => {
    const run = await triggerRun(app, { plan: testPlan, workspace: d.workspace, trigger: { source: "cli", by: "demo" }, branch: await git(d.exampleDir, ["rev-parse", "--abbrev-ref", "HEAD"]), commit: await git(d.exampleDir, ["rev-parse", "HEAD"]), env });
    return app.orchestrator.waitForRun(run.id);
  };
  say.write("\nscenarios (each: inject a real fault → detector event → heal loop):\n");
  const onRow = (r: ScenarioRow) => say.write(`  ${r.scenario}: ${r.fault} → ${r.decision ?? "no decision"} → ${r.verdict}${r.note ? ` (${r.note})` : ""}\n`);
  // Stage only, with short windows that keep the demo quick and still take several probes.
  const loop = await createHealLoopBeside(app, { targets: { stage: target }, verify: { windowMs: 1500, probeIntervalMs: 150, minSamples: 5 } });
  // Each detection goes on the bus (heal.events.stage) and is settled by the healer beside it.
  const dispatch = startHealDispatch({ bus: app.bus, store: app.store.healing, loop, log: app.log, environments: ["stage"], source: sourceName("demo"), onProblem: (text) => say.write(`pitstop: ${text}\n`) });
  try {
    return await runDemoScenarios({ store: app.store, heal: dispatch.heal, runTests, target, url, exampleDir: d.workspace, workDir: path.join(d.config.dataDir, "demo"), onRow });
  } finally {
    await dispatch.stop();
  }
}

async function demo(ctx: CommandContext, opts: DemoOptions): Promise<number> {
  const { io } = ctx;
  if (opts.env !== "stage") {
    io.stderr.write(`pitstop: --env ${opts.env}: the demo runs in stage only (stage is seeded, so two demos decide the same; prod would wait for approvals)\n`);
    return ExitCode.usage;
  }
  const say = opts.json ? io.stderr : io.stdout;
  const d = await deployDemo(ctx, opts, say);
  if (typeof d === "number") return d;
  const { config, port } = d;
  const health = { path: "/health", retries: 50, intervalMs: 100, timeoutMs: 1000 };
  const target = createDeployTarget({ dataDir: config.dataDir, environment: "stage", settings: { target: "local", port, health, stopGraceMs: 1000 }, env: io.env });
  const url = `http://127.0.0.1:${port}`;
  const app = await createApp(config, { agents: true, agentEnv: io.env });
  try {
    await app.start();
    const result = await healScenarios(app, d, target, url, say);
    say.write(`\n${formatDemoTable(result.rows)}\n\n`);
    say.write(result.audit.ok ? `audit chain intact: ${result.audit.count} records\n` : `audit chain BROKEN: ${result.audit.message}\n`);
    const dd = `npx pitstop --data-dir ${config.dataDir}`;
    say.write(`learned table: ${dd} qtable    audit: ${dd} audit verify    export: ${dd} audit export --out audit.jsonl\n`);
    const ok = result.audit.ok && result.rows.every((r) => r.ok);
    let stopped = false;
    if (opts.exit) {
      const r = await target.stop();
      stopped = r.ok;
      say.write(r.ok ? `stopped stage (${r.stoppedPids.length} process(es))\n` : `pitstop: stopping stage failed: ${r.error ?? "unknown error"}\n`);
    } else if (io.isTTY) {
      await keepWatching(app, { target, url, dataDir: config.dataDir, say });
    } else {
      // Not a terminal (a script, a CI log): nobody can press Ctrl-C, so do not wait for it.
      say.write(`\nthe example app is still running at ${url}\nwatch it: ${dd} watch --env stage    stop it: ${dd} deploy stop --env stage\n`);
    }
    if (opts.json) io.stdout.write(`${JSON.stringify({ ok, url, port, stopped, scenarios: result.rows, audit: result.audit }, null, 2)}\n`);
    return ok && (!opts.exit || stopped) ? ExitCode.ok : ExitCode.pipelineFailed;
  } finally {
    await app.stop();
  }
}

/** Without `--exit`: pitstop stays up, watching the app and healing what it finds, until Ctrl-C. */
async function keepWatching(app: App, o: { target: DeployTarget; url: string; dataDir: string; say: NodeJS.WritableStream }): Promise<void> {
  const subject = `stage/${DEMO_APP}`;
  const datasets = path.join(envPaths(o.dataDir, "stage").current, "datasets");
  o.say.write(
    [
      "",
      `pitstop keeps running: it watches ${subject} at ${o.url} (uptime, latency, workers, health, CPU, datasets) and hands what it finds to the healing loop.`,
      "The demo used stage's budget for this app (3 remediations per hour), so for the next hour the shield escalates instead of acting.",
      `Try it: kill a worker (npx pitstop --data-dir ${o.dataDir} deploy status --env stage shows their pids).`,
      "Ctrl-C stops watching; the app keeps running until you stop it with:",
      `  npx pitstop --data-dir ${o.dataDir} deploy stop --env stage`,
      "",
    ].join("\n"),
  );
  await watchUntilStopped(app, [{ environment: "stage", subject, target: o.target, url: o.url, datasetsDir: datasets }], { intervalMs: 1000, timeoutMs: 0, latencyMs: DEFAULT_LATENCY_MS, quietMs: 30_000, forMs: null }, o.say);
}

/** `.pitstop/demo/latest` names the newest demo's data directory, for the commands that read it afterwards. */
export const LATEST_DEMO = path.join(".pitstop", "demo", "latest");

async function pointLatestAt(dataDir: string): Promise<void> {
  const link = path.join(path.dirname(dataDir), "latest");
  await mkdir(dataDir, { recursive: true });
  await rm(link, { force: true });
  await symlink(path.basename(dataDir), link, "dir");
}
