import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { Command } from "commander";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { formatIssue, type ExecutionPlan } from "../../core/pipeline/plan.js";
import { RunStatus } from "../../core/run/status.js";
import { createSecretSource } from "../../agents/secret-source.js";
import { createApp } from "../../app/create-app.js";
import { isSandboxAvailable } from "../../executor/adapters/sandbox.js";
import { readPipeline } from "../../app/read-pipeline.js";
import { buildRunReport, type RunReport } from "../../app/run-report.js";
import { selectJobs } from "../../app/select-jobs.js";
import { loadConfig } from "../../config/config.js";
import { triggerRun } from "../../orchestrator/trigger-run.js";
import type { RunRecord, Store } from "../../store/port.js";
import { ExitCode, type CommandContext } from "../io.js";
import { FAIL_TYPES, planRunHealing, startRunHealing, type HealingReport, type RunHealing, type RunHealingFlags } from "./run-healing.js";
import { createProgress } from "../progress.js";

interface RunOptions extends RunHealingFlags {
  file: string;
  job?: string[];
  env?: string[];
  json?: boolean;
  maxParallel?: string;
  leaseMs?: string;
  branch?: string;
}

export function registerRunCommand(program: Command, ctx: CommandContext): void {
  program
    .command("run")
    .description("run the pipeline in this directory with live progress")
    .option("-f, --file <file>", "pipeline file", "pipeline.yml")
    .option("-j, --job <name...>", "run only these jobs (and the jobs they need)")
    .option("-e, --env <K=V...>", "set an environment variable for every job")
    .option("--max-parallel <n>", "jobs running at once (default: number of cores)")
    .option("--lease-ms <ms>", "agent lease length in ms (default 30000)")
    .option("--branch <name>", "branch for `if:` conditions (default: the git branch)")
    .option("--json", "print the final run record as JSON on stdout")
    .option("--heal", "let the healing loop handle failed jobs and flaky tests of this run (docs/healing.md)")
    .option("--heal-env <env>", "environment whose healing policy applies (dev, stage, prod)", "dev")
    .option("--feedback", "ask after each healing decision: accept this action for this problem? (y/n); implies --heal")
    .option("--fail-type <type>", `inject a real fault: ${FAIL_TYPES.join(", ")}; implies --heal`)
    .option("--force-anomaly", "break a copy of --dataset so the data-quality check fires; implies --heal")
    .option("--dataset <csv>", "the dataset --force-anomaly breaks")
    .addHelpText("after", "\nExit codes: 0 succeeded (or every failed job was healed by a rerun that passed), 1 pipeline failed or cancelled, 2 bad input, 3 internal error.")
    .action(async (opts: RunOptions) => {
      const { exitCode, report } = await runPipelineFile(ctx, opts);
      if (opts.json && report) ctx.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      ctx.setExit(exitCode);
    });
}

export interface RunPipelineOptions extends RunOptions {
  /** The workspace: where the pipeline file is looked up and the jobs run; default the CLI's cwd. */
  cwd?: string;
}

export interface RunPipelineResult {
  exitCode: number;
  /** The final run record, built when `json` is set and the run was started. */
  report: RunReport | null;
}

