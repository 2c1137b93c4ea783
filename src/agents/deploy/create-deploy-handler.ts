import { readFile } from "node:fs/promises";
import path from "node:path";
import { coerceError } from "../../core/errors.js";
import type { DeployEnvironment, DeployResult, DeployTarget, DeployTargetSettings } from "../../deploy/port.js";
import type { JobContext, JobOutcome, KindHandler } from "../run-job.js";
import { resolveInside } from "../run-steps.js";
import type { StageDeps } from "../stage-deps.js";
import { parseDeployOptions, type DeployOptions } from "./deploy-options.js";

export interface DeployHandlerDeps extends StageDeps {
  /** Builds the target of an environment from the stage's settings (the composition root picks adapters). */
  targets: (environment: DeployEnvironment, settings: DeployTargetSettings) => DeployTarget;
}

// Classes that mean the pipeline's settings (or the machine) need a person, not a retry.
const SETUP_CLASSES = new Set(["port_in_use", "port_mismatch", "invalid_release", "target_error", "nothing_deployed"]);

/**
 * The `deploy` stage: ships the workspace (or `with.dir`) as release `<run number>-<attempt>` to
 * an environment through a DeployTarget, which health-checks it before it gets traffic. An
 * unhealthy release fails the stage with class `deploy_unhealthy` while the previous one serves.
 */
export function createDeployHandler(deps: DeployHandlerDeps): KindHandler {
  return async (ctx) => {
    const parsed = parseDeployOptions(ctx.job.with);
    if (!parsed.ok) return setupFailure(parsed.error);
    const o = parsed.options;
    const base = resolveInside(ctx.workspace, ctx.job.workingDirectory);
    const sourceDir = base === null ? null : resolveInside(ctx.workspace, path.relative(ctx.workspace, path.resolve(base, o.dir ?? ".")));
    if (sourceDir === null) return setupFailure(`with.dir: ${JSON.stringify(o.dir)} leaves the workspace: give a directory inside it`);
    const settings = { ...o.settings };
    if (settings.cwd !== undefined) {
      const cwd = resolveInside(ctx.workspace, settings.cwd);
      if (cwd === null) return setupFailure(`with.cwd: ${JSON.stringify(settings.cwd)} leaves the workspace: give a directory inside it`);
      settings.cwd = cwd;
    }
    const start = settings.target === "local" ? (o.start ?? (await defaultStart(sourceDir))) : "";
    if (start === null) return setupFailure(`with.start: no start command: ${path.join(sourceDir, "package.json")} has no "start" script; set deploy.start (e.g. \`node server.js\`)`);
    let target: DeployTarget;
    try {
      target = deps.targets(o.environment, settings);
    } catch (e) {
      return setupFailure(coerceError(e).message);
    }
    const releaseId = `${ctx.context.run.number}-${ctx.attempt}`;
    ctx.logs.push("system", `deploying release ${releaseId} of ${sourceDir} to ${o.environment} (target ${target.kind})`);
    const result = await runDeploy(ctx, target, o, { releaseId, sourceDir, start });
    deps.log.info({ runId: ctx.runId, jobId: ctx.job.id, environment: o.environment, releaseId, ok: result.ok, class: result.class }, "deploy finished");
    return outcomeOf(ctx, o, target, result);
  };
}

async function runDeploy(ctx: JobContext, target: DeployTarget, o: DeployOptions, r: { releaseId: string; sourceDir: string; start: string }): Promise<DeployResult> {
  const timeout = ctx.job.timeoutMs !== null ? AbortSignal.timeout(ctx.job.timeoutMs) : null;
  const signal = timeout ? AbortSignal.any([ctx.signal, timeout]) : ctx.signal;
  const release = { id: r.releaseId, sourceDir: r.sourceDir, files: o.files, start: r.start, env: { ...ctx.env, ...o.env } };
  const result = await target.deploy(release, { signal, log: (line) => ctx.logs.push("stdout", ctx.mask(line)) });
  if (timeout?.aborted && !ctx.signal.aborted && !result.ok) {
    return { ...result, error: `the deploy did not finish within the job's timeout (${Math.round((ctx.job.timeoutMs ?? 0) / 1000)} s); nothing switched` };
  }
  return result;
}

function outcomeOf(ctx: JobContext, o: DeployOptions, target: DeployTarget, r: DeployResult): JobOutcome {
  const data = {
    environment: o.environment,
    target: target.kind,
    releaseId: r.releaseId,
    previousReleaseId: r.previousReleaseId,
    url: r.url,
    ok: r.ok,
    healthy: r.healthy,
    responseMs: r.responseMs,
    workers: r.workers,
    durationMs: r.durationMs,
    error: r.error ?? null,
    errorClass: r.class ?? null,
  };
  const summary = r.ok
    ? `${o.environment}: release ${r.releaseId} live at ${r.url ?? "?"} (${r.workers ?? "?"} worker${r.workers === 1 ? "" : "s"}, ${r.healthy ? "healthy" : "not answering"}${r.responseMs !== null ? `, ${r.responseMs} ms` : ""})`
    : `${o.environment}: release ${r.releaseId ?? "-"} not deployed (${r.class ?? "failed"})${r.previousReleaseId ? `; ${r.previousReleaseId} still serves` : ""}`;
  const stage = { kind: "deploy", summary, data };
  const none = { last: null, outputBytes: 0, truncatedBytes: 0 };
  if (r.ok) {
    ctx.logs.push("system", `✓ ${summary}`);
    return { ok: true, ...none, setupError: null, stage };
  }
  const error = r.error ?? "deploy failed";
  if (r.class !== undefined && SETUP_CLASSES.has(r.class)) return { ok: false, ...none, setupError: error, stage };
  ctx.logs.push("system", `✗ ${error}`);
  if (r.class === "deploy_unhealthy") return { ok: false, ...none, setupError: null, hint: "deploy_unhealthy", stage };
  if (r.class === "cancelled" && !ctx.signal.aborted && ctx.job.timeoutMs !== null) return { ok: false, ...none, setupError: null, hint: "timeout", stage };
  return { ok: false, ...none, setupError: null, stage };
}

/** `npm start` when package.json has a start script, else null. */
async function defaultStart(dir: string): Promise<string | null> {
  const text = await readFile(path.join(dir, "package.json"), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const pkg = JSON.parse(text) as { scripts?: Record<string, unknown> };
    return typeof pkg.scripts?.start === "string" ? "npm start" : null;
  } catch {
    return null;
  }
}

function setupFailure(reason: string): JobOutcome {
  return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: reason };
}
