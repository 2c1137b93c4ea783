import { stat } from "node:fs/promises";
import path from "node:path";
import type { ArtifactStore } from "../../artifacts/port.js";
import type { FailureClass } from "../../core/failure/failure-class.js";
import type { ExecOutcome } from "../../executor/port.js";
import { runCommand } from "../run-command.js";
import type { JobContext, JobOutcome, KindHandler } from "../run-job.js";
import { describeExit, resolveInside, runSteps } from "../run-steps.js";
import type { StageDeps } from "../stage-deps.js";
import { parseBuildOptions, type BuildOptions } from "./build-options.js";
import { buildSummary, type BuildData } from "./build-report.js";
import { escapingGlob } from "./collect-artifacts.js";
import { packArtifacts } from "./pack-artifacts.js";
import { buildImage, dockerEnv, imageNameFor, imageTag, probeDocker, type ImageReport } from "./docker-image.js";
import { findBuildCommand, type BuildPlan } from "./find-build-command.js";

export type BuildHandlerDeps = StageDeps & { artifacts: ArtifactStore };

/** What ran so far: output budget used, bytes cut, the last process outcome. */
interface Tally {
  used: { bytes: number };
  truncated: number;
  last: ExecOutcome | null;
}

type RunnablePlan = Exclude<BuildPlan, { kind: "none" }>;

/**
 * The `build` stage: runs the project's build (with.command, the job's steps, package.json
 * `scripts.build` or a Makefile), packs the declared artifacts into the content-addressed
 * ArtifactStore with a manifest for this run and job, and builds a Docker image when there is a
 * Dockerfile and an engine answers (saying so in `stage.data.image` when none does).
 */
export function createBuildHandler(deps: BuildHandlerDeps): KindHandler {
  return async (ctx) => {
    const parsed = parseBuildOptions(ctx.job.with);
    if (!parsed.ok) return setupFailure(parsed.error);
    const opts = parsed.options;
    const declared = [...ctx.job.artifacts, ...(opts.artifacts ?? [])];
    const escaping = declared.map(escapingGlob).find((m) => m !== null);
    if (escaping) return setupFailure(escaping);
    const dir = resolveInside(ctx.workspace, ctx.job.workingDirectory);
    if (dir === null) return setupFailure(`working-directory ${ctx.job.workingDirectory}: leaves the workspace: use a path inside the project`);
    const plan = await findBuildCommand(dir, opts.command, ctx.job.steps);
    if (plan.kind === "none") return setupFailure(plan.error);

    const tally: Tally = { used: { bytes: 0 }, truncated: 0, last: null };
    const data: BuildData = { command: plan.command, source: plan.source, artifacts: null };
    const built = await runBuild(ctx, plan, tally);
    if (!built) return buildFailed(plan, tally, data);
    if (ctx.signal.aborted) return outcome(false, tally, data, "build cancelled");

    const explicit = ctx.job.artifacts.length > 0 || opts.artifacts !== null;
    const packed = await packArtifacts(ctx, deps, dir, explicit ? declared : null);
    if ("refused" in packed) return outcome(false, tally, data, `build ok; artifacts refused`, { setupError: packed.refused, problems: packed.warnings });
    data.artifacts = packed.report;

    const docker = await dockerStage(ctx, deps, opts, dir, plan, tally);
    if (docker.image) data.image = docker.image;
    if (docker.error !== undefined) {
      return outcome(false, tally, data, docker.error, { problems: packed.warnings, ...(docker.setup ? { setupError: docker.error } : {}), ...(docker.hint ? { hint: docker.hint } : {}) });
    }
    return outcome(true, tally, data, buildSummary(data), { problems: packed.warnings });
  };
}

function setupFailure(reason: string): JobOutcome {
  return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: reason, stage: { kind: "build", summary: reason, data: { command: null, source: null, artifacts: null } } };
}