function parseEnvFlags(pairs: readonly string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(p);
    if (!m) throw new PitstopError(ErrorCode.USAGE, `--env ${JSON.stringify(p)}: expected NAME=value with NAME made of letters, digits and _`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

/** A git answer in `cwd`, or null (not a repository, no git). */
export async function git(cwd: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)("git", args, { cwd, timeout: 5000 });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

async function checkSecrets(plan: ExecutionPlan, dataDir: string, env: CommandContext["io"]["env"]): Promise<void> {
  const source = createSecretSource({ env, file: path.join(dataDir, "secrets.env") });
  const problems: string[] = [];
  for (const job of plan.jobs) {
    const { missing } = await source.resolve(job.secrets);
    for (const name of missing) problems.push(`secret ${name} (job ${job.name}) is not provided: export ${name}=… before running, or add ${name}=… to ${path.join(dataDir, "secrets.env")}`);
  }
  if (problems.length > 0) throw new PitstopError(ErrorCode.SECRET_MISSING, problems.join("\n  "));
}

async function checkSandbox(plan: ExecutionPlan): Promise<void> {
  const wanting = plan.jobs.filter((j) => j.sandbox).map((j) => j.name);
  if (wanting.length === 0) return;
  const ok = await isSandboxAvailable();
  if (!ok.ok) {
    throw new PitstopError(ErrorCode.SANDBOX_UNAVAILABLE, `job ${wanting.join(", ")} asks for \`sandbox: true\` but ${ok.reason}: install bubblewrap (apt-get install bubblewrap) or remove \`sandbox: true\``);
  }
}

/**
 * What `pitstop run` does, callable by other commands (`pitstop onboard` runs an app's first
 * pipeline with it): read and check the pipeline, run it on an embedded app with live progress,
 * and return the exit code (0 succeeded, 1 failed or cancelled, 2 bad pipeline).
 */
export async function runPipelineFile(ctx: CommandContext, opts: RunPipelineOptions): Promise<RunPipelineResult> {
  const { io } = ctx;
  const cwd = opts.cwd ?? io.cwd;
  const config = loadConfig({ cwd: io.cwd, env: io.env, flags: { dataDir: ctx.globals().dataDir, maxParallel: opts.maxParallel, leaseMs: opts.leaseMs } });
  const healingPlan = await planRunHealing(opts, cwd, config.dataDir);
  const env = { ...healingPlan?.env, ...parseEnvFlags(opts.env) };
  const read = await readPipeline(path.resolve(cwd, opts.file), opts.file);
  if (!read.plan) {
    for (const i of read.issues) io.stderr.write(`${formatIssue(i)}\n`);
    io.stderr.write(`pitstop: ${read.issues.length} problem${read.issues.length === 1 ? "" : "s"} in ${opts.file}; nothing was run\n`);
    return { exitCode: ExitCode.usage, report: null };
  }
  const plan = opts.job?.length ? selectJobs(read.plan, opts.job) : read.plan;
  await checkSecrets(plan, config.dataDir, io.env);
  await checkSandbox(plan);
  const [branch, commit] = await Promise.all([opts.branch ? Promise.resolve(opts.branch) : git(cwd, ["rev-parse", "--abbrev-ref", "HEAD"]), git(cwd, ["rev-parse", "HEAD"])]);

  const app = await createApp(config, { agents: true, agentEnv: io.env });
  const progress = createProgress({ out: opts.json ? io.stderr : io.stdout, tty: io.isTTY && !opts.json, now: app.now });
  const unsubscribe = app.orchestrator.on(progress.onEvent);
  let healing: RunHealing | null = null;
  let unsubscribeHealing = () => {};
  let interrupts = 0;
  let runId: string | null = null;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      io.stderr.write("\npitstop: interrupted twice, exiting now; the run will be adopted by the next pitstop on this data directory\n");
      process.exit(130);
    }
    progress.note("cancelling… (Ctrl-C again to exit at once)");
    if (runId) void app.orchestrator.cancelRun(runId, "cancelled from the terminal (Ctrl-C)");
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  try {
    if (healingPlan) {
      healing = await startRunHealing({ plan: healingPlan, app, io, workspace: cwd, out: opts.json ? io.stderr : io.stdout });
      const h = healing;
      const off = app.orchestrator.on((e) => h.onEvent(e));
      unsubscribeHealing = () => void off();
    }
    const { adopted } = await app.start();
    for (const id of adopted) progress.note(`resuming run ${id.slice(0, 8)} left in flight by a pitstop that is gone`);
    const run = await triggerRun(
      { store: app.store, bus: app.bus, now: app.now, newId: app.newId },
      { plan, workspace: cwd, trigger: { source: "cli", by: io.env.USER ?? null }, branch, commit, env },
    );
    runId = run.id;
    if (interrupts > 0) await app.orchestrator.cancelRun(run.id, "cancelled from the terminal (Ctrl-C)");
    const others = adopted.map((id) => app.orchestrator.waitForRun(id));
    const final = await app.orchestrator.waitForRun(run.id);
    await Promise.all(others);
    progress.finish(final);
    const healed = healing ? await healing.afterRun(final) : [];
    const report = opts.json ? { ...(await buildRunReport(app.store, final)), ...(healing ? { healing: healed.map((h) => ({ event: h.event, outcome: h.outcome, feedback: h.feedback })) } : {}) } : null;
    const ok = final.status === RunStatus.succeeded || (final.status === RunStatus.failed && (await healedByReruns(app.store, final, healed)));
    return { exitCode: ok ? ExitCode.ok : ExitCode.pipelineFailed, report };
  } finally {
    unsubscribeHealing();
    await healing?.close();
    unsubscribe();
    progress.stop();
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
    await app.stop();
  }
}

/**
 * A failed run counts as green when every job that failed was healed by a rerun on the same code
 * that passed (GitHub's "re-run failed jobs" turning the workflow green).
 */
async function healedByReruns(store: Store, run: RunRecord, healed: readonly HealingReport[]): Promise<boolean> {
  const failed = (await store.runs.listJobs(run.id)).filter((j) => j.status === "failed");
  if (failed.length === 0 || healed.length === 0) return false;
  return failed.every((j) =>
    healed.some((h) => h.event.kind === "job_failure" && h.event.runId === run.id && h.event.jobId === j.jobId && h.outcome.status === "healed"),
  );
}
