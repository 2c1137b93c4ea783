import type { Command } from "commander";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { loadConfig } from "../../config/config.js";
import { openDeployTarget, parseEnvironment } from "../../deploy/adapters/create-deploy-target.js";
import type { DeployResult, DeployTarget, HealthReport, ReleaseInfo, TargetStatus } from "../../deploy/port.js";
import { formatDuration, formatTime, table } from "../format.js";
import { ExitCode, type CommandContext } from "../io.js";

interface EnvOptions {
  env: string;
  json?: boolean;
}

// Failures a person fixes by changing what they ask for (exit 2), not operations that failed (exit 1).
const USAGE_CLASSES = new Set(["nothing_deployed", "no_previous_release", "port_in_use", "port_mismatch", "invalid_release"]);

/** `pitstop deploy status|health|rollback|restart|scale <n>|stop --env <env>`: deployed environments, for people. */
export function registerDeployCommand(program: Command, ctx: CommandContext): void {
  const deploy = program.command("deploy").description("see and operate what pipelines deployed (status, health, rollback, restart, scale, stop)");
  const withEnv = (c: Command): Command => c.option("--env <env>", "environment: dev, stage or prod", "dev").option("--json", "print JSON");

  withEnv(deploy.command("status").description("the environment's current release, workers, URL and releases")).action(async (opts: EnvOptions) => {
    const target = await open(ctx, opts.env);
    const [status, releases] = await Promise.all([target.status(), target.releases()]);
    if (opts.json) return print(ctx, { ...status, releases });
    ctx.io.stdout.write(renderStatus(status, releases));
  });

  withEnv(deploy.command("health").description("probe every worker of the environment now")).action(async (opts: EnvOptions) => {
    const target = await open(ctx, opts.env);
    const report = await target.health();
    if (opts.json) print(ctx, report);
    else ctx.io.stdout.write(renderHealth(target, report));
    if (!report.healthy) ctx.setExit(ExitCode.pipelineFailed);
  });

  withEnv(deploy.command("rollback").description("return to the previous healthy release (health-checked before it gets traffic)")).action(async (opts: EnvOptions) => {
    const target = await open(ctx, opts.env);
    report(ctx, opts, `rollback of ${target.environment}`, await target.rollback({ log: progress(ctx, opts) }));
  });

  withEnv(deploy.command("restart").description("restart the current release's workers one at a time (or bring a down environment back)")).action(async (opts: EnvOptions) => {
    const target = await open(ctx, opts.env);
    report(ctx, opts, `restart of ${target.environment}`, await target.restart({ log: progress(ctx, opts) }));
  });

  withEnv(deploy.command("scale").description("run <n> workers of the current release").argument("<n>", "number of workers (local: 1 to 32)")).action(async (n: string, opts: EnvOptions) => {
    if (!/^\d+$/.test(n.trim())) throw new PitstopError(ErrorCode.USAGE, `scale: <n> must be a whole number of workers (1 to 32), got ${JSON.stringify(n)}`);
    const target = await open(ctx, opts.env);
    report(ctx, opts, `scale of ${target.environment} to ${n}`, await target.scale(Number(n), { log: progress(ctx, opts) }));
  });

  withEnv(deploy.command("stop").description("stop the environment: workers, proxy and supervisor")).action(async (opts: EnvOptions) => {
    const target = await open(ctx, opts.env);
    const r = await target.stop();
    if (opts.json) print(ctx, r);
    else if (!r.ok) ctx.io.stderr.write(`pitstop: stop of ${target.environment} failed: ${r.error ?? "unknown error"}\n`);
    else ctx.io.stdout.write(r.stoppedPids.length > 0 ? `stopped ${target.environment}: ${r.stoppedPids.length} process(es) (${r.stoppedPids.join(", ")})\n` : `${target.environment} was not running; it is marked stopped\n`);
    if (!r.ok) ctx.setExit(ExitCode.pipelineFailed);
  });
}