function outcome(ok: boolean, tally: Tally, data: BuildData, summary: string, extra: { setupError?: string; hint?: FailureClass; problems?: string[] } = {}): JobOutcome {
  return {
    ok,
    last: tally.last,
    outputBytes: tally.used.bytes,
    truncatedBytes: tally.truncated,
    setupError: extra.setupError ?? null,
    ...(extra.hint ? { hint: extra.hint } : {}),
    ...(extra.problems && extra.problems.length > 0 ? { problems: extra.problems } : {}),
    stage: { kind: "build", summary, data: { ...data } },
  };
}

async function runBuild(ctx: JobContext, plan: RunnablePlan, tally: Tally): Promise<boolean> {
  if (plan.kind === "steps") {
    const r = await runSteps(ctx);
    tally.used.bytes += r.outputBytes;
    tally.truncated += r.truncatedBytes;
    tally.last = r.last;
    return r.ok;
  }
  const r = await runCommand(ctx, plan.command, { label: `build (${plan.source})` }, tally.used);
  tally.truncated += r.outcome.truncatedBytes;
  tally.last = r.outcome;
  return r.ok;
}

function buildFailed(plan: RunnablePlan, tally: Tally, data: BuildData): JobOutcome {
  const how = tally.last ? describeExit(tally.last, null) : "(did not run)";
  if (tally.last?.exitCode === 127) {
    const what =
      plan.source === "with.command"
        ? `\`${plan.command}\` was not found (exit 127): install it or fix build.command`
        : `a command of the build (${plan.source}: \`${plan.command}\`) was not found (exit 127): add the tool to devDependencies or set build.command`;
    return outcome(false, tally, data, what, { hint: "command_not_found" });
  }
  return outcome(false, tally, data, `build failed: \`${plan.command}\` ${how}`);
}

interface DockerResult {
  image?: ImageReport;
  /** Set when the stage fails because of Docker. */
  error?: string;
  /** The error stopped things before a process ran (shown as the job's setup error). */
  setup?: boolean;
  hint?: FailureClass;
}

async function dockerStage(ctx: JobContext, deps: BuildHandlerDeps, opts: BuildOptions, dir: string, plan: RunnablePlan, tally: Tally): Promise<DockerResult> {
  if (opts.docker === "off") return {};
  const dockerfile = opts.dockerfile ?? "Dockerfile";
  const file = resolveInside(ctx.workspace, path.relative(ctx.workspace, path.resolve(dir, dockerfile)));
  if (file === null) return { error: `with.dockerfile: ${dockerfile} leaves the workspace: use a path inside the project`, setup: true };
  const exists = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) {
    if (opts.dockerfile !== null) return { error: `with.dockerfile: ${dockerfile} does not exist in ${dir}: fix the path or remove with.dockerfile`, setup: true };
    if (opts.docker === "required") return { error: `with.docker is required but there is no Dockerfile in ${dir}: add one or set build.docker: auto`, setup: true };
    return {};
  }
  const env = dockerEnv(deps.agentEnv);
  const probe = await probeDocker(ctx, env);
  if (!probe.answered) {
    ctx.logs.push("system", `docker: ${probe.reason}; ${dockerfile} found but no image built`);
    const image: ImageReport = { built: false, reason: probe.reason, dockerfile };
    if (opts.docker !== "required") return { image };
    return { image, error: `with.docker is required but ${probe.reason}: start the Docker engine (or point DOCKER_HOST at one) or set build.docker: auto`, setup: true, hint: "infra" };
  }
  const name = opts.image ?? imageNameFor(plan.packageName, dir);
  const tag = imageTag(ctx.context.run.number, ctx.context.run.commit);
  const ref = `${name}:${tag}`;
  const b = await buildImage(ctx, { ref, dockerfile, env }, tally.used);
  tally.truncated += b.outcome.truncatedBytes;
  tally.last = b.outcome;
  if (!b.ok) {
    const reason = `docker build of ${ref} failed ${describeExit(b.outcome, ctx.job.timeoutMs)}`;
    return { image: { built: false, reason, name, tag, ref, engine: probe.version, dockerfile }, error: reason };
  }
  ctx.logs.push("system", `docker: built ${ref}${b.id ? ` (${b.id})` : ""} on engine ${probe.version}`);
  return { image: { built: true, name, tag, ref, id: b.id, engine: probe.version, dockerfile } };
}
