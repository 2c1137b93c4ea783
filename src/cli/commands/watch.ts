import { stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { ENVIRONMENTS, type Environment } from "../../core/healing/environment.js";
import { DEFAULT_LATENCY_MS, type UptimeSummary } from "../../core/healing/uptime.js";
import { parseDuration } from "../../core/pipeline/duration.js";
import { createAppRegistry } from "../../app/app-registry.js";
import { createApp, type App } from "../../app/create-app.js";
import { readPolicyFile } from "../../app/heal-setup.js";
import { runWatch, type WatchedApp, type WatchLines, type WatchReport, type WatchSettings } from "../../app/run-watch.js";
import { loadConfig } from "../../config/config.js";
import { openDeployTarget } from "../../deploy/adapters/create-deploy-target.js";
import { envPaths } from "../../deploy/adapters/local/env-paths.js";
import { formatDuration, formatTime } from "../format.js";
import { ExitCode, type CommandContext } from "../io.js";
import { describeEvent, describeOutcome } from "./decision-view.js";
import { environmentOption } from "../heal-options.js";

interface WatchOptions {
  env?: string;
  app?: string;
  interval: string;
  timeout?: string;
  latency?: string;
  quiet: string;
  datasets?: string;
  maxRss?: string;
  maxBacklog?: string;
  for?: string;
  json?: boolean;
}

export function registerWatchCommand(program: Command, ctx: CommandContext): void {
  program
    .command("watch")
    .description("keep probing what is deployed (uptime, latency, crashed workers, unhealthy releases, CPU and memory, datasets) and heal what the detectors find, until Ctrl-C")
    .option("--env <env>", `one environment (${ENVIRONMENTS.join(", ")}); default: every environment with a deployment`)
    .option("--app <name>", "the app's name in incidents (default: the app onboarded in that environment, else this directory's name)")
    .option("--interval <duration>", "time between probes", "1s")
    .option("--timeout <duration>", "a probe without an answer after this is DOWN (never less than 1.25 × the latency bound, so a slow answer counts as slow, not DOWN)")
    .option("--latency <duration>", `slower answers are a latency breach, unless \`pitstop thresholds\` holds another value (default ${DEFAULT_LATENCY_MS / 1000}s)`)
    .option("--quiet <duration>", "after an incident of one kind, ignore more of that kind for this long", "30s")
    .option("--max-rss <MB>", "a worker process using more resident memory than this is overloaded (default: memory not checked)")
    .option("--max-backlog <n>", "more requests than this in flight at the app's front is an overload (default: not checked)")
    .option("--datasets <dir>", "datasets the app serves, for the data-quality check (default: the live release's datasets/)")
    .option("--for <duration>", "stop after this long (default: until Ctrl-C)")
    .option("--json", "print the uptime and incidents as JSON on stdout at the end; progress goes to stderr")
    .addHelpText("after", "\nOn a data directory without Redis, watch is the one pitstop process of that directory (as `pitstop run` is).\nTimes are UTC. Exit codes: 0 stopped and every incident it handled healed, 1 an incident was not healed (escalated, failed, refused…), 2 bad input, a bad policy.yml or nothing deployed, 3 internal error, 130 stopped twice.")
    .action(async (opts: WatchOptions) => ctx.setExit(await watch(ctx, opts)));
}

function duration(flag: string, text: string, min: number): number {
  const r = parseDuration(text);
  if (!r.ok) throw new PitstopError(ErrorCode.USAGE, `--${flag}: ${r.message}`);
  if (r.ms < min) throw new PitstopError(ErrorCode.USAGE, `--${flag} ${text}: must be at least ${min} ms`);
  return r.ms;
}

function wholeNumber(flag: string, text: string, what: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new PitstopError(ErrorCode.USAGE, `--${flag} ${JSON.stringify(text)}: give a whole number of ${what}`);
  return Number(text);
}

function parseSettings(opts: WatchOptions): WatchSettings & { forMs: number | null } {
  return {
    intervalMs: duration("interval", opts.interval, 100),
    // 0 = as the latency bound allows (uptime-monitor.ts timeoutFor): 30 s for the seeds' 24 s.
    timeoutMs: opts.timeout === undefined ? 0 : duration("timeout", opts.timeout, 100),
    latencyMs: opts.latency === undefined ? DEFAULT_LATENCY_MS : duration("latency", opts.latency, 1),
    quietMs: duration("quiet", opts.quiet, 0),
    forMs: opts.for === undefined ? null : duration("for", opts.for, 1),
    ...(opts.maxRss === undefined ? {} : { rssBytes: wholeNumber("max-rss", opts.maxRss, "megabytes, e.g. --max-rss 512") * 1024 * 1024 }),
    ...(opts.maxBacklog === undefined ? {} : { maxBacklog: wholeNumber("max-backlog", opts.maxBacklog, "requests, e.g. --max-backlog 50") }),
  };
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

/** The deployed apps to watch: the environment asked for, or every one with a deployment. */
async function findApps(dataDir: string, opts: WatchOptions, picked: { envs: readonly Environment[]; datasets: string | null }, cwd: string, env: Readonly<Record<string, string | undefined>>): Promise<{ apps: WatchedApp[]; skipped: string[] }> {
  const { datasets } = picked;
  const registered = await createAppRegistry(dataDir).list();
  const apps: WatchedApp[] = [];
  const skipped: string[] = [];
  for (const environment of picked.envs) {
    const target = await openDeployTarget({ dataDir, environment, env });
    const status = await target.status();
    if (status.state === "empty" || status.state === "stopped") {
      if (opts.env !== undefined) skipped.push(`${environment}: ${status.state === "empty" ? "nothing deployed" : "stopped"}`);
      continue;
    }
    if (status.url === null) {
      skipped.push(`${environment}: no URL to probe (the command target has none)`);
      continue;
    }
    const name = opts.app ?? registered.find((a) => a.environment === environment)?.name ?? path.basename(cwd);
    const live = path.join(envPaths(dataDir, environment).current, "datasets");
    apps.push({ environment, subject: `${environment}/${name}`, target, url: status.url, datasetsDir: datasets ?? ((await isDir(live)) ? live : null) });
  }
  return { apps, skipped };
}

const clock = (ms: number): string => formatTime(ms).slice(11);

/** What people see as it happens. */
export function watchLines(out: NodeJS.WritableStream): WatchLines {
  const what = describeEvent;
  return {
    state: (a, s) => out.write(`${clock(s.at)}  ${a.subject} ${s.up ? `UP (${s.responseMs ?? "?"} ms)` : `DOWN (${s.error ?? "no answer"})`}\n`),
    detected: (e) => out.write(`${clock(e.at)}  detected: ${what(e)}\n`),
    quiet: (e, why) => out.write(`${clock(e.at)}  (${what(e)} ${why})\n`),
    settled: (e, o) => out.write(`${clock(Date.now())}  ${describeOutcome(e, o)}\n`),
    problem: (text) => out.write(`${clock(Date.now())}  pitstop: ${text}\n`),
  };
}

/** `stage/app: uptime 99.2 % over 5m00s, 1 DOWN span (4.2s), p50 3 ms, p95 12 ms`. */
export function describeUptime(subject: string, u: UptimeSummary): string {
  const over = formatDuration(u.window.to - u.window.from);
  const downs = u.timeline.filter((s) => s.state === "DOWN");
  const downMs = downs.reduce((sum, s) => sum + ((s.to ?? u.window.to) - s.from), 0);
  const pct = u.uptimePercent === null ? "unknown" : `${u.uptimePercent.toFixed(1)} %`;
  const lat = u.latency.samples === 0 ? "no answers" : `p50 ${u.latency.p50} ms, p95 ${u.latency.p95} ms`;
  return `${subject}: uptime ${pct} over ${over}, ${downs.length} DOWN span${downs.length === 1 ? "" : "s"}${downs.length ? ` (${formatDuration(downMs)})` : ""}, ${lat}`;
}

/**
 * Runs the watch until Ctrl-C, SIGTERM or `--for`, then prints each app's uptime. At the end of
 * `--for` a heal in progress finishes whole. On Ctrl-C or SIGTERM it ends soon: the action in hand
 * finishes (a restart is not stopped half way), its verification is cut short and no next action
 * starts (the incident is resolved inconclusive). A second signal exits at once with 130, leaving
 * that incident open.
 */
export async function watchUntilStopped(app: App, apps: readonly WatchedApp[], settings: WatchSettings & { forMs: number | null }, out: NodeJS.WritableStream): Promise<WatchReport> {
  const stop = new AbortController();
  const cutShort = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    if (++signals > 1) {
      out.write("pitstop: stopped twice, exiting now; an incident being healed stays open (`pitstop incidents`)\n");
      process.exit(130);
    }
    out.write("stopping: an action in hand finishes, its verification is cut short (Ctrl-C again to exit now)\n");
    cutShort.abort();
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // The planned end lets a heal in progress finish whole.
  const timer = settings.forMs === null ? null : setTimeout(() => stop.abort(), settings.forMs);
  try {
    const report = await runWatch(app, apps, settings, watchLines(out), { signal: stop.signal, cutShort: cutShort.signal });
    out.write("\n");
    for (const a of report.apps) out.write(`${describeUptime(a.subject, a.uptime)}\n`);
    return report;
  } finally {
    if (timer) clearTimeout(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** 0 when every incident the watch settled healed (or there was none), 1 otherwise. */
export function watchExitCode(report: WatchReport): number {
  return report.incidents.every((i) => i.outcome.status === "healed") ? ExitCode.ok : ExitCode.pipelineFailed;
}

/** Checked before anything is opened or written: bad flags change nothing. */
async function pickTargets(opts: WatchOptions, cwd: string): Promise<{ envs: readonly Environment[]; datasets: string | null }> {
  const env = opts.env === undefined ? null : environmentOption("--env", opts.env);
  const datasets = opts.datasets === undefined ? null : path.resolve(cwd, opts.datasets);
  if (datasets !== null && !(await isDir(datasets))) throw new PitstopError(ErrorCode.USAGE, `--datasets ${opts.datasets}: not a directory (looked at ${datasets})`);
  return { envs: env === null ? ENVIRONMENTS : [env], datasets };
}

async function watch(ctx: CommandContext, opts: WatchOptions): Promise<number> {
  const { io } = ctx;
  const settings = parseSettings(opts);
  const picked = await pickTargets(opts, io.cwd);
  const config = loadConfig({ cwd: io.cwd, env: io.env, flags: { dataDir: ctx.globals().dataDir } });
  const out = opts.json ? io.stderr : io.stdout;
  // A policy file with problems is found before anything starts (the loop reads it again).
  await readPolicyFile(config.dataDir);
  // What is deployed is read from the data dir's files: nothing to watch writes nothing.
  const { apps, skipped } = await findApps(config.dataDir, opts, picked, io.cwd, io.env);
  for (const s of skipped) io.stderr.write(`pitstop: not watching ${s}\n`);
  if (apps.length === 0) {
    io.stderr.write(`pitstop: nothing deployed in ${config.dataDir} to watch: deploy first (a pipeline with a deploy stage, or \`npm start\` for the demo), or pass --data-dir\n`);
    return ExitCode.usage;
  }
  const app = await createApp(config, { agents: true, agentEnv: io.env });
  try {
    // Like every pitstop process on a data directory, it finishes runs a dead pitstop left behind.
    const { adopted } = await app.start();
    for (const id of adopted) out.write(`resuming run ${id.slice(0, 8)} left in flight by a pitstop that is gone\n`);
    for (const a of apps) out.write(`watching ${a.subject} at ${a.url} every ${formatDuration(settings.intervalMs)}${a.datasetsDir ? `, datasets in ${a.datasetsDir}` : ""}\n`);
    out.write(settings.forMs === null ? "Ctrl-C stops watching (the apps keep running)\n" : `stopping after ${formatDuration(settings.forMs)}\n`);
    const report = await watchUntilStopped(app, apps, settings, out);
    if (opts.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return watchExitCode(report);
  } finally {
    await app.stop();
  }
}