async function open(ctx: CommandContext, env: string): Promise<DeployTarget> {
  const environment = parseEnvironment(env);
  const config = loadConfig({ cwd: ctx.io.cwd, env: ctx.io.env, flags: { dataDir: ctx.globals().dataDir } });
  return openDeployTarget({ dataDir: config.dataDir, environment, env: ctx.io.env });
}

function print(ctx: CommandContext, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Progress lines: to stdout for people, to stderr when stdout carries JSON. */
function progress(ctx: CommandContext, opts: EnvOptions): (line: string) => void {
  return (line) => (opts.json ? ctx.io.stderr : ctx.io.stdout).write(`  ${line}\n`);
}

function report(ctx: CommandContext, opts: EnvOptions, what: string, r: DeployResult): void {
  if (opts.json) print(ctx, r);
  else if (r.ok) ctx.io.stdout.write(`✓ ${what}: release ${r.releaseId ?? "-"} serves ${r.url ?? ""} (${r.workers ?? "?"} worker(s), ${r.healthy ? "healthy" : "not answering"}${r.responseMs !== null ? `, ${r.responseMs} ms` : ""}) in ${formatDuration(r.durationMs)}\n`);
  else ctx.io.stderr.write(`pitstop: ${what} failed (${r.class ?? "error"}): ${r.error ?? "unknown error"}\n`);
  if (!r.ok) ctx.setExit(r.class !== undefined && USAGE_CLASSES.has(r.class) ? ExitCode.usage : ExitCode.pipelineFailed);
}

function renderStatus(s: TargetStatus, releases: ReleaseInfo[]): string {
  if (s.state === "empty") return `nothing is deployed to ${s.environment} yet: a pipeline with a deploy stage puts it there (\`pitstop run\`)\n`;
  const lines = [`environment ${s.environment} (${s.target}): ${s.state}${s.url ? ` at ${s.url}` : ""}`];
  if (s.state === "down") lines.push(`  its supervisor is not running: \`pitstop deploy restart --env ${s.environment}\` brings it back`);
  lines.push(`  release:  ${s.current ? `${s.current.id} (${s.current.healthy ? "healthy when deployed" : "never healthy"}, ${formatTime(s.current.createdAt)})` : "none live"}`);
  if (s.target === "local") {
    const alive = s.workers.filter((w) => w.alive).length;
    lines.push(`  workers:  ${alive} of ${s.desiredWorkers ?? s.workers.length} alive${s.supervisor ? ` (supervisor pid ${s.supervisor.pid})` : ""}`);
    for (const w of s.workers) {
      const how = w.alive ? `alive since ${formatTime(w.startedAt)}` : `exited${w.signal ? ` on ${w.signal}` : ` with code ${w.exitCode ?? "?"}`}: not restarted automatically`;
      lines.push(`    #${w.slot}  pid ${w.pid}  port ${w.port}  ${how}`);
    }
  } else if (s.desiredWorkers !== null) lines.push(`  replicas: ${s.desiredWorkers}`);
  const rows = releases.map((r) => ["  " + r.id, r.status, r.healthy ? "yes" : "no", formatTime(r.createdAt), r.error ?? ""]);
  return `${lines.join("\n")}\n\n${table([["  RELEASE", "STATUS", "HEALTHY", "CREATED", "ERROR"], ...rows])}`;
}

function renderHealth(target: DeployTarget, h: HealthReport): string {
  if (h.releaseId === null) return `nothing is deployed to ${target.environment}\n`;
  const rows = h.checks.map((c) => [`  #${c.worker}`, c.pid === null ? "-" : String(c.pid), c.ok ? "ok" : "FAIL", c.status === null ? "-" : String(c.status), c.responseMs === null ? "-" : `${c.responseMs} ms`, c.error ?? ""]);
  return `${target.environment} release ${h.releaseId}: ${h.healthy ? "healthy" : "UNHEALTHY"}\n${table([["  WORKER", "PID", "OK", "STATUS", "TIME", "ERROR"], ...rows])}`;
}
