import { execFile } from "node:child_process";
import { realpath, rm, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { Command } from "commander";
import { coerceError, ErrorCode, isPitstopError, PitstopError } from "../../core/errors.js";
import { isAuditActor, type AuditActor } from "../../core/healing/audit-record.js";
import { ENVIRONMENTS } from "../../core/healing/environment.js";
import { DEFAULT_PIPELINE_FILE, onboardingRefusal, RUNTIMES, validateOnboarding, type AppSpec, type OnboardingRequest } from "../../core/healing/onboarding.js";
import { createAppRegistry, type AppRegistry } from "../../app/app-registry.js";
import { loadConfig } from "../../config/config.js";
import { createAuditLog, type AuditEntry } from "../../healing/audit/create-audit-log.js";
import { ExitCode, type CommandContext } from "../io.js";
import { withStore } from "./inspect.js";
import { runPipelineFile } from "./run.js";

interface OnboardOptions {
  repo: string;
  runtime: string;
  env: string;
  pipeline?: string;
  run: boolean;
  json?: boolean;
}

export function registerOnboardCommand(program: Command, ctx: CommandContext): void {
  program
    .command("onboard")
    .description("register an app (its repository, runtime and environment) and run its first pipeline")
    .argument("<name>", "app name: 2–40 lowercase letters, digits and dashes")
    .requiredOption("--repo <url>", "https://host/org/repo(.git), ssh://…, git@host:org/repo.git, or the path of a local git repository")
    .requiredOption("--runtime <runtime>", RUNTIMES.join(" | "))
    .requiredOption("--env <env>", `${ENVIRONMENTS.join(" | ")} (prod is refused: onboard to stage, then promote)`)
    .option("--pipeline <file>", "pipeline file inside the repository", DEFAULT_PIPELINE_FILE)
    .option("--no-run", "register only; do not run the first pipeline")
    .option("--json", "print the app spec (and the first run's record) as JSON on stdout")
    .addHelpText("after", "\nExit codes: 0 onboarded (and the first run succeeded), 1 the first run failed, 2 refused or bad input, 3 internal error.")
    .action(async (name: string, opts: OnboardOptions) => ctx.setExit(await onboard(ctx, name, opts)));
}

function actorOf(ctx: CommandContext): AuditActor {
  const actor = `user:${ctx.io.env.USER ?? ""}`;
  return isAuditActor(actor) ? actor : "system";
}

async function audit(ctx: CommandContext, entry: AuditEntry): Promise<void> {
  await withStore(ctx, (store) => createAuditLog({ store: store.audit, now: Date.now }).append(entry));
}

async function isGitRepository(dir: string): Promise<boolean> {
  try {
    await promisify(execFile)("git", ["-C", dir, "rev-parse", "--git-dir"], { timeout: 10_000, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    return true;
  } catch {
    return false;
  }
}

/** The local repository's absolute path (its working tree is the workspace), or why it is refused. */
async function localWorkspace(ctx: CommandContext, repo: string): Promise<string> {
  const dir = path.resolve(ctx.io.cwd, repo);
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new PitstopError(ErrorCode.USAGE, `--repo ${repo}: no directory at ${dir}: give the path of a local git repository or an https/ssh URL`);
  if (!(await isGitRepository(dir))) throw new PitstopError(ErrorCode.USAGE, `--repo ${repo}: ${dir} is not a git repository: run \`git init\` and commit there, or give the path of a clone`);
  return realpath(dir);
}

async function hasFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Checks out (or locates) the workspace and writes the spec; undoes the clone when that fails. */
async function register(ctx: CommandContext, registry: AppRegistry, req: OnboardingRequest, opts: OnboardOptions): Promise<AppSpec> {
  const local = req.repo.kind === "local";
  const workspace = local ? await localWorkspace(ctx, req.repo.url) : await registry.checkout(req.name, req.repo.url);
  const undo = async () => {
    if (!local) await rm(path.dirname(workspace), { recursive: true, force: true });
  };
  try {
    if (opts.run && !(await hasFile(path.join(workspace, req.pipeline)))) {
      throw new PitstopError(ErrorCode.USAGE, `--pipeline: ${req.pipeline} not found in ${workspace}: add it to the repository, name another with --pipeline, or onboard with --no-run`);
    }
    const spec: AppSpec = {
      name: req.name,
      repo: local ? workspace : req.repo.url,
      runtime: req.runtime,
      environment: req.environment,
      pipeline: req.pipeline,
      createdAt: new Date().toISOString(),
      workspace,
    };
    await registry.create(spec);
    return spec;
  } catch (e) {
    await undo();
    throw e;
  }
}

async function onboard(ctx: CommandContext, name: string, opts: OnboardOptions): Promise<number> {
  const { io } = ctx;
  const checked = validateOnboarding({ name, repo: opts.repo, runtime: opts.runtime, env: opts.env, pipeline: opts.pipeline });
  if (!checked.ok) {
    const n = checked.problems.length;
    io.stderr.write(`pitstop: cannot onboard ${JSON.stringify(name)}: ${n} problem${n === 1 ? "" : "s"}; nothing was written\n`);
    for (const p of checked.problems) io.stderr.write(`  ${p.field}: ${p.message}\n`);
    return ExitCode.usage;
  }
  const req = checked.request;
  const subject = { app: req.name, env: req.environment };
  const refusal = onboardingRefusal(req.environment);
  if (refusal) {
    await audit(ctx, { type: "ORCH_REFUSE", actor: actorOf(ctx), subject, data: { action: "onboard", reason: refusal, request: { ...req, repo: req.repo.url } } });
    io.stderr.write(`pitstop: ${refusal}\n`);
    return ExitCode.usage;
  }
  const config = loadConfig({ cwd: io.cwd, env: io.env, flags: { dataDir: ctx.globals().dataDir } });
  const registry = createAppRegistry(config.dataDir);
  const existing = await registry.get(req.name);
  if (existing) {
    io.stderr.write(`pitstop: app ${req.name} is already onboarded (env ${existing.environment}, repo ${existing.repo}): pick another name or remove ${registry.specPath(req.name)}\n`);
    return ExitCode.usage;
  }
  let spec: AppSpec;
  try {
    spec = await register(ctx, registry, req, opts);
  } catch (e) {
    if (!isPitstopError(e, ErrorCode.USAGE)) throw coerceError(e);
    io.stderr.write(`pitstop: ${e.message}\n`);
    return ExitCode.usage;
  }
  await audit(ctx, { type: "RUNTIME_EMIT", actor: actorOf(ctx), subject, data: { event: "app.onboarded", spec } });
  return firstRun(ctx, registry, spec, opts);
}

async function firstRun(ctx: CommandContext, registry: AppRegistry, spec: AppSpec, opts: OnboardOptions): Promise<number> {
  const { io } = ctx;
  const say = opts.json ? io.stderr : io.stdout;
  say.write(`onboarded ${spec.name} (env ${spec.environment}, runtime ${spec.runtime}): ${registry.specPath(spec.name)}\n`);
  let exitCode: number = ExitCode.ok;
  let report = null;
  if (opts.run) {
    say.write(`first run: ${spec.pipeline} in ${spec.workspace}\n`);
    ({ exitCode, report } = await runPipelineFile(ctx, { file: spec.pipeline, cwd: spec.workspace, json: opts.json ?? false }));
    if (exitCode !== ExitCode.ok) io.stderr.write(`pitstop: ${spec.name} is onboarded but its first run did not succeed (exit ${exitCode}): fix the pipeline and run it again with \`pitstop run -f ${spec.pipeline}\` in ${spec.workspace}\n`);
  } else {
    say.write(`first run skipped (--no-run): start it with \`pitstop run -f ${spec.pipeline}\` in ${spec.workspace}\n`);
  }
  if (opts.json) io.stdout.write(`${JSON.stringify({ app: spec, specFile: registry.specPath(spec.name), firstRun: report }, null, 2)}\n`);
  return exitCode;
}
