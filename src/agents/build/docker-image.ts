import path from "node:path";
import { runCommand } from "../run-command.js";
import type { JobContext } from "../run-job.js";
import type { ExecOutcome } from "../../executor/port.js";

/** How long `docker version` may take to answer before we say no engine answered. */
export const DOCKER_PROBE_MS = 3000;

/** Passed from the agent's environment to docker commands so a remote or rootless engine is found. */
const DOCKER_ENV_KEYS = ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_BUILDKIT"] as const;

/** What `stage.data.image` says about the image. */
export interface ImageReport {
  built: boolean;
  /** Why not, when `built` is false. */
  reason?: string;
  /** `name:tag`. */
  ref?: string;
  name?: string;
  tag?: string;
  /** The engine's image id (`sha256:…`), when it told us. */
  id?: string | null;
  /** The engine's server version. */
  engine?: string;
  /** Relative to the job's working directory. */
  dockerfile: string;
}

export function dockerEnv(agentEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of DOCKER_ENV_KEYS) {
    const v = agentEnv[k];
    if (v !== undefined && v !== "") env[k] = v;
  }
  return env;
}

/** A name docker accepts, from the package name (`@team/web-app` → `team/web-app`) or a directory name. */
export function imageNameFor(packageName: string | null, dir: string): string {
  const clean = (s: string): string =>
    s
      .toLowerCase()
      .replace(/^@/, "")
      .replace(/[^a-z0-9._/-]+/g, "-")
      .split("/")
      .map((part) => part.replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, ""))
      .filter((part) => part !== "")
      .join("/");
  return clean(packageName ?? "") || clean(path.basename(dir)) || "app";
}

/** `<run number>-<short commit>`, or the run number alone for a workspace without a commit. */
export function imageTag(runNumber: number, commit: string | null): string {
  const short = commit?.replace(/[^0-9a-zA-Z]/g, "").slice(0, 7) ?? "";
  return short === "" ? String(runNumber) : `${runNumber}-${short}`;
}

export type Probe = { answered: true; version: string } | { answered: false; reason: string };

/** Asks the engine for its version; anything but an answer within DOCKER_PROBE_MS means none. */
export async function probeDocker(ctx: JobContext, env: Record<string, string>): Promise<Probe> {
  const quick = { ...ctx, job: { ...ctx.job, timeoutMs: DOCKER_PROBE_MS } };
  const r = await runCommand(quick, "docker version --format '{{.Server.Version}}'", { label: "docker engine check", env, capture: true, quiet: true });
  if (r.ok) return { answered: true, version: r.stdout.join(" ").trim() || "unknown" };
  return { answered: false, reason: `no Docker engine answered (${whyNot(r.outcome, [...r.stderr, ...r.stdout])})` };
}

function whyNot(o: ExecOutcome, lines: readonly string[]): string {
  if (o.timedOut) return `docker version did not answer within ${DOCKER_PROBE_MS / 1000} s`;
  if (o.spawnError) return `docker version could not start: ${o.spawnError}`;
  if (o.exitCode === 127) return "docker not found on PATH";
  const said = lines.map((l) => l.trim()).find((l) => l !== "");
  return `docker version failed: ${said ?? `exit ${o.exitCode ?? o.signal ?? "?"}`}`;
}

/** Shell-quotes one argument (POSIX single quotes). */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `docker build`, then the image id; the build's output streams to the job log. */
export async function buildImage(
  ctx: JobContext,
  spec: { ref: string; dockerfile: string; env: Record<string, string> },
  used: { bytes: number },
): Promise<{ ok: boolean; outcome: ExecOutcome; id: string | null }> {
  const labels = `--label ${shq(`pitstop.run=${ctx.runId}`)} --label ${shq(`pitstop.job=${ctx.job.id}`)}`;
  const build = await runCommand(ctx, `docker build -t ${shq(spec.ref)} -f ${shq(spec.dockerfile)} ${labels} .`, { label: "docker build", env: spec.env }, used);
  if (!build.ok) return { ok: false, outcome: build.outcome, id: null };
  const inspect = await runCommand(ctx, `docker image inspect --format '{{.Id}}' ${shq(spec.ref)}`, { label: "docker image id", env: spec.env, capture: true, quiet: true }, used);
  const id = inspect.ok ? (inspect.stdout.join("").trim() || null) : null;
  return { ok: true, outcome: build.outcome, id };
}
