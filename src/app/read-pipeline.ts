import { readFile, stat } from "node:fs/promises";
import { ErrorCode, PitstopError } from "../core/errors.js";
import { loadPipeline } from "../core/pipeline/load-pipeline.js";
import type { ExecutionPlan, PipelineIssue } from "../core/pipeline/plan.js";

/** Pipeline files above this are refused before parsing (a pipeline is configuration, not data). */
const MAX_PIPELINE_BYTES = 1024 * 1024;

export type ReadPipelineResult = { plan: ExecutionPlan; issues: [] } | { plan: null; issues: PipelineIssue[] };

/**
 * Reads and compiles a pipeline file. A missing file, a directory or an oversized file is a
 * PitstopError (exit 2); problems inside the file are returned as issues, all of them at once.
 */
export async function readPipeline(file: string, displayName: string = file): Promise<ReadPipelineResult> {
  const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") {
      throw new PitstopError(ErrorCode.PIPELINE_NOT_FOUND, `pipeline file ${displayName} does not exist: create one with \`pitstop init\` or pass --file <path>`, { details: { file: displayName } });
    }
    throw new PitstopError(ErrorCode.PIPELINE_NOT_FOUND, `cannot read pipeline file ${displayName}: ${e.code ?? e.message}`, { cause: e });
  });
  if (st.isDirectory()) {
    throw new PitstopError(ErrorCode.PIPELINE_NOT_FOUND, `${displayName} is a directory: pass the pipeline file itself, e.g. --file ${displayName.replace(/\/$/, "")}/pipeline.yml`, { details: { file: displayName } });
  }
  if (st.size > MAX_PIPELINE_BYTES) {
    throw new PitstopError(ErrorCode.PIPELINE_INVALID, `${displayName} is ${st.size} bytes; pipeline files are limited to ${MAX_PIPELINE_BYTES} bytes`, { details: { file: displayName } });
  }
  const text = await readFile(file, "utf8");
  const r = loadPipeline(text, { file: displayName });
  if (r.plan) return { plan: r.plan, issues: [] };
  return { plan: null, issues: r.issues };
}
