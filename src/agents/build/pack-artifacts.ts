import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { isArtifactError, type ArtifactStore } from "../../artifacts/port.js";
import type { JobContext } from "../run-job.js";
import type { StageDeps } from "../stage-deps.js";
import { artifactsReport, formatBytes, type ArtifactsReport } from "./build-report.js";
import { collectArtifacts } from "./collect-artifacts.js";

export type PackDeps = Pick<StageDeps, "dataDir" | "log"> & { artifacts: ArtifactStore };

/** Stores the matched files; `globs` null means "nothing declared": `dist/**` when a dist/ exists. */
export async function packArtifacts(
  ctx: JobContext,
  deps: PackDeps,
  dir: string,
  globs: string[] | null,
): Promise<{ report: ArtifactsReport | null; warnings: string[] } | { refused: string; warnings: string[] }> {
  const patterns = globs ?? (await defaultGlobs(ctx.workspace, dir));
  if (patterns.length === 0) return { report: null, warnings: [] };
  const found = await collectArtifacts(ctx.workspace, patterns, await ignoreGlobs(ctx.workspace, deps.dataDir));
  if (found.refused.length > 0) return { refused: found.refused.join("; "), warnings: found.warnings };
  try {
    const manifest = await deps.artifacts.putFiles(ctx.workspace, found.files, { runId: ctx.runId, jobId: ctx.job.id, attempt: ctx.attempt, createdAt: ctx.now() });
    const report = artifactsReport(manifest, patterns);
    ctx.logs.push("system", `artifacts: ${report.files} file${report.files === 1 ? "" : "s"} (${formatBytes(report.bytes)}) stored, digest ${report.digest}`);
    deps.log.info({ runId: ctx.runId, jobId: ctx.job.id, attempt: ctx.attempt, digest: manifest.digest, files: report.files }, "artifacts stored");
    return { report, warnings: found.warnings };
  } catch (e) {
    if (isArtifactError(e)) return { refused: `artifacts: ${e.message}`, warnings: found.warnings };
    throw e;
  }
}

async function defaultGlobs(workspace: string, dir: string): Promise<string[]> {
  const dist = path.join(dir, "dist");
  const isDir = await stat(dist).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) return [];
  const rel = path.relative(workspace, dist).split(path.sep).join("/");
  return [`${rel}/**`];
}

/** Never pack `.git` or pitstop's own data directory (its artifact store!) when it is in the workspace. */
async function ignoreGlobs(workspace: string, dataDir: string): Promise<string[]> {
  const ignore = [".git/**"];
  const [ws, data] = await Promise.all([realOr(workspace), realOr(dataDir)]);
  const rel = path.relative(ws, data);
  if (rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel)) ignore.push(`${rel.split(path.sep).join("/")}/**`);
  return ignore;
}

async function realOr(p: string): Promise<string> {
  return realpath(p).catch(() => path.resolve(p));
}

